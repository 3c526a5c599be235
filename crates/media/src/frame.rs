//! Frames (access units) and the hashes that attest to them.

use crate::merkle::{self, Hash};
use serde::{Deserialize, Serialize};

/// One access unit as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Presentation time on the camera's media clock (RTP timestamp extended to 64 bits), in
    /// units of the stream's clock rate.
    pub pts: i64,
    /// The node's wall clock when the frame was received, UTC milliseconds (see docs/time.md).
    pub wall_ms: i64,
    /// A random-access point (IDR for H.264, IRAP for H.265).
    pub keyframe: bool,
    /// The access unit: NAL units each preceded by a 4-byte big-endian length (AVCC/HVCC form),
    /// exactly as an MP4 sample carries it.
    pub data: Vec<u8>,
}

/// BLAKE3 of a frame's bytes (the MP4 sample), domain-separated.
pub fn frame_hash(data: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key("mimamori frame v1");
    h.update(data);
    *h.finalize().as_bytes()
}

/// What a Merkle leaf binds: when the frame was shown and received, whether it is a keyframe,
/// and its hash. 49 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaf {
    /// Media timestamp.
    pub pts: i64,
    /// Wall clock, UTC ms.
    pub wall_ms: i64,
    /// Keyframe.
    pub keyframe: bool,
    /// [`frame_hash`] of the data.
    #[serde(with = "hex32")]
    pub hash: Hash,
}

impl Leaf {
    /// The leaf of a frame.
    pub fn of(frame: &Frame) -> Leaf {
        Leaf {
            pts: frame.pts,
            wall_ms: frame.wall_ms,
            keyframe: frame.keyframe,
            hash: frame_hash(&frame.data),
        }
    }

    /// The bytes hashed as the Merkle leaf.
    pub fn encode(&self) -> [u8; 49] {
        let mut b = [0u8; 49];
        b[..8].copy_from_slice(&self.pts.to_le_bytes());
        b[8..16].copy_from_slice(&self.wall_ms.to_le_bytes());
        b[16] = u8::from(self.keyframe);
        b[17..].copy_from_slice(&self.hash);
        b
    }

    /// Parses [`Leaf::encode`] output.
    pub fn decode(b: &[u8]) -> Option<Leaf> {
        if b.len() != 49 || b[16] > 1 {
            return None;
        }
        Some(Leaf {
            pts: i64::from_le_bytes(b[..8].try_into().ok()?),
            wall_ms: i64::from_le_bytes(b[8..16].try_into().ok()?),
            keyframe: b[16] == 1,
            hash: b[17..].try_into().ok()?,
        })
    }

    /// Its Merkle leaf hash.
    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.encode())
    }
}

/// The Merkle root over a segment's leaves.
pub fn segment_root(leaves: &[Leaf]) -> Hash {
    let hashes: Vec<Hash> = leaves.iter().map(Leaf::leaf_hash).collect();
    merkle::root(&hashes)
}

/// Serde helper: a 32-byte array as hex.
pub mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialise.
    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Deserialise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}
