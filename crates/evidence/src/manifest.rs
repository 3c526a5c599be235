//! `manifest.json`: what was asked, what was delivered, and the proof that every delivered frame
//! is one the camera sent, with none removed (docs/evidence-format.md).

use crate::Error;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use media::chain::{ChainCheckpoint, Gap, LinkInput};
use media::frame::{Leaf, hex32};
use media::merkle::Hash;
use serde::{Deserialize, Serialize};

/// The format identifier.
pub const FORMAT: &str = "mimamori-evidence/1";
/// Domain separation of the manifest signature.
const SIG_CONTEXT: &[u8] = b"mimamori evidence manifest v1\n";
/// The largest manifest a verifier reads (a day of one camera at 30 fps is ≈ 260 MB; an export
/// is at most a few hours).
pub const MAX_MANIFEST_BYTES: u64 = 512 << 20;

/// Workflow records the package belongs to (KIT-6.3, LEDGER-1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refs {
    /// Provision request.
    pub request: Option<i64>,
    /// Approval (decision on the request).
    pub approval: Option<i64>,
    /// Instruction executed.
    pub instruction: Option<i64>,
    /// Emergency order (police night/holiday path).
    pub emergency_order: Option<i64>,
    /// Extraction record.
    pub extraction: Option<i64>,
    /// Usage ledger entry.
    pub ledger: Option<i64>,
}

/// A time range, UTC ms with its JST rendering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Start, UTC ms.
    pub from_ms: i64,
    /// End, UTC ms.
    pub to_ms: i64,
    /// Start, JST (RFC 3339).
    pub from: String,
    /// End, JST (RFC 3339).
    pub to: String,
}

impl Range {
    /// A range with its JST rendering.
    pub fn new(from_ms: i64, to_ms: i64) -> Range {
        Range { from_ms, to_ms, from: jst(from_ms), to: jst(to_ms) }
    }
}

/// RFC 3339 in JST.
pub fn jst(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => policy::jst::rfc3339(t),
        Err(_) => ms.to_string(),
    }
}

/// The exporting node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Node id.
    pub id: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
}

/// The camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// Camera code.
    pub code: String,
    /// Site (installation place), when known.
    pub site: Option<String>,
}

/// The MP4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Video {
    /// Entry name in the package.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Samples (frames).
    pub samples: u64,
    /// Track timescale (90 000).
    pub timescale: u32,
    /// RFC 6381 codec.
    pub codec: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// SHA-256 of the city certificate in the file's `cert` box, hex.
    pub city_cert_sha256: String,
}

/// One recorded segment that the export touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Sequence number in the camera's chain.
    pub seq: u64,
    /// JST day of its key.
    pub day: String,
    /// Previous link.
    #[serde(with = "hex32")]
    pub prev: Hash,
    /// Merkle root over all its frames' leaves.
    #[serde(with = "hex32")]
    pub root: Hash,
    /// Its chain link.
    #[serde(with = "hex32")]
    pub link: Hash,
    /// Frames in the segment.
    pub frames: u64,
    /// First frame's wall time, UTC ms.
    pub start_ms: i64,
    /// Last frame's wall time, UTC ms.
    pub end_ms: i64,
    /// Gap recorded before it.
    pub gap_before: Option<Gap>,
    /// Every frame's leaf (49 bytes, hex: pts, wall_ms, keyframe, frame hash).
    pub leaves: Vec<String>,
    /// Index of the first frame of this segment in the MP4's slice of it.
    pub exported_first: u64,
    /// How many of its frames are in the MP4 (consecutive from `exported_first`).
    pub exported_count: u64,
}

impl Segment {
    /// The link input this entry claims.
    pub fn link_input(&self, camera: &str) -> LinkInput {
        LinkInput {
            camera: camera.to_owned(),
            seq: self.seq,
            prev: self.prev,
            root: self.root,
            frames: self.frames,
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            gap_before: self.gap_before.clone(),
        }
    }

