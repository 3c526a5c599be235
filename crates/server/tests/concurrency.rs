//! Two managers approving the same request at once: exactly one wins, the other gets a clear
//! conflict. Fifty parallel approvals: fifty distinct certificate numbers. On both backends.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::json;

async fn file(w: &World, applicant: &User) -> i64 {
    let v = w
        .api
        .ok(
            "/api/v1/requests",
            applicant,
            json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川中央警察署", "case_summary": "窃盗",
                    "documents": [{"form": "application", "reference": "申-1"}, {"form": "written_inquiry", "reference": "照-1"}],
                    "cameras": ["cam1"], "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T10:00:00+09:00" }),
        )
        .await;
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn concurrent_approvals() {
    for backend in BACKENDS {
        let w = World::new("asahikawa", backend, "2026-11-24T10:00:00+09:00").await;
        let applicant = w.user("applicant");
        // A second manager (the post can be held by more than one account during a handover).
        w.api.ok("/api/v1/accounts", &w.admin, json!({ "login": "kanri2", "display_name": "管理 二郎", "organisation_id": w.admin.org, "initial_password": INITIAL })).await;
        let (_, list) = w.api.get("/api/v1/accounts", &w.admin).await;
        let id = list.as_array().unwrap().iter().find(|a| a["login"] == "kanri2").unwrap()["id"]
            .as_i64()
            .unwrap();
        w.api
            .ok("/api/v1/designations", &w.admin, json!({ "account_id": id, "role": "manager" }))
            .await;
        let second = onboard(&w.api, "kanri2", "manager", w.admin.org).await;

        for _ in 0..5 {
            let req = file(&w, &applicant).await;
            let path = format!("/api/v1/requests/{req}/approve");
            let (a, b) = tokio::join!(
                w.api.post(&path, &w.admin, json!({})),
                w.api.post(&path, &second, json!({}))
            );
            let mut statuses = [a.0.as_u16(), b.0.as_u16()];
            statuses.sort();
            assert_eq!(statuses, [200, 409], "{backend:?}: {a:?} {b:?}");
            let loser = if a.0 == 409 { &a.1 } else { &b.1 };
            // Either the store's conditional update or the policy's state check stopped it,
            // depending on which read came first; both say why.
            let d = loser["detail"].as_str().unwrap();
            assert!(
                d.contains("someone else acted on it first")
                    || d.contains("the request is approved"),
                "{loser}"
            );
        }

        let mut ids = Vec::new();
        for _ in 0..50 {
            ids.push(file(&w, &applicant).await);
        }
        let mut tasks = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let api = w.api.clone();
            let who = if i % 2 == 0 { w.admin.clone() } else { second.clone() };
            let path = format!("/api/v1/requests/{id}/approve");
            tasks.push(tokio::spawn(async move { api.post(&path, &who, json!({})).await }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            let (s, v) = t.await.unwrap();
            assert_eq!(s, 200, "{backend:?}: {v}");
            numbers.push(v["certificate_number"].as_str().unwrap().to_owned());
        }
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 50, "{backend:?}: duplicate certificate numbers");
    }
}
