//! # recorder — continuous recording into encrypted, crash-safe segments
//!
//! One task per camera pulls RTSP with `retina` and writes every frame into a segment sealed
//! under its (camera, JST day) key, hashing it into the segment's Merkle root and the camera's
//! chain as it arrives (before encryption). A sweeper erases each day when its retention ends
//! by destroying the day key first. The recorder offers status, never a picture (ALL-REC-2).
//!
//! Storage layout and numbered invariants: `docs/storage.md`; clocks: `docs/time.md`.

pub mod camera;
pub mod config;
pub mod db;
pub mod export;
pub mod index;
pub mod local_node;
pub mod playback;
pub use local_node::LocalNode;
pub mod recovery;
pub mod source_masks;
pub mod status;
pub mod still;
pub mod sweeper;

use audit::{AuditLog, CheckpointPolicy, FileStore};
use clock::Clock;
use config::RecorderConfig;
use db::NodeDb;
use ed25519_dalek::SigningKey;
use media::keys::Kek;
use policy::Profile;
use policy::retention::Period;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;

/// A recorder error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// File system.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Segment format or crypto.
    #[error(transparent)]
    Media(#[from] media::Error),
    /// Node database.
    #[error("node database: {0}")]
    Db(#[from] sqlx::Error),
    /// Node database migration.
    #[error("node database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The node key.
    #[error(transparent)]
    Key(#[from] audit::key::KeyError),
    /// The audit log.
    #[error(transparent)]
    Audit(#[from] audit::StoreError),
    /// The camera or its stream.
    #[error("{0}")]
    Camera(String),
    /// An export could not be made.
    #[error(transparent)]
    Evidence(#[from] evidence::Error),
    /// The records refuse what was asked (nothing recorded there, erased): a conflict with the
    /// records, not a fault.
    #[error("{0}")]
    Refused(String),
    /// Stored data that does not make sense.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// Bad configuration.
    #[error("configuration: {0}")]
    Config(String),
}

/// Takes the data directory's lock: two recorders on one directory would interleave chains.
fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, Error> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Config(format!(
            "another recorder is running on {} (its lock file is held)",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::Io(e)),
    }
}

/// A version of a camera's privacy masks (version 0 and no polygons: none).
pub type MaskSet = (i64, Vec<masking::Polygon>);

/// What every camera task and the sweeper share.
pub struct Ctx {
    /// Node name.
    pub node_id: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Node database.
    pub db: NodeDb,
    /// Key-encryption key.
    pub kek: Kek,
    /// Node signing key (chain checkpoints).
    pub signing: SigningKey,
    /// The node's audit log.
    pub audit: AuditLog<FileStore>,
    /// Clock.
    pub clock: Clock,
    /// Profile.
    pub profile: Profile,
    /// Status board.
    pub status: status::Board,
    /// Shutdown signal.
    pub shutdown: watch::Receiver<bool>,
    /// Target segment length.
    pub segment_ms: i64,
    /// Stall timeout.
    pub stall_ms: u64,
    /// Max backoff.
    pub max_backoff_ms: u64,
    /// Minimum free space to keep writing: the configured minimum plus a reserve per camera.
    pub min_free_bytes: u64,
    /// A pause between frames longer than this is a gap (ms).
    pub hole_ms: i64,
    /// The networks cameras may be in (empty: any).
    pub camera_networks: Vec<ipnet::IpNet>,
    /// Each camera's retention period where it is not the profile's default; changed while
    /// running when an owner sets its own period (SAK-9).
    retention: std::sync::RwLock<HashMap<String, Period>>,
    /// Audit events not yet written (a full disk): written first at the next chance, in order.
    pending_audit: tokio::sync::Mutex<Vec<(audit::Event, jiff::Timestamp)>>,
    /// Camera URLs without credentials (named in exported files): the cameras recorded here.
    camera_urls: std::sync::RwLock<HashMap<String, String>>,
    /// Each recording camera's task and the switch that stops it.
    running: tokio::sync::Mutex<HashMap<String, Running>>,
    /// The city's export signing identity, loaded or created at the first export.
    city: tokio::sync::OnceCell<Arc<evidence::city::CityIdentity>>,
    /// Each camera's privacy masks (version, polygons): a new value reaches the camera's task,
    /// which applies it at the next keyframe.
    masks: std::sync::RwLock<HashMap<String, watch::Sender<MaskSet>>>,
    /// Where each camera's masks are applied (PROD-MASK-1): its ONVIF Media2 service, or `None`
    /// for burn-in by the recorder. A new value reaches the camera's task, which switches at
    /// the next keyframe, without a new session.
    sources: std::sync::RwLock<HashMap<String, watch::Sender<Option<String>>>>,
    /// Exclusive lock on the data directory, held while the recorder runs.
    lock: std::sync::Mutex<Option<std::fs::File>>,
    /// The previous run on this data directory did not stop cleanly (no shutdown marker): the
    /// time since its last frames is a crash gap, not "recorder not running" (issue 25, D12).
    pub previous_run_crashed: bool,
}

/// A camera's running task.
struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// Written at a clean stop, removed at start: its absence at start means the last run crashed.
const CLEAN_STOP_MARKER: &str = "clean-stop";

impl Ctx {
    /// The file of an indexed segment. Index rows hold paths relative to the data directory
    /// (invariant S6), so the directory can be spelled, moved or restored differently.
    pub fn segment_file(&self, indexed: &str) -> PathBuf {
        self.data_dir.join(indexed)
    }

    /// The path an index row holds for `file`, a file under the data directory.
    pub fn indexed_path(&self, file: &std::path::Path) -> String {
        file.strip_prefix(&self.data_dir).unwrap_or(file).to_string_lossy().into_owned()
    }

    /// Whether this node records `camera`.
    pub fn records(&self, camera: &str) -> bool {
        self.camera_urls
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(camera)
    }

    /// The URL (without credentials) of a camera recorded here.
    pub fn camera_url(&self, camera: &str) -> Option<String> {
        self.camera_urls
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(camera)
            .cloned()
    }

    /// The cameras recorded here, sorted.
    pub fn camera_codes(&self) -> Vec<String> {
        let mut c: Vec<String> = self
            .camera_urls
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        c.sort();
        c
    }

    /// Starts recording a camera while the recorder runs (issue 21: the centre assigned it):
    /// recovers what an earlier run left of it, then starts its task. Refused for a camera
    /// recorded already, a bad code or a retention outside the profile's bounds.
    pub async fn add_camera(self: &Arc<Self>, cam: config::CameraConfig) -> Result<(), Error> {
        config::check_code(&cam.code).map_err(Error::Config)?;
        if self.records(&cam.code) {
            return Err(Error::Config(format!("camera {} is recorded already", cam.code)));
        }
        if let Some(p) = cam.retention {
            self.profile
                .check_retention_setting(p)
                .map_err(|e| Error::Config(format!("camera {}: {e}", cam.code)))?;
            self.retention
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(cam.code.clone(), p);
        }
        let mut running = self.running.lock().await;
        recovery::recover_all(self, std::slice::from_ref(&cam.code)).await?;
        self.camera_urls
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(cam.code.clone(), config::without_credentials(&cam.url));
        self.masks
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(cam.code.clone(), watch::channel((cam.mask_version, cam.masks.clone())).0);
        self.sources
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(cam.code.clone(), watch::channel(cam.onvif.clone()).0);
        let code = cam.code.clone();
        let index = running.len();
        let (stop, rx) = watch::channel(false);
        let task = match camera::CameraTask::new(self.clone(), cam, index, rx).await {
            Ok(t) => t,
            Err(e) => {
                self.forget(&code);
                return Err(e);
            }
        };
        running.insert(code.clone(), Running { stop, task: tokio::spawn(task.run()) });
        let mut ev = audit::Event::new(
            "recorder",
            "camera.assign",
            format!("camera:{code}"),
            audit::Outcome::Ok,
        );
        ev.detail = serde_json::json!({ "url": self.camera_url(&code) });
        self.audit_event(ev).await;
        Ok(())
    }

    /// Stops recording a camera (no longer assigned here): its open segment is sealed; what it
    /// recorded stays and is erased on schedule. False when it was not recorded here.
    pub async fn remove_camera(&self, camera: &str) -> bool {
        let Some(r) = self.running.lock().await.remove(camera) else { return false };
        let _ = r.stop.send(true);
        let _ = r.task.await;
        self.forget(camera);
        let ev = audit::Event::new(
            "recorder",
            "camera.unassign",
            format!("camera:{camera}"),
            audit::Outcome::Ok,
        );
        self.audit_event(ev).await;
        true
    }

    fn forget(&self, camera: &str) {
        self.camera_urls.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(camera);
        self.masks.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(camera);
        self.sources.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(camera);
        self.status.remove(camera);
    }

    /// Hands a new version of a camera's privacy masks to its running task, which burns it in
    /// from the next keyframe on and records the change in the segment index (ASA-2.1). False
    /// when this node does not record the camera.
    pub fn set_masks(&self, camera: &str, version: i64, polygons: Vec<masking::Polygon>) -> bool {
        match self.masks.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(camera) {
            Some(tx) => {
                tx.send_replace((version, polygons));
                true
            }
            None => false,
        }
    }

    /// Changes where a camera's masks are applied (PROD-MASK-1): at the camera through its
    /// ONVIF Media2 service `onvif` (burned in until a keyframe of its own shows them), or
    /// burned in by the recorder (`None`). The camera's task switches at its next keyframe;
    /// the recording is not interrupted. False when this node does not record the camera.
    pub fn set_masks_source(&self, camera: &str, onvif: Option<String>) -> bool {
        match self.sources.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(camera) {
            Some(tx) => {
                tx.send_if_modified(|now| {
                    let changed = *now != onvif;
                    *now = onvif;
                    changed
                });
                true
            }
            None => false,
        }
    }

    /// A receiver of where a camera's masks are applied.
    pub(crate) fn source_updates(&self, camera: &str) -> Option<watch::Receiver<Option<String>>> {
        self.sources
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(camera)
            .map(watch::Sender::subscribe)
    }

    /// A receiver of a camera's mask versions.
    pub(crate) fn mask_updates(&self, camera: &str) -> Option<watch::Receiver<MaskSet>> {
        self.masks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(camera)
            .map(watch::Sender::subscribe)
    }

    /// Whether the data directory has less free space than the minimum.
    pub fn low_on_space(&self) -> bool {
        fs4::available_space(&self.data_dir).is_ok_and(|free| free < self.min_free_bytes)
    }

    /// The retention period of a camera.
    pub fn retention_of(&self, camera: &str) -> Period {
        let set = self.retention.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        set.get(camera).copied().unwrap_or_else(|| self.profile.default_period())
    }

    /// Sets a camera's retention period from now on, within the profile's bounds (SAK-9), and
    /// records the change in the node's audit log. The next sweep erases by it.
    pub async fn set_retention(&self, camera: &str, period: Period) -> Result<(), Error> {
        if !self.records(camera) {
            return Err(Error::Config(format!("camera {camera} is not recorded here")));
        }
        self.profile
            .check_retention_setting(period)
            .map_err(|e| Error::Refused(format!("camera {camera}: {e}")))?;
        let before = {
            let mut set = self.retention.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            set.insert(camera.to_owned(), period)
        };
        let mut ev = audit::Event::new(
            "recorder",
            "retention.set",
            format!("camera:{camera}"),
            audit::Outcome::Ok,
        );
        ev.rule = Some(self.profile.retention.rule.to_string());
        ev.detail = serde_json::json!({
            "period": period.to_string(),
            "before": before.unwrap_or_else(|| self.profile.default_period()).to_string(),
        });
        self.audit_event(ev).await;
        Ok(())
    }

    /// Appends to the node audit log. An event that cannot be written now (a full disk) is kept
    /// and written, in order, at the next chance; recording never stops for it.
    pub async fn audit_event(&self, ev: audit::Event) {
        let mut q = self.pending_audit.lock().await;
        q.push((ev, self.clock.now()));
        while let Some((e, at)) = q.first().cloned() {
            match self.audit.append_at(e, at).await {
                Ok(_) => {
                    q.remove(0);
                }
                Err(err) => {
                    tracing::error!(error = %err, pending = q.len(), "could not write the node audit log yet");
                    break;
                }
            }
        }
    }
}

/// A running recorder.
pub struct Recorder {
    /// Shared context.
    pub ctx: Arc<Ctx>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Recorder {
    /// Opens the node database and key, recovers from any crash, and starts one task per camera,
    /// the sweeper and the status writer.
    pub async fn start(
        config: RecorderConfig,
        profile: Profile,
        clock: Clock,
    ) -> Result<Recorder, Error> {
        std::fs::create_dir_all(&config.data_dir)?;
        // One spelling of the data directory for the whole run, whatever the command line said
        // (`data`, `./data`, `/abs/data`, a symlinked mount): index rows hold paths relative to
        // it (docs/storage.md, invariant S6).
        let data_dir = std::fs::canonicalize(&config.data_dir)?;
        for c in &config.cameras {
            config::check_code(&c.code).map_err(Error::Config)?;
        }
        let lock = lock_data_dir(&data_dir)?;
        let marker = data_dir.join(CLEAN_STOP_MARKER);
        let previous_run_crashed = !marker.exists() && data_dir.join("node.db").exists();
        if marker.exists() {
            std::fs::remove_file(&marker)?;
        }
        let mut retention = HashMap::new();
        for c in &config.cameras {
            if let Some(p) = c.retention {
                profile
                    .check_retention_setting(p)
                    .map_err(|e| Error::Config(format!("camera {}: {e}", c.code)))?;
                retention.insert(c.code.clone(), p);
            }
        }
        let signing = audit::key::load_or_create(&config.key_path)?;
        let kek = Kek::derive(&signing.to_bytes());
        let db = NodeDb::open(&data_dir).await?;
        let audit_file = FileStore::open(data_dir.join("audit.log"))?;
        // A line cut by a crash mid-append is set aside (audit.log.torn) so the chain carries
        // on after whole records; the start entry says so (issue 17, item 6).
        let torn_audit_line = audit_file.set_aside_torn_tail()?;
        let audit =
            AuditLog::open(audit_file, signing.clone(), CheckpointPolicy::default()).await?;
        let (stop, shutdown) = watch::channel(false);
        let ctx = Arc::new(Ctx {
            node_id: config.node_id.clone(),
            data_dir,
            db,
            kek,
            signing,
            audit,
            clock,
            profile,
            status: status::Board::default(),
            shutdown,
            segment_ms: config.segment_ms,
            stall_ms: config.stall_ms,
            max_backoff_ms: config.max_backoff_ms,
            min_free_bytes: config.min_free_bytes
                + config.reserve_per_camera * config.cameras.len() as u64,
            hole_ms: config.hole_ms,
            camera_networks: config.camera_networks.clone(),
            retention: std::sync::RwLock::new(retention),
            pending_audit: tokio::sync::Mutex::new(Vec::new()),
            camera_urls: std::sync::RwLock::new(
                config
                    .cameras
                    .iter()
                    .map(|c| (c.code.clone(), config::without_credentials(&c.url)))
                    .collect(),
            ),
            running: tokio::sync::Mutex::new(HashMap::new()),
            city: tokio::sync::OnceCell::new(),
            masks: std::sync::RwLock::new(
                config
                    .cameras
                    .iter()
                    .map(|c| (c.code.clone(), watch::channel((c.mask_version, c.masks.clone())).0))
                    .collect(),
            ),
            sources: std::sync::RwLock::new(
                config
                    .cameras
                    .iter()
                    .map(|c| (c.code.clone(), watch::channel(c.onvif.clone()).0))
                    .collect(),
            ),
            lock: std::sync::Mutex::new(Some(lock)),
            previous_run_crashed,
        });
        let codes: Vec<String> = config.cameras.iter().map(|c| c.code.clone()).collect();
        let recovered = recovery::recover_all(&ctx, &codes).await?;
        let mut ev = audit::Event::new(
            "recorder",
            "recorder.start",
            format!("node:{}", config.node_id),
            audit::Outcome::Ok,
        );
        ev.detail = serde_json::json!({
            "cameras": codes,
            "recovered_segments": recovered,
            "torn_audit_line": torn_audit_line,
        });
        // A clock other than the system's (tests and demonstrations: `serve --clock-start`)
        // moves erasure with it: the log says so, with how far it is off.
        if !matches!(ctx.clock, clock::Clock::System) {
            ev.detail["clock_offset_ms"] =
                serde_json::json!(ctx.clock.now_ms() - jiff::Timestamp::now().as_millisecond());
        }
        ctx.audit_event(ev).await;
        // Nothing past its erase instant is served after a restart: the first sweep runs before
        // the recorder is handed to anyone (issue 25, D8; exports check the instant as well).
        if let Err(e) = sweeper::sweep(&ctx).await {
            tracing::error!(error = %e, "the retention sweep at start failed; will retry");
        }
        let mut tasks = Vec::new();
        {
            let mut running = ctx.running.lock().await;
            for (i, cam) in config.cameras.into_iter().enumerate() {
                let (stop, rx) = watch::channel(false);
                let code = cam.code.clone();
                let task = camera::CameraTask::new(ctx.clone(), cam, i, rx).await?;
                running.insert(code, Running { stop, task: tokio::spawn(task.run()) });
            }
        }
        tasks.push(tokio::spawn(sweep_loop(ctx.clone(), config.sweep_every_ms)));
        tasks.push(tokio::spawn(status_loop(ctx.clone())));
        tasks.push(tokio::spawn(checkpoint_loop(ctx.clone())));
        Ok(Recorder { ctx, stop, tasks })
    }

    /// Stops cleanly: every open segment is sealed and indexed before this returns (SIGTERM loses
    /// nothing).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let cameras: Vec<Running> = self.ctx.running.lock().await.drain().map(|(_, r)| r).collect();
        for r in &cameras {
            let _ = r.stop.send(true);
        }
        for r in cameras {
            let _ = r.task.await;
        }
        for t in self.tasks {
            let _ = t.await;
        }
        write_status(&self.ctx);
        let ev = audit::Event::new(
            "recorder",
            "recorder.stop",
            format!("node:{}", self.ctx.node_id),
            audit::Outcome::Ok,
        );
        self.ctx.audit_event(ev).await;
        // The stop is signed: a clean shutdown leaves no unsigned tail.
        if let Err(e) = self.ctx.audit.checkpoint_if_moved(self.ctx.clock.now()).await {
            tracing::error!(error = %e, "could not sign the node audit log at stop");
        }
        self.ctx.db.close().await;
        // Everything is sealed and indexed: the next start knows this run ended cleanly.
        if let Err(e) = std::fs::File::create(self.ctx.data_dir.join(CLEAN_STOP_MARKER))
            .and_then(|f| f.sync_all())
            .and_then(|()| recovery::sync_dir_chain(&self.ctx.data_dir))
        {
            tracing::error!(error = %e, "could not mark the clean stop; the next start will call the time since a crash");
        }
        // Release the data directory for the next recorder.
        if let Ok(mut l) = self.ctx.lock.lock() {
            l.take();
        }
    }

    /// Replaces the holds the sweeper obeys (from the governance server or configuration).
    pub async fn set_holds(&self, holds: &[db::HoldRow]) -> Result<(), Error> {
        self.ctx.db.replace_holds(holds).await
    }

    /// Runs one retention sweep now.
    pub async fn sweep_now(&self) -> Result<sweeper::SweepReport, Error> {
        sweeper::sweep(&self.ctx).await
    }

    /// Every camera's status.
    pub fn status(&self) -> Vec<status::CameraStatus> {
        self.ctx.status.snapshot()
    }

    /// The cameras this recorder records (configured, whether or not connected yet).
    pub fn cameras(&self) -> Vec<String> {
        self.ctx.camera_codes()
    }
}

async fn sweep_loop(ctx: Arc<Ctx>, every_ms: u64) {
    let mut shutdown = ctx.shutdown.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(every_ms)) => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = sweeper::sweep(&ctx).await {
            tracing::error!(error = %e, "retention sweep failed; will retry");
        }
    }
}

/// Writes `status.json` beside the data (read by `mimamori recorder status`).
///
/// The file is padded to a multiple of 4 KiB, so that when the disk is full — exactly when the
/// status matters (issue 25, D6) — the new status can still overwrite the old one in place
/// (blocks already allocated) instead of the write-then-rename, which needs new blocks.
fn write_status(ctx: &Ctx) {
    use std::io::{Seek, Write};
    let v = serde_json::json!({
        "node": ctx.node_id,
        "written_at": policy::jst::rfc3339(ctx.clock.now()),
        "cameras": ctx.status.snapshot(),
    });
    let mut text = serde_json::to_vec_pretty(&v).unwrap_or_default();
    text.push(b'\n');
    let padded = text.len().div_ceil(4096) * 4096;
    text.resize(padded, b' ');
    let path = ctx.data_dir.join("status.json");
    let tmp = ctx.data_dir.join("status.json.tmp");
    if std::fs::write(&tmp, &text).is_ok() && std::fs::rename(&tmp, &path).is_ok() {
        return;
    }
    let _ = std::fs::remove_file(&tmp);
    // No room for a new file: overwrite in place if the old one is large enough.
    let fits = std::fs::metadata(&path).is_ok_and(|m| m.len() >= text.len() as u64);
    if fits && let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
        let old_len = f.metadata().map(|m| m.len()).unwrap_or(0) as usize;
        text.resize(old_len, b' ');
        let _ = f.seek(std::io::SeekFrom::Start(0)).and_then(|_| f.write_all(&text));
    }
}

/// Signs the node audit log's head every [`CheckpointPolicy::every`] when entries came since
/// the last checkpoint, so a quiet log is not left unsigned longer than that (issue 17, item 6).
async fn checkpoint_loop(ctx: Arc<Ctx>) {
    let mut shutdown = ctx.shutdown.clone();
    let every = CheckpointPolicy::default().every.unsigned_abs();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = ctx.audit.checkpoint_if_moved(ctx.clock.now()).await {
            tracing::error!(error = %e, "could not sign the node audit log");
        }
    }
}

async fn status_loop(ctx: Arc<Ctx>) {
    let mut shutdown = ctx.shutdown.clone();
    loop {
        write_status(&ctx);
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
