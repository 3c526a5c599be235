//! One camera: a supervisor that pulls RTSP with retina, reconnects with capped exponential
//! backoff, records gaps with their cause, and writes frames into sealed segments.
//!
//! Segment cuts (docs/storage.md): at the first keyframe after the target length (the first
//! segment of each camera staggered so cameras do not all cut together); at once at JST midnight
//! (a day key never covers another day's frames); on new codec parameters; on a timestamp
//! discontinuity or a wall-clock jump (docs/time.md); when the stream ends.

use crate::db::SegmentRow;
use crate::index;
use crate::status::State;
use crate::{Ctx, Error};
use futures::StreamExt;
use media::chain::{ChainCheckpoint, Gap, LinkInput};
use media::frame::Frame;
use media::keys::DataKey;
use media::merkle::Hash;
use media::segment::{CodecParams, SegmentHeader, SegmentWriter};
use retina::client::{PlayOptions, SessionOptions, SetupOptions, Transport};
use retina::codec::{CodecItem, ParametersRef};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A wall-clock disagreement larger than this re-anchors the media clock (docs/time.md).
const MAX_CLOCK_SLIP_MS: i64 = 2_000;
/// A media timestamp jump larger than this (or backwards) is a discontinuity.
const MAX_PTS_JUMP_S: i64 = 10;
/// Hand buffered frames to the OS this often (a killed process loses at most this much).
const FLUSH_EVERY_MS: i64 = 1_000;
/// Flush and fdatasync the open segment this often (a power cut loses at most this much).
const SYNC_EVERY_MS: i64 = 5_000;
/// Sign a chain checkpoint at least this often.
const CHECKPOINT_EVERY_MS: i64 = 5 * 60_000;
/// This many malformed packets in a row, with no frame between them, end the session.
const MAX_BAD_PACKETS: u32 = 100;

/// A retina error as a short reason, and whether it concerns one packet (the session goes on)
/// rather than the connection. retina's messages carry a multi-line context (connection,
/// packet, a hex dump); the reason is the first line.
fn classify(e: &retina::Error) -> (bool, String) {
    let text = e.to_string();
    let packet = text.contains("\npkt: ");
    let first = text.lines().next().unwrap_or("").trim();
    let mut short: String = first.chars().take(120).collect();
    if first.chars().count() > 120 {
        short.push('…');
    }
    (packet, short)
}

/// Checks that the camera's address lies in the allowed camera networks (empty: any): every
/// address its host resolves to. A host name is resolved here and again by the RTSP client, so
/// a registry that must be strict names cameras by IP address (the governance server checks
/// those when they are registered).
async fn allowed_network(url: &url::Url, nets: &[ipnet::IpNet]) -> Result<(), Error> {
    if nets.is_empty() {
        return Ok(());
    }
    let host = url.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
    let port = url.port().unwrap_or(554);
    let addrs: Vec<std::net::IpAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Error::Camera(format!("cannot resolve the camera's host: {e}")))?
        .map(|a| a.ip())
        .collect();
    match addrs.iter().find(|ip| !nets.iter().any(|n| n.contains(*ip))) {
        Some(ip) => Err(Error::Camera(format!(
            "the camera's address {ip} is outside the allowed camera networks; not connected"
        ))),
        None if addrs.is_empty() => Err(Error::Camera("the camera's host has no address".into())),
        None => Ok(()),
    }
}

struct Open {
    writer: Option<SegmentWriter>,
    path: PathBuf,
    seq: u64,
    day: String,
    key_id: String,
    start_pts: i64,
    start_ms: i64,
    last_pts: i64,
    last_ms: i64,
    anchor_pts: i64,
    anchor_ms: i64,
    target_ms: i64,
    synced_ms: i64,
    flushed_ms: i64,
    gap_before: Option<Gap>,
    index: index::Builder,
}

/// The per-camera task.
pub struct CameraTask {
    ctx: Arc<Ctx>,
    /// Stops this camera's task: the recorder's stop, or the camera no longer assigned here.
    stop: tokio::sync::watch::Receiver<bool>,
    pub(crate) code: String,
    cfg: crate::config::CameraConfig,
    head_seq: u64,
    head_link: Hash,
    next_seq: u64,
    last_end_ms: Option<i64>,
    open: Option<Open>,
    params: Option<CodecParams>,
    key: Option<(String, String, DataKey)>,
    /// A gap waiting for the next segment: (db row id if it could be written, start, cause).
    gap: Option<(Option<i64>, i64, String)>,
    /// The waiting gap lost no frame (a stall): the next segment may start mid-GOP.
    gap_lost_nothing: bool,
    disk_full: bool,
    torn: Vec<PathBuf>,
    stagger_ms: i64,
    /// The next segment continues the stream without a break (a cut at midnight or for a clock
    /// slip): it may start mid-GOP; the previous segment holds the GOP's keyframe.
    continuation: bool,
    first: bool,
    last_checkpoint_ms: i64,
    bitrate_window: (i64, u64),
    /// Counters not yet published to the status board (published once a second: no per-frame
    /// lock or map lookup).
    unpublished: Unpublished,
    /// The privacy-mask burn-in, for a camera configured with masks (ASA-2.1): every frame is
    /// decoded, masked and re-encoded before it is hashed, encrypted and stored.
    masker: Option<Masking>,
    /// New mask versions from the registry (`Ctx::set_masks`).
    mask_rx: Option<tokio::sync::watch::Receiver<crate::MaskSet>>,
    /// A mask version waiting for the next keyframe.
    pending_masks: Option<crate::MaskSet>,
    /// A mask version to record in the segment index with the next segment (version, polygons).
    record_mask: Option<(i64, i64)>,
    /// The camera's own codec parameters, as last received (the masked stream has others).
    camera_params: Option<CodecParams>,
    /// Masks set on the camera itself and checked in its pictures (issue 24, item 2): while
    /// they pass, `masker` is off and the camera's frames are stored as they come.
    at_source: Option<crate::source_masks::AtSource>,
    /// Where the masks are to be applied, from the registry (`Ctx::set_masks_source`).
    source_rx: Option<tokio::sync::watch::Receiver<Option<String>>>,
    /// A change of where the masks are applied, waiting for the next keyframe.
    pending_source: Option<Option<String>>,
}

