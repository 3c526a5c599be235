//! # node — what the governance server may ask a recorder
//!
//! The governance server never links a recorder: it holds `Arc<dyn Node>` values and asks them
//! through this one trait. The recorder in the same process implements it (`recorder::LocalNode`);
//! a recorder on another machine is a second implementation of the same trait, with the same
//! typed answers and errors.
//!
//! What crosses the seam is what ALL-REC-2 allows: per-camera status (never a picture), an
//! evidence package made for an extraction, a still taken under a recorded grant, recorded
//! footage (never live) for a viewing the server recorded and bounded (issue 20), the privacy
//! masks to burn in (ASA-2.1), the holds that stay erasure (SAK-8), the facts the yearly report
//! needs (KIT-8), the footage keys a disposal waits on (ASA-3.3d, KIT-5.7), and the audit
//! checkpoints the two logs witness of each other (issue 17).

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

pub use geometry::Polygon;

pub mod sealed;

/// The future a [`Node`] answers with: owned, so a remote node can answer over the network.
pub type NodeFuture<T> = BoxFuture<'static, Result<T, NodeError>>;

/// Why a node could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The node does not record this camera: ask the node that does.
    #[error("camera {0} is not recorded by this node")]
    NotRecorded(String),
    /// The records refuse it — nothing recorded in the range, already erased, no frame inside,
    /// an unusable encryption recipient: a conflict with the records, not a fault.
    #[error("{0}")]
    Refused(String),
    /// The node failed (storage, its audit log, a codec): a fault to look into.
    #[error("{0}")]
    Failed(String),
    /// The node could not be reached.
    #[error("the recorder node cannot be reached: {0}")]
    Unreachable(String),
}

impl NodeError {
    /// A node fault, from anything that displays.
    pub fn failed(e: impl fmt::Display) -> NodeError {
        NodeError::Failed(e.to_string())
    }

    /// Whether the records refused it (as opposed to the node failing).
    pub fn is_refusal(&self) -> bool {
        matches!(self, NodeError::NotRecorded(_) | NodeError::Refused(_))
    }
}

/// A camera's recording state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraState {
    /// Connecting (or waiting to reconnect).
    Connecting,
    /// Receiving and writing frames.
    Recording,
    /// Not recording, with the cause.
    Error,
    /// The disk is full: frames are dropped until space returns; nothing recorded is deleted.
    DiskFull,
    /// The recorder is stopping or stopped.
    Stopped,
}

/// What a node says about one camera — and nothing more: no live view (ALL-REC-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraStatus {
    /// Camera code.
    pub camera: String,
    /// State.
    pub state: CameraState,
    /// Why, when not recording.
    pub detail: String,
    /// Since when (UTC ms).
    pub since_ms: i64,
    /// Last frame received (UTC ms).
    pub last_frame_ms: Option<i64>,
    /// Frames written since start.
    pub frames: u64,
    /// Bytes of access units written since start.
    pub bytes: u64,
    /// Recent bitrate, bits/s.
    pub bitrate_bps: u64,
    /// Sequence number of the open segment.
    pub segment: Option<u64>,
    /// Gaps recorded today (JST).
    pub gaps_today: u32,
    /// Frames dropped (before the first keyframe, during a full disk).
    pub dropped: u64,
    /// RTP packets the camera sent that never arrived.
    pub lost_packets: u64,
    /// Malformed packets skipped (each cost its packet, not the session).
    pub bad_packets: u64,
    /// Times the stream was lost and connected to again since start.
    #[serde(default)]
    pub reconnects: u64,
    /// Where the camera's privacy masks are applied now, and why (issue 24, item 2).
    #[serde(default)]
    pub masks: MaskMode,
}

/// Where a camera's privacy masks are applied (PROD-MASK-1: by the camera where it can, verified
/// in its pictures; burned in by the recorder where it cannot or does not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum MaskMode {
    /// The camera has no masks.
    #[default]
    None,
    /// The recorder burns them in.
    Recorder {
        /// Why not at the camera.
        why: BurnInReason,
    },
    /// The camera masks them itself; its pictures last showed it at `verified_ms` (UTC ms).
    Camera {
        /// When a keyframe last showed every masked macroblock black.
        verified_ms: i64,
    },
}

