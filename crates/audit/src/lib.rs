//! # audit — a tamper-evident, append-only log
//!
//! Every action on footage, accounts, settings and masks in mimamori lands here (SPEC.md §6).
//! Each [`Entry`] carries a sequence number, a timestamp, and the BLAKE3 hash of the entry before
//! it, so editing, deleting, reordering or inserting an entry breaks the chain. Every N entries or
//! M minutes the writer signs a [`Checkpoint`] (Ed25519) of the head; a checkpoint kept
//! elsewhere — witnessed in another log ([`witness`]) or published — also makes removal of the
//! tail detectable.
//!
//! Storage sits behind the small [`Store`] trait: [`FileStore`] (JSON lines) here, a database
//! backend in the `store` crate.
//!
//! ```
//! # tokio_test();
//! # fn tokio_test() { tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use audit::{AuditLog, CheckpointPolicy, Event, FileStore, Outcome, verify};
//! let dir = std::env::temp_dir().join(format!("audit-doc-{}", std::process::id()));
//! let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let log = AuditLog::open(FileStore::open(dir.join("audit.log")).unwrap(), key.clone(), CheckpointPolicy::default()).await.unwrap();
//! log.append(Event::new("u1", "request.approve", "request:1", Outcome::Ok)).await.unwrap();
//! let report = verify(log.store(), Some(&key.verifying_key()), &[]).await.unwrap();
//! assert!(report.is_ok());
//! # std::fs::remove_dir_all(dir).ok(); }) }
//! ```

mod checkpoint;
mod entry;
mod file;
pub mod key;
mod log;
mod store;
mod verify;
pub mod witness;

pub use checkpoint::Checkpoint;
pub use entry::{Digest, Entry, Event, LogId, Outcome};
pub use file::FileStore;
pub use log::{AuditLog, CheckpointPolicy, Position, Sealer};
pub use store::{Head, Store, StoreError};
pub use verify::{Finding, Report, Verdict, verify};
pub use witness::{WITNESS_ACTION, witness_event, witnessed_in};
