//! Bad input from cameras: drops, stalls, garbage RTP, absurd timestamps, unreachable cameras,
//! wrong credentials, streams that are not H.264/H.265. Each camera's status says why, a gap is
//! recorded with its cause, other cameras are unaffected, nothing panics.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::*;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use recorder::db::NodeDb;
use std::time::Duration;

fn cam(code: &str, url: String) -> CameraConfig {
    CameraConfig {
        code: code.into(),
        url,
        username: None,
        password: None,
        retention: None,
        masks: Vec::new(),
        mask_version: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_camera_fails_alone_and_says_why() {
    let secs = Duration::from_secs;
    // cam1 healthy; cam2 dropped after 3 s; cam3 stalls 2 s in for 8 s; cam4 sends garbage RTP;
    // cam5's timestamps jump an hour every 3 s.
    let healthy = camsim(1, camsim::Faults::default()).await;
    let dropping = camsim(
        2,
        camsim::Faults {
            drop_after: Some(secs(3)),
            cameras: vec!["cam2".into()],
            ..Default::default()
        },
    )
    .await;
    let stalling = camsim(
        3,
        camsim::Faults {
            stall_after: Some(secs(2)),
            stall_for: secs(8),
            cameras: vec!["cam3".into()],
            ..Default::default()
        },
    )
    .await;
    let garbage = camsim(
        4,
        camsim::Faults {
            corrupt_every: Some(secs(2)),
            cameras: vec!["cam4".into()],
            ..Default::default()
        },
    )
    .await;
    let jumping = camsim(
        5,
        camsim::Faults {
            timestamp_jump_every: Some(secs(3)),
            cameras: vec!["cam5".into()],
            ..Default::default()
        },
    )
    .await;
    let secured = {
        let clip = camsim::synthesize(320, 240, 25, 300_000, 2).unwrap();
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(
            camsim::CamSim::with_auth(
                clip,
                1,
                camsim::Faults::default(),
                Some("admin:right".into()),
            )
            .serve(l),
        );
        port
    };
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port() // dropped: nothing listens there
    };
    let dir = tempfile::tempdir().unwrap();
    let mut c = RecorderConfig::new("node-faults", dir.path());
    c.segment_ms = 2_000;
    c.stall_ms = 2_000;
    c.max_backoff_ms = 1_000;
    let mut wrong = cam("wrongpw", format!("rtsp://127.0.0.1:{secured}/cam1"));
    wrong.username = Some("admin".into());
    wrong.password = Some("wrong".into());
    let mut right = cam("rightpw", format!("rtsp://127.0.0.1:{secured}/cam1"));
    right.username = Some("admin".into());
    right.password = Some("right".into());
    c.cameras = vec![
        cam("cam1", format!("rtsp://127.0.0.1:{healthy}/cam1")),
        cam("cam2", format!("rtsp://127.0.0.1:{dropping}/cam2")),
        cam("cam3", format!("rtsp://127.0.0.1:{stalling}/cam3")),
        cam("cam4", format!("rtsp://127.0.0.1:{garbage}/cam4")),
        cam("cam5", format!("rtsp://127.0.0.1:{jumping}/cam5")),
        cam("unreachable", format!("rtsp://127.0.0.1:{closed}/cam1")),
        cam("audio", format!("rtsp://127.0.0.1:{healthy}/audio")),
        wrong,
        right,
    ];
    let profile = policy::resolve_seed("asahikawa").unwrap();
    let rec = Recorder::start(c, profile, clock::Clock::System).await.unwrap();
    tokio::time::sleep(secs(14)).await;
    let status = rec.status();
    let by = |code: &str| status.iter().find(|s| s.camera == code).unwrap().clone();
    rec.stop().await;

    let db = NodeDb::open(dir.path()).await.unwrap();
    let gaps = |code: &'static str| {
        let db = db.clone();
        async move { db.gaps_between(code, 0, i64::MAX).await.unwrap() }
    };
    // The healthy camera: one gap (before recording started), a continuous chain.
    let g = gaps("cam1").await;
    assert_eq!(g.len(), 2, "start and stop only: {g:?}");
    check_chain(&db.segments_of("cam1").await.unwrap());
    assert!(by("cam1").frames > 250, "{:?}", by("cam1"));
    // Dropped and stalled cameras reconnect; each hole is a gap with its cause.
    for (code, needle) in [("cam2", "closed the stream"), ("cam3", "stalled")] {
        let g = gaps(code).await;
        assert!(g.iter().any(|(_, _, cause)| cause.contains(needle)), "{code}: {g:?}");
        let rows = db.segments_of(code).await.unwrap();
        check_chain(&rows);
        assert!(rows.len() >= 2, "{code} recorded again after the fault");
    }
    // Garbage RTP: the camera's own problem, reported; recording resumes.
    let g = gaps("cam4").await;
    assert!(g.len() >= 3, "garbage RTP is a recorded interruption: {g:?}");
    assert!(by("cam4").frames > 0);
    // Absurd timestamps cut the segment; recording continues.
    let rows = db.segments_of("cam5").await.unwrap();
    check_chain(&rows);
    assert!(rows.len() >= 3, "cut at each jump: {}", rows.len());
    let log = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert!(log.contains("camera.discontinuity"));
    // Cameras that never record: the status says why, a gap is open, no segment exists.
    for (code, needle) in [
        ("unreachable", "DESCRIBE failed"),
        ("audio", "no H.264/H.265 video stream (found: audio/pcmu)"),
        ("wrongpw", "401"),
    ] {
        let s = by(code);
        assert!(s.detail.contains(needle), "{code}: {s:?}");
        assert_eq!(s.frames, 0);
        assert!(db.segments_of(code).await.unwrap().is_empty());
        assert!(!gaps(code).await.is_empty());
    }
    assert!(by("rightpw").frames > 100, "the right credentials record");
}
