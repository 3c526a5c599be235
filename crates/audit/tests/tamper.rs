//! The tamper matrix for the audit log: edited, deleted, reordered, inserted entries, a rewritten
//! history, a removed tail, a wrong key — each detected and named.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use audit::{AuditLog, CheckpointPolicy, Entry, Event, FileStore, Finding, Outcome, verify};
use ed25519_dalek::SigningKey;
use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn policy() -> CheckpointPolicy {
    CheckpointPolicy { every_entries: 4, every: SignedDuration::from_hours(24) }
}

/// A log of 10 entries with checkpoints at 1 (first append), 5 and 9.
async fn make_log(dir: &Path) -> PathBuf {
    let path = dir.join("audit.log");
    let log = AuditLog::open(FileStore::open(&path).unwrap(), key(), policy()).await.unwrap();
    let t0: Timestamp = "2026-11-23T01:00:00Z".parse().unwrap();
    for i in 1..=10 {
        let mut ev =
            Event::new(format!("user{i}"), "request.approve", format!("request:{i}"), Outcome::Ok);
        ev.detail = serde_json::json!({ "n": i });
        log.append_at(ev, t0 + SignedDuration::from_mins(i)).await.unwrap();
    }
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect()
}

fn write(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The attacker's rewrite: `edit` applied to every entry, every hash recomputed so the chain is
/// consistent again, and — given a key — every checkpoint re-signed over the new hashes.
fn rewrite(
    lines: &[String],
    edit: impl Fn(&mut Entry),
    resign: Option<&SigningKey>,
) -> Vec<String> {
    let mut prev = None;
    let mut out = Vec::new();
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if let Some(e) = v.get("entry") {
            let mut e: Entry = serde_json::from_value(e.clone()).unwrap();
            edit(&mut e);
            if let Some(p) = prev {
                e.prev_hash = p;
            }
            e.hash = e.compute_hash();
            prev = Some(e.hash);
            out.push(serde_json::json!({ "entry": e }).to_string());
        } else if let (Some(c), Some(k)) = (v.get("checkpoint"), resign) {
            let c: audit::Checkpoint = serde_json::from_value(c.clone()).unwrap();
            let c = audit::Checkpoint::sign(k, c.log_id, c.seq, prev.unwrap(), c.at);
            out.push(serde_json::json!({ "checkpoint": c }).to_string());
        } else {
            out.push(l.clone());
        }
    }
    out
}

fn entry_line(lines: &[String], seq: u64) -> usize {
    lines
        .iter()
        .position(|l| {
            l.starts_with("{\"entry\":{\"seq\":") && l.contains(&format!("\"seq\":{seq},"))
        })
        .unwrap()
}

async fn findings(path: &Path) -> Vec<Finding> {
    let store = FileStore::open(path).unwrap();
    verify(&store, Some(&key().verifying_key()), &[]).await.unwrap().findings
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let store = FileStore::open(&path).unwrap();
    let r = verify(&store, Some(&key().verifying_key()), &[]).await.unwrap();
    assert!(r.is_ok(), "{:?}", r.findings);
    assert_eq!((r.entries, r.head_seq, r.checkpoints), (10, 10, 3));
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let mut ls = lines(&path);
    let i = entry_line(&ls, 5);
    ls[i] = ls[i].replace("request:5", "request:55");
    write(&path, &ls);
    assert_eq!(findings(&path).await.first(), Some(&Finding::Edited { seq: 5 }));
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let mut ls = lines(&path);
    ls.remove(entry_line(&ls, 7));
    write(&path, &ls);
    assert_eq!(findings(&path).await.first(), Some(&Finding::Missing { from: 7, to: 7 }));
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let mut ls = lines(&path);
    let (a, b) = (entry_line(&ls, 3), entry_line(&ls, 4));
    ls.swap(a, b);
    write(&path, &ls);
    let f = findings(&path).await;
    assert_eq!(f.first(), Some(&Finding::Missing { from: 3, to: 3 }), "{f:?}");
    assert!(f.iter().any(|x| matches!(x, Finding::OutOfOrder { seq: 3, .. })), "{f:?}");
}

#[tokio::test]
async fn an_inserted_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let mut ls = lines(&path);
    // A well-formed entry 7 chained to entry 6, slipped in before the real entry 7.
    let six: serde_json::Value = serde_json::from_str(&ls[entry_line(&ls, 6)]).unwrap();
    let six: Entry = serde_json::from_value(six["entry"].clone()).unwrap();
    let forged = Entry::seal(
        7,
        six.at,
        Event::new("intruder", "footage.extract", "camera:cam1", Outcome::Ok),
        six.hash,
    );
    let at = entry_line(&ls, 7);
    ls.insert(at, serde_json::json!({ "entry": forged }).to_string());
    write(&path, &ls);
    let f = findings(&path).await;
    assert!(matches!(f.first(), Some(Finding::OutOfOrder { seq: 7, expected: 8, .. })), "{f:?}");
    assert!(
        f.contains(&Finding::CheckpointMismatch { seq: 9 })
            || f.iter().any(|x| matches!(x, Finding::OutOfOrder { .. }))
    );
}

