//! Problems in the client's language (issue 19, item 3): every error carries a stable message key
//! and parameters besides its text, the text follows `Accept-Language` (English by default), every
//! field at fault is named in one answer, and a browser asking for an unknown page gets a page in
//! its language, not JSON. Every message key the server names is in both catalogues.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn send(
    w: &World,
    path: &str,
    lang: Option<&str>,
    user: Option<&User>,
    body: Value,
) -> (StatusCode, Value, String) {
    let mut rb = w.api.http.post(format!("{}{path}", w.api.base)).json(&body);
    if let Some(l) = lang {
        rb = rb.header("accept-language", l);
    }
    if let Some(u) = user {
        rb = rb.bearer_auth(&u.token);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    let content_language = resp
        .headers()
        .get("content-language")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, resp.json().await.unwrap(), content_language)
}

fn fields(v: &Value) -> Vec<(String, String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_public_form_and_login_answer_in_japanese_with_every_field_at_once() {
    for backend in BACKENDS {
        // A Sunday, one of the public form's busy days.
        let w = World::new("kitakyushu", backend, "2026-12-06T10:00:00+09:00").await;
        let empty = json!({ "category": "", "body": "  ", "contact": "x".repeat(201), "camera": "nowhere" });
        let (s, v, cl) = send(
            &w,
            "/api/v1/public/complaints",
            Some("ja-JP,ja;q=0.9,en;q=0.5"),
            None,
            empty.clone(),
        )
        .await;
        assert_eq!((s.as_u16(), cl.as_str()), (422, "ja"), "{v:#}");
        assert_eq!(v["code"], "invalid_many");
        assert_eq!(v["detail"], "入力内容を確認してください（4件）。");
        let f = fields(&v);
        let codes: Vec<_> =
            f.iter().map(|(field, code, _)| (field.as_str(), code.as_str())).collect();
        assert_eq!(
            codes,
            [
                ("category", "choose"),
                ("body", "required"),
                ("contact", "too_long"),
                ("camera", "no_such_camera")
            ]
        );
        assert_eq!(f[1].2, "入力してください。");
        assert_eq!(f[2].2, "200バイト以内で入力してください。");
        assert_eq!(f[3].2, "カメラ「nowhere」は登録されていません。");
        assert_eq!(v["errors"][1]["label"], "内容");
        // The same problem in English, for a client that asks for it or names no language.
        for lang in [Some("en-GB,en;q=0.8"), None, Some("fr")] {
            let (s, v, cl) = send(&w, "/api/v1/public/complaints", lang, None, empty.clone()).await;
            assert_eq!((s.as_u16(), cl.as_str()), (422, "en"));
            assert_eq!(v["code"], "invalid_many");
            assert_eq!(v["errors"][1]["message"], "must not be empty", "{v:#}");
            assert!(
                v["detail"].as_str().unwrap().starts_with("4 problems: category: choose one"),
                "{v}"
            );
        }
        // Nothing was received.
        let (_, list) =
            w.api.get("/api/v1/complaints", w.holder(policy::Permission::ComplaintHandle)).await;
        assert!(list["items"].as_array().or(list.as_array()).unwrap().is_empty(), "{list}");

        // Login: empty fields are said together; a wrong password gets the one answer for every
        // failure, in Japanese.
        let (s, v, _) = send(
            &w,
            "/api/v1/auth/login",
            Some("ja"),
            None,
            json!({ "login": "", "password": "" }),
        )
        .await;
        assert_eq!(s.as_u16(), 422);
        let f = fields(&v);
        assert_eq!(f.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["login", "password"]);
        let login = w.user("manager").login;
        let (s, v, _) = send(
            &w,
            "/api/v1/auth/login",
            Some("ja"),
            None,
            json!({ "login": login, "password": "wrong-password-0" }),
        )
        .await;
        assert_eq!((s.as_u16(), v["code"].as_str()), (401, Some("login_failed")));
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .starts_with("ログイン名、パスワードまたは確認コードが違う"),
            "{v}"
        );

        // A refusal for lack of a role names the permission and, in Japanese, the roles by name.
        let officer = w.user("applicant");
        let mut rb =
            w.api.http.get(format!("{}/api/v1/accounts", w.api.base)).bearer_auth(&officer.token);
        rb = rb.header("accept-language", "ja");
        let v: Value = rb.send().await.unwrap().json().await.unwrap();
        assert_eq!(v["code"], "no_role", "{v}");
        assert!(v["detail"].as_str().unwrap().starts_with("この操作を行う権限がありません"), "{v}");
        assert!(v["rule"].is_string());
    }
}

