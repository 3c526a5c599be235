//! The governance store on SQLite and PostgreSQL: the same code, the same results.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use audit::{AuditLog, CheckpointPolicy, Event, Outcome, verify};
use store::accounts::NewAccount;
use store::audit_store::DbAuditStore;
use store::workflow::NewRequest;
use store::{Db, StoreError};
use testkit::{BACKENDS, database_url};

async fn fresh(backend: testkit::Backend, dir: &std::path::Path) -> (Db, String) {
    let url = database_url(backend, dir).await;
    (Db::connect(&url).await.unwrap(), url)
}

fn request<'a>(number: &'a str) -> NewRequest<'a> {
    NewRequest {
        number,
        kind: policy::workflow::RequestKind::Request,
        basis: "legal_request",
        purpose: "criminal_investigation",
        requester_id: None,
        requester_role: "applicant",
        recipient: "旭川中央警察署",
        case_summary: "事件",
        documents: "[]",
        cameras: "[\"cam1\"]",
        range_from: store::At::saturating(1),
        range_to: store::At::saturating(2),
        state: policy::workflow::RequestState::Submitted,
        owner_org_id: None,
    }
}

#[tokio::test]
async fn records_survive_a_reconnect_on_both_backends() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let (db, url) = fresh(backend, dir.path()).await;
        let org = db.create_organisation("city", "交通防犯課", 10).await.unwrap();
        let acc = db
            .create_account(
                &NewAccount {
                    login: "kanri",
                    display_name: "管理 太郎",
                    organisation_id: org.id,
                    password_hash: "x",
                    must_change_password: true,
                    created_by: None,
                    pending_activation: false,
                },
                10,
            )
            .await
            .unwrap();
        db.designate(acc.id, "manager", None, 10, None, "").await.unwrap();
        let temp = db
            .designate(acc.id, "handling_officer", None, 10, store::At::from_ms(100), "")
            .await
            .unwrap();
        assert_eq!(db.active_roles(acc.id, 50).await.unwrap(), ["handling_officer", "manager"]);
        assert_eq!(
            db.active_roles(acc.id, 100).await.unwrap(),
            ["manager"],
            "{backend:?}: expired designation"
        );
        db.revoke_designation(temp.id, acc.id, 60).await.unwrap();
        assert!(matches!(
            db.revoke_designation(temp.id, acc.id, 61).await,
            Err(StoreError::Conflict(_))
        ));
        let r = db.create_request(&request("R-1"), 20).await.unwrap();
        assert!(
            matches!(db.create_request(&request("R-1"), 20).await, Err(StoreError::Conflict(_))),
            "{backend:?}"
        );
        db.close().await;
        // Reconnect: migrations are idempotent and everything is still there.
        let db = Db::connect(&url).await.unwrap();
        assert_eq!(db.account_by_login("kanri").await.unwrap().unwrap().display_name, "管理 太郎");
        assert_eq!(db.request(r.id).await.unwrap().unwrap().recipient, "旭川中央警察署");
        assert_eq!(db.designations_of(acc.id).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn of_two_concurrent_decisions_exactly_one_wins() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = fresh(backend, dir.path()).await;
        for round in 0..10 {
            let r = db.create_request(&request(&format!("R-{round}")), 1).await.unwrap();
            let (a, b) = tokio::join!(
                db.decide_request(
                    r.id,
                    policy::workflow::RequestState::Submitted,
                    true,
                    1,
                    None,
                    2
                ),
                db.decide_request(
                    r.id,
                    policy::workflow::RequestState::Submitted,
                    false,
                    2,
                    Some("no"),
                    2
                )
            );
            let wins = [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count();
            assert_eq!(wins, 1, "{backend:?} round {round}");
            assert!(matches!(a.err().or(b.err()), Some(StoreError::Conflict(_))));
        }
    }
}

