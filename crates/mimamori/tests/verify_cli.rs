//! `mimamori verify` on packages produced by the export path (issue 5): a recorder records the
//! camera simulator, exports a range, and the binary — given only the package and what
//! `mimamori recorder publish` prints — says verified (exit 0), or names the altered frame
//! (exit 1), in Japanese and English.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn mimamori(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mimamori")).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Records 8 s from the simulator and exports 4 s of it, plainly and to a passphrase.
async fn export(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, evidence::export::Output) {
    let clip = camsim::synthesize(320, 240, 25, 300_000, 4).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, 1, camsim::Faults::default()).serve(listener));
    let mut cfg = recorder::config::RecorderConfig::new("node-cli", dir);
    cfg.segment_ms = 2_000;
    cfg.cameras = vec![recorder::config::CameraConfig {
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
    let profile = policy::resolve_seed("kawaguchi").unwrap();
    let rec = recorder::Recorder::start(cfg, profile, clock::Clock::System).await.unwrap();
    tokio::time::sleep(Duration::from_secs(9)).await;
    let now = rec.ctx.clock.now_ms();
    let job = |out: &Path, encryption| recorder::export::Job {
        camera: "cam1".into(),
        from_ms: now - 6_000,
        to_ms: now - 2_000,
        operator: "officer (担当者)".into(),
        refs: evidence::manifest::Refs {
            request: Some(3),
            instruction: Some(4),
            ..Default::default()
        },
        site: Some("駅前".into()),
        out: out.to_path_buf(),
        encryption,
    };
    let plain = dir.join("EV-plain.zip");
    let o = recorder::export::export(&rec.ctx, job(&plain, None)).await.unwrap();
    let sealed = dir.join("EV-sealed.zip.age");
    let pass =
        evidence::package::Encryption::Passphrase("a passphrase told by phone".to_owned().into());
    recorder::export::export(&rec.ctx, job(&sealed, Some(pass))).await.unwrap();
    rec.stop().await;
    (plain, sealed, o)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_accepts_exported_packages_and_names_an_altered_frame() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("recorder");
    let (plain, sealed, o) = export(&data).await;
    // What the city publishes.
    let pubdir = dir.path().join("published");
    let p = mimamori(&[
        "recorder",
        "publish",
        "--data",
        data.to_str().unwrap(),
        "--out",
        pubdir.to_str().unwrap(),
    ]);
    assert!(p.status.success(), "{}", text(&p));
    let key = pubdir.join("node-public-key.txt");
    let cert = pubdir.join("city-export.crt");
    assert!(cert.exists());
    let args = |pkg: &Path| {
        vec![
            "verify".to_owned(),
            pkg.to_str().unwrap().to_owned(),
            "--public-key".into(),
            key.to_str().unwrap().into(),
            "--city-cert".into(),
            cert.to_str().unwrap().into(),
        ]
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        mimamori(&a)
    };

    let out = run(args(&plain));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("検証成功") || t.contains("改ざんなし") || t.contains("OK"), "{t}");
    assert!(t.contains(&o.package_id), "{t}");

    // JSON report for tools.
    let mut a = args(&plain);
    a.push("--json".into());
    let out = run(a);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["frames_ok"], o.frames);

    // Encrypted: not checked without the passphrase (exit 2), verified with it.
    let out = run(args(&sealed));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let pf = dir.path().join("pass.txt");
    std::fs::write(&pf, "a passphrase told by phone\n").unwrap();
    let mut a = args(&sealed);
    a.extend(["--passphrase-file".into(), pf.to_str().unwrap().into()]);
    let out = run(a);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // One byte flipped in a frame, the zip rebuilt (as someone editing the file would): exit 1,
    // the frame named.
    use evidence::package::{self as pkg, Package, Plain, Writer};
    let mut p = Package::open(&plain, None).unwrap();
    let names = [pkg::VIDEO, pkg::MANIFEST, pkg::SIGNATURE, pkg::CITY_CERT, pkg::README];
    let mut entries: Vec<(&str, Vec<u8>)> =
        names.iter().map(|n| (*n, p.read_small(n).unwrap())).collect();
    let mp4 = &mut entries[0].1;
    let mdat = mp4.windows(4).position(|w| w == b"mdat").unwrap();
    let at = mdat + 12 + (mp4.len() - mdat) / 2;
    mp4[at] ^= 0x40;
    let bad = dir.path().join("altered.zip");
    let mut w = Writer::new(Box::new(Plain::new(std::fs::File::create(&bad).unwrap()).unwrap()), 0)
        .unwrap();
    for (n, b) in &entries {
        w.add(n, b).unwrap();
    }
    w.finish().unwrap();
    let out = run(args(&bad));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("matches no recorded frame") && t.contains("フレーム"), "{t}");

    // Another node's key: refused.
    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let mut a = args(&plain);
    a[3] = hex::encode(other.verifying_key().as_bytes());
    let out = run(a);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
