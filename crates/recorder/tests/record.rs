//! Recording from the camera simulator: every frame read back, decrypted and indexed; the chain
//! is continuous; no codec bytes in plaintext on disk; ffprobe decodes what was recorded.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use std::time::Duration;

fn config(dir: &std::path::Path, port: u16, cameras: usize) -> RecorderConfig {
    let mut c = RecorderConfig::new("node-test", dir);
    c.segment_ms = 3_000;
    c.stall_ms = 3_000;
    c.max_backoff_ms = 1_000;
    c.cameras = (1..=cameras)
        .map(|i| CameraConfig {
            code: format!("cam{i}"),
            url: format!("rtsp://127.0.0.1:{port}/cam{i}"),
            username: None,
            password: None,
            retention: None,
            masks: Vec::new(),
            mask_version: 0,
            onvif: None,
            mask_check_ms: recorder::config::MASK_CHECK_MS,
        })
        .collect();
    c
}

// rule: ALL-REC-1, ASA-3.2a, NIS-5, KAW-2.2.6ア — the cameras record continuously: every frame
// they send is stored, in order, with nothing dropped between segments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_every_frame_encrypted_indexed_and_chained() {
    let port = camsim(2, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let profile = policy::resolve_seed("kitakyushu").unwrap();
    let clock =
        clock::Clock::offset(policy::jst::parse_rfc3339("2026-11-24T10:00:00+09:00").unwrap());
    let rec = Recorder::start(config(dir.path(), port, 2), profile, clock).await.unwrap();
    // Six seconds of frames from each camera (a loaded CI machine may take longer to connect:
    // wait for the frames, up to 30 s, rather than for a fixed time).
    let t = std::time::Instant::now();
    while !rec.status().iter().all(|s| s.frames > 150) && t.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = rec.status();
    assert!(status.iter().all(|s| s.frames > 150), "{status:#?}");
    let ctx = rec.ctx.clone();
    rec.stop().await;
    let db = recorder::db::NodeDb::open(dir.path()).await.unwrap();
    for cam in ["cam1", "cam2"] {
        let rows = db.segments_of(cam).await.unwrap();
        assert!(rows.len() >= 2, "{cam}: {} segments", rows.len());
        check_chain(&rows);
        let mut total = 0;
        for row in &rows {
            let key = key_of(&db, &ctx, row).await.unwrap();
            let c = media::segment::read(&dir.path().join(&row.path), &key).unwrap();
            assert!(c.torn.is_none(), "{:?}", c.torn);
            assert_eq!(c.frames.len() as i64, row.frames);
            assert_eq!(c.trailer.as_ref().unwrap().root.to_vec(), row.root);
            let idx = recorder::index::decode(&row.frame_index).unwrap();
            assert_eq!(idx.len(), c.frames.len());
            for (e, f) in idx.iter().zip(&c.frames) {
                assert_eq!(
                    (e.pts, e.wall_ms, e.size as usize, e.keyframe),
                    (f.pts, f.wall_ms, f.data.len(), f.keyframe)
                );
            }
            assert!(c.frames[0].keyframe, "segments start at a keyframe");
            assert_eq!(row.day, "2026-11-24");
            total += c.frames.len();
        }
        // Sealed on stop: nothing lost at the end (SIGTERM path).
        assert!(total as u64 >= status.iter().find(|s| s.camera == cam).unwrap().frames, "{cam}");
        // The status gap of "recording not yet started" precedes the first segment.
        let gaps = db.gaps_between(cam, 0, i64::MAX).await.unwrap();
        assert!(!gaps.is_empty());
    }
    // Nothing of the codec in plaintext anywhere in the data directory: neither the SPS nor any
    // 16-byte run of a recorded access unit (its start and its middle). (A bare `00 00 00 01`
    // search is not a test: random ciphertext after a short chunk's little-endian length
    // contains it about once in a few hundred segments.)
    let rows = db.segments_of("cam1").await.unwrap();
    let key = key_of(&db, &ctx, &rows[0]).await.unwrap();
    let c = media::segment::read(&dir.path().join(&rows[0].path), &key).unwrap();
    let params = c.params.clone().unwrap();
    let avcc = hex::decode(&params.extra_data).unwrap();
    let sps = &avcc[8..8 + u16::from_be_bytes([avcc[6], avcc[7]]) as usize];
    let mut probes: Vec<[u8; 16]> = Vec::new();
    for f in c.frames.iter().filter(|f| f.data.len() >= 32) {
        let mid = f.data.len() / 2 - 8;
        probes.push(f.data[..16].try_into().unwrap());
        probes.push(f.data[mid..mid + 16].try_into().unwrap());
    }
    assert!(probes.len() > 100, "{} probes", probes.len());
    for f in all_files(dir.path()) {
        if f.extension().is_some_and(|e| e == "mseg") {
            let bytes = std::fs::read(&f).unwrap();
            assert!(!bytes.windows(sps.len()).any(|w| w == sps), "SPS in {}", f.display());
            let windows: std::collections::HashSet<&[u8]> = bytes.windows(16).collect();
            for p in &probes {
                assert!(!windows.contains(&p[..]), "access unit bytes in {}", f.display());
            }
        }
    }
    // ffprobe decodes the recorded access units.
    let mut frames = Vec::new();
    for row in &rows {
        let key = key_of(&db, &ctx, row).await.unwrap();
        frames.extend(media::segment::read(&dir.path().join(&row.path), &key).unwrap().frames);
    }
    let es = dir.path().join("cam1.h264");
    std::fs::write(&es, annexb(&params, &frames)).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames,width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(&es)
        .output()
        .expect("ffprobe (installed by scripts/test-deps.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = text.trim().split(',').collect();
    assert_eq!(parts[..2], ["320", "240"], "{text}");
    assert_eq!(
        parts[2].parse::<usize>().unwrap(),
        frames.len(),
        "ffprobe decodes every recorded frame"
    );
}