/// Why the recorder burns a camera's masks in rather than leaving them to the camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BurnInReason {
    /// The camera is configured without an ONVIF service: it cannot mask by itself.
    Configured,
    /// Set on the camera, not yet seen in its pictures.
    NotYetSeen,
    /// The camera cannot take the masks (no Media2 masks, too many, other outlines read back).
    CameraCannot {
        /// The camera's answer.
        detail: String,
    },
    /// The camera could not be asked over ONVIF.
    Unreachable {
        /// What failed.
        detail: String,
    },
    /// Its keyframe showed `not_black` of the `checked` masked macroblocks.
    NotMasked {
        /// Macroblocks not uniform black.
        not_black: usize,
        /// Macroblocks wholly inside a mask.
        checked: usize,
    },
    /// No whole macroblock lies inside a mask, so the camera's pictures cannot show it.
    TooSmall,
    /// The camera's keyframe could not be decoded or checked.
    Unchecked {
        /// What failed.
        detail: String,
    },
}

impl std::fmt::Display for BurnInReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BurnInReason::Configured => write!(f, "the camera cannot mask (no ONVIF service)"),
            BurnInReason::NotYetSeen => write!(f, "not yet seen in the camera's pictures"),
            BurnInReason::CameraCannot { detail } => write!(f, "the camera cannot mask: {detail}"),
            BurnInReason::Unreachable { detail } => {
                write!(f, "the camera could not be asked over ONVIF: {detail}")
            }
            BurnInReason::NotMasked { not_black, checked } => {
                write!(f, "the camera's picture shows {not_black} of {checked} masked macroblocks")
            }
            BurnInReason::TooSmall => write!(f, "the masks are too small to check"),
            BurnInReason::Unchecked { detail } => {
                write!(f, "the camera's keyframe could not be checked: {detail}")
            }
        }
    }
}

impl CameraStatus {
    /// A camera the node has just begun to connect to at `now` (UTC ms).
    pub fn connecting(camera: &str, now: i64) -> CameraStatus {
        CameraStatus {
            camera: camera.to_owned(),
            state: CameraState::Connecting,
            detail: String::new(),
            since_ms: now,
            last_frame_ms: None,
            frames: 0,
            bytes: 0,
            bitrate_bps: 0,
            segment: None,
            gaps_today: 0,
            dropped: 0,
            lost_packets: 0,
            bad_packets: 0,
            reconnects: 0,
            masks: MaskMode::None,
        }
    }
}

/// What to export: one camera's footage under an instruction or an emergency order. It crosses
/// to a remote node as JSON inside mutual TLS (issue 21).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportJob {
    /// Camera code.
    pub camera: String,
    /// Site name, when known.
    pub site: Option<String>,
    /// Range asked, UTC ms.
    pub from_ms: i64,
    /// End of the range asked.
    pub to_ms: i64,
    /// Who exports: `login (name)`.
    pub operator: String,
    /// The workflow records the package is made for (signed into its manifest).
    pub refs: evidence::manifest::Refs,
    /// Encryption to the recipient.
    pub encryption: Option<ExportEncryption>,
}

/// Encryption of a package (age): a passphrase handed over separately, or X25519 recipients.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportEncryption {
    /// Passphrase.
    Passphrase(String),
    /// `age1…` recipients.
    Recipients(Vec<String>),
}

impl fmt::Debug for ExportEncryption {
    // A passphrase never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportEncryption::Passphrase(_) => f.write_str("Passphrase(…)"),
            ExportEncryption::Recipients(r) => f.debug_tuple("Recipients").field(r).finish(),
        }
    }
}

/// A package an export produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedPackage {
    /// Package id.
    pub id: String,
    /// Camera code.
    pub camera: String,
    /// Where the file is.
    pub path: std::path::PathBuf,
    /// SHA-256 of its manifest, hex.
    pub manifest_sha256: String,
    /// File size.
    pub bytes: u64,
    /// Frames.
    pub frames: u64,
    /// Range delivered, UTC ms.
    pub delivered: (i64, i64),
    /// Encrypted to the recipient.
    pub encrypted: bool,
}

/// A still: a PNG of one stored keyframe, and when it was recorded.
#[derive(Clone, PartialEq, Eq)]
pub struct Still {
    /// The PNG.
    pub png: Vec<u8>,
    /// When the keyframe was recorded, UTC ms.
    pub recorded_ms: i64,
}

impl fmt::Debug for Still {
    // A picture never reaches a log: its size only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Still")
            .field("png_bytes", &self.png.len())
            .field("recorded_ms", &self.recorded_ms)
            .finish()
    }
}

