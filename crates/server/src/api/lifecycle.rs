//! Transparency and lifecycle (issue 7): complaints from the public (KIT-7), the yearly report
//! (KIT-8), the public camera list (NIS-3.1b), decommissioning cameras (KAW-2.1.3) and disposal
//! of recorders (ASA-3.3d, KIT-5.7).

use super::footage::fiscal_year;
use super::types::*;
use super::{Body, Id};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Check, Msg};
use crate::state::AppState;
use audit::{Event, Outcome};
use axum::Json;
use axum::extract::{Extension, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use policy::complaint::{ComplaintFacts, ComplaintState};
use policy::rule::cited;
use policy::{Permission, RuleId};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const CATEGORIES: [&str; 5] = ["privacy", "signage", "placement", "footage", "other"];
const CHANNELS: [&str; 4] = ["phone", "counter", "mail", "web"];
const METHODS: [&str; 4] = ["overwrite_verified", "shred", "melt", "degauss"];

/// Records a complaint in `ch`, the change that also writes its audit entry.
async fn complaint_new(
    st: &AppState,
    ch: &store::Db,
    b: &ComplaintBody,
    channel: &str,
    by: Option<i64>,
) -> ApiResult<store::lifecycle::Complaint> {
    // Every field at fault in one answer (issue 19, item 3).
    let mut check = Check::new();
    check.take(one_of("category", &b.category, &CATEGORIES))?;
    check.take(required("body", &b.body))?;
    let contact = b.contact.as_deref().unwrap_or("").trim();
    check.take(max_len("contact", contact, 200))?;
    let camera = b.camera.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = camera
        && ch.camera_by_code(c).await?.is_none()
    {
        check.fail("camera", Msg::new("no_such_camera").with("code", c));
    }
    check.finish()?;
    let now = st.clock.now_ms();
    // rule: KIT-7, PROD-COMPLAINT-1 — the answer's deadline, counted in policy.
    let due_at = st
        .profile
        .complaint_due_at(st.clock.now())
        .map_err(|_| ApiError::invalid("received_at", Msg::new("date_outside_calendar")))?
        .into();
    let c = ch
        .create_complaint(
            &store::lifecycle::NewComplaint {
                channel,
                category: &b.category,
                camera,
                body: b.body.trim(),
                contact,
                due_at,
                recorded_by: by,
            },
            fiscal_year(now),
            now,
        )
        .await?;
    Ok(c)
}

/// `POST /api/v1/public/complaints`: the public contact form, no login (KIT-7). Audited without
/// the body or contact (personal data stays in the register).
pub async fn public_complaint(
    State(st): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Body(b): Body<ComplaintBody>,
) -> ApiResult<Json<ComplaintReceipt>> {
    // rule: PROD-RATE-1 — a few submissions per address and hour (issue 16, M11).
    let source = crate::limits::peer(&headers).unwrap_or_else(|| "unknown".into());
    if let Err(wait) = st.public_form_rate.check(&source, st.clock.now_ms()) {
        return Err(ApiError::too_many(wait, "rate_limited"));
    }
    if b.channel.is_some() {
        return Err(ApiError::invalid("channel", Msg::new("public_form_channel")));
    }
    let ch = st.change().await?;
    let c = complaint_new(&st, &ch, &b, "web", None).await?;
    let mut ev =
        Event::new("public", "complaint.receive", format!("complaint:{}", c.id), Outcome::Ok);
    ev.client = crate::limits::peer(&headers);
    ev.rule = Some(st.profile.complaints.rule.to_string());
    ev.detail = json!({ "number": c.number, "category": c.category, "channel": "web" });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(ComplaintReceipt {
        number: c.number,
        received_at: jst(c.received_at),
        answer_by: jst(c.due_at),
    }))
}

/// A complaint as the register shows it (KIT-7).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ComplaintView {
    /// Id.
    pub id: i64,
    /// `CP-2026-0001`.
    pub number: String,
    /// Received (JST).
    pub received_at: String,
    /// `web`, `phone`, `counter`, `mail`.
    pub channel: String,
    /// `privacy`, `signage`, `placement`, `footage`, `other`.
    pub category: String,
    /// The camera named, if one was.
    pub camera: Option<String>,
    /// What was said (personal data: never in reports).
    pub body: String,
    /// How to answer (personal data).
    pub contact: String,
    /// The answer is due by (JST).
    pub due_at: String,
    /// When it went overdue and was escalated.
    pub escalated_at: Option<String>,
    /// The answer.
    pub response: Option<String>,
    /// Answered at.
    pub responded_at: Option<String>,
    /// Closed at.
    pub closed_at: Option<String>,
    /// Past its deadline with no answer.
    pub overdue: bool,
}

impl ComplaintView {
    fn of(c: &store::lifecycle::Complaint, now: i64) -> Self {
        ComplaintView {
            id: c.id,
            number: c.number.clone(),
            received_at: jst(c.received_at),
            channel: c.channel.clone(),
            category: c.category.clone(),
            camera: c.camera.clone(),
            body: c.body.clone(),
            contact: c.contact.clone(),
            due_at: jst(c.due_at),
            escalated_at: jst_opt(c.escalated_at),
            response: c.response.clone(),
            responded_at: jst_opt(c.responded_at),
            closed_at: jst_opt(c.closed_at),
            overdue: ComplaintState::Overdue.holds(&facts(c), now),
        }
    }
}

/// What the public contact form answers: the number to quote and when the answer is due.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ComplaintReceipt {
    /// `CP-2026-0001`.
    pub number: String,
    /// Received (JST).
    pub received_at: String,
    /// The answer is due by (JST).
    pub answer_by: String,
}

