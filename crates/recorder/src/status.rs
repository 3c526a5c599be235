//! What the recorder says about each camera — and nothing more: no live view (ALL-REC-2).

pub use node::{CameraState as State, CameraStatus};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// All cameras' status, shared between the camera tasks and readers.
#[derive(Debug, Clone, Default)]
pub struct Board(Arc<Mutex<BTreeMap<String, CameraStatus>>>);

impl Board {
    /// Updates one camera's status.
    pub fn update(&self, camera: &str, now: i64, f: impl FnOnce(&mut CameraStatus)) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(m.entry(camera.to_owned()).or_insert_with(|| CameraStatus::connecting(camera, now)));
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

    /// Forgets a camera no longer recorded here.
    pub fn remove(&self, camera: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(camera);
    }

    /// A snapshot.
    pub fn snapshot(&self) -> Vec<CameraStatus> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }
}
