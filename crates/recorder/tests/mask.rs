//! A camera recorded with privacy masks burned in by the recorder, as PROD-MASK-1 has it where the
//! camera cannot mask (ASA-2.1): every stored frame, decoded, is black inside the mask; the
//! stored stream is the re-encoded one (its own parameter sets), with
//! every frame hashed and chained as usual; an export of the masked camera verifies offline.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_camera_stores_only_masked_pictures() {
    let port = camsim(1, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let entrance =
        masking::Polygon::from_pairs(&[(0.55, 0.3), (0.9, 0.3), (0.9, 0.8), (0.55, 0.8)]);
    let mut cfg = RecorderConfig::new("node-mask", dir.path());
    cfg.segment_ms = 2_000;
    let mut cam = CameraConfig::from_url("cam1", &format!("rtsp://127.0.0.1:{port}/cam1")).unwrap();
    cam.masks = vec![entrance.clone()];
    cfg.cameras = vec![cam];
    let profile = policy::resolve_seed("asahikawa").unwrap();
    let rec = Recorder::start(cfg, profile, clock::Clock::System).await.unwrap();
    let t = std::time::Instant::now();
    while rec.status().first().map_or(0, |s| s.frames) < 150
        && t.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The status says the recorder burns them in, and why (no ONVIF service: it cannot mask).
    assert_eq!(
        rec.status()[0].masks,
        node::MaskMode::Recorder { why: node::BurnInReason::Configured }
    );
    // An export of the masked camera verifies offline.
    let now = rec.ctx.clock.now_ms();
    let out = dir.path().join("EV.zip");
    let job = recorder::export::Job {
        camera: "cam1".into(),
        from_ms: now - 5_000,
        to_ms: now - 2_500,
        operator: "officer".into(),
        refs: evidence::manifest::Refs::default(),
        site: None,
        out: out.clone(),
        encryption: None,
    };
    let o = recorder::export::export(&rec.ctx, job).await.unwrap();
    let r = evidence::verify::verify(
        &out,
        &evidence::verify::Options {
            node_key: rec.ctx.signing.verifying_key(),
            city_cert: None,
            decryption: None,
            expect_request: None,
        },
    );
    assert!(r.ok(), "{}", r.render());
    assert_eq!(r.frames_ok, o.frames);
    let ctx = rec.ctx.clone();
    rec.stop().await;

    let db = recorder::db::NodeDb::open(dir.path()).await.unwrap();
    let rows = db.segments_of("cam1").await.unwrap();
    check_chain(&rows);
    let mut frames = Vec::new();
    let mut params = None;
    for row in &rows {
        let key = key_of(&db, &ctx, row).await.unwrap();
        let c = media::segment::read(&dir.path().join(&row.path), &key).unwrap();
        params = params.or(c.params.clone());
        frames.extend(c.frames);
    }
    assert!(frames.len() >= 150, "{} frames", frames.len());
    let params = params.unwrap();
    // The stored stream is the re-encoder's: its parameter sets are not the camera's.
    let clip = camsim::synthesize(320, 240, 25, 300_000, 4).unwrap();
    assert!(
        !hex::decode(&params.extra_data).unwrap().windows(clip.sps.len()).any(|w| w == clip.sps)
    );
    // Decode what was stored: black inside the mask, in every frame, all planes.
    let pictures = decode(&params, &frames);
    for (n, p) in pictures.iter().enumerate() {
        for py in 0..p.h {
            for px in 0..p.w {
                let (nx, ny) = ((px as f64 + 0.5) / p.w as f64, (py as f64 + 0.5) / p.h as f64);
                if entrance.contains(nx, ny) {
                    let l = p.y[py * p.w + px];
                    assert!(l <= 16 + 8, "frame {n}: luma {l} at ({px},{py})");
                    let u = p.u[(py / 2) * (p.w / 2) + px / 2];
                    assert!(u.abs_diff(128) <= 12, "frame {n}: chroma {u}");
                }
            }
        }
    }
    let decoded = pictures.len();
    assert_eq!(decoded, frames.len(), "every stored frame decodes");
}

/// Waits until `more` frames more have been recorded (30 s at most).
async fn wait_frames(rec: &Recorder, more: u64) {
    let start = rec.status().first().map_or(0, |s| s.frames);
    let t = std::time::Instant::now();
    while rec.status().first().map_or(0, |s| s.frames) < start + more
        && t.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A decoded picture: luma and one chroma plane, tightly packed.
struct Picture {
    w: usize,
    h: usize,
    y: Vec<u8>,
    u: Vec<u8>,
}

/// Decodes stored frames (a fresh decoder: the first is a keyframe). Access units are fed one
/// by one: each slice NAL ends one (the parameter sets ride with the keyframes).
fn decode(params: &media::segment::CodecParams, frames: &[media::frame::Frame]) -> Vec<Picture> {
    let es = annexb(params, frames);
    let mut d = Decoder::new().unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    let starts: Vec<usize> =
        (0..es.len().saturating_sub(4)).filter(|&i| es[i..i + 4] == [0, 0, 0, 1]).collect();
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(es.len());
        let t = es[s + 4] & 0x1f;
        if t == 1 || t == 5 {
            if let Some(p) = d.decode(&es[at..e]).unwrap() {
                let (w, h) = p.dimensions();
                let (sy, su, _) = p.strides();
                let plane = |data: &[u8], stride: usize, w: usize, h: usize| {
                    (0..h).flat_map(|r| data[r * stride..r * stride + w].to_vec()).collect()
                };
                out.push(Picture {
                    w,
                    h,
                    y: plane(p.y(), sy, w, h),
                    u: plane(p.u(), su, w / 2, h / 2),
                });
            }
            at = e;
        }
    }
    out
}