/// Escalates every complaint past its deadline, once, to the audit log (the manager's
/// dashboard and the register show it), citing the rule that fixes the deadline
/// (PROD-COMPLAINT-1 where the seed says only 「迅速かつ誠実に」, KIT-7).
pub async fn escalate_overdue(st: &AppState) -> ApiResult<usize> {
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let late = ch.escalate_overdue(now).await?;
    for c in &late {
        let mut ev =
            Event::new("system", "complaint.escalate", format!("complaint:{}", c.id), Outcome::Ok);
        ev.rule = Some(st.profile.complaints.deadline_rule().to_string());
        ev.detail = json!({ "number": c.number, "due_at": jst(c.due_at) });
        st.audit_in(&ch, ev).await?;
    }
    ch.commit().await?;
    Ok(late.len())
}

/// `GET /api/v1/complaints`: the register, overdue ones escalated first.
pub async fn list_complaints(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    q: Result<Query<ComplaintListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<ComplaintView>>> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let blank = super::types::blank;
    let state = match blank(&q.state) {
        None => None,
        Some(s) => Some(ComplaintState::parse(&s).ok_or_else(|| {
            let choices: Vec<&str> = ComplaintState::ALL.iter().map(|s| s.key()).collect();
            ApiError::invalid("state", Msg::new("one_of").with("choices", choices.join(", ")))
        })?),
    };
    let category = blank(&q.category);
    let text = blank(&q.q);
    escalate_overdue(&st).await?;
    let now = st.clock.now_ms();
    let owners = super::types::camera_owners(&st).await?;
    let all = st.db.complaints().await?;
    st.audit(p.event("complaint.list", "complaints", Outcome::Ok)).await?;
    let in_state = |c: &store::lifecycle::Complaint| state.is_none_or(|s| s.holds(&facts(c), now));
    Ok(Json(
        all.iter()
            .filter(|c| p.keeps(&st.profile, complaint_owner(&owners, c)))
            .filter(|c| in_state(c))
            .filter(|c| category.as_ref().is_none_or(|k| &c.category == k))
            .filter(|c| {
                text.as_ref().is_none_or(|t| {
                    c.number.contains(t.as_str())
                        || c.body.contains(t.as_str())
                        || c.camera.as_deref().is_some_and(|cam| cam.contains(t.as_str()))
                })
            })
            .map(|c| ComplaintView::of(c, now))
            .collect(),
    ))
}

/// What a complaint's state depends on.
fn facts(c: &store::lifecycle::Complaint) -> ComplaintFacts {
    ComplaintFacts {
        responded_ms: c.responded_at.map(store::At::ms),
        closed_ms: c.closed_at.map(store::At::ms),
        due_ms: c.due_at.ms(),
    }
}

/// The filters of `GET /api/v1/complaints`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintListQuery {
    /// `open` (not closed), `overdue`, `answered` (answered, not closed), `closed`.
    pub state: Option<String>,
    /// A category (`privacy`, `signage`…).
    pub category: Option<String>,
    /// Text in the number, the complaint or the camera's code.
    pub q: Option<String>,
}

/// The organisation a complaint concerns: its camera's owner; none (the city's) without one.
fn complaint_owner(
    owners: &std::collections::HashMap<String, Option<i64>>,
    c: &store::lifecycle::Complaint,
) -> Option<i64> {
    c.camera.as_ref().and_then(|code| owners.get(code).copied().flatten())
}

/// A complaint the caller handles (issue 15: about its own cameras), else 404.
async fn kept_complaint(st: &AppState, p: &Principal, id: i64) -> ApiResult<()> {
    let owners = super::types::camera_owners(st).await?;
    let kept = st
        .db
        .complaints()
        .await?
        .iter()
        .any(|c| c.id == id && p.keeps(&st.profile, complaint_owner(&owners, c)));
    if kept {
        Ok(())
    } else {
        Err(ApiError::not_found(Msg::new("no_such_complaint").with("id", id)))
    }
}

/// `POST /api/v1/complaints`: staff record one received by phone, at the counter or by mail.
pub async fn create_complaint(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<ComplaintBody>,
) -> ApiResult<Json<ComplaintView>> {
    let channel = b.channel.clone().unwrap_or_else(|| "phone".into());
    if !CHANNELS.contains(&channel.as_str()) {
        return Err(ApiError::invalid(
            "channel",
            Msg::new("one_of").with("choices", CHANNELS.join(", ")),
        ));
    }
    let ch = st.change().await?;
    let c = complaint_new(&st, &ch, &b, &channel, Some(p.account.id)).await?;
    let mut ev = p.event("complaint.create", format!("complaint:{}", c.id), Outcome::Ok);
    ev.rule = Some(st.profile.complaints.rule.to_string());
    ev.detail = json!({ "number": c.number, "category": c.category, "channel": channel });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(ComplaintView::of(&c, st.clock.now_ms())))
}

/// `POST /api/v1/complaints/{id}/respond`.
pub async fn respond_complaint(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<ResponseBody>,
) -> ApiResult<Json<ComplaintView>> {
    required("response", &b.response)?;
    kept_complaint(&st, &p, id).await?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let c = ch.respond_complaint(id, b.response.trim(), p.account.id, now).await?;
    let mut ev = p.event("complaint.respond", format!("complaint:{id}"), Outcome::Ok);
    ev.detail = json!({ "number": c.number, "late": now > c.due_at.ms() });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(ComplaintView::of(&c, now)))
}

