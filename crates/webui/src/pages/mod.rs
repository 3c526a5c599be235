//! The pages. Each handler reads through the API as the browser's session, renders HTML, and
//! turns an API refusal into the same status with the API's reason.

use crate::Ui;
use crate::client::{Answer, FieldProblem};
use crate::i18n::{Lang, t};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use forms::PageForm;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use server::api::holds::RecorderStatus;
use server::api::lifecycle::PublicCity;
use std::collections::HashMap;
use std::sync::Arc;

/// The value of a read the page cannot do without; a refusal, or an answer that does not read
/// as its type, returns the problem page from the handler (as `?` would).
macro_rules! or_problem {
    ($read:expr, $l:expr, $me:expr) => {
        match $read {
            Ok(v) => v,
            Err(a) => return problem_page($l, Some($me), &a),
        }
    };
}

mod account;
mod admin;
mod csv_export;
mod duties;
mod emergency;
mod footage;
mod forms;
mod home;
mod oversight;
mod registry;
mod transparency;

pub use account::{account, account_update, enrol, enrol_confirm};
pub use admin::{accounts, accounts_post};
pub use csv_export::{audit_csv, complaints_csv, ledger_csv, requests_csv};
pub use duties::{duties, duties_post};
pub use emergency::{create_order, emergency, order_action, order_application};
pub use footage::{
    application, certificate, create_request, instruct, instruction_action, ledger, new_request,
    report, request, request_action, requests, write_ledger,
};
pub use home::dashboard;
pub use oversight::{
    audit, delegations, delegations_post, holds, holds_post, reconciliation, reconciliation_post,
    retention, retention_post, viewing, viewing_close, viewing_judge, viewings, viewings_post,
};
pub use registry::{
    cameras, cameras_post, contracts, contracts_post, masks, masks_post, nodes, nodes_post, room,
    room_post, workstations, workstations_post,
};
pub use transparency::{
    complaints, complaints_post, contact, contact_post, disposal_certificate, disposals,
    disposals_post, public_audit, public_cameras, public_report_file, public_reports, report_file,
    reports, reports_post, rules,
};

use messages::LANG_COOKIE;

fn lang(headers: &HeaderMap) -> Lang {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(headers);
    Lang::parse(jar.get(LANG_COOKIE).map(|c| c.value()))
}

/// The signed-in user as `/api/v1/me` describes them.
/// Read as the API's own type, so a page cannot misspell a field of it.
struct Me {
    view: server::api::session::MeView,
    /// The page asked for, so the navigation marks where the person is.
    path: String,
}

impl std::ops::Deref for Me {
    type Target = server::api::session::MeView;
    fn deref(&self) -> &Self::Target {
        &self.view
    }
}

impl Me {
    fn csrf(&self) -> &str {
        self.view.csrf_token.as_deref().unwrap_or("")
    }
    fn id(&self) -> i64 {
        self.view.id
    }
    fn can(&self, perm: &str) -> bool {
        self.view.roles.iter().flat_map(|r| r.permissions.iter().flatten()).any(|p| p == perm)
    }
    fn roles(&self, l: Lang) -> String {
        let names: Vec<&str> = self
            .view
            .roles
            .iter()
            .filter_map(|r| if l == Lang::Ja { &r.name_ja } else { &r.name_en }.as_deref())
            .collect();
        names.join("、")
    }
    /// The server's time now (JST, RFC 3339).
    fn now(&self) -> &str {
        &self.view.now
    }
}

/// Loads the user, or answers with the login page redirect (a session that is gone, or an
/// answer that does not read as the API's type).
async fn me(ui: &Ui, headers: &HeaderMap) -> Result<Me, Response> {
    match ui.api.get_as("/api/v1/me", headers).await {
        Ok(view) => Ok(Me { view, path: String::new() }),
        Err(_) => Err(Redirect::to("/login").into_response()),
    }
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
        let mut me = match me(ui, &headers).await {
            Ok(me) => me,
            // Without a session (never logged in, or expired while a form was being filled):
            // to the login page, which brings the person back here — for a form post, to the
            // page the form was on, where the browser restores what was typed (issue 19, item 6).
            Err(_) => {
                let back = if parts.method == axum::http::Method::GET {
                    parts.uri.path_and_query().map(|p| p.as_str().to_owned())
                } else {
                    headers
                        .get(axum::http::header::REFERER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| url::Url::parse(v).ok())
                        .map(|u| match u.query() {
                            Some(q) => format!("{}?{q}", u.path()),
                            None => u.path().to_owned(),
                        })
                };
                return Err(to_login(back.as_deref()));
            }
        };
        // The page asked for, so the navigation marks where the person is.
        me.path = parts.uri.path().to_owned();
        Ok(Session { l: lang(&headers), me, headers })
    }
}

