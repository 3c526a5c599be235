//! Startup recovery (docs/storage.md, invariants R1–R3): every segment file without an index row
//! is either indexed (it was sealed; the crash came before the row), or sealed now from the whole
//! frames it holds (it was open), or removed (its day key is already destroyed, or it holds no
//! frame). Files are processed in sequence order so each camera's chain stays linear.

use crate::db::SegmentRow;
use crate::{Ctx, Error, index};
use media::chain::{Gap, LinkInput};
use media::merkle::Hash;
use media::segment::{self, SegmentContents, SegmentWriter};
use std::path::{Path, PathBuf};

/// Fsyncs a directory and its parent (a new day directory inside a camera directory).
pub fn sync_dir_chain(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()?;
    if let Some(p) = dir.parent() {
        std::fs::File::open(p)?.sync_all()?;
    }
    Ok(())
}

fn seq_of(path: &Path) -> Option<u64> {
    path.file_stem()?.to_str()?.parse().ok()
}

/// Segment files of a camera, in sequence order.
pub fn files_of(data_dir: &Path, camera: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(days) = std::fs::read_dir(data_dir.join("segments").join(camera)) else { return out };
    for day in days.flatten() {
        if let Ok(files) = std::fs::read_dir(day.path()) {
            out.extend(
                files
                    .flatten()
                    .map(|f| f.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "mseg")),
            );
        }
    }
    out.sort_by_key(|p| seq_of(p).unwrap_or(0));
    out
}

/// The highest segment sequence number among a camera's files (0 if none).
pub fn highest_seq_on_disk(data_dir: &Path, camera: &str) -> u64 {
    files_of(data_dir, camera).iter().filter_map(|p| seq_of(p)).max().unwrap_or(0)
}

fn row_of(
    camera: &str,
    indexed_path: String,
    c: &SegmentContents,
    trailer: &segment::Trailer,
    bytes: u64,
    recovered: bool,
) -> SegmentRow {
    let mut idx = index::Builder::new(0);
    let first_offset = c.valid_len.saturating_sub(
        c.frames.iter().map(|f| index::CHUNK_OVERHEAD + f.data.len() as u64).sum::<u64>(),
    );
    idx = if first_offset > 0 { index::Builder::new(first_offset) } else { idx };
    for f in &c.frames {
        idx.push(f.pts, f.wall_ms, f.data.len() as u32, f.keyframe);
    }
    SegmentRow {
        id: 0,
        camera: camera.to_owned(),
        day: c.header.day.clone(),
        seq: c.header.seq as i64,
        path: indexed_path,
        key_id: c.header.key_id.clone(),
        start_ms: c.frames.first().map_or(0, |f| f.wall_ms),
        end_ms: c.frames.last().map_or(0, |f| f.wall_ms),
        start_pts: c.frames.first().map_or(0, |f| f.pts),
        end_pts: c.frames.last().map_or(0, |f| f.pts),
        frames: c.frames.len() as i64,
        bytes: bytes as i64,
        root: trailer.root.to_vec(),
        prev_link: trailer.link_input.prev.to_vec(),
        link: trailer.link.to_vec(),
        recovered: i64::from(recovered),
        frame_index: idx.finish(),
    }
}

