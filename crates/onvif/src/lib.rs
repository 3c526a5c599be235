//! # onvif — the few ONVIF calls mimamori speaks
//!
//! Most cameras a city buys (ONVIF Profile S/T) can black out privacy masks themselves. The
//! recorder finds a camera's Media2 service through its device service (`GetServices`,
//! [`device`]) when registered by that address, sets the registry's masks on it through Media2
//! (`GetVideoSourceConfigurations`, `GetMaskOptions`, `GetMasks`, `CreateMask`, `DeleteMask`;
//! ONVIF Media2 Service Specification §5.11), reads them back and then checks the pictures
//! itself (the `masking` crate's [`SourceCheck`](../masking/struct.SourceCheck.html)); the camera
//! simulator answers the same calls. This crate holds the messages for both sides and a small
//! HTTP client.
//!
//! Written here because no maintained Rust ONVIF crate covers Media2 masks; the XML is read with
//! `quick-xml` into a small element tree ([`xml`]) and written as text, and requests carry a
//! WS-Security UsernameToken with a password digest ([`soap`]), as ONVIF Core §5.12 asks.
//!
//! Coordinates: ONVIF puts a picture in [-1, 1] × [-1, 1] with y upwards; mimamori's masks are
//! normalised [0, 1] × [0, 1] with y downwards ([`media2::to_onvif`], [`media2::from_onvif`]).

pub mod client;
pub mod device;
pub mod media2;
pub mod soap;
pub mod xml;

pub use client::Client;
pub use media2::{Mask, MaskOptions};

/// What can go wrong speaking ONVIF.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The device could not be reached or did not answer over HTTP.
    #[error("HTTP: {0}")]
    Http(String),
    /// The device answered with a SOAP fault (its code and reason).
    #[error("SOAP fault {code}: {reason}")]
    Fault {
        /// The fault's subcode (`ter:ActionNotSupported`…) or code.
        code: String,
        /// Its reason text.
        reason: String,
    },
    /// The answer is not the XML that was asked for.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// The device cannot take these masks (its options), or kept others than were set.
    #[error("{0}")]
    Cannot(String),
}

impl Error {
    /// Whether the device said it does not have the service or the action (a camera that cannot
    /// mask), rather than failing to carry it out.
    pub fn is_not_supported(&self) -> bool {
        match self {
            Error::Fault { code, .. } => {
                code.ends_with("ActionNotSupported") || code.ends_with("NotImplemented")
            }
            Error::Http(e) => e.starts_with("404") || e.starts_with("405"),
            Error::Cannot(_) => true,
            Error::Malformed(_) => false,
        }
    }
}