/// What a viewing asks to play (issue 20): from `from_ms` on, about `length_ms` of `camera`'s
/// footage, never outside `range` (the viewing's recorded range, UTC ms). The media timeline
/// starts at `origin_ms` (the range's start), so the player's clock is the recording's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaybackAsk<'a> {
    /// Camera code.
    pub camera: &'a str,
    /// Play from here (UTC ms); the chunk starts at the keyframe at or before it, or the next.
    pub from_ms: i64,
    /// About this much footage (ms), cut at a keyframe.
    pub length_ms: i64,
    /// The viewing's range: nothing outside it is served.
    pub range: (i64, i64),
    /// Wall time at media time zero.
    pub origin_ms: i64,
}

/// A piece of recorded footage for playback in an authorised viewing (issue 20): a fragmented
/// MP4 initialisation segment and fragments of the recorded access units (masks burned in as
/// recorded; never re-encoded).
#[derive(Clone, PartialEq, Eq)]
pub struct PlaybackChunk {
    /// RFC 6381 codec string (`avc1.640028`), for the player's buffer.
    pub codec: String,
    /// `ftyp` + `moov`.
    pub init: Vec<u8>,
    /// `moof` + `mdat` fragments.
    pub media: Vec<u8>,
    /// Wall time of the first frame served (UTC ms).
    pub start_ms: i64,
    /// Where the next chunk starts (UTC ms): the next keyframe, or the end of what was served.
    pub end_ms: i64,
    /// Frames served.
    pub frames: u32,
    /// Nothing is recorded after this chunk within the range.
    pub complete: bool,
}

impl fmt::Debug for PlaybackChunk {
    // Footage never reaches a log: sizes and times only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaybackChunk")
            .field("codec", &self.codec)
            .field("media_bytes", &self.media.len())
            .field("start_ms", &self.start_ms)
            .field("end_ms", &self.end_ms)
            .field("frames", &self.frames)
            .field("complete", &self.complete)
            .finish()
    }
}

/// The key of one camera-day of footage on a node: while it exists, the day can be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FootageKey {
    /// Camera code.
    pub camera: String,
    /// The JST day the key encrypts (`YYYY-MM-DD`).
    pub day: String,
}

impl fmt::Display for FootageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.camera, self.day)
    }
}

/// A hold the governance store has in force: footage of `camera` within the range is not
/// erased until `until_ms` (SAK-8, KAW-2.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The hold's id in the governance store.
    pub id: i64,
    /// Camera code.
    pub camera: String,
    /// Start of the footage held, UTC ms.
    pub range_from: i64,
    /// End of the footage held, UTC ms.
    pub range_to: i64,
    /// Held until (UTC ms): its end, or its release when released earlier.
    pub until_ms: i64,
}

/// A camera the centre assigns to a node (issue 21): what to record, from where (the
/// registry's stream address, and its credentials sealed to this node), under which retention
/// and masks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Camera code.
    pub camera: String,
    /// `rtsp://host/path`, without credentials.
    pub url: String,
    /// Its retention period (its own, its owner's or the profile's).
    pub retention: policy::retention::Period,
    /// The registry's mask version the recorder burns in (0: none).
    pub mask_version: i64,
    /// Its polygons.
    pub masks: Vec<Polygon>,
    /// The camera's user and password sealed to this node's key ([`sealed`]), if it asks for
    /// them; only the node can open them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    /// The camera's ONVIF Media2 service, when it masks at the source: the node sets `masks`
    /// there and checks them in its pictures, burning them in whenever they are not seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onvif: Option<String>,
}

/// One erasure a node made (E3), as the centre receives it: `seq` is the node's own order, so
/// the centre asks for what came after the last one it has and misses none made while it
/// could not ask (issue 21, item 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    /// The node's sequence number of the erasure (1, 2, …).
    pub seq: i64,
    /// Camera code.
    pub camera: String,
    /// The JST day erased (`YYYY-MM-DD`, or `DAY+holdN` for footage a hold had kept).
    pub day: String,
    /// Segments erased.
    pub segments: i64,
    /// Frames erased.
    pub frames: i64,
    /// Bytes erased.
    pub bytes: i64,
    /// When, by the node's clock (UTC ms).
    pub erased_at_ms: i64,
}

