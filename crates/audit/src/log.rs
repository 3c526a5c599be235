//! The writer: appends events to the chain and signs checkpoints on schedule.

use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, Event, LogId};
use crate::store::{Store, StoreError};
use ed25519_dalek::SigningKey;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::Mutex;

/// When to sign a checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointPolicy {
    /// After this many entries since the last checkpoint.
    pub every_entries: u64,
    /// Or when the last checkpoint is this old (checked at the next append).
    pub every: SignedDuration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy { every_entries: 100, every: SignedDuration::from_mins(10) }
    }
}

struct State {
    log_id: LogId,
    seq: u64,
    prev: crate::entry::Digest,
    since_checkpoint: u64,
    last_checkpoint_at: Option<Timestamp>,
    /// The head above may be behind the store: an append was under way when its future was
    /// dropped (a client gone, a timeout), or it failed after the store may have written it.
    /// The next append reads the head from the store before it seals anything.
    stale: bool,
}

impl State {
    /// Reads the head (and checkpoint bookkeeping) from the store.
    async fn load<S: Store>(store: &S) -> Result<State, StoreError> {
        let log_id = store.log_id().await?;
        let head = store.head().await?;
        let last = store.checkpoints().await?.into_iter().last();
        Ok(State {
            log_id,
            seq: head.map_or(0, |h| h.seq),
            prev: head.map_or_else(|| log_id.genesis(), |h| h.hash),
            since_checkpoint: match (&head, &last) {
                (Some(h), Some(c)) => h.seq.saturating_sub(c.seq),
                (Some(h), None) => h.seq,
                _ => 0,
            },
            last_checkpoint_at: last.map(|c| c.at),
            stale: false,
        })
    }
}

/// An append-only audit log over a [`Store`].
pub struct AuditLog<S> {
    store: S,
    key: SigningKey,
    policy: CheckpointPolicy,
    state: Mutex<State>,
}

impl<S: Store> AuditLog<S> {
    /// Opens a log, reading its head from the store.
    pub async fn open(
        store: S,
        key: SigningKey,
        policy: CheckpointPolicy,
    ) -> Result<Self, StoreError> {
        let state = State::load(&store).await?;
        Ok(AuditLog { store, key, policy, state: Mutex::new(state) })
    }

    /// Appends an event now.
    pub async fn append(&self, event: Event) -> Result<Entry, StoreError> {
        self.append_at(event, Timestamp::now()).await
    }

    /// Appends an event at a given instant (tests, imports).
    ///
    /// Cancellation-safe: if this future is dropped while the store is writing, or the store
    /// fails, the in-memory head is marked stale and the next append reads the head from the
    /// store first — so an entry that did land is chained onto, never overwritten or
    /// conflicted with forever. A conflict (another writer on the same store took the number)
    /// re-reads the head and seals the entry again on top of it.
    pub async fn append_at(&self, event: Event, at: Timestamp) -> Result<Entry, StoreError> {
        let mut st = self.state.lock().await;
        let mut attempts = 0;
        loop {
            if st.stale {
                *st = State::load(&self.store).await?;
            }
            let entry = Entry::seal(st.seq + 1, at, event.clone(), st.prev);
            let due = st.since_checkpoint + 1 >= self.policy.every_entries
                || st
                    .last_checkpoint_at
                    .is_none_or(|t| entry.at.duration_since(t) >= self.policy.every);
            let checkpoint = due
                .then(|| Checkpoint::sign(&self.key, st.log_id, entry.seq, entry.hash, entry.at));
            // Until the store answers, the head is unknown (this future may be dropped here).
            st.stale = true;
            match self.store.append(&entry, checkpoint.as_ref()).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) if attempts < 3 => {
                    attempts += 1;
                    continue;
                }
                Err(e) => return Err(e),
            }
            st.stale = false;
            st.seq = entry.seq;
            st.prev = entry.hash;
            if let Some(c) = &checkpoint {
                st.since_checkpoint = 0;
                st.last_checkpoint_at = Some(c.at);
            } else {
                st.since_checkpoint += 1;
            }
            return Ok(entry);
        }
    }

    /// A checkpoint of the current head, signed now, for publication (not stored). `None` for
    /// an empty log.
    pub async fn checkpoint_now(&self) -> Option<Checkpoint> {
        let st = self.state.lock().await;
        (st.seq > 0)
            .then(|| Checkpoint::sign(&self.key, st.log_id, st.seq, st.prev, Timestamp::now()))
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.key.verifying_key()
    }
}