#[tokio::test]
async fn a_request_form_sent_empty_is_told_everything_it_lacks_in_one_answer() {
    let w = World::new("asahikawa", Backend::Sqlite, "2026-12-29T10:00:00+09:00").await; // year-end closure
    let applicant = w.user("applicant");
    let body = json!({ "basis": "", "purpose": "", "recipient": "", "case_summary": "",
        "documents": [{"form": "application", "reference": ""}], "cameras": [], "from": "", "to": "" });
    let (s, v, _) = send(&w, "/api/v1/requests", Some("ja"), Some(&applicant), body).await;
    assert_eq!(s.as_u16(), 422, "{v:#}");
    let got: Vec<_> = fields(&v).into_iter().map(|(f, c, _)| format!("{f}={c}")).collect();
    assert_eq!(
        got,
        [
            "basis=choose",
            "purpose=choose",
            "recipient=required",
            "case_summary=required",
            "documents[0].reference=required",
            "from=required",
            "to=required",
            "cameras=cameras_required",
        ]
    );
    assert_eq!(v["detail"], "入力内容を確認してください（8件）。");
    // A policy refusal of one field stays among the others, with its rule.
    let body = json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川中央警察署",
        "case_summary": "", "documents": [{"form": "application", "reference": "申-1"}], "cameras": ["cam1"],
        "from": "2026-12-28T09:00:00+09:00", "to": "2026-12-28T10:00:00+09:00" });
    let (s, v, _) = send(&w, "/api/v1/requests", Some("ja"), Some(&applicant), body).await;
    assert_eq!(s.as_u16(), 422, "{v:#}");
    let f = fields(&v);
    assert_eq!(f[0].0, "case_summary");
    assert!(f.iter().any(|(field, _, _)| field.starts_with("documents")), "{v:#}");
    assert!(v["errors"].as_array().unwrap().iter().any(|e| e["rule"].is_string()), "{v:#}");
}

#[tokio::test]
async fn an_unknown_address_is_a_page_for_a_browser_and_a_problem_for_a_client() {
    let w = World::new("saku", Backend::Sqlite, "2026-12-07T09:00:00+09:00").await;
    let get = |path: &str, accept: &str, cookie: Option<&str>| {
        let mut rb = w.api.http.get(format!("{}{path}", w.api.base)).header("accept", accept);
        if let Some(c) = cookie {
            rb = rb.header("cookie", c);
        }
        rb.send()
    };
    let html = "text/html,application/xhtml+xml;q=0.9";
    let r = get("/no/such/page", html, None).await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let body = r.text().await.unwrap();
    assert!(body.contains("ページが見つかりません") && body.contains("href=\"/\""), "{body}");
    let r = get("/no/such/page", html, Some("mimamori_lang=en")).await.unwrap();
    assert!(r.text().await.unwrap().contains("Page not found"));
    // Under /api/, or for a client not asking for HTML: the problem document.
    for (path, accept) in [("/api/v1/nothing", html), ("/no/such/page", "application/json")] {
        let r = get(path, accept, None).await.unwrap();
        assert_eq!(r.status().as_u16(), 404);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "no_endpoint", "{path}");
    }
}

/// The Rust sources under `crate_dir/src`, each with its path.
fn sources(crate_dir: &str) -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(crate_dir);
    let mut files = vec![root.join("src")];
    let mut out = Vec::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            out.push((p, text));
        }
    }
    out
}

/// Every key the server names (`Msg::new("…")`, `too_many(…, "…")`), the policy crate's
/// refusals name (`.key("…")`) and the store's conflicts name is in both catalogues, so no
/// answer falls back to a bare key.
#[test]
fn every_message_key_the_server_names_is_in_the_catalogues() {
    let mut keys = Vec::new();
    let markers: [(&str, &[&str]); 3] = [
        ("server", &["Msg::new(\"", "too_many(wait, \""]),
        ("policy", &[".key(\""]),
        ("store", &["StoreError::conflict(\"", "from_write(e, \""]),
    ];
    for (krate, marks) in markers {
        for (_, text) in sources(krate) {
            for marker in marks {
                for part in text.split(marker).skip(1) {
                    keys.push(part[..part.find('"').unwrap()].to_owned());
                }
            }
        }
    }
    assert!(keys.len() > 200, "{} keys found", keys.len());
    for lang in [messages::Lang::Ja, messages::Lang::En] {
        for k in &keys {
            assert!(messages::problems(lang).contains_key(k), "{k} missing in {lang:?}");
        }
    }
}

