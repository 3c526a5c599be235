//! Several central processes on one PostgreSQL database behind a load balancer (issue 21,
//! item 6): one person's session serves on either, request numbers stay unique and in order
//! whichever process files, the audit chain both write stays whole, and a background job runs
//! in the one process holding its lease — taken over when that process goes away.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_central_processes_share_one_database() {
    // A Friday morning in office hours.
    let w = World::new("asahikawa", Backend::Postgres, "2026-12-04T10:00:00+09:00").await;
    let mut b = Server::start("asahikawa", &w.srv.db, &w.srv.key, w.srv.clock.clone()).await;
    let api_b = Api::new(&b.base);
    let p = &w.profile;
    let applicant = w.user(&p.workflow.requested_by[0]);

    // One session, either process: the load balancer may send each call anywhere.
    let (s, me_a) = w.api.get("/api/v1/me", &applicant).await;
    let (t, me_b) = api_b.get("/api/v1/me", &applicant).await;
    assert_eq!((s.as_u16(), t.as_u16()), (200, 200));
    assert_eq!(me_a["login"], me_b["login"]);

    // Requests filed alternately on each get distinct numbers, in filing order.
    let basis = p.bases.iter().find(|b| b.review).unwrap_or(&p.bases[0]).clone();
    let mut numbers = Vec::new();
    for i in 0..6 {
        let api = if i % 2 == 0 { &w.api } else { &api_b };
        let r = api
            .ok("/api/v1/requests", &applicant, json!({
                "basis": basis.id, "purpose": p.purposes.last().unwrap().id, "recipient": "中央警察署 刑事課",
                "case_summary": format!("窃盗事件 {i}"), "documents": documents(&w, &basis),
                "cameras": ["cam1"], "from": "2026-12-03T21:00:00+09:00", "to": "2026-12-03T21:10:00+09:00"
            }))
            .await;
        numbers.push(r["number"].as_str().unwrap().to_owned());
    }
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, numbers, "unique and in filing order: {numbers:?}");

    // Both wrote the one audit chain; it verifies from either.
    let auditor = w.holder(policy::Permission::AuditRead).clone();
    for api in [&w.api, &api_b] {
        let (s, v) = api.get("/api/v1/audit/verify", &auditor).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ok"], true, "{v:#}");
        assert_eq!(v["report"]["trusted_key"], true, "{v:#}");
        assert!(v["report"]["entries"].as_u64().unwrap() > 6, "{v:#}");
    }

    // A background job runs in one process: the lease holder renews, the other is refused,
    // and takes over once the holder has gone and its lease lapsed.
    let hour = Duration::from_secs(3600);
    let (a, bs) = (w.srv.state.clone(), b.state.clone());
    assert!(a.leased("duties.sweep", hour).await);
    assert!(!bs.leased("duties.sweep", hour).await, "one process at a time");
    assert!(a.leased("duties.sweep", hour).await, "the holder renews");
    let both = futures_both(&a, &bs, "packages.sweep").await;
    assert_eq!(both.iter().filter(|x| **x).count(), 1, "asked at once, one wins: {both:?}");
    w.set_now("2026-12-04T11:00:01+09:00");
    assert!(bs.leased("duties.sweep", hour).await, "taken over after the lease lapsed");
    assert!(!a.leased("duties.sweep", hour).await);
    b.shutdown().await;
}

/// Both processes ask for `lease` at the same moment.
async fn futures_both(
    a: &std::sync::Arc<server::state::AppState>,
    b: &std::sync::Arc<server::state::AppState>,
    lease: &str,
) -> Vec<bool> {
    let hour = Duration::from_secs(3600);
    let (x, y) = tokio::join!(a.leased(lease, hour), b.leased(lease, hour));
    vec![x, y]
}
