//! The pages. Each handler reads through the API as the browser's session, renders HTML, and
//! turns an API refusal into the same status with the API's reason.

use crate::Ui;
use crate::client::Answer;
use crate::i18n::{Lang, t};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const LANG_COOKIE: &str = "mimamori_lang";

fn lang(headers: &HeaderMap) -> Lang {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(headers);
    Lang::parse(jar.get(LANG_COOKIE).map(|c| c.value()))
}

/// The signed-in user as `/api/v1/me` describes them.
struct Me(Value);

impl Me {
    fn csrf(&self) -> &str {
        self.0["csrf_token"].as_str().unwrap_or("")
    }
    fn id(&self) -> i64 {
        self.0["id"].as_i64().unwrap_or(0)
    }
    fn can(&self, perm: &str) -> bool {
        self.0["roles"].as_array().into_iter().flatten().any(|r| {
            r["permissions"].as_array().into_iter().flatten().any(|p| p.as_str() == Some(perm))
        })
    }
    fn roles(&self, l: Lang) -> String {
        let key = if l == Lang::Ja { "name_ja" } else { "name_en" };
        let names: Vec<&str> = self.0["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r[key].as_str())
            .collect();
        names.join("、")
    }
}

/// Loads the user, or answers with the login page redirect.
async fn me(ui: &Ui, headers: &HeaderMap) -> Result<Me, Response> {
    let a = ui.api.get("/api/v1/me", headers).await;
    if a.ok() { Ok(Me(a.json)) } else { Err(Redirect::to("/login").into_response()) }
}

/// A page request from a logged-in user: language, the user, and the browser's headers (to call
/// the API as that user). Without a session the browser is sent to the login page.
pub struct Session {
    l: Lang,
    me: Me,
    headers: HeaderMap,
}

impl axum::extract::FromRequestParts<Arc<Ui>> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        ui: &Arc<Ui>,
    ) -> Result<Self, Self::Rejection> {
        let headers = parts.headers.clone();
        let me = me(ui, &headers).await?;
        Ok(Session { l: lang(&headers), me, headers })
    }
}

fn style_link() -> Markup {
    html! { link rel="stylesheet" href="/assets/style.css"; }
}

/// The page frame: header, navigation for what this user may do, language switch.
fn page(l: Lang, me: Option<&Me>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t(l, "app_name")) }
                (style_link())
            }
            body {
                header.top {
                    a.brand href="/" { (t(l, "app_name")) }
                    @if let Some(m) = me {
                        nav aria-label="main" {
                            a href="/" { (t(l, "dashboard")) }
                            @if m.can("request.submit") || m.can("request.review") || m.can("instruction.issue") || m.can("footage.extract") || m.can("ledger.read") || m.can("request.relay") || m.can("instruction.relay") {
                                a href="/requests" { (t(l, "requests")) }
                            }
                            @if m.can("request.submit") { a href="/requests/new" { (t(l, "new_request")) } }
                            @if m.can("ledger.read") { a href="/ledger" { (t(l, "ledger")) } }
                            @if m.can("emergency.order") || m.can("emergency.extract") || m.can("emergency.file") {
                                a href="/emergency" { (t(l, "emergency")) }
                            }
                            a href="/cameras" { (t(l, "cameras")) }
                            a href="/account" { (m.0["display_name"].as_str().unwrap_or("")) }
                        }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(m.csrf());
                            button type="submit" { (t(l, "logout")) }
                        }
                    }
                    a.lang href={ "/lang/" (l.other().code()) } lang=(l.other().code()) { (t(l, "language")) }
                }
                main {
                    h1 { (title) }
                    (body)
                }
                footer {
                    p.note { (t(l, "no_live_view")) }
                    @if let Some(m) = me { p.note { (t(l, "now")) ": " span #now { (m.0["now"].as_str().unwrap_or("")) } } }
                }
            }
        }
    }
}

fn problem_page(l: Lang, me: Option<&Me>, a: &Answer) -> Response {
    let key = match a.status {
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        _ => "error",
    };
    let body = html! {
        p.problem role="alert" { (a.detail()) }
        @if let Some(rule) = a.json["rule"].as_str() { p { "rule: " code { (rule) } } }
        p { a href="/" { (t(l, "back")) } }
    };
    (a.status, page(l, me, &t(l, key), body)).into_response()
}

/// `GET /assets/style.css`: plain CSS, A4 print for certificates and ledgers.
pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../assets/style.css"))
        .into_response()
}

