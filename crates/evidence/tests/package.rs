//! Evidence packages end to end (issue 5): export recorded segments, verify offline, read the MP4
//! with ffprobe, check the ONVIF signature with openssl, and the tamper matrix.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::*;
use evidence::export::export;
use evidence::mp4::{self, Description, ExportInfo, Track};
use evidence::package::{self, Decryption, Encryption};
use evidence::verify::{Options, Report, Severity, Verdict, verify};
use std::path::Path;
use std::process::Command;

fn check(path: &Path) -> Report {
    verify(path, &opts())
}

/// Camera cam1, 3 segments (12 s); export 10:00:02.5 – 10:00:09.3.
fn exported() -> (Recorded, tempfile::TempDir, std::path::PathBuf) {
    let rec = record("cam1", 3, 0);
    let node = node_key();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("pkg.zip");
    let req = request(&rec, "cam1", T0 + 2_500, T0 + 9_300, &node, 3);
    let o = export(&req, &path, None).unwrap();
    // From the keyframe at 2.0 s (keyframes every 50 frames) to the frame at 9.28 s.
    assert_eq!(o.delivered.from_ms, T0 + 2_000);
    assert_eq!(o.delivered.to_ms, T0 + 9_280);
    assert_eq!(o.frames, (9_280 - 2_000) / 40 + 1);
    (rec, out, path)
}

#[test]
// rule: KAW-2.2.6, ASA-3.3b
fn round_trip_verifies_and_names_the_range() {
    let (_rec, _out, path) = exported();
    let r = check(&path);
    assert!(r.ok(), "{}", r.render());
    assert_eq!(r.frames_checked, 183);
    assert_eq!(r.frames_ok, 183);
    let text = r.render();
    assert!(text.contains("検証成功") && text.contains("VERIFIED"), "{text}");
    assert!(text.contains("2026-11-24T10:00:02+09:00"), "{text}");
}

