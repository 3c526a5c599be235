//! Hostile input (issue 5, "Bad input"): the verifier and its parsers never panic, refuse with a
//! reason, and never say OK to a package whose contents differ from what was exported.
//! Property-based (proptest) so it runs in CI on stable Rust; `fuzz/` holds the same checks as
//! a cargo-fuzz target for longer runs on nightly.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::*;
use evidence::export::export;
use evidence::package::{self, Package};
use evidence::verify::{Report, verify};
use proptest::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A package's file bytes and its entries.
type Exported = (Vec<u8>, Vec<(String, Vec<u8>)>);

/// One exported package, made once.
fn original() -> &'static Exported {
    static O: OnceLock<Exported> = OnceLock::new();
    O.get_or_init(|| {
        let rec = record("cam1", 2, 0);
        let node = node_key();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pkg.zip");
        export(&request(&rec, "cam1", T0 + 500, T0 + 5_000, &node, 2), &path, None).unwrap();
        let r = verify(&path, &opts());
        assert!(r.ok(), "{}", r.render());
        (std::fs::read(&path).unwrap(), entries(&path))
    })
}

fn write_tmp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// OK only if every entry is byte-identical to the exported one.
fn ok_implies_original(path: &Path, r: &Report) {
    if !r.ok() {
        assert!(!r.findings.is_empty());
        return;
    }
    let (_, orig) = original();
    let now = entries(path);
    for ((name, a), (_, b)) in now.iter().zip(orig) {
        let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        assert!(
            a == b,
            "verified OK but {name} differs at byte {at} (len {} vs {}): {:?} vs {:?}",
            a.len(),
            b.len(),
            String::from_utf8_lossy(&a[at.saturating_sub(40)..(at + 40).min(a.len())]),
            String::from_utf8_lossy(&b[at.saturating_sub(40)..(at + 40).min(b.len())]),
        );
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Overwrite(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(a, b)| Mutation::Flip(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(a, b)| Mutation::Overwrite(a, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match m {
        Mutation::Flip(at, x) => {
            let i = at % n;
            if i < bytes.len() {
                bytes[i] ^= x;
            }
        }
        Mutation::Truncate(at) => bytes.truncate(at % n),
        Mutation::Insert(at, b) => {
            let i = at % (bytes.len() + 1);
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Overwrite(at, b) => {
            let i = at % n;
            for (k, v) in b.iter().enumerate() {
                if let Some(x) = bytes.get_mut(i + k) {
                    *x = *v;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Mutations of the package file itself (most are caught by the ZIP layer).
    #[test]
    fn mutated_package_files(ms in proptest::collection::vec(mutation(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let mut b = original().0.clone();
        for m in &ms { apply(&mut b, m); }
        let p = write_tmp(dir.path(), "m.zip", &b);
        let r = verify(&p, &opts());
        ok_implies_original(&p, &r);
    }

    /// Mutations inside one entry, the ZIP rebuilt around it (so they reach the MP4, manifest,
    /// signature and certificate parsers past the CRC check).
    #[test]
    fn mutated_entries(which in 0usize..5, ms in proptest::collection::vec(mutation(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let mut e = original().1.clone();
        for m in &ms { apply(&mut e[which].1, m); }
        let p = repack(&e, &dir.path().join("e.zip"));
        let r = verify(&p, &opts());
        ok_implies_original(&p, &r);
    }

    /// The MP4 box parsers on arbitrary bytes and on mutated real boxes.
    #[test]
    fn mp4_parsers_never_panic(noise in proptest::collection::vec(any::<u8>(), 0..2048), ms in proptest::collection::vec(mutation(), 1..4)) {
        let _ = evidence::mp4::parse_moov(&noise);
        let _ = evidence::mp4::parse_meta(&noise);
        let _ = evidence::mp4::boxes(&noise, 0, noise.len() as u64);
        let mp4 = get(&original().1, package::VIDEO);
        for (kind, start, end) in top_boxes(mp4) {
            let mut b = mp4[start..end].to_vec();
            for m in &ms { apply(&mut b, m); }
            match &kind {
                b"moov" => { let _ = evidence::mp4::parse_moov(&b); }
                b"meta" => { let _ = evidence::mp4::parse_meta(&b); }
                _ => {}
            }
        }
    }

    /// The manifest parser on mutated JSON.
    #[test]
    fn manifest_parser_never_panics(ms in proptest::collection::vec(mutation(), 1..6)) {
        let mut b = get(&original().1, package::MANIFEST).to_vec();
        for m in &ms { apply(&mut b, m); }
        let _ = evidence::manifest::Manifest::from_json(&b);
    }
}

fn zip_with(entries: &[(&str, Vec<u8>, bool)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, deflate) in entries {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let o = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(*name, o).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn refused(bytes: &[u8], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_tmp(dir.path(), "h.zip", bytes);
    let e = Package::open(&p, None).err().expect("refused");
    assert!(e.to_string().contains(needle), "{e}");
    let r = verify(&p, &opts());
    assert!(!r.ok());
    assert!(r.failures("package") > 0, "{}", r.render());
}

#[test]
fn hostile_archives_are_refused_with_a_reason() {
    let (_, e) = original();
    let real = |n: &str| get(e, n).to_vec();
    // Path traversal.
    refused(&zip_with(&[("../video.mp4", real(package::VIDEO), false)]), "unexpected entry");
    refused(&zip_with(&[("/etc/passwd", b"x".to_vec(), false)]), "unexpected entry");
    // A zip bomb: 64 MiB of zeros deflated to ~64 KiB under an expected name.
    refused(&zip_with(&[(package::MANIFEST, vec![0u8; 64 << 20], true)]), "compressed");
    // Duplicates and strangers.
    // (The zip writer refuses duplicates, so the second name is patched in afterwards.)
    let mut dup = zip_with(&[
        (package::VIDEO, real(package::VIDEO), false),
        ("video.mp5", real(package::VIDEO), false),
    ]);
    for i in 0..dup.len().saturating_sub(9) {
        if &dup[i..i + 9] == b"video.mp5" {
            dup[i + 8] = b'4';
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write_tmp(dir.path(), "dup.zip", &dup);
    let r = verify(&p, &opts());
    assert!(!r.ok() && r.failures("package") > 0, "{}", r.render());
    refused(&zip_with(&[("evil.exe", b"MZ".to_vec(), false)]), "unexpected entry");
    // Missing parts.
    refused(&zip_with(&[(package::VIDEO, real(package::VIDEO), false)]), "no manifest.json");
    // Not a zip at all.
    refused(b"definitely not a zip", "not a zip archive");
    refused(b"", "not a zip archive");
}
