//! Issue 17 item 5: `mimamori verify` checks an encrypted package as a stream — its memory does
//! not grow with the package. Two passphrase-encrypted packages, 6 MB and 150 MB, are verified by
//! the binary; its peak resident memory (the child's `ru_maxrss`, read by a Python wrapper that
//! runs nothing else) stays under 64 MiB for both and differs little between them.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use evidence::export::{FrameMeta, Request, SegmentSource};
use media::chain::{ChainCheckpoint, LinkInput, genesis};
use media::frame::Frame;
use media::keys::{DataKey, new_key_id};
use media::segment::{CodecParams, SegmentHeader, SegmentWriter, new_salt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// 2026-11-24 10:00 JST.
const T0: i64 = 1_795_482_000_000;

/// Records `frames` frames of `frame_bytes` each (pseudo-random, a keyframe every 50) as sealed
/// 100-frame segments, and exports them all to a passphrase-encrypted package.
fn package(dir: &Path, frames: usize, frame_bytes: usize) -> PathBuf {
    let clip = camsim::synthesize(320, 240, 25, 200_000, 2).unwrap();
    let params = CodecParams {
        rfc6381: format!("avc1.{}", clip.profile_level_id()),
        width: 320,
        height: 240,
        extra_data: hex::encode(clip.avc_decoder_config().unwrap()),
    };
    let key = DataKey::generate().unwrap();
    let key_id = new_key_id().unwrap();
    let node = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]);
    let mut prev = genesis("cam1", "node1");
    let mut sources = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut n = 0usize;
    let mut seq = 0u64;
    while n < frames {
        seq += 1;
        let path = dir.join(format!("{seq:010}.mseg"));
        let header = SegmentHeader {
            version: 1,
            camera: "cam1".into(),
            day: "2026-11-24".into(),
            seq,
            key_id: key_id.clone(),
            salt: new_salt().unwrap(),
            clock_rate: 90_000,
            created_ms: T0,
        };
        let mut w = SegmentWriter::create(&path, header, &key, &params).unwrap();
        let mut metas = Vec::new();
        let first = T0 + n as i64 * 40;
        let end = (n + 100).min(frames);
        while n < end {
            let mut data = Vec::with_capacity(frame_bytes);
            data.extend_from_slice(&((frame_bytes - 4) as u32).to_be_bytes());
            data.push(if n.is_multiple_of(50) { 0x65 } else { 0x41 });
            while data.len() < frame_bytes {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                data.extend_from_slice(&x.to_le_bytes()[..(frame_bytes - data.len()).min(8)]);
            }
            let f = Frame {
                pts: 90_000 + n as i64 * 3600,
                wall_ms: T0 + n as i64 * 40,
                keyframe: n.is_multiple_of(50),
                data,
            };
            metas.push(FrameMeta {
                pts: f.pts,
                wall_ms: f.wall_ms,
                size: f.data.len() as u32,
                keyframe: f.keyframe,
            });
            w.append(&f).unwrap();
            n += 1;
        }
        let sealed = w
            .finish(LinkInput {
                camera: "cam1".into(),
                seq,
                prev,
                root: [0; 32],
                frames: 0,
                start_ms: first,
                end_ms: T0 + (n as i64 - 1) * 40,
                gap_before: None,
            })
            .unwrap();
        prev = sealed.trailer.link;
        sources.push(SegmentSource {
            seq,
            day: "2026-11-24".into(),
            path,
            key: key.clone(),
            link: prev,
            frames: metas,
        });
    }
    let city = evidence::city::CityIdentity::generate("kawaguchi", 2048).unwrap();
    let end = T0 + frames as i64 * 40;
    let req = Request {
        package_id: format!("EV-mem-{frames}"),
        profile: "kawaguchi".into(),
        refs: evidence::manifest::Refs::default(),
        operator: "officer".into(),
        node_id: "node1".into(),
        camera: "cam1".into(),
        site: None,
        camera_url: "rtsp://10.0.0.5/cam1".into(),
        from_ms: T0,
        to_ms: end,
        now_ms: end + 60_000,
        segments: sources,
        tail: Vec::new(),
        checkpoints: vec![ChainCheckpoint::sign(&node, "cam1", seq, prev, end + 1_000)],
        gaps: Vec::new(),
        signing: &node,
        city: &city,
        unit_name: "mimamori node1".into(),
        unit_url: String::new(),
    };
    let out = dir.join(format!("EV-{frames}.zip.age"));
    let enc = evidence::package::Encryption::Passphrase("川口市 提供用 2026-12".to_owned().into());
    evidence::export::export(&req, &out, Some(&enc)).unwrap();
    std::fs::write(dir.join("key.txt"), hex::encode(node.verifying_key().as_bytes())).unwrap();
    out
}

/// Runs `mimamori verify` on `pkg`; returns (exit status, peak RSS in KiB).
fn verify_peak(dir: &Path, pkg: &Path) -> (i32, u64) {
    let pass = dir.join("pass.txt");
    std::fs::write(&pass, "川口市 提供用 2026-12\n").unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import resource, subprocess, sys\n\
             r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n\
             print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
            env!("CARGO_BIN_EXE_mimamori"),
            "verify",
        ])
        .arg(pkg)
        .arg("--public-key")
        .arg(dir.join("key.txt"))
        .arg("--passphrase-file")
        .arg(&pass)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut it = text.split_whitespace();
    (it.next().unwrap().parse().unwrap(), it.next().unwrap().parse().unwrap())
}

#[test]
fn verifying_an_encrypted_package_streams_in_bounded_memory() {
    let small_dir = tempfile::tempdir().unwrap();
    let big_dir = tempfile::tempdir().unwrap();
    // Two minutes at 25 fps: 2 kB frames (6 MB) and 50 kB frames (150 MB).
    let small = package(small_dir.path(), 3_000, 2_000);
    let big = package(big_dir.path(), 3_000, 50_000);
    assert!(std::fs::metadata(&big).unwrap().len() > 140_000_000);
    let (code_s, peak_s) = verify_peak(small_dir.path(), &small);
    let (code_b, peak_b) = verify_peak(big_dir.path(), &big);
    assert_eq!((code_s, code_b), (0, 0), "both verify");
    eprintln!("peak RSS: {peak_s} KiB (6 MB package), {peak_b} KiB (150 MB package)");
    assert!(peak_b <= 64 * 1024, "verify used {peak_b} KiB for a 150 MB package (bar: 64 MiB)");
    assert!(
        peak_b <= peak_s + 8 * 1024,
        "memory grows with the package: {peak_s} KiB for 6 MB, {peak_b} KiB for 150 MB"
    );
}
