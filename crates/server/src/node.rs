//! The recorder running in this process (`serve --role all`, `demo`): its status for the
//! dashboard and its export for extractions. No picture ever crosses this boundary except as an
//! evidence package made for an extraction (ALL-REC-2).

use crate::state::{
    AppState, ExportEncryption, ExportError, ExportJob, ExportedPackage, Exporter, RecorderStatus,
};
use futures::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Arc;

/// A recorder in this process.
pub struct LocalRecorder {
    ctx: Arc<recorder::Ctx>,
    exports: PathBuf,
    /// The server checkpoint last witnessed in the node's log (read from the log once, then
    /// kept here, so witnessing does not read the whole log every time).
    witnessed: Arc<std::sync::Mutex<Option<(u64, audit::Digest)>>>,
}

impl LocalRecorder {
    /// Links the recorder to the server: status, and exports written under `exports`.
    pub fn attach(state: &AppState, ctx: Arc<recorder::Ctx>, exports: PathBuf) {
        let me = Arc::new(LocalRecorder { ctx, exports, witnessed: Arc::default() });
        *state.recorder.write().unwrap_or_else(|p| p.into_inner()) = Some(me.clone());
        *state.exporter.write().unwrap_or_else(|p| p.into_inner()) = Some(me);
    }

    /// Erases expired evidence packages every hour until the recorder stops.
    pub fn spawn_package_sweeper(state: Arc<AppState>, ctx: &recorder::Ctx) {
        let mut shutdown = ctx.shutdown.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = crate::api::erase_expired_packages(&state).await {
                    tracing::error!(error = ?e.0.detail, "evidence package sweep failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        });
    }
}

impl RecorderStatus for LocalRecorder {
    fn status(&self) -> serde_json::Value {
        serde_json::json!({ "cameras": self.ctx.status.snapshot() })
    }
}

fn failed(refused: bool, message: impl Into<String>) -> ExportError {
    ExportError { refused, message: message.into() }
}

impl Exporter for LocalRecorder {
    fn records(&self, camera: &str) -> bool {
        self.ctx.records(camera)
    }

    fn node_id(&self) -> String {
        self.ctx.node_id.clone()
    }

    fn set_masks(&self, camera: &str, version: i64, polygons: Vec<masking::Polygon>) -> bool {
        self.ctx.set_masks(camera, version, polygons)
    }

    fn witness(
        &self,
        server: audit::Checkpoint,
    ) -> BoxFuture<'static, Result<Option<audit::Checkpoint>, String>> {
        let ctx = self.ctx.clone();
        let cache = self.witnessed.clone();
        Box::pin(async move {
            let log = &ctx.audit;
            let cached = *cache.lock().unwrap_or_else(|p| p.into_inner());
            let last = match cached {
                Some(c) => Some(c),
                None => audit::witnessed_in(log.store(), &server.log_id)
                    .await
                    .map_err(|e| e.to_string())?
                    .last()
                    .map(|c| (c.seq, c.hash)),
            };
            if last != Some((server.seq, server.hash)) {
                log.append_at(audit::witness_event(&server), ctx.clock.now())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            *cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((server.seq, server.hash));
            match log.checkpoint_if_moved(ctx.clock.now()).await {
                Ok(Some(c)) => Ok(Some(c)),
                Ok(None) => audit::Store::checkpoints(log.store())
                    .await
                    .map(|cs| cs.into_iter().last())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn audit_log_id(&self) -> BoxFuture<'static, Result<audit::LogId, String>> {
        let ctx = self.ctx.clone();
        Box::pin(
            async move { audit::Store::log_id(ctx.audit.store()).await.map_err(|e| e.to_string()) },
        )
    }

    fn verify_audit(
        &self,
        outside: Vec<audit::Checkpoint>,
    ) -> BoxFuture<'static, Result<audit::Report, String>> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let key = ctx.signing.verifying_key();
            audit::verify(ctx.audit.store(), Some(&key), &outside).await.map_err(|e| e.to_string())
        })
    }

    fn witnessed(
        &self,
        of: audit::LogId,
    ) -> BoxFuture<'static, Result<Vec<audit::Checkpoint>, String>> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            audit::witnessed_in(ctx.audit.store(), &of).await.map_err(|e| e.to_string())
        })
    }

    fn still(
        &self,
        camera: &str,
        within: Option<(i64, i64)>,
    ) -> BoxFuture<'static, Result<(Vec<u8>, i64), String>> {
        let ctx = self.ctx.clone();
        let camera = camera.to_owned();
        Box::pin(async move {
            recorder::still::take(&ctx, &camera, within).await.map_err(|e| e.to_string())
        })
    }

    fn live_keys(&self) -> BoxFuture<'static, Result<Vec<String>, String>> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let keys = ctx.db.keys().await.map_err(|e| e.to_string())?;
            Ok(keys.iter().map(|k| format!("{}/{}", k.camera, k.day)).collect())
        })
    }

    fn report_facts(
        &self,
        from: i64,
        to: i64,
    ) -> BoxFuture<'static, Result<recorder::db::NodeFacts, String>> {
        let ctx = self.ctx.clone();
        Box::pin(async move { ctx.db.report_facts(from, to).await.map_err(|e| e.to_string()) })
    }

    fn export(&self, job: ExportJob) -> BoxFuture<'static, Result<ExportedPackage, ExportError>> {
        let ctx = self.ctx.clone();
        let dir = self.exports.clone();
        Box::pin(async move {
            let encryption = match job.encryption {
                None => None,
                Some(ExportEncryption::Passphrase(p)) => {
                    Some(evidence::package::Encryption::Passphrase(p.into()))
                }
                Some(ExportEncryption::Recipients(r)) => Some(
                    evidence::package::Encryption::recipients(&r)
                        .map_err(|e| failed(true, e.to_string()))?,
                ),
            };
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| failed(false, format!("export directory: {e}")))?;
            let tmp =
                evidence::export::new_package_id().map_err(|e| failed(false, e.to_string()))?;
            let out = dir.join(format!("{tmp}.tmp"));
            let refs = job.refs;
            let camera = job.camera.clone();
            let o = recorder::export::export(
                &ctx,
                recorder::export::Job {
                    camera: job.camera,
                    from_ms: job.from_ms,
                    to_ms: job.to_ms,
                    operator: job.operator,
                    refs,
                    site: job.site,
                    out: out.clone(),
                    encryption,
                },
            )
            .await
            .map_err(|e| match e {
                recorder::Error::Evidence(evidence::Error::Export(m)) => failed(true, m),
                other => failed(false, other.to_string()),
            })?;
            let ext = if o.encrypted { "zip.age" } else { "zip" };
            let path = dir.join(format!("{}.{ext}", o.package_id));
            tokio::fs::rename(&out, &path)
                .await
                .map_err(|e| failed(false, format!("placing the package: {e}")))?;
            Ok(ExportedPackage {
                id: o.package_id,
                camera,
                path,
                manifest_sha256: o.manifest_sha256,
                bytes: o.bytes,
                frames: o.frames,
                delivered: (o.delivered.from_ms, o.delivered.to_ms),
                encrypted: o.encrypted,
            })
        })
    }
}

