//! Evidence packages (issue 5; KAW-2.2.6, KAW-2.2.7オ, ASA-3.3b, ASA-3.6b, SAK-M,
//! PROD-EVIDENCE-1): any alteration of what was recorded is found.
//!
//! A package is a zip archive with stored (uncompressed) entries:
//!
//! - `video.mp4` — the exported frames, byte for byte as recorded, in an ONVIF Export File
//!   Format MP4 signed by the city's certificate ([`mp4`], [`city`]);
//! - `manifest.json` — what was asked and delivered, and every frame's leaf tying it to its
//!   segment's Merkle root and the camera's chain, with the node's signed checkpoints
//!   ([`manifest`]);
//! - `manifest.sig` — the exporting node's Ed25519 signature over `manifest.json`;
//! - `city-cert.pem` — the city's certificate, for tools that want it as a file;
//! - `README.txt` — how to check the package, in Japanese and English.
//!
//! The package may be encrypted to its recipient with age ([`package`]). [`verify`] checks one
//! offline with only the node's public key. The format is specified in
//! `docs/evidence-format.md`.

pub mod city;
pub mod export;
pub mod fmp4;
pub mod manifest;
pub mod mp4;
pub mod package;
pub mod verify;

/// Why an export or a verification could not proceed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The MP4 is not one this format describes.
    #[error("MP4: {0}")]
    Mp4(String),
    /// The package (zip, entries, encryption) is malformed or unsafe: altered.
    #[error("package: {0}")]
    Package(String),
    /// The package could not be checked at all: unreadable file, encrypted without the key or
    /// with the wrong passphrase (the verifier's exit status 2, not "tampered").
    #[error("{0}")]
    Unchecked(String),
    /// The manifest is malformed.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A signature does not verify.
    #[error("signature: {0}")]
    Signature(String),
    /// The city's signing identity.
    #[error("city identity: {0}")]
    Identity(String),
    /// What was asked cannot be exported.
    #[error("export: {0}")]
    Export(String),
    /// Reading a recorded segment failed.
    #[error("segment: {0}")]
    Segment(#[from] media::Error),
    /// I/O.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}