/// The index just past the `)` closing the `(` at `open`, string literals skipped.
fn past_close(text: &[u8], open: usize) -> usize {
    let (mut depth, mut i) = (0usize, open);
    while i < text.len() {
        match text[i] {
            b'"' => {
                i += 1;
                while i < text.len() && text[i] != b'"' {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// Issue 19, item 3 — every refusal the rules make carries a message key (chained `.key(…)`),
/// so no refusal reaches a Japanese page in English.
#[test]
fn every_refusal_has_a_message_key() {
    let mut unkeyed = Vec::new();
    for krate in ["policy", "server"] {
        for (path, text) in sources(krate) {
            let bytes = text.as_bytes();
            for marker in ["Refusal::new(", "Refusal::state("] {
                let mut from = 0;
                while let Some(at) = text[from..].find(marker).map(|i| i + from) {
                    from = at + marker.len();
                    // The constructors themselves, and `..Refusal::new(…)` inside them.
                    let before = &text[at.saturating_sub(3)..at];
                    if before.ends_with("..") || text[..at].ends_with("fn ") {
                        continue;
                    }
                    let mut end = past_close(bytes, at + marker.len() - 1);
                    let mut keyed = false;
                    loop {
                        let rest = text[end..].trim_start();
                        let skipped = text.len() - end - rest.len();
                        let Some(call) = rest.strip_prefix('.') else { break };
                        let name: String =
                            call.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        if !call[name.len()..].starts_with('(') {
                            break;
                        }
                        keyed |= name == "key";
                        end = past_close(bytes, end + skipped + 1 + name.len());
                    }
                    if !keyed {
                        let line = text[..at].lines().count();
                        unkeyed.push(format!("{}:{line}", path.display()));
                    }
                }
            }
        }
    }
    assert!(unkeyed.is_empty(), "refusals without a message key: {unkeyed:#?}");
}

/// Refusals by the workflow's rules are said in Japanese too, with their rule; the English text
/// stays the refusal's own.
#[tokio::test]
async fn refusals_by_the_rules_are_said_in_the_clients_language() {
    // Monday 23 November 2026 is Labour Thanksgiving Day; the request is filed the day after.
    let w = World::new("asahikawa", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let applicant = w.user("applicant");
    let body = json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川中央警察署",
        "case_summary": "窃盗", "documents": [{"form": "application", "reference": "申-1"}, {"form": "written_inquiry", "reference": "照-1"}],
        "cameras": ["cam1"], "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T10:00:00+09:00" });
    let id = w.api.ok("/api/v1/requests", &applicant, body).await["id"].as_i64().unwrap();
    let reviewer = w.holder(policy::Permission::RequestReview).clone();
    let refuse = format!("/api/v1/requests/{id}/refuse");
    // No reason: the field is named, in Japanese, with the product rule.
    let (s, v, _) = send(&w, &refuse, Some("ja"), Some(&reviewer), json!({ "reason": " " })).await;
    assert_eq!(s.as_u16(), 422, "{v:#}");
    assert_eq!(v["errors"][0]["code"], "refusal_reason_required");
    assert_eq!(v["errors"][0]["message"], "不承認の理由を記入してください。");
    assert_eq!(v["detail"], "不承認の理由を記入してください。（PROD-REFUSE-1）");
    let (_, en, _) = send(&w, &refuse, None, Some(&reviewer), json!({ "reason": " " })).await;
    assert_eq!(en["detail"], "PROD-REFUSE-1: a refusal must record its reason");
    // Decided once: a second decision is a conflict, the state by its Japanese name.
    w.api.ok(&format!("/api/v1/requests/{id}/approve"), &reviewer, json!({})).await;
    let (s, v, _) =
        send(&w, &format!("/api/v1/requests/{id}/approve"), Some("ja"), Some(&reviewer), json!({}))
            .await;
    assert_eq!(s.as_u16(), 409, "{v:#}");
    let d = v["detail"].as_str().unwrap();
    assert!(d.starts_with("この申請は「承認済み」のため") && d.contains("（ASA-"), "{d}");
    let text = &d[..d.find('（').unwrap()];
    assert!(!text.chars().any(|c| c.is_ascii_lowercase()), "no English left: {d}");
    // The police's emergency path, asked in office hours on a Tuesday: refused in Japanese, with
    // the day and time and where to go instead (ASA-3.5b).
    let chief = w.user("police_image_manager");
    let op = w.user("police_image_operator");
    let order = json!({ "executor_account": op.id, "cameras": ["cam1"], "from": "2026-11-24T08:00:00+09:00",
        "to": "2026-11-24T09:00:00+09:00", "purpose": "criminal_investigation", "urgency_reason": "逃走中の被疑者" });
    let (s, v, _) =
        send(&w, "/api/v1/emergency/orders", Some("ja"), Some(&chief), order.clone()).await;
    assert_eq!((s.as_u16(), v["params"]["key"].as_str()), (403, Some("em_office_hours")), "{v:#}");
    let d = v["detail"].as_str().unwrap();
    assert!(
        d.starts_with("2026-11-24 10:00 は開庁日の執務時間内です。") && d.contains("申請の手続"),
        "{d}"
    );
    let (_, en, _) = send(&w, "/api/v1/emergency/orders", None, Some(&chief), order).await;
    assert!(
        en["detail"].as_str().unwrap().contains("is inside office hours on an open day"),
        "{en}"
    );
}

// rule: PROD-SOD-6, PROD-OWN-3 — the trust boundaries' refusals are said in the client's
// language too: an administrator activating the account he made, a PC registered for another
// organisation's people by someone who keeps only his own.
#[tokio::test]
async fn boundary_refusals_are_said_in_the_clients_language() {
    let w = World::new("kawaguchi", Backend::Sqlite, "2026-12-07T10:00:00+09:00").await;
    let station = org(&w, "police", "川口警察署").await;
    let acc = w.api.ok("/api/v1/accounts", &w.admin, json!({ "login": "keisatsu8", "display_name": "警察 八郎", "organisation_id": station, "initial_password": INITIAL })).await;
    let path = format!("/api/v1/accounts/{}/activate", acc["id"]);
    let (s, v, _) = send(&w, &path, Some("ja"), Some(&w.admin), json!({})).await;
    assert_eq!((s.as_u16(), v["params"]["key"].as_str()), (403, Some("sod_activation")), "{v:#}");
    assert_eq!(
        v["detail"],
        "このアカウントを作成したのはあなたです。有効化は別のアカウント管理者が行います。（PROD-SOD-6）"
    );
    let (_, en, _) = send(&w, &path, None, Some(&w.admin), json!({})).await;
    assert_eq!(
        en["detail"],
        "PROD-SOD-6: you made this account: another account administrator activates it"
    );
    // A community group's installer keeps its own group's accounts only.
    let group = org(&w, "community", "本町一丁目町会").await;
    let inst = member(&w, "a_inst", group, "installer", &w.admin).await;
    let body = json!({ "login": "x1", "display_name": "x", "organisation_id": w.admin.org, "initial_password": INITIAL });
    let (s, v, _) = send(&w, "/api/v1/accounts", Some("ja"), Some(&inst), body).await;
    assert_eq!(s.as_u16(), 422, "{v:#}");
    assert_eq!(v["errors"][0]["message"], "アカウントの管理は自分の組織の職員に限られます。");
    assert_eq!(v["rule"], "KAW-2.2.2");
    // A record that is not there (or not one's own to see) is named in the client's language.
    let (s, v, _) =
        send(&w, "/api/v1/accounts/987654/unlock", Some("ja"), Some(&w.admin), json!({})).await;
    assert_eq!((s.as_u16(), v["code"].as_str()), (404, Some("no_such_account")), "{v:#}");
    assert_eq!(v["detail"], "アカウント（987654）は見つかりません。");
    // The city's emblem where none is configured, asked by a citizen's browser.
    let r = w
        .api
        .http
        .get(format!("{}/api/v1/public/emblem", w.api.base))
        .header("accept-language", "ja")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["detail"], "市章は設定されていません。");
}
