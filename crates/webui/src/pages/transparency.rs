//! Transparency and lifecycle: the public contact form and camera list (no login), the
//! complaints register, the yearly report, the rules document, and disposals.

use super::*;
use server::api::holds::PublicAudit;
use server::api::lifecycle::{
    ComplaintReceipt, ComplaintView, DisposalView, PublicCameras, PublicReports,
};

const CATEGORIES: [&str; 5] = ["privacy", "signage", "placement", "footage", "other"];

/// The categories, none chosen for the writer (issue 19, item 7).
fn categories(l: Lang) -> Vec<(String, String)> {
    std::iter::once((String::new(), t(l, "choose")))
        .chain(CATEGORIES.iter().map(|c| ((*c).to_owned(), label(l, "category", c))))
        .collect()
}

/// `GET /contact`: the public complaint and inquiry form (KIT-7), no login.
pub async fn contact(State(ui): State<Arc<Ui>>, headers: HeaderMap) -> Response {
    contact_page(&ui, lang(&headers), &Draft::default(), StatusCode::OK).await
}

async fn contact_page(ui: &Ui, l: Lang, d: &Draft, status: StatusCode) -> Response {
    let body = html! {
        p { (t(l, "contact_help")) }
        (d.alert("contact"))
        form method="post" action="/contact" novalidate {
            input type="hidden" name="form" value="contact";
            (select(d, "contact", "category", &t(l, "category"), &categories(l)))
            (input(d, "contact", "camera", &t(l, "contact_camera"), "text", false))
            (input(d, "contact", "body", &t(l, "contact_body"), "textarea", true))
            (input(d, "contact", "contact", &t(l, "contact_reply"), "text", false))
            p.note { (t(l, "contact_privacy")) }
            button #send { (t(l, "send")) }
        }
        p { a href="/public/cameras" { (t(l, "public_cameras")) } }
    };
    (status, public_page(ui, l, &t(l, "contact"), body).await).into_response()
}

/// `POST /contact`.
pub async fn contact_post(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let l = lang(&headers);
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let body = json!({ "category": get("category"), "camera": opt("camera"), "body": get("body"),
            "contact": opt("contact") });
    let a = ui
        .api
        .call(axum::http::Method::POST, "/api/v1/public/complaints", &headers, None, Some(body))
        .await;
    if !a.ok() {
        let d = Draft::refused("contact", f, &a);
        return contact_page(&ui, l, &d, a.status).await;
    }
    let receipt = match a.read::<ComplaintReceipt>() {
        Ok(r) => r,
        Err(a) => return problem_page(l, None, &a),
    };
    let body = html! {
        p #received role="status" { (t(l, "contact_received")) }
        dl.record {
            dt { (t(l, "number")) } dd #complaint-number { (receipt.number) }
            dt { (t(l, "answer_by")) } dd { (until_at(l, &receipt.answer_by)) }
        }
    };
    public_page(&ui, l, &t(l, "contact"), body).await.into_response()
}

/// `GET /public/cameras`: where the cameras are, who runs them and what their signs say
/// (NIS-3.1b), with the open-data CSV; no footage, no personal data, no login.
pub async fn public_cameras(State(ui): State<Arc<Ui>>, headers: HeaderMap) -> Response {
    let l = lang(&headers);
    let a = ui.api.get("/api/v1/public/cameras", &headers).await;
    let list = match a.read::<PublicCameras>() {
        Ok(list) => list,
        Err(a) => return problem_page(l, None, &a),
    };
    let points: Vec<(f64, f64, String)> = list
        .cameras
        .iter()
        .filter_map(|c| Some((c.latitude?, c.longitude?, format!("{} {}", c.code, c.name))))
        .collect();
    let or_blank = |v: &Option<String>| v.clone().unwrap_or_default();
    let body = html! {
        p { (t(l, "public_cameras_help")) " " (list.operator) }
        (camera_map(l, &ui.map_tiles, &points))
        table #public-cameras {
            (head(l, &["code", "name", "site", "address", "installer", "signage_text", "map"]))
            tbody {
                @for c in &list.cameras {
                    tr {
                        td { (c.code) } td { (c.name) } td { (or_blank(&c.site)) }
                        td { (or_blank(&c.address)) }
                        td.installer {
                            // A group's or facility's own rules document (KAW-2.2.7).
                            @if let Some(id) = c.installer_id {
                                a href={ "/rules?installer=" (id) } { (c.installer) } }
                            @else { (c.installer) }
                        }
                        td { (or_blank(&c.signage_text)) }
                        td { @if let (Some(la), Some(lo)) = (c.latitude, c.longitude) {
                            a href={ "https://maps.gsi.go.jp/#17/" (la) "/" (lo) "/" }
                                rel="noopener" { (format!("{la:.4}, {lo:.4}")) }
                        } }
                    }
                }
            }
        }
        p { a #cameras-csv href="/api/v1/public/cameras?format=csv" download {
                (t(l, "open_data_csv")) }
            " · " a href="/contact" { (t(l, "contact")) } }
    };
    with_map_csp(
        &ui.map_tiles,
        public_page(&ui, l, &t(l, "public_cameras"), body).await.into_response(),
    )
}

