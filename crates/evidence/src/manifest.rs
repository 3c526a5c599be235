//! `manifest.json`: what was asked, what was delivered, and the proof that every delivered frame
//! is one the camera sent, with none removed (docs/evidence-format.md).

use crate::Error;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use media::chain::{ChainCheckpoint, Gap, LinkInput};
use media::frame::{Leaf, hex32};
use media::merkle::Hash;
use serde::{Deserialize, Serialize};

/// The format identifier. Version 2 (issue 17): the canonical container layout, and the
/// workflow references that bind a package to the request or order it was made for.
pub const FORMAT: &str = "mimamori-evidence/2";
/// Domain separation of the manifest signature.
const SIG_CONTEXT: &[u8] = b"mimamori evidence manifest v1\n";
/// The largest manifest a verifier reads (a day of one camera at 30 fps is ≈ 260 MB; an export
/// is at most a few hours).
pub const MAX_MANIFEST_BYTES: u64 = 512 << 20;

/// The workflow records the package was made for (KIT-6.3, LEDGER-1; issue 17 item 2). A
/// verifier prints them first, so a package replayed for another request names the one it
/// belongs to. The extraction and ledger records are written after the package and hold its
/// `package_id` and manifest hash: the binding runs from them to the package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refs {
    /// Provision request (id).
    pub request: Option<i64>,
    /// The request's number on its forms (e.g. `2026-0012`).
    pub request_number: Option<String>,
    /// Approval certificate number, in profiles that issue one.
    pub approval_certificate: Option<String>,
    /// Instruction executed (id).
    pub instruction: Option<i64>,
    /// Emergency order (police night/holiday path), id.
    pub emergency_order: Option<i64>,
    /// The emergency order's number.
    pub emergency_order_number: Option<String>,
    /// The delegation in force when an emergency extraction ran (id).
    pub delegation: Option<i64>,
    /// The organisation the footage is provided to.
    pub recipient: Option<String>,
}

impl Refs {
    /// One line naming the records, for reports: `request 2026-0012 (id 4), approval
    /// certificate 2026-0003, instruction 9, recipient 川口警察署`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(id) = self.request {
            parts.push(match &self.request_number {
                Some(n) => format!("request {n} (id {id})"),
                None => format!("request id {id}"),
            });
        }
        if let Some(c) = &self.approval_certificate {
            parts.push(format!("approval certificate {c}"));
        }
        if let Some(i) = self.instruction {
            parts.push(format!("instruction {i}"));
        }
        if let Some(id) = self.emergency_order {
            parts.push(match &self.emergency_order_number {
                Some(n) => format!("emergency order {n} (id {id})"),
                None => format!("emergency order id {id}"),
            });
        }
        if let Some(d) = self.delegation {
            parts.push(format!("delegation {d}"));
        }
        if let Some(r) = &self.recipient {
            parts.push(format!("recipient {r}"));
        }
        if parts.is_empty() { "none".to_owned() } else { parts.join(", ") }
    }
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
    /// Who extracted (account: `login (name)`).
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
    /// Adjustments of the recorder's clock inside the delivered range (issue 17 item 3).
    pub clock_steps: Vec<ClockStep>,
}

/// The smallest difference between wall and media time across two frames reported as a
/// clock step.
pub const CLOCK_STEP_MS: i64 = 500;

/// A step of the recorder's wall clock while it recorded: frames after `at_ms` carry wall
/// times `step_ms` away from where a steady clock would have put them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockStep {
    /// When (UTC ms, new clock).
    pub at_ms: i64,
    /// The step: positive when the clock jumped forward.
    pub step_ms: i64,
    /// What the recorder logged about it (e.g. `NTP step`).
    pub cause: String,
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

    /// Steps of the recorder's wall clock between consecutive exported frames: where the wall
    /// times move by more than [`CLOCK_STEP_MS`] more (or less) than the media times, and no
    /// recorded gap explains it. The exporter writes these as `clock_steps`; a verifier
    /// recomputes them from the leaves.
    pub fn derived_clock_steps(&self) -> Result<Vec<ClockStep>, Error> {
        let mut prev: Option<Leaf> = None;
        let mut out = Vec::new();
        for s in &self.segments {
            let l = s.decoded_leaves()?;
            let a = usize::try_from(s.exported_first).unwrap_or(usize::MAX);
            let b = a.saturating_add(usize::try_from(s.exported_count).unwrap_or(usize::MAX));
            let run = l.get(a..b).ok_or_else(|| {
                Error::Manifest(format!("segment {}: exported run out of range", s.seq))
            })?;
            for (k, leaf) in run.iter().enumerate() {
                let after_gap = k == 0 && a == 0 && s.gap_before.is_some();
                if let Some(p) = prev
                    && !after_gap
                {
                    let step = (leaf.wall_ms - p.wall_ms) - (leaf.pts - p.pts) / 90;
                    if step.abs() >= CLOCK_STEP_MS {
                        out.push(ClockStep {
                            at_ms: leaf.wall_ms,
                            step_ms: step,
                            cause: "recorder wall clock adjusted".to_owned(),
                        });
                    }
                }
                prev = Some(*leaf);
            }
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