fn ffprobe_json(args: &[&str], file: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(file)
        .output()
        .expect("ffprobe (scripts/test-deps.sh installs ffmpeg)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// ffmpeg decodes every frame of `mp4` without a word of complaint.
fn ffmpeg_decodes(mp4: &Path) {
    let d = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(mp4)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(d.status.success() && d.stderr.is_empty(), "{}", String::from_utf8_lossy(&d.stderr));
}

#[test]
fn ffprobe_reads_the_mp4_and_agrees_with_the_manifest() {
    let (_rec, out, path) = exported();
    let e = entries(&path);
    let mp4_path = out.path().join("video.mp4");
    std::fs::write(&mp4_path, get(&e, package::VIDEO)).unwrap();
    let m = evidence::manifest::Manifest::from_json(get(&e, package::MANIFEST)).unwrap();
    let v = ffprobe_json(
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts,duration,flags",
            "-show_entries",
            "stream=codec_name,width,height,time_base",
        ],
        &mp4_path,
    );
    let s = &v["streams"][0];
    assert_eq!(s["codec_name"], "h264");
    assert_eq!(s["width"], 320);
    assert_eq!(s["time_base"], "1/90000");
    let packets = v["packets"].as_array().unwrap();
    assert_eq!(packets.len() as u64, m.video.samples);
    // Durations follow the recorded media clock: frame k lasts until frame k+1.
    let leaves = m.exported_leaves().unwrap();
    for (k, p) in packets.iter().enumerate().take(leaves.len() - 1) {
        assert_eq!(p["duration"].as_i64().unwrap(), leaves[k + 1].pts - leaves[k].pts);
        assert_eq!(p["pts"].as_i64().unwrap(), leaves[k].pts - leaves[0].pts);
        assert_eq!(p["flags"].as_str().unwrap().starts_with('K'), leaves[k].keyframe);
    }
    // And the decoder decodes every frame.
    ffmpeg_decodes(&mp4_path);
}

#[test]
// rule: ASA-3.3b (never re-encoded): a camera that switches to masking at the source (issue 24)
// changes its codec parameters at a keyframe; an export across the switch keeps every sample as
// recorded, each chunk naming the sample description of its parameters, and verifies; ffmpeg
// decodes every frame at both sizes.
fn an_export_across_a_change_of_codec_parameters() {
    let switched = |seq: u64| seq == 2 || seq == 3;
    let rec = record_switching("cam1", 5, 0, 0, Some(&switched));
    let node = node_key();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("pkg.zip");
    let req = request(&rec, "cam1", T0 + 2_500, T0 + 14_100, &node, 5);
    let o = export(&req, &path, None).unwrap();
    assert_eq!(o.delivered.from_ms, T0 + 2_000);
    let r = check(&path);
    assert!(r.ok(), "{}", r.render());
    assert_eq!(r.frames_checked, o.frames);

    let e = entries(&path);
    let mp4 = get(&e, package::VIDEO);
    let mb = top_boxes(mp4)[1];
    let t = mp4::parse_moov(&mp4[mb.1..mb.2]).unwrap();
    assert_eq!(t.descriptions, 2);
    let chunks: Vec<(u32, u32)> = t.chunks.iter().map(|c| (c.samples, c.description)).collect();
    // Segment 1 from 2.0 s (50 frames), segments 2 and 3 in the other picture, segment 4 up
    // to 14.08 s (53 frames).
    assert_eq!(chunks, vec![(50, 1), (100, 2), (100, 2), (53, 1)]);
    // The samples are the recorded access units, in order.
    let (samples, keyframes, _) = samples(&e);
    assert_eq!(samples[50], access_unit(other_clip(), 0).0);
    assert_eq!(samples[250], access_unit(clip(4), 0).0);
    assert!(keyframes[50] && keyframes[250]);

    let mp4_path = out.path().join("video.mp4");
    std::fs::write(&mp4_path, mp4).unwrap();
    let v =
        ffprobe_json(&["-show_entries", "frame=width,height", "-select_streams", "v:0"], &mp4_path);
    let sizes: Vec<(i64, i64)> = v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["width"].as_i64().unwrap(), f["height"].as_i64().unwrap()))
        .collect();
    assert_eq!(sizes.len() as u64, o.frames, "every frame decodes");
    assert_eq!(sizes[0], (320, 240));
    assert_eq!(sizes[60], (352, 288));
    assert_eq!(sizes[260], (320, 240));
    ffmpeg_decodes(&mp4_path);

    // A sample table that points a chunk elsewhere than right after the one before it (a
    // player would show other bytes than the ones hashed) is refused.
    let mut bad = mp4[mb.1..mb.2].to_vec();
    let co64 = bad.windows(4).position(|w| w == b"co64").unwrap() + 4;
    let second = co64 + 8 + 8;
    let v = u64::from_be_bytes(bad[second..second + 8].try_into().unwrap());
    bad[second..second + 8].copy_from_slice(&(v + 4).to_be_bytes());
    let err = mp4::parse_moov(&bad).unwrap_err().to_string();
    assert!(err.contains("follow each other"), "{err}");
}

