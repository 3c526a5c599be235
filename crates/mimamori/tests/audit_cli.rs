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
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("VERIFIED: 6 entries, head 6"));
    // Without the trusted key nothing is vouched for: exit 2, and it says why.
    let o = mimamori(&["audit", "verify", "--log", log_s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("NOT VERIFIED: no trusted key"));

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
    assert_eq!(o.status.code(), Some(2), "could not check: not a verdict");
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    FileStore::open(&p).unwrap();
    let o = mimamori(&["audit", "verify", "--log", p.to_str().unwrap(), "--public-key", "zz"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--public-key is not"));
}

/// The governance database's log checked offline (`--db`) against the recorder's witness records
/// and the published file, and `serve --verify-audit`: a tail cut in the database is named; exit
/// codes 0 verified, 1 tampered.
#[tokio::test]
async fn the_database_log_is_checked_against_its_witnesses() {
    use store::audit_store::DbAuditStore;
    use store::audit_writer::AuditWriter;
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("mimamori.db");
    let key_path = dir.path().join("node.key");
    let node_log = dir.path().join("recorder").join("audit.log");
    let key = audit::key::load_or_create(&key_path).unwrap();
    let db = store::Db::connect(db_path.to_str().unwrap()).await.unwrap();
    let log = DbAuditStore::open(db.clone(), 0).await.unwrap();
    let writer = AuditWriter::start(
        db.clone(),
        log.clone(),
        audit::Sealer::new(key.clone(), CheckpointPolicy::default()),
    );
    for i in 0..8 {
        let ev = Event::new("manager", "request.read", format!("request:{i}"), Outcome::Ok);
        writer.append_at(ev, jiff::Timestamp::now()).await.unwrap();
    }
    let c = writer.checkpoint_at(jiff::Timestamp::now()).await.unwrap().unwrap();
    assert_eq!(c.seq, 8);
    let node = AuditLog::open(
        FileStore::open(&node_log).unwrap(),
        ed25519_dalek::SigningKey::from_bytes(&[8; 32]),
        CheckpointPolicy::default(),
    )
    .await
    .unwrap();
    node.append(audit::witness_event(&c)).await.unwrap();
    std::fs::write(
        dir.path().join("audit-checkpoints.jsonl"),
        serde_json::to_string(&c).unwrap() + "\n",
    )
    .unwrap();
    db.close().await;
    let pubkey = audit::key::public_key_hex(&key);
    let (db_s, node_s) = (db_path.to_str().unwrap(), node_log.to_str().unwrap());
    let published = dir.path().join("audit-checkpoints.jsonl");
    let published_s = published.to_str().unwrap();

    let o = mimamori(&[
        "audit",
        "verify",
        "--db",
        db_s,
        "--public-key",
        &pubkey,
        "--witness-log",
        node_s,
        "--checkpoint",
        published_s,
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.starts_with(
            "VERIFIED: 8 entries, head 8, 4 checkpoint(s) checked, 2 of them kept outside the log"
        ),
        "{out}"
    );
    let serve_check = || {
        mimamori(&[
            "serve",
            "--verify-audit",
            "--role",
            "all",
            "--db",
            db_s,
            "--key",
            key_path.to_str().unwrap(),
            "--data",
            node_log.parent().unwrap().to_str().unwrap(),
        ])
    };
    let o = serve_check();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    // Cut entries 6-8 and their checkpoint rows in the database.
    let db = store::Db::connect(db_s).await.unwrap();
    sqlx::query("DELETE FROM audit_entries WHERE seq >= 6").execute(db.pool()).await.unwrap();
    sqlx::query("DELETE FROM audit_checkpoints WHERE seq >= 6").execute(db.pool()).await.unwrap();
    db.close().await;
    // Alone, the database looks like a shorter log — and says a cut would not show.
    let o = mimamori(&["audit", "verify", "--db", db_s, "--public-key", &pubkey]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("a cut tail would not show"), "{out}");
    // With the recorder's witness record it is named.
    let o = mimamori(&[
        "audit",
        "verify",
        "--db",
        db_s,
        "--public-key",
        &pubkey,
        "--witness-log",
        node_s,
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("the log ends at entry 5 but a published checkpoint covers entry 8"),
        "{out}"
    );
    let o = serve_check();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("TAMPERED"));
}
