//! An append whose future is dropped after the store wrote the entry (a client that went away, a
//! timeout) must not wedge the log: the next append chains onto the entry that landed, and the
//! chain verifies.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use audit::{
    AuditLog, Checkpoint, CheckpointPolicy, Entry, Event, FileStore, Head, LogId, Outcome, Store,
    StoreError, verify,
};
use ed25519_dalek::SigningKey;
use std::sync::Arc;
use std::time::Duration;

/// The real file store, answering only some time after it has written (a slow `fsync`).
struct SlowAnswer(Arc<FileStore>, Duration);

impl Store for SlowAnswer {
    async fn log_id(&self) -> Result<LogId, StoreError> {
        self.0.log_id().await
    }
    async fn head(&self) -> Result<Option<Head>, StoreError> {
        self.0.head().await
    }
    async fn append(&self, e: &Entry, c: Option<&Checkpoint>) -> Result<(), StoreError> {
        self.0.append(e, c).await?;
        tokio::time::sleep(self.1).await;
        Ok(())
    }
    async fn entries(&self, skip: u64, limit: usize) -> Result<Vec<Entry>, StoreError> {
        self.0.entries(skip, limit).await
    }
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.0.checkpoints().await
    }
    async fn add_checkpoint(&self, c: &Checkpoint) -> Result<(), StoreError> {
        self.0.add_checkpoint(c).await
    }
}

fn ev(i: u32) -> Event {
    Event::new(format!("user{i}"), "request.read", format!("request:{i}"), Outcome::Ok)
}

#[tokio::test]
async fn an_append_dropped_after_the_write_does_not_wedge_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_bytes(&[3; 32]);
    let file = Arc::new(FileStore::open(dir.path().join("audit.log")).unwrap());
    let log = AuditLog::open(
        SlowAnswer(file.clone(), Duration::from_millis(200)),
        key.clone(),
        CheckpointPolicy::default(),
    )
    .await
    .unwrap();
    log.append(ev(1)).await.unwrap();
    // Dropped while the store sleeps after writing entry 2.
    let dropped = tokio::time::timeout(Duration::from_millis(20), log.append(ev(2))).await;
    assert!(dropped.is_err(), "the append should still be under way when dropped");
    // The entry landed; the next append must not reuse its number.
    let e3 = log.append(ev(3)).await.unwrap();
    assert_eq!(e3.seq, 3);
    let e4 = log.append(ev(4)).await.unwrap();
    assert_eq!(e4.seq, 4);
    let report = verify(file.as_ref(), Some(&key.verifying_key()), &[]).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries, 4);
}