#[test]
// The ONVIF file signature checked by an independent tool: openssl, on the bytes the Export
// File Format says are signed (the file with the `sibo` payload zeroed).
fn openssl_verifies_the_onvif_signature() {
    let (_rec, out, path) = exported();
    let e = entries(&path);
    let mut mp4 = get(&e, package::VIDEO).to_vec();
    let boxes = top_boxes(&mp4);
    let kinds: Vec<&[u8; 4]> = boxes.iter().map(|b| &b.0).collect();
    assert_eq!(kinds, [b"ftyp", b"moov", b"mdat", b"meta"]);
    let (_, ms, me) = boxes[3];
    let meta = &mp4[ms..me];
    for k in [b"suep", b"ipro", b"sinf", b"cstb", b"schm", b"oeff", b"schi", b"sibo", b"cert"] {
        assert!(meta.windows(4).any(|w| w == k), "no {} in meta", String::from_utf8_lossy(k));
    }
    let find = |k: &[u8]| ms + meta.windows(4).position(|w| w == k).unwrap() - 4;
    let sibo = find(b"sibo");
    let sibo_len = u32::from_be_bytes(mp4[sibo..sibo + 4].try_into().unwrap()) as usize;
    let cert = find(b"cert");
    let cert_len = u32::from_be_bytes(mp4[cert..cert + 4].try_into().unwrap()) as usize;
    let sig = mp4[sibo + 8..sibo + sibo_len].to_vec();
    std::fs::write(out.path().join("cert.der"), &mp4[cert + 8..cert + cert_len]).unwrap();
    std::fs::write(out.path().join("sig.bin"), &sig).unwrap();
    mp4[sibo + 8..sibo + sibo_len].fill(0);
    std::fs::write(out.path().join("zeroed.mp4"), &mp4).unwrap();
    let run = |args: &[&str]| {
        let o = Command::new("openssl").current_dir(out.path()).args(args).output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let (ok, text) =
        run(&["x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout", "-out", "pub.pem"]);
    assert!(ok, "{text}");
    let verify_args = [
        "dgst",
        "-sha256",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:20",
        "-sigopt",
        "rsa_mgf1_md:sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "sig.bin",
    ];
    let (ok, text) = run(&[&verify_args[..], &["zeroed.mp4"]].concat());
    assert!(ok && text.contains("Verified OK"), "{text}");
    // One flipped sample byte and openssl refuses too.
    let (_, mdat_start, _) = boxes[2];
    mp4[mdat_start + 100] ^= 1;
    std::fs::write(out.path().join("zeroed.mp4"), &mp4).unwrap();
    let (ok, _) = run(&[&verify_args[..], &["zeroed.mp4"]].concat());
    assert!(!ok);
    // The certificate is the city's, in PEM next to the video.
    let pem = String::from_utf8(get(&e, package::CITY_CERT).to_vec()).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let (ok, text) = run(&["x509", "-inform", "DER", "-in", "cert.der", "-noout", "-subject"]);
    assert!(ok && text.contains("kitakyushu"), "{text}");
}

/// The MP4 rebuilt around other samples, as someone editing the footage would; the signature
/// slot stays zero (they do not hold the city's key).
fn rebuild_mp4(original: &[u8], samples: &[Vec<u8>], keyframes: &[bool], pts: &[i64]) -> Vec<u8> {
    let moov_box = top_boxes(original)[1];
    let t = mp4::parse_moov(&original[moov_box.1..moov_box.2]).unwrap();
    let c = clip(4);
    let p = params(c);
    let track = Track::single(
        Description {
            sample_entry: t.sample_entry,
            config: hex::decode(&p.extra_data).unwrap(),
            width: 320,
            height: 240,
        },
        samples.iter().map(|s| s.len() as u32).collect(),
        mp4::durations(pts),
        keyframes.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i as u32 + 1).collect(),
    );
    let info = ExportInfo {
        unit_name: "mimamori node1".into(),
        unit_url: String::new(),
        export_ms: T0,
        operator: "x".into(),
        source_name: "cam1".into(),
        source_url: String::new(),
        start_ms: T0,
    };
    let mut out = mp4::head(&track, &info);
    out.extend_from_slice(&mp4::mdat_header(samples.iter().map(|s| s.len() as u64).sum()));
    for s in samples {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&mp4::meta(&info, city().cert_der(), city().signature_len()).0);
    out
}