/// `POST /api/v1/complaints/{id}/close`.
pub async fn close_complaint(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<ComplaintView>> {
    kept_complaint(&st, &p, id).await?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let c = ch.close_complaint(id, p.account.id, now).await?;
    st.audit_in(&ch, p.event("complaint.close", format!("complaint:{id}"), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(ComplaintView::of(&c, now)))
}

/// A fiscal year as the API takes it: 2000–2100.
fn fiscal_year_field(v: &str) -> ApiResult<i16> {
    v.trim()
        .parse::<i16>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| ApiError::invalid("fiscal_year", Msg::new("fiscal_year_format")))
}

/// The yearly report covers every organisation's cameras: it is the city's to draw up and
/// publish (issue 15; PROD-OWN-3). A Kawaguchi group's installer publishes its own rules
/// document (KAW-2.2.7), not the city's report.
fn city_report(st: &AppState, p: &Principal) -> ApiResult<()> {
    if p.keeps(&st.profile, None) {
        return Ok(());
    }
    Err(ApiError::forbidden(&st.profile.ownership.rule, Msg::new("report_city")))
}

/// Whether the caller may dispose of this server's recorder: it keeps the records of every
/// owner whose cameras the recorder holds (issue 15) — the city; a facility or group only of a
/// recorder holding its own cameras alone.
async fn disposes_here(st: &AppState, p: &Principal) -> ApiResult<bool> {
    let cams = st.db.cameras().await?;
    Ok(cams.iter().all(|c| p.keeps(&st.profile, c.owner_org_id)))
}

/// `GET /api/v1/reports/annual?fiscal_year=2026`: the yearly report (KIT-8), counts only,
/// small counts suppressed.
pub async fn annual_report(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<AnnualReportView>> {
    city_report(&st, &p)?;
    let fy = match q.get("fiscal_year") {
        Some(v) => fiscal_year_field(v)?,
        None => fiscal_year(st.clock.now_ms()),
    };
    let r = compute_report(&st, fy).await?;
    let mut ev = p.event("report.annual", format!("report:{fy}"), Outcome::Ok);
    ev.rule = st.profile.report.rule.as_ref().map(|r| r.to_string());
    st.audit(ev).await?;
    Ok(Json(r))
}

/// The yearly report (KIT-8): counts only, small counts suppressed.
pub type AnnualReportView = report::AnnualReport;

/// `POST /api/v1/reports/annual/publish`: publishes an ended fiscal year's report (KIT-8) as it
/// stands now — frozen, so the public reads what was published — and fulfils the yearly
/// publication duty where the profile has one. Publishing again is a correction: a new version.
pub async fn publish_report(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<PublishReportBody>,
) -> ApiResult<Json<PublishedReportView>> {
    city_report(&st, &p)?;
    let fy = fiscal_year_field(&b.fiscal_year.to_string())?;
    let now = st.clock.now_ms();
    if fy >= fiscal_year(now) {
        // A year is reported once it has ended (KIT-8: 運用状況を年度ごとに公表).
        return Err(ApiError::invalid(
            "fiscal_year",
            Msg::new("fiscal_year_open").with("year", fy),
        ));
    }
    let note = b.note.as_deref().unwrap_or("").trim().to_owned();
    max_len("note", &note, 1000)?;
    let r = compute_report(&st, fy).await?;
    let text = serde_json::to_string(&r).map_err(|_| ApiError::internal("encoding the report"))?;
    let ch = st.change().await?;
    let published = ch.publish_report(fy, &text, p.account.id, &note, now).await?;
    let mut ev = p.event("report.publish", format!("report:{fy}"), Outcome::Ok);
    ev.rule = st.profile.report.rule.as_ref().map(|r| r.to_string());
    ev.detail = json!({ "version": published.version });
    st.audit_in(&ch, ev).await?;
    let office = crate::duties::subjects(&st, &ch, policy::duties::DutySubject::Office).await?;
    for subject in &office {
        crate::duties::fulfilled_by_action(
            &st,
            &ch,
            &p,
            policy::duties::DoneBy::ReportPublication,
            subject,
            Some(&format!("FY{fy}")),
            if note.is_empty() { "published" } else { &note },
        )
        .await?;
    }
    ch.commit().await?;
    Ok(Json(PublishedReportView::of(&published)))
}

/// A published yearly report's version.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublishedReportView {
    /// The fiscal year (April to March).
    pub fiscal_year: i64,
    /// 1 for the first publication; a correction is the next.
    pub version: i64,
    /// When (JST).
    pub published_at: String,
    /// What the publisher noted (a correction's reason).
    pub note: String,
}

impl PublishedReportView {
    fn of(r: &store::reports::PublishedReport) -> Self {
        PublishedReportView {
            fiscal_year: r.fiscal_year,
            version: r.version,
            published_at: jst(r.published_at),
            note: r.note.clone(),
        }
    }
}

/// The published yearly reports.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublicReports {
    /// Who publishes them (the city).
    pub operator: String,
    /// Newest year first.
    pub reports: Vec<PublishedReportView>,
}

/// A year's report as published.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublicReport {
    /// Its version and date.
    #[serde(flatten)]
    pub published: PublishedReportView,
    /// The report as it was frozen when published.
    #[schema(value_type = Object)]
    pub report: Value,
}

/// `GET /api/v1/public/reports`: the published yearly reports, newest year first (no login).
pub async fn public_reports(State(st): State<Arc<AppState>>) -> ApiResult<Json<PublicReports>> {
    let reports = st.db.published_reports().await?.iter().map(PublishedReportView::of).collect();
    Ok(Json(PublicReports { operator: st.profile.profile.name_ja.clone(), reports }))
}

/// `GET /api/v1/public/reports/{fy}`: a year's report as published (its newest version), with
/// the version and date; 404 before it is published.
pub async fn public_report(
    State(st): State<Arc<AppState>>,
    Id(fy): Id,
) -> ApiResult<Json<PublicReport>> {
    let fy = fiscal_year_field(&fy.to_string())?;
    let Some(r) = st.db.published_report(fy).await? else {
        return Err(ApiError::not_found(Msg::new("report_not_published").with("year", fy)));
    };
    let report: Value =
        serde_json::from_str(&r.report).map_err(|_| ApiError::internal("reading a report"))?;
    Ok(Json(PublicReport { published: PublishedReportView::of(&r), report }))
}

