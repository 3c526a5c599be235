//! Export from a live recorder (issue 5): footage recorded from the camera simulator is exported
//! while recording goes on, and the package verifies offline; the export is in the node's audit
//! log; a second recorder cannot open the same data directory.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use std::time::Duration;

fn config(dir: &std::path::Path, port: u16) -> RecorderConfig {
    let mut c = RecorderConfig::new("node-test", dir);
    c.segment_ms = 2_000;
    c.cameras = vec![
        CameraConfig::from_url("cam1", &format!("rtsp://user:secret@127.0.0.1:{port}/cam1"))
            .unwrap(),
    ];
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_while_recording_verifies_offline() {
    let port = camsim(1, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let profile = policy::resolve_seed("kitakyushu").unwrap();
    let rec = Recorder::start(config(dir.path(), port), profile.clone(), clock::Clock::System)
        .await
        .unwrap();
    // One recorder per data directory.
    let again = Recorder::start(config(dir.path(), port), profile, clock::Clock::System).await;
    assert!(again.err().unwrap().to_string().contains("another recorder is running"));
    tokio::time::sleep(Duration::from_secs(9)).await;
    let now = rec.ctx.clock.now_ms();
    let out = dir.path().join("EV.zip");
    let job = recorder::export::Job {
        camera: "cam1".into(),
        from_ms: now - 6_000,
        to_ms: now - 2_500,
        operator: "officer1".into(),
        refs: evidence::manifest::Refs { instruction: Some(9), ..Default::default() },
        site: Some("駅前".into()),
        out: out.clone(),
        encryption: None,
    };
    let o = recorder::export::export(&rec.ctx, job).await.unwrap();
    assert!(o.frames >= 80, "{o:?}");
    assert!(o.delivered.from_ms <= now - 6_000 && o.delivered.to_ms >= now - 2_600, "{o:?}");
    let node_key = rec.ctx.signing.verifying_key();
    let r = evidence::verify::verify(
        &out,
        &evidence::verify::Options {
            node_key,
            city_cert: None,
            decryption: None,
            expect_request: None,
        },
    );
    assert!(r.ok(), "{}", r.render());
    assert_eq!(r.frames_ok, o.frames);
    // The camera's credentials never reach the exported file.
    let bytes = std::fs::read(&out).unwrap();
    assert!(!bytes.windows(6).any(|w| w == b"secret"));
    // A range with nothing recorded is refused with a reason.
    let job = recorder::export::Job {
        camera: "cam1".into(),
        from_ms: now - 3_600_000,
        to_ms: now - 3_000_000,
        operator: "officer1".into(),
        refs: Default::default(),
        site: None,
        out: dir.path().join("none.zip"),
        encryption: None,
    };
    let e = recorder::export::export(&rec.ctx, job).await.unwrap_err();
    assert!(e.to_string().contains("no footage"), "{e}");
    rec.stop().await;
    // Both attempts are in the node's audit log, the package id with the manifest hash.
    let log = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert!(
        log.contains("footage.export")
            && log.contains(&o.package_id)
            && log.contains(&o.manifest_sha256)
    );
    // The city certificate was created once and is reused.
    assert!(dir.path().join("city-export.crt").exists());
}