/// The samples of an exported MP4 and their recorded keyframe flags and times.
fn samples(e: &[(String, Vec<u8>)]) -> (Vec<Vec<u8>>, Vec<bool>, Vec<i64>) {
    let mp4 = get(e, package::VIDEO);
    let mb = top_boxes(mp4)[1];
    let t = mp4::parse_moov(&mp4[mb.1..mb.2]).unwrap();
    let mut at = t.data_offset as usize;
    let mut out = Vec::new();
    for s in &t.sizes {
        out.push(mp4[at..at + *s as usize].to_vec());
        at += *s as usize;
    }
    let m = evidence::manifest::Manifest::from_json(get(e, package::MANIFEST)).unwrap();
    let leaves = m.exported_leaves().unwrap();
    (out, leaves.iter().map(|l| l.keyframe).collect(), leaves.iter().map(|l| l.pts).collect())
}

fn assert_fails(r: &Report, codes: &[&str]) {
    assert!(!r.ok(), "verified a tampered package:\n{}", r.render());
    for c in codes {
        assert!(r.failures(c) > 0, "expected a {c} finding:\n{}", r.render());
    }
    assert!(r.render().contains("検証失敗") && r.render().contains("FAILED"));
}

#[test]
// rule: KAW-2.2.7オ, ASA-3.6b (改ざん防止): one flipped bit in one frame is found and named.
fn tamper_flip_one_byte_in_a_frame() {
    let (_rec, out, path) = exported();
    let mut e = entries(&path);
    let (samples, _, _) = samples(&e);
    let mut mp4 = get(&e, package::VIDEO).to_vec();
    let mb = top_boxes(&mp4)[1];
    let t = mp4::parse_moov(&mp4[mb.1..mb.2]).unwrap();
    // Frame 10 of the MP4 (0-based), byte 20 of it.
    let off = t.data_offset as usize + samples[..10].iter().map(Vec::len).sum::<usize>() + 20;
    mp4[off] ^= 0x01;
    set(&mut e, package::VIDEO, mp4);
    let r = check(&repack(&e, &out.path().join("t.zip")));
    assert_fails(&r, &["frame.altered", "frame.missing", "video.hash", "onvif.signature"]);
    let text = r.render();
    assert!(text.contains("MP4 sample 11 matches no recorded frame"), "{text}");
    // Frame 10 of the export is frame 60 of segment 1 (the export starts at frame 50).
    assert!(text.contains("segment 1 frame 60"), "{text}");
}

#[test]
fn tamper_drop_a_frame() {
    let (_rec, out, path) = exported();
    let mut e = entries(&path);
    let (mut s, mut k, mut p) = samples(&e);
    s.remove(30);
    k.remove(30);
    p.remove(30);
    let mp4 = rebuild_mp4(get(&e, package::VIDEO), &s, &k, &p);
    set(&mut e, package::VIDEO, mp4);
    let r = check(&repack(&e, &out.path().join("t.zip")));
    assert_fails(&r, &["frame.missing", "video.hash", "onvif.signature"]);
    assert_eq!(r.failures("frame.missing"), 1, "{}", r.render());
    assert_eq!(r.failures("frame.altered"), 0, "{}", r.render());
    // Export frame 30 = segment 1 frame 80.
    assert!(
        r.render().contains("segment 1 frame 80 (recorded 2026-11-24T10:00:03.2+09:00) is missing"),
        "{}",
        r.render()
    );
}

#[test]
fn tamper_reorder_two_frames() {
    let (_rec, out, path) = exported();
    let mut e = entries(&path);
    let (mut s, k, p) = samples(&e);
    s.swap(60, 61);
    let mp4 = rebuild_mp4(get(&e, package::VIDEO), &s, &k, &p);
    set(&mut e, package::VIDEO, mp4);
    let r = check(&repack(&e, &out.path().join("t.zip")));
    assert_fails(&r, &["frame.reordered", "video.hash"]);
    assert_eq!(r.failures("frame.altered"), 0, "{}", r.render());
}

