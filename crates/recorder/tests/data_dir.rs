//! The data directory however it is spelled (issue 25, D1/D2; docs/storage.md S6, S7, R4): a
//! relative directory — the README's own `demo-data` — then the same directory given as an
//! absolute path, through a symlink, and an index written before S6 with the directory inside
//! its paths. Each run starts, records and exports footage of every run before it; a camera code
//! that would leave the directory is refused before anything is written.
//!
//! One test in its own binary: it changes the process's working directory.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn config(dir: &Path, port: u16) -> RecorderConfig {
    let mut c = RecorderConfig::new("node-test", dir);
    c.segment_ms = 2_000;
    c.cameras =
        vec![CameraConfig::from_url("cam1", &format!("rtsp://127.0.0.1:{port}/cam1")).unwrap()];
    c
}

/// Records a few seconds on `dir`, then exports everything recorded so far (this run and the
/// ones before it) and verifies the package; returns the frames exported.
async fn run(dir: &Path, port: u16, since_ms: i64, out: &Path) -> u64 {
    let profile = policy::resolve_seed("kitakyushu").unwrap();
    let rec = Recorder::start(config(dir, port), profile, clock::Clock::System).await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let now = rec.ctx.clock.now_ms();
    let job = recorder::export::Job {
        camera: "cam1".into(),
        from_ms: since_ms,
        to_ms: now - 1_000,
        operator: "officer1".into(),
        refs: Default::default(),
        site: None,
        out: out.to_path_buf(),
        encryption: None,
    };
    let o = recorder::export::export(&rec.ctx, job)
        .await
        .unwrap_or_else(|e| panic!("export from {}: {e}", dir.display()));
    let r = evidence::verify::verify(
        out,
        &evidence::verify::Options {
            node_key: rec.ctx.signing.verifying_key(),
            city_cert: None,
            decryption: None,
            expect_request: None,
        },
    );
    assert!(r.ok(), "{}", r.render());
    rec.stop().await;
    o.frames
}

async fn indexed_paths(data: &Path) -> Vec<String> {
    let db = recorder::db::NodeDb::open(data).await.unwrap();
    let rows = db.segments_of("cam1").await.unwrap();
    db.close().await;
    rows.into_iter().map(|r| r.path).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_may_be_relative_moved_or_spelled_differently() {
    let port = camsim(1, camsim::Faults::default()).await;
    let top = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(top.path()).unwrap();
    std::env::set_current_dir(&top).unwrap();
    let start = jiff::Timestamp::now().as_millisecond();

    // D1: relative, as the README's `demo` runs it.
    let first = run(Path::new("demo-data"), port, start, &top.join("1.zip")).await;
    assert!(first > 50, "{first} frames");
    for p in indexed_paths(&top.join("demo-data")).await {
        assert!(p.starts_with("segments/cam1/"), "indexed relative to the data directory: {p}");
    }
    // D2: the same directory as an absolute path, then through a symlink, then `./`.
    let second = run(&top.join("demo-data"), port, start, &top.join("2.zip")).await;
    assert!(second > first, "{second} ≤ {first}: the first run's footage must export too");
    std::os::unix::fs::symlink(top.join("demo-data"), top.join("mounted")).unwrap();
    let third = run(Path::new("mounted"), port, start, &top.join("3.zip")).await;
    assert!(third > second);
    let fourth = run(Path::new("./demo-data/../demo-data"), port, start, &top.join("4.zip")).await;
    assert!(fourth > third);

    // An index written before S6 held the directory in every path: rewritten when opened.
    {
        use sqlx::sqlite::SqlitePoolOptions;
        let url = format!("sqlite://{}", top.join("demo-data/node.db").display());
        let pool = SqlitePoolOptions::new().connect(&url).await.unwrap();
        sqlx::query("UPDATE segments SET path = 'demo-data/' || path")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    // Moved to another directory and restored under another name.
    std::fs::rename(top.join("demo-data"), top.join("restored")).unwrap();
    let fifth = run(&top.join("restored"), port, start, &top.join("5.zip")).await;
    assert!(fifth > fourth);
    for p in indexed_paths(&top.join("restored")).await {
        assert!(p.starts_with("segments/cam1/"), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_code_that_would_leave_the_data_directory_is_refused() {
    let top = tempfile::tempdir().unwrap();
    let data: PathBuf = top.path().join("a/b/data");
    let mut c = RecorderConfig::new("node-test", &data);
    c.cameras =
        vec![CameraConfig::from_url("../../escaped-cam", "rtsp://127.0.0.1:9/cam1").unwrap()];
    let profile = policy::resolve_seed("kitakyushu").unwrap();
    let e = Recorder::start(c, profile, clock::Clock::System).await.err().unwrap();
    assert!(e.to_string().contains("PROD-IDENT-1") || e.to_string().contains("camera code"), "{e}");
    // Nothing was written outside the data directory.
    let outside: Vec<_> =
        all_files(top.path()).into_iter().filter(|p| !p.starts_with(&data)).collect();
    assert!(outside.is_empty(), "{outside:?}");
}
