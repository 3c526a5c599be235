//! The security campaign's findings (issue 16), repeated against a real `mimamori demo` over real
//! HTTP, each asserting the secure behaviour: response headers and no inline script (L6), no open
//! redirect (L7), form posts from another site refused, login included (L5), spreadsheet
//! formulas neutralised in the open-data CSV (L9), stream addresses only rtsp(s) without
//! credentials (M7) and hidden from non-keepers (M6), camera codes that could leave the data
//! directory refused (M8), API tokens and TOTP only after re-authentication (M4), and the lockout
//! answer the same as an unknown login (M3).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::start_demo;
use serde_json::{Value, json};

const PASSWORD: &str = "mimamori-demo-2026";

async fn token(c: &reqwest::Client, base: &str, login: &str) -> String {
    common::bearer_token(c, base, login, PASSWORD).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_campaigns_findings_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = start_demo("asahikawa", &dir.path().join("d"), &["--cameras", "1"]);
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // L6: every page and API answer carries the headers; pages carry no inline script.
    for path in ["/login", "/contact", "/public/cameras", "/api/v1/public/cameras"] {
        let r = c.get(format!("{base}{path}")).send().await.unwrap();
        let h = r.headers().clone();
        let csp = h
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff", "{path}");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY", "{path}");
        assert!(
            h.get("referrer-policy").is_some() && h.get("permissions-policy").is_some(),
            "{path}"
        );
        let body = r.text().await.unwrap();
        for inline in ["onclick=", "onsubmit=", "<script>", "javascript:"] {
            assert!(!body.contains(inline), "{path} has inline script: {inline}");
        }
    }

    // L7: the language switch goes back to a path of this site only.
    let r = c
        .get(format!("{base}/lang/en"))
        .header("referer", "http://x//evil.example/p")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("location").unwrap(), "/");
    let r = c
        .get(format!("{base}/lang/en"))
        .header("referer", format!("{base}/contact"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("location").unwrap(), "/contact");

    // L5: a login form posted from another site is refused before it is looked at.
    let r = c
        .post(format!("{base}/login"))
        .header("origin", "http://evil.example")
        .form(&[("login", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none(), "no session from a foreign form");

    // M3: a locked account answers exactly as an unknown login does.
    let unknown: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "login": "nobody-here", "password": "x-wrong-password" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for _ in 0..6 {
        let r = c
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "login": "u_applicant", "password": "x-wrong-password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["detail"], unknown["detail"]);
    }

    let admin = token(&c, &base, "admin").await;
    let post = |path: &str, t: &str, body: Value| {
        c.post(format!("{base}{path}")).bearer_auth(t).json(&body).send()
    };
    // M8: a camera code that would name a directory outside the recorder's.
    let (_, sites) = {
        let r = c.get(format!("{base}/api/v1/sites")).bearer_auth(&admin).send().await.unwrap();
        ((), r.json::<Value>().await.unwrap())
    };
    let site = sites[0]["id"].clone();
    let cam = |code: &str, url: &str, name: &str| {
        json!({ "code": code, "site_id": site, "name": name, "install_date": "2026-04-01",
                "public_share_permille": 800, "consensus_note": "町内会で合意", "rtsp_url": url })
    };
    let r = post("/api/v1/cameras", &admin, cam("../../escaped-cam", "", "x")).await.unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "code", "{v}");
    // M7: only rtsp(s), never credentials.
    for url in [
        "http://10.0.0.5/stream",
        "rtsp://admin:pw@10.0.0.5/s",
        "rtsp://10.0.0.5/s?user=admin&password=pw",
        "file:///etc/passwd",
    ] {
        let r = post("/api/v1/cameras", &admin, cam("cam-x", url, "x")).await.unwrap();
        assert_eq!(r.status(), 422, "{url}");
    }
    // L9: a name that a spreadsheet would run as a formula is plain text in the open-data CSV.
    let r = post(
        "/api/v1/cameras",
        &admin,
        cam("cam-f", "rtsp://10.0.0.5/s?channel=1", "=HYPERLINK(\"http://evil\")"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let csv = c
        .get(format!("{base}/api/v1/public/cameras?format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{csv}");
    assert!(!csv.contains(",\"=HYPERLINK"));
    // M6: police see cameras but not where their streams are fetched from.
    let police = token(&c, &base, "u_police_image_manager").await;
    let cams: Value = c
        .get(format!("{base}/api/v1/cameras"))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(cams.as_array().unwrap().iter().all(|c| c["rtsp_url"].is_null()), "{cams}");
    let cams: Value = c
        .get(format!("{base}/api/v1/cameras"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        cams.as_array()
            .unwrap()
            .iter()
            .any(|c| c["rtsp_url"].as_str().is_some_and(|u| u.starts_with("rtsp://")))
    );

    // M4: a bare session mints no token and switches no second factor.
    let r = post("/api/v1/me/tokens", &admin, json!({ "name": "x", "days": 30 })).await.unwrap();
    assert_eq!(r.status(), 422, "the password is part of the request");
    let r = post(
        "/api/v1/me/tokens",
        &admin,
        json!({ "name": "x", "days": 30, "password": "wrong-password-1" }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let r = post(
        "/api/v1/me/tokens",
        &admin,
        json!({ "name": "x", "days": 365, "password": PASSWORD }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422, "tokens live 90 days at most");
    let r =
        post("/api/v1/me/tokens", &admin, json!({ "name": "x", "days": 30, "password": PASSWORD }))
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let r = post("/api/v1/me/totp", &admin, json!({})).await.unwrap();
    assert_eq!(r.status(), 422);
}
