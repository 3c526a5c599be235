//! Lists in pages (issue 26, item 5): `GET /api/v1/requests` pages newest first with a cursor in
//! a `Link: <…>; rel="next"` header, filters by state and text in the database, shows each
//! person only what they may see, and refuses bad parameters. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};

fn body(summary: &str) -> Value {
    json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川東警察署",
            "case_summary": summary,
            "documents": [{"form": "application", "reference": "申-1"}, {"form": "written_inquiry", "reference": "照-1"}],
            "cameras": ["cam1"], "from": "2026-12-31T20:00:00+09:00", "to": "2026-12-31T21:00:00+09:00" })
}

/// GET a list page; (ids, next link).
async fn page(w: &World, u: &User, path: &str) -> (Vec<i64>, Option<String>) {
    let r =
        w.api.http.get(format!("{}{path}", w.api.base)).bearer_auth(&u.token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let next = r.headers().get("link").map(|v| {
        let v = v.to_str().unwrap();
        assert!(v.ends_with("; rel=\"next\""), "{v}");
        v.trim_start_matches('<').split('>').next().unwrap().to_owned()
    });
    let v: Value = r.json().await.unwrap();
    (v.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect(), next)
}

#[tokio::test]
async fn request_lists_page_filter_and_show_only_what_one_may_see() {
    for backend in BACKENDS {
        // New Year's Day 2027 (元日): a closed day.
        let w = World::new("asahikawa", backend, "2027-01-01T09:00:00+09:00").await;
        let applicant = w.user("applicant");
        let chief = w.user("police_image_manager");
        let mut mine = Vec::new();
        for i in 0..7 {
            let r =
                w.api.ok("/api/v1/requests", &applicant, body(&format!("窃盗事件その{i}"))).await;
            mine.push(r["id"].as_i64().unwrap());
        }
        let theirs = w.api.ok("/api/v1/requests", &chief, body("100%_一致 の事件")).await;
        let theirs = theirs["id"].as_i64().unwrap();
        for id in &mine[..2] {
            w.api.ok(&format!("/api/v1/requests/{id}/approve"), &w.admin, json!({})).await;
        }

        // Pages of 3, newest first, following the cursor; nothing twice, nothing missed.
        let mut seen = Vec::new();
        let mut path = Some("/api/v1/requests?limit=3".to_owned());
        while let Some(p) = path {
            let (ids, next) = page(&w, &w.admin, &p).await;
            assert!(ids.len() <= 3);
            seen.extend(ids);
            path = next;
        }
        let mut all: Vec<i64> = mine.iter().copied().chain([theirs]).collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(seen, all, "{backend:?}");
        // The default page is short enough to stay small, and says when there is more.
        let (ids, next) = page(&w, &w.admin, "/api/v1/requests").await;
        assert_eq!((ids.len(), next), (8, None));

        // Filters run in the database.
        let (ids, _) = page(&w, &w.admin, "/api/v1/requests?state=approved").await;
        assert_eq!(ids, [mine[1], mine[0]]);
        let (ids, _) =
            page(&w, &w.admin, "/api/v1/requests?state=submitted,approved&q=%E3%81%9D%E3%81%AE6")
                .await;
        assert_eq!(ids, [mine[6]], "その6");
        // `%` and `_` in the text are letters, not wildcards.
        let (ids, _) = page(&w, &w.admin, "/api/v1/requests?q=100%25_").await;
        assert_eq!(ids, [theirs]);
        let (ids, _) = page(&w, &w.admin, "/api/v1/requests?q=%25%25").await;
        assert!(ids.is_empty());

        // Each requester sees only their own requests.
        let (ids, _) = page(&w, &applicant, "/api/v1/requests?limit=200").await;
        assert_eq!(ids.len(), 7);
        assert!(!ids.contains(&theirs));
        let (ids, _) = page(&w, &chief, "/api/v1/requests").await;
        assert_eq!(ids, [theirs]);

        // Bad parameters are named.
        for (q, field) in [("limit=0", "limit"), ("limit=201", "limit"), ("state=lost", "state")] {
            let (s, v) = w.api.get(&format!("/api/v1/requests?{q}"), &w.admin).await;
            assert_eq!(s, 422, "{q}: {v}");
            assert_eq!(v["errors"][0]["field"], field, "{q}: {v}");
        }
        let (s, _) = w.api.get("/api/v1/requests?before=abc", &w.admin).await;
        assert_eq!(s, 400);
        let (s, _) = w.api.get("/api/v1/requests?sort=up", &w.admin).await;
        assert_eq!(s, 400, "unknown parameters are refused");

        // The audit log pages the same way (it was silently cut at 200 rows), newest first, and
        // filters by JST dates.
        let r = w
            .api
            .http
            .get(format!("{}/api/v1/audit?limit=5&action=request.", w.api.base))
            .bearer_auth(&w.admin.token)
            .send()
            .await
            .unwrap();
        let link = r.headers().get("link").unwrap().to_str().unwrap().to_owned();
        let first: Value = r.json().await.unwrap();
        let seqs: Vec<i64> =
            first.as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs.len(), 5);
        assert!(seqs.windows(2).all(|p| p[0] > p[1]), "{seqs:?}");
        let next = link.trim_start_matches('<').split('>').next().unwrap();
        assert!(
            next.contains(&format!("before={}", seqs[4])) && next.contains("action=request."),
            "{next}"
        );
        let (_, second) = w.api.get(next, &w.admin).await;
        let after: Vec<i64> =
            second.as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(after.iter().all(|s| *s < seqs[4]), "{after:?}");
        let (_, today) =
            w.api.get("/api/v1/audit?from=2027-01-01&to=2027-01-01&limit=1000", &w.admin).await;
        assert!(today.as_array().unwrap().len() > 20);
        let (_, before) = w.api.get("/api/v1/audit?to=2026-12-31", &w.admin).await;
        assert!(
            before.as_array().unwrap().is_empty(),
            "nothing before New Year's Day 2027: {before}"
        );
    }
}
