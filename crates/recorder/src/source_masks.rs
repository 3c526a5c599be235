//! Privacy masks at the source (issue 24, item 2; PROD-MASK-1): for a camera that speaks ONVIF
//! Media2, the recorder sets the registry's masks on the camera, reads them back, and then
//! trusts nothing but the pictures.
//!
//! The rule: **a frame is stored as the camera sent it only after a keyframe of the camera's
//! own stream showed every masked macroblock black; otherwise the recorder burns the masks in.**
//! So a camera starts in burn-in; once a keyframe passes, burn-in stops at that keyframe. The
//! first keyframe of every session (a reconnect may be a camera that reset) and then one every
//! `interval` (default one minute) are checked again *before* they are stored: a failing one is
//! burned in itself, and so is everything after it. What a failing camera can leave unmasked is
//! bounded by the frames between the last keyframe that passed and the one that failed — at
//! most `interval` plus one GOP — and never a frame after the detection. A camera that cannot
//! take the masks (no Media2 masks, too many points, other outlines read back, unreachable) is
//! burned in throughout, with the reason in its status.

// rule: PROD-MASK-1 (burned in when the camera cannot — or does not)
use crate::config::CameraConfig;
use masking::{Polygon, SourceCheck, SourceVerdict};
use node::{BurnInReason, MaskMode};
use tokio::sync::watch;

/// How often a camera that does not show its masks yet is checked again (while burning in).
pub const RETRY_MS: i64 = 2_000;

/// The answer of setting the masks on the camera.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// Being set.
    Pending,
    /// Set and read back.
    Set,
    /// The camera cannot take them, or could not be asked: why.
    Cannot(BurnInReason),
}

/// What a keyframe decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing changes.
    Keep,
    /// The camera showed its masks: store its frames as they come from this keyframe on.
    Pass(SourceVerdict),
    /// The camera stopped showing them: burn them in from this keyframe on.
    BurnIn(BurnInReason),
}

/// One camera's masks at the source.
pub struct AtSource {
    client: onvif::Client,
    interval_ms: i64,
    version: i64,
    polygons: Vec<Polygon>,
    setting: watch::Receiver<Setting>,
    task: Option<tokio::task::JoinHandle<()>>,
    set_at_ms: i64,
    check: Option<SourceCheck>,
    passing: bool,
    verified_ms: i64,
    attempted_ms: Option<i64>,
    session_checked: bool,
    why_not: BurnInReason,
    reported: Setting,
}

impl std::fmt::Debug for AtSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtSource")
            .field("version", &self.version)
            .field("passing", &self.passing)
            .finish_non_exhaustive()
    }
}

impl Drop for AtSource {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

impl AtSource {
    /// For a camera configured with an ONVIF service; `None` otherwise.
    pub fn for_camera(cfg: &CameraConfig) -> Option<AtSource> {
        let url = cfg.onvif.as_deref()?;
        let credentials = cfg.username.clone().zip(cfg.password.clone());
        let (_, setting) = watch::channel(Setting::Pending);
        Some(AtSource {
            client: onvif::Client::new(url, credentials),
            interval_ms: cfg.mask_check_ms.max(1),
            version: 0,
            polygons: Vec::new(),
            setting,
            task: None,
            set_at_ms: 0,
            check: None,
            passing: false,
            verified_ms: 0,
            attempted_ms: None,
            session_checked: false,
            why_not: BurnInReason::NotYetSeen,
            reported: Setting::Pending,
        })
    }