/// The privacy masks the recorder must burn in for `camera`: the newest registered version, if
/// it is marked "in recorder" (ASA-2.1), with its version (0 and none when there is none). Read
/// when the recorder starts; later versions reach it through [`Exporter::set_masks`].
pub async fn recorder_masks(
    db: &store::Db,
    camera: &str,
) -> Result<(i64, Vec<masking::Polygon>), store::StoreError> {
    let Some(c) = db.camera_by_code(camera).await? else { return Ok((0, Vec::new())) };
    let Some(m) = db.camera_masks(c.id).await?.into_iter().next() else {
        return Ok((0, Vec::new()));
    };
    Ok((m.version, mask_polygons(&m)))
}

/// The polygons a mask version has the recorder burn in (none unless "in recorder").
pub fn mask_polygons(m: &store::registry::CameraMasks) -> Vec<masking::Polygon> {
    if m.in_recorder == 0 {
        return Vec::new();
    }
    let polys: Vec<Vec<Vec<f64>>> = serde_json::from_str(&m.polygons).unwrap_or_default();
    polys
        .iter()
        .map(|p| {
            masking::Polygon::from_pairs(
                &p.iter().filter_map(|xy| Some((*xy.first()?, *xy.get(1)?))).collect::<Vec<_>>(),
            )
        })
        .filter(|p| p.validate().is_ok())
        .collect()
}
