//! A full disk: recording stops cleanly, the status and audit log say so, nothing recorded is
//! deleted to make room, and recording resumes when space returns. Runs on a small tmpfs the
//! test mounts (the test needs root, as CI has).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

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
    c.cameras = vec![CameraConfig {
        code: "cam1".into(),
        url: format!("rtsp://127.0.0.1:{port}/cam1"),
        username: None,
        password: None,
        retention: None,
        masks: Vec::new(),
        mask_version: 0,
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