/// `GET /public/audit`: the audit log's public key and newest signed checkpoints, and whether
/// the log is halted (issue 17, item 6). Anyone may keep copies: each copy kept is a witness
/// that the log's tail was not cut later.
pub async fn public_audit(State(ui): State<Arc<Ui>>, headers: HeaderMap) -> Response {
    let l = lang(&headers);
    let a = ui.api.get("/api/v1/public/audit", &headers).await;
    let log = match a.read::<PublicAudit>() {
        Ok(log) => log,
        Err(a) => return problem_page(l, None, &a),
    };
    let body = html! {
        @if let Some(why) = &log.halted {
            p.problem #audit-halted role="alert" { (t(l, "audit_halted")) " (" (why) ")" }
        }
        @for f in &log.recorder_findings {
            p.problem.recorder-finding role="alert" { (t(l, "audit_recorder_finding")) " (" (f)
                ")" }
        }
        p { (t(l, "public_audit_help")) }
        dl {
            dt { (t(l, "audit_log_id")) } dd { code #audit-log-id { (log.log_id) } }
            dt { (t(l, "audit_public_key")) } dd { code #audit-public-key { (log.public_key) } }
        }
        table #audit-checkpoints {
            (head(l, &["audit_entry_no", "audit_signed_at", "audit_entry_hash"]))
            tbody {
                @for c in &log.checkpoints {
                    tr {
                        td { (c.seq) }
                        td { (wareki(&policy::jst::rfc3339(c.at))) }
                        td { code { (c.hash.to_hex()) } }
                    }
                }
            }
        }
        p { a #audit-json href="/api/v1/public/audit" download="audit-checkpoints.json" {
                (t(l, "audit_checkpoints_json")) } }
    };
    public_page(&ui, l, &t(l, "public_audit"), body).await.into_response()
}

/// `GET /complaints`: the register — overdue ones escalated and marked, answers and closing.
pub async fn complaints(
    State(ui): State<Arc<Ui>>,
    s: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    complaints_page(&ui, s, Draft::default(), StatusCode::OK, &q).await
}

