//! # nodelink — the governance centre and its recorder nodes on other machines (issue 21)
//!
//! A city runs one governance centre and recorders at the sites (KIT-5.3/5.4 network recorders
//! on a closed line, SAK-M hardware in each facility). The centre asks a node exactly what it
//! asks the recorder in its own process — the [`node::Node`] trait — so this crate is only a
//! transport:
//!
//! - [`pki`]: the centre's small CA. A node is registered at the centre, enrols once with a
//!   one-time token (its key never leaves it) and from then on the two talk over mutual TLS;
//!   the centre pins the certificate each node enrolled, so a revoked node is refused.
//! - [`serve`]: the node's side — the versioned node API (`/node/v1/…`, documented in
//!   `docs/node-api.md`) over any `Arc<dyn Node>`, served with TLS that admits only the centre.
//! - [`remote`]: the centre's side — [`remote::RemoteNode`], a second implementation of
//!   `node::Node` that asks a node over that API, with the same typed answers and errors
//!   ([`node::NodeError::Unreachable`] when it cannot be reached).
//!
//! The node keeps deciding nothing: every call is made on behalf of a decision the centre has
//! recorded. Footage crosses only as an evidence package for an extraction, a still under a
//! recorded grant, or recorded footage for a recorded viewing (ALL-REC-2); never a live view.

pub mod enrol;
pub mod pki;
pub mod remote;
pub mod serve;
pub mod wire;

/// The node API's version: the path prefix is `/node/v{API_VERSION}`.
pub const API_VERSION: u32 = 1;

/// Why the link could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A key, certificate or signing request was unusable.
    #[error("certificates: {0}")]
    Pki(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The node's address or the HTTP client could not be set up.
    #[error("{0}")]
    Setup(String),
}

impl LinkError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> LinkError {
        LinkError::Io { path: path.to_owned(), source }
    }
}
