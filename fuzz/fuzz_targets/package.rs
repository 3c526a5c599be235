//! cargo-fuzz target: arbitrary bytes as an evidence package. The verifier must never panic,
//! and must never say OK to bytes that are not a package signed by the fuzzing key (there is
//! none in the corpus unless seeded from `crates/evidence/tests/fuzz.rs`'s package).
//!
//! Run (needs nightly and cargo-fuzz): `cargo +nightly fuzz run package` from the repository
//! root. CI runs the same properties with proptest on stable (`crates/evidence/tests/fuzz.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("p.zip");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]).verifying_key();
    let opts = evidence::verify::Options { node_key: key, city_cert: None, decryption: None };
    let _ = evidence::verify::verify(&path, &opts);
    let _ = evidence::mp4::parse_moov(data);
    let _ = evidence::mp4::parse_meta(data);
    let _ = evidence::manifest::Manifest::from_json(data);
});