/// The share (‰) of a polygon's pixels darker than black plus codec tolerance.
fn black_permille(p: &Picture, poly: &masking::Polygon) -> usize {
    let (mut inside, mut black) = (0, 0);
    for py in 0..p.h {
        for px in 0..p.w {
            if poly.contains((px as f64 + 0.5) / p.w as f64, (py as f64 + 0.5) / p.h as f64) {
                inside += 1;
                black += usize::from(p.y[py * p.w + px] <= 16 + 8);
            }
        }
    }
    black * 1000 / inside.max(1)
}

// rule: ASA-2.1 — a mask change reaches the running recorder and takes effect at the next
// keyframe: the open segment is sealed there, the new segment starts with that keyframe and the
// segment index records the version it was recorded under.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mask_change_takes_effect_at_the_next_keyframe() {
    let port = camsim(1, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let entrance =
        masking::Polygon::from_pairs(&[(0.55, 0.3), (0.9, 0.3), (0.9, 0.8), (0.55, 0.8)]);
    let window = masking::Polygon::from_pairs(&[(0.05, 0.1), (0.4, 0.1), (0.4, 0.5), (0.05, 0.5)]);
    let mut cfg = RecorderConfig::new("node-mask-change", dir.path());
    cfg.segment_ms = 60_000; // long: every cut below is the mask change's
    let cam = CameraConfig::from_url("cam1", &format!("rtsp://127.0.0.1:{port}/cam1")).unwrap();
    cfg.cameras = vec![cam];
    let profile = policy::resolve_seed("asahikawa").unwrap();
    let rec = Recorder::start(cfg, profile, clock::Clock::System).await.unwrap();
    // Unmasked at first; then version 7 (the entrance), then version 8 (a window instead).
    wait_frames(&rec, 75).await;
    let sent7 = rec.ctx.clock.now_ms();
    assert!(rec.ctx.set_masks("cam1", 7, vec![entrance.clone()]));
    wait_frames(&rec, 100).await;
    let sent8 = rec.ctx.clock.now_ms();
    assert!(rec.ctx.set_masks("cam1", 8, vec![window.clone()]));
    wait_frames(&rec, 100).await;
    assert!(!rec.ctx.set_masks("cam9", 1, vec![]), "a camera this node does not record");
    let ctx = rec.ctx.clone();
    rec.stop().await;

    let db = recorder::db::NodeDb::open(dir.path()).await.unwrap();
    let rows = db.segments_of("cam1").await.unwrap();
    check_chain(&rows);
    assert_eq!(rows.len(), 3, "one segment per mask version: {rows:?}");
    let versions: Vec<i64> = {
        let mut v = Vec::new();
        for r in &rows {
            v.push(db.mask_version_of("cam1", r.seq).await.unwrap());
        }
        v
    };
    assert_eq!(versions, [0, 7, 8]);
    // Each change took effect at the first keyframe after it was sent (keyframes every 2 s).
    for (row, sent) in rows[1..].iter().zip([sent7, sent8]) {
        assert!(row.start_ms >= sent && row.start_ms - sent <= 2_600, "{} vs {sent}", row.start_ms);
    }
    for (i, row) in rows.iter().enumerate() {
        let key = key_of(&db, &ctx, row).await.unwrap();
        let c = media::segment::read(&dir.path().join(&row.path), &key).unwrap();
        assert!(c.frames.first().unwrap().keyframe, "segment {i} starts with a keyframe");
        let pictures = decode(c.params.as_ref().unwrap(), &c.frames);
        assert_eq!(pictures.len(), c.frames.len());
        for (n, p) in pictures.iter().enumerate() {
            let (e, win) = (black_permille(p, &entrance), black_permille(p, &window));
            match versions[i] {
                0 => {
                    assert!(e < 500 && win < 500, "segment {i} frame {n}: unmasked ({e}‰, {win}‰)")
                }
                7 => assert!(
                    e == 1000 && win < 500,
                    "segment {i} frame {n}: entrance {e}‰, window {win}‰"
                ),
                _ => assert!(
                    win == 1000 && e < 500,
                    "segment {i} frame {n}: entrance {e}‰, window {win}‰"
                ),
            }
        }
    }
}
