//! Clients that go away mid-call — a closed tab, a proxy's timeout, `curl -m 0.05` — must not
//! wedge the server or leave a change without its audit entry. Hundreds of audited calls are cut
//! by client timeouts of 1–50 ms, twenty at a time; afterwards every audited endpoint answers,
//! the chain verifies, and every request that was filed or approved has its audit entry. On
//! SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

fn request_body(n: usize) -> Value {
    json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川東警察署",
            "case_summary": format!("窃盗事件 {n}"),
            "documents": [{"form": "application", "reference": format!("申-{n}")}, {"form": "written_inquiry", "reference": format!("照-{n}")}],
            "cameras": ["cam1"], "from": "2026-11-21T21:00:00+09:00", "to": "2026-11-21T22:00:00+09:00" })
}

/// A small deterministic generator (xorshift): the same cuts on every run.
struct Cuts(u64);
impl Cuts {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test]
async fn dropped_clients_never_wedge_the_server_nor_leave_a_change_unaudited() {
    for backend in BACKENDS {
        // Saturday night before a national holiday week: the date plays no part, but fixtures
        // never sit only on today's weekday.
        let w = World::new("asahikawa", backend, "2026-11-21T23:10:00+09:00").await;
        let applicant = w.user("applicant");
        let manager = w.admin.clone();
        let mut ids = Vec::new();
        for n in 0..40 {
            ids.push(
                w.api.ok("/api/v1/requests", &applicant, request_body(n)).await["id"]
                    .as_i64()
                    .unwrap(),
            );
        }
        let mut cuts = Cuts(0x9E37_79B9_7F4A_7C15);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..400usize {
            let timeout = Duration::from_millis(1 + cuts.next() % 50);
            let http = reqwest::Client::builder().timeout(timeout).build().unwrap();
            let base = w.srv.base.clone();
            let (method, path, who, body) = match i % 5 {
                0 => ("GET", "/api/v1/requests".to_owned(), &manager, None),
                1 => ("GET", format!("/api/v1/requests/{}", ids[i % ids.len()]), &manager, None),
                2 => (
                    "POST",
                    "/api/v1/requests".to_owned(),
                    &applicant,
                    Some(request_body(1000 + i)),
                ),
                3 => (
                    "POST",
                    format!("/api/v1/requests/{}/approve", ids[i % ids.len()]),
                    &manager,
                    Some(json!({})),
                ),
                _ => ("GET", "/api/v1/audit/verify".to_owned(), &manager, None),
            };
            let token = who.token.clone();
            tasks.spawn(async move {
                let mut rb = http
                    .request(method.parse().unwrap(), format!("{base}{path}"))
                    .bearer_auth(token);
                if let Some(b) = body {
                    rb = rb.json(&b);
                }
                // Cut or answered: either is fine here; what matters is the state afterwards.
                let _ = rb.send().await.and_then(|r| r.error_for_status());
            });
            while tasks.len() >= 20 {
                tasks.join_next().await;
            }
        }
        while tasks.join_next().await.is_some() {}
        // Calls still running on the server finish on their own; give them a moment.
        tokio::time::sleep(Duration::from_millis(500)).await;

        // Every audited endpoint still answers.
        let (s, list) = w.api.get("/api/v1/requests", &manager).await;
        assert_eq!(s, 200, "{backend:?}: request list after the drops: {list}");
        let (s, one) = w.api.get(&format!("/api/v1/requests/{}", ids[0]), &manager).await;
        assert_eq!(s, 200, "{backend:?}: {one}");
        let fresh = w.api.ok("/api/v1/requests", &applicant, request_body(9999)).await;
        let fresh_id = fresh["id"].as_i64().unwrap();
        w.api.ok(&format!("/api/v1/requests/{fresh_id}/approve"), &manager, json!({})).await;
        let (s, v) = w.api.get("/api/v1/audit/verify", &manager).await;
        assert_eq!(s, 200, "{backend:?}: {v}");
        assert_eq!(v["ok"], true, "{backend:?}: the chain must verify: {v}");

        // No change without its audit entry: every request filed has a request.create entry,
        // every approved one a request.approve entry.
        let entries = audit_entries(&w).await;
        let created: Vec<&str> = entries
            .iter()
            .filter(|e| e.action == "request.create" && e.outcome == audit::Outcome::Ok)
            .map(|e| e.object.as_str())
            .collect();
        let approved: Vec<&str> = entries
            .iter()
            .filter(|e| e.action == "request.approve" && e.outcome == audit::Outcome::Ok)
            .map(|e| e.object.as_str())
            .collect();
        for r in list.as_array().unwrap().iter().chain([&fresh]) {
            let object = format!("request:{}", r["id"]);
            assert!(
                created.contains(&object.as_str()),
                "{backend:?}: {object} has no request.create entry"
            );
            if r["state"] == "approved" {
                assert!(
                    approved.contains(&object.as_str()),
                    "{backend:?}: {object} is approved without a request.approve entry"
                );
            }
        }
    }
}

async fn audit_entries(w: &World) -> Vec<audit::Entry> {
    use audit::Store;
    let store = w.srv.state.audit.store();
    let mut out = Vec::new();
    loop {
        let page = store.entries(out.len() as u64, 1000).await.unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}