/// A camera's masker and the parameters on either side of it.
struct Masking {
    masker: masking::MaskWorker,
    /// The camera's own avcC (its SPS/PPS feed the decoder).
    camera_avcc: Vec<u8>,
    /// The codec parameters of the masked stream, as stored.
    stored: Option<CodecParams>,
}

#[derive(Default)]
struct Unpublished {
    lost_packets: u64,
    bad_packets: u64,
    frames: u64,
    bytes: u64,
    dropped: u64,
    last_frame_ms: Option<i64>,
    published_ms: i64,
}

/// Runs work that blocks (a keyframe's decode, a wait for the masking thread) on the camera's
/// task: on a multi-thread runtime the worker hands its other tasks on meanwhile.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// Bitrate of a masked camera's re-encoded stream (4 Mbit/s: 1080p at good quality).
const MASKED_BITRATE: u32 = 4_000_000;

/// A masker on its own thread, with the fastest codec of this build (`masking::Codec`).
fn new_masker(camera: &str, polygons: Vec<masking::Polygon>) -> Result<masking::MaskWorker, Error> {
    let settings = masking::Settings { bitrate: MASKED_BITRATE, fps: 25.0 };
    masking::MaskWorker::spawn(camera, masking::Codec::best_built(), polygons, settings)
        .map_err(|e| Error::Camera(format!("privacy masks: {e}")))
}

fn day_of(ms: i64) -> String {
    policy::jst::date(store_ts(ms)).to_string()
}

