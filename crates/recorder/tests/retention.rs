//! Retention with crypto-erasure at JST day boundaries (KIT-5.6, KIT-5.7, PROD-ERASE-1).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use recorder::db::{HoldRow, NodeDb};
use std::time::Duration;

fn t(s: &str) -> i64 {
    policy::jst::parse_rfc3339(s).unwrap().as_millisecond()
}

fn config(dir: &std::path::Path, port: Option<u16>) -> RecorderConfig {
    let mut c = RecorderConfig::new("node-ret", dir);
    c.segment_ms = 2_000;
    c.sweep_every_ms = 3_600_000; // the test sweeps by hand
    if let Some(port) = port {
        c.cameras = (1..=2)
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
    }
    c
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_is_erased_at_its_instant_keys_first_and_held_footage_stays() {
    let port = camsim(2, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let profile = || policy::resolve_seed("kitakyushu").unwrap();
    // Record across JST midnight between 24 and 25 November.
    let clock =
        clock::Clock::offset(policy::jst::parse_rfc3339("2026-11-24T23:59:53+09:00").unwrap());
    let rec =
        Recorder::start(config(dir.path(), Some(port)), profile(), clock.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let ctx = rec.ctx.clone();
    rec.stop().await;

    let db = NodeDb::open(dir.path()).await.unwrap();
    let midnight = t("2026-11-25T00:00:00+09:00");
    for cam in ["cam1", "cam2"] {
        let rows = db.segments_of(cam).await.unwrap();
        check_chain(&rows);
        assert!(
            rows.iter().any(|r| r.day == "2026-11-24")
                && rows.iter().any(|r| r.day == "2026-11-25"),
            "{cam}: {rows:#?}"
        );
        for r in &rows {
            // rule: SPEC §7 — a day's key covers only that day's frames: cut at JST midnight.
            if r.day == "2026-11-24" {
                assert!(r.end_ms < midnight);
            } else {
                assert!(r.start_ms >= midnight);
            }
        }
    }
    let keys_before = db.keys().await.unwrap();
    let day24: Vec<_> = keys_before.iter().filter(|k| k.day == "2026-11-24").cloned().collect();
    assert_eq!(day24.len(), 2);
    // A hold (KIT-5.6) on cam1 for two seconds before midnight.
    let hold = HoldRow {
        id: 7,
        camera: "cam1".into(),
        range_from: t("2026-11-24T23:59:57+09:00"),
        range_to: t("2026-11-24T23:59:59+09:00"),
        until_at: t("2027-01-15T00:00:00+09:00"),
    };
    db.replace_holds(&[hold]).await.unwrap();
    db.close().await;

    // 7 days from the next day: day 24 is erased at 00:00 on 2 December, not a millisecond before.
    clock.set(policy::jst::parse_rfc3339("2026-12-01T23:59:59+09:00").unwrap());
    let rec = Recorder::start(config(dir.path(), None), profile(), clock.clone()).await.unwrap();
    assert!(rec.sweep_now().await.unwrap().erased.is_empty());
    clock.set(policy::jst::parse_rfc3339("2026-12-02T00:00:01+09:00").unwrap());
    let report = rec.sweep_now().await.unwrap();
    assert_eq!(report.erased.len(), 2, "{report:?}");
    assert!(report.erased.iter().all(|(_, d)| d == "2026-11-24"));
    assert!(report.held_segments >= 1);
    let ctx2 = rec.ctx.clone();
    rec.stop().await;

    let db = NodeDb::open(dir.path()).await.unwrap();
    // The day keys are gone — and their bytes are not in the database files either.
    for k in &day24 {
        assert!(db.key(&k.key_id).await.unwrap().is_none());
    }
    let mut db_bytes = std::fs::read(dir.path().join("node.db")).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("node.db-wal")) {
        db_bytes.extend(wal);
    }
    for k in &day24 {
        assert!(
            !contains(&db_bytes, &k.wrapped),
            "wrapped key bytes of {} remain in the node database",
            k.day
        );
    }
    // cam2's day 24 is gone from disk and index; day 25 is untouched.
    let cam2 = db.segments_of("cam2").await.unwrap();
    assert!(cam2.iter().all(|r| r.day == "2026-11-25"));
    assert!(!dir.path().join("segments/cam2/2026-11-24").exists());
    // cam1 keeps exactly the segments overlapping the hold, readable under the hold's own key.
    let cam1 = db.segments_of("cam1").await.unwrap();
    let held: Vec<_> = cam1.iter().filter(|r| r.day == "2026-11-24").collect();
    assert!(!held.is_empty());
    for r in &held {
        assert!(
            r.start_ms <= t("2026-11-24T23:59:59+09:00")
                && r.end_ms >= t("2026-11-24T23:59:57+09:00"),
            "only overlapping segments stay"
        );
        let key = key_of(&db, &ctx2, r).await.expect("hold key");
        let c = media::segment::read(&dir.path().join(&r.path), &key).unwrap();
        assert_eq!(c.trailer.unwrap().root.to_vec(), r.root, "the chain is unchanged by re-keying");
    }
    // The old day-key ciphertext of the held segment is unreadable now: its key is gone.
    let erasures = db.erasures().await.unwrap();
    assert_eq!(erasures.iter().filter(|e| e.1 == "2026-11-24").count(), 2);
    let log = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert_eq!(log.matches("\"retention.erase\"").count(), 2);
    let _ = ctx;

    // When the hold ends, the held footage goes too — here at the recorder's start, by the
    // sweep that runs before the recorder serves anything (issue 25, D8).
    db.close().await;
    clock.set(policy::jst::parse_rfc3339("2027-01-15T00:00:01+09:00").unwrap());
    let rec = Recorder::start(config(dir.path(), None), profile(), clock.clone()).await.unwrap();
    assert!(rec.sweep_now().await.unwrap().erased.is_empty(), "erased by the sweep at start");
    rec.stop().await;
    let db = NodeDb::open(dir.path()).await.unwrap();
    assert!(
        db.erasures()
            .await
            .unwrap()
            .iter()
            .any(|e| e.0 == "cam1" && e.1.starts_with("2026-11-24+hold7")),
        "the held footage's erasure is recorded"
    );
    assert!(db.segments_of("cam1").await.unwrap().is_empty(), "everything past retention is gone");
    assert!(db.keys().await.unwrap().is_empty());
}

/// Issue 25, D8: footage past its erase instant never leaves — not between two sweeps (the
/// export asks the same retention question as the sweeper), not after a restart (the first sweep
/// runs before the recorder is handed to anyone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn footage_past_its_erase_instant_is_never_exported() {
    let port = camsim(2, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let profile = || policy::resolve_seed("kitakyushu").unwrap();
    // Recorded on Saturday 28 November (a closed day): KIT-5.6 erases it at 00:00 on 6 December.
    let clock =
        clock::Clock::offset(policy::jst::parse_rfc3339("2026-11-28T21:00:00+09:00").unwrap());
    let rec =
        Recorder::start(config(dir.path(), Some(port)), profile(), clock.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(7)).await;
    let recorded = (clock.now_ms() - 6_000, clock.now_ms() - 2_500);
    let job = |name: &str| recorder::export::Job {
        camera: "cam1".into(),
        from_ms: recorded.0,
        to_ms: recorded.1,
        operator: "officer1".into(),
        refs: Default::default(),
        site: None,
        out: dir.path().join(name),
        encryption: None,
    };
    // Before the instant it leaves, through the instruction chain.
    recorder::export::export(&rec.ctx, job("before.zip")).await.unwrap();
    // One second past the instant, before any sweep has run (the sweeper runs hourly here).
    clock.set(policy::jst::parse_rfc3339("2026-12-06T00:00:01+09:00").unwrap());
    let e = recorder::export::export(&rec.ctx, job("after.zip")).await.unwrap_err();
    assert!(e.to_string().contains("past the end of its retention period"), "{e}");
    assert!(!dir.path().join("after.zip").exists());
    let still = recorder::still::take(&rec.ctx, "cam1", Some(recorded)).await;
    assert!(still.is_err(), "no still of expired footage either");
    rec.stop().await;
    // After a restart nine days later, before anyone asks: already erased.
    clock.set(policy::jst::parse_rfc3339("2026-12-15T09:00:00+09:00").unwrap());
    let rec = Recorder::start(config(dir.path(), None), profile(), clock.clone()).await.unwrap();
    assert!(rec.ctx.db.segments_of("cam1").await.unwrap().is_empty(), "erased at start");
    let e = recorder::export::export(&rec.ctx, job("restart.zip")).await.unwrap_err();
    assert!(e.to_string().contains("no footage"), "{e}");
    rec.stop().await;
}

/// SAK-9: each facility sets its own period within the profile's bounds. The server hands the
/// new period to the recorder through the node seam; the sweeper erases by it from then on, the
/// node refuses a period outside the bounds, and the change is on the node's audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facility_period_set_while_recording_governs_erasure() {
    use node::Node;
    let port = camsim(2, camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let profile = || policy::resolve_seed("saku").unwrap();
    // Recorded on Thursday 3 December 2026; the default (7 days from the next day) erases it at
    // 00:00 on 11 December.
    let clock =
        clock::Clock::offset(policy::jst::parse_rfc3339("2026-12-03T14:00:00+09:00").unwrap());
    let rec =
        Recorder::start(config(dir.path(), Some(port)), profile(), clock.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let node = recorder::LocalNode::new(rec.ctx.clone(), dir.path().join("exports"));
    // Facility A keeps 14 days for cam1 (within the month of SAK-9).
    node.set_retention("cam1", policy::retention::Period::Days(14)).await.unwrap();
    // Outside the bounds the node refuses, whatever the server sent.
    let e = node.set_retention("cam2", policy::retention::Period::Months(2)).await.unwrap_err();
    assert!(e.is_refusal() && e.to_string().contains("SAK-9"), "{e}");
    let e = node.set_retention("cam9", policy::retention::Period::Days(10)).await.unwrap_err();
    assert!(matches!(e, node::NodeError::NotRecorded(_)), "{e}");
    assert_eq!(rec.ctx.retention_of("cam1"), policy::retention::Period::Days(14));
    assert_eq!(rec.ctx.retention_of("cam2"), policy::retention::Period::Days(7));

    clock.set(policy::jst::parse_rfc3339("2026-12-11T00:00:01+09:00").unwrap());
    let report = rec.sweep_now().await.unwrap();
    assert_eq!(report.erased, [("cam2".to_owned(), "2026-12-03".to_owned())], "{report:?}");
    assert!(!rec.ctx.db.segments_of("cam1").await.unwrap().is_empty(), "cam1 keeps 14 days");
    // Back to 7 days: cam1's day is past it, erased at the next sweep.
    node.set_retention("cam1", policy::retention::Period::Days(7)).await.unwrap();
    let report = rec.sweep_now().await.unwrap();
    assert_eq!(report.erased, [("cam1".to_owned(), "2026-12-03".to_owned())], "{report:?}");
    rec.stop().await;
    let log = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert_eq!(log.matches("\"retention.set\"").count(), 2, "each change is on the node's log");
}