#[tokio::test]
async fn a_consistently_rewritten_history_is_caught_by_the_signed_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let ls = lines(&path);
    // The attacker edits entry 3 and recomputes every hash after it: the chain is consistent…
    let out = rewrite(
        &ls,
        |e| {
            if e.seq == 3 {
                e.object = "request:33".into();
            }
        },
        None,
    );
    write(&path, &out);
    // …but the checkpoints signed at 5 and 9 vouch for the old hashes.
    let f = findings(&path).await;
    assert_eq!(
        f,
        vec![Finding::CheckpointMismatch { seq: 5 }, Finding::CheckpointMismatch { seq: 9 }]
    );
}

#[tokio::test]
async fn a_removed_tail_is_caught_by_a_published_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let log = AuditLog::open(FileStore::open(&path).unwrap(), key(), policy()).await.unwrap();
    let published = log.checkpoint_now().await.unwrap().unwrap();
    assert_eq!(published.seq, 10);
    drop(log);
    let ls = lines(&path);
    let cut = entry_line(&ls, 8);
    write(&path, &ls[..cut]);
    let store = FileStore::open(&path).unwrap();
    // The log's own checkpoints after entry 7 went with the tail: a clean cut looks like a
    // shorter log…
    assert!(verify(&store, Some(&key().verifying_key()), &[]).await.unwrap().is_ok());
    // …with it, the removal is named.
    let r = verify(&store, Some(&key().verifying_key()), &[published]).await.unwrap();
    assert!(r.findings.contains(&Finding::Truncated { log_seq: 7, published_seq: 10 }), "{r:?}");
}

#[tokio::test]
async fn the_wrong_key_and_a_resigned_checkpoint_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let store = FileStore::open(&path).unwrap();
    let other = SigningKey::from_bytes(&[9; 32]);
    let r = verify(&store, Some(&other.verifying_key()), &[]).await.unwrap();
    assert_eq!(r.findings.first(), Some(&Finding::BadSignature { seq: 1 }));
    // Without a trusted key the report says signatures were only checked against the embedded key.
    let r = verify(&store, None, &[]).await.unwrap();
    assert!(r.is_ok() && !r.trusted_key);
}

#[tokio::test]
async fn a_checkpoint_from_another_log_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let other_path = make_log(&dir.path().join("other")).await;
    let other =
        AuditLog::open(FileStore::open(&other_path).unwrap(), key(), policy()).await.unwrap();
    let foreign = other.checkpoint_now().await.unwrap().unwrap();
    let store = FileStore::open(&path).unwrap();
    let r = verify(&store, Some(&key().verifying_key()), &[foreign]).await.unwrap();
    assert_eq!(r.findings, vec![Finding::ForeignCheckpoint { seq: 10 }]);
}

#[tokio::test]
async fn a_torn_last_line_is_reported_and_reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    // Reopen and continue: sequence numbers and links carry on.
    let log = AuditLog::open(FileStore::open(&path).unwrap(), key(), policy()).await.unwrap();
    let e = log.append(Event::new("u", "login", "account:u", Outcome::Denied)).await.unwrap();
    assert_eq!(e.seq, 11);
    assert!(findings(&path).await.is_empty());
    drop(log);
    // A crash mid-write leaves half a line: reported as a crash, not as tampering or a cut.
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"entry\":{\"seq\":12,\"at\":\"2026-");
    std::fs::write(&path, text).unwrap();
    let store = FileStore::open(&path).unwrap();
    let r = verify(&store, Some(&key().verifying_key()), &[]).await.unwrap();
    assert!(r.is_ok(), "{:?}", r.findings);
    assert_eq!((r.crash, r.head_seq), (Some(lines(&path).len() as u64), 11));
    // The writer sets the torn line aside before it appends, and the chain carries on.
    let store = FileStore::open(&path).unwrap();
    assert!(store.set_aside_torn_tail().unwrap().is_some());
    let log = AuditLog::open(store, key(), policy()).await.unwrap();
    assert_eq!(
        log.append(Event::new("u", "login", "account:u", Outcome::Ok)).await.unwrap().seq,
        12
    );
    let r = verify(log.store(), Some(&key().verifying_key()), &[]).await.unwrap();
    assert!(r.is_ok() && r.crash.is_none(), "{r:?}");
    assert!(
        std::fs::read_to_string(dir.path().join("audit.log.torn")).unwrap().contains("\"seq\":12,")
    );
}

/// A cut in the middle of a line that is not the last one is damage, not a crash.
#[tokio::test]
async fn a_damaged_line_inside_the_log_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let mut ls = lines(&path);
    let i = entry_line(&ls, 4);
    ls[i].truncate(40);
    write(&path, &ls);
    let f = findings(&path).await;
    assert!(matches!(f.first(), Some(Finding::Unreadable { .. })), "{f:?}");
}