/// A gap in a camera's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Camera code.
    pub camera: String,
    /// Start, UTC ms.
    pub start_ms: i64,
    /// End, UTC ms, or `None` while it lasts.
    pub end_ms: Option<i64>,
}

/// A node's records for the yearly report (KIT-8): what it recorded, missed and erased.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFacts {
    /// Gaps overlapping the period.
    pub gaps: Vec<Gap>,
    /// When each camera was first recorded on this node (UTC ms).
    pub first_recorded: HashMap<String, i64>,
    /// Camera-days erased in the period.
    pub erased_camera_days: u64,
}

/// A machine's clock as its kernel reports it (IEC 62676-1's time synchronisation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClockReport {
    /// Synchronised to a time source.
    pub synchronised: bool,
    /// Worst-case error (ms).
    pub max_error_ms: f64,
    /// Estimated error (ms).
    pub est_error_ms: f64,
    /// Offset still being slewed away (ms).
    pub offset_ms: f64,
    /// The machine's time when it reported (UTC ms): the centre compares it with its own.
    pub at_ms: i64,
}

/// How a node's storage and clock stand, for its operators (issue 22, items 3 and 7). No picture
/// and no camera's content: sizes, counts and instants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeHealth {
    /// Free space on the data directory's file system (bytes), when it could be read.
    pub disk_free_bytes: Option<u64>,
    /// Start of the oldest footage held (UTC ms).
    pub oldest_footage_ms: Option<i64>,
    /// Sealed segments held.
    pub segments: u64,
    /// Bytes of sealed segments held.
    pub footage_bytes: u64,
    /// Footage keys held (camera-days not yet erased).
    pub keys_held: u64,
    /// Camera-days erased (keys destroyed), ever.
    pub erased_camera_days: u64,
    /// The node's clock, when its system can say.
    #[serde(default)]
    pub clock: Option<ClockReport>,
}

/// A recorder node, as the governance server may ask it. Every method is asked on behalf of a
/// decision the server has already made and recorded: the node does not decide who may.
pub trait Node: Send + Sync {
    /// The node's id (named in disposals and audit entries).
    fn id(&self) -> &str;

    /// Whether this node records `camera`.
    fn records(&self, camera: &str) -> bool;

    /// Every camera's status; never a picture (ALL-REC-2).
    fn status(&self) -> NodeFuture<Vec<CameraStatus>>;

    /// Exports one camera's range into an evidence package: the only way footage leaves
    /// (ALL-REC-2).
    fn export(&self, job: ExportJob) -> NodeFuture<ExportedPackage>;

    /// A PNG of a stored keyframe of `camera`: the newest segment's first keyframe, or the
    /// first keyframe within `within` (UTC ms). The still for checking aim and masks; the
    /// server decides whether it may be taken (ALL-REC-2).
    fn still(&self, camera: &str, within: Option<(i64, i64)>) -> NodeFuture<Still>;

    /// Hands a camera's new privacy-mask version to the node, which burns it in from the next
    /// keyframe (ASA-2.1). Fails with [`NodeError::NotRecorded`] for a camera it does not record.
    fn set_masks(&self, camera: &str, version: i64, polygons: Vec<Polygon>) -> NodeFuture<()>;

    /// Changes where `camera`'s masks are applied (PROD-MASK-1, issue 24): at the camera
    /// through its ONVIF Media2 service `onvif` — burned in until a keyframe of the camera's
    /// own shows them — or, with `None`, burned in by the recorder. Takes effect at the next
    /// keyframe without interrupting the recording. Fails with [`NodeError::NotRecorded`] for
    /// a camera the node does not record.
    fn set_masks_source(&self, camera: &str, onvif: Option<String>) -> NodeFuture<()>;