/// The yearly report of `fy` as the records stand now.
async fn compute_report(st: &AppState, fy: i16) -> ApiResult<report::AnnualReport> {
    let bad = |e: crate::report_facts::ReportError| match e {
        crate::report_facts::ReportError::Store(s) => ApiError::from(s),
        crate::report_facts::ReportError::Year(y) => {
            ApiError::invalid("fiscal_year", Msg::new("fiscal_year_range").with("year", y))
        }
        crate::report_facts::ReportError::Future(y) => {
            ApiError::invalid("fiscal_year", Msg::new("fiscal_year_future").with("year", y))
        }
        crate::report_facts::ReportError::Audit(why) => {
            tracing::error!(error = %why, "audit log while gathering the yearly report");
            ApiError::internal("reading the audit log")
        }
    };
    let (from, to) = crate::report_facts::period(fy, st.clock.now_ms()).map_err(bad)?;
    // Uptime, gaps and erasures from every recorder node that answers.
    let mut node: Option<node::NodeFacts> = None;
    for n in st.nodes() {
        match n.report_facts(from, to).await {
            Ok(f) => {
                let all = node.get_or_insert_with(Default::default);
                all.gaps.extend(f.gaps);
                all.first_recorded.extend(f.first_recorded);
                all.erased_camera_days += f.erased_camera_days;
            }
            Err(e) => {
                tracing::warn!(node = %n.id(), error = %e, "recorder facts missing from the report")
            }
        }
    }
    let facts = crate::report_facts::gather(st, fy, node).await.map_err(bad)?;
    Ok(report::build(&facts))
}

/// The public camera list (NIS-3.1b): who runs the cameras and where each is.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublicCameras {
    /// The city that operates them.
    pub operator: String,
    /// The cameras in service.
    pub cameras: Vec<PublicCamera>,
}

/// A camera in service as anyone may see it: no footage, no stream address, no personal data.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublicCamera {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Who installed it: the owning group or facility (KAW-2.2.1: its name on the sign), else
    /// the city.
    pub installer: String,
    /// The installing group's organisation, for its own rules document (KAW-2.2.7); none for
    /// the city.
    pub installer_id: Option<i64>,
    /// Its site.
    pub site: Option<String>,
    /// The site's address.
    pub address: Option<String>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// What the sign says.
    pub signage_text: Option<String>,
    /// When it was installed (a day).
    pub installed: String,
}

/// The public rows of the cameras in service, each naming its installer: the organisation that
/// owns it where that is not the city (a Kawaguchi community group, a Saku facility: KAW-2.2.1
/// has the installer's name on the sign), else the city.
fn public_cameras_rows(
    cams: &[store::registry::Camera],
    sites: &[store::registry::Site],
    orgs: &[store::accounts::Organisation],
    city: &str,
) -> Vec<PublicCamera> {
    cams.iter()
        .filter(|c| c.status != store::registry::CameraStatus::Decommissioned)
        .map(|c| {
            let s = sites.iter().find(|s| s.id == c.site_id);
            let owner = orgs.iter().find(|o| Some(o.id) == c.owner_org_id);
            let group = owner.filter(|o| o.kind != policy::profile::OrgKind::City);
            PublicCamera {
                code: c.code.clone(),
                name: c.name.clone(),
                installer: group.map_or(city, |o| o.name.as_str()).to_owned(),
                installer_id: group.map(|o| o.id),
                site: s.map(|s| s.name.clone()),
                address: s.map(|s| s.address.clone()),
                latitude: s.and_then(|s| s.latitude),
                longitude: s.and_then(|s| s.longitude),
                signage_text: s.map(|s| s.signage_text.clone()),
                installed: c.install_date.clone(),
            }
        })
        .collect()
}

/// `GET /api/v1/public/cameras`: where the cameras are and what their signs say (NIS-3.1b),
/// open data: no footage, no personal data. `?format=csv` gives UTF-8 CSV with a BOM.
pub async fn public_cameras(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<OrCsv<PublicCameras>> {
    let cams = st.db.cameras().await?;
    let sites = st.db.sites().await?;
    let orgs = st.db.organisations().await?;
    let operator = st.profile.profile.name_ja.clone();
    let cameras = public_cameras_rows(&cams, &sites, &orgs, &operator);
    if q.get("format").map(String::as_str) != Some("csv") {
        return Ok(OrCsv::Json(PublicCameras { operator, cameras }));
    }
    let mut out = String::from(
        "\u{feff}カメラ番号,名称,設置場所,所在地,緯度,経度,設置者,表示の文言,設置日\r\n",
    );
    let text = |v: &Option<String>| csv_cell(v.as_deref().unwrap_or(""));
    let number = |v: Option<f64>| csv_cell(&v.map(|x| x.to_string()).unwrap_or_default());
    for r in &cameras {
        let cells = [
            csv_cell(&r.code),
            csv_cell(&r.name),
            text(&r.site),
            text(&r.address),
            number(r.latitude),
            number(r.longitude),
            csv_cell(&r.installer),
            text(&r.signage_text),
            csv_cell(&r.installed),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok(OrCsv::Csv(out))
}

/// `POST /api/v1/cameras/{id}/decommission`: with a reason; before the profile's minimum
/// operation period (KAW-2.1.3: five years) it is flagged as early.
pub async fn decommission_camera(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<Decommissioned>> {
    required("reason", &b.reason)?;
    let cam = super::admin::own_camera(&st, &p, id).await?;
    let now = st.clock.now();
    let early_by = st.profile.decommission_early(&cam.install_date, policy::jst::date(now));
    let early = early_by.is_some();
    let ch = st.change().await?;
    ch.decommission_camera(id, b.reason.trim(), early, now.as_millisecond()).await?;
    let mut ev = p.event("camera.decommission", format!("camera:{}", cam.code), Outcome::Ok);
    ev.rule = early_by.map(ToString::to_string);
    ev.detail = json!({ "reason": b.reason.trim(), "early": early, "installed": cam.install_date });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(Decommissioned { camera: cam.code, early }))
}

/// A camera taken out of operation.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Decommissioned {
    /// Its code.
    pub camera: String,
    /// Before the profile's minimum operation period (KAW-2.1.3).
    pub early: bool,
}

/// A camera put into operation.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Commissioned {
    /// Its code.
    pub camera: String,
    /// When (JST).
    pub commissioned_at: String,
    /// The camera's own overwrite cycle, where it holds the footage (NIS-2).
    pub overwrite_cycle_days: Option<u32>,
}

/// `POST /api/v1/cameras/{id}/commission`: the camera goes into operation, its aim and masks
/// checked; from now on no still of it is taken outside the instruction chain (ALL-REC-2).
pub async fn commission_camera(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    super::MaybeBody(b): super::MaybeBody<CommissionBody>,
) -> ApiResult<Json<Commissioned>> {
    let cam = super::admin::own_camera(&st, &p, id).await?;
    // rule: NIS-2, NIS-6 — where the camera holds the footage, its overwrite cycle first.
    let cycle = st.profile.check_overwrite_cycle(b.overwrite_cycle_days)?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    ch.commission_camera(id, now, cycle.map(i64::from)).await?;
    let mut ev = p.event("camera.commission", format!("camera:{}", cam.code), Outcome::Ok);
    ev.rule = Some(cited::NO_LIVE_VIEW.to_string());
    ev.detail = json!({ "overwrite_cycle_days": cycle });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(Commissioned {
        camera: cam.code,
        commissioned_at: jst_ms(now),
        overwrite_cycle_days: cycle,
    }))
}

