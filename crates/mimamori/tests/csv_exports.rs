//! Lists as CSV (issue 19, item 5): a clerk downloads the requests, the ledger and the audit
//! trail from the web app of a real demo — UTF-8 with a BOM, Japanese column names, every row
//! of every API page, formulas neutralised — and someone without the right gets the page that
//! says so, not a file.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::city::{Http, PASSWORD};
use common::start_demo;
use serde_json::json;

async fn cookie_of(http: &reqwest::Client, base: &str, login: &str) -> String {
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "login": login, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_downloads_the_lists_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = start_demo("asahikawa", &dir.path().join("d"), &["--cameras", "1"]);
    let api = Http::new(&base);
    // A recipient a spreadsheet would take for a formula.
    let applicant = api.login("u_applicant").await;
    let now = jiff::Timestamp::now();
    let r = api
        .call("POST", "/api/v1/requests", Some(&applicant), None, Some(json!({
            "basis": "legal_request", "purpose": "criminal_investigation",
            "recipient": "=HYPERLINK(\"http://evil.example\",\"開く\")",
            "case_summary": "表計算の式", "documents": [{"form": "application", "reference": "申-1"}, {"form": "written_inquiry", "reference": "照-1"}],
            "cameras": ["cam1"], "from": policy::jst::rfc3339(now - jiff::SignedDuration::from_hours(2)),
            "to": policy::jst::rfc3339(now - jiff::SignedDuration::from_hours(1)) })))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let http = reqwest::Client::new();
    let manager = cookie_of(&http, &base, "admin").await;
    let get = async |path: &str, cookie: &str| {
        http.get(format!("{base}{path}")).header("cookie", cookie).send().await.unwrap()
    };
    let r = get("/requests.csv", &manager).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("requests.csv"));
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("番号,状態,提供先"), "{}", lines[0]);
    // Every request the manager may list, across the API's pages.
    let manager_token = api.login("admin").await;
    let mut listed = 0;
    let mut path = Some("/api/v1/requests".to_owned());
    while let Some(p) = path.take() {
        let r = api.call("GET", &p, Some(&manager_token), None, None).await;
        path = r
            .headers()
            .get("link")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.split(';').next())
            .map(|u| u.trim_matches(['<', '>', ' ']).to_owned());
        listed += r.json::<serde_json::Value>().await.unwrap().as_array().unwrap().len();
    }
    assert!(listed >= 2, "the demo's history and the new one");
    assert_eq!(lines.len() - 1, listed, "{text}");
    assert!(text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"開く\"\")\""), "{text}");
    assert!(!text.contains(",=HYPERLINK"), "no cell begins with a formula");

    // The filters of the page apply.
    let r = get("/requests.csv?state=approved", &manager).await;
    let filtered = r.text().await.unwrap();
    assert!(!filtered.contains("HYPERLINK"), "the new request is not approved");

    let r = get("/audit.csv?action=login", &manager).await;
    assert_eq!(r.status(), 200);
    let audit = r.text().await.unwrap();
    assert!(audit.lines().nth(1).is_some_and(|l| l.contains("login")), "{audit}");
    let r = get("/ledger.csv", &manager).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("提供先"));

    // The ledger's filters (text, camera, extraction dates), on the API, the page and the CSV.
    let ledger = async |q: &str| -> Vec<serde_json::Value> {
        let r =
            api.call("GET", &format!("/api/v1/ledger?{q}"), Some(&manager_token), None, None).await;
        assert_eq!(r.status(), 200, "{q}");
        r.json::<serde_json::Value>().await.unwrap().as_array().unwrap().clone()
    };
    let all = ledger("").await;
    assert!(!all.is_empty(), "the demo's history wrote ledger entries");
    let recipient = all[0]["recipient"].as_str().unwrap().to_owned();
    let same: Vec<_> = all.iter().filter(|e| e["recipient"] == recipient.as_str()).collect();
    let q =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("q", &recipient).finish();
    let found = ledger(&q).await;
    assert_eq!(found.len(), same.len(), "{recipient}");
    let extracted = all[0]["extracted_at"].as_str().unwrap()[..10].to_owned();
    let on_the_day = ledger(&format!("from={extracted}&to={extracted}")).await;
    assert!(on_the_day.iter().any(|e| e["id"] == all[0]["id"]));
    assert!(on_the_day.iter().all(|e| e["extracted_at"].as_str().unwrap().starts_with(&extracted)));
    assert!(ledger("from=2000-01-01&to=2000-01-31").await.is_empty());
    assert!(
        ledger("camera=cam1").await.iter().all(|e| e["cameras"].to_string().contains("\"cam1\""))
    );
    let r = api.call("GET", "/api/v1/ledger?from=1-2-3", Some(&manager_token), None, None).await;
    assert_eq!(r.status(), 422);
    let page = get(&format!("/ledger?{q}"), &manager).await.text().await.unwrap();
    assert_eq!(page.matches("<tr>").count() - 1, same.len(), "one row per entry, the header aside");
    assert!(!page.contains("criminal_investigation"), "purposes named, not coded");
    let csv = get(&format!("/ledger.csv?{q}"), &manager).await.text().await.unwrap();
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count() - 1, same.len());
    let none = get("/ledger.csv?q=%E8%A9%B2%E5%BD%93%E3%81%AA%E3%81%97", &manager)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(none.split("\r\n").filter(|l| !l.is_empty()).count(), 1, "the header only");

    // The complaints register, with one sent through the public form that starts like a formula.
    let r = api
        .call("POST", "/api/v1/public/complaints", None, None, Some(json!({
            "category": "privacy", "body": "@SUM(1+1) カメラの向きが自宅の窓に向いています", "contact": "090-0000-0000" })))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = get("/complaints.csv", &manager).await;
    assert_eq!(r.status(), 200);
    let complaints = r.text().await.unwrap();
    assert!(complaints.trim_start_matches('\u{feff}').starts_with("番号,受付日時"), "{complaints}");
    assert!(complaints.contains("'@SUM(1+1) カメラの向き"), "{complaints}");
    // The register's filters: state, category, text — the page, the CSV and the API alike.
    let listed = async |q: &str| -> Vec<serde_json::Value> {
        let r = api
            .call("GET", &format!("/api/v1/complaints?{q}"), Some(&manager_token), None, None)
            .await;
        assert_eq!(r.status(), 200, "{q}");
        r.json::<serde_json::Value>().await.unwrap().as_array().unwrap().clone()
    };
    let mine = |v: &[serde_json::Value]| {
        v.iter().any(|c| c["body"].as_str().is_some_and(|b| b.contains("@SUM")))
    };
    assert!(mine(&listed("state=open").await) && mine(&listed("category=privacy").await));
    assert!(!mine(&listed("state=closed").await) && !mine(&listed("category=signage").await));
    assert_eq!(listed("q=%40SUM").await.len(), 1);
    let r =
        api.call("GET", "/api/v1/complaints?state=lost", Some(&manager_token), None, None).await;
    assert_eq!(r.status(), 422);
    let page = get("/complaints?category=signage", &manager).await.text().await.unwrap();
    assert!(!page.contains("@SUM"), "filtered out of the page");
    let page = get("/complaints?q=%40SUM", &manager).await.text().await.unwrap();
    assert!(page.contains("@SUM"));
    let csv = get("/complaints.csv?category=signage", &manager).await.text().await.unwrap();
    assert!(!csv.contains("@SUM"), "{csv}");

    // The applicant may not read the ledger: the page says so, no file.
    let applicant_cookie = cookie_of(&http, &base, "u_applicant").await;
    let r = get("/ledger.csv", &applicant_cookie).await;
    assert_eq!(r.status(), 403);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let r = get("/complaints.csv", &applicant_cookie).await;
    assert_eq!(r.status(), 403, "the complaints register is for those who handle complaints");
}
