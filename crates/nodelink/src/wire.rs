//! What crosses the link besides the `node` crate's own serialisable values: request bodies,
//! the export job (a passphrase crosses inside mutual TLS only, never into a log) and the
//! error body.

use node::{ExportedPackage, NodeError, Polygon};
use serde::{Deserialize, Serialize};

/// `GET /node/v1/hello`: who answers and what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The node's id.
    pub node: String,
    /// The API version it speaks.
    pub api: u32,
    /// The cameras it records.
    pub cameras: Vec<String>,
}

/// The export's answer, in the `X-Package` header of the package's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageMeta {
    /// Package id.
    pub id: String,
    /// Camera code.
    pub camera: String,
    /// The file's name on the node (the centre keeps the name).
    pub file_name: String,
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

impl PackageMeta {
    /// The answer for a package the node made.
    pub fn of(p: &ExportedPackage) -> PackageMeta {
        PackageMeta {
            id: p.id.clone(),
            camera: p.camera.clone(),
            file_name: p
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("{}.zip", p.id)),
            manifest_sha256: p.manifest_sha256.clone(),
            bytes: p.bytes,
            frames: p.frames,
            delivered: p.delivered,
            encrypted: p.encrypted,
        }
    }
}

/// `POST /node/v1/still`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StillAsk {
    /// Camera code.
    pub camera: String,
    /// The first keyframe within this range (UTC ms), else the newest segment's first.
    pub within: Option<(i64, i64)>,
}

/// `POST /node/v1/masks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MasksAsk {
    /// Camera code.
    pub camera: String,
    /// The mask version.
    pub version: i64,
    /// Its polygons.
    pub polygons: Vec<Polygon>,
}

/// `POST /node/v1/playback`: [`node::PlaybackAsk`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlaybackAsk {
    /// Camera code.
    pub camera: String,
    /// Play from here (UTC ms).
    pub from_ms: i64,
    /// About this much footage (ms).
    pub length_ms: i64,
    /// The viewing's range.
    pub range: (i64, i64),
    /// Wall time at media time zero.
    pub origin_ms: i64,
}

/// `POST /node/v1/recorded` and `POST /node/v1/facts`: a camera (for `recorded`) and a range.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RangeAsk {
    /// Camera code (empty for facts).
    #[serde(default)]
    pub camera: String,
    /// Start, UTC ms.
    pub from_ms: i64,
    /// End, UTC ms.
    pub to_ms: i64,
}

/// `POST /node/v1/erasures`: the erasures after the centre's last one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErasuresAsk {
    /// The sequence number of the last erasure the centre has.
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// `POST /node/v1/masks-source`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MasksSourceAsk {
    /// Camera code.
    pub camera: String,
    /// The camera's ONVIF Media2 service, or `None`: burned in by the recorder.
    pub onvif: Option<String>,
}

/// `POST /node/v1/retention`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetentionAsk {
    /// Camera code.
    pub camera: String,
    /// The period.
    pub period: policy::retention::Period,
}

/// The body of every refusal or fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// `not_recorded`, `refused`, `failed`, `unreachable`.
    pub error: String,
    /// The message (the camera, for `not_recorded`).
    pub message: String,
}

impl From<&NodeError> for WireError {
    fn from(e: &NodeError) -> Self {
        let (error, message) = match e {
            NodeError::NotRecorded(c) => ("not_recorded", c.clone()),
            NodeError::Refused(m) => ("refused", m.clone()),
            NodeError::Failed(m) => ("failed", m.clone()),
            NodeError::Unreachable(m) => ("unreachable", m.clone()),
        };
        WireError { error: error.into(), message }
    }
}

impl From<WireError> for NodeError {
    fn from(e: WireError) -> Self {
        match e.error.as_str() {
            "not_recorded" => NodeError::NotRecorded(e.message),
            "refused" => NodeError::Refused(e.message),
            "unreachable" => NodeError::Unreachable(e.message),
            _ => NodeError::Failed(e.message),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn errors_keep_their_kind_across_the_wire() {
        for e in [
            NodeError::NotRecorded("cam9".into()),
            NodeError::Refused("nothing recorded".into()),
            NodeError::Failed("disk".into()),
            NodeError::Unreachable("down".into()),
        ] {
            let w: WireError =
                serde_json::from_str(&serde_json::to_string(&WireError::from(&e)).unwrap())
                    .unwrap();
            assert_eq!(NodeError::from(w), e);
        }
    }

    #[test]
    fn a_passphrase_crosses_but_never_reaches_a_log() {
        let job = node::ExportJob {
            camera: "cam1".into(),
            site: None,
            from_ms: 0,
            to_ms: 1,
            operator: "u (U)".into(),
            refs: Default::default(),
            encryption: Some(node::ExportEncryption::Passphrase("correct horse".into())),
        };
        assert!(!format!("{job:?}").contains("horse"));
        let back: node::ExportJob =
            serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
        assert!(
            matches!(back.encryption, Some(node::ExportEncryption::Passphrase(p)) if p == "correct horse")
        );
    }
}