/// One link of the main navigation, marked when it is the page shown; the home link carries
/// the number of my tasks.
fn nav_link(l: Lang, m: &Me, href: &str, text: &str) -> Markup {
    let tasks = Some(m.task_count).filter(|n| *n > 0 && href == "/");
    html! {
        a href=(href) aria-current=[(m.path == href).then_some("page")] {
            (text)
            @if let Some(n) = tasks {
                " " span.count #task-count aria-label={ (t(l, "my_tasks")) " " (n) } { (n) }
            }
        }
    }
}

/// The page's stylesheet and its one script (confirmations, printing): files, never inline, so
/// the Content-Security-Policy forbids inline script (issue 16, L6).
fn style_link() -> Markup {
    html! {
        link rel="stylesheet" href="/assets/tokens.css";
        link rel="stylesheet" href="/assets/style.css";
        script src="/assets/app.js" defer {}
    }
}

/// The cameras this person may name, as choices: (code, "code name").
async fn camera_choices(ui: &Ui, headers: &HeaderMap) -> Vec<(String, String)> {
    let cameras = ui.api.get_as::<Vec<server::api::admin::CameraView>>("/api/v1/cameras", headers);
    // (A filter offered without cameras when they cannot be read: the list itself still shows.)
    cameras
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let label = format!("{} {}", c.code, c.name);
            (c.code, label)
        })
        .collect()
}

/// The navigation, grouped as a clerk thinks of the work (issue 19, item 10): the day's work,
/// the registers kept, oversight, and one's own. Only what this person may open.
fn nav_groups(l: Lang, m: &Me) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let can = |p: &str| m.can(p);
    let mut work = vec![("/", t(l, "dashboard"))];
    if [
        "request.submit",
        "request.review",
        "instruction.issue",
        "footage.extract",
        "ledger.read",
        "request.relay",
        "instruction.relay",
    ]
    .iter()
    .any(|p| can(p))
    {
        work.push(("/requests", t(l, "requests")));
    }
    if can("request.submit") {
        work.push(("/requests/new", t(l, "new_request")));
    }
    if can("ledger.read") {
        work.push(("/ledger", t(l, "ledger")));
    }
    if m.emergency_path
        && [
            "emergency.order",
            "emergency.extract",
            "emergency.file",
            "reconciliation.review",
            "ledger.write",
        ]
        .iter()
        .any(|p| can(p))
    {
        work.push(("/emergency", t(l, "emergency")));
    }
    if can("footage.view") {
        work.push(("/viewings", t(l, "viewings")));
    }
    if m.has_duties {
        work.push(("/duties", t(l, "duties")));
    }
    let mut registers = vec![("/cameras", t(l, "cameras"))];
    if can("hold.manage") {
        registers.push(("/holds", t(l, "holds")));
    }
    if can("retention.set") {
        registers.push(("/retention", t(l, "retention")));
    }
    if can("delegation.manage") {
        registers.push(("/delegations", t(l, "delegations")));
    }
    if can("registry.manage") || can("recorder.operate") {
        registers.push(("/nodes", t(l, "nodes")));
    }
    if can("workstation.manage") {
        registers.push(("/workstations", t(l, "workstations")));
    }
    if m.central_room.is_some() {
        registers.push(("/room", t(l, "room_entries")));
    }
    if can("contract.manage") {
        registers.push(("/contracts", t(l, "contracts")));
    }
    if can("accounts.administer") || can("roles.designate") {
        registers.push(("/accounts", t(l, "accounts")));
    }
    if can("disposal.confirm") {
        registers.push(("/disposals", t(l, "disposals")));
    }
    let mut oversight = Vec::new();
    if (m.emergency_path && can("reconciliation.submit")) || can("reconciliation.review") {
        oversight.push(("/reconciliation", t(l, "reconciliation")));
    }
    if can("audit.read") {
        oversight.push(("/audit", t(l, "audit")));
    }
    if can("complaint.handle") {
        oversight.push(("/complaints", t(l, "complaints")));
    }
    if can("report.publish") && m.keeps_all {
        oversight.push(("/reports", t(l, "reports")));
    }
    let mine = vec![("/rules", t(l, "rules")), ("/account", m.display_name.clone())];
    vec![
        ("nav_work", work),
        ("nav_registers", registers),
        ("nav_oversight", oversight),
        ("nav_mine", mine),
    ]
}

/// The page frame: header, navigation for what this user may do, language switch; the city
/// named as the person's session says.
fn page(l: Lang, me: Option<&Me>, title: &str, body: Markup) -> Markup {
    let city =
        me.map(|m| PublicCity { ja: m.city.ja.clone(), en: m.city.en.clone(), emblem: None });
    page_of(l, me, city.as_ref(), title, body)
}

/// A public page (no session): the frame with the city's name (issue 19, item 8).
async fn public_page(ui: &Ui, l: Lang, title: &str, body: Markup) -> Markup {
    page_of(l, None, ui.city().await, title, body)
}