fn store_ts(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn is_disk_full(e: &Error) -> bool {
    match e {
        Error::Media(media::Error::Io(io)) | Error::Io(io) => {
            io.raw_os_error() == Some(28) || io.kind() == std::io::ErrorKind::StorageFull
        }
        _ => false,
    }
}

impl CameraTask {
    /// Prepares the task from the node database's chain head (run after startup recovery).
    pub async fn new(
        ctx: Arc<Ctx>,
        cfg: crate::config::CameraConfig,
        index: usize,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Self, Error> {
        let head = ctx.db.head(&cfg.code).await?;
        let (head_seq, head_link, last_end) = match &head {
            Some(h) => (
                h.seq as u64,
                h.link.clone().try_into().map_err(|_| Error::Corrupt("link".into()))?,
                Some(h.end_ms),
            ),
            None => (0, media::chain::genesis(&cfg.code, &ctx.node_id), None),
        };
        let on_disk = crate::recovery::highest_seq_on_disk(&ctx.data_dir, &cfg.code);
        let now = ctx.clock.now_ms();
        // The time since the last segment (or an open gap left by a stop or crash) is a gap.
        let gap = match ctx.db.open_gap_of(&cfg.code).await? {
            Some((id, start, cause)) => Some((Some(id), start, cause)),
            // A gap closed by a segment that never reached the index (a crash between opening
            // the segment and indexing it) is still open in truth: opened again, it is bound
            // into the chain by the next segment (issue 25, D7).
            None if let Some((id, start, Some(end), cause)) =
                ctx.db.last_gap_of(&cfg.code).await?
                && last_end.is_none_or(|e| end > e) =>
            {
                ctx.db.reopen_gap(id).await?;
                Some((Some(id), start, cause))
            }
            None => {
                let start = last_end.unwrap_or(now);
                let cause = if head.is_some() && ctx.previous_run_crashed {
                    "recorder stopped unexpectedly (crash)"
                } else if head.is_some() {
                    "recorder not running"
                } else {
                    "recording not yet started"
                };
                let id = ctx.db.open_gap(&cfg.code, start, cause).await?;
                Some((Some(id), start, cause.to_owned()))
            }
        };
        let masker = if cfg.masks.is_empty() {
            None
        } else {
            let m = new_masker(&cfg.code, cfg.masks.clone())?;
            Some(Masking { masker: m, camera_avcc: Vec::new(), stored: None })
        };
        // The segment index says which mask version each segment was recorded under.
        let record_mask = (ctx.db.last_mask_version(&cfg.code).await? != cfg.mask_version)
            .then_some((cfg.mask_version, cfg.masks.len() as i64));
        let mask_rx = ctx.mask_updates(&cfg.code);
        let source_rx = ctx.source_updates(&cfg.code);
        let mut at_source = crate::source_masks::AtSource::for_camera(&cfg);
        if let Some(src) = at_source.as_mut()
            && !cfg.masks.is_empty()
        {
            src.set(cfg.mask_version, cfg.masks.clone(), now);
        }
        Ok(CameraTask {
            stop,
            code: cfg.code.clone(),
            stagger_ms: ((index as i64) * 7_919) % ctx.segment_ms.max(1),
            ctx,
            cfg,
            head_seq,
            head_link,
            next_seq: head_seq.max(on_disk) + 1,
            last_end_ms: last_end,
            open: None,
            params: None,
            key: None,
            gap,
            gap_lost_nothing: false,
            disk_full: false,
            torn: Vec::new(),
            continuation: false,
            first: true,
            last_checkpoint_ms: now,
            bitrate_window: (now, 0),
            unpublished: Unpublished::default(),
            masker,
            mask_rx,
            pending_masks: None,
            record_mask,
            camera_params: None,
            at_source,
            source_rx,
            pending_source: None,
        })
    }

    /// Runs until shutdown: connect, record, reconnect with backoff.
    pub async fn run(mut self) {
        let mut shutdown = self.stop.clone();
        let mut backoff = Duration::from_millis(500);
        let mut last_cause = String::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = self.ctx.clock.now_ms();
            let detail = if last_cause.is_empty() {
                String::new()
            } else {
                format!("retrying after: {last_cause}")
            };
            self.ctx.status.set_state(&self.code, now, State::Connecting, &detail);
            let recorded_before = self
                .ctx
                .status
                .snapshot()
                .iter()
                .find(|s| s.camera == self.code)
                .map_or(0, |s| s.frames);
            let cause = match self.session(&mut shutdown).await {
                Ok(()) => "recorder stopped".to_owned(),
                Err(e) => e.to_string(),
            };
            let end = self
                .open
                .as_ref()
                .map(|o| o.last_ms)
                .or(self.last_end_ms)
                .unwrap_or_else(|| self.ctx.clock.now_ms());
            self.seal("stream ended").await;
            if self.gap.is_none() {
                self.start_gap(end, &cause).await;
            }
            if *shutdown.borrow() {
                break;
            }
            let now = self.ctx.clock.now_ms();
            tracing::warn!(camera = %self.code, cause = %cause, "camera not recording; reconnecting");
            self.ctx.status.set_state(&self.code, now, State::Error, &cause);
            self.ctx.status.update(&self.code, now, |s| s.reconnects += 1);
            last_cause = cause.clone();
            let recorded_after = self
                .ctx
                .status
                .snapshot()
                .iter()
                .find(|s| s.camera == self.code)
                .map_or(0, |s| s.frames);
            if recorded_after > recorded_before {
                backoff = Duration::from_millis(500);
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => {}
            }
            backoff = (backoff * 2).min(Duration::from_millis(self.ctx.max_backoff_ms));
        }
        self.seal("recorder stopped").await;
        let now = self.ctx.clock.now_ms();
        if self.gap.is_none() {
            let end = self.last_end_ms.unwrap_or(now);
            self.start_gap(end, "recorder stopped").await;
        }
        self.ctx.status.set_state(&self.code, now, State::Stopped, "");
    }

    /// Opens a gap. If the database cannot take it now (a full disk), the gap is kept in memory,
    /// bound into the next segment's chain link, and written when the database accepts writes.
    async fn start_gap(&mut self, start: i64, cause: &str) {
        let id = match self.ctx.db.open_gap(&self.code, start, cause).await {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(camera = %self.code, error = %e, "could not record a gap yet; keeping it");
                None
            }
        };
        self.gap = Some((id, start, cause.to_owned()));
        self.gap_lost_nothing = false;
        let now = self.ctx.clock.now_ms();
        self.ctx.status.update(&self.code, now, |s| s.gaps_today += 1);
        let mut ev = audit::Event::new(
            "recorder",
            "camera.gap",
            format!("camera:{}", self.code),
            audit::Outcome::Failed,
        );
        ev.detail = serde_json::json!({ "start_ms": start, "cause": cause });
        self.ctx.audit_event(ev).await;
    }

    async fn session(
        &mut self,
        shutdown: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), Error> {
        // Credentials live apart from the URL (config::CameraConfig::from_url).
        let url =
            url::Url::parse(&self.cfg.url).map_err(|e| Error::Camera(format!("bad URL: {e}")))?;
        allowed_network(&url, &self.ctx.camera_networks).await?;
        let creds = match (&self.cfg.username, &self.cfg.password) {
            (Some(u), Some(p)) => {
                Some(retina::client::Credentials { username: u.clone(), password: p.clone() })
            }
            _ => None,
        };
        let opts = SessionOptions::default().creds(creds).user_agent("mimamori-recorder".into());
        let mut session = tokio::time::timeout(
            Duration::from_secs(10),
            retina::client::Session::describe(url, opts),
        )
        .await
        .map_err(|_| Error::Camera("no answer to DESCRIBE within 10 s".into()))?
        .map_err(|e| Error::Camera(format!("DESCRIBE failed: {e}")))?;
        let found: Vec<String> = session
            .streams()
            .iter()
            .map(|s| format!("{}/{}", s.media(), s.encoding_name()))
            .collect();
        let stream_i = session
            .streams()
            .iter()
            .position(|s| s.media() == "video" && matches!(s.encoding_name(), "h264" | "h265"))
            .ok_or_else(|| {
                Error::Camera(format!("no H.264/H.265 video stream (found: {})", found.join(", ")))
            })?;
        session
            .setup(stream_i, SetupOptions::default().transport(Transport::Tcp(Default::default())))
            .await
            .map_err(|e| Error::Camera(format!("SETUP failed: {e}")))?;
        let playing = session
            .play(PlayOptions::default())
            .await
            .map_err(|e| Error::Camera(format!("PLAY failed: {e}")))?;
        let demuxed = playing.demuxed().map_err(|e| Error::Camera(e.to_string()))?;
        tokio::pin!(demuxed);
        let now = self.ctx.clock.now_ms();
        self.ctx.status.set_state(&self.code, now, State::Recording, "");
        if let Some(src) = self.at_source.as_mut() {
            src.new_session();
        }
        let mode = self.mask_mode();
        self.ctx.status.update(&self.code, now, |s| s.masks = mode);
        let stall = Duration::from_millis(self.ctx.stall_ms);
        let mut first_frame = true;
        // Malformed packets since the last frame, and the last one's reason (issue 25, D11).
        let mut bad_packets = 0u32;
        let mut last_bad: Option<String> = None;
        loop {
            let item = tokio::select! {
                _ = shutdown.changed() => return Ok(()),
                item = tokio::time::timeout(stall, demuxed.next()) => item,
            };
            let item = match item {
                Err(_) => {
                    return Err(Error::Camera(format!(
                        "no frames for {} s (stalled)",
                        stall.as_secs()
                    )));
                }
                Ok(None) => {
                    return Err(Error::Camera(match last_bad {
                        Some(why) => format!("the stream ended after a malformed packet: {why}"),
                        None => "the camera closed the stream".into(),
                    }));
                }
                Ok(Some(Err(e))) => {
                    let (packet, why) = classify(&e);
                    if !packet {
                        return Err(Error::Camera(why));
                    }
                    // A malformed packet costs that packet (or the frame it was part of), not
                    // the session; a stream of nothing else ends it.
                    bad_packets += 1;
                    if bad_packets == 1 {
                        self.event("camera.bad_packet", serde_json::json!({ "reason": why })).await;
                    }
                    if bad_packets >= MAX_BAD_PACKETS {
                        return Err(Error::Camera(format!(
                            "{bad_packets} malformed packets and no frame: {why}"
                        )));
                    }
                    self.unpublished.bad_packets += 1;
                    last_bad = Some(why);
                    continue;
                }
                Ok(Some(Ok(item))) => item,
            };
            if let CodecItem::VideoFrame(f) = item {
                bad_packets = 0;
                // Parameters are read only when they change (or at the first frame of a session).
                let fresh = f.has_new_parameters() || self.params.is_none() || first_frame;
                first_frame = false;
                let params = match demuxed.streams()[stream_i].parameters() {
                    Some(ParametersRef::Video(v)) if fresh => Some(CodecParams {
                        rfc6381: v.rfc6381_codec().to_owned(),
                        width: v.pixel_dimensions().0,
                        height: v.pixel_dimensions().1,
                        extra_data: hex::encode(v.extra_data()),
                    }),
                    _ => None,
                };
                let lost = f.loss() > 0;
                self.unpublished.lost_packets += u64::from(f.loss());
                let keyframe = f.is_random_access_point();
                let pts = f.timestamp().timestamp();
                let rate = i64::from(f.timestamp().clock_rate().get());
                let data = f.into_data();
                if let Some(p) = &params {
                    self.camera_params = Some(p.clone());
                }
                let mut params = params;
                // Mask changes and a change of where masks are applied take effect at a
                // keyframe: only there are they looked for (nothing per frame in between).
                if keyframe
                    && let Some(rx) = self.mask_rx.as_mut()
                    && rx.has_changed().unwrap_or(false)
                {
                    self.pending_masks = Some(rx.borrow_and_update().clone());
                }
                if keyframe && let Some(set) = self.pending_masks.take() {
                    match self.apply_masks(set, params).await {
                        Ok(p) => params = p,
                        Err(()) => {
                            // Fail closed: masks that could not be set up keep the frame out.
                            self.unpublished.dropped += 1;
                            continue;
                        }
                    }
                }
                if keyframe
                    && let Some(rx) = self.source_rx.as_mut()
                    && rx.has_changed().unwrap_or(false)
                {
                    self.pending_source = Some(rx.borrow_and_update().clone());
                }
                if keyframe && let Some(onvif) = self.pending_source.take() {
                    match self.switch_source(onvif).await {
                        Ok(()) => {}
                        Err(onvif) => {
                            // Fail closed: tried again at the next keyframe; this one is not
                            // stored the new way half set up.
                            self.pending_source = Some(onvif);
                            self.unpublished.dropped += 1;
                            continue;
                        }
                    }
                }
                if self.at_source.is_some() {
                    match self.source_masks(keyframe, &data, params).await {
                        Ok(p) => params = p,
                        Err(()) => {
                            // Fail closed: not stored until a keyframe is checked or masked.
                            self.unpublished.dropped += 1;
                            continue;
                        }
                    }
                }
                match self.masked(keyframe, data, params) {
                    Some((keyframe, data, params)) => {
                        self.frame(pts, rate, keyframe, lost, data, params).await;
                    }
                    None => {
                        // Fail closed: a frame that could not be masked is not stored.
                        self.unpublished.dropped += 1;
                    }
                }
            }
        }
    }

    /// Applies a new mask version at a keyframe (ASA-2.1): the open segment is sealed so that
    /// each segment is masked one way throughout, and the next segment, which starts with this
    /// keyframe, records the version in the segment index. Returns the codec parameters to hand
    /// on with the frame (the camera's own when masking stops). `Err` when a masker could not be
    /// made: the version stays pending and the frame is not stored.
    async fn apply_masks(
        &mut self,
        set: crate::MaskSet,
        params: Option<CodecParams>,
    ) -> Result<Option<CodecParams>, ()> {
        let (version, polygons) = set;
        let count = polygons.len() as i64;
        let mut params = params;
        if let Some(src) = self.at_source.as_mut() {
            src.set(version, polygons.clone(), self.ctx.clock.now_ms());
        }
        if polygons.is_empty() {
            if self.masker.take().is_some() {
                params = params.or_else(|| self.camera_params.clone());
            }
        } else if self
            .masker
            .as_mut()
            .is_none_or(|m| m.masker.set_polygons(polygons.clone()).is_err())
        {
            // No masker yet, or its thread stopped: a new one from this keyframe.
            if let Err(e) = self.start_burn_in(polygons.clone()) {
                tracing::error!(camera = %self.code, error = %e, "privacy masks could not be applied");
                self.pending_masks = Some((version, polygons));
                return Err(());
            }
        }
        self.seal("privacy masks changed").await;
        self.record_mask = Some((version, count));
        let (now, mode) = (self.ctx.clock.now_ms(), self.mask_mode());
        self.ctx.status.update(&self.code, now, |s| s.masks = mode);
        self.event(
            "recorder.masks_applied",
            serde_json::json!({ "version": version, "polygons": count }),
        )
        .await;
        Ok(params)
    }

    /// Moves where the masks are applied (PROD-MASK-1), at a keyframe and without a new
    /// session: to the camera's ONVIF service `onvif` — burned in until a keyframe of the
    /// camera's own shows them, as at a start — or, with `None`, to the recorder, which burns
    /// them in from this keyframe. The open segment is sealed so that each segment is masked
    /// one way throughout. `Err` gives the change back when burn-in could not start: nothing
    /// changed, and the frame is not stored.
    // rule: PROD-MASK-1 — masks at the camera only where its own pictures show them.
    async fn switch_source(&mut self, onvif: Option<String>) -> Result<(), Option<String>> {
        if onvif == self.cfg.onvif {
            return Ok(());
        }
        let (version, polygons) = match &self.mask_rx {
            Some(rx) => rx.borrow().clone(),
            None => (self.cfg.mask_version, self.cfg.masks.clone()),
        };
        // Burned in from this keyframe until the new source is seen masking (or for good).
        if !polygons.is_empty()
            && self.masker.is_none()
            && let Err(e) = self.start_burn_in(polygons.clone())
        {
            tracing::error!(camera = %self.code, error = %e, "privacy masks could not be burned in");
            return Err(onvif);
        }
        self.cfg.onvif = onvif;
        let now = self.ctx.clock.now_ms();
        self.at_source = crate::source_masks::AtSource::for_camera(&self.cfg);
        if let Some(src) = self.at_source.as_mut() {
            if !polygons.is_empty() {
                src.set(version, polygons, now);
            }
            src.new_session();
        }
        self.seal("where the privacy masks are applied changed").await;
        let mode = self.mask_mode();
        self.ctx.status.update(&self.code, now, |s| s.masks = mode);
        let at = if self.at_source.is_some() { "camera" } else { "recorder" };
        self.event("recorder.masks_source", serde_json::json!({ "at": at })).await;
        Ok(())
    }

    /// The camera's own parameter sets (avcC), as last received; empty before the first.
    fn camera_avcc(&self) -> Vec<u8> {
        self.camera_params
            .as_ref()
            .and_then(|p| hex::decode(&p.extra_data).ok())
            .unwrap_or_default()
    }

    /// Burns `polygons` in from here on: a new masker, fed the camera's own parameters.
    fn start_burn_in(&mut self, polygons: Vec<masking::Polygon>) -> Result<(), Error> {
        let masker = new_masker(&self.code, polygons)?;
        self.masker = Some(Masking { masker, camera_avcc: self.camera_avcc(), stored: None });
        Ok(())
    }

    /// Where the camera's masks are applied now, for the status board.
    fn mask_mode(&self) -> node::MaskMode {
        match &self.at_source {
            Some(src) => src.mode(),
            None if self.masker.is_some() => {
                node::MaskMode::Recorder { why: node::BurnInReason::Configured }
            }
            None => node::MaskMode::None,
        }
    }

    /// Masks at the source (issue 24, item 2; [`crate::source_masks`]): at a keyframe, a due
    /// check of the camera's own picture switches between storing the camera's frames as they
    /// come (its masks seen) and burning the masks in (not seen). Returns the codec parameters
    /// to hand on; `Err` for a frame that must not be stored (a passing camera's new session
    /// before its first keyframe is checked, or burn-in that could not start).
    async fn source_masks(
        &mut self,
        keyframe: bool,
        data: &[u8],
        params: Option<CodecParams>,
    ) -> Result<Option<CodecParams>, ()> {
        let Some(src) = self.at_source.as_mut() else { return Ok(params) };
        if !keyframe {
            // Between keyframes nothing is decided (and nothing is locked per frame).
            return if src.awaiting_check() { Err(()) } else { Ok(params) };
        }
        let mut params = params;
        if let Some(setting) = src.setting_changed() {
            let detail = match &setting {
                crate::source_masks::Setting::Cannot(why) => {
                    serde_json::json!({ "set": false, "why": why, "text": why.to_string() })
                }
                _ => serde_json::json!({ "set": true, "polygons": src.polygons().len() }),
            };
            if setting != crate::source_masks::Setting::Pending {
                self.event("recorder.masks_at_camera_set", detail).await;
            }
        }
        let avcc = self.camera_avcc();
        let Some(src) = self.at_source.as_mut() else { return Ok(params) };
        let now = self.ctx.clock.now_ms();
        // One decode of one keyframe (a few ms): on this task, as the burn-in's wait is.
        let decision = blocking(|| src.at_keyframe(now, data, &avcc));
        let count = src.polygons().len();
        let mode = src.mode();
        self.ctx.status.update(&self.code, now, |s| s.masks = mode);
        match decision {
            crate::source_masks::Decision::Keep => {}
            crate::source_masks::Decision::Pass(v) => {
                if self.masker.take().is_some() {
                    params = params.or_else(|| self.camera_params.clone());
                }
                self.seal("privacy masks seen in the camera's pictures").await;
                self.event(
                    "recorder.masks_at_camera",
                    serde_json::json!({ "verified": true, "polygons": count, "macroblocks": v.checked }),
                )
                .await;
            }
            crate::source_masks::Decision::BurnIn(why) => {
                let polygons =
                    self.at_source.as_ref().map(|s| s.polygons().to_vec()).unwrap_or_default();
                tracing::warn!(camera = %self.code, why = %why, "privacy masks not seen at the camera: burning them in");
                self.seal("privacy masks not seen in the camera's pictures").await;
                self.event(
                    "recorder.masks_at_camera",
                    serde_json::json!({ "verified": false, "why": why, "text": why.to_string() }),
                )
                .await;
                if let Err(e) = self.start_burn_in(polygons) {
                    tracing::error!(camera = %self.code, error = %e, "privacy masks could not be burned in");
                    return Err(());
                }
            }
        }
        Ok(params)
    }

    /// Passes a frame through the privacy masks, if the camera has any: the re-encoded frame
    /// and, when they change, the masked stream's parameters. `None` when the frame could not
    /// be masked (it is then not stored). Without masks the frame is returned as it came.
    fn masked(
        &mut self,
        keyframe: bool,
        data: Vec<u8>,
        params: Option<CodecParams>,
    ) -> Option<(bool, Vec<u8>, Option<CodecParams>)> {
        let Some(m) = self.masker.as_mut() else { return Some((keyframe, data, params)) };
        if let Some(p) = &params {
            m.camera_avcc = hex::decode(&p.extra_data).unwrap_or_default();
        }
        // Until the first keyframe there is nothing a decoder can start from: those frames are
        // dropped (counted), not fed to the masker to fail one by one (issue 19, item 13).
        if m.camera_avcc.is_empty() || (!keyframe && m.stored.is_none()) {
            return None;
        }
        let work = move |m: &mut Masking| m.masker.process(data, keyframe, &m.camera_avcc);
        // The masking thread does the CPU work; waiting for its answer blocks.
        let out = blocking(|| work(m));
        let out = match out {
            Ok(Some(f)) => f,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(camera = %self.code, error = %e, "frame not masked: not stored");
                return None;
            }
        };
        // Parameter sets come only with keyframes: between them the stored ones stand.
        if !out.keyframe && m.stored.is_some() {
            return Some((out.keyframe, out.data, None));
        }
        let avcc = m.masker.avcc()?;
        let dims =
            params.as_ref().or(m.stored.as_ref()).map(|p| (p.width, p.height)).unwrap_or_default();
        let stored = CodecParams {
            rfc6381: format!("avc1.{}", hex::encode(avcc.get(1..4).unwrap_or(&[0x42, 0, 0x1e]))),
            width: dims.0,
            height: dims.1,
            extra_data: hex::encode(&avcc),
        };
        let changed = m.stored.as_ref() != Some(&stored);
        if changed {
            m.stored = Some(stored.clone());
        }
        Some((out.keyframe, out.data, changed.then_some(stored)))
    }

    async fn frame(
        &mut self,
        pts: i64,
        rate: i64,
        keyframe: bool,
        lost: bool,
        data: Vec<u8>,
        params: Option<CodecParams>,
    ) {
        let now = self.ctx.clock.now_ms();
        if let Some(p) = params
            && self.params.as_ref() != Some(&p)
        {
            if self.params.is_some() {
                self.seal("new codec parameters").await;
            }
            self.params = Some(p);
        }
        // Discontinuities, holes and clock slips (docs/time.md). Every hole is a gap, bound into
        // the chain by the next segment (issue 25, D9/D10).
        let mut wall = now;
        if let Some(o) = &self.open {
            let predicted = o.anchor_ms + (pts - o.anchor_pts) * 1000 / rate;
            let (last_pts, last_ms) = (o.last_pts, o.last_ms);
            if pts <= last_pts || pts - last_pts > MAX_PTS_JUMP_S * rate {
                let jump = pts - last_pts;
                self.seal("camera timestamp discontinuity").await;
                self.event(
                    "camera.discontinuity",
                    serde_json::json!({ "pts_jump": jump, "pts_jump_s": jump as f64 / rate as f64 }),
                )
                .await;
                // Frames until the next keyframe cannot be stored: the time until it is a gap.
                let cause = format!(
                    "camera timestamp discontinuity ({:+.1} s); frames until the next keyframe dropped",
                    jump as f64 / rate as f64
                );
                self.start_gap(last_ms, &cause).await;
            } else if predicted - last_ms > self.ctx.hole_ms
                && (now - predicted).abs() <= MAX_CLOCK_SLIP_MS
            {
                // A stall shorter than the stall timeout: the stream resumed after a hole.
                self.seal("stream stalled").await;
                let cause =
                    format!("stream stalled for {:.1} s", (predicted - last_ms) as f64 / 1000.0);
                self.start_gap(last_ms, &cause).await;
                // Nothing lost: the next segment may start mid-GOP (the previous one holds its
                // keyframe); packets lost: it waits for the next keyframe.
                self.continuation = !lost;
                self.gap_lost_nothing = !lost;
                wall = predicted;
            } else if (now - predicted).abs() > MAX_CLOCK_SLIP_MS {
                let slip = now - predicted;
                self.seal("wall clock adjusted").await;
                self.continuation = true;
                self.event("recorder.clock_adjusted", serde_json::json!({ "slip_ms": slip })).await;
            } else {
                wall = predicted;
            }
        }
        if self.disk_full && !self.retry_after_disk_full(now).await {
            self.unpublished.dropped += 1;
            if now - self.unpublished.published_ms >= 1_000 {
                self.publish(now);
            }
            return;
        }
        if let Some(o) = &self.open {
            let new_day = day_of(wall) != o.day;
            let long = keyframe && wall - o.start_ms >= o.target_ms;
            if new_day || long {
                self.seal(if new_day { "JST midnight" } else { "segment length" }).await;
                self.continuation = new_day;
            }
        }
        if self.open.is_none() {
            // A new segment starts at a keyframe, or mid-GOP right after a cut at midnight or
            // for a clock slip (the previous segment holds the GOP's keyframe).
            let may_start =
                keyframe || (self.continuation && (self.gap.is_none() || self.gap_lost_nothing));
            if !may_start {
                self.unpublished.dropped += 1;
                if now - self.unpublished.published_ms >= 1_000 {
                    self.publish(now);
                }
                if now - self.unpublished.published_ms >= 1_000 {
                    self.publish(now);
                }
                return;
            }
            if let Err(e) = self.open_segment(pts, wall).await {
                self.write_failed(e, now).await;
                return;
            }
            self.continuation = false;
        }
        let frame = Frame { pts, wall_ms: wall, keyframe, data };
        let size = frame.data.len();
        let result = {
            let Some(o) = self.open.as_mut() else { return };
            let Some(w) = o.writer.as_mut() else { return };
            w.append(&frame).map_err(Error::from)
        };
        if let Err(e) = result {
            self.write_failed(e, now).await;
            return;
        }
        let (sync_due, flushed) = {
            let Some(o) = self.open.as_mut() else { return };
            o.index.push(pts, wall, size as u32, keyframe);
            o.last_pts = pts;
            o.last_ms = wall;
            let mut flushed = Ok(());
            let mut flush_due = false;
            if wall - o.flushed_ms >= FLUSH_EVERY_MS {
                o.flushed_ms = wall;
                flush_due = true;
                if let Some(w) = o.writer.as_mut() {
                    flushed = w.flush();
                }
            }
            (wall - o.synced_ms >= SYNC_EVERY_MS, (flushed, flush_due))
        };
        let (flushed, flush_due) = flushed;
        if let Err(e) = flushed {
            self.write_failed(e.into(), now).await;
            return;
        }
        // The free-space threshold holds while a segment is open, not only when one opens:
        // below it the segment is sealed while there is still room (issue 25, D5).
        if flush_due && self.ctx.low_on_space() {
            self.seal("disk nearly full").await;
            self.write_failed(
                Error::Io(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "less free space than the reserve; recording paused before the disk is full",
                )),
                now,
            )
            .await;
            return;
        }
        if sync_due {
            self.sync_open(wall).await;
        }
        let u = &mut self.unpublished;
        u.frames += 1;
        u.bytes += size as u64;
        u.last_frame_ms = Some(wall);
        if now - u.published_ms >= 1_000 {
            self.publish(now);
        }
    }

    /// Publishes the accumulated counters and the bitrate to the status board.
    fn publish(&mut self, now: i64) {
        let u = std::mem::take(&mut self.unpublished);
        self.unpublished.published_ms = now;
        let (t0, bytes) = self.bitrate_window;
        let bytes = bytes + u.bytes;
        let bps = if now - t0 >= 2_000 {
            self.bitrate_window = (now, 0);
            Some(bytes * 8 * 1000 / (now - t0).max(1) as u64)
        } else {
            self.bitrate_window = (t0, bytes);
            None
        };
        let seq = self.open.as_ref().map(|o| o.seq);
        self.ctx.status.update(&self.code, now, |s| {
            s.frames += u.frames;
            s.bytes += u.bytes;
            s.dropped += u.dropped;
            s.lost_packets += u.lost_packets;
            s.bad_packets += u.bad_packets;
            if u.last_frame_ms.is_some() {
                s.last_frame_ms = u.last_frame_ms;
            }
            s.segment = seq;
            if let Some(b) = bps {
                s.bitrate_bps = b;
            }
        });
    }

    async fn event(&self, action: &str, detail: serde_json::Value) {
        let mut ev = audit::Event::new(
            "recorder",
            action,
            format!("camera:{}", self.code),
            audit::Outcome::Ok,
        );
        ev.detail = detail;
        self.ctx.audit_event(ev).await;
    }

    async fn day_key(&mut self, day: &str) -> Result<(String, DataKey), Error> {
        if let Some((d, id, k)) = &self.key
            && d == day
        {
            return Ok((id.clone(), k.clone()));
        }
        let (id, key) = match self.ctx.db.day_key(&self.code, day).await? {
            Some(row) => {
                let k = self.ctx.kek.unwrap(&row.wrapped, &self.code, day, &row.key_id)?;
                (row.key_id, k)
            }
            None => {
                let k = DataKey::generate()?;
                let id = media::keys::new_key_id()?;
                let wrapped = self.ctx.kek.wrap(&k, &self.code, day, &id)?;
                // Invariant S2: the key is committed before any file it seals exists.
                self.ctx
                    .db
                    .insert_key(&id, &self.code, day, None, &wrapped, self.ctx.clock.now_ms())
                    .await?;
                (id, k)
            }
        };
        self.key = Some((day.to_owned(), id.clone(), key.clone()));
        Ok((id, key))
    }

    async fn open_segment(&mut self, pts: i64, wall: i64) -> Result<(), Error> {
        if self.ctx.low_on_space() {
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "less free space than the configured minimum",
            )));
        }
        let params =
            self.params.clone().ok_or_else(|| Error::Camera("no codec parameters yet".into()))?;
        let day = day_of(wall);
        let (key_id, key) = self.day_key(&day).await?;
        let dir = self.ctx.data_dir.join("segments").join(&self.code).join(&day);
        let seq = self.next_seq;
        let path = dir.join(format!("{seq:010}.mseg"));
        let header = SegmentHeader {
            version: 1,
            camera: self.code.clone(),
            day: day.clone(),
            seq,
            key_id: key_id.clone(),
            salt: media::segment::new_salt()?,
            clock_rate: 90_000,
            created_ms: wall,
        };
        let (writer, first_offset) =
            tokio::task::spawn_blocking(move || -> Result<(SegmentWriter, u64), Error> {
                let fresh = !dir.exists();
                std::fs::create_dir_all(&dir)?;
                if fresh {
                    // Invariant S3: new directories are durable before files in them are indexed.
                    crate::recovery::sync_dir_chain(&dir)?;
                }
                let w = SegmentWriter::create(&path, header, &key, &params)?;
                let off = w.bytes();
                Ok((w, off))
            })
            .await
            .map_err(|e| Error::Camera(e.to_string()))??;
        self.next_seq += 1;
        let gap_before = match self.gap.take() {
            Some((id, start, cause)) => {
                let written = match id {
                    Some(id) => match self.ctx.db.close_gap(id, wall).await {
                        // A gap whose row never landed (a full disk): recorded whole now.
                        Err(Error::Corrupt(_)) => {
                            self.ctx.db.insert_gap(&self.code, start, wall, &cause).await
                        }
                        other => other,
                    },
                    None => self.ctx.db.insert_gap(&self.code, start, wall, &cause).await,
                };
                if let Err(e) = written {
                    // Keep the gap for the next attempt and remove the file just created.
                    self.gap = Some((id, start, cause));
                    drop(writer);
                    let _ = std::fs::remove_file(
                        self.ctx
                            .data_dir
                            .join("segments")
                            .join(&self.code)
                            .join(&day)
                            .join(format!("{seq:010}.mseg")),
                    );
                    return Err(e);
                }
                Some(Gap { start_ms: start, end_ms: wall, cause })
            }
            None => None,
        };
        let target_ms =
            if self.first { self.ctx.segment_ms + self.stagger_ms } else { self.ctx.segment_ms };
        self.first = false;
        let path = self
            .ctx
            .data_dir
            .join("segments")
            .join(&self.code)
            .join(&day)
            .join(format!("{seq:010}.mseg"));
        self.open = Some(Open {
            writer: Some(writer),
            path,
            seq,
            day,
            key_id,
            start_pts: pts,
            start_ms: wall,
            last_pts: pts,
            last_ms: wall,
            anchor_pts: pts,
            anchor_ms: wall,
            target_ms,
            synced_ms: wall,
            flushed_ms: wall,
            gap_before,
            index: index::Builder::new(first_offset),
        });
        if let Some((version, polygons)) = self.record_mask.take()
            && let Err(e) = self
                .ctx
                .db
                .insert_mask_change(&self.code, version, seq as i64, wall, polygons)
                .await
        {
            tracing::error!(camera = %self.code, error = %e, version, "could not record the mask version in the segment index");
        }
        Ok(())
    }

    async fn sync_open(&mut self, wall: i64) {
        let Some(o) = self.open.as_mut() else { return };
        let Some(mut w) = o.writer.take() else { return };
        let (w, r) = tokio::task::spawn_blocking(move || {
            let r = w.sync();
            (w, r)
        })
        .await
        .unwrap_or_else(|e| panic!("sync task panicked: {e}"));
        o.writer = Some(w);
        o.synced_ms = wall;
        if let Err(e) = r {
            let now = self.ctx.clock.now_ms();
            self.write_failed(e.into(), now).await;
        }
    }

    /// Seals the open segment: trailer, fsync, index row, chain head (invariant S1).
    async fn seal(&mut self, why: &str) {
        let now = self.ctx.clock.now_ms();
        self.publish(now);
        let Some(mut o) = self.open.take() else { return };
        let Some(writer) = o.writer.take() else { return };
        if writer.leaves().is_empty() {
            let path = o.path.clone();
            let _ = tokio::task::spawn_blocking(move || {
                drop(writer);
                std::fs::remove_file(path)
            })
            .await;
            return;
        }
        let link_input = LinkInput {
            camera: self.code.clone(),
            seq: o.seq,
            prev: self.head_link,
            root: [0; 32],
            frames: 0,
            start_ms: o.start_ms,
            end_ms: o.last_ms,
            gap_before: o.gap_before.clone(),
        };
        let sealed = match tokio::task::spawn_blocking(move || writer.finish(link_input)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let now = self.ctx.clock.now_ms();
                self.torn.push(o.path.clone());
                self.write_failed(e.into(), now).await;
                return;
            }
            Err(e) => {
                tracing::error!(camera = %self.code, error = %e, "seal task failed");
                return;
            }
        };
        let row = SegmentRow {
            id: 0,
            camera: self.code.clone(),
            day: o.day.clone(),
            seq: o.seq as i64,
            path: self.ctx.indexed_path(&o.path),
            key_id: o.key_id.clone(),
            start_ms: o.start_ms,
            end_ms: o.last_ms,
            start_pts: o.start_pts,
            end_pts: o.last_pts,
            frames: sealed.trailer.frames as i64,
            bytes: sealed.bytes as i64,
            root: sealed.trailer.root.to_vec(),
            prev_link: self.head_link.to_vec(),
            link: sealed.trailer.link.to_vec(),
            recovered: 0,
            frame_index: o.index.finish(),
        };
        if let Err(e) = self.ctx.db.insert_segment(&row).await {
            // The file is sealed on disk; startup recovery will index it.
            tracing::error!(camera = %self.code, error = %e, "could not index a sealed segment");
            return;
        }
        tracing::debug!(camera = %self.code, seq = o.seq, frames = row.frames, why, "segment sealed");
        self.head_seq = o.seq;
        self.head_link = sealed.trailer.link;
        self.last_end_ms = Some(o.last_ms);
        if o.last_ms - self.last_checkpoint_ms >= CHECKPOINT_EVERY_MS || why != "segment length" {
            self.checkpoint(o.last_ms).await;
        }
    }

    async fn checkpoint(&mut self, at: i64) {
        let c =
            ChainCheckpoint::sign(&self.ctx.signing, &self.code, self.head_seq, self.head_link, at);
        if self.ctx.db.insert_checkpoint(&c).await.is_ok() {
            self.last_checkpoint_ms = at;
        }
    }

    async fn write_failed(&mut self, e: Error, now: i64) {
        if let Some(mut o) = self.open.take() {
            drop(o.writer.take());
            self.torn.push(o.path.clone());
            self.last_end_ms = Some(o.last_ms);
        }
        if is_disk_full(&e) {
            if !self.disk_full {
                self.disk_full = true;
                tracing::error!(camera = %self.code, "disk full: recording paused; nothing in retention is deleted to make room");
                self.ctx.status.set_state(
                    &self.code,
                    now,
                    State::DiskFull,
                    "disk full: recording paused until space returns",
                );
                let mut ev = audit::Event::new(
                    "recorder",
                    "recorder.disk_full",
                    format!("camera:{}", self.code),
                    audit::Outcome::Failed,
                );
                ev.detail = serde_json::json!({ "error": e.to_string() });
                self.ctx.audit_event(ev).await;
                let start = self.last_end_ms.unwrap_or(now);
                if self.gap.is_none() {
                    self.start_gap(start, "disk full").await;
                }
            }
        } else {
            tracing::error!(camera = %self.code, error = %e, "write failed");
            self.ctx.status.set_state(&self.code, now, State::Error, &format!("write failed: {e}"));
            if self.gap.is_none() {
                let start = self.last_end_ms.unwrap_or(now);
                self.start_gap(start, &format!("write failed: {e}")).await;
            }
        }
    }

    /// While the disk is full, every few seconds: try to seal the torn segments; if that
    /// works, recording resumes.
    async fn retry_after_disk_full(&mut self, now: i64) -> bool {
        let since = self
            .ctx
            .status
            .snapshot()
            .iter()
            .find(|s| s.camera == self.code)
            .map_or(0, |s| s.since_ms);
        if now - since < 3_000 || self.ctx.low_on_space() {
            return false;
        }
        let torn = std::mem::take(&mut self.torn);
        for path in torn {
            match crate::recovery::seal_torn(
                &self.ctx,
                &self.code,
                &path,
                self.head_seq,
                self.head_link,
            )
            .await
            {
                Ok(Some((seq, link, end))) => {
                    self.head_seq = seq;
                    self.head_link = link;
                    self.last_end_ms = Some(end);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(camera = %self.code, error = %e, "still cannot seal after disk full");
                    self.torn.push(path);
                    self.ctx.status.set_state(
                        &self.code,
                        now,
                        State::DiskFull,
                        "disk full: recording paused until space returns",
                    );
                    return false;
                }
            }
        }
        self.disk_full = false;
        self.ctx.status.set_state(&self.code, now, State::Recording, "");
        self.event("recorder.disk_space_returned", serde_json::json!({})).await;
        true
    }
}
