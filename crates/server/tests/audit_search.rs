//! The audit search as a person uses it (issue 19, item 4): a person is found by login name as
//! well as by account id, each entry names the actor and the role in words beside the ids the
//! log keeps, and an actor that is no account (`system`) is searched by what the log writes.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::{BACKENDS, World};

// SPEC §6: every action lands in the audit log; here, the log read by a person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_is_searched_by_login_and_says_who_acted() {
    for backend in BACKENDS {
        let w = World::new("asahikawa", backend, "2026-12-05T22:30:00+09:00").await;
        let officer = w.users.get("handling_officer").unwrap();
        // Something the officer does, audited.
        let (status, _) = w.api.get("/api/v1/requests", officer).await;
        assert!(status.is_success(), "{status}");
        let by_id = w.api.get(&format!("/api/v1/audit?actor={}", officer.id), &w.admin).await.1;
        let by_login =
            w.api.get(&format!("/api/v1/audit?actor={}", officer.login), &w.admin).await.1;
        assert!(!by_id.as_array().unwrap().is_empty(), "{by_id}");
        // The same entries, whichever way the person is named.
        let seqs = |v: &serde_json::Value| -> Vec<i64> {
            v.as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect()
        };
        assert_eq!(seqs(&by_id), seqs(&by_login));
        for e in by_login.as_array().unwrap() {
            assert_eq!(e["actor"], officer.id.to_string());
            assert!(e["actor_name"].as_str().is_some_and(|n| !n.is_empty()), "{e}");
        }
        let listed = by_login.as_array().unwrap().iter().find(|e| e["action"] == "request.list");
        let listed = listed.unwrap_or_else(|| panic!("no request.list in {by_login}"));
        let role = w.profile.role("handling_officer").unwrap();
        assert_eq!(listed["role_name_ja"], role.name_ja.as_str());
        assert_eq!(listed["role_name_en"], role.name_en.as_str());
        // An actor that is no account, as the log writes it; an unknown name finds nothing.
        let system = w.api.get("/api/v1/audit?actor=system", &w.admin).await.1;
        assert!(system.as_array().unwrap().iter().all(|e| e["actor"] == "system"), "{system}");
        assert!(system.as_array().unwrap().iter().all(|e| e["actor_name"].is_null()));
        let nobody = w.api.get("/api/v1/audit?actor=u_nobody", &w.admin).await.1;
        assert_eq!(nobody.as_array().unwrap().len(), 0, "{nobody}");
    }
}
