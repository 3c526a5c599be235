//! Privacy masks at the source (issue 24, item 2; PROD-MASK-1): a camera that speaks ONVIF is
//! given the registry's masks, and the recorder stores its frames as they come only after a
//! keyframe of its own shows every masked macroblock black — burning the masks in before that,
//! and from the keyframe that shows a camera stopped masking. Against camsim's ONVIF service
//! and its RTSP stream, with credentials.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use node::{BurnInReason, MaskMode};
use recorder::Recorder;
use recorder::config::{CameraConfig, RecorderConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn entrance() -> masking::Polygon {
    masking::Polygon::from_pairs(&[(0.5, 0.25), (0.9, 0.25), (0.9, 0.75), (0.5, 0.75)])
}

fn clip() -> camsim::Clip {
    static CLIP: std::sync::OnceLock<camsim::Clip> = std::sync::OnceLock::new();
    CLIP.get_or_init(|| camsim::synthesize(320, 240, 25, 300_000, 4).unwrap()).clone()
}

/// A camsim with credentials on RTSP and ONVIF: (simulator, RTSP port, ONVIF port).
async fn cameras(faults: camsim::Faults) -> (Arc<camsim::CamSim>, u16, u16) {
    let sim = camsim::CamSim::with_auth(clip(), 1, faults, Some("admin:cam-pass".into()));
    let rtsp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let onvif = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ports = (rtsp.local_addr().unwrap().port(), onvif.local_addr().unwrap().port());
    tokio::spawn(sim.clone().serve(rtsp));
    tokio::spawn(sim.clone().serve_onvif(onvif));
    (sim, ports.0, ports.1)
}

async fn start(dir: &std::path::Path, rtsp: u16, onvif: u16, check_ms: i64) -> Recorder {
    start_masking_at(dir, rtsp, Some(onvif), check_ms).await
}

/// cam1 with the entrance masked (version 3): at the camera through camsim's ONVIF port `onvif`,
/// or burned in by the recorder (`None`).
async fn start_masking_at(
    dir: &std::path::Path,
    rtsp: u16,
    onvif: Option<u16>,
    check_ms: i64,
) -> Recorder {
    let mut cfg = RecorderConfig::new("node-source-masks", dir);
    cfg.segment_ms = 2_000;
    let mut cam =
        CameraConfig::from_url("cam1", &format!("rtsp://admin:cam-pass@127.0.0.1:{rtsp}/cam1"))
            .unwrap();
    cam.masks = vec![entrance()];
    cam.mask_version = 3;
    cam.onvif = onvif.map(|port| format!("http://127.0.0.1:{port}/onvif/cam1/media2_service"));
    cam.mask_check_ms = check_ms;
    cfg.cameras = vec![cam];
    let profile = policy::resolve_seed("asahikawa").unwrap();
    Recorder::start(cfg, profile, clock::Clock::System).await.unwrap()
}

async fn wait_mode(rec: &Recorder, want: impl Fn(&MaskMode) -> bool) -> MaskMode {
    let t = Instant::now();
    loop {
        let mode = rec.status().first().map(|s| s.masks.clone()).unwrap_or_default();
        if want(&mode) || t.elapsed() > Duration::from_secs(40) {
            return mode;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `done` (10 s at most).
async fn until(done: impl Fn() -> bool) {
    let t = Instant::now();
    while !done() && t.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_frames(rec: &Recorder, more: u64) {
    let start = rec.status().first().map_or(0, |s| s.frames);
    let t = Instant::now();
    while rec.status().first().map_or(0, |s| s.frames) < start + more
        && t.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every stored keyframe, with its segment's start and its stream's parameters.
async fn stored_keyframes(dir: &std::path::Path, rec: Recorder) -> Vec<(i64, Vec<u8>, Vec<u8>)> {
    let ctx = rec.ctx.clone();
    rec.stop().await;
    let db = recorder::db::NodeDb::open(dir).await.unwrap();
    let rows = db.segments_of("cam1").await.unwrap();
    check_chain(&rows);
    let mut out = Vec::new();
    for row in &rows {
        let key = key_of(&db, &ctx, row).await.unwrap();
        let c = media::segment::read(&dir.join(&row.path), &key).unwrap();
        let avcc = hex::decode(&c.params.as_ref().unwrap().extra_data).unwrap();
        for f in c.frames.iter().filter(|f| f.keyframe) {
            out.push((row.start_ms, avcc.clone(), f.data.to_vec()));
        }
    }
    out
}

fn masked(avcc: &[u8], frame: &[u8]) -> bool {
    let mut check = masking::SourceCheck::new().unwrap();
    check.check(frame, avcc, &[entrance()]).unwrap().is_some_and(|v| v.masked())
}

/// The details of the node's audit entries of `action`.
fn audited(dir: &std::path::Path, action: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("audit.log")).unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(e) = v.get("entry").or(v.get("Entry")).or(Some(&v)) else { continue };
        if e["action"] == action {
            // The detail is kept as canonical JSON text.
            let d = &e["detail"];
            out.push(d.as_str().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(d.clone()));
        }
    }
    if out.is_empty() {
        eprintln!("{}", text.lines().rev().take(3).collect::<Vec<_>>().join("\n"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_masks_is_checked_and_recorded_as_it_sends() {
    let (sim, rtsp, onvif) = cameras(camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = start(dir.path(), rtsp, onvif, 3_000).await;
    let mode = wait_mode(&rec, |m| matches!(m, MaskMode::Camera { .. })).await;
    assert!(matches!(mode, MaskMode::Camera { verified_ms } if verified_ms > 0), "{mode:?}");
    // Set on the camera and read back, with the camera's credentials (a digest, not the password).
    let set = sim.source_masks("cam1");
    assert_eq!(set.len(), 1);
    assert!(onvif::media2::same_outline(&set[0], &entrance(), 1e-4));
    // Checked again every interval while it keeps masking.
    let MaskMode::Camera { verified_ms: first } = mode else { unreachable!() };
    let later =
        wait_mode(&rec, |m| matches!(m, MaskMode::Camera { verified_ms } if *verified_ms > first))
            .await;
    assert!(matches!(later, MaskMode::Camera { verified_ms } if verified_ms > first), "{later:?}");
    wait_frames(&rec, 50).await;
    let keys = stored_keyframes(dir.path(), rec).await;
    assert!(keys.len() >= 4, "{} keyframes", keys.len());
    // Every stored keyframe is black inside the mask: burned in until the camera's own pictures
    // showed the mask, the camera's own after.
    for (start, avcc, f) in &keys {
        assert!(masked(avcc, f), "segment at {start}: the mask is not black");
    }
    // After the check the frames are the camera's own, byte for byte (no re-encoding).
    let own = camsim::clip::masked(&clip(), &[entrance()]).unwrap();
    let own: std::collections::HashSet<Vec<u8>> = own
        .frames
        .iter()
        .filter(|f| f.keyframe)
        .map(|f| {
            f.nals
                .iter()
                .flat_map(|n| (n.len() as u32).to_be_bytes().into_iter().chain(n.iter().copied()))
                .collect()
        })
        .collect();
    // (The camera sends its parameter sets in band before each keyframe; compared without.)
    let (_, _, last) = keys.last().unwrap();
    let slices: Vec<u8> = masking::avcc_nals(last)
        .unwrap()
        .into_iter()
        .filter(|n| !matches!(n[0] & 0x1f, 7 | 8))
        .flat_map(|n| (n.len() as u32).to_be_bytes().into_iter().chain(n.iter().copied()))
        .collect();
    assert!(own.contains(&slices), "the last keyframe is stored as the camera sent it");
    let set = audited(dir.path(), "recorder.masks_at_camera_set");
    assert!(set.iter().any(|d| d["set"] == true), "the setting is audited: {set:?}");
    let checks = audited(dir.path(), "recorder.masks_at_camera");
    assert!(checks.iter().any(|d| d["verified"] == true), "the check is audited: {checks:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_ignores_its_masks_is_burned_in() {
    let faults = camsim::Faults { masks_ignored: true, ..Default::default() };
    let (sim, rtsp, onvif) = cameras(faults).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = start(dir.path(), rtsp, onvif, 3_000).await;
    wait_frames(&rec, 150).await;
    let mode = rec.status()[0].masks.clone();
    assert!(
        matches!(&mode, MaskMode::Recorder { why: BurnInReason::NotMasked { not_black, checked } } if not_black == checked),
        "{mode:?}"
    );
    assert_eq!(sim.source_masks("cam1").len(), 1, "the camera said it took the masks");
    let keys = stored_keyframes(dir.path(), rec).await;
    assert!(keys.len() >= 3);
    for (start, avcc, f) in &keys {
        assert!(masked(avcc, f), "segment at {start}: the mask is not black");
    }
    let checks = audited(dir.path(), "recorder.masks_at_camera");
    assert!(checks.iter().all(|d| d["verified"] != true), "never passed: {checks:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_cannot_mask_is_burned_in_with_the_reason() {
    let faults = camsim::Faults { masks_unsupported: true, ..Default::default() };
    let (_sim, rtsp, onvif) = cameras(faults).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = start(dir.path(), rtsp, onvif, 3_000).await;
    let mode = wait_mode(&rec, |m| {
        matches!(m, MaskMode::Recorder { why: BurnInReason::CameraCannot { .. } })
    })
    .await;
    assert!(
        matches!(&mode, MaskMode::Recorder { why: BurnInReason::CameraCannot { detail } } if detail.contains("ActionNotSupported")),
        "{mode:?}"
    );
    wait_frames(&rec, 75).await;
    let keys = stored_keyframes(dir.path(), rec).await;
    for (start, avcc, f) in &keys {
        assert!(masked(avcc, f), "segment at {start}: the mask is not black");
    }
    let set = audited(dir.path(), "recorder.masks_at_camera_set");
    assert!(set.iter().any(|d| d["set"] == false), "{set:?}");
}

/// A camera that stops masking (its masks deleted behind the recorder's back, as a reset
/// would): the next due check — within one interval — finds it, that keyframe and everything
/// after it are burned in, and the masks are set on the camera again.
// rule: PROD-MASK-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_stops_masking_is_caught_within_one_interval() {
    let (sim, rtsp, onvif) = cameras(camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = start(dir.path(), rtsp, onvif, 3_000).await;
    let mode = wait_mode(&rec, |m| matches!(m, MaskMode::Camera { .. })).await;
    assert!(matches!(mode, MaskMode::Camera { .. }), "{mode:?}");
    // Behind the recorder's back.
    let c = onvif::Client::new(
        &format!("http://127.0.0.1:{onvif}/onvif/cam1/media2_service"),
        Some(("admin".into(), "cam-pass".into())),
    );
    c.set_masks(&[]).await.unwrap();
    until(|| sim.masks_drawn("cam1") == 0).await;
    let stopped = Instant::now();
    let mode = wait_mode(&rec, |m| matches!(m, MaskMode::Recorder { .. })).await;
    let caught = stopped.elapsed();
    assert!(matches!(mode, MaskMode::Recorder { .. }), "{mode:?}");
    // Interval (3 s) plus one GOP (2 s) after the last check that passed at most; the camera
    // switches at its next keyframe (≤ 2 s) after `stopped`, so well within 8 s.
    assert!(caught < Duration::from_secs(8), "caught after {caught:?}");
    // Set again on the camera, seen again, passing again.
    let again = wait_mode(&rec, |m| matches!(m, MaskMode::Camera { .. })).await;
    assert!(matches!(again, MaskMode::Camera { .. }), "{again:?}");
    wait_frames(&rec, 25).await;
    let keys = stored_keyframes(dir.path(), rec).await;
    let unmasked: Vec<_> = keys.iter().filter(|(_, avcc, f)| !masked(avcc, f)).collect();
    // Only the keyframes between the camera stopping and the check that caught it can be
    // unmasked: at most the interval's worth (one per 2 s GOP).
    assert!(unmasked.len() <= 2, "{} unmasked keyframes stored", unmasked.len());
    let checks = audited(dir.path(), "recorder.masks_at_camera");
    assert!(checks.iter().any(|d| d["verified"] == false), "the failure is audited: {checks:?}");
}

/// A new mask version from the registry goes to the camera; until the camera's pictures show
/// it, the recorder burns it in (from the keyframe where it arrived), then passes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_mask_version_goes_to_the_camera_and_is_checked_again() {
    let (sim, rtsp, onvif) = cameras(camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = start(dir.path(), rtsp, onvif, 3_000).await;
    let mode = wait_mode(&rec, |m| matches!(m, MaskMode::Camera { .. })).await;
    assert!(matches!(mode, MaskMode::Camera { .. }), "{mode:?}");
    let window = masking::Polygon::from_pairs(&[(0.0, 0.0), (0.4, 0.0), (0.4, 0.5), (0.0, 0.5)]);
    assert!(rec.ctx.set_masks("cam1", 4, vec![entrance(), window.clone()]));
    until(|| sim.source_masks("cam1").len() == 2).await;
    let changed_at = rec.ctx.clock.now_ms();
    assert_eq!(sim.source_masks("cam1").len(), 2, "the new version is on the camera");
    until(|| sim.masks_drawn("cam1") == 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mode = wait_mode(&rec, |m| matches!(m, MaskMode::Camera { .. })).await;
    assert!(matches!(mode, MaskMode::Camera { .. }), "{mode:?}");
    wait_frames(&rec, 25).await;
    let keys = stored_keyframes(dir.path(), rec).await;
    let mut check = masking::SourceCheck::new().unwrap();
    let after: Vec<_> = keys.iter().filter(|(start, _, _)| *start > changed_at).collect();
    assert!(after.len() >= 2, "{} keyframes after the change", after.len());
    for (start, avcc, f) in after {
        let v = check.check(f, avcc, std::slice::from_ref(&window)).unwrap().unwrap();
        assert!(v.masked(), "segment at {start}: the new mask is not black ({v:?})");
    }
}

/// Where the masks are applied changes while the camera records (`Ctx::set_masks_source`, what
/// the cameras page's ONVIF form reaches): from burn-in to the camera — the masks set there,
/// burned in until its pictures show them — and back to burn-in from the next keyframe, both
/// without a new session; every stored keyframe black inside the mask throughout.
// rule: PROD-MASK-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_masks_are_applied_switches_at_a_keyframe_without_reconnecting() {
    let (sim, rtsp, onvif) = cameras(camsim::Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = start_masking_at(dir.path(), rtsp, None, 3_000).await;
    wait_frames(&rec, 50).await;
    let mode = rec.status()[0].masks.clone();
    assert!(
        matches!(mode, MaskMode::Recorder { why: BurnInReason::Configured }),
        "burned in as configured: {mode:?}"
    );
    assert!(sim.source_masks("cam1").is_empty(), "nothing set on the camera yet");
    let reconnects = rec.status()[0].reconnects;

    // To the camera: set there, then verified in its pictures.
    let service = format!("http://127.0.0.1:{onvif}/onvif/cam1/media2_service");
    assert!(rec.ctx.set_masks_source("cam1", Some(service)));
    let mode = wait_mode(&rec, |m| matches!(m, MaskMode::Camera { .. })).await;
    assert!(matches!(mode, MaskMode::Camera { verified_ms } if verified_ms > 0), "{mode:?}");
    assert_eq!(sim.source_masks("cam1").len(), 1, "the masks are on the camera");

    // Back to burn-in, from the next keyframe.
    assert!(rec.ctx.set_masks_source("cam1", None));
    let mode = wait_mode(&rec, |m| matches!(m, MaskMode::Recorder { .. })).await;
    assert!(matches!(mode, MaskMode::Recorder { why: BurnInReason::Configured }), "{mode:?}");
    wait_frames(&rec, 50).await;
    assert_eq!(rec.status()[0].reconnects, reconnects, "the session was never interrupted");
    assert!(!rec.ctx.set_masks_source("cam9", None), "a camera not recorded here");

    let keys = stored_keyframes(dir.path(), rec).await;
    assert!(keys.len() >= 6, "{} keyframes", keys.len());
    for (start, avcc, f) in &keys {
        assert!(masked(avcc, f), "segment at {start}: the mask is not black");
    }
    let switches = audited(dir.path(), "recorder.masks_source");
    let at: Vec<_> = switches.iter().map(|d| d["at"].as_str().unwrap_or("")).collect();
    assert_eq!(at, ["camera", "recorder"], "both switches audited, without the address");
    assert!(switches.iter().all(|d| !d.to_string().contains("127.0.0.1")));
}
