//! The audit tamper matrix on the governance database, SQLite and PostgreSQL (issue 17, item 6):
//! someone with write access to the database edits, deletes, reorders, truncates, re-hashes,
//! forges or re-signs — each change is named once a checkpoint newer than it is kept outside
//! the log (witnessed by the recorder, or published).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use audit::{Checkpoint, CheckpointPolicy, Entry, Event, Finding, Outcome, Sealer, verify};
use ed25519_dalek::SigningKey;
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use store::Db;
use store::audit_store::DbAuditStore;
use store::audit_writer::AuditWriter;
use testkit::{BACKENDS, Backend, database_url};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[21; 32])
}

/// A log of 30 entries, the writer signing every 10, plus the quiet-log checkpoint of entry 30
/// — which is the one kept outside (`outside`). Entries 1, 11, 21 and 30 have checkpoints.
struct Log {
    db: Db,
    store: DbAuditStore,
    outside: Vec<Checkpoint>,
    _dir: tempfile::TempDir,
}

async fn make(backend: Backend) -> Log {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path()).await;
    let db = Db::connect(&url).await.unwrap();
    let store = DbAuditStore::open(db.clone(), 0).await.unwrap();
    let policy = CheckpointPolicy { every_entries: 10, every: SignedDuration::from_hours(24) };
    let writer = AuditWriter::start(db.clone(), store.clone(), Sealer::new(key(), policy));
    let t0: Timestamp = "2026-12-29T23:00:00Z".parse().unwrap();
    for i in 1..=30 {
        let mut ev = Event::new(
            format!("user{}", i % 3),
            "request.read",
            format!("request:{i}"),
            Outcome::Ok,
        );
        ev.detail = serde_json::json!({ "n": i });
        writer.append_at(ev, t0 + SignedDuration::from_mins(i)).await.unwrap();
    }
    let c = writer.checkpoint_at(t0 + SignedDuration::from_mins(31)).await.unwrap().unwrap();
    assert_eq!(c.seq, 30);
    // Nothing new since: the same checkpoint again, nothing signed twice.
    assert_eq!(
        writer.checkpoint_at(t0 + SignedDuration::from_mins(40)).await.unwrap(),
        Some(c.clone())
    );
    Log { db, store, outside: vec![c], _dir: dir }
}

async fn findings(l: &Log) -> Vec<Finding> {
    verify(&l.store, Some(&key().verifying_key()), &l.outside).await.unwrap().findings
}

async fn exec(l: &Log, sql: &str) {
    // The Any driver wants a statement that outlives the pool's connections.
    let sql: &'static str = Box::leak(sql.to_owned().into_boxed_str());
    sqlx::query(sql).execute(l.db.pool()).await.unwrap();
}

async fn entries(l: &Log) -> Vec<Entry> {
    audit::Store::entries(&l.store, 0, 1000).await.unwrap()
}

