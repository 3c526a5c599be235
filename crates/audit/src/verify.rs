//! Verification of a whole log: the chain, the checkpoints, and the tail against a published
//! checkpoint.

use crate::checkpoint::Checkpoint;
use crate::entry::{Digest, LogId};
use crate::store::{Store, StoreError};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What is wrong with a log. Positions count stored records from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A checkpoint kept outside the log (witnessed or published) is no longer among the log's
    /// own checkpoints: it was deleted.
    CheckpointRemoved {
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
    /// The checkpoint a finding is about (its entry's sequence number), for findings that a
    /// checkpoint raises; `None` for findings about the entries themselves. A checkpoint keeps
    /// its number while the log grows, where the finding's kind may change (a cut tail that
    /// grows back past the checkpoint becomes a mismatch).
    pub fn checkpoint_seq(&self) -> Option<u64> {
        match self {
            Finding::BadSignature { seq }
            | Finding::CheckpointMismatch { seq }
            | Finding::ForeignCheckpoint { seq }
            | Finding::CheckpointRemoved { seq } => Some(*seq),
            Finding::Truncated { published_seq, .. } => Some(*published_seq),
            _ => None,
        }
    }

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
            Finding::CheckpointRemoved { seq } => format!(
                "the checkpoint at entry {seq}, kept outside the log, was deleted from the log's own checkpoints"
            ),
            Finding::Truncated { log_seq, published_seq } => format!(
                "the log ends at entry {log_seq} but a published checkpoint covers entry {published_seq}: its tail was removed"
            ),
        }
    }
}

/// What a verification concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The chain is whole and every checkpoint verifies with the trusted key.
    Verified,
    /// Something was changed: see the findings.
    Tampered,
    /// Nothing wrong was found, but without a trusted key the signatures prove nothing: the
    /// log could have been rewritten and re-signed with another key.
    NotVerified,
}

impl Verdict {
    /// The word printed: `VERIFIED`, `TAMPERED`, `NOT VERIFIED: no trusted key`.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Verified => "VERIFIED",
            Verdict::Tampered => "TAMPERED",
            Verdict::NotVerified => "NOT VERIFIED: no trusted key",
        }
    }
}

/// The verdict on a log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The log's id.
    pub log_id: LogId,
    /// Entries read.
    pub entries: u64,
    /// Last sequence number read.
    pub head_seq: u64,
    /// Its hash.
    pub head_hash: Option<Digest>,
    /// Checkpoints checked (the log's own and those kept outside it).
    pub checkpoints: u64,
    /// Of those, checkpoints kept outside the log (witnessed elsewhere, published).
    pub outside: u64,
    /// The newest entry vouched for by a checkpoint kept outside the log: a tail cut after it
    /// goes unnoticed (the window is the checkpoint interval).
    pub outside_seq: Option<u64>,
    /// The line of a last record cut mid-write (a crash while appending): everything before it
    /// is whole. A crash, not tampering; printed as a note.
    pub crash: Option<u64>,
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

    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        if !self.findings.is_empty() {
            Verdict::Tampered
        } else if !self.trusted_key {
            Verdict::NotVerified
        } else {
            Verdict::Verified
        }
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
    let mut crash = None;
    const PAGE: usize = 1000;
    'read: loop {
        let page = match store.entries(position, PAGE).await {
            Ok(p) => p,
            Err(StoreError::Unreadable { position: at, reason }) => {
                findings.push(Finding::Unreadable { position: at, reason });
                break 'read;
            }
            Err(StoreError::Torn { position: at }) => {
                crash = Some(at);
                break 'read;
            }
            Err(e) => return Err(e),
        };
        if page.is_empty() {
            break;
        }
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
    }
    let head_seq = expected - 1;
    let checkpoints = store.checkpoints().await?;
    let own: std::collections::HashSet<(u64, Digest)> =
        checkpoints.iter().map(|c| (c.seq, c.hash)).collect();
    let mut checked = 0;
    let mut outside_seq = None;
    for (i, c) in checkpoints.iter().chain(published).enumerate() {
        let is_outside = i >= checkpoints.len();
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
            Some(h) if *h == c.hash => {
                if is_outside {
                    outside_seq = outside_seq.max(Some(c.seq));
                    if !own.contains(&(c.seq, c.hash)) {
                        findings.push(Finding::CheckpointRemoved { seq: c.seq });
                    }
                }
            }
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
        outside: published.len() as u64,
        outside_seq,
        crash,
        trusted_key: trusted.is_some(),
        findings,
    })
}