#[test]
fn tamper_splice_a_frame_from_another_camera() {
    let (_rec, out, path) = exported();
    let other = record("cam2", 1, 0);
    let foreign = media::segment::read(&other.sources[0].path, &other.sources[0].key).unwrap();
    let mut e = entries(&path);
    let (mut s, k, p) = samples(&e);
    // A frame another camera recorded (another clip: other bytes).
    let c = clip(6);
    let (au, _) = access_unit(c, 77);
    assert!(!foreign.frames.is_empty());
    assert!(!s.contains(&au));
    s[90] = au;
    let mp4 = rebuild_mp4(get(&e, package::VIDEO), &s, &k, &p);
    set(&mut e, package::VIDEO, mp4);
    let r = check(&repack(&e, &out.path().join("t.zip")));
    assert_fails(&r, &["frame.altered", "frame.missing"]);
    assert!(r.render().contains("MP4 sample 91"), "{}", r.render());
}

#[test]
fn tamper_edit_the_manifest_range() {
    let (_rec, out, path) = exported();
    let mut e = entries(&path);
    let text = String::from_utf8(get(&e, package::MANIFEST).to_vec()).unwrap();
    let edited = text.replacen(
        &format!("\"from_ms\": {}", T0 + 2_500),
        &format!("\"from_ms\": {}", T0 + 1_000),
        1,
    );
    assert_ne!(text, edited);
    set(&mut e, package::MANIFEST, edited.into_bytes());
    let r = check(&repack(&e, &out.path().join("t.zip")));
    assert_fails(&r, &["manifest.signature"]);
    // A manifest edit is reported as that only: nothing is checked against an unverified
    // manifest, so no frame is called missing or altered (issue 17 item 4).
    assert!(
        r.findings.iter().all(|f| f.severity != Severity::Fail || f.code == "manifest.signature"),
        "{}",
        r.render()
    );
    assert!(r.render().contains("not shown: the manifest did not verify"), "{}", r.render());
}

#[test]
// A package from another city (or a key swapped in) is refused.
fn tamper_replace_the_key() {
    let (_rec, _out, path) = exported();
    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let r = verify(
        &path,
        &Options {
            node_key: other.verifying_key(),
            city_cert: None,
            decryption: None,
            expect_request: None,
        },
    );
    assert_fails(&r, &["manifest.signature", "manifest.node"]);
    // And a package re-signed by someone else's node key, checked with the city's key.
    let rec = record("cam1", 3, 0);
    let out = tempfile::tempdir().unwrap();
    let p2 = out.path().join("other.zip");
    export(&request(&rec, "cam1", T0, T0 + 5_000, &other, 3), &p2, None).unwrap();
    assert_fails(&check(&p2), &["manifest.signature", "manifest.node"]);
}

#[test]
// rule: SAK-M (none removed): a segment taken out of the middle, even by someone holding the
// node key, breaks the chain.
fn tamper_remove_a_segment_breaks_the_chain() {
    let (_rec, out, path) = exported();
    let mut e = entries(&path);
    let mut m = evidence::manifest::Manifest::from_json(get(&e, package::MANIFEST)).unwrap();
    let removed = m.segments.remove(1);
    assert_eq!(removed.seq, 2);
    let json = m.to_json().unwrap();
    set(&mut e, package::SIGNATURE, evidence::manifest::sign(&node_key(), &json).into_bytes());
    set(&mut e, package::MANIFEST, json);
    let r = check(&repack(&e, &out.path().join("t.zip")));
    assert_fails(&r, &["chain.broken"]);
}

#[test]
fn the_readme_and_certificate_file_are_checked_too() {
    let (_rec, out, path) = exported();
    let mut e = entries(&path);
    let mut readme = get(&e, package::README).to_vec();
    readme.extend_from_slice("改ざん".as_bytes());
    set(&mut e, package::README, readme);
    assert_fails(&check(&repack(&e, &out.path().join("t.zip"))), &["package.readme"]);
    let mut e = entries(&path);
    let other = evidence::city::CityIdentity::generate("saku", 2048).unwrap();
    set(&mut e, package::CITY_CERT, other.to_pem().unwrap().1.into_bytes());
    assert_fails(&check(&repack(&e, &out.path().join("t2.zip"))), &["package.cert"]);
}

