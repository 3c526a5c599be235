//! The per-camera chain: each sealed segment's Merkle root linked to the previous segment's
//! link, with any recorded gap before it, so that removing, reordering or inserting a segment is
//! detectable; the node signs checkpoints of the chain head.

use crate::merkle::Hash;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// A recorded gap: no footage between `start_ms` and `end_ms`, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Start, UTC ms.
    pub start_ms: i64,
    /// End, UTC ms.
    pub end_ms: i64,
    /// Cause (`camera unreachable`, `recorder stopped`, `disk full`…).
    pub cause: String,
}

/// What a chain link binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInput {
    /// Camera code.
    pub camera: String,
    /// Segment sequence number within the camera (1, 2, …; never reused).
    pub seq: u64,
    /// The previous link (or [`genesis`]).
    #[serde(with = "crate::frame::hex32")]
    pub prev: Hash,
    /// The segment's Merkle root.
    #[serde(with = "crate::frame::hex32")]
    pub root: Hash,
    /// Frame count.
    pub frames: u64,
    /// First frame's wall time, UTC ms.
    pub start_ms: i64,
    /// Last frame's wall time, UTC ms.
    pub end_ms: i64,
    /// A gap recorded between the previous segment and this one.
    pub gap_before: Option<Gap>,
}

fn put(h: &mut blake3::Hasher, s: &[u8]) {
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s);
}

/// The first `prev` of a camera's chain on a node.
pub fn genesis(camera: &str, node: &str) -> Hash {
    let mut h = blake3::Hasher::new_derive_key("mimamori chain genesis v1");
    put(&mut h, camera.as_bytes());
    put(&mut h, node.as_bytes());
    *h.finalize().as_bytes()
}

impl LinkInput {
    /// The link hash.
    pub fn link(&self) -> Hash {
        let mut h = blake3::Hasher::new_derive_key("mimamori chain link v1");
        put(&mut h, self.camera.as_bytes());
        h.update(&self.seq.to_le_bytes());
        h.update(&self.prev);
        h.update(&self.root);
        h.update(&self.frames.to_le_bytes());
        h.update(&self.start_ms.to_le_bytes());
        h.update(&self.end_ms.to_le_bytes());
        match &self.gap_before {
            None => {
                h.update(&[0]);
            }
            Some(g) => {
                h.update(&[1]);
                h.update(&g.start_ms.to_le_bytes());
                h.update(&g.end_ms.to_le_bytes());
                put(&mut h, g.cause.as_bytes());
            }
        }
        *h.finalize().as_bytes()
    }
}

/// A node's signature over a camera's chain head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCheckpoint {
    /// Camera code.
    pub camera: String,
    /// Sequence number of the segment whose link is signed.
    pub seq: u64,
    /// That link.
    #[serde(with = "crate::frame::hex32")]
    pub link: Hash,
    /// When signed, UTC ms.
    pub at_ms: i64,
    /// Ed25519 public key of the node, hex.
    pub public_key: String,
    /// Signature, hex.
    pub signature: String,
}

impl ChainCheckpoint {
    fn message(camera: &str, seq: u64, link: &Hash, at_ms: i64) -> Vec<u8> {
        let mut m = b"mimamori chain checkpoint v1\n".to_vec();
        m.extend_from_slice(&(camera.len() as u64).to_le_bytes());
        m.extend_from_slice(camera.as_bytes());
        m.extend_from_slice(&seq.to_le_bytes());
        m.extend_from_slice(link);
        m.extend_from_slice(&at_ms.to_le_bytes());
        m
    }

    /// Signs a chain head.
    pub fn sign(key: &SigningKey, camera: &str, seq: u64, link: Hash, at_ms: i64) -> Self {
        let sig = key.sign(&Self::message(camera, seq, &link, at_ms));
        ChainCheckpoint {
            camera: camera.to_owned(),
            seq,
            link,
            at_ms,
            public_key: hex::encode(key.verifying_key().to_bytes()),
            signature: hex::encode(sig.to_bytes()),
        }
    }

    /// Verifies with a trusted key.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else { return false };
        let Ok(sig) = Signature::from_slice(&bytes) else { return false };
        self.public_key == hex::encode(key.to_bytes())
            && key
                .verify(&Self::message(&self.camera, self.seq, &self.link, self.at_ms), &sig)
                .is_ok()
    }
}