/// `POST /api/v1/cameras/{id}/commission`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionBody {
    /// Where the camera holds the footage (NIS-2): the days it keeps before overwriting.
    #[serde(default)]
    pub overwrite_cycle_days: Option<u32>,
}

/// `POST /api/v1/cameras/{id}/footage-checks`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FootageCheckBody {
    /// The recording day of the oldest footage found on the camera (`YYYY-MM-DD`, JST).
    pub oldest_day: String,
    /// What was looked at (the retrieval software's list on the dedicated PC).
    pub note: String,
}

/// `POST /api/v1/cameras/{id}/footage-checks`: records the day of the oldest footage a camera
/// holds itself, found with the retrieval software on the dedicated PC (NIS-2), and its age
/// against the retention band (NIS-6, PROD-RET-3). An age outside the band, either way, opens
/// an incident (`camera_footage_drift`) for the reviewers; the check does the camera's
/// footage-check duty (PROD-DUTY-6). Audited.
pub async fn record_footage_check(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<FootageCheckBody>,
) -> ApiResult<Json<FootageCheckRecorded>> {
    let cam = super::admin::own_camera(&st, &p, id).await?;
    // Every field at fault in one answer (issue 19, item 3).
    let mut check = Check::new();
    let oldest = check.take(b.oldest_day.trim().parse::<jiff::civil::Date>().map_err(|_| {
        ApiError::invalid(
            "oldest_day",
            Msg::new("day").with("value", format!("{:?}", b.oldest_day)),
        )
    }))?;
    check.take(required("note", &b.note))?;
    check.finish()?;
    let Some(oldest) = oldest else {
        return Err(ApiError::invalid("oldest_day", Msg::new("day").with("value", &b.oldest_day)));
    };
    if cam.status == store::registry::CameraStatus::Decommissioned {
        return Err(ApiError::conflict(
            Msg::new("camera_decommissioned_no_footage").with("code", &cam.code),
        ));
    }
    let today = policy::jst::date(st.clock.now());
    let age = st.profile.footage_age(oldest, today)?;
    let verdict = age.verdict.as_str();
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let row = ch
        .record_footage_check(&store::camera_store::NewFootageCheck {
            camera_id: cam.id,
            oldest_day: &oldest.to_string(),
            checked_at: store::At::saturating(now),
            checked_on: &today.to_string(),
            age_days: i64::from(age.age_days),
            verdict,
            method: "manual",
            note: b.note.trim(),
            checked_by: p.account.id,
        })
        .await?;
    let drift = age.verdict != policy::camera_store::AgeVerdict::Within;
    let rule = &age.rule;
    let mut ev = p.event(
        "camera.footage_check",
        format!("camera:{}", cam.code),
        if drift { Outcome::Failed } else { Outcome::Ok },
    );
    ev.rule = Some(rule.to_string());
    ev.detail = json!({ "oldest_day": row.oldest_day, "age_days": age.age_days, "verdict": verdict,
        "band": [age.floor_days, age.ceiling_days], "cycle": cam.overwrite_cycle_days });
    st.audit_in(&ch, ev).await?;
    let mut incident = false;
    if drift {
        let facts =
            crate::incidents::IncidentFacts::CameraFootageDrift(crate::incidents::FootageDrift {
                camera: cam.code.clone(),
                oldest_day: row.oldest_day.clone(),
                age_days: i64::from(age.age_days),
                verdict: age.verdict,
                band: [age.floor_days, age.ceiling_days],
                overwrite_cycle_days: cam.overwrite_cycle_days,
            });
        let at = crate::incidents::Place {
            month: &row.checked_on,
            workstation: 0,
            key: &cam.code,
            owner: cam.owner_org_id,
        };
        incident = crate::incidents::open(&ch, at, &facts, now).await?;
    }
    let key = format!("camera:{}", cam.code);
    let subject = crate::duties::subjects(&st, &ch, policy::duties::DutySubject::Camera)
        .await?
        .into_iter()
        .find(|s| s.key == key);
    if let Some(subject) = subject {
        crate::duties::fulfilled_by_action(
            &st,
            &ch,
            &p,
            policy::duties::DoneBy::FootageCheck,
            &subject,
            None,
            "oldest footage checked",
        )
        .await?;
    }
    ch.commit().await?;
    Ok(Json(FootageCheckRecorded {
        id: row.id,
        camera: cam.code,
        oldest_day: row.oldest_day,
        checked_on: row.checked_on,
        age_days: age.age_days,
        verdict: verdict.to_owned(),
        band: (age.floor_days, age.ceiling_days),
        incident,
        rule: rule.to_string(),
    }))
}