/// Checkpoints kept in another log (witnessed) catch what the log's own cannot: a tail cut
/// together with its checkpoint lines, a deleted checkpoint, a history rewritten and re-signed.
#[tokio::test]
async fn witnessed_checkpoints_catch_a_cut_made_with_the_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_log(dir.path()).await;
    let log = AuditLog::open(FileStore::open(&path).unwrap(), key(), policy()).await.unwrap();
    // A quiet log is signed by the timer; the other log witnesses the checkpoint.
    let t11: Timestamp = "2026-11-23T01:11:00Z".parse().unwrap();
    log.append_at(Event::new("u", "request.read", "request:1", Outcome::Ok), t11).await.unwrap();
    let c = log
        .checkpoint_if_moved(Timestamp::now())
        .await
        .unwrap()
        .expect("entry 11 is not yet signed");
    assert_eq!(c.seq, 11);
    assert!(log.checkpoint_if_moved(Timestamp::now()).await.unwrap().is_none());
    drop(log);
    let wpath = dir.path().join("witness").join("audit.log");
    let witness_key = SigningKey::from_bytes(&[5; 32]);
    let witness =
        AuditLog::open(FileStore::open(&wpath).unwrap(), witness_key, policy()).await.unwrap();
    witness.append(audit::witness_event(&c)).await.unwrap();
    // The witness's own entries are not "moved": witness records alone are not re-signed.
    let wstore = FileStore::open(&wpath).unwrap();
    let log_id = FileStore::open(&path)
        .map(|s| async move { audit::Store::log_id(&s).await.unwrap() })
        .unwrap()
        .await;
    let witnessed = audit::witnessed_in(&wstore, &log_id).await.unwrap();
    assert_eq!(witnessed, vec![c.clone()]);

    // 1. The tail cut with its checkpoint lines.
    let original = lines(&path);
    let cut: Vec<String> = original[..entry_line(&original, 8)]
        .iter()
        .filter(|l| !l.starts_with("{\"checkpoint\"") || l.contains("\"seq\":1,"))
        .cloned()
        .collect();
    write(&path, &cut);
    let store = FileStore::open(&path).unwrap();
    assert!(verify(&store, Some(&key().verifying_key()), &[]).await.unwrap().is_ok());
    let r = verify(&store, Some(&key().verifying_key()), &witnessed).await.unwrap();
    assert_eq!(r.findings, vec![Finding::Truncated { log_seq: 7, published_seq: 11 }]);

    // 2. Only the checkpoint lines deleted.
    let no_cp: Vec<String> =
        original.iter().filter(|l| !l.starts_with("{\"checkpoint\"")).cloned().collect();
    write(&path, &no_cp);
    let store = FileStore::open(&path).unwrap();
    let r = verify(&store, Some(&key().verifying_key()), &witnessed).await.unwrap();
    assert_eq!(r.findings, vec![Finding::CheckpointRemoved { seq: 11 }]);

    // 3. History rewritten from entry 2 on, checkpoints re-signed with another key.
    let forger = SigningKey::from_bytes(&[66; 32]);
    let out = rewrite(
        &original,
        |e| {
            if e.seq == 2 {
                e.actor = "someone-else".into();
            }
        },
        Some(&forger),
    );
    write(&path, &out);
    let store = FileStore::open(&path).unwrap();
    let r = verify(&store, Some(&key().verifying_key()), &witnessed).await.unwrap();
    assert!(r.findings.contains(&Finding::CheckpointMismatch { seq: 11 }), "{r:?}");
    assert!(r.findings.contains(&Finding::BadSignature { seq: 1 }), "{r:?}");
    // Checked only against the keys the forger embedded, the forged checkpoints pass — but the
    // witnessed one, signed before the rewrite, still names it.
    let r = verify(&store, None, &witnessed).await.unwrap();
    assert_eq!(r.findings, vec![Finding::CheckpointMismatch { seq: 11 }]);
    assert_eq!(r.verdict(), audit::Verdict::Tampered);
    let r = verify(&store, None, &[]).await.unwrap();
    assert_eq!(r.verdict(), audit::Verdict::NotVerified);
}

/// The client address is covered by the hash: changing it is an edit.
#[tokio::test]
async fn an_edited_client_address_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(FileStore::open(&path).unwrap(), key(), policy()).await.unwrap();
    let mut ev = Event::new("u1", "login", "account:1", Outcome::Ok);
    ev.client = Some("192.0.2.10".into());
    let e = log.append(ev).await.unwrap();
    assert_eq!(e.client.as_deref(), Some("192.0.2.10"));
    drop(log);
    assert!(findings(&path).await.is_empty());
    let text = std::fs::read_to_string(&path).unwrap().replace("192.0.2.10", "198.51.100.1");
    std::fs::write(&path, text).unwrap();
    assert_eq!(findings(&path).await.first(), Some(&Finding::Edited { seq: 1 }));
}
