//! The recorder in this process behind the [`node::Node`] seam: what the governance server may
//! ask it, with typed answers. No picture crosses except as an evidence package made for an
//! extraction, recorded footage for a viewing the server recorded and bounded (issue 20), or a
//! still under a grant the server recorded (ALL-REC-2).

use crate::{Ctx, Error};
use node::{
    CameraStatus, ExportEncryption, ExportJob, ExportedPackage, FootageKey, Hold, NodeError,
    NodeFacts, NodeFuture, NodeHealth, Polygon, Still,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The recorder of this process as a [`node::Node`].
pub struct LocalNode {
    ctx: Arc<Ctx>,
    exports: PathBuf,
    /// The server checkpoint last witnessed in the node's log (read from the log once, then
    /// kept here, so witnessing does not read the whole log every time).
    witnessed: Arc<Mutex<Option<(u64, audit::Digest)>>>,
    /// One change of the assigned cameras at a time.
    assigning: Arc<tokio::sync::Mutex<()>>,
}

/// The file that keeps the centre's camera assignments on the node (issue 21), so it records
/// the same cameras after a restart while the centre is unreachable.
pub const ASSIGNED_FILE: &str = "assigned-cameras.json";

/// The cameras the centre last assigned to the recorder of `data_dir` (none when it never did).
pub fn assigned(data_dir: &std::path::Path) -> Result<Vec<node::Assignment>, Error> {
    match std::fs::read(data_dir.join(ASSIGNED_FILE)) {
        Ok(b) => {
            serde_json::from_slice(&b).map_err(|e| Error::Config(format!("{ASSIGNED_FILE}: {e}")))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The file that keeps the node's key for camera credentials (issue 21): the secret half of
/// the key the centre seals each assigned camera's user and password to. Mode 0600.
pub const SEALING_KEY_FILE: &str = "credentials.key";

/// The node's key for camera credentials in `data_dir`, made on first use.
pub fn sealing_key(data_dir: &std::path::Path) -> Result<node::sealed::SealingKey, Error> {
    let path = data_dir.join(SEALING_KEY_FILE);
    match std::fs::read(&path) {
        Ok(b) => {
            let raw: [u8; 32] = b.try_into().map_err(|_| {
                Error::Config(format!("{}: not a credentials key (32 bytes)", path.display()))
            })?;
            Ok(node::sealed::SealingKey::from_bytes(raw))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            std::fs::create_dir_all(data_dir)?;
            let key = node::sealed::SealingKey::generate();
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            match o.open(&path) {
                Ok(mut f) => {
                    f.write_all(&key.to_bytes())?;
                    f.sync_all()?;
                    Ok(key)
                }
                // Made meanwhile by another caller: that one is the key.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => sealing_key(data_dir),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// A camera assignment as the recorder's configuration; its credentials, when it has any, are
/// opened with the node's key in `data_dir`.
pub fn camera_config(
    a: &node::Assignment,
    data_dir: &std::path::Path,
) -> Result<crate::config::CameraConfig, Error> {
    let mut c = crate::config::CameraConfig::from_url(&a.camera, &a.url)?;
    if let Some(sealed) = &a.credentials {
        let creds = sealing_key(data_dir)?
            .open(sealed)
            .map_err(|e| Error::Config(format!("camera {}: {e}", a.camera)))?;
        c.username = Some(creds.username.clone());
        c.password = Some(creds.password.clone());
    }
    c.retention = Some(a.retention);
    c.mask_version = a.mask_version;
    c.masks = a.masks.clone();
    if let Some(service) = &a.onvif {
        // The centre checked it at registration; a node checks what it is sent as well.
        crate::config::check_onvif(&a.camera, service)?;
    }
    c.onvif = a.onvif.clone();
    Ok(c)
}

fn keep_assigned(data_dir: &std::path::Path, list: &[node::Assignment]) -> Result<(), Error> {
    use std::io::Write;
    let path = data_dir.join(ASSIGNED_FILE);
    let tmp = data_dir.join(format!("{ASSIGNED_FILE}.tmp"));
    let bytes = serde_json::to_vec_pretty(list).map_err(|e| Error::Config(e.to_string()))?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

impl LocalNode {
    /// The recorder of `ctx`, writing evidence packages under `exports`.
    pub fn new(ctx: Arc<Ctx>, exports: PathBuf) -> LocalNode {
        LocalNode { ctx, exports, witnessed: Arc::default(), assigning: Arc::default() }
    }
}

/// This machine's clock as its kernel reports it, stamped with the node's time.
fn clock_report(ctx: &Ctx) -> Option<node::ClockReport> {
    clocksync::kernel().map(|s| node::ClockReport {
        synchronised: s.synchronised,
        max_error_ms: s.max_error_ms,
        est_error_ms: s.est_error_ms,
        offset_ms: s.offset_ms,
        at_ms: ctx.clock.now_ms(),
    })
}

/// A recorder error as the seam names it: the records' refusals apart from faults.
fn seam(e: Error) -> NodeError {
    match e {
        Error::Refused(m) | Error::Evidence(evidence::Error::Export(m)) => NodeError::Refused(m),
        other => NodeError::Failed(other.to_string()),
    }
}

impl node::Node for LocalNode {
    fn id(&self) -> &str {
        &self.ctx.node_id
    }

    fn records(&self, camera: &str) -> bool {
        self.ctx.records(camera)
    }

    fn status(&self) -> NodeFuture<Vec<CameraStatus>> {
        let snapshot = self.ctx.status.snapshot();
        Box::pin(async move { Ok(snapshot) })
    }

    fn export(&self, job: ExportJob) -> NodeFuture<ExportedPackage> {
        let ctx = self.ctx.clone();
        let dir = self.exports.clone();
        Box::pin(async move { export(&ctx, &dir, job).await })
    }

    fn still(&self, camera: &str, within: Option<(i64, i64)>) -> NodeFuture<Still> {
        let ctx = self.ctx.clone();
        let camera = camera.to_owned();
        Box::pin(async move {
            if !ctx.records(&camera) {
                return Err(NodeError::NotRecorded(camera));
            }
            let (png, recorded_ms) =
                crate::still::take(&ctx, &camera, within).await.map_err(seam)?;
            Ok(Still { png, recorded_ms })
        })
    }

    fn playback(&self, ask: node::PlaybackAsk<'_>) -> NodeFuture<node::PlaybackChunk> {
        let ctx = self.ctx.clone();
        let camera = ask.camera.to_owned();
        let ask = node::PlaybackAsk { camera: "", ..ask };
        Box::pin(async move {
            if !ctx.records(&camera) {
                return Err(NodeError::NotRecorded(camera));
            }
            let ask = node::PlaybackAsk { camera: &camera, ..ask };
            crate::playback::chunk(&ctx, ask).await.map_err(seam)
        })
    }

    fn recorded(&self, camera: &str, from_ms: i64, to_ms: i64) -> NodeFuture<Vec<(i64, i64)>> {
        let ctx = self.ctx.clone();
        let camera = camera.to_owned();
        Box::pin(async move {
            if !ctx.records(&camera) {
                return Err(NodeError::NotRecorded(camera));
            }
            crate::playback::recorded(&ctx, &camera, from_ms, to_ms).await.map_err(seam)
        })
    }

    fn erasures_since(&self, after: i64, limit: u32) -> NodeFuture<Vec<node::Erasure>> {
        let ctx = self.ctx.clone();
        Box::pin(async move { ctx.db.erasures_since(after, limit).await.map_err(seam) })
    }

    fn sealing_key(&self) -> NodeFuture<String> {
        let dir = self.ctx.data_dir.clone();
        Box::pin(async move { sealing_key(&dir).map(|k| k.public()).map_err(seam) })
    }

    fn health(&self) -> NodeFuture<NodeHealth> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let mut h = ctx.db.health().await.map_err(seam)?;
            h.disk_free_bytes = fs4::available_space(&ctx.data_dir).ok();
            h.clock = clock_report(&ctx);
            Ok(h)
        })
    }

    fn clock(&self) -> NodeFuture<Option<node::ClockReport>> {
        let report = clock_report(&self.ctx);
        Box::pin(async move { Ok(report) })
    }

    fn set_masks(&self, camera: &str, version: i64, polygons: Vec<Polygon>) -> NodeFuture<()> {
        let applied = self.ctx.set_masks(camera, version, polygons);
        let camera = camera.to_owned();
        Box::pin(async move { if applied { Ok(()) } else { Err(NodeError::NotRecorded(camera)) } })
    }

    fn set_masks_source(&self, camera: &str, onvif: Option<String>) -> NodeFuture<()> {
        let ctx = self.ctx.clone();
        let lock = self.assigning.clone();
        let camera = camera.to_owned();
        Box::pin(async move {
            if let Some(u) = &onvif {
                crate::config::check_onvif(&camera, u).map_err(seam)?;
            }
            let _one = lock.lock().await;
            if !ctx.set_masks_source(&camera, onvif.clone()) {
                return Err(NodeError::NotRecorded(camera));
            }
            // An assigned camera keeps the change across the node's restarts.
            let mut list = assigned(&ctx.data_dir).map_err(seam)?;
            if let Some(a) = list.iter_mut().find(|a| a.camera == camera) {
                a.onvif = onvif;
                keep_assigned(&ctx.data_dir, &list).map_err(seam)?;
            }
            Ok(())
        })
    }

    fn set_retention(&self, camera: &str, period: policy::retention::Period) -> NodeFuture<()> {
        let ctx = self.ctx.clone();
        let camera = camera.to_owned();
        Box::pin(async move {
            if !ctx.records(&camera) {
                return Err(NodeError::NotRecorded(camera));
            }
            ctx.set_retention(&camera, period).await.map_err(seam)
        })
    }

    fn set_cameras(&self, cameras: Vec<node::Assignment>) -> NodeFuture<Vec<String>> {
        let ctx = self.ctx.clone();
        let lock = self.assigning.clone();
        Box::pin(async move {
            let _one = lock.lock().await;
            let before = assigned(&ctx.data_dir).map_err(seam)?;
            // Gone, moved to another address or masking another way: stopped (a moved one
            // starts again below).
            for old in &before {
                let now = cameras.iter().find(|c| c.camera == old.camera);
                if now.is_none_or(|c| c.url != old.url || c.credentials != old.credentials) {
                    ctx.remove_camera(&old.camera).await;
                }
            }
            let mut failed = Vec::new();
            for a in &cameras {
                if !ctx.records(&a.camera) {
                    if let Err(e) =
                        ctx.add_camera(camera_config(a, &ctx.data_dir).map_err(seam)?).await
                    {
                        failed.push(format!("{}: {e}", a.camera));
                    }
                    continue;
                }
                let was = before.iter().find(|b| b.camera == a.camera);
                if was.is_none_or(|b| b.mask_version != a.mask_version) {
                    ctx.set_masks(&a.camera, a.mask_version, a.masks.clone());
                }
                // Where the masks are applied switches at the next keyframe, no restart.
                if was.is_none_or(|b| b.onvif != a.onvif) {
                    if let Some(u) = &a.onvif
                        && let Err(e) = crate::config::check_onvif(&a.camera, u)
                    {
                        failed.push(e.to_string());
                        continue;
                    }
                    ctx.set_masks_source(&a.camera, a.onvif.clone());
                }
                if was.is_none_or(|b| b.retention != a.retention)
                    && let Err(e) = ctx.set_retention(&a.camera, a.retention).await
                {
                    failed.push(format!("{}: {e}", a.camera));
                }
            }
            keep_assigned(&ctx.data_dir, &cameras).map_err(seam)?;
            if !failed.is_empty() {
                return Err(NodeError::Refused(failed.join("; ")));
            }
            Ok(ctx.camera_codes())
        })
    }

    fn set_holds(&self, holds: Vec<Hold>) -> NodeFuture<()> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let rows: Vec<crate::db::HoldRow> = holds
                .into_iter()
                .map(|h| crate::db::HoldRow {
                    id: h.id,
                    camera: h.camera,
                    range_from: h.range_from,
                    range_to: h.range_to,
                    until_at: h.until_ms,
                })
                .collect();
            ctx.db.replace_holds(&rows).await.map_err(seam)
        })
    }

    fn live_keys(&self) -> NodeFuture<Vec<FootageKey>> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let keys = ctx.db.keys().await.map_err(seam)?;
            Ok(keys.into_iter().map(|k| FootageKey { camera: k.camera, day: k.day }).collect())
        })
    }

    fn report_facts(&self, from_ms: i64, to_ms: i64) -> NodeFuture<NodeFacts> {
        let ctx = self.ctx.clone();
        Box::pin(async move { ctx.db.report_facts(from_ms, to_ms).await.map_err(seam) })
    }

    fn witness(&self, server: audit::Checkpoint) -> NodeFuture<Option<audit::Checkpoint>> {
        let ctx = self.ctx.clone();
        let cache = self.witnessed.clone();
        Box::pin(async move {
            let log = &ctx.audit;
            let cached = *cache.lock().unwrap_or_else(|p| p.into_inner());
            let last = match cached {
                Some(c) => Some(c),
                None => audit::witnessed_in(log.store(), &server.log_id)
                    .await
                    .map_err(NodeError::failed)?
                    .last()
                    .map(|c| (c.seq, c.hash)),
            };
            if last != Some((server.seq, server.hash)) {
                log.append_at(audit::witness_event(&server), ctx.clock.now())
                    .await
                    .map_err(NodeError::failed)?;
            }
            *cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((server.seq, server.hash));
            match log.checkpoint_if_moved(ctx.clock.now()).await.map_err(NodeError::failed)? {
                Some(c) => Ok(Some(c)),
                None => audit::Store::checkpoints(log.store())
                    .await
                    .map(|cs| cs.into_iter().last())
                    .map_err(NodeError::failed),
            }
        })
    }

    fn audit_log_id(&self) -> NodeFuture<audit::LogId> {
        let ctx = self.ctx.clone();
        Box::pin(
            async move { audit::Store::log_id(ctx.audit.store()).await.map_err(NodeError::failed) },
        )
    }

    fn verify_audit(&self, outside: Vec<audit::Checkpoint>) -> NodeFuture<audit::Report> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let key = ctx.signing.verifying_key();
            audit::verify(ctx.audit.store(), Some(&key), &outside).await.map_err(NodeError::failed)
        })
    }

    fn witnessed(&self, of: audit::LogId) -> NodeFuture<Vec<audit::Checkpoint>> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            audit::witnessed_in(ctx.audit.store(), &of).await.map_err(NodeError::failed)
        })
    }
}

