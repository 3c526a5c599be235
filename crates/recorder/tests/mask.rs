//! A camera recorded with privacy masks burned in (ASA-2.1): every stored frame, decoded, is
//! black inside the mask; the stored stream is the re-encoded one (its own parameter sets), with
//! every frame hashed and chained as usual; an export of the masked camera verifies offline.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

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
        let c = media::segment::read(std::path::Path::new(&row.path), &key).unwrap();
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
    // Decode what was stored: black inside the mask, in every frame.
    let es = annexb(&params, &frames);
    let mut d = Decoder::new().unwrap();
    let mut decoded = 0;
    let mut at = 0;
    let starts: Vec<usize> =
        (0..es.len().saturating_sub(4)).filter(|&i| es[i..i + 4] == [0, 0, 0, 1]).collect();
    // Feed access units: each slice NAL ends one (the parameter sets ride with the keyframes).
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(es.len());
        let t = es[s + 4] & 0x1f;
        if t == 1 || t == 5 {
            if let Some(y) = d.decode(&es[at..e]).unwrap() {
                let (w, h) = y.dimensions();
                let (sy, su, _) = y.strides();
                for py in 0..h {
                    for px in 0..w {
                        let (nx, ny) = ((px as f64 + 0.5) / w as f64, (py as f64 + 0.5) / h as f64);
                        if entrance.contains(nx, ny) {
                            let l = y.y()[py * sy + px];
                            assert!(l <= 16 + 8, "frame {decoded}: luma {l} at ({px},{py})");
                            let u = y.u()[(py / 2) * su + px / 2];
                            assert!(u.abs_diff(128) <= 12, "frame {decoded}: chroma {u}");
                        }
                    }
                }
                decoded += 1;
            }
            at = e;
        }
    }
    assert_eq!(decoded, frames.len(), "every stored frame decodes");
}
