//! The retention sweeper (SPEC.md §2, §7; PROD-ERASE-1; KIT-5.7). It runs on the recorder node
//! itself, so erasure keeps its schedule when the central server is unreachable.
//!
//! For each (camera, JST day) whose erase instant has passed: segments overlapping a hold in
//! force are re-sealed under a key of their own; then the day key is destroyed (crypto-erasure,
//! invariant E1), then the files are unlinked and their rows deleted (E2), then the erasure is
//! recorded in the node database and the audit log (E3).

use crate::db::KeyRow;
use crate::{Ctx, Error};
use media::keys::DataKey;
use media::segment::{self, SegmentHeader, SegmentWriter};
use policy::retention::Period;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// (camera, day) pairs erased.
    pub erased: Vec<(String, String)>,
    /// Segments kept under a hold.
    pub held_segments: usize,
}

fn erase_at_of_day(ctx: &Ctx, camera: &str, day: &str) -> Option<i64> {
    let period: Period = ctx.retention_of(camera);
    // Hold keys are named `DAY+holdN`: the footage is still that day's.
    let date: jiff::civil::Date = day.split('+').next()?.parse().ok()?;
    let d = policy::retention::erase_day(date, period, ctx.profile.retention.counting).ok()?;
    policy::jst::midnight(d).ok().map(|t| t.as_millisecond())
}

/// Whether a segment may still leave the node at `now`: its day's erase instant has not
/// passed, or a hold in force covers it (SPEC.md §2). The sweeper erases exactly the others;
/// an export or a still asks this too, so that footage past its instant never leaves between
/// two sweeps (issue 25, D8).
pub async fn retained(ctx: &Ctx, s: &crate::db::SegmentRow, now: i64) -> Result<bool, Error> {
    let Some(key) = ctx.db.key(&s.key_id).await? else { return Ok(false) };
    if erase_at_of_day(ctx, &s.camera, &key.day).is_some_and(|at| now < at) {
        return Ok(true);
    }
    Ok(ctx
        .db
        .holds_in_force(now)
        .await?
        .iter()
        .any(|h| h.camera == s.camera && h.range_from <= s.end_ms && s.start_ms < h.range_to))
}

/// Runs one sweep at the clock's "now".
pub async fn sweep(ctx: &Ctx) -> Result<SweepReport, Error> {
    let now = ctx.clock.now_ms();
    let holds = ctx.db.holds_in_force(now).await?;
    let mut report = SweepReport::default();
    for key in ctx.db.keys().await? {
        let Some(erase_at) = erase_at_of_day(ctx, &key.camera, &key.day) else { continue };
        if now < erase_at {
            continue;
        }
        let segments = ctx.db.segments_with_key(&key.key_id).await?;
        let held: Vec<_> = segments
            .iter()
            .filter(|s| {
                holds.iter().any(|h| {
                    h.camera == s.camera && h.range_from <= s.end_ms && s.start_ms < h.range_to
                })
            })
            .collect();
        if key.hold_id.is_none() {
            for s in &held {
                let hold = holds.iter().find(|h| {
                    h.camera == s.camera && h.range_from <= s.end_ms && s.start_ms < h.range_to
                });
                if let Some(h) = hold {
                    rekey(ctx, &key, s, h.id).await?;
                    report.held_segments += 1;
                }
            }
        } else if !held.is_empty() {
            // A hold key whose hold is still in force: keep it.
            report.held_segments += held.len();
            continue;
        }
        erase_key(ctx, &key, now).await?;
        report.erased.push((key.camera.clone(), key.day.clone()));
    }
    Ok(report)
}

