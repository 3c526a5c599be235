//! `mimamori audit verify` and `audit checkpoint --export` through the real binary.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use audit::{AuditLog, CheckpointPolicy, Event, FileStore, Outcome};
use std::process::Command;

fn mimamori(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mimamori")).args(args).output().unwrap()
}

#[tokio::test]
async fn verify_detects_an_edit_and_a_removed_tail_with_the_published_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.log");
    let key_path = dir.path().join("node.key");
    let key = audit::key::load_or_create(&key_path).unwrap();
    let log = AuditLog::open(
        FileStore::open(&log_path).unwrap(),
        key.clone(),
        CheckpointPolicy::default(),
    )
    .await
    .unwrap();
    for i in 0..6 {
        log.append(Event::new("manager", "request.approve", format!("request:{i}"), Outcome::Ok))
            .await
            .unwrap();
    }
    drop(log);
    let (log_s, key_s) = (log_path.to_str().unwrap(), key_path.to_str().unwrap());
    let pubkey = audit::key::public_key_hex(&key);

    let o = mimamori(&["audit", "verify", "--log", log_s, "--public-key", &pubkey]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("OK: 6 entries, head 6"));

    let o = mimamori(&["audit", "checkpoint", "--export", "--log", log_s, "--key", key_s]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cp_path = dir.path().join("published.json");
    std::fs::write(&cp_path, &o.stdout).unwrap();

    // Remove the last two entries: only the published checkpoint reveals it.
    let text = std::fs::read_to_string(&log_path).unwrap();
    let kept: Vec<&str> =
        text.lines().filter(|l| !l.contains("\"seq\":5,") && !l.contains("\"seq\":6,")).collect();
    std::fs::write(&log_path, kept.join("\n") + "\n").unwrap();
    let o = mimamori(&["audit", "verify", "--log", log_s, "--public-key", &pubkey]);
    assert!(o.status.success());
    let o = mimamori(&[
        "audit",
        "verify",
        "--log",
        log_s,
        "--public-key",
        &pubkey,
        "--checkpoint",
        cp_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "first bad entry: the log ends at entry 4 but a published checkpoint covers entry 6"
        ),
        "{out}"
    );

    // Edit entry 2.
    let text = std::fs::read_to_string(&log_path).unwrap().replace("request:1\"", "request:9\"");
    std::fs::write(&log_path, text).unwrap();
    let o = mimamori(&["audit", "verify", "--log", log_s, "--public-key", &pubkey, "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["findings"][0], serde_json::json!({ "kind": "edited", "seq": 2 }));
}

#[test]
fn missing_log_and_bad_key_are_one_line_errors() {
    let o = mimamori(&["audit", "verify", "--log", "/nonexistent/audit.log"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    FileStore::open(&p).unwrap();
    let o = mimamori(&["audit", "verify", "--log", p.to_str().unwrap(), "--public-key", "zz"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--public-key is not"));
}