    /// Sets a mask version on the camera, in the background; until a keyframe shows it the
    /// recorder burns it in.
    pub fn set(&mut self, version: i64, polygons: Vec<Polygon>, now_ms: i64) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        let (tx, rx) = watch::channel(Setting::Pending);
        let client = self.client.clone();
        let wanted = polygons.clone();
        self.task = Some(tokio::spawn(async move {
            let answer = match client.set_masks(&wanted).await {
                Ok(_) => Setting::Set,
                Err(e) if e.is_not_supported() => {
                    Setting::Cannot(BurnInReason::CameraCannot { detail: e.to_string() })
                }
                Err(e) => Setting::Cannot(BurnInReason::Unreachable { detail: e.to_string() }),
            };
            let _ = tx.send(answer);
        }));
        self.setting = rx;
        self.reported = Setting::Pending;
        self.version = version;
        self.polygons = polygons;
        self.set_at_ms = now_ms;
        self.passing = false;
        self.attempted_ms = None;
        self.why_not = BurnInReason::NotYetSeen;
    }

    /// Whether the camera's own frames are stored as they come (its masks verified).
    pub fn passing(&self) -> bool {
        self.passing && !self.polygons.is_empty()
    }

    /// A new session: its first keyframe is checked before anything is stored.
    pub fn new_session(&mut self) {
        self.session_checked = false;
    }

    /// Whether frames must wait for a checked keyframe (a passing camera's new session).
    pub fn awaiting_check(&self) -> bool {
        self.passing() && !self.session_checked
    }

    /// The mask version set and its polygons.
    pub fn polygons(&self) -> &[Polygon] {
        &self.polygons
    }

    /// The setting's answer, once, when it changed since last asked.
    pub fn setting_changed(&mut self) -> Option<Setting> {
        let now = self.setting.borrow().clone();
        (now != self.reported).then(|| {
            self.reported = now.clone();
            now
        })
    }

    /// The mode for the status board.
    pub fn mode(&self) -> MaskMode {
        if self.polygons.is_empty() {
            MaskMode::None
        } else if self.passing {
            MaskMode::Camera { verified_ms: self.verified_ms }
        } else {
            let why = match &*self.setting.borrow() {
                Setting::Cannot(why) => why.clone(),
                _ => self.why_not.clone(),
            };
            MaskMode::Recorder { why }
        }
    }

    /// At each keyframe of the camera's own stream (`frame` length-prefixed, `camera_avcc` its
    /// parameter sets): checks it when a check is due and says what follows.
    pub fn at_keyframe(&mut self, now_ms: i64, frame: &[u8], camera_avcc: &[u8]) -> Decision {
        if self.polygons.is_empty() || *self.setting.borrow() != Setting::Set {
            return Decision::Keep;
        }
        let due = if self.passing {
            !self.session_checked || now_ms - self.verified_ms >= self.interval_ms
        } else {
            self.attempted_ms.is_none_or(|t| now_ms - t >= RETRY_MS)
        };
        if !due {
            return Decision::Keep;
        }
        self.session_checked = true;
        self.attempted_ms = Some(now_ms);
        let verdict = match self.check.as_mut() {
            Some(c) => c.check(frame, camera_avcc, &self.polygons),
            None => SourceCheck::new().and_then(|c| {
                let c = self.check.insert(c);
                c.check(frame, camera_avcc, &self.polygons)
            }),
        };
        let failed = match verdict {
            Ok(Some(v)) if v.masked() => {
                self.verified_ms = now_ms;
                if self.passing {
                    return Decision::Keep;
                }
                self.passing = true;
                return Decision::Pass(v);
            }
            Ok(Some(v)) if v.checked == 0 => BurnInReason::TooSmall,
            Ok(Some(v)) => BurnInReason::NotMasked { not_black: v.not_black, checked: v.checked },
            Ok(None) => BurnInReason::Unchecked { detail: "no picture decoded".into() },
            Err(e) => BurnInReason::Unchecked { detail: e.to_string() },
        };
        self.why_not = failed.clone();
        let was = std::mem::replace(&mut self.passing, false);
        // A camera that lost its masks (a reset) is given them again, at most once an interval.
        if now_ms - self.set_at_ms >= self.interval_ms {
            let (version, polygons) = (self.version, self.polygons.clone());
            self.set(version, polygons, now_ms);
            self.why_not = failed.clone();
        }
        if was { Decision::BurnIn(failed) } else { Decision::Keep }
    }
}
