//! Fragmented MP4 for playback in an authorised viewing (issue 20): the same track description
//! as the evidence MP4 ([`crate::mp4`]), an initialisation segment without samples, then
//! `moof`/`mdat` fragments the browser appends to a Media Source Extensions buffer. The samples
//! are the recorded access units byte for byte (never re-encoded; masks are already burned in).
//!
//! The media timeline is the viewing's: a fragment's `tfdt` is the wall-clock time of its first
//! frame less the viewing's start, in 90 kHz units, so the player's `currentTime` is "seconds
//! after the start of the range" and a gap in the recording is a gap in the buffered ranges.
//! Within a fragment, frames follow the camera's media clock; a silence of more than a second
//! (a stall, a reconnection) ends the fragment, so the player shows a gap, not a frozen frame.

use crate::Error;
use crate::mp4::{BoxWriter, DEFAULT_DURATION, Track, u32b, u64b};
use media::frame::Frame;
use media::segment::CodecParams;

/// The initialisation segment for footage recorded with `params`, its movie dated `start_ms`.
pub fn init(params: &CodecParams, start_ms: i64) -> Result<Vec<u8>, Error> {
    let track = Track::single(crate::export::description(params)?, vec![], vec![], vec![]);
    Ok(crate::mp4::fragmented_head(&track, start_ms))
}

/// Sample flags of a sync sample: depends on no other (ISO/IEC 14496-12 §8.8.3.1).
const SYNC: u32 = 0x0200_0000;
/// Sample flags of another sample: depends on others, not a sync sample.
const NON_SYNC: u32 = 0x0101_0000;

/// Appends fragments for `frames` to `out`: one `moof`+`mdat` per run of frames the media clock
/// ties together (a discontinuity — the camera reconnected — starts another, re-anchored on its
/// wall time). `origin_ms` is the wall time at media time zero; `seq` numbers the first
/// fragment. `end_ms`, when known, is the wall time just after the last frame (the next
/// keyframe): the last frame lasts until then. Returns the next sequence number.
pub fn fragments(
    out: &mut Vec<u8>,
    mut seq: u32,
    origin_ms: i64,
    frames: &[Frame],
    end_ms: Option<i64>,
) -> u32 {
    let mut start = 0;
    while start < frames.len() {
        let mut stop = start + 1;
        while stop < frames.len() && follows(&frames[stop - 1], &frames[stop]) {
            stop += 1;
        }
        let run = &frames[start..stop];
        // Durations from the media clock; the run's last frame until the next run (or `end_ms`).
        let next_wall = frames.get(stop).map(|f| f.wall_ms).or(end_ms);
        let mut durations: Vec<u32> =
            run.windows(2).map(|w| (w[1].pts - w[0].pts) as u32).collect();
        // The last frame lasts until the next frame when that follows on (the next chunk's
        // keyframe); before a gap, as long as the one before it, so the gap stays a gap.
        let prev = durations.last().copied().unwrap_or(DEFAULT_DURATION);
        let last = run.last().map_or(0, |l| l.wall_ms);
        let tail = next_wall
            .map(|n| n.saturating_sub(last).saturating_mul(90))
            .filter(|d| *d > 0 && *d <= 2 * i64::from(prev))
            .map_or(prev, |d| d as u32);
        durations.push(tail);
        let base = ((run[0].wall_ms - origin_ms).max(0) as u64) * 90;
        fragment(out, seq, base, run, &durations);
        seq = seq.wrapping_add(1);
        start = stop;
    }
    seq
}

/// The longest step between two frames of one run (1 s at 90 kHz): a camera sends at least a
/// frame a second, so a longer silence is a gap to show, not a frame to hold.
const MAX_RUN_STEP: i64 = 90_000;

/// Whether `b` follows `a` without a gap: a media-clock step of at most a second, and the wall
/// clock agreeing with it within a second (a stream that stalled and resumed with its clock
/// paused is a gap too).
fn follows(a: &Frame, b: &Frame) -> bool {
    let step = b.pts.saturating_sub(a.pts);
    let wall = b.wall_ms.saturating_sub(a.wall_ms);
    (1..=MAX_RUN_STEP).contains(&step) && (wall - step / 90).abs() <= 1_000
}

