//! Recorded footage for playback in an authorised viewing (issue 20). The governance server has
//! recorded the viewing and checked the ask against it (person, PC, cameras, range, never near
//! the live edge); this module only cuts the asked piece out of the sealed segments, at
//! keyframes, and wraps the recorded access units in fragmented MP4 ([`evidence::fmp4`]).
//!
//! Only sealed segments are served (the open one is the live edge, ALL-REC-2), only footage
//! still retained (an erase instant passed means gone, even before the sweeper reaches it), and
//! only the frames the ask needs are decrypted ([`media::segment::read_frames`]).

use crate::{Ctx, Error, db::SegmentRow, index};
use media::segment::{CodecParams, FrameRun};
use node::{PlaybackAsk, PlaybackChunk};

/// A pause of at most this between two segments is a segment boundary, not a gap (ms): the same
/// second the player's fragments are cut at ([`evidence::fmp4`]).
const JOIN_MS: i64 = 1_000;

/// The spans `camera` recorded in `[from, to)` and still holds, joined across segment
/// boundaries.
pub async fn recorded(
    ctx: &Ctx,
    camera: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>, Error> {
    let now = ctx.clock.now_ms();
    let mut spans: Vec<(i64, i64)> = Vec::new();
    for r in ctx.db.segment_spans(camera, from, to).await? {
        if !crate::sweeper::retained(ctx, &r, now).await? {
            continue;
        }
        let (s, e) = (r.start_ms.max(from), r.end_ms.min(to));
        match spans.last_mut() {
            Some(last) if s - last.1 <= JOIN_MS => last.1 = last.1.max(e),
            _ => spans.push((s, e)),
        }
    }
    Ok(spans)
}

/// One frame of the index, with where it sits.
struct At {
    row: usize,
    number: u32,
    entry: index::Entry,
}

/// The chunk `ask` names: from the keyframe at or before `ask.from_ms` (not before the range),
/// else the next keyframe, to the first keyframe at or after `from + length` (not past the
/// range's end).
pub async fn chunk(ctx: &Ctx, ask: PlaybackAsk<'_>) -> Result<PlaybackChunk, Error> {
    let camera = ask.camera;
    let (lo, hi) = ask.range;
    let from = ask.from_ms.clamp(lo, hi);
    let want_end = from.saturating_add(ask.length_ms.max(1_000)).min(hi);
    let nothing =
        || Error::Refused(format!("camera {camera}: nothing recorded in the range from there"));
    if from >= hi {
        return Err(nothing());
    }
    // Enough segments to reach the end wanted and the keyframe after it.
    let limit = ask.length_ms / ctx.segment_ms.max(1) + 3;
    let now = ctx.clock.now_ms();
    let mut rows: Vec<SegmentRow> = Vec::new();
    let fetched = ctx.db.segments_from(camera, from, hi, limit).await?;
    let all_fetched = (fetched.len() as i64) < limit;
    for r in fetched {
        if crate::sweeper::retained(ctx, &r, now).await? {
            rows.push(r);
        } else if !rows.is_empty() {
            break; // an erased segment after retained ones: stop there
        }
    }
    let mut at: Vec<At> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let entries = index::decode(&r.frame_index)
            .ok_or_else(|| Error::Corrupt(format!("frame index of segment {}", r.seq)))?;
        at.extend(
            entries
                .into_iter()
                .enumerate()
                .filter(|(_, e)| e.wall_ms >= lo && e.wall_ms < hi)
                .map(|(n, entry)| At { row: i, number: n as u32, entry }),
        );
    }
    let start = at
        .iter()
        .rposition(|a| a.entry.keyframe && a.entry.wall_ms <= from)
        .or_else(|| at.iter().position(|a| a.entry.keyframe && a.entry.wall_ms > from))
        .ok_or_else(nothing)?;
    let next_key = |from_i: usize, pred: &dyn Fn(&At) -> bool| {
        at.iter().skip(from_i).position(|a| a.entry.keyframe && pred(a)).map(|i| i + from_i)
    };
    let mut stop = next_key(start + 1, &|a| a.entry.wall_ms >= want_end);
    if stop.is_none() && !all_fetched {
        // More may follow beyond what was read: end at the last keyframe read, so the next
        // chunk begins exactly there.
        stop = at.iter().rposition(|a| a.entry.keyframe).filter(|i| *i > start);
    }
    let stop_i = stop.unwrap_or(at.len());
    let mut end_ms = at.get(stop_i).map(|a| a.entry.wall_ms);
    // Read each segment's run of frames; the codec must stay one (a change of resolution or
    // codec ends the chunk there: the next begins with its own initialisation segment).
    let mut params: Option<CodecParams> = None;
    let mut frames = Vec::new();
    let mut i = start;
    while i < stop_i {
        let row = at[i].row;
        let j = at[i..stop_i].iter().position(|a| a.row != row).map_or(stop_i, |k| k + i);
        let r = &rows[row];
        let run =
            FrameRun { first: at[i].number, offset: at[i].entry.offset, count: (j - i) as u32 };
        let k =
            ctx.db.key(&r.key_id).await?.ok_or_else(|| {
                Error::Refused(format!("camera {camera}: this footage was erased"))
            })?;
        let key = ctx.kek.unwrap(&k.wrapped, camera, &k.day, &k.key_id)?;
        let path = ctx.segment_file(&r.path);
        let (p, fs) =
            tokio::task::spawn_blocking(move || media::segment::read_frames(&path, &key, run))
                .await
                .map_err(|e| Error::Camera(e.to_string()))??;
        match &params {
            Some(first) if *first != p => {
                end_ms = Some(at[i].entry.wall_ms);
                break;
            }
            Some(_) => {}
            None => params = Some(p),
        }
        frames.extend(fs);
        i = j;
    }
    let params = params.ok_or_else(nothing)?;
    let (first, last) = match (frames.first(), frames.last()) {
        (Some(f), Some(l)) => (f.wall_ms, l.wall_ms),
        _ => return Err(nothing()),
    };
    let complete = end_ms.is_none() && all_fetched;
    let init = evidence::fmp4::init(&params, ask.origin_ms)?;
    let mut media =
        Vec::with_capacity(frames.iter().map(|f| f.data.len() + 12).sum::<usize>() + 256);
    evidence::fmp4::fragments(&mut media, 1, ask.origin_ms, &frames, end_ms);
    Ok(PlaybackChunk {
        codec: params.rfc6381,
        init,
        media,
        start_ms: first,
        end_ms: end_ms.unwrap_or((last + 1).min(hi)),
        frames: frames.len() as u32,
        complete,
    })
}
