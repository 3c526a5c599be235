//! Oversight: retention extensions (holds), the monthly reconciliation of police extractions,
//! and the audit log.

use super::*;
use policy::profile::OrgKind;
use server::api::admin::{PeriodView, RetentionView};
use server::api::emergency::{DelegationView, IncidentView};
use server::api::holds::{AuditEntryView, AuditVerified, HoldView};
use server::api::viewing::{ViewingDetail, ViewingView};
use server::incidents::IncidentFacts;

/// `GET /holds`: retention extensions with their recorded reasons (KIT-5.6, KAW-2.2.6イ).
pub async fn holds(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    holds_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn holds_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let holds =
        or_problem!(ui.api.get_as::<Vec<HoldView>>("/api/v1/holds", &headers).await, l, &me);
    let cams = camera_choices(ui, &headers).await;
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        p { (t(l, "holds_help")) }
        table #holds {
            (head(l, &[
                "#", "cameras_field", "range_from", "range_to", "hold_until", "reason",
                "inquiry_reference", "in_force", "",
            ]))
            tbody {
                @for h in &holds {
                    tr {
                        td { (h.id) } td { (h.camera) } td { (when_at(l, &h.from)) }
                        td { (when_at(l, &h.to)) } td { (when_at(l, &h.until)) }
                        td { (h.reason) } td { (h.inquiry_reference.as_deref().unwrap_or("")) }
                        td { @if h.in_force { (t(l, "yes")) }
                            @else { (t(l, "no")) " " (at(l, &h.released_at)) }
                             @if let Some(n) = &h.pending_on_node { br;
                                 span.badge.pending { (t(l, "hold_pending_on")) ": " (n) } } }
                        td { @if h.in_force {
                            form.inline method="post" action="/holds" data-confirm=(confirm) {
                                    (form_head(&me, "release"))
                                input type="hidden" name="id" value=(h.id);
                                button { (t(l, "release")) } }
                        } }
                    }
                }
            }
        }
        (d.alert("release"))
        section.actions {
            h2 { (t(l, "new_hold")) }
            (d.alert("hold"))
            form method="post" action="/holds" novalidate {
                (form_head(&me, "hold"))
                (select(&d, "hold", "camera", &t(l, "cameras_field"), &cams))
                (input(&d, "hold", "from", &t(l, "range_from"), "datetime-local", true))
                (input(&d, "hold", "to", &t(l, "range_to"), "datetime-local", true))
                (input(&d, "hold", "until", &t(l, "hold_until"), "date", true))
                (input(&d, "hold", "reason", &t(l, "reason"), "textarea", true))
                (input(&d, "hold", "inquiry_reference", &t(l, "inquiry_reference"), "text", false))
                button #create-hold { (t(l, "extend")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "holds"), body)).into_response()
}

/// `POST /holds`.
pub async fn holds_post(State(ui): State<Arc<Ui>>, s: Session, Form(f): Form<Plain>) -> Response {
    let (path, body) = match f.form() {
        Some(PageForm::Hold) => {
            let until = txt(&f, "until");
            (
                "/api/v1/holds".to_owned(),
                json!({ "camera": txt(&f, "camera"), "from": jst_input(&txt(&f, "from")),
                        "to": jst_input(&txt(&f, "to")),
                        "until": end_of_day(&until).unwrap_or_default(),
                        "reason": txt(&f, "reason"),
                        "inquiry_reference": opt(&f, "inquiry_reference") }),
            )
        }
        Some(PageForm::Release) => (format!("/api/v1/holds/{}/release", txt(&f, "id")), json!({})),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/holds").into_response(),
        Err((status, d)) => holds_page(&ui, s, d, status).await,
    }
}

/// `GET /retention`: one's own organisation's retention period (SAK-9: each facility sets its
/// own, within the profile's bounds), each camera's period in force, and the form to change it.
pub async fn retention(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    retention_page(&ui, s, Draft::default(), StatusCode::OK).await
}

fn period_text(l: Lang, p: Option<&PeriodView>) -> String {
    match p.map(|p| (p.days, p.months)) {
        Some((Some(d), _)) => t(l, "period_days").replace("{n}", &d.to_string()),
        Some((None, Some(m))) => t(l, "period_months").replace("{n}", &m.to_string()),
        _ => String::new(),
    }
}

async fn retention_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let org = me.organisation.as_ref().map_or(0, |o| o.id);
    let path = format!("/api/v1/organisations/{org}/retention");
    let r = or_problem!(ui.api.get_as::<RetentionView>(&path, &headers).await, l, &me);
    let units =
        [("days".to_owned(), t(l, "unit_days")), ("months".to_owned(), t(l, "unit_months"))];
    let body = html! {
        p { (t(l, "retention_help").replace("{rule}", &r.rule)) }
        dl.facts #retention-facts {
            dt { (t(l, "organisation")) } dd { (r.organisation) }
            dt { (t(l, "retention_own")) }
            dd #retention-own { @match &r.period {
                    None => (t(l, "retention_default_used")),
                    Some(p) => (period_text(l, Some(p))),
            } }
            dt { (t(l, "retention_default")) } dd { (period_text(l, Some(&r.default))) }
            dt { (t(l, "retention_bounds")) }
            dd { (period_text(l, r.floor.as_ref())) " (" (r.floor_rule)
                ") 〜 " (period_text(l, r.ceiling.as_ref())) " (" (r.ceiling_rule) ")" }
        }
        table #retention-cameras {
            thead { tr { th { (t(l, "cameras_field")) } th { (t(l, "retention_in_force")) } } }
            tbody {
                @for c in &r.cameras {
                    tr {
                        td { (c.code) " " (c.name) }
                        td { (period_text(l, Some(&c.period)))
                            @if c.own_setting { " (" (t(l, "retention_camera_own")) ")" } }
                    }
                }
            }
        }
        section.actions {
            h2 { (t(l, "retention_change")) }
            (d.alert("retention"))
            form method="post" action="/retention" novalidate {
                (form_head(&me, "retention"))
                (input(&d, "retention", "length", &t(l, "retention_length"), "number", false))
                (select(&d, "retention", "unit", &t(l, "retention_unit"), &units))
                (input(&d, "retention", "reason", &t(l, "reason"), "textarea", true))
                p.hint { (t(l, "retention_blank_default")) }
                button #set-retention { (t(l, "save_change")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "retention"), body)).into_response()
}

/// `POST /retention`.
pub async fn retention_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    if f.form() != Some(PageForm::Retention) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let org = s.me.organisation.as_ref().map_or(0, |o| o.id);
    let length = txt(&f, "length");
    // A number the API checks against the bounds; text that is no number is sent as it is, for
    // the API to name the field.
    let n: Value = length.parse::<u32>().map_or_else(|_| json!(length), |n| json!(n));
    let mut body = json!({ "reason": txt(&f, "reason") });
    if !length.is_empty() {
        let unit = if txt(&f, "unit") == "months" { "months" } else { "days" };
        body[unit] = n;
    }
    let path = format!("/api/v1/organisations/{org}/retention");
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/retention").into_response(),
        Err((status, d)) => retention_page(&ui, s, d, status).await,
    }
}