    /// Decodes the leaves.
    pub fn decoded_leaves(&self) -> Result<Vec<Leaf>, Error> {
        self.leaves
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let b = hex::decode(h).ok();
                b.as_deref().and_then(Leaf::decode).ok_or_else(|| {
                    Error::Manifest(format!("segment {} leaf {i} is not a 49-byte leaf", self.seq))
                })
            })
            .collect()
    }
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// Package id.
    pub package_id: String,
    /// When exported, UTC ms.
    pub created_ms: i64,
    /// When exported, JST.
    pub created: String,
    /// Regulation profile.
    pub profile: String,
    /// Workflow records.
    pub refs: Refs,
    /// Who exported (account).
    pub operator: String,
    /// Exporting node.
    pub node: Node,
    /// Camera.
    pub camera: Camera,
    /// Range asked for.
    pub requested: Range,
    /// Range delivered: first frame (a keyframe at or before the requested start) to last frame.
    pub delivered: Range,
    /// The MP4.
    pub video: Video,
    /// Segments the delivered frames come from, in chain order.
    pub segments: Vec<Segment>,
    /// The chain after the last exported segment up to the first signed checkpoint.
    pub chain_tail: Vec<LinkInput>,
    /// Node checkpoints over links in `segments` or `chain_tail`.
    pub checkpoints: Vec<ChainCheckpoint>,
    /// Recording gaps inside the requested range, with their causes.
    pub gaps: Vec<Gap>,
}

impl Manifest {
    /// The leaves of the exported frames, in MP4 sample order (each segment's exported run).
    pub fn exported_leaves(&self) -> Result<Vec<Leaf>, Error> {
        let mut out = Vec::new();
        for s in &self.segments {
            let l = s.decoded_leaves()?;
            let run = usize::try_from(s.exported_first)
                .ok()
                .zip(usize::try_from(s.exported_first.saturating_add(s.exported_count)).ok())
                .and_then(|(a, b)| l.get(a..b))
                .ok_or_else(|| {
                    Error::Manifest(format!("segment {}: exported run out of range", s.seq))
                })?;
            out.extend_from_slice(run);
        }
        Ok(out)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        let mut v = serde_json::to_vec_pretty(self).map_err(|e| Error::Manifest(e.to_string()))?;
        v.push(b'\n');
        Ok(v)
    }

    /// Parses and checks the format identifier.
    pub fn from_json(b: &[u8]) -> Result<Manifest, Error> {
        let m: Manifest = serde_json::from_slice(b).map_err(|e| Error::Manifest(e.to_string()))?;
        if m.format != FORMAT {
            return Err(Error::Manifest(format!("format {:?}, expected {FORMAT:?}", m.format)));
        }
        Ok(m)
    }
}

/// `manifest.sig`: the hex Ed25519 signature over the exact `manifest.json` bytes.
pub fn sign(key: &SigningKey, manifest_json: &[u8]) -> String {
    let mut msg = SIG_CONTEXT.to_vec();
    msg.extend_from_slice(manifest_json);
    format!("{}\n", hex::encode(key.sign(&msg).to_bytes()))
}

/// Checks `manifest.sig` against the trusted node key.
pub fn verify(key: &VerifyingKey, manifest_json: &[u8], sig_text: &[u8]) -> Result<(), Error> {
    let text = std::str::from_utf8(sig_text)
        .map_err(|_| Error::Signature("manifest.sig is not text".into()))?;
    // Exactly as written: 128 lowercase hex digits and a newline. Nothing in a package may
    // change, not even whitespace (found by the fuzz test).
    let hex_part = text.strip_suffix('\n').unwrap_or("");
    if hex_part.len() != 128 || !hex_part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(Error::Signature(
            "manifest.sig is not one line of 128 lowercase hex digits".into(),
        ));
    }
    let bytes =
        hex::decode(hex_part).map_err(|_| Error::Signature("manifest.sig is not hex".into()))?;
    let sig = Signature::from_slice(&bytes)
        .map_err(|_| Error::Signature("manifest.sig is not an Ed25519 signature".into()))?;
    let mut msg = SIG_CONTEXT.to_vec();
    msg.extend_from_slice(manifest_json);
    key.verify(&msg, &sig).map_err(|_| {
        Error::Signature("the manifest signature does not verify with this key".into())
    })
}

/// SHA-256 fingerprint of a node public key, hex (what the city publishes next to the key).
pub fn fingerprint(key: &VerifyingKey) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(key.to_bytes()))
}