#[tokio::test]
async fn a_stored_state_no_state_names_is_refused_when_read() {
    // Rows decode into typed states (issue 23, item 3): a row another program wrote with a
    // state mimamori does not know is an error, never some default state.
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = fresh(backend, dir.path()).await;
        let r = db.create_request(&request("R-odd"), 1).await.unwrap();
        assert_eq!(r.state, policy::workflow::RequestState::Submitted);
        sqlx::query("UPDATE requests SET state = 'pending' WHERE id = $1")
            .bind(r.id)
            .execute(db.pool())
            .await
            .unwrap();
        let e = db.request(r.id).await.unwrap_err().to_string();
        // (sqlx 0.9's derive names the column but not our error's text: its autoref
        // specialisation picks the "unprintable" arm.)
        assert!(e.contains("decoding column state"), "{backend:?}: {e}");

        // A flag is 0 or 1 and reads as a bool; any other stored value is refused, never
        // taken as set.
        let org = db.create_organisation("city", "交通防犯課", 10).await.unwrap();
        let new = NewAccount {
            login: "flag",
            display_name: "旗 太郎",
            organisation_id: org.id,
            password_hash: "x",
            must_change_password: true,
            created_by: None,
            pending_activation: false,
        };
        let acc = db.create_account(&new, 10).await.unwrap();
        assert!(*acc.must_change_password && !*acc.pending_activation && !*acc.totp_enabled);
        sqlx::query("UPDATE accounts SET totp_enabled = 2 WHERE id = $1")
            .bind(acc.id)
            .execute(db.pool())
            .await
            .unwrap();
        let e = db.account(acc.id).await.unwrap_err().to_string();
        assert!(e.contains("decoding column totp_enabled"), "{backend:?}: {e}");
    }
}

#[tokio::test]
async fn fifty_parallel_numbers_are_all_distinct() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = fresh(backend, dir.path()).await;
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let db = db.clone();
            tasks.push(tokio::spawn(
                async move { db.next_number("certificate-2026").await.unwrap() },
            ));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        got.sort();
        assert_eq!(got, (1..=50).collect::<Vec<i64>>(), "{backend:?}");
    }
}

#[tokio::test]
async fn the_audit_log_in_the_database_verifies_and_catches_tampering() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let (db, url) = fresh(backend, dir.path()).await;
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let policy =
            CheckpointPolicy { every_entries: 5, every: jiff::SignedDuration::from_hours(1) };
        let log =
            AuditLog::open(DbAuditStore::open(db.clone(), 0).await.unwrap(), key.clone(), policy)
                .await
                .unwrap();
        for i in 0..12 {
            log.append(Event::new("1", "request.read", format!("request:{i}"), Outcome::Ok))
                .await
                .unwrap();
        }
        let report = verify(log.store(), Some(&key.verifying_key()), &[]).await.unwrap();
        assert!(report.is_ok(), "{backend:?}: {:?}", report.findings);
        assert_eq!((report.entries, report.checkpoints), (12, 3));
        // Reopen on a new connection: the chain continues.
        let db2 = Db::connect(&url).await.unwrap();
        let log2 =
            AuditLog::open(DbAuditStore::open(db2.clone(), 0).await.unwrap(), key.clone(), policy)
                .await
                .unwrap();
        assert_eq!(
            log2.append(Event::new("1", "login", "account:1", Outcome::Ok)).await.unwrap().seq,
            13
        );
        // An administrator edits a row with SQL…
        sqlx::query("UPDATE audit_entries SET actor = '2' WHERE seq = 4")
            .execute(db2.pool())
            .await
            .unwrap();
        let report = verify(log2.store(), Some(&key.verifying_key()), &[]).await.unwrap();
        assert_eq!(
            report.findings.first(),
            Some(&audit::Finding::Edited { seq: 4 }),
            "{backend:?}"
        );
        // …or deletes one.
        sqlx::query("DELETE FROM audit_entries WHERE seq = 8").execute(db2.pool()).await.unwrap();
        let report = verify(log2.store(), Some(&key.verifying_key()), &[]).await.unwrap();
        assert!(
            report.findings.contains(&audit::Finding::Missing { from: 8, to: 8 }),
            "{backend:?}"
        );
    }
}

// issue 22, item 6 — a database a newer release migrated is refused with a clear word, and
// nothing in it is changed; the current schema reconnects as before.
#[tokio::test]
async fn a_schema_newer_than_the_release_is_refused_on_both_backends() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let (db, url) = fresh(backend, dir.path()).await;
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert!(applied >= 16, "{backend:?}");
        // What a newer release's migration leaves behind.
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES (9001, 'from a newer release', CURRENT_TIMESTAMP, TRUE, $1, 1)",
        )
        .bind(vec![0u8; 48])
        .execute(db.pool())
        .await
        .unwrap();
        db.close().await;
        let e = Db::connect(&url).await.err().expect("a newer schema must be refused");
        let said = e.to_string();
        assert!(matches!(e, StoreError::NewerSchema { found: 9001, .. }), "{backend:?}: {said}");
        assert!(said.contains("newer than this mimamori knows"), "{said}");
    }
}
