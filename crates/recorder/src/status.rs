//! What the recorder says about each camera — and nothing more: no live view (ALL-REC-2).

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A camera's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
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

/// Per-camera status.
#[derive(Debug, Clone, Serialize)]
pub struct CameraStatus {
    /// Camera code.
    pub camera: String,
    /// State.
    pub state: State,
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
    /// RTP packets the camera sent that never arrived (as `retina` counts them).
    pub lost_packets: u64,
    /// Malformed packets skipped (each cost its packet, not the session).
    pub bad_packets: u64,
}

impl CameraStatus {
    fn new(camera: &str, now: i64) -> Self {
        CameraStatus {
            camera: camera.to_owned(),
            state: State::Connecting,
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
        }
    }
}

/// All cameras' status, shared between the camera tasks and readers.
#[derive(Debug, Clone, Default)]
pub struct Board(Arc<Mutex<BTreeMap<String, CameraStatus>>>);

impl Board {
    /// Updates one camera's status.
    pub fn update(&self, camera: &str, now: i64, f: impl FnOnce(&mut CameraStatus)) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(m.entry(camera.to_owned()).or_insert_with(|| CameraStatus::new(camera, now)));
    }

    /// Sets a camera's state (recording `since` when it changes).
    pub fn set_state(&self, camera: &str, now: i64, state: State, detail: &str) {
        self.update(camera, now, |s| {
            if s.state != state {
                s.since_ms = now;
            }
            s.state = state;
            s.detail = detail.to_owned();
        });
    }

    /// A snapshot.
    pub fn snapshot(&self) -> Vec<CameraStatus> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }
}