    /// A chunk of `ask.camera`'s recorded footage for playback in a viewing the server has
    /// recorded and checked (issue 20). Footage past its erase instant is not served.
    fn playback(&self, ask: PlaybackAsk<'_>) -> NodeFuture<PlaybackChunk>;

    /// What `camera` recorded in `[from_ms, to_ms)` and still holds: the spans without a gap
    /// (UTC ms), for the player's timeline.
    fn recorded(&self, camera: &str, from_ms: i64, to_ms: i64) -> NodeFuture<Vec<(i64, i64)>>;

    /// Sets the retention period the node's erasure applies to `camera` from now on (SAK-9: a
    /// facility changed its own period). The node checks it against the profile's bounds and
    /// records the change in its own audit log. Fails with [`NodeError::NotRecorded`] for a
    /// camera it does not record.
    fn set_retention(&self, camera: &str, period: policy::retention::Period) -> NodeFuture<()>;

    /// Replaces the cameras the centre assigns to this node (issue 21): a camera new to the list
    /// starts recording now, one gone from it stops (what it recorded stays and is erased on
    /// schedule), a changed address restarts it; masks and retention of the others follow the
    /// list. Cameras the node was configured with locally are not touched. The node keeps the
    /// list, so it records the same cameras after a restart while the centre is unreachable.
    /// Answers the cameras it records now.
    fn set_cameras(&self, cameras: Vec<Assignment>) -> NodeFuture<Vec<String>>;

    /// Replaces the holds the node's erasure obeys (the governance store's, in force now). The
    /// node keeps the last copy, so erasure keeps its schedule while the store is unreachable.
    fn set_holds(&self, holds: Vec<Hold>) -> NodeFuture<()>;

    /// The footage keys still on the node: a disposal waits until none is left (ASA-3.3d,
    /// KIT-5.7).
    fn live_keys(&self) -> NodeFuture<Vec<FootageKey>>;

    /// How the node's storage stands (disk, footage, keys, erasures) and its clock; reads the
    /// node's index (for `/metrics`, not for every page view).
    fn health(&self) -> NodeFuture<NodeHealth>;

    /// The node's clock only: cheap, for status pages and the minute's check (PROD-TIME-1).
    fn clock(&self) -> NodeFuture<Option<ClockReport>>;

    /// The erasures the node made after its `after`-th, in its order, at most `limit`: the
    /// centre keeps them and asks for the next ones, so erasures made while it was down reach
    /// it in order once it is back (issue 21, item 3).
    fn erasures_since(&self, after: i64, limit: u32) -> NodeFuture<Vec<Erasure>>;

    /// The public half of the node's key for camera credentials ([`sealed`], base64).
    fn sealing_key(&self) -> NodeFuture<String>;

    /// Gaps, first recordings and erasures in `[from_ms, to_ms)` for the yearly report (KIT-8).
    fn report_facts(&self, from_ms: i64, to_ms: i64) -> NodeFuture<NodeFacts>;

    /// Witnessing (issue 17): records the server's newest checkpoint in the node's audit log
    /// (unless it holds it already) and returns the node's newest checkpoint, signed now if
    /// entries came since its last one.
    fn witness(&self, server: audit::Checkpoint) -> NodeFuture<Option<audit::Checkpoint>>;

    /// The id of the node's audit log.
    fn audit_log_id(&self) -> NodeFuture<audit::LogId>;

    /// Verifies the node's audit log with the node's key against `outside`: its checkpoints
    /// witnessed in the governance log.
    fn verify_audit(&self, outside: Vec<audit::Checkpoint>) -> NodeFuture<audit::Report>;

    /// The checkpoints of log `of` (the server's) that the node's audit log witnesses.
    fn witnessed(&self, of: audit::LogId) -> NodeFuture<Vec<audit::Checkpoint>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_speaks_the_api_shape() {
        let mut s = CameraStatus::connecting("KAW-001", 5);
        s.state = CameraState::DiskFull;
        let v = serde_json::to_value(&s).unwrap_or_default();
        assert_eq!(v["state"], "disk_full");
        assert_eq!(v["camera"], "KAW-001");
        assert_eq!(v["since_ms"], 5);
    }

    #[test]
    fn secrets_and_pictures_stay_out_of_logs() {
        let e = ExportEncryption::Passphrase("hunter2-correct-horse".into());
        assert!(!format!("{e:?}").contains("hunter2"));
        let s = Still { png: vec![0x89; 4096], recorded_ms: 1 };
        assert_eq!(format!("{s:?}"), "Still { png_bytes: 4096, recorded_ms: 1 }");
    }

    #[test]
    fn errors_say_refusal_or_fault() {
        assert!(NodeError::NotRecorded("A".into()).is_refusal());
        assert!(NodeError::Refused("erased".into()).is_refusal());
        assert!(!NodeError::failed("disk").is_refusal());
        assert!(!NodeError::Unreachable("timeout".into()).is_refusal());
        assert_eq!(
            FootageKey { camera: "A".into(), day: "2026-12-03".into() }.to_string(),
            "A/2026-12-03"
        );
    }
}
