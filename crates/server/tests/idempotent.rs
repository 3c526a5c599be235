//! Idempotent writes (issue 26, item 3): a state-changing call carrying an `Idempotency-Key`
//! runs once; a retry — after a timeout, a lost answer, a double click or Back + submit — gets
//! the first answer back and never a duplicate request, approval or certificate number. A refused
//! call keeps nothing, so the corrected form can be sent with the same key. On SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

fn body(summary: &str) -> Value {
    json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川中央警察署",
            "case_summary": summary,
            "documents": [{"form": "application", "reference": "申-9"}, {"form": "written_inquiry", "reference": "照-9"}],
            "cameras": ["cam1"], "from": "2027-01-09T20:00:00+09:00", "to": "2027-01-09T21:00:00+09:00" })
}

/// POST with a key; (status, replayed?, body).
async fn post(w: &World, user: &User, path: &str, key: &str, b: Value) -> (u16, bool, Value) {
    let r = w
        .api
        .http
        .post(format!("{}{path}", w.api.base))
        .bearer_auth(&user.token)
        .header("idempotency-key", key)
        .json(&b)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    (status, replayed, r.json().await.unwrap_or(Value::Null))
}

async fn requests_named(w: &World, summary: &str) -> usize {
    let (_, list) = w.api.get("/api/v1/requests", &w.admin).await;
    list.as_array().unwrap().iter().filter(|r| r["case_summary"] == summary).count()
}

#[tokio::test]
async fn a_retried_write_runs_once() {
    for backend in BACKENDS {
        // Monday 11 January 2027, 成人の日 (a national holiday), late evening.
        let w = World::new("asahikawa", backend, "2027-01-11T22:30:00+09:00").await;
        let applicant = w.user("applicant");

        // The same filing twice: one request, the same answer.
        let (s1, r1, v1) =
            post(&w, &applicant, "/api/v1/requests", "form-token-0001", body("ひったくり")).await;
        let (s2, r2, v2) =
            post(&w, &applicant, "/api/v1/requests", "form-token-0001", body("ひったくり")).await;
        assert_eq!((s1, r1, s2, r2), (200, false, 200, true), "{backend:?}: {v1} {v2}");
        assert_eq!(v1["id"], v2["id"]);
        assert_eq!(v1["number"], v2["number"]);
        assert_eq!(requests_named(&w, "ひったくり").await, 1, "{backend:?}");
        // The key with another request is refused.
        let (s, _, v) =
            post(&w, &applicant, "/api/v1/requests", "form-token-0001", body("別件")).await;
        assert_eq!(s, 422, "{backend:?}: {v}");
        assert_eq!(requests_named(&w, "別件").await, 0);

        // A refused form keeps nothing: corrected, it goes through with the same key.
        let mut bad = body("置き引き");
        bad["recipient"] = json!("");
        let (s, _, v) = post(&w, &applicant, "/api/v1/requests", "form-token-0002", bad).await;
        assert_eq!(s, 422, "{backend:?}: {v}");
        let (s, r, v) =
            post(&w, &applicant, "/api/v1/requests", "form-token-0002", body("置き引き")).await;
        assert_eq!((s, r), (200, false), "{backend:?}: {v}");

        // An approval retried: one decision, one certificate number, one audit entry.
        let id = v1["id"].as_i64().unwrap();
        let path = format!("/api/v1/requests/{id}/approve");
        let (s1, _, a1) = post(&w, &w.admin, &path, "approve-token-01", json!({})).await;
        let (s2, r2, a2) = post(&w, &w.admin, &path, "approve-token-01", json!({})).await;
        assert_eq!((s1, s2, r2), (200, 200, true), "{backend:?}: {a1} {a2}");
        assert_eq!(a1["certificate_number"], a2["certificate_number"]);
        let approvals = w
            .srv
            .state
            .audit
            .store()
            .search(None, Some("request.approve"), Some(&format!("request:{id}")), 10)
            .await
            .unwrap();
        assert_eq!(approvals.len(), 1, "{backend:?}: {approvals:?}");

        // Two identical submissions at once (a double click): one request.
        let (a, b) = tokio::join!(
            post(&w, &applicant, "/api/v1/requests", "form-token-0003", body("同時送信")),
            post(&w, &applicant, "/api/v1/requests", "form-token-0003", body("同時送信")),
        );
        for (s, _, v) in [&a, &b] {
            assert!(*s == 200 || *s == 409, "{backend:?}: {s} {v}");
        }
        if a.0 == 200 && b.0 == 200 {
            assert_eq!(a.2["id"], b.2["id"], "{backend:?}: the second is the first's answer");
        }
        assert_eq!(requests_named(&w, "同時送信").await, 1, "{backend:?}");

        // A client that times out and retries: the retry is answered from the first call.
        let impatient =
            reqwest::Client::builder().timeout(Duration::from_millis(2)).build().unwrap();
        let _ = impatient
            .post(format!("{}/api/v1/requests", w.api.base))
            .bearer_auth(&applicant.token)
            .header("idempotency-key", "form-token-0004")
            .json(&body("再送"))
            .send()
            .await;
        let mut last = (0, false, Value::Null);
        for _ in 0..50 {
            last = post(&w, &applicant, "/api/v1/requests", "form-token-0004", body("再送")).await;
            if last.0 == 200 {
                break;
            }
            assert_eq!(
                last.0, 409,
                "{backend:?}: still running is the only other answer: {}",
                last.2
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(last.0, 200, "{backend:?}: {}", last.2);
        assert_eq!(requests_named(&w, "再送").await, 1, "{backend:?}");
    }
}