#[test]
fn gaps_are_reported_with_their_cause() {
    let rec = record("cam1", 4, 30_000);
    let node = node_key();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("gap.zip");
    export(&request(&rec, "cam1", T0, T0 + 50_000, &node, 4), &path, None).unwrap();
    let r = check(&path);
    assert!(r.ok(), "{}", r.render());
    let text = r.render();
    assert!(text.contains("camera unreachable") && text.contains("録画なし"), "{text}");
}

#[test]
// PROD-EVIDENCE-1: a copy is useless without the passphrase or the recipient's key.
fn encrypted_packages() {
    let rec = record("cam1", 2, 0);
    let node = node_key();
    let out = tempfile::tempdir().unwrap();
    let req = request(&rec, "cam1", T0, T0 + 6_000, &node, 2);
    // Passphrase.
    let pass = age::secrecy::SecretString::from("川口市 2026 提供用".to_owned());
    let p1 = out.path().join("p.zip.age");
    let o = export(&req, &p1, Some(&Encryption::Passphrase(pass.clone()))).unwrap();
    assert!(o.encrypted);
    let bytes = std::fs::read(&p1).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!bytes.windows(8).any(|w| w == b"manifest"), "plaintext names in an encrypted package");
    // Without the passphrase, or with a wrong one: not checked (exit 2), not "tampered".
    let r = check(&p1);
    assert_eq!(r.verdict(), Verdict::Unchecked, "{}", r.render());
    assert!(
        r.render().contains("encrypted") && r.render().contains("NOT CHECKED"),
        "{}",
        r.render()
    );
    let d = Decryption::Passphrase(pass);
    let r = verify(&p1, &Options { decryption: Some(&d), ..opts() });
    assert!(r.ok() && r.encrypted, "{}", r.render());
    let wrong = Decryption::Passphrase(age::secrecy::SecretString::from("wrong".to_owned()));
    let r = verify(&p1, &Options { decryption: Some(&wrong), ..opts() });
    assert_eq!(r.verdict(), Verdict::Unchecked, "{}", r.render());
    assert_eq!(r.verdict().exit_code(), 2);
    assert!(r.render().contains("wrong passphrase"), "{}", r.render());
    // X25519 recipient.
    let id = age::x25519::Identity::generate();
    let enc = Encryption::recipients(&[id.to_public().to_string()]).unwrap();
    let p2 = out.path().join("r.zip.age");
    export(&req, &p2, Some(&enc)).unwrap();
    use age::secrecy::ExposeSecret;
    let d =
        Decryption::identity_file(&format!("# police key\n{}\n", id.to_string().expose_secret()))
            .unwrap();
    let r = verify(&p2, &Options { decryption: Some(&d), ..opts() });
    assert!(r.ok(), "{}", r.render());
}

#[test]
fn export_refuses_what_it_cannot_deliver() {
    let rec = record("cam1", 2, 0);
    let node = node_key();
    let out = tempfile::tempdir().unwrap();
    let p = out.path().join("x.zip");
    let e =
        export(&request(&rec, "cam1", T0 + 60_000, T0 + 70_000, &node, 2), &p, None).unwrap_err();
    assert!(e.to_string().contains("no footage"), "{e}");
    let e = export(&request(&rec, "cam1", T0 + 5_000, T0 + 1_000, &node, 2), &p, None).unwrap_err();
    assert!(e.to_string().contains("ends before it starts"), "{e}");
    assert!(!p.exists() && !out.path().join("x.partial").exists(), "a partial package was left");
    // A segment whose file was altered on disk is refused, not exported.
    let mut bytes = std::fs::read(&rec.sources[1].path).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&rec.sources[1].path, bytes).unwrap();
    let e = export(&request(&rec, "cam1", T0, T0 + 7_000, &node, 2), &p, None).unwrap_err();
    assert!(e.to_string().contains("segment 2"), "{e}");
    assert!(!p.exists());
}
