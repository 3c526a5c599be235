//! The tamper matrix of issue 17: the container read record by record (duplicates in either
//! order, a local header naming another file, a comment, bytes before or after), a package
//! replayed for another request, the video of another time range, a remuxed video, a clock step
//! inside the range, what README.txt and the MP4 say about time — each asserting the finding
//! that names it. Third-party zip readers open the canonical layout.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::*;
use evidence::export::export;
use evidence::manifest::Refs;
use evidence::package::{self, Package, Plain, Writer};
use evidence::verify::{Options, Report, Severity, Verdict, verify};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A package made for request 2026-0001 (to 小倉北警察署), 10:00:02.5 – 10:00:09.3.
fn exported(dir: &Path) -> (Recorded, PathBuf) {
    let rec = record("cam1", 3, 0);
    let node = node_key();
    let path = dir.join("pkg.zip");
    let mut req = request(&rec, "cam1", T0 + 2_500, T0 + 9_300, &node, 3);
    req.refs = Refs {
        request: Some(1),
        request_number: Some("2026-0001".into()),
        approval_certificate: Some("2026-0007".into()),
        instruction: Some(2),
        recipient: Some("小倉北警察署".into()),
        ..Refs::default()
    };
    export(&req, &path, None).unwrap();
    (rec, path)
}

/// Asserts the package fails (exit 1) with a finding of `code` whose English text holds `needle`.
fn named(r: &Report, code: &str, needle: &str) {
    assert_eq!(r.verdict(), Verdict::Tampered, "{}", r.render());
    assert!(
        r.findings
            .iter()
            .any(|f| f.severity == Severity::Fail && f.code == code && f.en.contains(needle)),
        "expected a {code} finding naming {needle:?}:\n{}",
        r.render()
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A package of these entries, in this order, in the canonical layout (what an attacker who
/// read docs/evidence-format.md would build).
fn build(dir: &Path, name: &str, entries: &[(&str, &[u8])]) -> PathBuf {
    let p = dir.join(name);
    let f = std::fs::File::create(&p).unwrap();
    let mut w = Writer::new(Box::new(Plain::new(f).unwrap()), T0 + 3_600_000).unwrap();
    for (n, b) in entries {
        w.add(n, b).unwrap();
    }
    w.finish().unwrap();
    p
}

fn forged_video(e: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut v = get(e, package::VIDEO).to_vec();
    let mdat = v.windows(4).position(|w| w == b"mdat").unwrap();
    let at = mdat + 12 + (v.len() - mdat) / 3;
    v[at] ^= 0x20;
    v
}

#[test]
// Item 1: the canonical layout opens in unzip, Python and bsdtar, each seeing the same five
// entries in order; the verifier reads the same bytes.
fn the_canonical_layout_opens_in_other_zip_readers() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    let e = entries(&path);
    let out = Command::new("unzip").arg("-t").arg(&path).output().expect("unzip (test-deps)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let out = Command::new("unzip").arg("-Z1").arg(&path).output().unwrap();
    let names: Vec<String> =
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(names, package::ENTRIES.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>());
    let py = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n\
             assert z.comment == b''\nprint(' '.join(i.filename for i in z.infolist()))",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    assert_eq!(
        String::from_utf8_lossy(&py.stdout).trim(),
        "video.mp4 manifest.json manifest.sig city-cert.pem README.txt"
    );
    let bsd = Command::new("bsdtar")
        .args(["-xOf"])
        .arg(&path)
        .arg("video.mp4")
        .output()
        .expect("bsdtar (test-deps)");
    assert!(bsd.status.success());
    assert!(bsd.stdout == get(&e, package::VIDEO), "bsdtar reads another video.mp4");
    // Every entry carries the creation time (JST), as the verifier checks.
    let p = Package::open(&path, None).unwrap();
    assert_eq!(p.dos_time, package::dos_time(T0 + 3_600_000));
    let r = verify(&path, &opts());
    assert!(r.ok(), "{}", r.render());
}

#[test]
// Item 1: two video.mp4 entries, the forged one first or second, or identical: named.
fn a_second_video_entry_is_named_in_either_order_and_when_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    let e = entries(&path);
    let forged = forged_video(&e);
    let rest: Vec<(&str, &[u8])> =
        e.iter().skip(1).map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let genuine = get(&e, package::VIDEO);
    for (i, pair) in
        [[&forged[..], genuine], [genuine, &forged[..]], [genuine, genuine]].iter().enumerate()
    {
        let mut all: Vec<(&str, &[u8])> =
            vec![(package::VIDEO, pair[0]), (package::VIDEO, pair[1])];
        all.extend(rest.iter().copied());
        let p = build(dir.path(), &format!("dup{i}.zip"), &all);
        named(&verify(&p, &opts()), "package", "entry video.mp4 appears twice");
    }
    // The forged-first package is the one bsdtar shows: why the duplicate must never pass.
    let mut all: Vec<(&str, &[u8])> = vec![(package::VIDEO, &forged), (package::VIDEO, genuine)];
    all.extend(rest.iter().copied());
    let p = build(dir.path(), "dup-shown.zip", &all);
    let bsd = Command::new("bsdtar").args(["-xOf"]).arg(&p).arg("video.mp4").output().unwrap();
    assert!(bsd.stdout.starts_with(&forged[..64]));
}

#[test]
// Item 1: a local header that names another file than the central directory.
fn a_local_header_naming_another_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    let mut b = std::fs::read(&path).unwrap();
    let at = b
        .windows(40)
        .position(|w| w[..4] == [0x50, 0x4b, 0x03, 0x04] && &w[30..40] == b"README.txt")
        .unwrap();
    b[at + 30 + 5] = b'X';
    let p = write(dir.path(), "local.zip", &b);
    named(&verify(&p, &opts()), "package", "names \"READMX.txt\", the central directory");
    // An entry listed in another order than the canonical one.
    let e = entries(&path);
    let mut order: Vec<(&str, &[u8])> = e.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    order.swap(3, 4);
    let p = build(dir.path(), "order.zip", &order);
    named(&verify(&p, &opts()), "package", "not the canonical");
}