/// `GET /lang/{ja|en}`: remembers the language.
pub async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let l = Lang::parse(Some(code.as_str()));
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map_or_else(|| "/".to_owned(), |u| u.path().to_owned());
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", l.code());
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn with_cookies(mut r: Response, cookies: &[HeaderValue]) -> Response {
    for c in cookies {
        r.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    r
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    totp: String,
}

fn login_page(l: Lang, login: &str, error: Option<&str>) -> Markup {
    page(
        l,
        None,
        &t(l, "login"),
        html! {
            @if let Some(e) = error { p.problem role="alert" id="login-error" { (t(l, "login_failed")) ": " (e) } }
            form method="post" action="/login" {
                label for="login" { (t(l, "login_name")) }
                input #login name="login" value=(login) autocomplete="username" required autofocus;
                label for="password" { (t(l, "password")) }
                input #password name="password" type="password" autocomplete="current-password" required;
                label for="totp" { (t(l, "totp")) }
                input #totp name="totp" inputmode="numeric" autocomplete="one-time-code";
                button type="submit" { (t(l, "login")) }
            }
        },
    )
}

/// `GET /login`.
pub async fn login_form(headers: HeaderMap) -> Markup {
    login_page(lang(&headers), "", None)
}

/// `POST /login`: a cookie session through the API.
pub async fn login(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = lang(&headers);
    let mut body = json!({ "login": f.login, "password": f.password, "session": "cookie" });
    if !f.totp.trim().is_empty() {
        body["totp"] = json!(f.totp.trim());
    }
    let a = ui
        .api
        .call(axum::http::Method::POST, "/api/v1/auth/login", &headers, None, Some(body))
        .await;
    if a.ok() {
        with_cookies(Redirect::to("/").into_response(), &a.set_cookies)
    } else {
        (a.status, login_page(l, &f.login, Some(&a.detail()))).into_response()
    }
}

/// A form carrying only the CSRF token (and maybe a few fields).
#[derive(Deserialize)]
pub struct Plain {
    csrf: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

/// `POST /logout`.
pub async fn logout(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<Plain>,
) -> Response {
    let a = ui.api.post("/api/v1/auth/logout", &headers, &f.csrf, json!({})).await;
    with_cookies(Redirect::to("/login").into_response(), &a.set_cookies)
}

/// A JST RFC 3339 instant as printed on Japanese forms: `令和8年11月24日 10時05分` (the Reiwa era
/// from 2019-05-01; earlier dates in the Gregorian calendar).
fn wareki(rfc3339: &str) -> String {
    let Ok(t) = policy::jst::parse_rfc3339(rfc3339) else { return rfc3339.to_owned() };
    let d = policy::jst::civil(t);
    let date = if (d.year(), d.month(), d.day()) >= (2019, 5, 1) {
        let y = d.year() - 2018;
        let y = if y == 1 { "元".to_owned() } else { y.to_string() };
        format!("令和{y}年{}月{}日", d.month(), d.day())
    } else {
        format!("{}年{}月{}日", d.year(), d.month(), d.day())
    };
    format!("{date} {}時{:02}分", d.hour(), d.minute())
}

/// The catalogue text of `{prefix}_{value}`, or the value itself for one the catalogue lacks.
fn label(l: Lang, prefix: &str, value: &str) -> String {
    let key = format!("{prefix}_{value}");
    let v = t(l, &key);
    if v == key { value.to_owned() } else { v }
}

fn state_label(l: Lang, s: &str) -> String {
    label(l, "state", s)
}

fn rec_label(l: Lang, s: &str) -> String {
    label(l, "rec", s)
}

/// `GET /`: my tasks and the cameras.
pub async fn dashboard(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    if me.0["must_acknowledge"] == true || me.0["must_change_password"] == true {
        return Redirect::to("/account").into_response();
    }
    // One read of the requests for every list built from them.
    let (mut review, mut relay, mut approved) = (Vec::new(), Vec::new(), Vec::new());
    if me.can("request.review") || me.can("request.relay") || me.can("instruction.issue") {
        let a = ui.api.get("/api/v1/requests", &headers).await;
        for r in a.json.as_array().into_iter().flatten() {
            match r["state"].as_str() {
                Some("submitted") if me.can("request.relay") => relay.push(r.clone()),
                Some("submitted" | "relayed") if me.can("request.review") => review.push(r.clone()),
                Some("approved") if me.can("instruction.issue") => approved.push(r.clone()),
                _ => {}
            }
        }
    }
    let mut mine = Vec::new();
    if me.can("instruction.issue") || me.can("instruction.relay") || me.can("footage.extract") {
        let a = ui.api.get("/api/v1/instructions", &headers).await;
        for i in a.json.as_array().into_iter().flatten() {
            if i["state"] == "open" && i["issued_to"].as_i64() == Some(me.id()) {
                mine.push(i.clone());
            }
        }
    }
    let recorder = ui.api.get("/api/v1/recorder/status", &headers).await;
    let nothing = review.is_empty() && relay.is_empty() && mine.is_empty() && approved.is_empty();
    let body = html! {
        p { (me.0["display_name"].as_str().unwrap_or("")) "（" (me.roles(l)) "）" }
        p.ws {
            (t(l, "workstation")) ": "
            @match me.0["workstation"]["name"].as_str() {
                Some(n) => (n),
                None => (t(l, "no_workstation")),
            }
        }
        section aria-labelledby="tasks" {
            h2 #tasks { (t(l, "my_tasks")) }
            @if nothing { p { (t(l, "no_tasks")) } }
            @if !relay.is_empty() { h3 { (t(l, "task_relay")) } (request_list(l, &relay)) }
            @if !review.is_empty() { h3 { (t(l, "task_review")) } (request_list(l, &review)) }
            @if !approved.is_empty() { h3 { (t(l, "instruct")) } (request_list(l, &approved)) }
            @if !mine.is_empty() {
                h3 { (t(l, "task_instruction")) }
                ul.tasks {
                    @for i in &mine {
                        li { a href={ "/requests/" (i["request_id"]) } { (t(l, "instructions")) " #" (i["id"]) " — " (i["from"].as_str().unwrap_or("")) " 〜 " (i["to"].as_str().unwrap_or("")) } }
                    }
                }
            }
        }
        section aria-labelledby="cams" {
            h2 #cams { (t(l, "cameras")) }
            (recorder_table(l, &recorder))
        }
    };
    page(l, Some(&me), &t(l, "dashboard"), body).into_response()
}

fn recorder_table(l: Lang, a: &Answer) -> Markup {
    if !a.ok() {
        return html! { p { (t(l, "no_recorder")) } };
    }
    html! {
        table {
            thead { tr { th { (t(l, "cameras_field")) } th { (t(l, "recorder_state")) } th { (t(l, "last_frame")) } th { (t(l, "gaps_today")) } } }
            tbody {
                @for c in a.json["cameras"].as_array().into_iter().flatten() {
                    tr {
                        td { (c["camera"].as_str().unwrap_or("")) }
                        td { (rec_label(l, c["state"].as_str().unwrap_or(""))) " " (c["detail"].as_str().unwrap_or("")) }
                        td { (c["last_frame_ms"].as_i64().and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()).map(policy::jst::rfc3339).unwrap_or_default()) }
                        td { (c["gaps_today"]) }
                    }
                }
            }
        }
    }
}

fn request_list(l: Lang, rows: &[Value]) -> Markup {
    html! {
        table {
            thead { tr { th { (t(l, "number")) } th { (t(l, "state")) } th { (t(l, "recipient")) } th { (t(l, "cameras_field")) } th { (t(l, "range_from")) } th { (t(l, "range_to")) } } }
            tbody {
                @for r in rows {
                    tr {
                        td { a href={ "/requests/" (r["id"]) } { (r["number"].as_str().unwrap_or("")) } }
                        td { (state_label(l, r["state"].as_str().unwrap_or(""))) }
                        td { (r["recipient"].as_str().unwrap_or("")) }
                        td { (list(&r["cameras"])) }
                        td { (r["from"].as_str().unwrap_or("")) }
                        td { (r["to"].as_str().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

/// A form's name in the profile (`[[forms]]`), or its id.
fn form_name(profile: &Value, id: &str, name: &str) -> String {
    profile["forms"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["id"].as_str() == Some(id))
        .and_then(|f| f[name].as_str())
        .unwrap_or(id)
        .to_owned()
}

fn list(v: &Value) -> String {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
}

/// `GET /requests`.
pub async fn requests(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get("/api/v1/requests", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let rows: Vec<Value> = a.json.as_array().cloned().unwrap_or_default();
    page(l, Some(&me), &t(l, "requests"), request_list(l, &rows)).into_response()
}

/// Values and errors of the request form, kept when it fails.
#[derive(Default)]
struct RequestDraft {
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
    detail: Option<String>,
}

fn field_error(d: &RequestDraft, field: &str) -> Option<String> {
    d.errors
        .iter()
        .find(|(f, _)| f == field || f.starts_with(&format!("{field}[")))
        .map(|(_, m)| m.clone())
}

async fn request_form(ui: &Ui, headers: &HeaderMap, me: &Me, l: Lang, d: &RequestDraft) -> Markup {
    let profile = ui.api.get("/api/v1/profile", headers).await.json;
    let cams = ui.api.get("/api/v1/cameras", headers).await.json;
    let name = if l == Lang::Ja { "name_ja" } else { "name_en" };
    let v = |k: &str| d.values.get(k).cloned().unwrap_or_default();
    let err = |k: &str| field_error(d, k);
    let chosen: Vec<String> = v("cameras").split(',').map(str::to_owned).collect();
    let forms: Vec<String> = {
        let mut f: Vec<String> = Vec::new();
        for b in profile["bases"].as_array().into_iter().flatten() {
            for x in b["documents"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(b["documents_any_of"].as_array().into_iter().flatten())
            {
                if let Some(s) = x.as_str()
                    && !f.iter().any(|y| y == s)
                {
                    f.push(s.to_owned());
                }
            }
        }
        if let Some(s) = profile["workflow"]["request_form"].as_str()
            && !f.iter().any(|y| y == s)
        {
            f.push(s.to_owned());
        }
        f
    };
    html! {
        @if let Some(dt) = &d.detail { p.problem role="alert" { (dt) } }
        form method="post" action="/requests/new" novalidate {
            input type="hidden" name="csrf" value=(me.csrf());
            label for="basis" { (t(l, "basis")) }
            select #basis name="basis" required aria-describedby="basis-err" {
                @for b in profile["bases"].as_array().into_iter().flatten() {
                    option value=(b["id"].as_str().unwrap_or("")) selected[v("basis") == b["id"].as_str().unwrap_or("")] { (b[name].as_str().unwrap_or("")) " (" (b["rule"].as_str().unwrap_or("")) ")" }
                }
            }
            @if let Some(e) = err("basis") { p.field-error #basis-err { (e) } }
            label for="purpose" { (t(l, "purpose")) }
            select #purpose name="purpose" required {
                @for p in profile["purposes"].as_array().into_iter().flatten() {
                    option value=(p["id"].as_str().unwrap_or("")) selected[v("purpose") == p["id"].as_str().unwrap_or("")] { (p[name].as_str().unwrap_or("")) }
                }
            }
            @if let Some(e) = err("purpose") { p.field-error { (e) } }
            label for="recipient" { (t(l, "recipient")) }
            input #recipient name="recipient" value=(v("recipient")) required;
            @if let Some(e) = err("recipient") { p.field-error { (e) } }
            label for="case_summary" { (t(l, "case_summary")) }
            textarea #case_summary name="case_summary" rows="3" { (v("case_summary")) }
            @if let Some(e) = err("case_summary") { p.field-error { (e) } }
            fieldset {
                legend { (t(l, "documents")) }
                @for (i, f) in forms.iter().enumerate() {
                    label for={ "doc-" (i) } { (form_name(&profile, f, name)) " — " (t(l, "document_reference")) }
                    input id={ "doc-" (i) } name={ "doc:" (f) } value=(v(&format!("doc:{f}")));
                }
                @if let Some(e) = err("documents") { p.field-error { (e) } }
            }
            fieldset {
                legend { (t(l, "cameras_field")) }
                @for c in cams.as_array().into_iter().flatten() {
                    @let code = c["code"].as_str().unwrap_or("");
                    label.check {
                        input type="checkbox" name={ "cam:" (code) } value="1" checked[chosen.iter().any(|x| x == code)];
                        (code) " " (c["name"].as_str().unwrap_or(""))
                    }
                }
                @if let Some(e) = err("cameras") { p.field-error { (e) } }
            }
            label for="from" { (t(l, "range_from")) }
            input #from name="from" type="datetime-local" step="1" value=(v("from")) required;
            @if let Some(e) = err("from") { p.field-error { (e) } }
            label for="to" { (t(l, "range_to")) }
            input #to name="to" type="datetime-local" step="1" value=(v("to")) required;
            @if let Some(e) = err("to").or_else(|| err("range")) { p.field-error { (e) } }
            button type="submit" { (t(l, "submit")) }
        }
    }
}

/// `GET /requests/new`.
pub async fn new_request(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    if !me.can("request.submit") {
        // The API would refuse the POST too; the page says so at once.
        let a = ui.api.post("/api/v1/requests", &headers, me.csrf(), json!({})).await;
        return problem_page(l, Some(&me), &a);
    }
    let form = request_form(&ui, &headers, &me, l, &RequestDraft::default()).await;
    page(l, Some(&me), &t(l, "new_request"), form).into_response()
}

/// A field of a form posted as pairs (empty if absent).
fn field(f: &[(String, String)], k: &str) -> String {
    f.iter().find(|(a, _)| a == k).map(|(_, b)| b.clone()).unwrap_or_default()
}

/// The cameras ticked in a form (`cam:CODE` checkboxes).
fn checked_cameras(f: &[(String, String)]) -> Vec<String> {
    f.iter().filter_map(|(k, _)| k.strip_prefix("cam:").map(str::to_owned)).collect()
}

/// A `datetime-local` value (JST wall time) as RFC 3339 with +09:00.
fn jst_input(v: &str) -> String {
    let v = v.trim();
    if v.is_empty() {
        return String::new();
    }
    let with_secs = if v.len() == 16 { format!("{v}:00") } else { v.to_owned() };
    format!("{with_secs}+09:00")
}

/// `POST /requests/new`.
pub async fn create_request(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let Session { l, me, headers } = s;
    let get = |k: &str| field(&f, k);
    let cameras = checked_cameras(&f);
    let documents: Vec<Value> = f
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("doc:")
                .filter(|_| !v.trim().is_empty())
                .map(|form| json!({ "form": form, "reference": v.trim() }))
        })
        .collect();
    let body = json!({
        "basis": get("basis"), "purpose": get("purpose"), "recipient": get("recipient"),
        "case_summary": get("case_summary"), "documents": documents, "cameras": cameras,
        "from": jst_input(&get("from")), "to": jst_input(&get("to")),
    });
    let a = ui.api.post("/api/v1/requests", &headers, &get("csrf"), body).await;
    if a.ok() {
        return Redirect::to(&format!("/requests/{}", a.json["id"])).into_response();
    }
    // Nothing typed is lost: the form comes back with the API's messages beside the fields.
    let mut values: HashMap<String, String> = f.iter().cloned().collect();
    values.insert("cameras".into(), cameras.join(","));
    let d = RequestDraft { values, errors: a.field_errors(), detail: Some(a.detail()) };
    let form = request_form(&ui, &headers, &me, l, &d).await;
    (a.status, page(l, Some(&me), &t(l, "new_request"), form)).into_response()
}

/// `GET /requests/{id}`: the request, its instructions, extractions and packages, and the
/// actions this user may take now.
pub async fn request(State(ui): State<Arc<Ui>>, s: Session, Path(id): Path<i64>) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get(&format!("/api/v1/requests/{id}"), &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let r = a.json;
    let state = r["state"].as_str().unwrap_or("");
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let csrf = me.csrf();
    let mut packages = Vec::new();
    for e in r["extractions"].as_array().into_iter().flatten() {
        if e["operator_id"].as_i64() == Some(me.id()) {
            let p =
                ui.api.get(&format!("/api/v1/extractions/{}/packages", e["id"]), &headers).await;
            packages.extend(p.json["packages"].as_array().cloned().unwrap_or_default());
        }
    }
    let my_open: Vec<&Value> = r["instructions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["state"] == "open" && i["issued_to"].as_i64() == Some(me.id()))
        .collect();
    let chain_len = profile["workflow"]["chain"].as_array().map_or(0, Vec::len);
    let recipients = |step: usize| {
        let ui = ui.clone();
        let headers = headers.clone();
        async move {
            ui.api.get(&format!("/api/v1/instructions/recipients?step={step}"), &headers).await.json
        }
    };
    let first_recipients = if state == "approved" && me.can("instruction.issue") {
        recipients(1).await
    } else {
        Value::Null
    };
    let mut relay_to = HashMap::new();
    for i in &my_open {
        let step = i["step"].as_u64().unwrap_or(1) as usize;
        if step + 1 < chain_len {
            relay_to.insert(i["id"].as_i64().unwrap_or(0), recipients(step + 1).await);
        }
    }
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        dl.record {
            dt { (t(l, "number")) } dd #number { (r["number"].as_str().unwrap_or("")) }
            dt { (t(l, "state")) } dd #state { (state_label(l, state)) }
            dt { (t(l, "basis")) } dd { (r["basis_name_ja"].as_str().unwrap_or("")) " (" (r["basis_rule"].as_str().unwrap_or("")) ")" }
            dt { (t(l, "purpose")) } dd { (r["purpose_name_ja"].as_str().unwrap_or("")) }
            dt { (t(l, "recipient")) } dd { (r["recipient"].as_str().unwrap_or("")) }
            dt { (t(l, "case_summary")) } dd { (r["case_summary"].as_str().unwrap_or("")) }
            dt { (t(l, "cameras_field")) } dd { (list(&r["cameras"])) }
            dt { (t(l, "range_from")) } dd { (r["from"].as_str().unwrap_or("")) }
            dt { (t(l, "range_to")) } dd { (r["to"].as_str().unwrap_or("")) }
            dt { (t(l, "submitted_at")) } dd { (r["created_at"].as_str().unwrap_or("")) }
        }
        @if r["certificate_number"].is_string() {
            p { a href={ "/requests/" (id) "/certificate" } { (t(l, "certificate")) " " (r["certificate_number"].as_str().unwrap_or("")) } }
        }
        @if (state == "submitted") && me.can("request.relay") {
            form method="post" action={ "/requests/" (id) "/act/relay" } { input type="hidden" name="csrf" value=(csrf); button #relay { (t(l, "relay")) } }
        }
        @if (state == "submitted" || state == "relayed") && me.can("request.review") {
            section.actions {
                h2 { (t(l, "reviewed")) }
                form method="post" action={ "/requests/" (id) "/act/approve" } { input type="hidden" name="csrf" value=(csrf); button #approve { (t(l, "approve")) } }
                form method="post" action={ "/requests/" (id) "/act/refuse" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="reason" { (t(l, "refuse_reason")) }
                    input #reason name="reason" required;
                    button #refuse { (t(l, "refuse")) }
                }
            }
        }
        @if state == "approved" && me.can("instruction.issue") {
            section.actions {
                h2 { (t(l, "instruct")) }
                form method="post" action={ "/requests/" (id) "/instruct" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="to_account" { (t(l, "instruct_to")) }
                    select #to_account name="to_account" required {
                        @for a in first_recipients.as_array().into_iter().flatten() {
                            option value=(a["id"]) { (a["display_name"].as_str().unwrap_or("")) " (" (a[if l == Lang::Ja { "role_name_ja" } else { "role_name_en" }].as_str().unwrap_or("")) ")" }
                        }
                    }
                    label for="note" { (t(l, "instruction_note")) }
                    input #note name="note";
                    button #instruct { (t(l, "instruct")) }
                }
            }
        }
        @for i in &my_open {
            @let iid = i["id"].as_i64().unwrap_or(0);
            section.actions {
                h2 { (t(l, "instructions")) " #" (iid) }
                @if let Some(list) = relay_to.get(&iid) {
                    form method="post" action={ "/instructions/" (iid) "/relay" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="request" value=(id);
                        label for="relay_to" { (t(l, "instruct_to")) }
                        select #relay_to name="to_account" {
                            @for a in list.as_array().into_iter().flatten() { option value=(a["id"]) { (a["display_name"].as_str().unwrap_or("")) } }
                        }
                        button #relay-instruction { (t(l, "relay")) }
                    }
                } @else {
                    form method="post" action={ "/instructions/" (iid) "/extract" } onsubmit={ "return confirm('" (confirm) "')" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="request" value=(id);
                        label for="passphrase" { (t(l, "encrypt_passphrase")) }
                        input #passphrase name="passphrase" type="password" autocomplete="new-password";
                        button #extract { (t(l, "extract")) }
                    }
                }
            }
        }
        @if !packages.is_empty() {
            section {
                h2 { (t(l, "packages")) }
                table #packages {
                    thead { tr { th { "ID" } th { (t(l, "cameras_field")) } th { "SHA-256 (manifest)" } th { "" } } }
                    tbody {
                        @for p in &packages {
                            tr {
                                td { code { (p["id"].as_str().unwrap_or("")) } }
                                td { (p["camera"].as_str().unwrap_or("")) }
                                td { code.hash { (p["manifest_sha256"].as_str().unwrap_or("")) } }
                                td { a href=(p["href"].as_str().unwrap_or("")) download { (t(l, "download")) } }
                            }
                        }
                    }
                }
            }
        }
        @if state == "extracted" && me.can("ledger.write") {
            section.actions {
                h2 { (t(l, "write_ledger")) }
                form method="post" action={ "/requests/" (id) "/ledger" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="handover_date" { (t(l, "handover_date")) }
                    input #handover_date name="handover_date" type="date";
                    label for="data_hashes" { (t(l, "data_hashes")) }
                    textarea #data_hashes name="data_hashes" rows="3" {
                        @for e in r["extractions"].as_array().into_iter().flatten() {
                            @for h in e["manifest_hash"].as_str().unwrap_or("").split_whitespace() { "sha256:" (h) "\n" }
                        }
                    }
                    button #write-ledger { (t(l, "write_ledger")) }
                }
            }
        }
        @if state == "submitted" && me.can("request.submit") && r["requester_id"].as_i64() == Some(me.id()) {
            form method="post" action={ "/requests/" (id) "/act/withdraw" } onsubmit={ "return confirm('" (confirm) "')" } { input type="hidden" name="csrf" value=(csrf); button { (t(l, "withdraw")) } }
        }
    };
    let title = format!("{} {}", t(l, "requests"), r["number"].as_str().unwrap_or(""));
    page(l, Some(&me), &title, body).into_response()
}

/// `GET /requests/{id}/certificate`: the approval certificate, printable on A4.
pub async fn certificate(State(ui): State<Arc<Ui>>, s: Session, Path(id): Path<i64>) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get(&format!("/api/v1/requests/{id}/certificate"), &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let c = &a.json;
    let r = &c["request"];
    let body = html! {
        article.print-a4.certificate {
            p.right { (t(l, "number")) " " span #cert-number { (c["number"].as_str().unwrap_or("")) } }
            p.right { (wareki(c["approved_at"].as_str().unwrap_or(""))) }
            h2.center { (c["form"]["name_ja"].as_str().unwrap_or("")) }
            p { (r["recipient"].as_str().unwrap_or("")) " 様" }
            p { "次のとおり画像の提供を承認します。" }
            table {
                tr { th { (t(l, "requests")) } td { (r["number"].as_str().unwrap_or("")) } }
                tr { th { (t(l, "basis")) } td { (r["basis_name_ja"].as_str().unwrap_or("")) " (" (r["basis_rule"].as_str().unwrap_or("")) ")" } }
                tr { th { (t(l, "purpose")) } td { (r["purpose_name_ja"].as_str().unwrap_or("")) } }
                tr { th { (t(l, "cameras_field")) } td { (list(&r["cameras"])) } }
                tr { th { (t(l, "range_from")) } td { (wareki(r["from"].as_str().unwrap_or(""))) } }
                tr { th { (t(l, "range_to")) } td { (wareki(r["to"].as_str().unwrap_or(""))) } }
            }
            p.right { (c["profile"].as_str().unwrap_or("")) " " (c["approved_by"].as_str().unwrap_or("")) }
        }
        p.noprint { button onclick="window.print()" { (t(l, "print")) } }
    };
    page(l, Some(&me), &t(l, "certificate"), body).into_response()
}

/// Posts a form's JSON to the API as the browser's session; on success goes to `back`, on a
/// refusal shows the API's reason with its status.
async fn submit(
    ui: &Ui,
    headers: &HeaderMap,
    csrf: &str,
    path: &str,
    body: Value,
    back: &str,
) -> Response {
    let a = ui.api.post(path, headers, csrf, body).await;
    let l = lang(headers);
    if a.ok() {
        return Redirect::to(back).into_response();
    }
    let me = me(ui, headers).await.ok();
    problem_page(l, me.as_ref(), &a)
}

/// `POST /requests/{id}/act/{approve|refuse|relay|withdraw}`.
pub async fn request_action(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<Plain>,
) -> Response {
    let body = match action.as_str() {
        "refuse" => json!({ "reason": f.fields.get("reason").cloned().unwrap_or_default() }),
        "approve" | "relay" | "withdraw" => json!({}),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    submit(
        &ui,
        &headers,
        &f.csrf,
        &format!("/api/v1/requests/{id}/{action}"),
        body,
        &format!("/requests/{id}"),
    )
    .await
}

fn account_field(f: &Plain) -> Value {
    f.fields.get("to_account").and_then(|s| s.parse::<i64>().ok()).map_or(Value::Null, Value::from)
}

/// `POST /requests/{id}/instruct`.
pub async fn instruct(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<Plain>,
) -> Response {
    let mut body = json!({ "request_id": id, "to_account": account_field(&f) });
    if let Some(n) = f.fields.get("note").filter(|n| !n.trim().is_empty()) {
        body["note"] = json!(n);
    }
    submit(&ui, &headers, &f.csrf, "/api/v1/instructions", body, &format!("/requests/{id}")).await
}

/// `POST /instructions/{id}/{relay|extract}`: pass the instruction on, or carry it out (the
/// server makes the evidence packages, optionally encrypted to a passphrase).
pub async fn instruction_action(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<Plain>,
) -> Response {
    let back = format!("/requests/{}", f.fields.get("request").cloned().unwrap_or_default());
    let body = match action.as_str() {
        "relay" => json!({ "to_account": account_field(&f) }),
        "extract" => match f.fields.get("passphrase").filter(|p| !p.is_empty()) {
            Some(p) => json!({ "encrypt": { "passphrase": p } }),
            None => json!({}),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    submit(&ui, &headers, &f.csrf, &format!("/api/v1/instructions/{id}/{action}"), body, &back)
        .await
}

/// `POST /requests/{id}/ledger`.
pub async fn write_ledger(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<Plain>,
) -> Response {
    let hashes: Vec<String> = f
        .fields
        .get("data_hashes")
        .map(|s| s.lines().map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut body = json!({ "request_id": id, "data_hashes": hashes });
    if let Some(d) = f.fields.get("handover_date").filter(|d| !d.is_empty()) {
        body["handover_date"] = json!(d);
    }
    submit(&ui, &headers, &f.csrf, "/api/v1/ledger", body, "/ledger").await
}

/// `GET /ledger`: the usage ledger, printable.
pub async fn ledger(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get("/api/v1/ledger", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let body = html! {
        table #ledger.print-a4 {
            thead { tr { th { "#" } th { (t(l, "cameras_field")) } th { (t(l, "range_from")) } th { (t(l, "range_to")) } th { (t(l, "recipient")) } th { (t(l, "purpose")) } th { (t(l, "handover_date")) } th { (t(l, "data_hashes")) } } }
            tbody {
                @for e in a.json.as_array().into_iter().flatten() {
                    tr {
                        td { (e["id"]) }
                        td { (list(&e["cameras"])) }
                        td { (e["from"].as_str().unwrap_or("")) }
                        td { (e["to"].as_str().unwrap_or("")) }
                        td { (e["recipient"].as_str().unwrap_or("")) }
                        td { (e["purpose"].as_str().unwrap_or("")) }
                        td { (e["handover_date"].as_str().unwrap_or("")) }
                        td { code.hash { (list(&e["data_hashes"])) } }
                    }
                }
            }
        }
        p.noprint { button onclick="window.print()" { (t(l, "print")) } }
    };
    page(l, Some(&me), &t(l, "ledger"), body).into_response()
}

/// `GET /cameras`: registry and recording state; never a picture.
pub async fn cameras(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    let cams = ui.api.get("/api/v1/cameras", &headers).await;
    if !cams.ok() {
        return problem_page(l, Some(&me), &cams);
    }
    let rec = ui.api.get("/api/v1/recorder/status", &headers).await;
    let body = html! {
        table #registry {
            thead { tr { th { (t(l, "cameras_field")) } th { "" } th { "%" } } }
            tbody {
                @for c in cams.json.as_array().into_iter().flatten() {
                    tr { td { (c["code"].as_str().unwrap_or("")) } td { (c["name"].as_str().unwrap_or("")) } td { (c["public_share_permille"].as_i64().map(|p| format!("{:.1}", p as f64 / 10.0)).unwrap_or_default()) } }
                }
            }
        }
        h2 { (t(l, "recorder_state")) }
        (recorder_table(l, &rec))
    };
    page(l, Some(&me), &t(l, "cameras"), body).into_response()
}

/// `GET /account`: confidentiality acknowledgement and password change.
pub async fn account(s: Session) -> Response {
    let Session { l, me, .. } = s;
    account_page(l, &me, None).into_response()
}

fn account_page(l: Lang, me: &Me, error: Option<&str>) -> Markup {
    let conf = &me.0["confidentiality"][l.code()];
    page(
        l,
        Some(me),
        me.0["display_name"].as_str().unwrap_or(""),
        html! {
            @if let Some(e) = error { p.problem role="alert" { (e) } }
            p { (t(l, "role")) ": " (me.roles(l)) }
            @if me.0["must_acknowledge"] == true {
                section {
                    p.duty { (conf.as_str().unwrap_or("")) }
                    form method="post" action="/account" {
                        input type="hidden" name="csrf" value=(me.csrf());
                        input type="hidden" name="op" value="acknowledge";
                        button #acknowledge { "OK" }
                    }
                }
            }
            section {
                h2 { (t(l, "password")) }
                form method="post" action="/account" {
                    input type="hidden" name="csrf" value=(me.csrf());
                    input type="hidden" name="op" value="password";
                    label for="current" { "現在 / current" }
                    input #current name="current" type="password" autocomplete="current-password" required;
                    label for="new" { "新しい / new" }
                    input #new name="new" type="password" autocomplete="new-password" required;
                    button { (t(l, "submit")) }
                }
            }
        },
    )
}

/// `POST /account`.
pub async fn account_update(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<Plain>,
) -> Response {
    let l = lang(&headers);
    let (path, body) = match f.fields.get("op").map(String::as_str) {
        Some("acknowledge") => ("/api/v1/me/acknowledge", json!({})),
        Some("password") => (
            "/api/v1/me/password",
            json!({ "current_password": f.fields.get("current"), "new_password": f.fields.get("new") }),
        ),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    let a = ui.api.post(path, &headers, &f.csrf, body).await;
    if a.ok() {
        return with_cookies(Redirect::to("/").into_response(), &a.set_cookies);
    }
    match me(&ui, &headers).await {
        Ok(m) => (a.status, account_page(l, &m, Some(&a.detail()))).into_response(),
        Err(r) => r,
    }
}

/// `GET /enrol/{token}`: installs a workstation's device token on this browser (done once on
/// the dedicated PC when it is enrolled).
pub async fn enrol(headers: HeaderMap, Path(token): Path<String>) -> Response {
    let l = lang(&headers);
    if token.len() > 200
        || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=315360000",
        server::auth::WORKSTATION_COOKIE
    );
    let mut r = page(
        l,
        None,
        &t(l, "workstation"),
        html! { p #enrolled { (t(l, "enrolled")) } a href="/login" { (t(l, "login")) } },
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// rule: ASA-3.5b, NIS-10.4 (the rules themselves are the API's; this page shows them).
/// `GET /emergency`: emergency orders of my organisation (the city sees all), with the actions
/// this user may take, and the order form for those who may order.
pub async fn emergency(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get("/api/v1/emergency/orders", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let name = if l == Lang::Ja { "name_ja" } else { "name_en" };
    let csrf = me.csrf();
    let executors = if me.can("emergency.order") {
        ui.api.get("/api/v1/emergency/executors", &headers).await.json
    } else {
        Value::Null
    };
    let cams = ui.api.get("/api/v1/cameras", &headers).await.json;
    let mut packages: HashMap<i64, Vec<Value>> = HashMap::new();
    for o in a.json.as_array().into_iter().flatten() {
        if let Some(x) = o["extraction_id"].as_i64()
            && o["executor_id"].as_i64() == Some(me.id())
        {
            let p = ui.api.get(&format!("/api/v1/extractions/{x}/packages"), &headers).await;
            packages.insert(
                o["id"].as_i64().unwrap_or(0),
                p.json["packages"].as_array().cloned().unwrap_or_default(),
            );
        }
    }
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        @if a.json.as_array().is_none_or(Vec::is_empty) { p { (t(l, "no_orders")) } }
        @for o in a.json.as_array().into_iter().flatten() {
            @let id = o["id"].as_i64().unwrap_or(0);
            section.actions id={ "order-" (id) } {
                h2 { (o["number"].as_str().unwrap_or("")) " — " span.state { (state_label(l, o["state"].as_str().unwrap_or(""))) } }
                p { (list(&o["cameras"])) " " (o["from"].as_str().unwrap_or("")) " 〜 " (o["to"].as_str().unwrap_or("")) }
                p { (t(l, "urgency_reason")) ": " (o["urgency_reason"].as_str().unwrap_or("")) }
                @if let Some(due) = o["filing_due_at"].as_str() { p { (t(l, "filing_due")) ": " (due) } }
                @if o["follow_up_due"] == true { p.problem { (t(l, "follow_up_due")) } }
                @if o["state"] == "ordered" && o["executor_id"].as_i64() == Some(me.id()) {
                    form method="post" action={ "/emergency/" (id) "/extract" } onsubmit={ "return confirm('" (confirm) "')" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button.extract-order { (t(l, "extract_order")) }
                    }
                }
                @if let Some(pk) = packages.get(&id) {
                    ul.packages { @for p in pk { li { code { (p["id"].as_str().unwrap_or("")) } " " a href=(p["href"].as_str().unwrap_or("")) download { (t(l, "download")) } } } }
                }
                @if o["state"] == "extracted" && me.can("emergency.file") {
                    form method="post" action={ "/emergency/" (id) "/file" } {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "form-" (id) } { (t(l, "form")) }
                        select id={ "form-" (id) } name="form" {
                            @for f in profile["emergency"]["filing"]["forms"].as_array().into_iter().flatten() {
                                @let fid = f.as_str().unwrap_or("");
                                option value=(fid) { (form_name(&profile, fid, name)) }
                            }
                        }
                        label for={ "ref-" (id) } { (t(l, "document_reference")) }
                        input id={ "ref-" (id) } name="reference" required;
                        button.file-order { (t(l, "file_order")) }
                    }
                }
            }
        }
        @if me.can("emergency.order") {
            section.actions {
                h2 { (t(l, "new_order")) }
                form method="post" action="/emergency/new" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="executor" { (t(l, "executor")) }
                    select #executor name="executor" {
                        @for e in executors.as_array().into_iter().flatten() { option value=(e["id"]) { (e["display_name"].as_str().unwrap_or("")) } }
                    }
                    fieldset {
                        legend { (t(l, "cameras_field")) }
                        @for c in cams.as_array().into_iter().flatten() {
                            @let code = c["code"].as_str().unwrap_or("");
                            label.check { input type="checkbox" name={ "cam:" (code) } value="1"; (code) " " (c["name"].as_str().unwrap_or("")) }
                        }
                    }
                    label for="from" { (t(l, "range_from")) }
                    input #from name="from" type="datetime-local" step="1" required;
                    label for="to" { (t(l, "range_to")) }
                    input #to name="to" type="datetime-local" step="1" required;
                    label for="purpose" { (t(l, "purpose")) }
                    select #purpose name="purpose" {
                        @for p in profile["purposes"].as_array().into_iter().flatten() { option value=(p["id"].as_str().unwrap_or("")) { (p[name].as_str().unwrap_or("")) } }
                    }
                    label for="urgency_reason" { (t(l, "urgency_reason")) }
                    input #urgency_reason name="urgency_reason" required;
                    button #order { (t(l, "order")) }
                }
            }
        }
    };
    page(l, Some(&me), &t(l, "emergency"), body).into_response()
}

/// `POST /emergency/new`.
pub async fn create_order(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&f, k);
    let cameras = checked_cameras(&f);
    let body = json!({
        "executor_account": get("executor").parse::<i64>().ok(), "cameras": cameras,
        "from": jst_input(&get("from")), "to": jst_input(&get("to")),
        "purpose": get("purpose"), "urgency_reason": get("urgency_reason"),
    });
    submit(&ui, &headers, &get("csrf"), "/api/v1/emergency/orders", body, "/emergency").await
}

/// `POST /emergency/{id}/{extract|file}`.
pub async fn order_action(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<Plain>,
) -> Response {
    let body = match action.as_str() {
        "extract" => json!({}),
        "file" => json!({ "form": f.fields.get("form"), "reference": f.fields.get("reference") }),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    submit(
        &ui,
        &headers,
        &f.csrf,
        &format!("/api/v1/emergency/orders/{id}/{action}"),
        body,
        "/emergency",
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn japanese_era_on_forms() {
        assert_eq!(super::wareki("2026-11-24T10:05:00+09:00"), "令和8年11月24日 10時05分");
        assert_eq!(super::wareki("2019-05-01T00:00:00+09:00"), "令和元年5月1日 0時00分");
        assert_eq!(super::wareki("2019-04-30T23:59:00+09:00"), "2019年4月30日 23時59分");
        // UTC input is shown in JST.
        assert_eq!(super::wareki("2026-11-23T15:30:00Z"), "令和8年11月24日 0時30分");
    }
}
