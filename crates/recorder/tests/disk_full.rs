//! A full disk: recording stops cleanly, the status and audit log say so, nothing recorded is
//! deleted to make room, and recording resumes when space returns. Runs on a small tmpfs the
//! test mounts (the test needs root, as CI has).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use recorder::db::NodeDb;
use recorder::status::State;
use std::process::Command;
use std::time::Duration;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_pauses_recording_and_loses_nothing_recorded() {
    let clip = camsim::synthesize(640, 360, 25, 2_000_000, 4).unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, 1, camsim::Faults::default()).serve(l));

    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(
        ok.success(),
        "the disk-full test mounts a 6 MiB tmpfs and needs root (CI runs as root)"
    );
    let _mount = Mount(data.clone());
    // Most of the disk is taken by something that is not footage.
    std::fs::write(data.join("filler"), vec![0u8; 4 << 20]).unwrap();

    let mut c = RecorderConfig::new("node-full", &data);
    c.segment_ms = 2_000;
    c.min_free_bytes = 1 << 20;
    c.reserve_per_camera = 256 << 10;
    c.cameras = vec![CameraConfig {
        code: "cam1".into(),
        url: format!("rtsp://127.0.0.1:{port}/cam1"),
        username: None,
        password: None,
        retention: None,
        masks: Vec::new(),
        mask_version: 0,
        onvif: None,
        mask_check_ms: recorder::config::MASK_CHECK_MS,
    }];
    let profile = policy::resolve_seed("nishiyodogawa").unwrap();
    let rec = Recorder::start(c, profile, clock::Clock::System).await.unwrap();
    let mut full_seen = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if rec.status()[0].state == State::DiskFull {
            full_seen = true;
            break;
        }
    }
    assert!(full_seen, "{:?}", rec.status());
    let sealed_before: Vec<_> = recorder::recovery::files_of(&data, "cam1");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rec.status()[0].state, State::DiskFull);
    assert!(rec.status()[0].dropped > 0, "frames are dropped, not written");
    // Space returns.
    let ok = Command::new("mount").args(["-o", "remount,size=64m"]).arg(&data).status().unwrap();
    assert!(ok.success());
    let mut resumed = false;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if rec.status()[0].state == State::Recording {
            resumed = true;
            break;
        }
    }
    assert!(resumed, "{:?}", rec.status());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ctx = rec.ctx.clone();
    rec.stop().await;

    let db = NodeDb::open(&data).await.unwrap();
    let rows = db.segments_of("cam1").await.unwrap();
    check_chain(&rows);
    // Nothing recorded before the disk filled was deleted to make room.
    for f in &sealed_before {
        assert!(f.exists(), "{} was deleted", f.display());
    }
    for r in &rows {
        let key = key_of(&db, &ctx, r).await.unwrap();
        assert!(media::segment::read(&data.join(&r.path), &key).unwrap().torn.is_none());
    }
    let gaps = db.gaps_between("cam1", 0, i64::MAX).await.unwrap();
    let log_now = std::fs::read_to_string(data.join("audit.log")).unwrap_or_default();
    assert!(
        gaps.iter().any(|(_, end, cause)| cause == "disk full" && end.is_some()),
        "{gaps:?}\n{}",
        log_now
            .lines()
            .filter(|l| !l.contains("checkpoint"))
            .map(|l| &l[..l.len().min(300)])
            .collect::<Vec<_>>()
            .join("\n")
    );
    let log = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert!(log.contains("recorder.disk_full") && log.contains("recorder.disk_space_returned"));
}

/// Issue 25, D4–D6: eight cameras on a small disk with the default reserve rules. The threshold
/// holds while segments are open (recording pauses *before* the disk is full — no write ever
/// meets ENOSPC), every camera's outage is a committed gap bound into its chain, the status
/// file says `disk_full` during the outage, and the audit log verifies afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_cameras_pause_before_the_disk_is_full() {
    const CAMS: usize = 8;
    let clip = camsim::synthesize(640, 360, 25, 2_000_000, 2).unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, CAMS, camsim::Faults::default()).serve(l));

    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=40m", "tmpfs"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(ok.success(), "the disk-full test mounts a tmpfs and needs root (CI runs as root)");
    let _mount = Mount(data.clone());

    let mut c = RecorderConfig::new("node-many", &data);
    c.segment_ms = 4_000;
    c.min_free_bytes = 4 << 20; // + 2 MiB per camera (the default reserve): 20 MiB
    c.cameras = (1..=CAMS)
        .map(|i| {
            CameraConfig::from_url(&format!("cam{i}"), &format!("rtsp://127.0.0.1:{port}/cam{i}"))
                .unwrap()
        })
        .collect();
    let profile = policy::resolve_seed("kitakyushu").unwrap();
    let rec = Recorder::start(c, profile, clock::Clock::System).await.unwrap();
    let all_paused = || rec.status().iter().all(|s| s.state == State::DiskFull);
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if rec.status().len() == CAMS && all_paused() {
            break;
        }
    }
    assert!(all_paused(), "{:#?}", rec.status());
    tokio::time::sleep(Duration::from_secs(3)).await;
    // D6: the status file says so, although the disk has no room for a new file.
    let status: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(data.join("status.json")).unwrap().trim())
            .unwrap();
    for s in status["cameras"].as_array().unwrap() {
        assert_eq!(s["state"], "disk_full", "{s}");
    }
    // D5: paused before the disk was full — room is left.
    let free = fs4::available_space(&data).unwrap();
    assert!(free > 2 << 20, "{free} bytes left");
    // Space returns.
    let ok = Command::new("mount").args(["-o", "remount,size=256m"]).arg(&data).status().unwrap();
    assert!(ok.success());
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if rec.status().iter().all(|s| s.state == State::Recording) {
            break;
        }
    }
    assert!(rec.status().iter().all(|s| s.state == State::Recording), "{:#?}", rec.status());
    tokio::time::sleep(Duration::from_secs(5)).await;
    rec.stop().await;

    let db = NodeDb::open(&data).await.unwrap();
    let log = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert!(!log.contains("No space left"), "no write met ENOSPC");
    for i in 1..=CAMS {
        let cam = format!("cam{i}");
        let rows = db.segments_of(&cam).await.unwrap();
        check_chain(&rows);
        // D4: the outage is a committed gap…
        let gaps = db.gaps_between(&cam, 0, i64::MAX).await.unwrap();
        let full: Vec<_> =
            gaps.iter().filter(|(_, e, c)| c == "disk full" && e.is_some()).collect();
        assert_eq!(full.len(), 1, "{cam}: {gaps:?}");
        // …bound into the chain by the segment after it.
        let (start, end, _) = full[0];
        let signing = audit::key::load_or_create(&data.join("node.key")).unwrap();
        let kek = media::keys::Kek::derive(&signing.to_bytes());
        let after =
            rows.iter().find(|r| r.start_ms == end.unwrap()).expect("the segment after the outage");
        let k = db.key(&after.key_id).await.unwrap().unwrap();
        let key = kek.unwrap(&k.wrapped, &k.camera, &k.day, &k.key_id).unwrap();
        let t = media::segment::read(&data.join(&after.path), &key).unwrap().trailer.unwrap();
        let g = t.link_input.gap_before.expect("the gap in the chain link");
        assert_eq!((g.start_ms, g.end_ms), (*start, end.unwrap()));
    }
    // D3: the node's audit log verifies after the outage.
    let store = audit::FileStore::open(data.join("audit.log")).unwrap();
    let signing = audit::key::load_or_create(&data.join("node.key")).unwrap();
    let report = audit::verify(&store, Some(&signing.verifying_key()), &[]).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
}
