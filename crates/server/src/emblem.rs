//! The city's emblem (市章) in the header of every page (issue 19, item 8): an image the city
//! supplies in its configuration (`emblem = "/etc/mimamori/emblem.svg"`), read once at start
//! and served to anyone at `/api/v1/public/emblem`. mimamori ships no city's emblem: without
//! one the slot stays empty and the city's name stands alone.

use std::path::Path;

/// The largest emblem accepted: a header image, not a photograph.
pub const MAX_BYTES: usize = 256 * 1024;

/// A city's emblem, checked to be a PNG, JPEG or SVG image of at most [`MAX_BYTES`].
#[derive(Debug, Clone)]
pub struct Emblem {
    bytes: bytes::Bytes,
    content_type: &'static str,
}

/// Why an emblem file was refused.
#[derive(Debug, thiserror::Error)]
pub enum EmblemError {
    /// The file could not be read.
    #[error("the emblem {path} cannot be read: {source}")]
    Read {
        /// The file named.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Larger than [`MAX_BYTES`].
    #[error("the emblem is {0} bytes; at most {MAX_BYTES} are accepted")]
    TooLarge(usize),
    /// Neither PNG, JPEG nor SVG.
    #[error("the emblem is not a PNG, JPEG or SVG image")]
    NotAnImage,
}

impl Emblem {
    /// Reads and checks the file at `path`.
    pub fn from_file(path: &Path) -> Result<Emblem, EmblemError> {
        let bytes = std::fs::read(path)
            .map_err(|source| EmblemError::Read { path: path.display().to_string(), source })?;
        Emblem::from_bytes(bytes)
    }

    /// Checks `bytes`: the type is decided from the content, never from a file name.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Emblem, EmblemError> {
        if bytes.len() > MAX_BYTES {
            return Err(EmblemError::TooLarge(bytes.len()));
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            "image/jpeg"
        } else if is_svg(&bytes) {
            "image/svg+xml"
        } else {
            return Err(EmblemError::NotAnImage);
        };
        Ok(Emblem { bytes: bytes.into(), content_type })
    }

    /// The image's bytes.
    pub fn bytes(&self) -> bytes::Bytes {
        self.bytes.clone()
    }

    /// Its media type (`image/svg+xml` …).
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
}

/// UTF-8 text whose first element is `<svg` (after an optional XML declaration, comments and
/// whitespace). A script inside one never runs: `<img>` does not run scripts, and the image is
/// served with a policy that forbids them if opened on its own.
fn is_svg(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else { return false };
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?xml") {
            let Some(end) = r.find("?>") else { return false };
            rest = r[end + 2..].trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let Some(end) = r.find("-->") else { return false };
            rest = r[end + 3..].trim_start();
        } else if let Some(r) = rest.strip_prefix("<!DOCTYPE") {
            let Some(end) = r.find('>') else { return false };
            rest = r[end + 1..].trim_start();
        } else {
            return rest.starts_with("<svg");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn images_are_known_by_their_content() {
        let svg = br#"<?xml version="1.0"?><!-- city --><svg xmlns="http://www.w3.org/2000/svg"/>"#;
        assert_eq!(Emblem::from_bytes(svg.to_vec()).unwrap().content_type(), "image/svg+xml");
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(Emblem::from_bytes(png).unwrap().content_type(), "image/png");
        assert!(matches!(
            Emblem::from_bytes(b"<html><svg/></html>".to_vec()),
            Err(EmblemError::NotAnImage)
        ));
        assert!(matches!(
            Emblem::from_bytes([0xff, 0xd8, 0xff].repeat(MAX_BYTES)),
            Err(EmblemError::TooLarge(_))
        ));
        let e = Emblem::from_file(Path::new("/nonexistent/emblem.svg")).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/emblem.svg"), "{e}");
    }
}
