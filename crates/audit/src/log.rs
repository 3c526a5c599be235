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
    /// Or when the last checkpoint is this old: checked at the next append, and by the writer's
    /// owner on a timer ([`AuditLog::checkpoint_if_moved`]) so a quiet log is signed too.
    pub every: SignedDuration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        // Issue 17, item 6: at most 100 entries and at most 5 minutes unsigned (the window in
        // which a cut tail goes unnoticed; docs/evidence-format.md).
        CheckpointPolicy { every_entries: 100, every: SignedDuration::from_mins(5) }
    }
}

/// Where a log stands, as a writer needs it to seal the next entry.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// The log's id.
    pub log_id: LogId,
    /// The last entry, or `None` for an empty log.
    pub head: Option<crate::store::Head>,
    /// The last checkpoint's sequence number and instant.
    pub last_checkpoint: Option<(u64, Timestamp)>,
}

/// Seals entries onto a log's head and signs checkpoints when the policy says one is due: the
/// one place that decides both, for [`AuditLog`] and for writers that keep the head in a
/// database transaction (`store::audit_store`).
pub struct Sealer {
    key: SigningKey,
    policy: CheckpointPolicy,
}

impl Sealer {
    /// A sealer signing with `key` under `policy`.
    pub fn new(key: SigningKey, policy: CheckpointPolicy) -> Self {
        Sealer { key, policy }
    }

    /// Seals `event` at `at` as the entry after `pos`, with a checkpoint of it when due, and
    /// moves `pos` past it.
    pub fn seal(
        &self,
        pos: &mut Position,
        event: Event,
        at: Timestamp,
    ) -> (Entry, Option<Checkpoint>) {
        let (seq, prev) = match pos.head {
            Some(h) => (h.seq + 1, h.hash),
            None => (1, pos.log_id.genesis()),
        };
        let entry = Entry::seal(seq, at, event, prev);
        let since = pos.last_checkpoint.map_or(seq, |(cs, _)| seq.saturating_sub(cs));
        let due = since >= self.policy.every_entries
            || pos
                .last_checkpoint
                .is_none_or(|(_, t)| entry.at.duration_since(t) >= self.policy.every);
        let checkpoint =
            due.then(|| Checkpoint::sign(&self.key, pos.log_id, entry.seq, entry.hash, entry.at));
        pos.head = Some(crate::store::Head { seq: entry.seq, hash: entry.hash });
        if let Some(c) = &checkpoint {
            pos.last_checkpoint = Some((c.seq, c.at));
        }
        (entry, checkpoint)
    }

    /// A checkpoint of `pos`'s head signed at `at` (for publication or at shutdown); `None`
    /// for an empty log.
    pub fn checkpoint(&self, pos: &Position, at: Timestamp) -> Option<Checkpoint> {
        pos.head.map(|h| Checkpoint::sign(&self.key, pos.log_id, h.seq, h.hash, at))
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.key.verifying_key()
    }
}

struct State {
    pos: Position,
    /// The position above may be behind the store: an append was under way when its future
    /// was dropped (a client gone, a timeout), or it failed after the store may have written
    /// it. The next append reads the position from the store before it seals anything.
    stale: bool,
    /// Whether entries other than witness records came after the last checkpoint: known from
    /// the appends since the log was opened, `None` until then (the store is read once).
    moved: Option<bool>,
}

impl Position {
    /// Reads a log's position from its store.
    pub async fn load<S: Store>(store: &S) -> Result<Position, StoreError> {
        let last = store.checkpoints().await?.into_iter().last();
        Ok(Position {
            log_id: store.log_id().await?,
            head: store.head().await?,
            last_checkpoint: last.map(|c| (c.seq, c.at)),
        })
    }
}

/// An append-only audit log over a [`Store`].
pub struct AuditLog<S> {
    store: S,
    sealer: Sealer,
    state: Mutex<State>,
}

impl<S: Store> AuditLog<S> {
    /// Opens a log, reading its head from the store.
    pub async fn open(
        store: S,
        key: SigningKey,
        policy: CheckpointPolicy,
    ) -> Result<Self, StoreError> {
        let pos = Position::load(&store).await?;
        Ok(AuditLog {
            store,
            sealer: Sealer::new(key, policy),
            state: Mutex::new(State { pos, stale: false, moved: None }),
        })
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
                st.pos = Position::load(&self.store).await?;
                st.moved = None;
            }
            let mut next = st.pos;
            let (entry, checkpoint) = self.sealer.seal(&mut next, event.clone(), at);
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
            let moved = if checkpoint.is_some() {
                Some(false)
            } else if entry.action != crate::witness::WITNESS_ACTION {
                Some(true)
            } else {
                st.moved
            };
            *st = State { pos: next, stale: false, moved };
            return Ok(entry);
        }
    }

    /// A checkpoint of the current head, signed now and stored, for publication. `None` for an
    /// empty log. Stored so that a verifier holding the published copy can tell a checkpoint
    /// deleted from the log ([`crate::Finding::CheckpointRemoved`]).
    pub async fn checkpoint_now(&self) -> Result<Option<Checkpoint>, StoreError> {
        let mut st = self.state.lock().await;
        if st.stale {
            st.pos = Position::load(&self.store).await?;
            st.stale = false;
            st.moved = None;
        }
        let Some(c) = self.sealer.checkpoint(&st.pos, Timestamp::now()) else { return Ok(None) };
        if st.pos.last_checkpoint.is_some_and(|(seq, _)| seq == c.seq) {
            return Ok(self.store.checkpoints().await?.into_iter().last());
        }
        self.store.add_checkpoint(&c).await?;
        st.pos.last_checkpoint = Some((c.seq, c.at));
        st.moved = Some(false);
        Ok(Some(c))
    }

    /// Signs and stores a checkpoint of the head at `at` when entries other than witness records
    /// (which would otherwise answer each other for ever) have been appended since the last
    /// checkpoint; the timer that bounds how long a quiet log stays unsigned. Known from the
    /// appends since the log was opened; the store is read only the first time.
    pub async fn checkpoint_if_moved(
        &self,
        at: Timestamp,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let mut st = self.state.lock().await;
        if st.stale {
            st.pos = Position::load(&self.store).await?;
            st.stale = false;
            st.moved = None;
        }
        let Some(head) = st.pos.head else { return Ok(None) };
        let since = st.pos.last_checkpoint.map_or(0, |(seq, _)| seq);
        if head.seq <= since {
            st.moved = Some(false);
            return Ok(None);
        }
        let moved = match st.moved {
            Some(m) => m,
            None => {
                // In a whole log, entry n is record n.
                let newer = self.store.entries(since, (head.seq - since) as usize).await?;
                newer.iter().any(|e| e.action != crate::witness::WITNESS_ACTION)
            }
        };
        if !moved {
            st.moved = Some(false);
            return Ok(None);
        }
        let c = Checkpoint::sign(&self.sealer.key, st.pos.log_id, head.seq, head.hash, at);
        self.store.add_checkpoint(&c).await?;
        st.pos.last_checkpoint = Some((c.seq, c.at));
        st.moved = Some(false);
        Ok(Some(c))
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.sealer.public_key()
    }
}
