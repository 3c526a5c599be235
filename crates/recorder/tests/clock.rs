//! The node's wall clock jumps (an NTP step, a wrong RTC corrected): the open segment is cut,
//! the jump is recorded, recording goes on, and every segment stays inside its JST day
//! (docs/time.md).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use recorder::db::NodeDb;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_jump_cuts_the_segment_and_is_recorded() {
    let port = camsim(1, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = RecorderConfig::new("node-clock", dir.path());
    c.segment_ms = 60_000;
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
    let start = policy::jst::parse_rfc3339("2026-11-24T10:00:00+09:00").unwrap();
    let clock = clock::Clock::offset(start);
    let rec =
        Recorder::start(c, policy::resolve_seed("saku").unwrap(), clock.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let dropped_before = rec.status()[0].dropped;
    // The wall clock steps forward by an hour.
    clock.set(clock.now() + jiff::SignedDuration::from_hours(1));
    tokio::time::sleep(Duration::from_secs(5)).await;
    // And back by ten minutes.
    clock.set(clock.now() - jiff::SignedDuration::from_mins(10));
    tokio::time::sleep(Duration::from_secs(5)).await;
    let ctx = rec.ctx.clone();
    rec.stop().await;
    let last = ctx.status.snapshot()[0].clone();
    let frames = last.frames;
    assert_eq!(last.dropped, dropped_before, "no frame is dropped across a clock jump");
    let db = NodeDb::open(dir.path()).await.unwrap();
    let rows = db.segments_of("cam1").await.unwrap();
    check_chain(&rows);
    assert!(
        rows.len() >= 3,
        "cut at each jump: {:?}",
        rows.iter().map(|r| (r.start_ms, r.end_ms)).collect::<Vec<_>>()
    );
    // Within a segment, wall times follow the media clock: smooth, never jumping.
    for r in &rows {
        let idx = recorder::index::decode(&r.frame_index).unwrap();
        for w in idx.windows(2) {
            assert!(
                (w[1].wall_ms - w[0].wall_ms - 40).abs() <= 5,
                "seq {}: {} → {}",
                r.seq,
                w[0].wall_ms,
                w[1].wall_ms
            );
        }
    }
    let stored: i64 = rows.iter().map(|r| r.frames).sum();
    assert_eq!(stored as u64, frames, "every frame received is stored");
    let log = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert_eq!(log.matches("recorder.clock_adjusted").count(), 2, "both jumps are recorded");
}