/// A check of the footage a camera holds, as recorded (NIS-2, NIS-6).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FootageCheckRecorded {
    /// Id.
    pub id: i64,
    /// The camera's code.
    pub camera: String,
    /// The recording day of the oldest footage found (`YYYY-MM-DD`, JST).
    pub oldest_day: String,
    /// The day of the check (JST).
    pub checked_on: String,
    /// Whole days from the oldest day to the check.
    pub age_days: i32,
    /// `within`, `too_young` or `too_old`.
    pub verdict: String,
    /// The band of days the footage's age must lie in.
    #[schema(value_type = Vec<u32>)]
    pub band: (u32, u32),
    /// Whether a drift incident was opened.
    pub incident: bool,
    /// The rule judged by.
    pub rule: String,
}

/// A camera's footage checks.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FootageChecks {
    /// The camera's code.
    pub camera: String,
    /// The camera's own overwrite cycle in days.
    pub overwrite_cycle_days: Option<i64>,
    /// The band of days the footage's age must lie in, where the camera holds the footage.
    #[schema(value_type = Option<Vec<u32>>)]
    pub band: Option<(u32, u32)>,
    /// Newest first.
    pub checks: Vec<FootageCheckView>,
}

/// One recorded check.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FootageCheckView {
    /// Id.
    pub id: i64,
    /// The recording day of the oldest footage found.
    pub oldest_day: String,
    /// The day of the check.
    pub checked_on: String,
    /// When it was recorded (JST).
    pub checked_at: String,
    /// Whole days from the oldest day to the check.
    pub age_days: i64,
    /// `within`, `too_young` or `too_old`.
    pub verdict: String,
    /// `manual`.
    pub method: String,
    /// What was looked at.
    pub note: String,
    /// Who recorded it.
    pub checked_by: i64,
}

/// `GET /api/v1/cameras/{id}/footage-checks`: the checks of the footage a camera holds, newest
/// first (at most 100).
pub async fn list_footage_checks(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<FootageChecks>> {
    let cam = super::admin::own_camera(&st, &p, id).await?;
    let checks = st.db.footage_checks(cam.id, 100).await?;
    Ok(Json(FootageChecks {
        camera: cam.code,
        overwrite_cycle_days: cam.overwrite_cycle_days,
        band: st.profile.camera_footage_band(),
        checks: checks
            .into_iter()
            .map(|c| FootageCheckView {
                id: c.id,
                oldest_day: c.oldest_day,
                checked_on: c.checked_on,
                checked_at: jst(c.checked_at),
                age_days: c.age_days,
                verdict: c.verdict,
                method: c.method,
                note: c.note,
                checked_by: c.checked_by,
            })
            .collect(),
    }))
}

/// `GET /api/v1/cameras/{id}/still[?extraction=E]`: the still for checking aim and masks,
/// decoded from what was stored (so a camera masked in the recorder shows its masks).
/// rule: ALL-REC-2 — before the camera is commissioned, for the people who keep the registry or
/// the masks: the newest keyframe. Afterwards only through the instruction chain: the extractor
/// of an instructed extraction covering the camera, on the workstation it was made on, while
/// the request is still open for its ledger entry, gets the first keyframe within the instructed
/// range. Every still taken or refused is audited (with the PNG's BLAKE3 hash, for the ledger).
pub async fn camera_still(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let cam = super::admin::own_camera(&st, &p, id).await?;
    let target = format!("camera:{}", cam.code);
    let extraction = match q.get("extraction") {
        Some(v) => Some(
            v.parse::<i64>().map_err(|_| ApiError::invalid("extraction", Msg::new("id_number")))?,
        ),
        None => None,
    };
    let refusal = match extraction {
        None => still_before_commissioning(&st, &p, &cam),
        Some(eid) => still_under_extraction(&st, &p, &cam, eid).await?,
    };
    let (within, mut detail) = match refusal {
        Ok(ok) => ok,
        Err(why) => {
            let mut ev = p.event("camera.still", target, Outcome::Denied);
            ev.rule = Some(cited::NO_LIVE_VIEW.to_string());
            ev.detail = json!({ "extraction": extraction, "why": why.english() });
            st.audit(ev).await?;
            return Err(ApiError::forbidden(&cited::NO_LIVE_VIEW, why));
        }
    };
    // On a central-room terminal, only while inside by a recorded entry (KIT-5.5).
    super::footage::check_in_room(&st, &p).await?;
    let Some(node) = st.node_for(&cam.code) else {
        return Err(ApiError::unavailable(Msg::new("camera_not_recorded").with("code", &cam.code)));
    };
    let node::Still { png, recorded_ms: at } = node.still(&cam.code, within).await?;
    let mut ev = p.event("camera.still", target, Outcome::Ok);
    ev.rule = Some(cited::NO_LIVE_VIEW.to_string());
    detail["recorded_at"] = json!(jst_ms(at));
    detail["bytes"] = json!(png.len());
    detail["blake3"] = json!(blake3::hash(&png).to_hex().to_string());
    ev.detail = detail;
    st.audit(ev).await?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png)
        .into_response())
}

/// What a still may show: `Ok((range, audit detail))` or `Err(why it is refused)`.
type StillGrant = Result<(Option<(i64, i64)>, Value), Msg>;

/// Before commissioning: the registry's or the masks' keepers, the newest keyframe.
fn still_before_commissioning(
    st: &AppState,
    p: &Principal,
    cam: &store::registry::Camera,
) -> StillGrant {
    let keeper = [Permission::MaskManage, Permission::RegistryManage]
        .into_iter()
        .any(|perm| p.role_with(&st.profile, perm).is_some());
    if !keeper {
        return Err(Msg::new("still_needs_extraction"));
    }
    if cam.commissioned_at.is_some() || cam.status != store::registry::CameraStatus::Active {
        return Err(Msg::new("still_in_operation"));
    }
    Ok((None, json!({ "before_commissioning": true })))
}