/// Makes one package under `dir`: written to a temporary name, renamed to its id once whole.
async fn export(
    ctx: &Arc<Ctx>,
    dir: &std::path::Path,
    job: ExportJob,
) -> Result<ExportedPackage, NodeError> {
    if !ctx.records(&job.camera) {
        return Err(NodeError::NotRecorded(job.camera));
    }
    let encryption = match job.encryption {
        None => None,
        Some(ExportEncryption::Passphrase(p)) => {
            Some(evidence::package::Encryption::Passphrase(p.into()))
        }
        Some(ExportEncryption::Recipients(r)) => Some(
            evidence::package::Encryption::recipients(&r)
                .map_err(|e| NodeError::Refused(e.to_string()))?,
        ),
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| NodeError::Failed(format!("export directory: {e}")))?;
    let tmp = evidence::export::new_package_id().map_err(NodeError::failed)?;
    let out = dir.join(format!("{tmp}.tmp"));
    let camera = job.camera.clone();
    let made = crate::export::export(
        ctx,
        crate::export::Job {
            camera: job.camera,
            from_ms: job.from_ms,
            to_ms: job.to_ms,
            operator: job.operator,
            refs: job.refs,
            site: job.site,
            out: out.clone(),
            encryption,
        },
    )
    .await
    .map_err(seam)?;
    let ext = if made.encrypted { "zip.age" } else { "zip" };
    let path = dir.join(format!("{}.{ext}", made.package_id));
    tokio::fs::rename(&out, &path)
        .await
        .map_err(|e| NodeError::Failed(format!("placing the package: {e}")))?;
    Ok(ExportedPackage {
        id: made.package_id,
        camera,
        path,
        manifest_sha256: made.manifest_sha256,
        bytes: made.bytes,
        frames: made.frames,
        delivered: (made.delivered.from_ms, made.delivered.to_ms),
        encrypted: made.encrypted,
    })
}
