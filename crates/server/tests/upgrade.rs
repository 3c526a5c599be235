//! Upgrades (issue 22, item 6): a city's database as the previous release left it — its schema,
//! with a city's records in it — is migrated forward by this release at start, and nothing is
//! lost: the same requests, accounts and roles, the audit chain still verifies, sessions still
//! work. On SQLite and PostgreSQL.
//!
//! The previous release's schema is this one without the migrations added since, undone here
//! (`UNDO`): when a migration is added, `UNDO` becomes its inverse and `PREVIOUS` its
//! predecessor's version. (A newer schema than the release knows is refused: store tests.)

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::{Api, BACKENDS, Server, World, documents};
use serde_json::json;

/// The newest migration of the previous release.
const PREVIOUS: i64 = 21;

/// What the migrations added since the previous release did, undone.
const UNDO: [&str; 9] = [
    "ALTER TABLE cameras DROP COLUMN onvif_url",
    "ALTER TABLE recorder_nodes DROP COLUMN site_conditions",
    "ALTER TABLE recorder_nodes DROP COLUMN site_kind",
    "DROP INDEX camera_footage_checks_camera",
    "DROP TABLE camera_footage_checks",
    "ALTER TABLE cameras DROP COLUMN overwrite_cycle_days",
    "ALTER TABLE emergency_orders DROP COLUMN flag_review_note",
    "ALTER TABLE emergency_orders DROP COLUMN flag_reviewed_at",
    "ALTER TABLE emergency_orders DROP COLUMN flag_reviewed_by",
];

async fn exec(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let url = if url.starts_with("postgres") { url.to_owned() } else { format!("sqlite://{url}") };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn newest_migration(url: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let url = if url.starts_with("postgres") { url.to_owned() } else { format!("sqlite://{url}") };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let v: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_releases_database_is_migrated_forward_with_nothing_lost() {
    for backend in BACKENDS {
        // A city's records: accounts for every role, requests decided both ways.
        let mut w = World::new("asahikawa", backend, "2026-12-01T10:00:00+09:00").await;
        let p = w.profile.clone();
        let applicant = w.user("applicant");
        let manager = w.user("manager");
        let basis = p
            .bases
            .iter()
            .find(|b| b.documents.is_empty() && b.documents_any_of.is_empty())
            .unwrap_or(&p.bases[0]);
        for i in 0..3 {
            let r = w
                .api
                .ok("/api/v1/requests", &applicant, json!({ "basis": basis.id, "purpose": p.purposes[0].id, "recipient": "旭川東警察署",
                    "case_summary": format!("事件 {i}"), "documents": documents(&w, basis), "cameras": ["cam1"],
                    "from": "2026-11-30T08:00:00+09:00", "to": "2026-11-30T08:30:00+09:00" }))
                .await;
            if i == 0 {
                let id = r["id"].as_i64().unwrap();
                w.api.ok(&format!("/api/v1/requests/{id}/approve"), &manager, json!({})).await;
            }
        }
        let (_, before) = w.api.get("/api/v1/requests", &manager).await;
        let (_, accounts_before) = w.api.get("/api/v1/accounts", &w.admin).await;

        // Back to the previous release's schema, with its records.
        let (db, key, clock) = (w.srv.db.clone(), w.srv.key.clone(), w.srv.clock.clone());
        w.srv.shutdown().await;
        for sql in UNDO {
            exec(&db, sql).await;
        }
        exec(&db, &format!("DELETE FROM _sqlx_migrations WHERE version > {PREVIOUS}")).await;
        assert_eq!(newest_migration(&db).await, PREVIOUS, "{backend:?}");

        // This release starts on it: migrated forward at start.
        w.srv = Server::start("asahikawa", &db, &key, clock).await;
        w.api = Api::new(&w.srv.base);
        assert!(newest_migration(&db).await > PREVIOUS);
        let (s, after) = w.api.get("/api/v1/requests", &manager).await;
        assert_eq!(s, 200, "a session of the previous release still works: {after}");
        assert_eq!(after, before, "{backend:?}: the requests are as they were");
        let (_, accounts_after) = w.api.get("/api/v1/accounts", &w.admin).await;
        assert_eq!(accounts_after, accounts_before);
        let relogged = w.relogin("handling_officer").await;
        let (s, me) = w.api.get("/api/v1/me", &relogged).await;
        assert_eq!(s, 200);
        assert_eq!(me["roles"][0]["id"], "handling_officer", "{me}");
        let auditor = w.holder(policy::Permission::AuditRead).clone();
        let (s, v) = w.api.get("/api/v1/audit/verify", &auditor).await;
        assert_eq!((s.as_u16(), v["ok"].as_bool()), (200, Some(true)), "{v}");
    }
}
