//! Signed checkpoints: a node's signature over the chain head at a sequence number.

use crate::entry::{Digest, LogId};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A signed statement "entry `seq` of log `log_id` has hash `hash`".
///
/// Published checkpoints (in the yearly report, say) make truncation of the log detectable:
/// a log that no longer reaches `seq` with `hash` has lost its tail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The log.
    pub log_id: LogId,
    /// Sequence number of the entry covered.
    pub seq: u64,
    /// That entry's hash.
    pub hash: Digest,
    /// When the checkpoint was made (millisecond precision).
    pub at: Timestamp,
    /// The signer's Ed25519 public key, hex.
    pub public_key: String,
    /// Ed25519 signature over [`Checkpoint::message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// The bytes that are signed.
    pub fn message(log_id: &LogId, seq: u64, hash: &Digest, at: Timestamp) -> Vec<u8> {
        let mut m = b"mimamori audit checkpoint v1\n".to_vec();
        m.extend_from_slice(&log_id.0.0);
        m.extend_from_slice(&seq.to_le_bytes());
        m.extend_from_slice(&hash.0);
        m.extend_from_slice(&at.as_millisecond().to_le_bytes());
        m
    }

    /// Signs the head `(seq, hash)` of `log_id` at `at`.
    pub fn sign(
        key: &SigningKey,
        log_id: LogId,
        seq: u64,
        hash: Digest,
        at: Timestamp,
    ) -> Checkpoint {
        let at = Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at);
        let sig = key.sign(&Self::message(&log_id, seq, &hash, at));
        Checkpoint {
            log_id,
            seq,
            hash,
            at,
            public_key: hex::encode(key.verifying_key().to_bytes()),
            signature: hex::encode(sig.to_bytes()),
        }
    }

    /// Checks the signature with `key` (a trusted, published key — not the one inside the
    /// checkpoint, which anyone could replace).
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Ok(sig_bytes) = hex::decode(&self.signature) else { return false };
        let Ok(sig) = Signature::from_slice(&sig_bytes) else { return false };
        key.verify(&Self::message(&self.log_id, self.seq, &self.hash, self.at), &sig).is_ok()
            && self.public_key == hex::encode(key.to_bytes())
    }

    /// The signer key embedded in the checkpoint, if well formed.
    pub fn embedded_key(&self) -> Option<VerifyingKey> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(&self.public_key, &mut b).ok()?;
        VerifyingKey::from_bytes(&b).ok()
    }
}