/// Seals a torn segment onto the chain head. `None` if it held no frame (removed).
pub async fn seal_torn(
    ctx: &Ctx,
    camera: &str,
    path: &Path,
    head_seq: u64,
    head_link: Hash,
) -> Result<Option<(u64, Hash, i64)>, Error> {
    let header = segment::read_header(path)?;
    let Some(krow) = ctx.db.key(&header.key_id).await? else {
        std::fs::remove_file(path)?;
        return Ok(None);
    };
    let key = ctx.kek.unwrap(&krow.wrapped, camera, &krow.day, &krow.key_id)?;
    // The gap the segment closed when it opened is bound into its link, as it would have been
    // had it been sealed normally (issue 25, D7: after repeated crashes, crash gaps were missing
    // from the chain).
    let gap_before = ctx
        .db
        .gap_ending_at(camera, header.created_ms)
        .await?
        .map(|(start_ms, cause)| Gap { start_ms, end_ms: header.created_ms, cause });
    let p = path.to_path_buf();
    let cam = camera.to_owned();
    let done = tokio::task::spawn_blocking(
        move || -> Result<Option<(SegmentContents, segment::Sealed)>, Error> {
            let (w, contents) = match SegmentWriter::resume(&p, &key) {
                Ok(x) => x,
                Err(media::Error::Format(_)) => {
                    std::fs::remove_file(&p)?;
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            if contents.frames.is_empty() {
                drop(w);
                std::fs::remove_file(&p)?;
                return Ok(None);
            }
            let link_input = LinkInput {
                camera: cam,
                seq: contents.header.seq,
                prev: head_link,
                root: [0; 32],
                frames: 0,
                start_ms: contents.frames.first().map_or(0, |f| f.wall_ms),
                end_ms: contents.frames.last().map_or(0, |f| f.wall_ms),
                gap_before,
            };
            let sealed = w.finish(link_input)?;
            Ok(Some((contents, sealed)))
        },
    )
    .await
    .map_err(|e| Error::Camera(e.to_string()))??;
    // A segment that held no frame is gone; the gap it closed is opened again when the camera
    // starts (`CameraTask::new`), so the next segment binds it.
    let Some((contents, sealed)) = done else { return Ok(None) };
    let _ = head_seq;
    let row =
        row_of(camera, ctx.indexed_path(path), &contents, &sealed.trailer, sealed.bytes, true);
    ctx.db.insert_segment(&row).await?;
    let mut ev = audit::Event::new(
        "recorder",
        "recorder.segment_recovered",
        format!("camera:{camera}"),
        audit::Outcome::Ok,
    );
    ev.detail = serde_json::json!({ "seq": contents.header.seq, "frames": contents.frames.len(), "torn": contents.torn });
    ctx.audit_event(ev).await;
    Ok(Some((contents.header.seq, sealed.trailer.link, row.end_ms)))
}

/// Indexes sealed-but-unindexed files, seals torn ones, removes orphans. Returns segments
/// recovered per camera.
pub async fn recover_all(ctx: &Ctx, cameras: &[String]) -> Result<usize, Error> {
    let mut recovered = 0;
    for camera in cameras {
        for path in files_of(&ctx.data_dir, camera) {
            let indexed = ctx.indexed_path(&path);
            if ctx.db.has_path(&indexed).await? {
                continue;
            }
            let header = match segment::read_header(&path) {
                Ok(h) => h,
                Err(_) => {
                    // Not even a header: the crash came while creating the file.
                    std::fs::remove_file(&path)?;
                    continue;
                }
            };
            // Identity is (camera, seq), not the file's name: a segment indexed under another
            // file is this file's stale copy (a crash between re-sealing a held segment and
            // removing the original), never a second segment with the same number.
            if !ctx
                .db
                .segments_by_seq(camera, header.seq as i64, header.seq as i64)
                .await?
                .is_empty()
            {
                tracing::warn!(camera, file = %path.display(), "removing a stale copy of an indexed segment");
                std::fs::remove_file(&path)?;
                continue;
            }
            let Some(krow) = ctx.db.key(&header.key_id).await? else {
                // Its day was erased: the file is unreadable; remove what is left.
                std::fs::remove_file(&path)?;
                continue;
            };
            let key = ctx.kek.unwrap(&krow.wrapped, camera, &krow.day, &krow.key_id)?;
            let p2 = path.clone();
            let contents = tokio::task::spawn_blocking(move || segment::read(&p2, &key))
                .await
                .map_err(|e| Error::Camera(e.to_string()))??;
            let head = ctx.db.head(camera).await?;
            let (head_seq, head_link): (u64, Hash) = match &head {
                Some(h) => (
                    h.seq as u64,
                    h.link.clone().try_into().map_err(|_| Error::Corrupt("link".into()))?,
                ),
                None => (0, media::chain::genesis(camera, &ctx.node_id)),
            };
            if let Some(t) = &contents.trailer {
                // Invariant R1: sealed and fsynced, crash before the index row.
                let bytes = std::fs::metadata(&path)?.len();
                ctx.db.insert_segment(&row_of(camera, indexed, &contents, t, bytes, false)).await?;
            } else if seal_torn(ctx, camera, &path, head_seq, head_link).await?.is_some() {
                // Invariant R2: the open segment is sealed from its whole frames; the time after
                // it is a gap caused by the crash.
                if ctx.db.open_gap_of(camera).await?.is_none() {
                    let end = ctx.db.head(camera).await?.map_or(0, |h| h.end_ms);
                    ctx.db
                        .open_gap(
                            camera,
                            end,
                            "recorder stopped unexpectedly (crash); its open segment was recovered",
                        )
                        .await?;
                }
            } else {
                continue;
            }
            recovered += 1;
        }
    }
    Ok(recovered)
}
