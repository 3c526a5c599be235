//! Checking a camera that masks at the source (issue 24, item 2): one keyframe decoded, every
//! macroblock that lies wholly inside a mask polygon must be uniform black. A camera whose
//! masking engine was switched off, reset or never set shows its picture there.

use crate::{BLACK_C, MaskError, Polygon, codec, to_annexb};
use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig};
use openh264::formats::YUVSource;

/// Brightest luma a blacked-out macroblock may have (black is 16; a camera's encoder and its
/// colour range leave a little above it).
pub const MAX_BLACK_Y: u8 = 48;
/// Largest luma spread inside one blacked-out macroblock (a uniform fill, not a dark scene).
pub const MAX_SPREAD: u8 = 16;
/// Largest chroma distance from neutral inside a blacked-out macroblock.
pub const MAX_CHROMA: u8 = 24;

/// What one keyframe showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceVerdict {
    /// Macroblocks wholly inside a mask, checked.
    pub checked: usize,
    /// Of those, how many were not uniform black.
    pub not_black: usize,
    /// The picture's size.
    pub width: usize,
    /// Its height.
    pub height: usize,
}

impl SourceVerdict {
    /// Whether the camera masked: something was checked and all of it was black. A mask too
    /// small to hold a whole macroblock cannot be checked and does not pass.
    pub fn masked(&self) -> bool {
        self.checked > 0 && self.not_black == 0
    }
}

/// Decodes a camera's keyframes and judges its own masks.
pub struct SourceCheck {
    decoder: Decoder,
    annexb: Vec<u8>,
}

/// Whether the macroblock (`col`, `row`) of a `w × h` picture lies wholly inside one polygon,
/// judged on a 5 × 5 grid of points from edge to edge.
fn inside(polygons: &[Polygon], col: usize, row: usize, w: usize, h: usize) -> bool {
    let (x0, y0) = (col * 16, row * 16);
    let (x1, y1) = ((x0 + 16).min(w), (y0 + 16).min(h));
    polygons.iter().any(|p| {
        (0..5).all(|i| {
            (0..5).all(|j| {
                let x = (x0 as f64 + 0.5 + (x1 - x0 - 1) as f64 * i as f64 / 4.0) / w as f64;
                let y = (y0 as f64 + 0.5 + (y1 - y0 - 1) as f64 * j as f64 / 4.0) / h as f64;
                p.contains(x, y)
            })
        })
    })
}

impl SourceCheck {
    /// A checker with its own decoder.
    pub fn new() -> Result<SourceCheck, MaskError> {
        let decoder = Decoder::with_api_config(OpenH264API::from_source(), DecoderConfig::new())
            .map_err(codec)?;
        Ok(SourceCheck { decoder, annexb: Vec::new() })
    }

    /// Decodes `keyframe` (4-byte length-prefixed NAL units, with the camera's avcC) and checks
    /// the macroblocks wholly inside `polygons`. `None` when the decoder produced no picture.
    pub fn check(
        &mut self,
        keyframe: &[u8],
        camera_avcc: &[u8],
        polygons: &[Polygon],
    ) -> Result<Option<SourceVerdict>, MaskError> {
        to_annexb(keyframe, true, camera_avcc, &mut self.annexb)?;
        let Some(yuv) = self.decoder.decode(&self.annexb).map_err(codec)? else { return Ok(None) };
        let (w, h) = yuv.dimensions();
        let (sy, su, sv) = yuv.strides();
        let (luma, u, v) = (yuv.y(), yuv.u(), yuv.v());
        let mut verdict = SourceVerdict { checked: 0, not_black: 0, width: w, height: h };
        for row in 0..h.div_ceil(16) {
            for col in 0..w.div_ceil(16) {
                if !inside(polygons, col, row, w, h) {
                    continue;
                }
                verdict.checked += 1;
                let (mut lo, mut hi, mut chroma_off) = (u8::MAX, 0u8, 0u8);
                for y in row * 16..((row + 1) * 16).min(h) {
                    for x in col * 16..((col + 1) * 16).min(w) {
                        let l = luma[y * sy + x];
                        (lo, hi) = (lo.min(l), hi.max(l));
                    }
                }
                for y in row * 8..((row + 1) * 8).min(h / 2) {
                    for x in col * 8..((col + 1) * 8).min(w / 2) {
                        chroma_off = chroma_off
                            .max(u[y * su + x].abs_diff(BLACK_C))
                            .max(v[y * sv + x].abs_diff(BLACK_C));
                    }
                }
                if hi > MAX_BLACK_Y || hi - lo > MAX_SPREAD || chroma_off > MAX_CHROMA {
                    verdict.not_black += 1;
                }
            }
        }
        Ok(Some(verdict))
    }
}