#[test]
// Item 1: a comment (shown above unzip's listing), bytes before, bytes after.
fn a_comment_prefix_or_suffix_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    let genuine = std::fs::read(&path).unwrap();
    // Comment: the end record's comment length, then the text.
    let mut b = genuine.clone();
    let text = b"checked by the city";
    let n = b.len();
    b[n - 2..].copy_from_slice(&(text.len() as u16).to_le_bytes());
    b.extend_from_slice(text);
    let p = write(dir.path(), "comment.zip", &b);
    let out = Command::new("unzip").arg("-l").arg(&p).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("checked by the city"));
    named(&verify(&p, &opts()), "package", "comment (19 bytes: \"checked by the city\")");
    // Prefix.
    let mut b = vec![0x55u8; 100];
    b.extend_from_slice(&genuine);
    let p = write(dir.path(), "prefix.zip", &b);
    named(&verify(&p, &opts()), "package", "100 bytes before the first record");
    // Suffix.
    let mut b = genuine.clone();
    b.extend_from_slice(&[0u8; 50]);
    let p = write(dir.path(), "suffix.zip", &b);
    named(&verify(&p, &opts()), "package", "50 bytes after the end record");
    // And an entry time changed (the archive re-made at another time).
    let e = entries(&path);
    let all: Vec<(&str, &[u8])> = e.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let f = std::fs::File::create(dir.path().join("retimed.zip")).unwrap();
    let mut w = Writer::new(Box::new(Plain::new(f).unwrap()), T0).unwrap();
    for (n, b) in &all {
        w.add(n, b).unwrap();
    }
    w.finish().unwrap();
    named(&verify(&dir.path().join("retimed.zip"), &opts()), "package", "creation time");
}

#[test]
// Item 2: what the package was made for is printed first; presented for another request it
// fails and names the request it was made for.
fn a_package_replayed_for_another_request_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    let r = verify(&path, &opts());
    assert!(r.ok(), "{}", r.render());
    let text = r.render();
    let made_for = text.find("made for: request 2026-0001 (id 1), approval certificate 2026-0007, instruction 2, recipient 小倉北警察署").expect(&text);
    assert!(made_for < text.find("frames checked").unwrap(), "{text}");
    assert!(text.contains("extracted by: officer1"), "{text}");
    let same = verify(&path, &Options { expect_request: Some("2026-0001".into()), ..opts() });
    assert!(same.ok(), "{}", same.render());
    let replay = verify(&path, &Options { expect_request: Some("2026-0002".into()), ..opts() });
    named(&replay, "binding.request", "not made for request 2026-0002");
    named(&replay, "binding.request", "request 2026-0001");
    // README.txt says it too.
    let readme = String::from_utf8(get(&entries(&path), package::README).to_vec()).unwrap();
    assert!(
        readme.contains("依頼 2026-0001") && readme.contains("提供先 小倉北警察署"),
        "{readme}"
    );
}