/// The frame. `city` is `None` where unknown (the product's name then).
fn page_of(
    l: Lang,
    me: Option<&Me>,
    city: Option<&PublicCity>,
    title: &str,
    body: Markup,
) -> Markup {
    // The city's emblem, when it configured one (issue 19, item 8): beside its name, so
    // decorative for a screen reader (the name follows).
    let emblem =
        city.and_then(|c| c.emblem.as_deref()).filter(|e| e.starts_with("/api/v1/public/"));
    let city = city
        .map(|c| if l == Lang::Ja { c.ja.as_str() } else { c.en.as_str() })
        .filter(|c| !c.is_empty());
    let site = match city {
        Some(c) => format!("{c} {}", t(l, "app_name_short")),
        None => t(l, "app_name"),
    };
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (site) }
                (style_link())
            }
            // Whose page this is: the browser keeps a form's draft for this person only and
            // restores it to no one else in the same tab (app.js; issue 19, item 6).
            body data-user=[me.map(|m| m.id())]
                data-draft-restored=[me.map(|_| t(l, "draft_restored"))]
                data-draft-discard=[me.map(|_| t(l, "draft_discard"))] {
                a.skip href="#main" { (t(l, "skip_to_content")) }
                header.top {
                    a.brand href="/" {
                        @if let Some(src) = emblem { img.emblem src=(src) alt="" height="32"; " " }
                        @if let Some(c) = city { span.city { (c) } " " (t(l, "app_name_short"))
                            small.product { " " (t(l, "product")) } }
                        @else { (t(l, "app_name")) }
                    }
                    @if let Some(m) = me {
                        nav.main aria-label=(t(l, "main_navigation")) {
                            @for (group, links) in nav_groups(l, m) {
                                @if !links.is_empty() {
                                    div.group {
                                        span.group-name { (t(l, group)) }
                                        ul {
                                            @for (href, text) in links {
                                                li { (nav_link(l, m, href, &text)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(m.csrf());
                            button type="submit" { (t(l, "logout")) }
                        }
                    }
                    a.lang href={ "/lang/" (l.other().code()) } lang=(l.other().code()) {
                            (t(l, "language")) }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer {
                    p.note { (t(l, "no_live_view")) }
                    nav.public aria-label=(t(l, "public_pages")) {
                        p.note {
                            a href="/public/cameras" { (t(l, "public_cameras")) } " · "
                            a href="/public/reports" { (t(l, "public_reports")) } " · "
                            a href="/rules" { (t(l, "rules_doc")) } " · "
                            a href="/public/audit" { (t(l, "public_audit")) } " · "
                            a href="/contact" { (t(l, "contact")) }
                        }
                    }
                    @if let Some(m) = me { p.note { (t(l, "now"))
                            ": " time #now datetime=(m.now()) { (when_at(l, m.now())) } } }
                }
            }
        }
    }
}

/// A table's header row: the columns' message keys in order (`""` or `"#"` for a column shown
/// as that text).
fn head(l: Lang, keys: &[&str]) -> Markup {
    html! {
        thead { tr { @for k in keys { th { @if k.is_empty() || *k == "#" { (k) }
                        @else { (t(l, k)) } } } } }
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
        @if let Some(rule) = a.rule() { p { "rule: " code { (rule) } } }
        p { a href="/" { (t(l, "back")) } }
    };
    (a.status, page(l, me, &t(l, key), body)).into_response()
}

/// `GET /assets/app.js`: confirmations and print buttons.
pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/app.js"),
    )
        .into_response()
}

/// `GET /assets/tokens.css`: the Digital Agency's design tokens, vendored unchanged
/// (`assets/vendor/design-tokens/SOURCE.md`, MIT).
pub async fn tokens() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../assets/vendor/design-tokens/tokens.css"),
    )
        .into_response()
}

/// `GET /assets/leaflet/{leaflet.js|leaflet.css}`: Leaflet, vendored unchanged
/// (`assets/vendor/leaflet/SOURCE.md`, BSD-2-Clause), for the camera maps.
pub async fn leaflet(Path(file): Path<String>) -> Response {
    let (kind, body) = match file.as_str() {
        "leaflet.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/vendor/leaflet/leaflet.js"),
        ),
        "leaflet.css" => {
            ("text/css; charset=utf-8", include_str!("../../assets/vendor/leaflet/leaflet.css"))
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// `GET /assets/leaflet/images/{file}`: the map markers.
pub async fn leaflet_image(Path(file): Path<String>) -> Response {
    let body: &[u8] = match file.as_str() {
        "marker-icon.png" => include_bytes!("../../assets/vendor/leaflet/images/marker-icon.png"),
        "marker-icon-2x.png" => {
            include_bytes!("../../assets/vendor/leaflet/images/marker-icon-2x.png")
        }
        "marker-shadow.png" => {
            include_bytes!("../../assets/vendor/leaflet/images/marker-shadow.png")
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, "image/png")], body).into_response()
}

/// A map of camera points (issue 19, item 11): Leaflet over the configured tiles, with the
/// tiles' attribution; the points also stand in the page's table, so the map adds and hides
/// nothing. Each point: latitude, longitude, label.
fn camera_map(l: Lang, tiles: &str, points: &[(f64, f64, String)]) -> Markup {
    let attribution =
        if tiles == crate::GSI_TILES { t(l, "map_attribution_gsi") } else { String::new() };
    html! {
        @if !points.is_empty() {
            link rel="stylesheet" href="/assets/leaflet/leaflet.css";
            script src="/assets/leaflet/leaflet.js" defer {}
            div #camera-map role="region" aria-label=(t(l, "camera_map")) data-tiles=(tiles)
                data-attribution=(attribution) {
                ul.map-points {
                    @for (la, lo, label) in points {
                        li data-lat=(la) data-lon=(lo) { (label) }
                    }
                }
            }
        }
    }
}

/// The page's Content-Security-Policy when it shows a map: images also from the tiles' origin.
fn with_map_csp(tiles: &str, mut resp: Response) -> Response {
    let origin: String = url::Url::parse(&tiles.replace(['{', '}'], ""))
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; \
         img-src 'self' data: blob: {origin}; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(v) = header::HeaderValue::from_str(&csp) {
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

/// The player page's Content-Security-Policy: the video element plays from a Media Source
/// (a `blob:` URL made by the page's own script), nothing else is loosened (issue 20).
fn with_player_csp(mut resp: Response) -> Response {
    const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
        img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; \
        frame-ancestors 'none'; form-action 'self'";
    resp.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    resp
}

/// `GET /assets/player.js`: the viewing player (Media Source Extensions, watermark, controls).
pub async fn player_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/player.js"),
    )
        .into_response()
}

/// `GET /assets/style.css`: plain CSS, A4 print for certificates and ledgers.
pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../assets/style.css"))
        .into_response()
}

/// `GET /lang/{ja|en}`: remembers the language.
pub async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let l = Lang::parse(Some(code.as_str()));
    remember(&headers, &format!("{LANG_COOKIE}={}", l.code()))
}

/// Sets a year-long preference cookie (`name=value`) and goes back to the page it was set on —
/// a path of this site only: `//host…` is another site (issue 16, L7).
fn remember(headers: &HeaderMap, cookie: &str) -> Response {
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| u.path().to_owned())
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\'))
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!("{cookie}; Path=/; SameSite=Lax; Max-Age=31536000");
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
    /// The page to return to (see [`local_return`]).
    #[serde(default)]
    next: String,
}

