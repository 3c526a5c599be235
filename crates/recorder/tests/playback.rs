//! Playback for an authorised viewing (issue 20): the node serves recorded footage as
//! fragmented MP4, cut at keyframes, chunk after chunk without a frame lost or repeated, byte
//! for byte as recorded, decodable by a real decoder (ffmpeg); nothing outside the range, of
//! another camera, or past its erase instant.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use evidence::mp4::boxes;
use node::{Node, PlaybackAsk};
use recorder::Recorder;
use recorder::config::RecorderConfig;
use std::time::Duration;

/// A sample of a fragment: duration, bytes, sync.
type Sample = (u32, Vec<u8>, bool);

/// The samples of a run of fragments, each fragment with its base decode time.
fn samples(media: &[u8]) -> Vec<(u64, Vec<Sample>)> {
    let be32 =
        |at: u64| u32::from_be_bytes(media[at as usize..at as usize + 4].try_into().unwrap());
    let top = boxes(media, 0, media.len() as u64).unwrap();
    let mut out = Vec::new();
    for pair in top.chunks(2) {
        let (moof, mdat) = (pair[0], pair[1]);
        assert_eq!((&moof.kind, &mdat.kind), (b"moof", b"mdat"));
        let traf = boxes(media, moof.body, moof.end).unwrap()[1];
        let inner = boxes(media, traf.body, traf.end).unwrap();
        let tfdt = inner[1];
        let base = u64::from_be_bytes(
            media[tfdt.body as usize + 4..tfdt.body as usize + 12].try_into().unwrap(),
        );
        let trun = inner[2];
        let count = be32(trun.body + 4);
        let mut at = moof.start + u64::from(be32(trun.body + 8));
        assert_eq!(at, mdat.body, "data offset points at the mdat's payload");
        let mut s = Vec::new();
        for i in 0..u64::from(count) {
            let e = trun.body + 12 + i * 12;
            let size = u64::from(be32(e + 4));
            s.push((
                be32(e),
                media[at as usize..(at + size) as usize].to_vec(),
                be32(e + 8) == 0x0200_0000,
            ));
            at += size;
        }
        assert_eq!(at, mdat.end);
        out.push((base, s));
    }
    out
}