/// Through the instruction chain: the extractor, on the extraction's workstation, for a camera
/// and range the instruction covered, while the request awaits its ledger entry.
async fn still_under_extraction(
    st: &AppState,
    p: &Principal,
    cam: &store::registry::Camera,
    eid: i64,
) -> ApiResult<StillGrant> {
    let e = super::extraction::extraction_or_404(st, eid).await?;
    let Some(request) = e.request_id else {
        return Ok(Err(Msg::new("still_not_emergency")));
    };
    if e.operator_id != p.account.id {
        return Ok(Err(Msg::new("still_extractor_only").with("id", eid)));
    }
    if p.workstation.as_ref().map(|w| w.id) != Some(e.workstation_id) {
        return Ok(Err(Msg::new("still_same_workstation").with("id", eid)));
    }
    if !store::parse_list(&e.cameras)?.contains(&cam.code) {
        return Ok(Err(Msg::new("still_camera_not_covered")
            .with("id", eid)
            .with("camera", &cam.code)));
    }
    let r = st
        .db
        .request(request)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_request").with("id", request)))?;
    let open = r.state.awaits_ledger();
    if !open {
        return Err(ApiError::conflict(
            Msg::new("still_after_close").with("id", request).with("state", r.state.as_str()),
        ));
    }
    Ok(Ok((
        Some((e.range_from.ms(), e.range_to.ms())),
        json!({ "extraction": eid, "request": request, "from": jst(e.range_from), "to": jst(e.range_to) }),
    )))
}

/// The clause a disposal cites: the profile's first disposal rule.
fn disposal_rule(st: &AppState) -> &RuleId {
    st.profile.disposal.rules.first().unwrap_or(&st.profile.workflow.rule)
}

/// A recorder's disposal and who confirmed it (ASA-3.3d, KIT-5.7).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DisposalView {
    /// Id.
    pub id: i64,
    /// `DS-2026-0001`.
    pub number: String,
    /// The device disposed of.
    pub device: String,
    /// Its disks' serial numbers.
    pub serials: Vec<String>,
    /// `overwrite_verified`, `shred`, `melt` or `degauss`.
    pub method: String,
    /// A note.
    pub note: String,
    /// When the device was found to hold no live key (JST).
    pub keys_checked_at: Option<String>,
    /// Who recorded it.
    pub recorded_by: i64,
    /// When (JST).
    pub recorded_at: String,
    /// When enough people, the required roles among them, had confirmed (JST).
    pub completed_at: Option<String>,
    /// The confirmations.
    pub confirmations: Vec<DisposalConfirmation>,
    /// Distinct people who must confirm.
    pub min_confirmers: u32,
    /// Roles one of whose holders must be among them.
    pub required_roles: Vec<String>,
    /// The city, on a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// One person's confirmation of a disposal.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DisposalConfirmation {
    /// Who.
    pub account_id: i64,
    /// In which role.
    pub role: String,
    /// When (JST).
    pub confirmed_at: String,
}

async fn disposal_view(st: &AppState, d: &store::lifecycle::Disposal) -> ApiResult<DisposalView> {
    let confirmations = st.db.confirmations(d.id).await?;
    Ok(DisposalView {
        id: d.id,
        number: d.number.clone(),
        device: d.device.clone(),
        serials: serde_json::from_str(&d.serials).unwrap_or_default(),
        method: d.method.clone(),
        note: d.note.clone(),
        keys_checked_at: jst_opt(d.keys_checked_at),
        recorded_by: d.recorded_by,
        recorded_at: jst(d.recorded_at),
        completed_at: jst_opt(d.completed_at),
        confirmations: confirmations
            .iter()
            .map(|c| DisposalConfirmation {
                account_id: c.account_id,
                role: c.role.clone(),
                confirmed_at: jst(c.confirmed_at),
            })
            .collect(),
        min_confirmers: st.profile.disposal.min_confirmers,
        required_roles: st.profile.disposal.required_roles.clone(),
        profile: None,
    })
}

/// `POST /api/v1/disposals`: records the disposal of a recorder node, only once every key for
/// footage on it has been destroyed (so nothing on its disks can be decrypted). rule: ASA-3.3d,
/// KIT-5.7
pub async fn create_disposal(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<DisposalBody>,
) -> ApiResult<Json<DisposalView>> {
    required("device", &b.device)?;
    if !disposes_here(&st, &p).await? {
        return Err(ApiError::forbidden(&st.profile.ownership.rule, Msg::new("disposal_shared")));
    }
    if !METHODS.contains(&b.method.as_str()) {
        return Err(ApiError::invalid(
            "method",
            Msg::new("one_of").with("choices", METHODS.join(", ")),
        ));
    }
    if b.serials.iter().all(|s| s.trim().is_empty()) {
        return Err(ApiError::invalid("serials", Msg::new("serials_required")));
    }
    let Some(node) = st.nodes().into_iter().find(|n| n.id() == b.device.trim()) else {
        return Err(ApiError::conflict(
            Msg::new("disposal_other_server").with("device", b.device.trim()),
        ));
    };
    let keys: Vec<String> = node
        .live_keys()
        .await
        .map_err(|e| ApiError::conflict(Msg::new("keys_check_failed").with("error", e)))?
        .iter()
        .map(ToString::to_string)
        .collect();
    if !keys.is_empty() {
        let shown: Vec<&String> = keys.iter().take(5).collect();
        return Err(ApiError::refused(
            disposal_rule(&st),
            Some("device"),
            Msg::new("disposal_keys_left")
                .with("count", keys.len())
                .with("device", b.device.trim())
                .with("keys", shown.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")),
        ));
    }
    let now = st.clock.now_ms();
    let serials: Vec<&str> = b.serials.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    let ch = st.change().await?;
    let d = ch
        .create_disposal(
            b.device.trim(),
            &serde_json::to_string(&serials).unwrap_or_default(),
            &b.method,
            b.note.as_deref().unwrap_or("").trim(),
            Some(now),
            p.account.id,
            fiscal_year(now),
            now,
        )
        .await?;
    let mut ev = p.event("disposal.create", format!("disposal:{}", d.id), Outcome::Ok);
    ev.rule = Some(disposal_rule(&st).to_string());
    ev.detail = json!({ "device": d.device, "method": d.method, "keys_left": 0 });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(disposal_view(&st, &d).await?))
}

