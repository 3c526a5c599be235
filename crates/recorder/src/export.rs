//! Export from this node's index into an evidence package (issue 5). The governance server calls
//! this for an approved instruction (or an emergency order); nothing else in mimamori takes
//! footage off a node. Every export is written to the node's audit log.

use crate::{Ctx, Error, index};
use evidence::city::CityIdentity;
use evidence::export::{FrameMeta, Output, Request, SegmentSource};
use evidence::manifest::Refs;
use evidence::package::Encryption;
use media::chain::Gap;
use std::path::PathBuf;
use std::sync::Arc;

/// At most this many segments after the range are carried to reach a signed checkpoint (they
/// are signed at least every 5 minutes); beyond it the export signs the head itself.
const MAX_TAIL: i64 = 12;

/// What to export.
pub struct Job {
    /// Camera code.
    pub camera: String,
    /// Range start, UTC ms.
    pub from_ms: i64,
    /// Range end, UTC ms.
    pub to_ms: i64,
    /// Who exports (account login and name).
    pub operator: String,
    /// Workflow records.
    pub refs: Refs,
    /// Site of the camera, when known.
    pub site: Option<String>,
    /// Where to write the package.
    pub out: PathBuf,
    /// Optional encryption to the recipient.
    pub encryption: Option<Encryption>,
}

impl Ctx {
    /// The city's export identity: `DATA/city-export.{key,crt}`, created (self-signed) at the
    /// first export if the city has not installed its own.
    pub async fn city(&self) -> Result<Arc<CityIdentity>, Error> {
        let dir = self.data_dir.clone();
        let id = self.profile.profile.id.clone();
        self.city
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || CityIdentity::load_or_create(&dir, &id))
                    .await
                    .map_err(|e| Error::Config(format!("city identity: {e}")))?
                    .map(Arc::new)
                    .map_err(Error::from)
            })
            .await
            .cloned()
    }
}

/// Exports `job` from this node.
pub async fn export(ctx: &Arc<Ctx>, job: Job) -> Result<Output, Error> {
    let city = ctx.city().await?;
    let db = &ctx.db;
    let cam = &job.camera;
    let now = ctx.clock.now_ms();
    let mut rows = Vec::new();
    let mut expired = 0;
    for r in db.segments_between(cam, job.from_ms, job.to_ms).await? {
        // Footage past its erase instant never leaves, even before the sweeper reaches it.
        if crate::sweeper::retained(ctx, &r, now).await? {
            rows.push(r);
        } else {
            expired += 1;
        }
    }
    if rows.is_empty() && expired > 0 {
        return Err(Error::Evidence(evidence::Error::Export(format!(
            "the footage of camera {cam} in that range is past the end of its retention period \
             and is being erased; it cannot be exported"
        ))));
    }
    let Some(first) = rows.first() else {
        let recent = job.to_ms > ctx.clock.now_ms() - ctx.segment_ms;
        let hint = if recent {
            format!(
                "; footage of the last {} s is still in the open segment and can be exported \
                 once it is sealed",
                ctx.segment_ms / 1000
            )
        } else {
            String::new()
        };
        return Err(Error::Evidence(evidence::Error::Export(format!(
            "no footage of camera {cam} is recorded on this node in that range (never recorded, \
             or already erased){hint}"
        ))));
    };
    // The segment before, for a keyframe at or before the start (a cut at midnight starts
    // mid-GOP).
    let mut before = db.segments_by_seq(cam, first.seq - 1, first.seq - 1).await?;
    if let Some(b) = before.first()
        && !crate::sweeper::retained(ctx, b, now).await?
    {
        before.clear();
    }
    rows.splice(0..0, before);
    let last_seq = rows.last().map_or(0, |r| r.seq);
    let checkpoints = db.checkpoints_between(cam, rows[0].seq, last_seq + MAX_TAIL).await?;
    let tail_end = checkpoints.iter().map(|c| c.seq as i64).find(|s| *s >= last_seq);
    let tail = match tail_end {
        Some(end) if end > last_seq => db.segments_by_seq(cam, last_seq + 1, end).await?,
        _ => Vec::new(),
    };
    let mut sources = Vec::new();
    for r in rows.iter().chain(&tail) {
        let k = db.key(&r.key_id).await?.ok_or_else(|| {
            Error::Evidence(evidence::Error::Export(format!(
                "segment {} of camera {cam} was erased while exporting",
                r.seq
            )))
        })?;
        let key = ctx.kek.unwrap(&k.wrapped, cam, &k.day, &k.key_id)?;
        let frames = index::decode(&r.frame_index)
            .ok_or_else(|| Error::Corrupt(format!("frame index of segment {}", r.seq)))?
            .into_iter()
            .map(|e| FrameMeta {
                pts: e.pts,
                wall_ms: e.wall_ms,
                size: e.size,
                keyframe: e.keyframe,
            })
            .collect();
        sources.push(SegmentSource {
            seq: r.seq as u64,
            day: r.day.clone(),
            path: ctx.segment_file(&r.path),
            key,
            link: r.link.as_slice().try_into().map_err(|_| Error::Corrupt("link".into()))?,
            frames,
        });
    }
    let tail_sources = sources.split_off(rows.len());
    let gaps = db
        .gaps_between(cam, job.from_ms, job.to_ms)
        .await?
        .into_iter()
        .map(|(start_ms, end, cause)| Gap { start_ms, end_ms: end.unwrap_or(now), cause })
        .collect();
    let package_id = evidence::export::new_package_id()?;
    let ctx2 = ctx.clone();
    let job_camera = job.camera.clone();
    let operator = job.operator.clone();
    let refs = job.refs.clone();
    let out = job.out.clone();
    let (from_ms, to_ms) = (job.from_ms, job.to_ms);
    let pid = package_id.clone();
    let result = tokio::task::spawn_blocking(move || {
        let req = Request {
            package_id: pid,
            profile: ctx2.profile.profile.id.clone(),
            refs,
            operator,
            node_id: ctx2.node_id.clone(),
            camera: job_camera.clone(),
            site: job.site.clone(),
            camera_url: ctx2.camera_url(&job_camera).unwrap_or_default(),
            from_ms,
            to_ms,
            now_ms: now,
            segments: sources,
            tail: tail_sources,
            checkpoints,
            gaps,
            signing: &ctx2.signing,
            city: &city,
            unit_name: format!("mimamori {}", ctx2.node_id),
            unit_url: String::new(),
        };
        evidence::export::export(&req, &out, job.encryption.as_ref())
    })
    .await
    .map_err(|e| Error::Config(format!("export task: {e}")))?;
    let outcome = if result.is_ok() { audit::Outcome::Ok } else { audit::Outcome::Failed };
    let mut ev = audit::Event::new(
        &job.operator,
        "footage.export",
        format!("camera:{}", job.camera),
        outcome,
    );
    ev.detail = match &result {
        Ok(o) => serde_json::json!({
            "package": o.package_id, "manifest_sha256": o.manifest_sha256,
            "from": rfc3339(job.from_ms),
            "to": rfc3339(job.to_ms),
            "frames": o.frames, "bytes": o.bytes, "encrypted": o.encrypted,
            "refs": job.refs,
        }),
        Err(e) => serde_json::json!({ "package": package_id, "error": e.to_string() }),
    };
    ctx.audit_event(ev).await;
    Ok(result?)
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(policy::jst::rfc3339).unwrap_or_default()
}