/// The month before `now` (`YYYY-MM`), the one usually reconciled.
fn last_month(now: &str) -> String {
    policy::jst::parse_rfc3339(now)
        .ok()
        .map(|t| {
            let d = policy::jst::civil(t);
            let (y, m) =
                if d.month() == 1 { (d.year() - 1, 12) } else { (d.year(), d.month() - 1) };
            format!("{y:04}-{m:02}")
        })
        .unwrap_or_default()
}

/// `GET /reconciliation`: the police submit each lent PC's monthly extraction history; the city
/// runs the match and closes each incident with a note (the emergency path's after-check).
pub async fn reconciliation(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    reconciliation_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn reconciliation_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let review = me.can("reconciliation.review");
    let submit = me.can("reconciliation.submit");
    if !review && !submit {
        let a = ui.api.get("/api/v1/reconciliation/incidents", &headers).await;
        return problem_page(l, Some(&me), &a);
    }
    let incidents = if review {
        let path = "/api/v1/reconciliation/incidents";
        or_problem!(ui.api.get_as::<Vec<IncidentView>>(path, &headers).await, l, &me)
    } else {
        Vec::new()
    };
    let month = last_month(me.now());
    let mut d = d;
    if d.form.is_empty() {
        // Defaults on a fresh page: last month, and this PC.
        d.values.insert("month".into(), month);
        if let Some(w) = me.workstation.as_ref().map(|w| w.id) {
            d.values.insert("workstation_id".into(), w.to_string());
        }
    }
    let dv = |form: &str, k: &str| {
        if d.form.is_empty() || d.form == form {
            d.values.get(k).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let body = html! {
        @if review {
            h2 #incidents-h { (t(l, "incidents")) }
            @if incidents.is_empty() { p #no-incidents { (t(l, "no_incidents")) } }
            table #incidents aria-labelledby="incidents-h" {
                (head(l, &["#", "month", "incident_kind", "detail", "opened_at", "closed"]))
                tbody {
                    @for i in &incidents {
                        tr {
                            td { (i.id) } td { (i.month) }
                            td { (label(l, "incident", i.facts.kind())) }
                            td { (incident_detail(l, &i.facts)) }
                            td { (when_at(l, &i.opened_at)) }
                            td {
                                @match &i.closed_at {
                                    None => form method="post" action="/reconciliation" novalidate {
                                        (form_head(&me, "close"))
                                        input type="hidden" name="id" value=(i.id);
                                        label for={ "note-" (i.id) } { (t(l, "close_note")) }
                                        input id={ "note-" (i.id) } name="note" required;
                                        button { (t(l, "close")) }
                                    },
                                    Some(closed) => { (when_at(l, closed))
                                        " " (i.note.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
            (d.alert("close"))
        }
        @if review && me.emergency_path {
            section.actions {
                h2 { (t(l, "run_reconciliation")) }
                (d.alert("run"))
                form method="post" action="/reconciliation" novalidate {
                    (form_head(&me, "run"))
                    label for="run-month" { (t(l, "month")) }
                    input #run-month name="month" type="month" value=(dv("run", "month")) required;
                    @if let Some(e) = d.err("run", "month") { p.field-error { (e) } }
                    button #run { (t(l, "run_reconciliation")) }
                }
            }
        }
        @if submit {
            section.actions {
                h2 { (t(l, "submit_history")) }
                p { (t(l, "history_help")) }
                (d.alert("history"))
                form method="post" action="/reconciliation" novalidate {
                    (form_head(&me, "history"))
                    label for="history-ws" { (t(l, "workstation")) " (ID)" }
                    input #history-ws name="workstation_id" type="number"
                        value=(dv("history", "workstation_id")) required;
                    @if let Some(e) = d.err("history", "workstation_id") { p.field-error { (e) } }
                    label for="history-month" { (t(l, "month")) }
                    input #history-month name="month" type="month" value=(dv("history", "month"))
                        required;
                    @if let Some(e) = d.err("history", "month") { p.field-error { (e) } }
                    label for="history-items" { (t(l, "history_items")) }
                    textarea #history-items name="items" rows="6"
                        placeholder="2026-11-28 02:10 cam1" { (dv("history", "items")) }
                    @if let Some(e) = d.err("history", "items") { p.field-error { (e) } }
                    button #submit-history { (t(l, "submit_history")) }
                }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "reconciliation"), body)).into_response()
}

/// `POST /reconciliation`.
pub async fn reconciliation_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let (path, body) = match f.form() {
        Some(PageForm::Run) => {
            ("/api/v1/reconciliation/run".to_owned(), json!({ "month": txt(&f, "month") }))
        }
        Some(PageForm::Close) => (
            format!("/api/v1/reconciliation/incidents/{}/close", txt(&f, "id")),
            json!({ "note": txt(&f, "note") }),
        ),
        Some(PageForm::History) => {
            let items: Vec<Value> = txt(&f, "items")
                .lines()
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| {
                    let (at, cam) = history_line(x);
                    json!({ "extracted_at": at, "camera": cam })
                })
                .collect();
            (
                "/api/v1/reconciliation/histories".to_owned(),
                json!({ "workstation_id": num(&f, "workstation_id"), "month": txt(&f, "month"),
                        "items": items }),
            )
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/reconciliation").into_response(),
        Err((status, d)) => reconciliation_page(&ui, s, d, status).await,
    }
}

/// Filters of the audit search page.
#[derive(Deserialize, Default)]
pub struct AuditFilter {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    verify: Option<String>,
}

/// `GET /audit?actor=&action=&object=[&verify=1]`: search the tamper-evident audit log, and
/// verify its chain.
pub async fn audit(
    State(ui): State<Arc<Ui>>,
    s: Session,
    axum::extract::Query(q): axum::extract::Query<AuditFilter>,
) -> Response {
    let Session { l, me, headers } = s;
    let query = {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &q.actor),
            ("action", &q.action),
            ("object", &q.object),
            ("from", &q.from),
            ("to", &q.to),
            ("before", &q.before),
        ] {
            if !v.trim().is_empty() {
                query.append_pair(k, v.trim());
            }
        }
        query.finish()
    };
    let a = ui.api.get(&format!("/api/v1/audit?{query}"), &headers).await;
    let next = a.next.clone();
    let entries = or_problem!(a.read::<Vec<AuditEntryView>>(), l, &me);
    // The chain's verdict: verified, the first entry that fails, or why it could not be checked.
    let verified = if q.verify.is_some() {
        Some(ui.api.get("/api/v1/audit/verify", &headers).await.read::<AuditVerified>())
    } else {
        None
    };
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let actions = audit_action_choices(l);
    let body = html! {
        form method="get" action="/audit" role="search" {
            label for="actor" { (t(l, "actor")) }
            input #actor name="actor" value=(q.actor) placeholder=(t(l, "audit_actor_hint"));
            label for="action" { (t(l, "action")) }
            select #action name="action" {
                option value="" { (t(l, "all")) }
                @for (code, name) in &actions {
                    option value=(code) selected[*code == q.action.trim()] { (name) }
                }
            }
            label for="object" { (t(l, "object")) }
            input #object name="object" value=(q.object) placeholder=(t(l, "audit_object_hint"));
            label for="from" { (t(l, "range_from")) }
            input #from name="from" type="date" value=(q.from);
            label for="to" { (t(l, "range_to")) }
            input #to name="to" type="date" value=(q.to);
            button #search { (t(l, "search")) }
        }
        form method="get" action="/audit" {
            input type="hidden" name="verify" value="1";
            button #verify { (t(l, "verify_chain")) }
        }
        @match &verified {
            Some(Ok(v)) if v.ok => {
                p #verify-result.ok role="status" { (t(l, "chain_ok"))
                    " " code.hash { (v.public_key) } }
            }
            Some(Ok(v)) => {
                p #verify-result.problem role="alert" { (t(l, "chain_bad"))
                    ": " (v.first_bad_entry.as_deref().unwrap_or("")) }
            }
            Some(Err(a)) => {
                p #verify-result.problem role="alert" { (t(l, "chain_bad")) ": " (a.detail()) }
            }
            None => {}
        }
        p { a #csv href={ "/audit.csv?" (query) } download { (t(l, "download_csv")) } }
        table #audit {
            (head(l, &[
                "audit_seq", "at", "actor", "role", "action", "object", "outcome", "audit_rule",
            ]))
            tbody {
                @for e in &entries {
                    @let role = if l == Lang::Ja { &e.role_name_ja } else { &e.role_name_en };
                    tr.outcome[e.outcome != audit::Outcome::Ok] {
                        td { (e.seq) } td { (when_at(l, &e.at)) } td { (actor_label(l, e)) }
                        td { (role.as_deref().unwrap_or("")) }
                        td title=(e.action) { (action_name(l, &e.action)) }
                        td { (object_label(l, &profile, &e.object)) }
                        td { (t(l, &format!("outcome_{}", e.outcome.as_str()))) }
                        td { (e.rule.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        @if let Some(n) = next.as_deref().and_then(|n| n.strip_prefix("/api/v1")) {
            p { a #next-page href=(n) rel="next" { (t(l, "next_page")) } }
        }
    };
    page(l, Some(&me), &t(l, "audit"), body).into_response()
}

/// One line of a lent PC's extraction history as a clerk types it from the printout: "day time
/// camera" in JST (`2026-11-28 02:10 cam1`), or an RFC 3339 instant and the camera (what the
/// PC's own log writes). The instant is left for the API to check.
fn history_line(line: &str) -> (String, String) {
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    let is_time = |w: &str| {
        jiff::civil::Time::strptime("%H:%M", w).is_ok() || w.parse::<jiff::civil::Time>().is_ok()
    };
    match rest.split_first() {
        Some((time, cam)) if first.parse::<jiff::civil::Date>().is_ok() && is_time(time) => {
            (jst_input(&format!("{first}T{time}")), cam.join(" "))
        }
        _ => (first.to_owned(), rest.join(" ")),
    }
}

/// An incident's facts in words (issue 19, item 4: never its JSON): which duty and by when,
/// which extraction, which camera and time, which recorder.
fn incident_detail(l: Lang, facts: &IncidentFacts) -> String {
    let name = |k: &str| t(l, &format!("obj.{k}"));
    match facts {
        IncidentFacts::DutyLapsed(d) => {
            let duty = if l == Lang::Ja { &d.name_ja } else { &d.name_en };
            format!("{duty} — {} ({})", d.label, until_at(l, &d.due_at))
        }
        IncidentFacts::NotInHistory { id } | IncidentFacts::Unfiled { id } => {
            format!("{} #{id}", name("extraction"))
        }
        IncidentFacts::NotInLog { item } => {
            format!("{} {} {}", name("camera"), item.camera, said_when(l, Some(item.extracted_at)))
        }
        IncidentFacts::MissingSubmission {} => String::new(),
        IncidentFacts::CameraFootageDrift(d) => format!(
            "{} {} — {}",
            name("camera"),
            d.camera,
            t(l, "footage_age_detail")
                .replace("{day}", &day_text(l, &d.oldest_day))
                .replace("{age}", &d.age_days.to_string())
                .replace("{floor}", &d.band[0].to_string())
                .replace("{ceiling}", &d.band[1].to_string())
        ),
        IncidentFacts::NodeStale(n)
        | IncidentFacts::NodeAuditLog(n)
        | IncidentFacts::NodeClockDrift(n)
        | IncidentFacts::NodeDiskLow(n) => format!(
            "{} {} ({}) — {}: {}",
            name("node"),
            n.node,
            n.site,
            t(l, "last_contact"),
            at(l, &n.last_contact_at)
        ),
    }
}

/// Every audited action with a name, as choices sorted by name (issue 19, item 4: the search
/// asks for an action by its name, not its code).
fn audit_action_choices(l: Lang) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = crate::i18n::catalogue(l)
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("act.").map(|code| (code.to_owned(), v.clone())))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// An audited action by its name in `l` (`footage.extract` → 映像の抽出); a code no
/// catalogue names (a test forbids it for what the server writes) as it is.
fn action_name(l: Lang, code: &str) -> String {
    crate::i18n::catalogue(l)
        .get(&format!("act.{code}"))
        .cloned()
        .unwrap_or_else(|| code.to_owned())
}

/// Who acted: the account's name and login id, or the system, the public or a recorder node in
/// words.
fn actor_label(l: Lang, e: &AuditEntryView) -> String {
    let actor = e.actor.as_str();
    match (e.actor_name.as_deref(), actor) {
        (Some(name), id) => format!("{name} (#{id})"),
        (None, "system" | "public" | "anonymous") => t(l, &format!("actor_{actor}")),
        (None, other) => other.to_owned(),
    }
}

/// What an entry concerns, in words: `request:12` → 提供申請 #12, `camera:cam1` → カメラ cam1,
/// `duty:access_review/2026-10/office` → the duty's name and period; a list (`complaints`) by
/// its name.
fn object_label(l: Lang, profile: &policy::Profile, object: &str) -> String {
    let cat = crate::i18n::catalogue(l);
    let (kind, rest) = object.split_once(':').unwrap_or((object, ""));
    let Some(kind_name) = cat.get(&format!("obj.{kind}")) else { return object.to_owned() };
    if rest.is_empty() {
        return kind_name.clone();
    }
    let rest = match kind {
        "duty" => {
            let mut parts = rest.split('/');
            let id = parts.next().unwrap_or("");
            let name = match profile.duties.iter().find(|d| d.id == id) {
                Some(d) if l == Lang::Ja => d.name_ja.as_str(),
                Some(d) => d.name_en.as_str(),
                None => id,
            };
            let period: Vec<&str> = parts.collect();
            format!("{name} {}", period.join(" "))
        }
        // A hash is shown shortened, as a reference to find the entry, not to read.
        "audit-log" => rest.chars().take(16).collect(),
        "request" | "account" | "designation" | "complaint" | "instruction" | "ledger"
        | "emergency_order" | "hold" | "disposal" | "delegation" | "contract" | "incident"
        | "extraction" | "viewing" | "room_entry" | "organisation" | "site" | "report" => {
            format!("#{rest}")
        }
        _ => rest.to_owned(),
    };
    format!("{kind_name} {rest}")
}

/// `GET /viewings`: viewings of recorded footage (issue 20), each recorded first — who, on which
/// dedicated PC, which cameras and range, why, with which witnesses — with the form that records
/// one and opens its player.
pub async fn viewings(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    viewings_page(&ui, s, Draft::default(), StatusCode::OK).await
}

/// The profile's purposes, as choices in the page's language.
async fn purpose_choices(ui: &Ui, headers: &HeaderMap, l: Lang) -> Vec<(String, String)> {
    let Ok(profile) = ui.profile(headers).await else {
        return Vec::new();
    };
    let name = |p: &policy::profile::Purpose| {
        if l == Lang::Ja { p.name_ja.clone() } else { p.name_en.clone() }
    };
    profile.purposes.iter().map(|p| (p.id.clone(), name(p))).collect()
}

async fn viewings_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let viewings =
        or_problem!(ui.api.get_as::<Vec<ViewingView>>("/api/v1/viewings", &headers).await, l, &me);
    let purposes = purpose_choices(ui, &headers, l).await;
    let purpose_name =
        |id: &str| purposes.iter().find(|(k, _)| k == id).map_or(id.to_owned(), |(_, n)| n.clone());
    let cams = camera_choices(ui, &headers).await;
    let body = html! {
        p.note { (t(l, "no_live_view")) }
        table #viewings {
            thead { tr { th { "No." } th { (t(l, "viewed_at")) } th { (t(l, "cameras_field")) }
                    th { (t(l, "range_from")) } th { (t(l, "range_to")) } th { (t(l, "purpose")) }
                    th { (t(l, "witnesses")) } th { (t(l, "state")) } } }
            tbody {
                @for v in &viewings {
                    tr {
                        td { (v.id) } td { (when_at(l, &v.viewed_at)) }
                        td { (v.cameras.join("、")) } td { (when_at(l, &v.range_from)) }
                        td { (when_at(l, &v.range_to)) }
                        td { (purpose_name(&v.purpose)) } td { (v.witnesses.join("、")) }
                        td {
                            @if v.witnesses_pending {
                                a href={ "/viewings/" (v.id) } { (t(l, "viewing_state_pending")) }
                            } @else if v.open && v.viewer_id == me.id() {
                                a.play href={ "/viewings/" (v.id) } { (t(l, "viewing_play")) }
                            } @else if v.open {
                                (t(l, "viewing_state_open"))
                            } @else {
                                a href={ "/viewings/" (v.id) } { (t(l, "viewing_state_ended")) }
                            }
                        }
                    }
                }
            }
        }
        section.actions {
            h2 { (t(l, "new_viewing")) }
            p { (t(l, "viewing_help")) }
            (d.alert("viewing"))
            form method="post" action="/viewings" novalidate {
                (form_head(&me, "viewing"))
                (select(&d, "viewing", "camera", &t(l, "cameras_field"), &cams))
                (input(&d, "viewing", "from", &t(l, "range_from"), "datetime-local", true))
                (input(&d, "viewing", "to", &t(l, "range_to"), "datetime-local", true))
                (select(&d, "viewing", "purpose", &t(l, "purpose"), &purposes))
                (input(&d, "viewing", "witnesses", &t(l, "witnesses_input"), "text", false))
                (input(&d, "viewing", "witness_reason", &t(l, "witness_reason"), "text", false))
                button #record-viewing { (t(l, "viewing_open")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "viewings"), body)).into_response()
}

/// `POST /viewings`: records the viewing and opens its player.
pub async fn viewings_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let witnesses: Vec<String> = txt(&f, "witnesses")
        .split(['、', ','])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let body = json!({ "cameras": [txt(&f, "camera")], "from": jst_input(&txt(&f, "from")),
            "to": jst_input(&txt(&f, "to")),
                       "purpose": txt(&f, "purpose"), "witnesses": witnesses,
                       "witness_reason": txt(&f, "witness_reason") });
    match post_form(&ui, &s.headers, &f, "/api/v1/viewings", body).await {
        Ok(a) => {
            let v = or_problem!(a.read::<ViewingView>(), s.l, &s.me);
            Redirect::to(&format!("/viewings/{}", v.id)).into_response()
        }
        Err((status, d)) => viewings_page(&ui, s, d, status).await,
    }
}

/// The query of `GET /viewings/{id}`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ViewingQuery {
    /// Which of the viewing's cameras to play.
    camera: Option<String>,
}

/// `GET /viewings/{id}`: the viewing's record and, while its session lasts, its player — the
/// recorded footage of one camera at a time, inside the record only, with the viewer's name,
/// the viewing's number and the time over the picture (issue 20). No download, no live edge.
pub async fn viewing(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ViewingQuery>,
) -> Response {
    let Session { l, me, headers } = s;
    let path = format!("/api/v1/viewings/{id}");
    let detail = or_problem!(ui.api.get_as::<ViewingDetail>(&path, &headers).await, l, &me);
    let v = &detail.viewing;
    let purposes = purpose_choices(&ui, &headers, l).await;
    let purpose = purposes
        .iter()
        .find(|(k, _)| *k == v.purpose)
        .map_or(v.purpose.clone(), |(_, n)| n.clone());
    let cameras = &v.cameras;
    let camera = q
        .camera
        .filter(|c| cameras.contains(c))
        .or_else(|| cameras.first().cloned())
        .unwrap_or_default();
    let playable = detail.mine && v.open;
    let viewer = detail.viewer.as_deref().unwrap_or("");
    let watermark = format!("{viewer} · {} {}", t(l, "viewing_no"), v.id);
    let spans = serde_json::to_string(&detail.spans.get(&camera)).unwrap_or_default();
    let seen = &v.seen;
    let body = html! {
        dl.record {
            dt { (t(l, "viewing_no")) } dd { (v.id) }
            dt { (t(l, "cameras_field")) } dd { (v.cameras.join("、")) }
            dt { (t(l, "range_from")) } dd { (when_at(l, &v.range_from)) }
            dt { (t(l, "range_to")) } dd { (when_at(l, &v.range_to)) }
            dt { (t(l, "purpose")) } dd { (purpose) }
            dt { (t(l, "witnesses")) } dd { (v.witnesses.join("、")) }
            @if !v.witness_reason.is_empty() {
                dt { (t(l, "witness_reason")) } dd { (v.witness_reason) }
                dt { (t(l, "witnesses_judged")) }
                dd #witness-judgement {
                    @if v.witnesses_pending { (t(l, "viewing_state_pending")) }
                    @else { (at(l, &v.witnesses_judged_at)) }
                }
            }
            dt { (t(l, "viewing_until")) } dd { (at(l, &v.expires_at)) }
            dt { (t(l, "viewing_rule")) } dd { code { (detail.rule) } }
        }
        @if playable {
            @if cameras.len() > 1 {
                nav.cameras aria-label=(t(l, "cameras_field")) {
                    @for c in cameras {
                        a href={ "/viewings/" (id) "?camera=" (c) }
                            aria-current=[(c == &camera).then_some("true")] { (c) }
                    }
                }
            }
            script src="/assets/player.js" defer {}
            div #player data-viewing=(id) data-camera=(camera) data-from=(v.range_from_ms)
                data-to=(v.range_to_ms)
                data-csrf=(me.csrf()) data-spans=(spans) data-watermark=(watermark)
                data-lang=(l.code()) data-msg-gap=(t(l, "viewing_gap"))
                    data-msg-refused=(t(l, "viewing_refused")) {
                div.stage {
                    video #viewing-video playsinline muted disablepictureinpicture
                        controlslist="nodownload" {}
                    div.watermark aria-hidden="true" { span.wm-line {} span.wm-line {}
                        span.wm-line {} }
                    p.gap-note hidden role="status" {}
                }
                div.timeline aria-hidden="true" {}
                input #seek type="range" min="0" step="0.04" value="0"
                    aria-label=(t(l, "viewing_seek"));
                div.controls {
                    button #play type="button" data-play=(t(l, "viewing_play_button"))
                        data-pause=(t(l, "viewing_pause")) { (t(l, "viewing_play_button")) }
                    button #frame-back type="button" { (t(l, "viewing_frame_back")) }
                    button #frame-fwd type="button" { (t(l, "viewing_frame_forward")) }
                    label { (t(l, "viewing_speed")) " "
                        select #speed { option value="0.25" { "×0.25" }
                            option value="0.5" { "×0.5" } option value="1" selected { "×1" }
                            option value="2" { "×2" } option value="4" { "×4" } }
                    }
                    span { (t(l, "viewing_recorded_time")) ": " output #wall-clock {} }
                    @if detail.print { button #print-still type="button" {
                            (t(l, "viewing_print")) } }
                }
                p.problem #player-error hidden role="alert" {}
                div #print-area {}
            }
            form method="post" action={ "/viewings/" (id) "/close" } {
                input type="hidden" name="csrf" value=(me.csrf());
                button #close-viewing type="submit" { (t(l, "viewing_close")) }
            }
        } @else if v.witnesses_pending {
            p.note #pending-note { (t(l, "viewing_pending_note")) }
            @if detail.can_judge {
                form method="post" action={ "/viewings/" (id) "/judge-witnesses" }
                    data-confirm=(t(l, "viewing_judge_confirm")) {
                    input type="hidden" name="csrf" value=(me.csrf());
                    button #judge-witnesses type="submit" { (t(l, "viewing_judge")) }
                }
            }
        } @else {
            p.note { (t(l, if detail.mine { "viewing_ended_note" } else {
                            "viewing_others_note" })) }
        }
        @if !seen.is_empty() {
            h2 { (t(l, "viewing_seen")) }
            table #viewing-seen {
                (head(l, &["cameras_field", "viewing_served_s", "viewing_played_s"]))
                tbody { @for (c, x)
                    in seen { tr { td { (c) } td { (x.served) } td { (x.played) } } } }
            }
        }
        p { a href="/viewings" { (t(l, "viewings")) } }
    };
    let title = format!("{} No.{id}", t(l, "viewing_title"));
    with_player_csp(page(l, Some(&me), &title, body).into_response())
}

/// `POST /viewings/{id}/judge-witnesses`: the manager finds the witnesses necessary (ASA-3.4a).
pub async fn viewing_judge(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<Plain>,
) -> Response {
    let path = format!("/api/v1/viewings/{id}/judge-witnesses");
    let a = ui.api.post(&path, &s.headers, &f.csrf, json!({})).await;
    if !a.ok() {
        return problem_page(s.l, Some(&s.me), &a);
    }
    Redirect::to(&format!("/viewings/{id}")).into_response()
}

/// `POST /viewings/{id}/close`: the viewer ends the session.
pub async fn viewing_close(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<Plain>,
) -> Response {
    let a =
        ui.api.post(&format!("/api/v1/viewings/{id}/close"), &s.headers, &f.csrf, json!({})).await;
    if !a.ok() {
        return problem_page(s.l, Some(&s.me), &a);
    }
    Redirect::to(&format!("/viewings/{id}")).into_response()
}

/// `GET /delegations`: written confirmations that an agency's head delegated the emergency
/// extraction to named staff (NIS-10.2), stored and revocable.
pub async fn delegations(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    delegations_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn delegations_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let list = ui.api.get_as::<Vec<DelegationView>>("/api/v1/delegations", &headers).await;
    let delegations = or_problem!(list, l, &me);
    let confirm = t(l, "confirm_irreversible");
    // The agency chosen by its name where this person may list organisations (pickers, not
    // typed ids: issue 19, item 4); only those that may hold a delegation (NIS-10.2).
    let agencies = super::registry::organisations(ui, &headers, OrgKind::investigates).await;
    let body = html! {
        table #delegations {
            (head(l, &["#", "organisation", "document_reference", "confirmed_at", "revoked", ""]))
            tbody {
                @for x in &delegations {
                    tr {
                        td { (x.id) }
                        td {
                            (x.organisation_name.clone()
                                .unwrap_or_else(|| x.organisation_id.to_string())) }
                        td { (x.document_ref) } td { (when_at(l, &x.confirmed_at)) }
                        td { (at(l, &x.revoked_at)) }
                        td { @if x.revoked_at.is_none() {
                            form.inline method="post" action="/delegations" data-confirm=(confirm) {
                                    (form_head(&me, "revoke"))
                                input type="hidden" name="id" value=(x.id);
                                button { (t(l, "revoke")) } }
                        } }
                    }
                }
            }
        }
        (d.alert("revoke"))
        section.actions {
            h2 { (t(l, "new_delegation")) }
            (d.alert("delegation"))
            form method="post" action="/delegations" novalidate {
                (form_head(&me, "delegation"))
                (super::registry::organisation_field(l, &d, "delegation", &agencies))
                (input(&d, "delegation", "document_ref", &t(l, "document_reference"), "text", true))
                button #create-delegation { (t(l, "register")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "delegations"), body)).into_response()
}

/// `POST /delegations`.
pub async fn delegations_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let (path, body) = match f.form() {
        Some(PageForm::Delegation) => (
            "/api/v1/delegations".to_owned(),
            json!({ "organisation_id": num(&f, "organisation_id"),
                    "document_ref": txt(&f, "document_ref") }),
        ),
        Some(PageForm::Revoke) => {
            (format!("/api/v1/delegations/{}/revoke", txt(&f, "id")), json!({}))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/delegations").into_response(),
        Err((status, d)) => delegations_page(&ui, s, d, status).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A history line as typed from the printout, or as the PC's log writes it (PROD-EMERG-1's
    /// monthly reconciliation reads these).
    #[test]
    fn history_lines_as_a_clerk_types_them() {
        let typed = |x: &str| history_line(x);
        assert_eq!(
            typed("2026-11-28 02:10 cam1"),
            ("2026-11-28T02:10:00+09:00".into(), "cam1".into())
        );
        assert_eq!(
            typed("2026-11-28  02:10:30  cam 2"),
            ("2026-11-28T02:10:30+09:00".into(), "cam 2".into())
        );
        assert_eq!(
            typed("2026-11-28T02:10:00+09:00 cam1"),
            ("2026-11-28T02:10:00+09:00".into(), "cam1".into())
        );
        // Not a time: left as typed, for the API to refuse with its field message.
        assert_eq!(typed("yesterday cam1"), ("yesterday".into(), "cam1".into()));
    }
}