/// `GET /api/v1/disposals`.
pub async fn list_disposals(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<DisposalView>>> {
    if !disposes_here(&st, &p).await? {
        return Ok(Json(Vec::new()));
    }
    let mut out = Vec::new();
    for d in st.db.disposals().await? {
        out.push(disposal_view(&st, &d).await?);
    }
    Ok(Json(out))
}

/// `POST /api/v1/disposals/{id}/confirm`: one person confirms; the disposal completes when
/// enough distinct people, the required roles among them, have. rule: KIT-5.7
pub async fn confirm_disposal(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<DisposalView>> {
    let d = st
        .db
        .disposal(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_disposal").with("id", id)))?;
    if !disposes_here(&st, &p).await? {
        return Err(ApiError::not_found(Msg::new("no_such_disposal").with("id", id)));
    }
    if d.completed_at.is_some() {
        return Err(ApiError::conflict(Msg::new("disposal_complete").with("number", &d.number)));
    }
    let role = p
        .roles
        .iter()
        .find(|r| st.profile.disposal.required_roles.contains(r))
        .or_else(|| p.role_with(&st.profile, Permission::DisposalConfirm))
        .cloned()
        .unwrap_or_default();
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    ch.confirm_disposal(id, p.account.id, &role, now).await?;
    let confirmations = ch.confirmations(id).await?;
    let rule = &st.profile.disposal;
    let complete = confirmations.len() as u32 >= rule.min_confirmers
        && rule.required_roles.iter().all(|r| confirmations.iter().any(|c| &c.role == r));
    if complete {
        ch.complete_disposal(id, now).await?;
    }
    let mut ev = p.event("disposal.confirm", format!("disposal:{id}"), Outcome::Ok);
    ev.role = Some(role);
    ev.rule = Some(disposal_rule(&st).to_string());
    ev.detail = json!({ "confirmations": confirmations.len(), "complete": complete });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let d = st
        .db
        .disposal(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_disposal").with("id", id)))?;
    Ok(Json(disposal_view(&st, &d).await?))
}

/// `GET /api/v1/disposals/{id}/certificate`: only for a completed disposal (enough confirmers,
/// the required roles among them).
pub async fn disposal_certificate(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<DisposalView>> {
    let d = st
        .db
        .disposal(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_disposal").with("id", id)))?;
    if !disposes_here(&st, &p).await? {
        return Err(ApiError::not_found(Msg::new("no_such_disposal").with("id", id)));
    }
    if d.completed_at.is_none() {
        let rule = &st.profile.disposal;
        return Err(ApiError::refused(
            disposal_rule(&st),
            None,
            Msg::new("disposal_unconfirmed")
                .with("number", &d.number)
                .with("count", rule.min_confirmers)
                .with("roles", st.profile.role_names(&rule.required_roles)),
        ));
    }
    let mut v = disposal_view(&st, &d).await?;
    v.profile = Some(st.profile.profile.name_ja.clone());
    Ok(Json(v))
}

/// `GET /api/v1/rules-doc`: the installer's rules document (KAW-2.2.7 ア–キ) made from the live
/// configuration.
pub async fn rules_doc(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<RulesDocView>> {
    // `?installer=ID`: the rules document of a camera owner other than the city (KAW-2.2.7).
    let installer = match q.get("installer") {
        None => None,
        Some(v) => {
            let id = v
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("installer", Msg::new("id_number")))?;
            let org =
                st.db.organisation(id).await?.filter(|o| o.kind != policy::profile::OrgKind::City);
            let owns = st.db.sites().await?.iter().any(|s| s.owner_org_id == Some(id));
            match org {
                Some(o) if owns => Some(o),
                _ => return Err(ApiError::not_found(Msg::new("no_such_installer").with("id", id))),
            }
        }
    };
    let d = crate::report_facts::installer_rules_doc(&st, installer.as_ref()).await.map_err(
        |e| match e {
            crate::report_facts::ReportError::Store(s) => ApiError::from(s),
            other => {
                tracing::error!(error = %other, "gathering the rules document");
                ApiError::internal("gathering the rules document")
            }
        },
    )?;
    Ok(Json(d))
}

/// The installer's rules document (KAW-2.2.7 ア–キ).
pub type RulesDocView = report::rules_doc::RulesDoc;

/// `GET /api/v1/public/city`: the city whose system this is, for the public pages' header
/// (issue 19, item 8).
pub async fn public_city(State(st): State<Arc<AppState>>) -> ApiResult<Json<PublicCity>> {
    let p = &st.profile.profile;
    let emblem = st.emblem().map(|_| "/api/v1/public/emblem".to_owned());
    Ok(Json(PublicCity { ja: p.name_ja.clone(), en: p.name_en.clone(), emblem }))
}

/// The city whose system this is.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublicCity {
    /// Its name in Japanese.
    pub ja: String,
    /// In English.
    pub en: String,
    /// Where its emblem is served, when it has one.
    pub emblem: Option<String>,
}

/// `GET /api/v1/public/emblem`: the city's emblem (issue 19, item 8). An SVG opened on its own
/// runs nothing: the policy below forbids scripts and every load.
pub async fn public_emblem(State(st): State<Arc<AppState>>) -> ApiResult<Response> {
    let e = st.emblem().ok_or_else(|| ApiError::not_found(Msg::new("no_emblem")))?;
    Response::builder()
        .header(header::CONTENT_TYPE, e.content_type())
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        )
        .body(axum::body::Body::from(e.bytes()))
        .map_err(|_| ApiError::internal("sending the emblem"))
}