fn login_page(
    l: Lang,
    city: Option<&PublicCity>,
    login: &str,
    next: &str,
    error: Option<&str>,
    audit_halted: bool,
) -> Markup {
    page_of(
        l,
        None,
        city,
        &t(l, "login"),
        html! {
            // The audit log failed verification at start: nothing audited can be done, a login
            // included (issue 17) — said plainly before anyone tries.
            @if audit_halted {
                p.problem role="alert" #audit-halted { (t(l, "audit_halted"))
                    " " a href="/public/audit" { (t(l, "public_audit")) } }
            }
            @if let Some(e) = error { p.problem role="alert" id="login-error" {
                    (t(l, "login_failed"))
                    ": " (e) } }
            @if !next.is_empty() { p.note #login-return { (t(l, "login_to_return")) } }
            form method="post" action="/login" {
                @if !next.is_empty() { input type="hidden" name="next" value=(next); }
                label for="login" { (t(l, "login_name")) }
                input #login name="login" value=(login) autocomplete="username" required autofocus;
                label for="password" { (t(l, "password")) }
                input #password name="password" type="password" autocomplete="current-password"
                    required;
                label for="totp" { (t(l, "totp")) }
                input #totp name="totp" autocomplete="one-time-code" maxlength="40";
                button type="submit" { (t(l, "login")) }
            }
        },
    )
}

/// A page of this site to come back to after logging in: a local path only (`/requests/new`),
/// never another site (`//evil.example`, `https://…`) nor the login and logout pages themselves.
fn local_return(next: &str) -> Option<&str> {
    let path = next.split(['?', '#']).next().unwrap_or("");
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 512
        && !matches!(path, "/login" | "/logout");
    local.then_some(next)
}

/// The login page, remembering where to return (`/login?next=/requests/new`).
fn to_login(back: Option<&str>) -> Response {
    match back.and_then(local_return).filter(|b| *b != "/") {
        Some(b) => {
            let q: String = url::form_urlencoded::byte_serialize(b.as_bytes()).collect();
            Redirect::to(&format!("/login?next={q}")).into_response()
        }
        None => Redirect::to("/login").into_response(),
    }
}