/// Re-seals one held segment under the hold's own key, then points its row at the new file.
async fn rekey(
    ctx: &Ctx,
    day_key: &KeyRow,
    s: &crate::db::SegmentRow,
    hold_id: i64,
) -> Result<(), Error> {
    let old_key =
        ctx.kek.unwrap(&day_key.wrapped, &day_key.camera, &day_key.day, &day_key.key_id)?;
    let hold_day = format!("{}+hold{hold_id}", day_key.day);
    let (hold_key_id, hold_key) = match ctx
        .db
        .keys()
        .await?
        .into_iter()
        .find(|k| k.camera == s.camera && k.hold_id == Some(hold_id) && k.day == hold_day)
    {
        Some(k) => {
            let dk = ctx.kek.unwrap(&k.wrapped, &k.camera, &k.day, &k.key_id)?;
            (k.key_id, dk)
        }
        None => {
            let dk = DataKey::generate()?;
            let id = media::keys::new_key_id()?;
            let wrapped = ctx.kek.wrap(&dk, &s.camera, &hold_day, &id)?;
            ctx.db
                .insert_key(&id, &s.camera, &hold_day, Some(hold_id), &wrapped, ctx.clock.now_ms())
                .await?;
            (id, dk)
        }
    };
    let old = ctx.segment_file(&s.path);
    let new = old.with_extension(format!("hold{hold_id}.mseg"));
    let key_id = hold_key_id.clone();
    let new2 = new.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<u64, Error> {
        let c = segment::read(&old, &old_key)?;
        let trailer =
            c.trailer.ok_or_else(|| Error::Corrupt(format!("{} is not sealed", old.display())))?;
        let params = c.params.ok_or_else(|| Error::Corrupt("no codec parameters".into()))?;
        let header = SegmentHeader { key_id, salt: segment::new_salt()?, ..c.header };
        let _ = std::fs::remove_file(&new2);
        let mut w = SegmentWriter::create(&new2, header, &hold_key, &params)?;
        for f in &c.frames {
            w.append(f)?;
        }
        // The same frames give the same root and link: the chain is unchanged.
        let sealed = w.finish(trailer.link_input)?;
        if sealed.trailer.link != trailer.link {
            return Err(Error::Corrupt("re-sealing changed the chain link".into()));
        }
        Ok(sealed.bytes)
    })
    .await
    .map_err(|e| Error::Camera(e.to_string()))??;
    ctx.db.rekey_segment(s.id, &ctx.indexed_path(&new), &hold_key_id, bytes as i64).await?;
    std::fs::remove_file(ctx.segment_file(&s.path))?;
    Ok(())
}

/// Crypto-erasure of one key: the key first, then the files, then the rows.
async fn erase_key(ctx: &Ctx, key: &KeyRow, now: i64) -> Result<(), Error> {
    let segments = ctx.db.segments_with_key(&key.key_id).await?;
    // E1: after this no copy of these files anywhere can be decrypted.
    ctx.db.destroy_key(&key.key_id).await?;
    let mut frames = 0;
    let mut bytes = 0;
    let mut dirs = std::collections::BTreeSet::new();
    for s in &segments {
        frames += s.frames;
        bytes += s.bytes;
        let p = ctx.segment_file(&s.path);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(d) = p.parent() {
            dirs.insert(d.to_path_buf());
        }
    }
    // Files of that key that were never indexed (a crash in between) go too.
    let day_dir = ctx
        .data_dir
        .join("segments")
        .join(&key.camera)
        .join(key.day.split('+').next().unwrap_or(&key.day));
    if let Ok(rd) = std::fs::read_dir(&day_dir) {
        for f in rd.flatten() {
            if segment::read_header(&f.path()).is_ok_and(|h| h.key_id == key.key_id) {
                let _ = std::fs::remove_file(f.path());
            }
        }
        dirs.insert(day_dir);
    }
    for d in dirs {
        let _ = std::fs::File::open(&d).and_then(|f| f.sync_all());
        let _ = std::fs::remove_dir(&d); // only if empty
    }
    // E2: rows after files.
    let ids: Vec<i64> = segments.iter().map(|s| s.id).collect();
    ctx.db.delete_segments(&ids).await?;
    // E3: the record.
    ctx.db
        .insert_erasure(
            &key.camera,
            &key.day,
            &key.key_id,
            segments.len() as i64,
            frames,
            bytes,
            now,
        )
        .await?;
    let mut ev = audit::Event::new(
        "recorder",
        "retention.erase",
        format!("camera:{}", key.camera),
        audit::Outcome::Ok,
    );
    ev.rule = Some(ctx.profile.retention.rule.to_string());
    ev.detail = serde_json::json!({ "day": key.day, "key_id": key.key_id, "segments": segments.len(), "frames": frames, "bytes": bytes });
    ctx.audit_event(ev).await;
    tracing::info!(camera = %key.camera, day = %key.day, frames, "erased (key destroyed, files removed)");
    Ok(())
}
