//! A change and its audit entry commit together (issue 26, item 1): when the audit entry cannot
//! be written — here a database trigger makes the real audit table refuse it, as a full disk or
//! a broken store would — the change is not made either, the answer says so, and a retry once
//! the store works again makes exactly one change with its one entry. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::json;

async fn file(w: &World, applicant: &User, n: u32) -> i64 {
    let v = w
        .api
        .ok(
            "/api/v1/requests",
            applicant,
            json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川東警察署", "case_summary": format!("窃盗 {n}"),
                    "documents": [{"form": "application", "reference": format!("申-{n}")}, {"form": "written_inquiry", "reference": format!("照-{n}")}],
                    "cameras": ["cam1"], "from": "2026-12-26T09:00:00+09:00", "to": "2026-12-26T10:00:00+09:00" }),
        )
        .await;
    v["id"].as_i64().unwrap()
}

async fn head(w: &World) -> u64 {
    use audit::Store;
    w.srv.state.audit.store().head().await.unwrap().map_or(0, |h| h.seq)
}

/// Makes the real audit table refuse entries whose action is listed in `audit_refuse` (a
/// failing store), through a trigger made once.
async fn install_refusal(w: &World) {
    let db = w.srv.state.db.pool();
    sqlx::query("CREATE TABLE audit_refuse (action TEXT NOT NULL)").execute(db).await.unwrap();
    if w.srv.state.db.backend() == store::Backend::Sqlite {
        sqlx::query(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries \
             WHEN NEW.action IN (SELECT action FROM audit_refuse) \
             BEGIN SELECT RAISE(ABORT, 'audit store failure'); END",
        )
        .execute(db)
        .await
        .unwrap();
    } else {
        sqlx::query(
            "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN \
             IF NEW.action IN (SELECT action FROM audit_refuse) THEN \
             RAISE EXCEPTION 'audit store failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        )
        .execute(db)
        .await
        .unwrap();
        sqlx::query(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        )
        .execute(db)
        .await
        .unwrap();
    }
}

/// The audit table refuses entries of `action` from now on (`None`: accepts everything again).
async fn refuse_audit_of(w: &World, action: Option<&str>) {
    let db = w.srv.state.db.pool();
    sqlx::query("DELETE FROM audit_refuse").execute(db).await.unwrap();
    if let Some(a) = action {
        sqlx::query("INSERT INTO audit_refuse (action) VALUES ($1)")
            .bind(a)
            .execute(db)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_change_whose_audit_entry_cannot_be_written_is_not_made() {
    for backend in BACKENDS {
        // The year-end closure: the office is shut, the system is not.
        let w = World::new("asahikawa", backend, "2026-12-29T10:00:00+09:00").await;
        let applicant = w.user("applicant");
        let id = file(&w, &applicant, 1).await;
        let before = head(&w).await;
        install_refusal(&w).await;

        refuse_audit_of(&w, Some("request.approve")).await;
        let (s, v) =
            w.api.post(&format!("/api/v1/requests/{id}/approve"), &w.admin, json!({})).await;
        assert_eq!(s, 500, "{backend:?}: {v}");
        assert!(
            v["detail"].as_str().unwrap().contains("nothing was changed"),
            "{backend:?}: the answer says the call did not happen: {v}"
        );
        // Not approved, no certificate number taken, no entry.
        let (_, r) = w.api.get(&format!("/api/v1/requests/{id}"), &w.admin).await;
        assert_eq!(r["state"], "submitted", "{backend:?}: {r}");
        assert!(r["certificate_number"].is_null(), "{backend:?}: {r}");

        // A filing whose entry is refused leaves no request behind either.
        refuse_audit_of(&w, Some("request.create")).await;
        let (_, list_before) = w.api.get("/api/v1/requests", &w.admin).await;
        let (s, _) = w
            .api
            .post("/api/v1/requests", &applicant, json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川東警察署", "case_summary": "窃盗 2",
                    "documents": [{"form": "application", "reference": "申-2"}, {"form": "written_inquiry", "reference": "照-2"}],
                    "cameras": ["cam1"], "from": "2026-12-26T09:00:00+09:00", "to": "2026-12-26T10:00:00+09:00" }))
            .await;
        assert_eq!(s, 500);
        let (_, list_after) = w.api.get("/api/v1/requests", &w.admin).await;
        assert_eq!(list_before.as_array().unwrap().len(), list_after.as_array().unwrap().len());

        // The store works again: the retry makes the change once, with its entry, and the
        // first certificate number of the year (the failed attempt took none).
        refuse_audit_of(&w, None).await;
        let v = w.api.ok(&format!("/api/v1/requests/{id}/approve"), &w.admin, json!({})).await;
        assert_eq!(v["certificate_number"], "2026-0001", "{backend:?}: {v}");
        let (s, v) = w.api.get("/api/v1/audit/verify", &w.admin).await;
        assert_eq!(s, 200);
        assert_eq!(v["ok"], true, "{backend:?}: {v}");
        let entries = w
            .srv
            .state
            .audit
            .store()
            .search(None, Some("request.approve"), None, 10)
            .await
            .unwrap();
        let approvals: Vec<_> =
            entries.iter().filter(|e| e.outcome == audit::Outcome::Ok).collect();
        assert_eq!(approvals.len(), 1, "{backend:?}: exactly one approval entry");
        assert!(head(&w).await > before);
    }
}