/// `GET /login[?next=/page]`.
pub async fn login_form(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Markup {
    let audit = ui.api.get("/api/v1/public/audit", &headers).await;
    let halted = audit.read::<server::api::holds::PublicAudit>().is_ok_and(|a| a.halted.is_some());
    let next = q.get("next").map(String::as_str).and_then(local_return).unwrap_or("");
    login_page(lang(&headers), ui.city().await, "", next, None, halted)
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
    let next = local_return(&f.next).unwrap_or("");
    if a.ok() {
        // A password to change or rules to acknowledge come first, wherever the person was.
        let session = <server::api::session::LoggedIn as Deserialize>::deserialize(&a.json);
        let gated = match session {
            Ok(s) => s.must_change_password || s.must_acknowledge,
            Err(e) => {
                tracing::error!(%e, "a login answer did not read as its type");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let to = if gated {
            "/account"
        } else if next.is_empty() {
            "/"
        } else {
            next
        };
        with_cookies(Redirect::to(to).into_response(), &a.set_cookies)
    } else {
        let halted = a.status == axum::http::StatusCode::SERVICE_UNAVAILABLE;
        (a.status, login_page(l, ui.city().await, &f.login, next, Some(&a.detail()), halted))
            .into_response()
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

/// An instant from the API — RFC 3339 or UTC milliseconds — for people, to the minute in JST:
/// `令和8年12月1日(火) 22:00` / `Tue 1 Dec 2026 22:00` (issue 19, item 4); empty for none.
/// The cookie that keeps how a person wants years written (`western`; otherwise the era).
pub const YEARS_COOKIE: &str = "mimamori_years";

tokio::task_local! {
    /// How years are written on the page being rendered (the person's choice, from their cookie).
    static YEARS: policy::jst::Years;
}

/// How years are written on this page: the person's choice (issue 19, item 4), the era by default.
fn years() -> policy::jst::Years {
    YEARS.try_with(|y| *y).unwrap_or_default()
}

/// Renders the rest of the request with the years its cookie asks for.
pub async fn with_years(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(req.headers());
    let y = match jar.get(YEARS_COOKIE).map(|c| c.value()) {
        Some("western") => policy::jst::Years::Western,
        _ => policy::jst::Years::Era,
    };
    YEARS.scope(y, next.run(req)).await
}

/// `GET /years/{era|western}`: remembers how years are written for this person, back to the page.
pub async fn set_years(Path(style): Path<String>, headers: HeaderMap) -> Response {
    let style = if style == "western" { "western" } else { "era" };
    remember(&headers, &format!("{YEARS_COOKIE}={style}"))
}

/// An instant as this person writes instants, to the minute in JST; nothing for none. Every
/// page's times go through here ([`when_at`], [`at`]).
fn said_when(l: Lang, t: Option<jiff::Timestamp>) -> String {
    t.map(|t| policy::jst::when_in(t, l == Lang::Ja, years())).unwrap_or_default()
}

/// A deadline (the instant it passes) as its last day: `12月3日(木)まで`; nothing for none.
/// Every page's deadlines go through here ([`until_at`]).
fn said_until(l: Lang, t: Option<jiff::Timestamp>) -> String {
    let this_year = policy::jst::civil(jiff::Timestamp::now()).year();
    t.map(|t| policy::jst::deadline_in(t, l == Lang::Ja, this_year, years())).unwrap_or_default()
}

/// A calendar day from the API (`2026-12-01`) as this person writes days: `令和8年12月1日(火)`
/// (or the Western year by choice) in Japanese, `Tue 1 Dec 2026` in English; anything else as
/// it is.
fn day_text(l: Lang, d: &str) -> String {
    match d.parse::<jiff::civil::Date>() {
        Ok(day) if l == Lang::Ja => policy::jst::date_ja_in(day, years()),
        Ok(day) => policy::jst::date_en(day),
        Err(_) => d.to_owned(),
    }
}

/// An instant the API wrote (RFC 3339) as this person writes instants.
fn when_at(l: Lang, s: &str) -> String {
    said_when(l, policy::jst::parse_rfc3339(s).ok())
}

/// An optional instant the API wrote, as [`when_at`] says it (nothing for none).
fn at(l: Lang, s: &Option<String>) -> String {
    s.as_deref().map(|s| when_at(l, s)).unwrap_or_default()
}

/// A deadline the API wrote (RFC 3339) as its last day: `12月3日(木)まで`.
fn until_at(l: Lang, s: &str) -> String {
    said_until(l, policy::jst::parse_rfc3339(s).ok())
}

/// A JST RFC 3339 instant as printed on Japanese forms: `令和8年11月24日 10時05分`
/// ([`policy::jst::printed`]); anything else as it is.
fn wareki(rfc3339: &str) -> String {
    match policy::jst::parse_rfc3339(rfc3339) {
        Ok(t) => policy::jst::printed(t),
        Err(_) => rfc3339.to_owned(),
    }
}

/// The day of an instant in the Japanese era (`令和8年12月5日`), as paper dates a document.
fn wareki_day(rfc3339: &str) -> String {
    match policy::jst::parse_rfc3339(rfc3339) {
        Ok(t) => policy::jst::printed_day(policy::jst::date(t)),
        Err(_) => rfc3339.to_owned(),
    }
}

/// The catalogue text of `{prefix}_{value}`, or the value itself for one the catalogue lacks.
fn label(l: Lang, prefix: &str, value: &str) -> String {
    let key = format!("{prefix}_{value}");
    let v = t(l, &key);
    if v == key { value.to_owned() } else { v }
}

/// The name a unit enum of the API goes by on the wire (`fiscal_year`), to key the catalogue
/// with: the same text the API's JSON carries.
fn code<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn state_label(l: Lang, s: &str) -> String {
    label(l, "state", s)
}

fn rec_label(l: Lang, s: &str) -> String {
    label(l, "rec", s)
}

/// Where a camera's privacy masks are applied, and why not at the camera (issue 24, item 2).
fn mask_mode_label(l: Lang, mode: &node::MaskMode) -> String {
    use node::{BurnInReason as R, MaskMode};
    match mode.clone() {
        MaskMode::None => t(l, "mask_none"),
        MaskMode::Camera { verified_ms } => {
            let at = jiff::Timestamp::from_millisecond(verified_ms)
                .map(policy::jst::minute)
                .unwrap_or_default();
            t(l, "mask_camera").replace("{at}", &at)
        }
        MaskMode::Recorder { why } => {
            let why = match why {
                R::Configured => t(l, "mask_why_configured"),
                R::NotYetSeen => t(l, "mask_why_not_yet_seen"),
                R::CameraCannot { detail } => {
                    t(l, "mask_why_camera_cannot").replace("{detail}", &detail)
                }
                R::Unreachable { detail } => {
                    t(l, "mask_why_unreachable").replace("{detail}", &detail)
                }
                R::NotMasked { not_black, checked } => t(l, "mask_why_not_masked")
                    .replace("{not_black}", &not_black.to_string())
                    .replace("{checked}", &checked.to_string()),
                R::TooSmall => t(l, "mask_why_too_small"),
                R::Unchecked { detail } => t(l, "mask_why_unchecked").replace("{detail}", &detail),
            };
            t(l, "mask_recorder").replace("{why}", &why)
        }
    }
}

/// The recorder's state per camera and the clocks, as `GET /api/v1/recorder/status` says;
/// a refusal (no recorder here, or none of the person's cameras) says there is none.
fn recorder_table(l: Lang, status: Option<&RecorderStatus>) -> Markup {
    let Some(status) = status else {
        return html! { p { (t(l, "no_recorder")) } };
    };
    let ms =
        |m: Option<i64>| said_when(l, m.and_then(|m| jiff::Timestamp::from_millisecond(m).ok()));
    html! {
        table {
            (head(l, &["cameras_field", "recorder_state", "last_frame", "gaps_today", "masks_col"]))
            tbody {
                @for c in &status.cameras {
                    tr {
                        td { (c.camera) }
                        td { (rec_label(l, &code(&c.state))) " " (c.detail) }
                        td { (ms(c.last_frame_ms)) }
                        td { (c.gaps_today) }
                        td.masks { (mask_mode_label(l, &c.masks)) }
                    }
                }
            }
        }
        // The clocks every recorded time rests on (PROD-TIME-1).
        table #clocks {
            caption { (t(l, "clocks")) }
            (head(l, &["clock_host", "clock_synced", "clock_error", "clock_ok"]))
            tbody {
                @for c in &status.clocks {
                    tr {
                        td { (if c.host == "centre" { t(l, "clock_centre") } else {
                                    c.host.clone() }) }
                        td { (if c.synchronised { t(l, "yes") } else { t(l, "no") }) }
                        td { (format!("{:.0} ms", c.max_error_ms)) }
                        td {
                            @if c.within_tolerance { (t(l, "yes")) }
                            @else { strong.problem { (t(l, "no")) " (" (c.rule)
                                    ", ±" (c.tolerance_ms) " ms)" } }
                        }
                    }
                }
            }
        }
    }
}

fn request_list(l: Lang, rows: &[server::api::footage::RequestView]) -> Markup {
    html! {
        table {
            (head(l, &["number", "state", "recipient", "cameras_field", "range_from", "range_to"]))
            tbody {
                @for r in rows {
                    tr {
                        td { a href={ "/requests/" (r.id) } { (r.number) } }
                        td { (state_label(l, r.state.as_str())) }
                        td { (r.recipient) }
                        td { (r.cameras.join(", ")) }
                        td { (when_at(l, &r.from)) }
                        td { (when_at(l, &r.to)) }
                    }
                }
            }
        }
    }
}

/// A form's title in the profile (`[[forms]]`) in the page's language, or its id.
fn form_title(profile: &policy::Profile, id: &str, l: Lang) -> String {
    match profile.form(id) {
        Some(f) if l == Lang::Ja => f.name_ja.clone(),
        Some(f) => f.name_en.clone(),
        None => id.to_owned(),
    }
}

/// A form's name in the profile (`[[forms]]`), or its id.
fn form_name(profile: &policy::Profile, id: &str, l: Lang) -> String {
    match profile.form(id) {
        Some(f) if l == Lang::Ja => f.name_ja.clone(),
        Some(f) => f.name_en.clone(),
        None => id.to_owned(),
    }
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

/// An optional `datetime-local` field as RFC 3339 (JST), or `null` when blank.
fn local_instant(f: &Plain, k: &str) -> Value {
    let v = txt(f, k);
    if v.is_empty() { Value::Null } else { json!(jst_input(&v)) }
}

fn account_field(f: &Plain) -> Value {
    f.fields.get("to_account").and_then(|s| s.parse::<i64>().ok()).map_or(Value::Null, Value::from)
}

/// A form that the API refused: which form, what was typed, and the API's messages, so the page
/// comes back with everything still filled in and each message beside its field.
#[derive(Default)]
struct Draft {
    form: String,
    values: HashMap<String, String>,
    errors: Vec<FieldProblem>,
    detail: String,
    rule: Option<String>,
    /// The form whose submission just succeeded (`?done=approve`), for its confirmation.
    done: Option<String>,
}

impl Draft {
    /// A refused submission of `form` with the posted `values`.
    fn refused(form: &str, values: HashMap<String, String>, a: &Answer) -> Draft {
        Draft {
            form: form.to_owned(),
            values,
            errors: a.field_errors(),
            detail: a.detail(),
            rule: a.rule(),
            done: None,
        }
    }

    /// The confirmation of the form that just succeeded, if the catalogue has one
    /// (`done_approve` …).
    fn confirmation(&self, l: Lang) -> Markup {
        let key = self.done.as_deref().map(|f| format!("done_{f}"));
        let text = key.as_deref().map(|k| t(l, k)).filter(|x| Some(x.as_str()) != key.as_deref());
        html! { @if let Some(x) = text { p #done.success role="status" { (x) } } }
    }

    /// What was typed into `name` of `form` (empty for another form or a fresh page).
    fn v(&self, form: &str, name: &str) -> String {
        if self.form == form {
            self.values.get(name).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }

    /// The API's message about `name` of `form`.
    fn err(&self, form: &str, name: &str) -> Option<String> {
        if self.form != form {
            return None;
        }
        message_for(&self.errors, name)
    }

    /// The refusal shown at the top of `form`, with every field at fault linked.
    fn alert(&self, form: &str) -> Markup {
        html! {
            @if self.form == form && !self.detail.is_empty() {
                (error_summary(&self.detail, self.rule.as_deref(), &self.errors, &|f| {
                    format!("{form}-{}", base_field(f))
                }))
            }
        }
    }
}

/// The base name of an API field (`documents` for `documents[0].reference`).
fn base_field(field: &str) -> &str {
    field.split(['[', '.']).next().unwrap_or(field)
}

/// The message about input `name` among `errors` (its own, or of one of its parts).
fn message_for(errors: &[FieldProblem], name: &str) -> Option<String> {
    errors.iter().find(|e| base_field(&e.field) == name).map(|e| e.message.clone())
}

/// A refused form's summary at its top (issue 19, item 3): what happened, the rule if one
/// refused it, and — when more than one field is at fault — each of them, linked to its input
/// (`id_of` gives the input's id for an API field).
fn error_summary(
    detail: &str,
    rule: Option<&str>,
    errors: &[FieldProblem],
    id_of: &dyn Fn(&str) -> String,
) -> Markup {
    html! {
        div.error-summary role="alert" {
            p.problem {
                (detail)
                @if let Some(r) = rule { " (rule: " code { (r) } ")" }
            }
            @if errors.len() > 1 {
                ul {
                    @for e in errors {
                        li {
                            a href={ "#" (id_of(&e.field)) } {
                                @if !e.label.is_empty() { (e.label) ": " }
                                (e.message)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A labelled input of `form` with the API's message beside it. `kind` is the input type.
fn input(d: &Draft, form: &str, name: &str, label: &str, kind: &str, required: bool) -> Markup {
    let id = format!("{form}-{name}");
    let err = d.err(form, name);
    html! {
        label for=(id) { (label) @if required { " " span.req aria-hidden="true" { "*" } } }
        @if kind == "textarea" {
            textarea id=(id) name=(name) rows="3" required[required]
                aria-invalid=[err.as_ref().map(|_| "true")]
                aria-describedby=[err.as_ref().map(|_| format!("{id}-err"))] { (d.v(form, name)) }
        } @else {
            input id=(id) name=(name) type=(kind) step=[(kind == "datetime-local").then_some("1")]
                value=(d.v(form, name)) required[required]
                aria-invalid=[err.as_ref().map(|_| "true")]
                aria-describedby=[err.as_ref().map(|_| format!("{id}-err"))];
        }
        @if let Some(e) = err { p.field-error id={ (id) "-err" } { (e) } }
    }
}

/// A labelled select of `form`: `(value, text)` options, the typed value kept.
fn select(d: &Draft, form: &str, name: &str, label: &str, options: &[(String, String)]) -> Markup {
    let id = format!("{form}-{name}");
    let chosen = d.v(form, name);
    let err = d.err(form, name);
    html! {
        label for=(id) { (label) }
        select id=(id) name=(name) aria-describedby=[err.as_ref().map(|_| format!("{id}-err"))] {
            @for (v, text) in options { option value=(v) selected[*v == chosen] { (text) } }
        }
        @if let Some(e) = err { p.field-error id={ (id) "-err" } { (e) } }
    }
}

/// The hidden fields every form carries: the CSRF token, which form it is, and a one-time
/// token the API uses as the call's idempotency key — the same form sent twice (a double click,
/// Back and submit again, a retry after a timeout) files once.
fn form_head(me: &Me, form: &str) -> Markup {
    let once = server::auth::new_token().unwrap_or_default();
    html! {
        input type="hidden" name="csrf" value=(me.csrf());
        input type="hidden" name="form" value=(form);
        input type="hidden" name="form_token" value=(once);
    }
}

/// Posts a page's form to the API. On success: `Ok(answer)`. On a refusal: the posted values
/// and the API's messages, for the page to render again with nothing lost.
async fn post_form(
    ui: &Ui,
    headers: &HeaderMap,
    f: &Plain,
    path: &str,
    body: Value,
) -> Result<Answer, (StatusCode, Draft)> {
    let key = f.fields.get("form_token").map(String::as_str).filter(|k| !k.is_empty());
    let a = ui.api.call_once(Method::POST, path, headers, Some(&f.csrf), key, Some(body)).await;
    if a.ok() {
        return Ok(a);
    }
    let form = f.fields.get("form").cloned().unwrap_or_default();
    let mut values = f.fields.clone();
    // Secrets are never sent back into the page.
    for k in ["passphrase", "initial_password", "current", "new", "password"] {
        values.remove(k);
    }
    Err((a.status, Draft::refused(&form, values, &a)))
}

/// An optional text field: `null` when blank.
fn opt(f: &Plain, k: &str) -> Value {
    f.fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()).map_or(Value::Null, |v| json!(v))
}

/// A text field, trimmed ("" when absent).
fn txt(f: &Plain, k: &str) -> String {
    f.fields.get(k).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// A field exactly as typed, "" when absent (a password: its spaces count).
fn raw(f: &Plain, k: &str) -> String {
    f.fields.get(k).cloned().unwrap_or_default()
}

/// The last second (JST) of a `date` field's day, as RFC 3339; `None` when blank.
fn end_of_day(day: &str) -> Option<String> {
    (!day.is_empty()).then(|| format!("{day}T23:59:59+09:00"))
}

/// An id field: a number or `null` (the API then names the field).
fn num(f: &Plain, k: &str) -> Value {
    f.fields.get(k).and_then(|v| v.trim().parse::<i64>().ok()).map_or(Value::Null, Value::from)
}

#[cfg(test)]
mod tests {
    #[test]
    fn japanese_era_on_forms() {
        assert_eq!(super::wareki("2026-11-24T10:05:00+09:00"), "令和8年11月24日 10時05分");
        assert_eq!(super::wareki("2019-05-01T00:00:00+09:00"), "令和元年5月1日 0時00分");
        // Before Reiwa in its own era, as every other Japanese date of the product (policy::jst).
        assert_eq!(super::wareki("2019-04-30T23:59:00+09:00"), "平成31年4月30日 23時59分");
        // UTC input is shown in JST.
        assert_eq!(super::wareki("2026-11-23T15:30:00Z"), "令和8年11月24日 0時30分");
    }

    // Issue 19, item 6 — after a login the browser returns only to a page of this site: never
    // to another host (an open redirect a phishing mail could use), nor to the login itself.
    #[test]
    fn the_login_returns_only_to_this_sites_pages() {
        use super::local_return;
        assert_eq!(local_return("/requests/new"), Some("/requests/new"));
        assert_eq!(local_return("/requests?state=submitted"), Some("/requests?state=submitted"));
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "requests",
            "/login",
            "/login?next=/x",
            "/logout",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_return(bad), None, "{bad:?}");
        }
        let long = format!("/{}", "a".repeat(600));
        assert_eq!(local_return(&long), None);
    }
}

#[cfg(test)]
mod map_tests {
    use super::*;

    // Issue 19, item 11: a page with a map lets images come from the tiles' origin, and the
    // GSI's tiles carry their attribution (地理院タイル), as their terms ask.
    #[test]
    fn a_map_page_allows_its_tiles_origin_and_credits_the_gsi() {
        let resp = with_map_csp(crate::GSI_TILES, StatusCode::OK.into_response());
        let csp = resp.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap_or_default();
        assert!(
            csp.contains("img-src 'self' data: blob: https://cyberjapandata.gsi.go.jp;"),
            "{csp}"
        );
        assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"));
        let map = camera_map(Lang::Ja, crate::GSI_TILES, &[(35.8, 139.7, "cam1".into())]);
        assert!(map.0.contains("data-attribution=\"地理院タイル\""), "{}", map.0);
        let none = camera_map(Lang::Ja, crate::GSI_TILES, &[]);
        assert!(none.0.is_empty(), "no coordinates, no map");
    }
}
