//! # media — footage formats
//!
//! The encrypted, crash-safe segment file ([`segment`]), the per-(camera, JST day) data keys
//! wrapped by the node key ([`keys`]), and the integrity structure the evidence chain stands on:
//! per-frame hashes and leaves ([`frame`]), RFC 6962-style Merkle roots ([`merkle`]) and the
//! per-camera chain with signed checkpoints ([`chain`]). The layout and its invariants are
//! documented in `docs/storage.md`; a third party can re-implement the verifier from it.

pub mod chain;
pub mod frame;
pub mod keys;
pub mod merkle;
pub mod segment;

/// A media error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// File system error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Malformed data.
    #[error("format: {0}")]
    Format(String),
    /// Authentication or key failure.
    #[error("crypto: {0}")]
    Crypto(&'static str),
    /// No randomness.
    #[error("randomness: {0}")]
    Random(String),
}