/// Rewrites rows `from..` of the log as `rewritten` (the attacker's consistent chain).
async fn replace_from(l: &Log, from: u64, rewritten: &[Entry]) {
    exec(l, &format!("DELETE FROM audit_entries WHERE seq >= {from}")).await;
    for e in rewritten {
        sqlx::query(
            "INSERT INTO audit_entries (seq, at, actor, role, workstation, action, object, outcome, rule, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(e.seq as i64)
        .bind(e.at.as_millisecond())
        .bind(&e.actor)
        .bind(&e.role)
        .bind(&e.workstation)
        .bind(&e.action)
        .bind(&e.object)
        .bind(e.outcome.as_str())
        .bind(&e.rule)
        .bind(&e.detail)
        .bind(e.prev_hash.to_hex())
        .bind(e.hash.to_hex())
        .execute(l.db.pool())
        .await
        .unwrap();
    }
}

/// Re-chains `es` from the entry before the first: every hash recomputed.
fn rechain(es: &mut [Entry], mut prev: audit::Digest) {
    for e in es {
        e.prev_hash = prev;
        e.hash = e.compute_hash();
        prev = e.hash;
    }
}

#[tokio::test]
async fn the_untouched_log_verifies_on_both_backends() {
    for backend in BACKENDS {
        let l = make(backend).await;
        let r = verify(&l.store, Some(&key().verifying_key()), &l.outside).await.unwrap();
        assert!(r.is_ok(), "{backend:?}: {:?}", r.findings);
        assert_eq!((r.entries, r.head_seq, r.outside_seq), (30, 30, Some(30)));
        assert_eq!(r.verdict(), audit::Verdict::Verified);
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_checkpoints")
            .fetch_one(l.db.pool())
            .await
            .unwrap()
            .get("n");
        assert_eq!(n, 4, "{backend:?}: checkpoints at 1, 11, 21 and 30");
    }
}

#[tokio::test]
async fn every_change_to_the_database_is_named_on_both_backends() {
    for backend in BACKENDS {
        let ctx = |case: &str| format!("{backend:?}, {case}");

        // Edit a field.
        let l = make(backend).await;
        exec(&l, "UPDATE audit_entries SET object = 'request:99' WHERE seq = 5").await;
        assert_eq!(
            findings(&l).await.first(),
            Some(&Finding::Edited { seq: 5 }),
            "{}",
            ctx("edit")
        );

        // Delete a row.
        let l = make(backend).await;
        exec(&l, "DELETE FROM audit_entries WHERE seq = 7").await;
        assert_eq!(
            findings(&l).await.first(),
            Some(&Finding::Missing { from: 7, to: 7 }),
            "{}",
            ctx("delete")
        );

        // Reorder: two rows swap their sequence numbers.
        let l = make(backend).await;
        exec(&l, "UPDATE audit_entries SET seq = -1 WHERE seq = 12").await;
        exec(&l, "UPDATE audit_entries SET seq = 12 WHERE seq = 13").await;
        exec(&l, "UPDATE audit_entries SET seq = 13 WHERE seq = -1").await;
        let f = findings(&l).await;
        assert!(
            f.contains(&Finding::Edited { seq: 12 }) && f.contains(&Finding::Edited { seq: 13 }),
            "{}: {f:?}",
            ctx("reorder")
        );

        // Truncate after the last checkpoint stored in the log (entries 26-30; the stored
        // checkpoint at 30 removed with them): only the one kept outside names it.
        let l = make(backend).await;
        exec(&l, "DELETE FROM audit_entries WHERE seq > 25").await;
        exec(&l, "DELETE FROM audit_checkpoints WHERE seq > 25").await;
        let r = verify(&l.store, Some(&key().verifying_key()), &[]).await.unwrap();
        assert!(
            r.is_ok(),
            "{}: without the outside checkpoint a clean cut looks like a shorter log",
            ctx("cut")
        );
        assert_eq!(
            findings(&l).await,
            vec![Finding::Truncated { log_seq: 25, published_seq: 30 }],
            "{}",
            ctx("truncate after")
        );

        // Truncate before the last checkpoint, leaving the checkpoint rows.
        let l = make(backend).await;
        exec(&l, "DELETE FROM audit_entries WHERE seq > 15").await;
        let f = findings(&l).await;
        assert!(
            f.contains(&Finding::Truncated { log_seq: 15, published_seq: 21 }),
            "{}: {f:?}",
            ctx("truncate before")
        );

        // Delete the checkpoint rows only.
        let l = make(backend).await;
        exec(&l, "DELETE FROM audit_checkpoints").await;
        assert_eq!(
            findings(&l).await,
            vec![Finding::CheckpointRemoved { seq: 30 }],
            "{}",
            ctx("delete checkpoints")
        );

        // Edit and re-hash everything after, checkpoint rows deleted to hide it.
        let l = make(backend).await;
        let mut es = entries(&l).await;
        es[4].actor = "someone-else".into();
        let prev = es[3].hash;
        rechain(&mut es[4..], prev);
        replace_from(&l, 5, &es[4..]).await;
        exec(&l, "DELETE FROM audit_checkpoints").await;
        let f = findings(&l).await;
        assert_eq!(f, vec![Finding::CheckpointMismatch { seq: 30 }], "{}", ctx("edit + re-hash"));

        // Delete, renumber and re-hash.
        let l = make(backend).await;
        let mut es = entries(&l).await;
        es.remove(9);
        for e in es.iter_mut().skip(9) {
            e.seq -= 1;
        }
        let prev = es[8].hash;
        rechain(&mut es[9..], prev);
        replace_from(&l, 10, &es[9..]).await;
        exec(&l, "DELETE FROM audit_checkpoints WHERE seq >= 10").await;
        let f = findings(&l).await;
        assert_eq!(
            f,
            vec![Finding::Truncated { log_seq: 29, published_seq: 30 }],
            "{}",
            ctx("delete + renumber")
        );

        // A forged tail: the real entries 28-30 replaced by others with a valid chain.
        let l = make(backend).await;
        let es = entries(&l).await;
        let mut prev = es[26].hash;
        let mut forged = Vec::new();
        for seq in 28..=30 {
            let e = Entry::seal(
                seq,
                es[26].at,
                Event::new("intruder", "footage.extract", "camera:cam1", Outcome::Ok),
                prev,
            );
            prev = e.hash;
            forged.push(e);
        }
        replace_from(&l, 28, &forged).await;
        exec(&l, "DELETE FROM audit_checkpoints WHERE seq = 30").await;
        let f = findings(&l).await;
        assert_eq!(f, vec![Finding::CheckpointMismatch { seq: 30 }], "{}", ctx("forged append"));

        // Re-signed with another key after a rewrite: the signatures fail with the trusted key.
        let l = make(backend).await;
        let mut es = entries(&l).await;
        es[0].detail = "{\"n\":100}".into();
        let genesis = audit::Store::log_id(&l.store).await.unwrap().genesis();
        rechain(&mut es, genesis);
        replace_from(&l, 1, &es).await;
        let forger = SigningKey::from_bytes(&[99; 32]);
        let log_id = audit::Store::log_id(&l.store).await.unwrap();
        exec(&l, "DELETE FROM audit_checkpoints").await;
        for seq in [1u64, 11, 21, 30] {
            let c = Checkpoint::sign(
                &forger,
                log_id,
                seq,
                es[seq as usize - 1].hash,
                es[seq as usize - 1].at,
            );
            audit::Store::add_checkpoint(&l.store, &c).await.unwrap();
        }
        let f = findings(&l).await;
        assert!(f.contains(&Finding::BadSignature { seq: 1 }), "{}: {f:?}", ctx("re-signed"));
        assert!(
            f.contains(&Finding::CheckpointMismatch { seq: 30 }),
            "{}: {f:?}",
            ctx("re-signed")
        );
    }
}
