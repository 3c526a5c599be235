//! Where a log lives: a small async trait with a file backend here and a database backend in the
//! `store` crate.

use crate::checkpoint::Checkpoint;
use crate::entry::{Digest, Entry, LogId};
use std::future::Future;

/// The last entry of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: Digest,
}

/// A storage error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, database).
    #[error("audit store: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
    /// A stored record cannot be read back; `position` is the line or row.
    #[error("audit store: record at {position} is unreadable: {reason}")]
    Unreadable {
        /// Line (file) or row (database).
        position: u64,
        /// What is wrong.
        reason: String,
    },
    /// Another writer appended the same sequence number first.
    #[error("audit store: sequence number {0} was taken by a concurrent writer")]
    Conflict(u64),
    /// The last record was cut mid-write (a crash or a full disk while appending): everything
    /// before it is whole. Not tampering — but the verifier says so rather than pass it over.
    #[error("audit store: the last record (at {position}) was cut mid-write")]
    Torn {
        /// Line of the cut record.
        position: u64,
    },
    /// The log failed verification, so nothing more is appended on its head until an operator
    /// has looked (issue 17, item 6).
    #[error("audit store: the audit log failed verification and is halted: {0}")]
    Halted(String),
}

impl StoreError {
    /// Wraps any backend error.
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

/// Storage for one audit log. Appends must be durable when the future resolves.
pub trait Store: Send + Sync {
    /// The log's id, created with the log.
    fn log_id(&self) -> impl Future<Output = Result<LogId, StoreError>> + Send;
    /// The last entry, or `None` for an empty log.
    fn head(&self) -> impl Future<Output = Result<Option<Head>, StoreError>> + Send;
    /// Appends an entry and, atomically with it, an optional checkpoint covering it. Fails with
    /// [`StoreError::Conflict`] if `entry.seq` exists already.
    fn append(
        &self,
        entry: &Entry,
        checkpoint: Option<&Checkpoint>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Up to `limit` entries in stored order, starting after the first `skip` records. Stored
    /// order, not `seq` order: the verifier must see the log as it is.
    fn entries(
        &self,
        skip: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Entry>, StoreError>> + Send;
    /// Every checkpoint, oldest first.
    fn checkpoints(&self) -> impl Future<Output = Result<Vec<Checkpoint>, StoreError>> + Send;
    /// Stores a checkpoint of an entry already in the log (one signed when the log has been
    /// quiet, or at shutdown). A second checkpoint of the same entry is ignored.
    fn add_checkpoint(
        &self,
        checkpoint: &Checkpoint,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
