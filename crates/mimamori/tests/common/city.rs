//! The demo used as a city uses it over HTTP: logins, the city's dedicated PC enrolled from the
//! printed link, and footage taken out through request → approval → instruction → extraction.

#![allow(dead_code, clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use serde_json::{Value, json};
use std::path::Path;

/// The demo accounts' password.
pub const PASSWORD: &str = "mimamori-demo-2026";

/// The demo's API over HTTP.
pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new(base: &str) -> Http {
        Http { base: base.into(), client: reqwest::Client::new() }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        pc: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut rb = self.client.request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(pc) = pc {
            rb = rb.header("x-mimamori-workstation", pc);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.unwrap()
    }

    pub async fn ok(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        pc: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let r = self.call(method, path, token, pc, body).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v
    }

    pub async fn login(&self, login: &str) -> String {
        let body = json!({ "login": login, "password": PASSWORD, "session": "bearer" });
        let v = self.ok("POST", "/api/v1/auth/login", None, None, Some(body)).await;
        v["token"].as_str().unwrap().to_owned()
    }

    /// Enrols the city's dedicated PC with the link the demo printed into `data`; its device
    /// token. A link enrols one PC: a second redemption is refused.
    pub async fn enrol_city_pc(&self, data: &Path) -> String {
        let logins = std::fs::read_to_string(data.join("demo-logins.txt")).unwrap();
        let link = logins.lines().find_map(|l| l.trim().strip_prefix("city: ")).unwrap().to_owned();
        let code = link.rsplit('/').next().unwrap().to_owned();
        let redeem = || {
            self.client
                .post(format!("{}/api/v1/workstations/enrol", self.base))
                .json(&json!({ "code": code }))
                .send()
        };
        let redeemed = redeem().await.unwrap();
        assert_eq!(redeemed.status(), 200);
        let pc = redeemed
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(&format!("{}=", server::auth::WORKSTATION_COOKIE)))
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_owned();
        assert_eq!(redeem().await.unwrap().status(), 404, "a link enrols one PC");
        pc
    }

    /// Takes `camera`'s footage of `[from, to]` out as Asahikawa's demo does it: the applicant
    /// asks, the manager approves and instructs the handling officer, who extracts on the
    /// city's PC. Returns the request, the officer's token and the package's bytes.
    pub async fn extract(
        &self,
        city_pc: &str,
        camera: &str,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> (Value, String, Vec<u8>) {
        let applicant = self.login("u_applicant").await;
        let request = self
            .ok("POST", "/api/v1/requests", Some(&applicant), None, Some(json!({
                "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川東警察署 刑事課",
                "case_summary": "コンビニ強盗の逃走経路の確認",
                "documents": [{"form": "application", "reference": "申-2026-88"}, {"form": "written_inquiry", "reference": "照-2026-88"}],
                "cameras": [camera], "from": policy::jst::rfc3339(from), "to": policy::jst::rfc3339(to) })))
            .await;
        let rid = request["id"].as_i64().unwrap();
        let manager = self.login("admin").await;
        let approve = format!("/api/v1/requests/{rid}/approve");
        self.ok("POST", &approve, Some(&manager), None, Some(json!({}))).await;
        let recipients = self
            .ok("GET", "/api/v1/instructions/recipients?step=1", Some(&manager), None, None)
            .await;
        let officer = recipients
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["login"] == "u_handling_officer")
            .unwrap()
            .clone();
        let ins = self
            .ok(
                "POST",
                "/api/v1/instructions",
                Some(&manager),
                None,
                Some(json!({ "request_id": rid, "to_account": officer["id"], "note": "指定範囲のみ" })),
            )
            .await;
        let officer = self.login("u_handling_officer").await;
        let x = self
            .ok(
                "POST",
                &format!("/api/v1/instructions/{}/extract", ins["id"]),
                Some(&officer),
                Some(city_pc),
                Some(json!({})),
            )
            .await;
        let pkg = &x["packages"][0];
        assert!(pkg["frames"].as_u64().unwrap() > 50, "{x}");
        let zip = self
            .call("GET", pkg["href"].as_str().unwrap(), Some(&officer), Some(city_pc), None)
            .await;
        assert_eq!(zip.status(), 200);
        let bytes = zip.bytes().await.unwrap().to_vec();
        (request, officer, bytes)
    }
}
