//! The governance server's audit writer (issue 26).
//!
//! Two ways in, one chain:
//! - **inside a change** ([`AuditWriter::append_in`]): the entry is written in the transaction
//!   of the state change it describes ([`Db::begin_change`]) and commits or rolls back with it;
//! - **on its own** ([`AuditWriter::append_at`]): events that belong to no change — a read of a
//!   request, a refused call — go to one writer task that appends whatever has queued up in one
//!   transaction (group commit: one `fsync` for many readers instead of one each). The caller's
//!   future resolves once its entry is durable; if the caller goes away, the entry is written
//!   all the same.
//!
//! Both read the chain head from the database inside their transaction, under the lock that
//! serialises changes ([`Db::begin_change`]), so no in-memory head can go stale — a dropped
//! request, a second central process or a failed commit leaves nothing to repair.

use crate::Db;
use crate::audit_store::DbAuditStore;
use audit::{Checkpoint, Entry, Event, Sealer, StoreError};
use jiff::Timestamp;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most events one group commit writes.
const MAX_BATCH: usize = 512;

struct Pending {
    event: Event,
    at: Timestamp,
    done: oneshot::Sender<Result<Entry, String>>,
}

/// Writes the governance database's audit log.
pub struct AuditWriter {
    store: DbAuditStore,
    db: Db,
    sealer: Arc<Sealer>,
    queue: mpsc::Sender<Pending>,
    /// Why the log is halted: it failed verification, and nothing is appended on a head that
    /// may have been rewritten until an operator has looked (issue 17, item 6).
    halted: Arc<std::sync::RwLock<Option<String>>>,
}

impl AuditWriter {
    /// A writer over `store` in `db`, signing with `sealer`; starts its group-commit task (call
    /// within a Tokio runtime).
    pub fn start(db: Db, store: DbAuditStore, sealer: Sealer) -> AuditWriter {
        let sealer = Arc::new(sealer);
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        let halted = Arc::new(std::sync::RwLock::new(None));
        tokio::spawn(group_commit(db.clone(), store.clone(), sealer.clone(), halted.clone(), rx));
        AuditWriter { store, db, sealer, queue, halted }
    }

    /// Halts the log (`Some(why)`): every append fails with [`StoreError::Halted`], so no call
    /// that must be audited is carried out. `None` resumes.
    pub fn halt(&self, why: Option<String>) {
        *self.halted.write().unwrap_or_else(|p| p.into_inner()) = why;
    }

    /// Why the log is halted, if it is.
    pub fn halted(&self) -> Option<String> {
        self.halted.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn check_running(&self) -> Result<(), StoreError> {
        match self.halted() {
            Some(why) => Err(StoreError::Halted(why)),
            None => Ok(()),
        }
    }

    /// Appends `event` at `at` inside `change`: it commits with the change or not at all.
    pub async fn append_in(
        &self,
        change: &Db,
        event: Event,
        at: Timestamp,
    ) -> Result<Entry, StoreError> {
        self.check_running()?;
        let mut entries = self.store.append_in(change, &self.sealer, vec![(event, at)]).await?;
        entries.pop().ok_or_else(|| StoreError::backend(std::io::Error::other("nothing appended")))
    }

    /// Appends `event` at `at` on its own (group commit); resolves once it is durable.
    pub async fn append_at(&self, event: Event, at: Timestamp) -> Result<Entry, StoreError> {
        self.check_running()?;
        let (done, answer) = oneshot::channel();
        let gone = || StoreError::backend(std::io::Error::other("the audit writer has stopped"));
        self.queue.send(Pending { event, at, done }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(|e| StoreError::backend(std::io::Error::other(e)))
    }

    /// Signs and stores a checkpoint of the committed head at `at` if entries other than
    /// witness records came after the last one; the newest stored checkpoint either way (for
    /// publication and witnessing). `None` for an empty log. A halted log signs nothing.
    pub async fn checkpoint_at(&self, at: Timestamp) -> Result<Option<Checkpoint>, StoreError> {
        self.check_running()?;
        let change = self.db.begin_change().await.map_err(StoreError::backend)?;
        let made = self.store.checkpoint_if_moved_in(&change, &self.sealer, at).await?;
        change.commit().await.map_err(StoreError::backend)?;
        if made.is_some() {
            return Ok(made);
        }
        Ok(audit::Store::checkpoints(&self.store).await?.into_iter().last())
    }

    /// Records `checkpoint`, another log's, as witnessed here — unless this log already holds
    /// that very checkpoint. Returns whether it was written.
    pub async fn witness(
        &self,
        checkpoint: &Checkpoint,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let seen = self.store.witnessed(&checkpoint.log_id).await?;
        if seen.iter().any(|c| c.seq == checkpoint.seq && c.hash == checkpoint.hash) {
            return Ok(false);
        }
        self.append_at(audit::witness_event(checkpoint), at).await?;
        Ok(true)
    }

    /// The store, for verification and search.
    pub fn store(&self) -> &DbAuditStore {
        &self.store
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.sealer.public_key()
    }
}

async fn group_commit(
    db: Db,
    store: DbAuditStore,
    sealer: Arc<Sealer>,
    halted: Arc<std::sync::RwLock<Option<String>>>,
    mut rx: mpsc::Receiver<Pending>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let events = batch.iter().map(|p| (p.event.clone(), p.at)).collect();
        let halt = halted.read().unwrap_or_else(|p| p.into_inner()).clone();
        let written = async {
            if let Some(why) = halt {
                return Err(StoreError::Halted(why));
            }
            let change = db.begin_change().await.map_err(StoreError::backend)?;
            let entries = store.append_in(&change, &sealer, events).await?;
            change.commit().await.map_err(StoreError::backend)?;
            Ok::<_, StoreError>(entries)
        }
        .await;
        match written {
            Ok(entries) => {
                for (p, e) in batch.drain(..).zip(entries) {
                    let _ = p.done.send(Ok(e));
                }
            }
            Err(e) => {
                let why = e.to_string();
                for p in batch.drain(..) {
                    let _ = p.done.send(Err(why.clone()));
                }
            }
        }
    }
}
