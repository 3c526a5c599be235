//! Witnessing: each log keeps the other's checkpoints (issue 17, item 6).
//!
//! A checkpoint stored only in the log it signs proves nothing about that log's tail: whoever
//! cuts the tail deletes the checkpoint with it. So the governance server and each recorder node
//! hand each other their newest checkpoint, and each appends the other's as an ordinary entry
//! (`audit.witness`) — chained, and itself checkpointed and witnessed in turn. Cutting one
//! store's tail unnoticed then needs the other store too. The server also publishes its
//! checkpoints (a public page and a file for the yearly report).

use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, Event, LogId, Outcome};
use crate::store::{Store, StoreError};

/// The action of a witness entry.
pub const WITNESS_ACTION: &str = "audit.witness";

/// The entry that records `checkpoint` of another log in this one.
pub fn witness_event(checkpoint: &Checkpoint) -> Event {
    let mut ev = Event::new(
        "system",
        WITNESS_ACTION,
        format!("audit-log:{}", checkpoint.log_id.0.to_hex()),
        Outcome::Ok,
    );
    ev.detail = serde_json::to_value(checkpoint).unwrap_or_default();
    ev
}

/// The checkpoint of `of` that `entry` witnesses, if it is such an entry.
pub fn witnessed_by(entry: &Entry, of: &LogId) -> Option<Checkpoint> {
    if entry.action != WITNESS_ACTION {
        return None;
    }
    let c: Checkpoint = serde_json::from_str(&entry.detail).ok()?;
    (c.log_id == *of).then_some(c)
}

/// Every checkpoint of `of` witnessed in `store`, oldest first. Reads as far as the log is
/// readable: a damaged witness log still yields what it holds.
pub async fn witnessed_in<S: Store>(store: &S, of: &LogId) -> Result<Vec<Checkpoint>, StoreError> {
    const PAGE: usize = 1000;
    let mut out = Vec::new();
    let mut skip = 0u64;
    loop {
        let page = match store.entries(skip, PAGE).await {
            Ok(p) => p,
            Err(StoreError::Unreadable { .. } | StoreError::Torn { .. }) => break,
            Err(e) => return Err(e),
        };
        if page.is_empty() {
            break;
        }
        skip += page.len() as u64;
        out.extend(page.iter().filter_map(|e| witnessed_by(e, of)));
    }
    Ok(out)
}
