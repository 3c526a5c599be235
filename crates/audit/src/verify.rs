//! Verification of a whole log: the chain, the checkpoints, and the tail against a published
//! checkpoint.

use crate::checkpoint::Checkpoint;
use crate::entry::{Digest, LogId};
use crate::store::{Store, StoreError};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use std::collections::HashMap;

/// What is wrong with a log. Positions count stored records from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A stored record cannot be parsed.
    Unreadable {
        /// Line or row.
        position: u64,
        /// Why.
        reason: String,
    },
    /// An entry's fields do not match its hash: it was edited.
    Edited {
        /// The entry.
        seq: u64,
    },
    /// Entries are missing before this one: deleted.
    Missing {
        /// First missing sequence number.
        from: u64,
        /// Last missing sequence number.
        to: u64,
    },
    /// The entry repeats or precedes an earlier sequence number: inserted or reordered.
    OutOfOrder {
        /// Stored position.
        position: u64,
        /// The sequence number found.
        seq: u64,
        /// The one expected.
        expected: u64,
    },
    /// The entry's `prev_hash` is not the previous entry's hash: the chain was rewritten.
    BrokenLink {
        /// The entry.
        seq: u64,
    },
    /// A checkpoint's signature does not verify with the trusted key.
    BadSignature {
        /// The checkpoint's sequence number.
        seq: u64,
    },
    /// A checkpoint vouches for a different hash than the entry has: history rewritten.
    CheckpointMismatch {
        /// The sequence number.
        seq: u64,
    },
    /// A checkpoint names another log.
    ForeignCheckpoint {
        /// The sequence number.
        seq: u64,
    },
    /// The log ends before a published checkpoint: its tail was removed.
    Truncated {
        /// Last entry in the log.
        log_seq: u64,
        /// The published checkpoint's entry.
        published_seq: u64,
    },
}

impl Finding {
    /// A plain sentence.
    pub fn describe(&self) -> String {
        match self {
            Finding::Unreadable { position, reason } => {
                format!("record {position} is unreadable ({reason})")
            }
            Finding::Edited { seq } => {
                format!("entry {seq} was edited: its contents do not match its hash")
            }
            Finding::Missing { from, to } if from == to => {
                format!("entry {from} is missing (deleted)")
            }
            Finding::Missing { from, to } => format!("entries {from}–{to} are missing (deleted)"),
            Finding::OutOfOrder { position, seq, expected } => format!(
                "record {position} holds entry {seq} where entry {expected} was expected (inserted or reordered)"
            ),
            Finding::BrokenLink { seq } => {
                format!("entry {seq} does not link to the entry before it (chain rewritten)")
            }
            Finding::BadSignature { seq } => format!(
                "the checkpoint at entry {seq} has a signature that does not verify with the trusted key"
            ),
            Finding::CheckpointMismatch { seq } => format!(
                "the signed checkpoint at entry {seq} vouches for a different entry (history rewritten)"
            ),
            Finding::ForeignCheckpoint { seq } => {
                format!("the checkpoint at entry {seq} belongs to another log")
            }
            Finding::Truncated { log_seq, published_seq } => format!(
                "the log ends at entry {log_seq} but a published checkpoint covers entry {published_seq}: its tail was removed"
            ),
        }
    }
}

/// The verdict on a log.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The log's id.
    pub log_id: LogId,
    /// Entries read.
    pub entries: u64,
    /// Last sequence number read.
    pub head_seq: u64,
    /// Its hash.
    pub head_hash: Option<Digest>,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Whether signatures were checked against a trusted key (not only the embedded one).
    pub trusted_key: bool,
    /// Everything wrong, in log order; the first is the first bad entry.
    pub findings: Vec<Finding>,
}

impl Report {
    /// No findings.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Verifies the whole log in `store`.
///
/// `trusted` is the published public key; without it, checkpoints are checked against the key
/// they embed, which proves only internal consistency (the report says so). `published` are
/// checkpoints obtained outside the log (exported earlier): the log must still reach them.
pub async fn verify<S: Store>(
    store: &S,
    trusted: Option<&VerifyingKey>,
    published: &[Checkpoint],
) -> Result<Report, StoreError> {
    let log_id = store.log_id().await?;
    let mut findings = Vec::new();
    let mut hashes: HashMap<u64, Digest> = HashMap::new();
    let mut expected = 1u64;
    let mut prev = log_id.genesis();
    let mut position = 0u64;
    let mut count = 0u64;
    let mut head_hash = None;
    const PAGE: usize = 1000;
    'read: loop {
        let page = match store.entries(position, PAGE).await {
            Ok(p) => p,
            Err(StoreError::Unreadable { position: at, reason }) => {
                findings.push(Finding::Unreadable { position: at, reason });
                break 'read;
            }
            Err(e) => return Err(e),
        };
        let n = page.len();
        for e in page {
            position += 1;
            count += 1;
            if e.compute_hash() != e.hash {
                findings.push(Finding::Edited { seq: e.seq });
            }
            if e.seq > expected {
                findings.push(Finding::Missing { from: expected, to: e.seq - 1 });
            } else if e.seq < expected {
                findings.push(Finding::OutOfOrder { position, seq: e.seq, expected });
            }
            if e.prev_hash != prev && e.seq >= expected {
                // A missing entry already explains a broken link after a gap.
                if e.seq == expected {
                    findings.push(Finding::BrokenLink { seq: e.seq });
                }
            }
            hashes.entry(e.seq).or_insert(e.hash);
            prev = e.hash;
            head_hash = Some(e.hash);
            expected = expected.max(e.seq + 1);
        }
        if n < PAGE {
            break;
        }
    }
    let head_seq = expected - 1;
    let checkpoints = store.checkpoints().await?;
    let mut checked = 0;
    for c in checkpoints.iter().chain(published) {
        checked += 1;
        if c.log_id != log_id {
            findings.push(Finding::ForeignCheckpoint { seq: c.seq });
            continue;
        }
        let key = trusted.copied().or_else(|| c.embedded_key());
        if !key.is_some_and(|k| c.verify(&k)) {
            findings.push(Finding::BadSignature { seq: c.seq });
            continue;
        }
        match hashes.get(&c.seq) {
            Some(h) if *h == c.hash => {}
            Some(_) => findings.push(Finding::CheckpointMismatch { seq: c.seq }),
            None if c.seq > head_seq => {
                findings.push(Finding::Truncated { log_seq: head_seq, published_seq: c.seq })
            }
            None => findings.push(Finding::Missing { from: c.seq, to: c.seq }),
        }
    }
    findings.dedup();
    Ok(Report {
        log_id,
        entries: count,
        head_seq,
        head_hash,
        checkpoints: checked,
        trusted_key: trusted.is_some(),
        findings,
    })
}