/// One `moof` (mfhd, traf(tfhd, tfdt, trun)) and its `mdat`.
fn fragment(out: &mut Vec<u8>, seq: u32, base_90k: u64, frames: &[Frame], durations: &[u32]) {
    let moof_start = out.len();
    let mut moof = BoxWriter::open(out, b"moof");
    {
        let mut b = BoxWriter::full(moof.body(), b"mfhd", 0, 0);
        u32b(b.body(), seq);
        b.close();
    }
    let data_offset_at;
    {
        let mut traf = BoxWriter::open(moof.body(), b"traf");
        {
            // default-base-is-moof: data offsets count from this moof's first byte.
            let mut b = BoxWriter::full(traf.body(), b"tfhd", 0, 0x02_0000);
            u32b(b.body(), 1);
            b.close();
        }
        {
            let mut b = BoxWriter::full(traf.body(), b"tfdt", 1, 0);
            u64b(b.body(), base_90k);
            b.close();
        }
        {
            // data-offset, sample duration, size and flags present.
            let mut b = BoxWriter::full(traf.body(), b"trun", 0, 0x0701);
            u32b(b.body(), frames.len() as u32);
            data_offset_at = b.body().len();
            u32b(b.body(), 0);
            for (f, d) in frames.iter().zip(durations) {
                u32b(b.body(), *d);
                u32b(b.body(), f.data.len() as u32);
                u32b(b.body(), if f.keyframe { SYNC } else { NON_SYNC });
            }
            b.close();
        }
        traf.close();
    }
    moof.close();
    let moof_len = out.len() - moof_start;
    let offset = (moof_len + 8) as u32;
    out[data_offset_at..data_offset_at + 4].copy_from_slice(&offset.to_be_bytes());
    let mut mdat = BoxWriter::open(out, b"mdat");
    for f in frames {
        mdat.body().extend_from_slice(&f.data);
    }
    mdat.close();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::mp4::{Description, boxes, fragmented_head};

    fn frame(i: i64, pts: i64, wall: i64) -> Frame {
        Frame { pts, wall_ms: wall, keyframe: i % 50 == 0, data: vec![0, 0, 0, 2, 0x65, i as u8] }
    }

    #[test]
    fn a_stall_is_a_gap_not_a_frozen_frame() {
        // The camera's clock ran on through a 3 s stall (a step a file's durations would take),
        // and another time its clock paused while the wall clock went on: both are gaps.
        let mut fs: Vec<Frame> = (0..5).map(|i| frame(i, i * 3600, 10_000 + i * 40)).collect();
        fs.extend((5..10).map(|i| frame(i, 270_000 + i * 3600, 13_000 + i * 40)));
        fs.extend((10..15).map(|i| frame(i, 270_000 + i * 3600, 20_000 + i * 40)));
        let mut out = Vec::new();
        assert_eq!(fragments(&mut out, 1, 10_000, &fs, None), 4, "three runs");
        let moofs = boxes(&out, 0, out.len() as u64)
            .unwrap()
            .into_iter()
            .filter(|b| &b.kind == b"moof")
            .count();
        assert_eq!(moofs, 3);
    }

    #[test]
    fn init_has_no_samples_and_an_mvex() {
        let t = Track::single(
            Description {
                sample_entry: *b"avc1",
                config: vec![1, 0x42, 0, 0x1e, 0xff, 0xe0, 0],
                width: 640,
                height: 360,
            },
            vec![],
            vec![],
            vec![],
        );
        let init = fragmented_head(&t, 1_795_000_000_000);
        let top = boxes(&init, 0, init.len() as u64).unwrap();
        let kinds: Vec<_> = top.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, vec![*b"ftyp", *b"moov"]);
        let moov = &top[1];
        let inner = boxes(&init, moov.body, moov.end).unwrap();
        assert!(inner.iter().any(|b| &b.kind == b"mvex"));
    }

    #[test]
    fn a_discontinuity_starts_a_fragment_on_its_wall_time() {
        // 10 frames at 25 fps, then the camera reconnects (its clock restarts) 3 s later.
        let mut fs: Vec<Frame> =
            (0..10).map(|i| frame(i, 1000 + i * 3600, 10_000 + i * 40)).collect();
        fs.extend((0..5).map(|i| frame(i, 7 + i * 3600, 13_400 + i * 40)));
        let mut out = Vec::new();
        let next = fragments(&mut out, 1, 10_000, &fs, None);
        assert_eq!(next, 3);
        let top = boxes(&out, 0, out.len() as u64).unwrap();
        let kinds: Vec<_> = top.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, vec![*b"moof", *b"mdat", *b"moof", *b"mdat"]);
        // The second fragment's tfdt: 3.4 s after the origin, in 90 kHz.
        let moof = &top[2];
        let traf = boxes(&out, moof.body, moof.end).unwrap()[1];
        let tfdt = boxes(&out, traf.body, traf.end).unwrap()[1];
        assert_eq!(&tfdt.kind, b"tfdt");
        let at = tfdt.body as usize + 4;
        assert_eq!(u64::from_be_bytes(out[at..at + 8].try_into().unwrap()), 3_400 * 90);
        // Every sample's bytes are in the mdat, in order.
        let mdat = &top[1];
        assert_eq!(mdat.end - mdat.body, 10 * 6);
    }
}