#[test]
// Item 3: a genuine, city-signed video of a later range put in this package is named as
// footage of another range, not as a list of altered frames.
fn the_video_of_another_time_range_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let rec = record("cam1", 4, 0);
    let node = node_key();
    let a = dir.path().join("a.zip");
    let b = dir.path().join("b.zip");
    export(&request(&rec, "cam1", T0 + 500, T0 + 9_000, &node, 4), &a, None).unwrap();
    export(&request(&rec, "cam1", T0 + 4_500, T0 + 13_000, &node, 4), &b, None).unwrap();
    assert!(verify(&b, &opts()).ok());
    let mut e = entries(&a);
    set(&mut e, package::VIDEO, get(&entries(&b), package::VIDEO).to_vec());
    let r = verify(&repack(&e, &dir.path().join("swapped.zip")), &opts());
    named(&r, "range.other", "footage starting at 2026-11-24T10:00:04+09:00");
    assert_eq!(r.failures("frame.altered"), 0, "{}", r.render());
    assert_eq!(r.failures("frame.missing"), 0, "{}", r.render());
}

#[test]
// Item 3: a clock step inside the range travels in the manifest and is a note with its size.
fn a_clock_step_inside_the_range_is_a_note_with_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let rec = record_opts("cam1", 4, 0, 2_500);
    let node = node_key();
    let p = dir.path().join("step.zip");
    export(&request(&rec, "cam1", T0 + 1_000, T0 + 15_000, &node, 4), &p, None).unwrap();
    let r = verify(&p, &opts());
    assert!(r.ok(), "{}", r.render());
    let step: Vec<_> = r.findings.iter().filter(|f| f.code == "time.clock_step").collect();
    assert_eq!(step.len(), 1, "{}", r.render());
    assert!(step[0].en.contains("+2.5 s at 2026-11-24T10:00:10.5+09:00"), "{}", r.render());
    let m = evidence::manifest::Manifest::from_json(get(&entries(&p), package::MANIFEST)).unwrap();
    assert_eq!(m.clock_steps.len(), 1);
    assert_eq!(m.clock_steps[0].step_ms, 2_500);
    // Without a step: no note.
    let (_rec, plain) = exported(dir.path());
    assert!(!verify(&plain, &opts()).findings.iter().any(|f| f.code == "time.clock_step"));
}

#[test]
// Item 3: README.txt says exactly what was delivered; the MP4's creation_time is the capture
// start, not the export time.
fn readme_and_mp4_times_say_what_was_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    let e = entries(&path);
    let readme = String::from_utf8(get(&e, package::README).to_vec()).unwrap();
    assert!(readme.contains("from the keyframe before the requested start"), "{readme}");
    let mp4 = write(dir.path(), "v.mp4", get(&e, package::VIDEO));
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format_tags=creation_time", "-of", "csv=p=0"])
        .arg(&mp4)
        .output()
        .unwrap();
    // Delivered from 10:00:02 JST = 01:00:02 UTC; exported an hour later.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2026-11-24T01:00:02.000000Z");
    // Asked from before the recording began: README says recording begins later.
    let rec = record("cam1", 2, 0);
    let node = node_key();
    let p = dir.path().join("late.zip");
    export(&request(&rec, "cam1", T0 - 60_000, T0 + 3_000, &node, 2), &p, None).unwrap();
    let readme = String::from_utf8(get(&entries(&p), package::README).to_vec()).unwrap();
    assert!(readme.contains("recording begins after the requested start"), "{readme}");
    assert!(!readme.contains("keyframe before"), "{readme}");
    let r = verify(&p, &opts());
    assert!(r.ok() && r.findings.iter().any(|f| f.code == "range.late_start"), "{}", r.render());
}

#[test]
// Item 4: a remux by ffmpeg is named as a rewrite, with the boxes it has.
fn an_ffmpeg_remux_is_named_as_a_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    let mut e = entries(&path);
    let src = write(dir.path(), "in.mp4", get(&e, package::VIDEO));
    let dst = dir.path().join("out.mp4");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&src)
        .args(["-c", "copy", "-f", "mp4"])
        .arg(&dst)
        .status()
        .unwrap();
    assert!(st.success());
    set(&mut e, package::VIDEO, std::fs::read(&dst).unwrap());
    let r = verify(&repack(&e, &dir.path().join("remux.zip")), &opts());
    named(&r, "video.layout", "rewritten by another program");
    named(&r, "video.layout", "ftyp");
    named(&r, "video.hash", "not the file that was exported");
}

#[test]
// Item 4: exit statuses — 0 verified, 1 tampered, 2 could not check (no such file).
fn verdicts_have_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (_rec, path) = exported(dir.path());
    assert_eq!(verify(&path, &opts()).verdict().exit_code(), 0);
    let mut b = std::fs::read(&path).unwrap();
    b.push(0);
    let p = write(dir.path(), "t.zip", &b);
    assert_eq!(verify(&p, &opts()).verdict().exit_code(), 1);
    let r = verify(&dir.path().join("absent.zip"), &opts());
    assert_eq!(r.verdict(), Verdict::Unchecked, "{}", r.render());
    assert_eq!(r.verdict().exit_code(), 2);
}