/// Asks for `length` ms of `camera` from `from`, in a viewing of `range`.
fn ask(camera: &str, from: i64, length: i64, range: (i64, i64)) -> PlaybackAsk<'_> {
    PlaybackAsk { camera, from_ms: from, length_ms: length, range, origin_ms: range.0 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_footage_plays_chunk_after_chunk_as_recorded() {
    let port = camsim(1, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = RecorderConfig::new("node-play", dir.path());
    c.segment_ms = 2_000;
    c.sweep_every_ms = 3_600_000;
    c.cameras = vec![camera_config("cam1", port)];
    // Recorded on Saturday 5 December 2026 (Asahikawa keeps 14 days).
    let clock =
        clock::Clock::offset(policy::jst::parse_rfc3339("2026-12-05T21:00:00+09:00").unwrap());
    let rec = Recorder::start(c, policy::resolve_seed("asahikawa").unwrap(), clock.clone())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(9)).await;
    // Played while the recorder goes on recording: only sealed segments are served.
    let ctx = rec.ctx.clone();
    let node = recorder::LocalNode::new(ctx.clone(), dir.path().join("exports"));

    // What was recorded, read whole from the sealed segments.
    let rows = ctx.db.segments_of("cam1").await.unwrap();
    assert!(rows.len() >= 3, "{} segments", rows.len());
    let mut recorded = Vec::new();
    let mut params = None;
    for r in &rows {
        let key = key_of(&ctx.db, &ctx, r).await.unwrap();
        let s = media::segment::read(&ctx.segment_file(&r.path), &key).unwrap();
        params = params.or(s.params);
        recorded.extend(s.frames);
    }
    let first_key = recorded.iter().position(|f| f.keyframe).unwrap();
    let recorded = &recorded[first_key..];
    let range = (recorded[0].wall_ms, rows.last().unwrap().end_ms + 1);

    // The recorded spans: one, without a gap.
    let spans = node.recorded("cam1", range.0, range.1).await.unwrap();
    assert_eq!(spans.len(), 1, "{spans:?}");

    // Chunk after chunk, each starting where the last one said.
    let mut from = range.0;
    let mut served = Vec::new();
    let mut stream = Vec::new();
    for n in 0.. {
        assert!(n < 20, "playback never completes");
        let c = node.playback(ask("cam1", from, 2_500, range)).await.unwrap();
        assert_eq!(c.codec, params.as_ref().unwrap().rfc6381);
        assert_eq!(c.start_ms, from, "a chunk begins where the last ended (a keyframe)");
        if n == 0 {
            stream.extend_from_slice(&c.init);
        }
        stream.extend_from_slice(&c.media);
        for (base, s) in samples(&c.media) {
            // The media timeline is the viewing's: the first sample at its wall time.
            if served.is_empty() {
                assert_eq!(base, 0);
            }
            assert!(s[0].2, "every fragment run begins with a keyframe");
            served.extend(s);
        }
        from = c.end_ms;
        if c.complete {
            break;
        }
    }
    assert_eq!(served.len(), recorded.len(), "no frame lost or repeated");
    for (i, (s, r)) in served.iter().zip(recorded).enumerate() {
        assert_eq!(s.1, r.data, "frame {i} is the recorded access unit");
        assert_eq!(s.2, r.keyframe, "frame {i}'s sync flag");
    }
    // A real decoder plays the whole stream.
    let file = dir.path().join("play.mp4");
    std::fs::write(&file, &stream).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decoded: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(decoded, recorded.len());

    // A seek into the middle starts at the keyframe at or before it.
    let mid = recorded[recorded.len() / 2].wall_ms;
    let c = node.playback(ask("cam1", mid, 1_000, range)).await.unwrap();
    let key_before = recorded.iter().rev().find(|f| f.keyframe && f.wall_ms <= mid).unwrap();
    assert_eq!(c.start_ms, key_before.wall_ms);
    let (base, _) = &samples(&c.media)[0];
    assert_eq!(*base, ((key_before.wall_ms - range.0) * 90) as u64);

    // Nothing outside the range, of a camera the node does not record, or after the end.
    let inner = (recorded[40].wall_ms, recorded[140].wall_ms);
    let c = node.playback(ask("cam1", range.0, 60_000, inner)).await.unwrap();
    let n: usize = samples(&c.media).iter().map(|(_, s)| s.len()).sum();
    let key_in = recorded.iter().find(|f| f.keyframe && f.wall_ms >= inner.0).unwrap();
    let expected =
        recorded.iter().filter(|f| f.wall_ms >= key_in.wall_ms && f.wall_ms < inner.1).count();
    assert_eq!(
        (c.start_ms, n),
        (key_in.wall_ms, expected),
        "from the first keyframe inside to the end"
    );
    assert!(c.end_ms <= inner.1);
    assert!(c.complete);
    let e = node.playback(ask("cam2", range.0, 1_000, range)).await.unwrap_err();
    assert!(matches!(e, node::NodeError::NotRecorded(_)), "{e}");
    let e = node.playback(ask("cam1", range.1, 1_000, range)).await.unwrap_err();
    assert!(e.is_refusal(), "{e}");

    // Past its erase instant (14 days from the next day: 00:00 on 20 December) it is gone,
    // before the sweeper has run.
    clock.set(policy::jst::parse_rfc3339("2026-12-20T00:00:01+09:00").unwrap());
    let e = node.playback(ask("cam1", range.0, 1_000, range)).await.unwrap_err();
    assert!(e.is_refusal(), "{e}");
    assert!(node.recorded("cam1", range.0, range.1).await.unwrap().is_empty());
    rec.stop().await;
}