async fn complaints_page(
    ui: &Ui,
    s: Session,
    d: Draft,
    status: StatusCode,
    q: &HashMap<String, String>,
) -> Response {
    let Session { l, me, headers } = s;
    // The filters (issue 19, item 5): state, category, text; kept in the CSV link.
    let qs = super::csv_export::filters(q, super::csv_export::COMPLAINT_FILTERS);
    let pick = |k: &str| q.get(k).map(|v| v.trim()).unwrap_or("");
    let path = format!("/api/v1/complaints?{qs}");
    let complaints =
        or_problem!(ui.api.get_as::<Vec<ComplaintView>>(&path, &headers).await, l, &me);
    let channels: Vec<(String, String)> = ["phone", "counter", "mail"]
        .iter()
        .map(|c| ((*c).to_owned(), label(l, "channel", c)))
        .collect();
    let body = html! {
        form.filters method="get" action="/complaints" role="search" {
            label for="f-state" { (t(l, "state")) }
            select #f-state name="state" {
                option value="" { (t(l, "all_states")) }
                @for st in policy::complaint::ComplaintState::ALL.map(|s| s.key()) {
                    option value=(st) selected[pick("state") == st] {
                            (label(l, "complaint_state", st)) }
                }
            }
            label for="f-category" { (t(l, "category")) }
            select #f-category name="category" {
                option value="" { (t(l, "all_categories")) }
                @for c in CATEGORIES { option value=(c) selected[pick("category") == c] {
                        (label(l, "category", c)) } }
            }
            label for="f-q" { (t(l, "complaint_search")) }
            input #f-q name="q" type="search" value=(pick("q"));
            button type="submit" { (t(l, "search")) }
        }
        p { a #csv href={ "/complaints.csv?" (qs) } download { (t(l, "download_csv")) } }
        table #complaints {
            (head(l, &[
                "number", "received_at", "category", "cameras_field", "contact_body", "answer_by",
                "state",
            ]))
            tbody {
                @for c in &complaints {
                    @let id = c.id;
                    @let response = c.response.as_deref().unwrap_or("");
                    tr.overdue[c.overdue] {
                        td { (c.number) br; small { (label(l, "channel", &c.channel)) } }
                        td { (when_at(l, &c.received_at)) }
                        td { (label(l, "category", &c.category)) }
                        td { (c.camera.as_deref().unwrap_or("")) }
                        td { (c.body) br; small { (c.contact) } }
                        td { (until_at(l, &c.due_at))
                            @if c.overdue { br; strong.problem { (t(l, "overdue")) } } }
                        td {
                            @if c.closed_at.is_some() { (t(l, "closed")) " " (at(l, &c.closed_at))
                                br; (response) }
                            @else if c.responded_at.is_some() {
                                (response)
                                form method="post" action="/complaints" { (form_head(&me, "close"))
                                    input type="hidden" name="id" value=(id);
                                    button.close-complaint { (t(l, "close")) } }
                            } @else {
                                form method="post" action="/complaints" {
                                    (form_head(&me, "respond"))
                                    input type="hidden" name="id" value=(id);
                                    label for={ "response-" (id) } { (t(l, "response")) }
                                    textarea id={ "response-" (id) } name="response" rows="2"
                                        required {}
                                    button.respond { (t(l, "record_response")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        (d.alert("respond")) (d.alert("close"))
        section.actions {
            h2 { (t(l, "new_complaint")) }
            (d.alert("complaint"))
            form method="post" action="/complaints" novalidate {
                (form_head(&me, "complaint"))
                (select(&d, "complaint", "channel", &t(l, "channel"), &channels))
                (select(&d, "complaint", "category", &t(l, "category"), &categories(l)))
                (input(&d, "complaint", "camera", &t(l, "contact_camera"), "text", false))
                (input(&d, "complaint", "body", &t(l, "contact_body"), "textarea", true))
                (input(&d, "complaint", "contact", &t(l, "contact_reply"), "text", false))
                button #record-complaint { (t(l, "register")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "complaints"), body)).into_response()
}

/// `POST /complaints`.
pub async fn complaints_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let id = txt(&f, "id");
    let (path, body) = match f.form() {
        Some(PageForm::Complaint) => (
            "/api/v1/complaints".to_owned(),
            json!({ "channel": txt(&f, "channel"), "category": txt(&f, "category"),
                    "camera": opt(&f, "camera"),
                    "body": txt(&f, "body"), "contact": opt(&f, "contact") }),
        ),
        Some(PageForm::Respond) => {
            (format!("/api/v1/complaints/{id}/respond"), json!({ "response": txt(&f, "response") }))
        }
        Some(PageForm::Close) => (format!("/api/v1/complaints/{id}/close"), json!({})),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/complaints").into_response(),
        Err((status, d)) => complaints_page(&ui, s, d, status, &HashMap::new()).await,
    }
}

/// The report of a fiscal year, through the API as this user.
async fn annual(ui: &Ui, headers: &HeaderMap, fy: &str) -> Result<report::AnnualReport, Answer> {
    let a = ui.api.get(&format!("/api/v1/reports/annual?fiscal_year={fy}"), headers).await;
    if !a.ok() {
        return Err(a);
    }
    serde_json::from_value(a.json.clone()).map_err(|_| a)
}

/// `GET /reports?fiscal_year=2026`: the yearly public report (KIT-8) as it stands now, with its
/// files, and — for an ended year — the form that publishes it.
pub async fn reports(
    State(ui): State<Arc<Ui>>,
    s: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    reports_page(&ui, s, q.get("fiscal_year").cloned(), Draft::default(), StatusCode::OK).await
}

/// `POST /reports`: publishes the shown year's report.
pub async fn reports_post(State(ui): State<Arc<Ui>>, s: Session, Form(f): Form<Plain>) -> Response {
    let fy = txt(&f, "fiscal_year");
    let body = json!({ "fiscal_year": fy.parse::<i64>().unwrap_or(0), "note": opt(&f, "note") });
    match post_form(&ui, &s.headers, &f, "/api/v1/reports/annual/publish", body).await {
        Ok(_) => Redirect::to(&format!("/reports?fiscal_year={fy}#published-as")).into_response(),
        Err((status, d)) => reports_page(&ui, s, Some(fy), d, status).await,
    }
}

async fn reports_page(
    ui: &Ui,
    s: Session,
    fiscal_year: Option<String>,
    d: Draft,
    status: StatusCode,
) -> Response {
    let Session { l, me, headers } = s;
    let now = me.now().to_owned();
    let this_fy = policy::jst::parse_rfc3339(&now)
        .map(|t| {
            let d = policy::jst::civil(t);
            if d.month() >= 4 { d.year() } else { d.year() - 1 }
        })
        .unwrap_or(2026);
    let fy = fiscal_year.unwrap_or_else(|| this_fy.to_string());
    let published = ui.api.get_as::<PublicReports>("/api/v1/public/reports", &headers).await;
    let published = published.map(|p| p.reports).unwrap_or_default();
    let r = match annual(ui, &headers, &fy).await {
        Ok(r) => r,
        Err(a) => return problem_page(l, Some(&me), &a),
    };
    let ja = l == Lang::Ja;
    let below = r.meta.suppress_below;
    let body = html! {
        form method="get" action="/reports" {
            label for="fiscal_year" { (t(l, "fiscal_year")) }
            input #fiscal_year name="fiscal_year" type="number" value=(fy) min="2000" max="2100";
            button { (t(l, "show")) }
        }
        p { (t(l, "period")) ": " (&r.meta.from[..10]) " 〜 " (&r.meta.to[..10]) }
        p #report-files { (report_links(&r, &format!("/reports/{fy}"))) }
        @if fy.parse::<i32>().is_ok_and(|y| y < i32::from(this_fy)) {
            // An ended year can be published: frozen for the public page (KIT-8).
            (d.alert("publish"))
            form #publish-report method="post" action="/reports"
                data-confirm=(t(l, "publish_confirm")) {
                (form_head(&me, "publish"))
                input type="hidden" name="fiscal_year" value=(fy);
                (input(&d, "publish", "note", &t(l, "publish_note"), "text", false))
                button #publish type="submit" { (t(l, "publish_report")) }
            }
        } @else {
            p.note { (t(l, "report_year_open")) }
        }
        @if let Some(x) = published.iter().find(|x| x.fiscal_year.to_string() == fy) {
            p #published-as { (t(l, "published_at")) " " (when_at(l, &x.published_at))
                " (" (t(l, "version")) " " (x.version)
                ") — " a href="/public/reports" { (t(l, "public_reports")) } }
        }
        @for tb in &r.tables {
            h2 { @if ja { (tb.title_ja) } @else { (tb.title_en) } }
            table id={ "report-" (tb.id) } {
                thead { tr { @for c in &tb.columns { th { @if ja { (c.0) } @else { (c.1) } } } } }
                tbody { @for row in &tb.rows { tr { @for c in row { td {
                                    (c.text(ja, below)) } } } } }
            }
        }
        p.note { (t(l, "suppression_note")) " (" (r.meta.suppression_rule) ")" }
    };
    (status, page(l, Some(&me), &t(l, "reports"), body)).into_response()
}

/// `GET /reports/{fy}/{file}`: the report's files as they stand now (HTML ja/en, JSON, CSV),
/// for checking before publication.
pub async fn report_file(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path((fy, file)): Path<(String, String)>,
) -> Response {
    match annual(&ui, &s.headers, &fy).await {
        Ok(r) => report_file_of(&r, &file),
        Err(a) => problem_page(s.l, Some(&s.me), &a),
    }
}

/// One file of report `r`: `report.ja.html`, `report.en.html`, `report.json` or a table's CSV.
fn report_file_of(r: &report::AnnualReport, file: &str) -> Response {
    let typed =
        |ct: &'static str, body: Vec<u8>| ([(header::CONTENT_TYPE, ct)], body).into_response();
    match file {
        "report.ja.html" => {
            typed("text/html; charset=utf-8", report::html(r, true).into_string().into_bytes())
        }
        "report.en.html" => {
            typed("text/html; charset=utf-8", report::html(r, false).into_string().into_bytes())
        }
        "report.json" => {
            typed("application/json", report::json(r).unwrap_or_default().into_bytes())
        }
        csv => match report::csv_files(r) {
            Ok(files) => {
                match files.into_iter().find(|(name, _)| name.ends_with(&format!("-{csv}"))) {
                    Some((name, bytes)) => {
                        let mut resp = typed("text/csv; charset=utf-8", bytes);
                        if let Ok(v) =
                            HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                        {
                            resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                        }
                        resp
                    }
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
    }
}

/// The links to a report's files under `base` (`/reports/2026` or `/public/reports/2026`).
fn report_links(r: &report::AnnualReport, base: &str) -> Markup {
    html! {
        a href={ (base) "/report.ja.html" } { "HTML（日本語）" } " · "
        a href={ (base) "/report.en.html" } { "HTML (English)" } " · "
        a href={ (base) "/report.json" } { "JSON" }
        @for t in &r.tables { " · " a href={ (base) "/" (t.id) ".csv" } { (t.id) ".csv" } }
    }
}

/// `GET /public/reports`: the published yearly reports (KIT-8), no login.
pub async fn public_reports(State(ui): State<Arc<Ui>>, headers: HeaderMap) -> Response {
    let l = lang(&headers);
    let reports = match ui.api.get_as::<PublicReports>("/api/v1/public/reports", &headers).await {
        Ok(r) => r,
        Err(a) => return problem_page(l, None, &a),
    };
    let body = html! {
        p { (reports.operator) " — " (t(l, "public_reports_help")) }
        @if reports.reports.is_empty() { p #no-reports { (t(l, "no_published_reports")) } }
        ul #published-reports {
            @for x in &reports.reports {
                @let fy = x.fiscal_year;
                li {
                    a href={ "/public/reports/" (fy) "/report." (l.code()) ".html" } {
                        (fiscal_year_name(l, fy)) }
                    " — " (t(l, "published_at")) " " (when_at(l, &x.published_at))
                    @if x.version > 1 { " (" (t(l, "revised")) " " (x.version) ")" }
                    " · " a href={ "/public/reports/" (fy) "/report.json" } { "JSON" }
                }
            }
        }
    };
    public_page(&ui, l, &t(l, "public_reports"), body).await.into_response()
}

/// `GET /public/reports/{fy}/{file}`: a file of the report as published, no login.
pub async fn public_report_file(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path((fy, file)): Path<(String, String)>,
) -> Response {
    let l = lang(&headers);
    let a = ui.api.get(&format!("/api/v1/public/reports/{fy}"), &headers).await;
    // The published report is served as it was frozen (the API keeps it as a JSON document, so a
    // later change of the report's shape cannot alter what was published); it is read as today's
    // `AnnualReport` to lay out its files, and one that no longer reads is a server error.
    let frozen = a.read::<server::api::lifecycle::PublicReport>().and_then(|p| {
        let doc =
            Answer { status: StatusCode::OK, json: p.report, set_cookies: Vec::new(), next: None };
        doc.read::<report::AnnualReport>()
    });
    match frozen {
        Ok(r) => report_file_of(&r, &file),
        Err(a) => problem_page(l, None, &a),
    }
}

/// `令和7年度` / `FY2025`.
fn fiscal_year_name(l: Lang, fy: i64) -> String {
    match i16::try_from(fy) {
        Ok(fy) if l == Lang::Ja => policy::jst::fiscal_year_ja(fy),
        _ => format!("FY{fy}"),
    }
}

/// `GET /rules[?installer=ID]`: the installer's rules document (KAW-2.2.7 ア–キ) — the city's,
/// or a community group's or facility's own — printable A4; public.
pub async fn rules(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let path = match q.get("installer").and_then(|v| v.parse::<i64>().ok()) {
        Some(id) => format!("/api/v1/public/rules-doc?installer={id}"),
        None => "/api/v1/public/rules-doc".to_owned(),
    };
    let a = ui.api.get(&path, &headers).await;
    let doc: Option<report::rules_doc::RulesDoc> = serde_json::from_value(a.json.clone()).ok();
    match doc {
        Some(d) if a.ok() => report::rules_doc::html(&d).into_response(),
        _ => problem_page(lang(&headers), None, &a),
    }
}

/// `GET /disposals`: recorder disposals, their confirmations and certificates (ASA-3.3d,
/// KIT-5.7).
pub async fn disposals(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    disposals_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn disposals_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let disposals = or_problem!(
        ui.api.get_as::<Vec<DisposalView>>("/api/v1/disposals", &headers).await,
        l,
        &me
    );
    let methods: Vec<(String, String)> = ["overwrite_verified", "shred", "melt", "degauss"]
        .iter()
        .map(|m| ((*m).to_owned(), label(l, "method", m)))
        .collect();
    let body = html! {
        table #disposals {
            (head(l, &["number", "device", "serials", "method", "confirmations", "state"]))
            tbody {
                @for x in &disposals {
                    tr {
                        td { (x.number) } td { (x.device) } td { (x.serials.join(", ")) }
                        td { (label(l, "method", &x.method)) }
                        td { (x.confirmations.len()) " / " (x.min_confirmers) }
                        td {
                            @if x.completed_at.is_none() {
                                form.inline method="post" action="/disposals" {
                                        (form_head(&me, "confirm"))
                                    input type="hidden" name="id" value=(x.id);
                                    button.confirm-disposal { (t(l, "confirm_disposal")) } }
                            } @else {
                                (t(l, "closed"))
                                " " a href={ "/disposals/" (x.id) "/certificate" } {
                                        (t(l, "certificate")) }
                            }
                        }
                    }
                }
            }
        }
        (d.alert("confirm"))
        section.actions {
            h2 { (t(l, "new_disposal")) }
            p { (t(l, "disposal_help")) }
            (d.alert("disposal"))
            form method="post" action="/disposals" novalidate {
                (form_head(&me, "disposal"))
                (input(&d, "disposal", "device", &t(l, "device"), "text", true))
                (input(&d, "disposal", "serials", &t(l, "serials"), "text", true))
                (select(&d, "disposal", "method", &t(l, "method"), &methods))
                (input(&d, "disposal", "note", &t(l, "note"), "text", false))
                button #create-disposal { (t(l, "register")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "disposals"), body)).into_response()
}

/// `POST /disposals`.
pub async fn disposals_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let (path, body) = match f.form() {
        Some(PageForm::Disposal) => {
            let serials: Vec<String> = txt(&f, "serials")
                .split(['、', ',', ' '])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect();
            (
                "/api/v1/disposals".to_owned(),
                json!({ "device": txt(&f, "device"), "serials": serials,
                        "method": txt(&f, "method"), "note": opt(&f, "note") }),
            )
        }
        Some(PageForm::Confirm) => {
            (format!("/api/v1/disposals/{}/confirm", txt(&f, "id")), json!({}))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/disposals").into_response(),
        Err((status, d)) => disposals_page(&ui, s, d, status).await,
    }
}

/// `GET /disposals/{id}/certificate`: printable, only once the disposal is complete.
pub async fn disposal_certificate(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
) -> Response {
    let Session { l, me, headers } = s;
    let path = format!("/api/v1/disposals/{id}/certificate");
    let c = or_problem!(ui.api.get_as::<DisposalView>(&path, &headers).await, l, &me);
    let wareki_of = |at: &Option<String>| at.as_deref().map(wareki).unwrap_or_default();
    let body = html! {
        article.print-a4.certificate #disposal-certificate {
            p.right { (t(l, "number")) " " (c.number) }
            p.right { (wareki_of(&c.completed_at)) }
            h2.center { "記録媒体等廃棄証明書" }
            table {
                tr { th { (t(l, "device")) } td { (c.device) } }
                tr { th { (t(l, "serials")) } td { (c.serials.join(", ")) } }
                tr { th { (t(l, "method")) } td { (label(l, "method", &c.method)) } }
                tr { th { (t(l, "keys_checked")) } td { (wareki_of(&c.keys_checked_at)) } }
                tr { th { (t(l, "confirmations")) }
                    td { @for x in &c.confirmations { "#" (x.account_id) "（" (x.role)
                            "） " (wareki(&x.confirmed_at)) br; } } }
            }
            p { "上記の録画装置・記録媒体について、画像を復元できない状態にしたうえで廃棄したことを確認しました。" }
            p.right { (c.profile.as_deref().unwrap_or("")) }
        }
        p.noprint { button type="button" data-print { (t(l, "print")) } }
    };
    page(l, Some(&me), &t(l, "certificate"), body).into_response()
}
