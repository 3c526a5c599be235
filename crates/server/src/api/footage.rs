//! The footage workflow (SPEC.md §4): request → (relay) → decision → instruction chain →
//! extraction → (report) → ledger; internal use (NIS-9.1). Viewings are in [`super::viewing`].
//!
//! Every transition asks the `policy` crate first, then changes state with a conditional update
//! (so a concurrent actor gets 409), then writes the audit entry.

use super::types::*;
use super::{Body, Id, MaybeBody, extraction};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Check, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::extract::State;
use axum::{Extension, Json};
use policy::Permission;
use policy::retention::Period;
use policy::workflow::{Filing, RequestState};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use store::workflow::{LedgerEntry, NewExtraction, NewRequest, Request};
use store::{json_list, parse_list};

/// The Japanese fiscal year of an instant the store keeps ([`policy::jst::fiscal_year`]).
pub fn fiscal_year(ms: i64) -> i16 {
    policy::jst::fiscal_year(store::ts(ms))
}

/// Checks camera codes against the registry (active cameras only).
pub async fn checked_cameras(
    st: &AppState,
    field: &str,
    codes: &[String],
) -> ApiResult<Vec<store::registry::Camera>> {
    if codes.is_empty() {
        return Err(ApiError::invalid(field, Msg::new("cameras_required")));
    }
    if codes.len() > 100 {
        return Err(ApiError::invalid(field, Msg::new("cameras_too_many").with("max", 100)));
    }
    let mut out = Vec::new();
    for code in codes {
        let c = st.db.camera_by_code(code).await?;
        match c {
            Some(c) if c.status == store::registry::CameraStatus::Active => out.push(c),
            Some(_) => {
                let msg = Msg::new("camera_decommissioned").with("code", code);
                return Err(ApiError::invalid(field, msg));
            }
            None => {
                let msg = Msg::new("camera_not_registered").with("code", code);
                return Err(ApiError::invalid(field, msg));
            }
        }
    }
    Ok(out)
}

/// Checks that footage for `[from, to)` can still exist: not in the future, not already erased
/// under the retention rule (unless a hold pins it).
pub async fn check_range_available(
    st: &AppState,
    cameras: &[store::registry::Camera],
    from: store::At,
    to: store::At,
) -> ApiResult<()> {
    let (from, to) = (from.ms(), to.ms());
    let now = st.clock.now_ms();
    if from >= now {
        return Err(ApiError::invalid("from", Msg::new("range_starts_future")));
    }
    if to > now + 60_000 {
        return Err(ApiError::invalid("to", Msg::new("range_future")));
    }
    let holds = st.db.holds_in_force(now).await?;
    let profile = &st.profile;
    for cam in cameras {
        let period = camera_period(st, cam).await?;
        let erase =
            policy::retention::erase_at(store::ts(from), period, profile.retention.counting)
                .map_err(|_| ApiError::invalid("from", Msg::new("date_outside_calendar")))?;
        let held = holds
            .iter()
            .any(|h| h.camera == cam.code && h.range_from.ms() <= from && from < h.range_to.ms());
        if erase.as_millisecond() <= now && !held {
            return Err(ApiError::refused(
                &profile.retention.rule,
                Some("from"),
                super::types::period_msg(("past_retention_days", "past_retention_months"), period)
                    .with("camera", &cam.code)
                    .with("recorded", policy::jst::minute(store::ts(from)))
                    .with("erased", policy::jst::minute(erase)),
            ));
        }
    }
    Ok(())
}

/// Whether the caller may see a request: deciders, chain members and ledger readers see all;
/// a requester sees their own.
pub(crate) fn sees_all(st: &AppState, p: &Principal) -> bool {
    [
        Permission::RequestReview,
        Permission::RequestRelay,
        Permission::InstructionIssue,
        Permission::LedgerRead,
    ]
    .into_iter()
    .any(|perm| p.role_with(&st.profile, perm).is_some())
}

async fn visible(st: &AppState, p: &Principal, r: &Request) -> ApiResult<bool> {
    if (sees_all(st, p) && p.governs(r.owner_org_id)) || r.requester_id == Some(p.account.id) {
        return Ok(true);
    }
    let mine = st.db.instructions_of(r.id).await?.iter().any(|i| i.issued_to == p.account.id);
    Ok(mine)
}

/// A request for footage as the API shows it (ASA-3.4, KIT-6, NIS-10.1…).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RequestView {
    /// Id.
    pub id: i64,
    /// Its number (`ASA-2026-0001`).
    pub number: String,
    /// A request, or the keeper's own use (NIS-9.1).
    #[schema(value_type = String)]
    pub kind: policy::workflow::RequestKind,
    /// The legal ground (profile id).
    pub basis: String,
    /// Its name.
    pub basis_name_ja: Option<String>,
    /// The clause that makes it a ground.
    pub basis_rule: Option<String>,
    /// The purpose (profile id).
    pub purpose: String,
    /// Its name.
    pub purpose_name_ja: Option<String>,
    /// Who applied.
    pub requester_id: Option<i64>,
    /// In which role.
    pub requester_role: String,
    /// Who receives the footage.
    pub recipient: String,
    /// The case, in a line.
    pub case_summary: String,
    /// The documents attached.
    pub documents: Vec<super::types::DocRef>,
    /// The cameras.
    pub cameras: Vec<String>,
    /// The range asked for (JST).
    pub from: String,
    /// Its end.
    pub to: String,
    /// Where it stands.
    #[schema(value_type = String)]
    pub state: RequestState,
    /// Filed (JST).
    pub created_at: String,
    /// Who relayed it (SAK-M).
    pub relayed_by: Option<i64>,
    /// When.
    pub relayed_at: Option<String>,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
    /// A refusal's reason.
    pub decision_reason: Option<String>,
    /// The approval certificate's number.
    pub certificate_number: Option<String>,
    /// The emergency order it records, where it does.
    pub emergency_order_id: Option<i64>,
}

impl RequestView {
    /// `r` as the API shows it.
    pub fn of(st: &AppState, r: &Request) -> Self {
        let basis = st.profile.basis(&r.basis);
        let purpose = st.profile.purpose(&r.purpose);
        RequestView {
            id: r.id,
            number: r.number.clone(),
            kind: r.kind,
            basis: r.basis.clone(),
            basis_name_ja: basis.map(|b| b.name_ja.clone()),
            basis_rule: basis.map(|b| b.rule.to_string()),
            purpose: r.purpose.clone(),
            purpose_name_ja: purpose.map(|x| x.name_ja.clone()),
            requester_id: r.requester_id,
            requester_role: r.requester_role.clone(),
            recipient: r.recipient.clone(),
            case_summary: r.case_summary.clone(),
            documents: serde_json::from_str(&r.documents).unwrap_or_default(),
            cameras: parse_list(&r.cameras).unwrap_or_default(),
            from: jst(r.range_from),
            to: jst(r.range_to),
            state: r.state,
            created_at: jst(r.created_at),
            relayed_by: r.relayed_by,
            relayed_at: jst_opt(r.relayed_at),
            decided_by: r.decided_by,
            decided_at: jst_opt(r.decided_at),
            decision_reason: r.decision_reason.clone(),
            certificate_number: r.certificate_number.clone(),
            emergency_order_id: r.emergency_order_id,
        }
    }
}

/// A request's case file: the request, its instructions and extractions, who applied, what
/// happened when, until when the footage exists, and what the reader may do now.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RequestDetail {
    /// The request.
    #[serde(flatten)]
    pub request: RequestView,
    /// Its instructions, the chain's links.
    pub instructions: Vec<InstructionView>,
    /// Its extractions.
    pub extractions: Vec<ExtractionView>,
    /// Who applied.
    pub applicant: Option<Person>,
    /// What happened when, oldest first.
    pub timeline: Vec<Step>,
    /// Until when the footage exists.
    pub footage: FootageLifetime,
    /// What the reader may do now, from `policy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub actions: Option<Vec<policy::workflow::Available>>,
    /// The footage has left and its use is still to be recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaits_ledger: Option<bool>,
}

/// An extraction as the API shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ExtractionView {
    /// Id.
    pub id: i64,
    /// The request it served.
    pub request_id: Option<i64>,
    /// The instruction it carried out.
    pub instruction_id: Option<i64>,
    /// The emergency order it carried out.
    pub emergency_order_id: Option<i64>,
    /// Who extracted.
    pub operator_id: i64,
    /// In which role.
    pub operator_role: String,
    /// On which dedicated PC.
    pub workstation_id: i64,
    /// The cameras.
    pub cameras: Vec<String>,
    /// The range (JST).
    pub from: String,
    /// Its end.
    pub to: String,
    /// When (JST).
    pub extracted_at: String,
    /// The first package made.
    pub package_id: Option<String>,
    /// Its manifest's hash.
    pub manifest_hash: Option<String>,
    /// Whom it was reported to (NIS-9.3).
    pub reported_to: Option<i64>,
    /// When.
    pub reported_at: Option<String>,
}

impl ExtractionView {
    /// `e` as the API shows it.
    pub fn of(e: &store::workflow::Extraction) -> Self {
        ExtractionView {
            id: e.id,
            request_id: e.request_id,
            instruction_id: e.instruction_id,
            emergency_order_id: e.emergency_order_id,
            operator_id: e.operator_id,
            operator_role: e.operator_role.clone(),
            workstation_id: e.workstation_id,
            cameras: parse_list(&e.cameras).unwrap_or_default(),
            from: jst(e.range_from),
            to: jst(e.range_to),
            extracted_at: jst(e.extracted_at),
            package_id: e.package_id.clone(),
            manifest_hash: e.manifest_hash.clone(),
            reported_to: e.reported_to,
            reported_at: jst_opt(e.reported_at),
        }
    }
}

/// Until when a request's footage exists.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FootageLifetime {
    /// The first moment any of its cameras' footage of the range's start is erased (JST).
    pub erased_at: Option<String>,
    /// Already erased (and no hold keeps it).
    pub erased: bool,
    /// A hold keeps it.
    pub held: bool,
    /// The retention rule.
    pub rule: String,
}

/// A request the caller may see (issue 15: a request about another organisation's cameras
/// answers as if it did not exist, for reads and writes alike).
async fn load(st: &AppState, p: &Principal, id: i64) -> ApiResult<Request> {
    let r = st
        .db
        .request(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_request").with("id", id)))?;
    if !visible(st, p, &r).await? {
        return Err(ApiError::not_found(Msg::new("no_such_request").with("id", id)));
    }
    Ok(r)
}

fn state_of(r: &Request) -> ApiResult<RequestState> {
    Ok(r.state)
}

/// `POST /api/v1/requests`.
pub async fn create_request(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<RequestBody>,
) -> ApiResult<Json<RequestView>> {
    let profile = st.profile.clone();
    // Every field at fault in one answer (issue 19, item 3); the legal choices have no default,
    // so an unchosen one is asked for (item 7).
    let mut check = Check::new();
    if b.basis.trim().is_empty() {
        check.fail("basis", Msg::new("choose"));
    }
    if b.purpose.trim().is_empty() {
        check.fail("purpose", Msg::new("choose"));
    }
    check.take(required("recipient", &b.recipient))?;
    check.take(required("case_summary", &b.case_summary))?;
    for (i, d) in b.documents.iter().enumerate() {
        check.take(required(&format!("documents[{i}].reference"), &d.reference))?;
    }
    let range = check.take(range(&b.from, &b.to))?;
    let cams = check.take(checked_cameras(&st, "cameras", &b.cameras).await)?;
    let forms: Vec<String> = b.documents.iter().map(|d| d.form.clone()).collect();
    let role = if check.faults("basis") || check.faults("purpose") {
        None
    } else {
        let filing = Filing { basis: &b.basis, purpose: &b.purpose, documents: &forms };
        check.take(profile.check_submit(p.actor(), &filing).map_err(ApiError::from))?
    };
    check.finish()?;
    let (Some(role), Some((from, to)), Some(cams)) = (role, range, cams) else {
        return Err(ApiError::internal("checking a request"));
    };
    // A request concerns the cameras of one owner, who decides on it (issue 15).
    let owners: Vec<Option<i64>> = cams.iter().map(|c| c.owner_org_id).collect();
    let owner = profile.single_owner(&owners)?;
    check_range_available(&st, &cams, from, to).await?;
    let now = st.clock.now_ms();
    let fy = fiscal_year(now);
    let docs = serde_json::to_string(&b.documents)
        .map_err(|_| ApiError::internal("encoding documents"))?;
    let ch = st.change().await?;
    let n = ch.next_number(&format!("request-{fy}")).await?;
    let number = format!("{}-{fy}-{n:04}", profile.profile.rule_prefix);
    let r = ch
        .create_request(
            &NewRequest {
                number: &number,
                kind: policy::workflow::RequestKind::Request,
                basis: &b.basis,
                purpose: &b.purpose,
                requester_id: Some(p.account.id),
                requester_role: &role,
                recipient: b.recipient.trim(),
                case_summary: b.case_summary.trim(),
                documents: &docs,
                cameras: &json_list(&b.cameras),
                range_from: from,
                range_to: to,
                state: RequestState::Submitted,
                owner_org_id: owner,
            },
            now,
        )
        .await?;
    let mut ev = p.event("request.create", format!("request:{}", r.id), Outcome::Ok);
    ev.role = Some(role);
    ev.detail = json!({ "number": r.number, "basis": r.basis, "cameras": b.cameras });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(RequestView::of(&st, &r)))
}

/// The query of `GET /api/v1/requests`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestListQuery {
    /// At most this many (1–200, default 50: a page stays well under 50 KB).
    pub limit: Option<i64>,
    /// The cursor: requests older than this id (from the `Link: …; rel="next"` header).
    pub before: Option<i64>,
    /// Only these states, comma-separated (`submitted,relayed`).
    pub state: Option<String>,
    /// Only requests whose number, recipient or case summary contains this text.
    pub q: Option<String>,
}

/// The default page of a list.
pub const PAGE: i64 = 50;
/// The largest page of a list.
pub const MAX_PAGE: i64 = 200;

/// `GET /api/v1/requests?limit=&before=&state=&q=`: a page of the requests visible to me,
/// newest first; the next page, when there is one, is named in a `Link: <…>; rel="next"`
/// header (RFC 8288). Visibility, filters and paging run in the database.
pub async fn list_requests(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    q: Result<axum::extract::Query<RequestListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Paged<RequestView>> {
    let axum::extract::Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = super::types::page_limit(q.limit, PAGE, MAX_PAGE)?;
    let states: Vec<String> = q
        .state
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = states.iter().find(|s| RequestState::parse(s).is_none()) {
        return Err(ApiError::invalid("state", Msg::new("not_a_state").with("value", bad)));
    }
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    if text.as_ref().is_some_and(|t| t.len() > 200) {
        return Err(ApiError::invalid("q", Msg::new("too_long").with("max", 200)));
    }
    let query = store::workflow::RequestQuery {
        viewer: p.account.id,
        // Police and agencies (who govern no camera) see what they filed or were instructed
        // about, never every owner's requests (issue 15).
        all: sees_all(&st, &p) && !matches!(p.scope, policy::scope::Scope::Outside),
        owner: p.scope.owner(),
        states,
        text,
        before: q.before,
        limit: limit + 1,
    };
    let mut page = st.db.requests_page(&query).await?;
    let more = page.len() as i64 > limit;
    page.truncate(limit as usize);
    st.audit(p.event("request.list", "requests", Outcome::Ok)).await?;
    let next = page.last().filter(|_| more).map(|last| {
        [
            ("limit", Some(limit.to_string())),
            ("before", Some(last.id.to_string())),
            ("state", q.state.clone().filter(|s| !s.is_empty())),
            ("q", q.q.clone().filter(|s| !s.trim().is_empty())),
        ]
    });
    let items = page.iter().map(|r| RequestView::of(&st, r)).collect();
    Ok(Paged::new(items, "/api/v1/requests", next.as_ref().map(|n| &n[..])))
}

/// `GET /api/v1/requests/{id}` — personal data: every read is audited.
pub async fn get_request(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<RequestDetail>> {
    let r = load(&st, &p, id).await?;
    if !visible(&st, &p, &r).await? {
        return Err(ApiError::not_found(Msg::new("no_such_request").with("id", id)));
    }
    let ins = st.db.instructions_of(id).await?;
    let ex = st.db.extractions_of(id).await?;
    // The case file: who applied, what happened when and by whom, until when the footage
    // exists (issue 19, item 6).
    let mut people = People::default();
    let applicant = match r.requester_id {
        Some(id) => Some(people.get(&st, id).await?),
        None => None,
    };
    let mut v = RequestDetail {
        request: RequestView::of(&st, &r),
        instructions: ins.iter().map(|i| InstructionView::of(&st, &p, i)).collect(),
        extractions: ex.iter().map(ExtractionView::of).collect(),
        applicant,
        timeline: timeline(&st, &r, &ins, &ex, &mut people).await?,
        footage: footage_lifetime(&st, &r).await?,
        actions: None,
        awaits_ledger: None,
    };
    // What this person may do with it now, as `policy` decides (the web app only renders it).
    {
        let state = r.state;
        let requester = r.requester_id.map(|x| x.to_string()).unwrap_or_default();
        let made_by = crate::api::tasks::requester_made_by(&st, r.requester_id).await?;
        let extractor = ex.last().map(|e| e.operator_id.to_string());
        let facts = policy::workflow::RequestFacts {
            state,
            requester: policy::workflow::Requester::new(&requester, made_by.as_deref()),
            basis: &r.basis,
            extractor: extractor.as_deref(),
        };
        v.actions = Some(st.profile.request_actions(p.actor(), &facts));
        // The footage has left and its use is still to be recorded (the extractor's still of
        // each camera is allowed meanwhile, ALL-REC-2).
        v.awaits_ledger = Some(state.awaits_ledger());
    }
    st.audit(p.event("request.read", format!("request:{id}"), Outcome::Ok)).await?;
    Ok(Json(v))
}

/// A person on a case file: name and organisation (no login, no contact details).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Person {
    /// Account id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Organisation.
    pub organisation: String,
}

/// The people a case file names, each read once.
#[derive(Default)]
struct People(HashMap<i64, Person>);

impl People {
    async fn get(&mut self, st: &AppState, id: i64) -> ApiResult<Person> {
        if let Some(p) = self.0.get(&id) {
            return Ok(p.clone());
        }
        let a = st.db.account(id).await?;
        let org = match &a {
            Some(a) => st.db.organisation(a.organisation_id).await?.map(|o| o.name),
            None => None,
        };
        let p = Person {
            id,
            name: a.map_or_else(|| format!("#{id}"), |a| a.display_name),
            organisation: org.unwrap_or_default(),
        };
        self.0.insert(id, p.clone());
        Ok(p)
    }
}

/// What a step of a request's history was.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Filed.
    Submitted,
    /// Passed on to the reviewer (NIS-9.2).
    Relayed,
    /// Approved.
    Approved,
    /// Refused.
    Refused,
    /// An instruction to extract issued.
    Instructed,
    /// Footage extracted.
    Extracted,
    /// The extraction reported.
    Reported,
    /// Written in the usage ledger.
    Ledgered,
}

/// One step of a request's history.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Step {
    /// What happened.
    pub kind: StepKind,
    /// When (JST).
    pub at: String,
    /// Who.
    pub by: Option<Person>,
    /// The role they acted in (its name in the profile).
    pub role: Option<String>,
    /// To whom (an instruction's recipient, a report's addressee).
    pub to: Option<Person>,
    /// What was said or produced (a refusal's reason, an instruction's note, a certificate or
    /// package number, the handover time).
    pub note: Option<String>,
}

/// The request's history from the application to the ledger, oldest first.
async fn timeline(
    st: &AppState,
    r: &Request,
    ins: &[store::workflow::Instruction],
    ex: &[store::workflow::Extraction],
    people: &mut People,
) -> ApiResult<Vec<Step>> {
    let role = |id: &str| st.profile.role(id).map(|d| d.name_ja.clone()).or(Some(id.to_owned()));
    let mut steps = Vec::new();
    let by = match r.requester_id {
        Some(id) => Some(people.get(st, id).await?),
        None => None,
    };
    let submitted = Step {
        kind: StepKind::Submitted,
        at: jst(r.created_at),
        by,
        role: role(&r.requester_role),
        to: None,
        note: None,
    };
    steps.push(submitted);
    if let (Some(id), Some(at)) = (r.relayed_by, r.relayed_at) {
        let by = Some(people.get(st, id).await?);
        steps.push(Step {
            kind: StepKind::Relayed,
            at: jst(at),
            by,
            role: None,
            to: None,
            note: None,
        });
    }
    if let (Some(id), Some(at)) = (r.decided_by, r.decided_at) {
        let approved = r.state != RequestState::Refused;
        steps.push(Step {
            kind: if approved { StepKind::Approved } else { StepKind::Refused },
            at: jst(at),
            by: Some(people.get(st, id).await?),
            role: None,
            to: None,
            note: if approved { r.certificate_number.clone() } else { r.decision_reason.clone() },
        });
    }
    for i in ins {
        steps.push(Step {
            kind: StepKind::Instructed,
            at: jst(i.issued_at),
            by: Some(people.get(st, i.issued_by).await?),
            role: role(&i.issued_role),
            to: Some(people.get(st, i.issued_to).await?),
            note: Some(i.note.clone()).filter(|n| !n.is_empty()),
        });
    }
    for e in ex {
        steps.push(Step {
            kind: StepKind::Extracted,
            at: jst(e.extracted_at),
            by: Some(people.get(st, e.operator_id).await?),
            role: role(&e.operator_role),
            to: None,
            note: e.package_id.clone(),
        });
        if let (Some(to), Some(at)) = (e.reported_to, e.reported_at) {
            steps.push(Step {
                kind: StepKind::Reported,
                at: jst(at),
                by: Some(people.get(st, e.operator_id).await?),
                role: None,
                to: Some(people.get(st, to).await?),
                note: None,
            });
        }
        if let Some(l) = st.db.ledger_of_extraction(e.id).await? {
            steps.push(Step {
                kind: StepKind::Ledgered,
                at: jst(l.written_at),
                by: Some(people.get(st, l.written_by).await?),
                role: role(&l.written_role),
                to: None,
                note: l.handover_date.clone(),
            });
        }
    }
    steps.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(steps)
}

/// Until when the requested footage exists: the first moment any of its cameras' footage of the
/// range's start is erased under retention, and whether a hold keeps it (`erased_at` is then
/// the erasure the hold postpones).
async fn footage_lifetime(st: &AppState, r: &Request) -> ApiResult<FootageLifetime> {
    let codes: Vec<String> = parse_list(&r.cameras).unwrap_or_default();
    let now = st.clock.now_ms();
    let holds = st.db.holds_in_force(now).await?;
    let mut first: Option<i64> = None;
    let mut held = false;
    for code in &codes {
        let Some(cam) = st.db.camera_by_code(code).await? else { continue };
        let period = camera_period(st, &cam).await?;
        let Ok(erase) =
            policy::retention::erase_at(r.range_from.0, period, st.profile.retention.counting)
        else {
            continue;
        };
        let at = erase.as_millisecond();
        first = Some(first.map_or(at, |f| f.min(at)));
        held |= holds.iter().any(|h| {
            h.camera == cam.code && h.range_from <= r.range_from && r.range_from < h.range_to
        });
    }
    Ok(FootageLifetime {
        erased_at: first.map(jst_ms),
        erased: first.is_some_and(|f| f <= now) && !held,
        held,
        rule: st.profile.retention.rule.to_string(),
    })
}

/// A camera's retention period: its own (within the profile's bounds), else its owner's
/// (SAK-9: each facility sets its own), else the profile's.
pub async fn camera_period(st: &AppState, cam: &store::registry::Camera) -> ApiResult<Period> {
    let own = Period::from_setting(cam.retention_days, cam.retention_months);
    let owner = match (own, cam.owner_org_id) {
        (None, Some(org)) => st
            .db
            .organisation(org)
            .await?
            .and_then(|o| Period::from_setting(o.retention_days, o.retention_months)),
        _ => None,
    };
    Ok(st.profile.camera_period(own, owner))
}

/// `POST /api/v1/requests/{id}/relay` (SAK-M).
pub async fn relay_request(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<RequestView>> {
    let r = load(&st, &p, id).await?;
    let role = st.profile.check_relay(p.actor(), state_of(&r)?)?;
    let ch = st.change().await?;
    let r = ch.relay_request(id, r.state, p.account.id, st.clock.now_ms()).await?;
    let mut ev = p.event("request.relay", format!("request:{id}"), Outcome::Ok);
    ev.role = Some(role);
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(RequestView::of(&st, &r)))
}

async fn decide(
    st: Arc<AppState>,
    p: Principal,
    id: i64,
    approve: bool,
    reason: Option<String>,
) -> ApiResult<Json<RequestView>> {
    let r = load(&st, &p, id).await?;
    let requester = r.requester_id.map(|x| x.to_string()).unwrap_or_default();
    let made_by = crate::api::tasks::requester_made_by(&st, r.requester_id).await?;
    let action = if approve { "request.approve" } else { "request.refuse" };
    let role = match st.profile.check_decide(
        p.actor(),
        policy::workflow::Requester::new(&requester, made_by.as_deref()),
        state_of(&r)?,
        approve,
        reason.as_deref(),
    ) {
        Ok(role) => role,
        Err(refusal) => {
            let mut ev = p.event(action, format!("request:{id}"), Outcome::Denied);
            ev.rule = Some(refusal.rule.to_string());
            st.audit(ev).await?;
            return Err(refusal.into());
        }
    };
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let mut r = ch
        .decide_request(id, r.state, approve, p.account.id, reason.as_deref().map(str::trim), now)
        .await?;
    if approve && st.profile.workflow.certificate_form.is_some() {
        // Numbered only after this decision won: a losing concurrent approval takes no number.
        let fy = fiscal_year(now);
        let n = ch.next_number(&format!("certificate-{fy}")).await?;
        r = ch.set_certificate_number(id, &format!("{fy}-{n:04}")).await?;
    }
    let mut ev = p.event(action, format!("request:{id}"), Outcome::Ok);
    ev.role = Some(role);
    ev.detail = json!({ "certificate_number": r.certificate_number, "reason": reason });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(RequestView::of(&st, &r)))
}

/// `POST /api/v1/requests/{id}/approve`.
pub async fn approve_request(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<RequestView>> {
    decide(st, p, id, true, None).await
}

/// `POST /api/v1/requests/{id}/refuse`.
pub async fn refuse_request(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<RequestView>> {
    decide(st, p, id, false, Some(b.reason)).await
}

/// `POST /api/v1/requests/{id}/withdraw`.
pub async fn withdraw_request(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<RequestView>> {
    let r = load(&st, &p, id).await?;
    if r.requester_id != Some(p.account.id) {
        return Err(ApiError::forbidden(
            &st.profile.workflow.rule,
            Msg::new("withdraw_requester_only"),
        ));
    }
    if !matches!(state_of(&r)?, RequestState::Submitted | RequestState::Relayed) {
        return Err(ApiError::conflict(
            Msg::new("no_longer_withdrawn").with("state", r.state.as_str()),
        ));
    }
    let ch = st.change().await?;
    let r = ch.transition_request(id, r.state, RequestState::Withdrawn).await?;
    st.audit_in(&ch, p.event("request.withdraw", format!("request:{id}"), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(RequestView::of(&st, &r)))
}

/// `GET /api/v1/requests/{id}/certificate`: the data printed on the approval certificate.
pub async fn certificate(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Certificate>> {
    let r = load(&st, &p, id).await?;
    if !visible(&st, &p, &r).await? {
        return Err(ApiError::not_found(Msg::new("no_such_request").with("id", id)));
    }
    let (Some(number), Some(form_id)) =
        (r.certificate_number.clone(), st.profile.workflow.certificate_form.clone())
    else {
        return Err(ApiError::not_found(Msg::new("no_certificate")));
    };
    let form = st.profile.form(&form_id).cloned();
    // Stored as `{fiscal year}-{serial}`; printed in the city's document-number style.
    let document_number = number
        .split_once('-')
        .and_then(|(fy, n)| Some((fy.parse::<i16>().ok()?, n.parse::<i64>().ok()?)))
        .zip(form.as_ref())
        .map_or_else(|| number.clone(), |((fy, n), f)| f.document_number(fy, n));
    let decider = match r.decided_by {
        Some(d) => st.db.account(d).await?.map(|a| a.display_name),
        None => None,
    };
    st.audit(p.event("request.certificate", format!("request:{id}"), Outcome::Ok)).await?;
    Ok(Json(Certificate {
        form,
        number,
        document_number,
        request: RequestView::of(&st, &r),
        approved_by: decider,
        approved_at: jst_opt(r.decided_at),
        profile: st.profile.profile.name_ja.clone(),
    }))
}

/// What the approval certificate prints (ASA-3.4c).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Certificate {
    /// The form, as the profile names it.
    #[schema(value_type = Option<Object>)]
    pub form: Option<policy::profile::FormDef>,
    /// Stored as `{fiscal year}-{serial}`.
    pub number: String,
    /// As the city writes it (旭交防第N号).
    pub document_number: String,
    /// The request approved.
    pub request: RequestView,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// When (JST).
    pub approved_at: Option<String>,
    /// The city.
    pub profile: String,
}

/// The roles of the person an instruction is addressed to: another person (PROD-SOD-3), of the
/// organisation that owns the cameras (issue 15).
async fn target_roles(st: &AppState, p: &Principal, account: i64) -> ApiResult<Vec<String>> {
    policy::scope::sod::check_instruction(p.account.id, account)?;
    let a = st.db.account(account).await?.filter(|a| a.disabled_at.is_none());
    let Some(a) = a else {
        return Err(ApiError::invalid("to_account", Msg::new("no_active_account")));
    };
    if p.scope.owner().is_some_and(|org| a.organisation_id != org) {
        return Err(ApiError::invalid("to_account", Msg::new("instruct_own_org")));
    }
    Ok(st.db.active_roles(account, st.clock.now_ms()).await?)
}

/// Narrows an instruction to a subset of the request's cameras and range.
fn narrowed(
    r: &Request,
    cameras: Option<Vec<String>>,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<(Vec<String>, i64, i64)> {
    let all = parse_list(&r.cameras)?;
    let cams = cameras.unwrap_or_else(|| all.clone());
    if cams.is_empty() || cams.iter().any(|c| !all.contains(c)) {
        return Err(ApiError::invalid("cameras", Msg::new("instruction_cameras")));
    }
    let f = match from {
        Some(s) => instant("from", s)?.as_millisecond(),
        None => r.range_from.ms(),
    };
    let t = match to {
        Some(s) => instant("to", s)?.as_millisecond(),
        None => r.range_to.ms(),
    };
    if f < r.range_from.ms() || t > r.range_to.ms() || t <= f {
        return Err(ApiError::invalid("from", Msg::new("instruction_range")));
    }
    Ok((cams, f, t))
}

/// `POST /api/v1/instructions`: the first link of the chain.
pub async fn create_instruction(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<InstructionBody>,
) -> ApiResult<Json<InstructionView>> {
    let r = load(&st, &p, b.request_id).await.map_err(|_| {
        ApiError::invalid("request_id", Msg::new("no_such_request").with("id", b.request_id))
    })?;
    let targets = target_roles(&st, &p, b.to_account).await?;
    let state = state_of(&r)?;
    let role = st.profile.check_instruct(p.actor(), state, Some(&r.basis), &targets)?;
    let (cams, f, t) = narrowed(&r, b.cameras, b.from.as_deref(), b.to.as_deref())?;
    // The instruction takes the request forward first, so two concurrent instructions cannot both
    // succeed.
    let ch = st.change().await?;
    ch.transition_request(r.id, r.state, RequestState::Instructed).await?;
    let now = st.clock.now_ms();
    let i = ch
        .create_instruction(
            r.id,
            1,
            None,
            p.account.id,
            &role,
            b.to_account,
            &json_list(&cams),
            (f, t),
            b.note.as_deref().unwrap_or(""),
            now,
        )
        .await?;
    let mut ev = p.event("instruction.create", format!("instruction:{}", i.id), Outcome::Ok);
    ev.role = Some(role);
    ev.detail = json!({ "request": r.id, "to": b.to_account, "cameras": cams, "from": jst_ms(f), "to_time": jst_ms(t) });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(InstructionView::of(&st, &p, &i)))
}

/// `POST /api/v1/internal-uses` (NIS-9.1: the manager's own judgement, same chain).
pub async fn create_internal_use(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<InternalUseBody>,
) -> ApiResult<Json<InternalUse>> {
    let profile = st.profile.clone();
    let Some(rule) = profile.workflow.internal_use_rule.clone() else {
        return Err(ApiError::forbidden(&profile.workflow.rule, Msg::new("no_internal_use")));
    };
    profile.check_purpose(&b.purpose)?;
    let (from, to) = range(&b.from, &b.to)?;
    let cams = checked_cameras(&st, "cameras", &b.cameras).await?;
    // Internal use is the owner's own judgement on its own cameras (NIS-9.1, issue 15).
    let owners: Vec<Option<i64>> = cams.iter().map(|c| c.owner_org_id).collect();
    let owner = profile.single_owner(&owners)?;
    if !p.governs(owner) {
        return Err(ApiError::invalid("cameras", Msg::new("cameras_own_org")));
    }
    check_range_available(&st, &cams, from, to).await?;
    let targets = target_roles(&st, &p, b.to_account).await?;
    let role = profile.check_instruct(p.actor(), RequestState::Approved, None, &targets)?;
    let now = st.clock.now_ms();
    let fy = fiscal_year(now);
    let ch = st.change().await?;
    let n = ch.next_number(&format!("request-{fy}")).await?;
    let r = ch
        .create_request(
            &NewRequest {
                number: &format!("{}-{fy}-{n:04}", profile.profile.rule_prefix),
                kind: policy::workflow::RequestKind::Internal,
                basis: "internal",
                purpose: &b.purpose,
                requester_id: Some(p.account.id),
                requester_role: &role,
                recipient: &profile.profile.name_ja,
                case_summary: b.note.as_deref().unwrap_or(""),
                documents: "[]",
                cameras: &json_list(&b.cameras),
                range_from: from,
                range_to: to,
                state: RequestState::Instructed,
                owner_org_id: owner,
            },
            now,
        )
        .await?;
    let i = ch
        .create_instruction(
            r.id,
            1,
            None,
            p.account.id,
            &role,
            b.to_account,
            &json_list(&b.cameras),
            (from.ms(), to.ms()),
            b.note.as_deref().unwrap_or(""),
            now,
        )
        .await?;
    let mut ev = p.event("request.internal", format!("request:{}", r.id), Outcome::Ok);
    ev.role = Some(role);
    ev.rule = Some(rule.to_string());
    ev.detail = json!({ "instruction": i.id, "purpose": b.purpose });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(InternalUse {
        request: RequestView::of(&st, &r),
        instruction: InstructionView::of(&st, &p, &i),
    }))
}

/// An internal use recorded (NIS-9.1): the request made for it and its first instruction.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct InternalUse {
    /// The request.
    pub request: RequestView,
    /// Its instruction.
    pub instruction: InstructionView,
}

/// `GET /api/v1/instructions`.
pub async fn list_instructions(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<InstructionView>>> {
    let open = st.db.open_instructions_for(p.account.id).await?;
    Ok(Json(open.iter().map(|i| InstructionView::of(&st, &p, i)).collect()))
}

/// The facts `policy` decides an instruction's actions from, for `p`.
fn instruction_facts(
    st: &AppState,
    p: &Principal,
    i: &store::workflow::Instruction,
) -> policy::workflow::InstructionFacts {
    policy::workflow::InstructionFacts {
        step: usize::try_from(i.step).unwrap_or(usize::MAX),
        open: i.state == store::workflow::InstructionState::Open,
        addressed_to_actor: i.issued_to == p.account.id,
        on_registered_workstation: on_own_workstation(st, p),
    }
}

/// An instruction as the API shows it to `p`, with what `p` can do with it now (`actions`).
/// An instruction, a link of the chain, as the API shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct InstructionView {
    /// Id.
    pub id: i64,
    /// The request.
    pub request_id: i64,
    /// Its step in the chain (1 = the first instruction).
    pub step: i64,
    /// Who gave it.
    pub issued_by: i64,
    /// In which role.
    pub issued_role: String,
    /// To whom.
    pub issued_to: i64,
    /// The cameras.
    pub cameras: Vec<String>,
    /// The range (JST).
    pub from: String,
    /// Its end.
    pub to: String,
    /// When (JST).
    pub issued_at: String,
    /// Where it stands.
    #[schema(value_type = String)]
    pub state: store::workflow::InstructionState,
    /// What the giver noted.
    pub note: String,
    /// The chain's last link (its addressee extracts).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// What the reader may do with it now, from `policy`.
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<policy::workflow::InstructionAvailable>,
}

impl InstructionView {
    /// `i` as `p` reads it.
    pub fn of(st: &AppState, p: &Principal, i: &store::workflow::Instruction) -> Self {
        InstructionView {
            id: i.id,
            request_id: i.request_id,
            step: i.step,
            issued_by: i.issued_by,
            issued_role: i.issued_role.clone(),
            issued_to: i.issued_to,
            cameras: parse_list(&i.cameras).unwrap_or_default(),
            from: jst(i.range_from),
            to: jst(i.range_to),
            issued_at: jst(i.issued_at),
            state: i.state,
            note: i.note.clone(),
            is_final: usize::try_from(i.step)
                .is_ok_and(|s| s + 1 == st.profile.workflow.chain.len()),
            actions: st.profile.instruction_actions(p.actor(), &instruction_facts(st, p, i)),
        }
    }
}

async fn my_open_instruction(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> ApiResult<store::workflow::Instruction> {
    let i = st
        .db
        .instruction(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_instruction").with("id", id)))?;
    // rule: ASA-3.4c, NIS-9.4 — only on an open instruction naming this user.
    st.profile.check_instruction_held(&instruction_facts(st, p, &i))?;
    Ok(i)
}

/// `POST /api/v1/instructions/{id}/relay` (NIS-9.2).
pub async fn relay_instruction(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<RelayBody>,
) -> ApiResult<Json<InstructionView>> {
    let i = my_open_instruction(&st, &p, id).await?;
    let targets = target_roles(&st, &p, b.to_account).await?;
    let role = st.profile.check_relay_instruction(p.actor(), i.step as usize, &targets)?;
    let ch = st.change().await?;
    ch.close_instruction(id, store::workflow::InstructionState::Passed).await?;
    let next = ch
        .create_instruction(
            i.request_id,
            i.step + 1,
            Some(i.id),
            p.account.id,
            &role,
            b.to_account,
            &i.cameras,
            (i.range_from.ms(), i.range_to.ms()),
            b.note.as_deref().unwrap_or(""),
            st.clock.now_ms(),
        )
        .await?;
    let mut ev = p.event("instruction.relay", format!("instruction:{}", next.id), Outcome::Ok);
    ev.role = Some(role);
    ev.detail = json!({ "parent": i.id, "to": b.to_account });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(InstructionView::of(&st, &p, &next)))
}

/// Whether the caller is on a registered workstation of their own organisation, at a
/// placement the profile allows that organisation (ASA-3.2e, KIT-5.5, NIS-8, SAK-M).
pub(super) fn on_own_workstation(st: &AppState, p: &Principal) -> bool {
    let kind = p.org_kind;
    p.workstation.as_ref().is_some_and(|w| {
        w.revoked_at.is_none()
            && w.organisation_id == p.account.organisation_id
            && kind.is_some_and(|k| st.profile.check_workstation_use(&w.placement, k).is_ok())
    })
}

/// On a terminal of the central room, footage is worked only by a person whose entry to the
/// room is on record and open (KIT-5.5); elsewhere, and in cities without such a room, nothing
/// is asked.
pub(super) async fn check_in_room(st: &AppState, p: &Principal) -> ApiResult<()> {
    let Some(w) = &p.workstation else { return Ok(()) };
    // The store is asked only where the profile has a room at all; `policy` decides the rest.
    let inside =
        st.profile.central_room.is_some() && st.db.open_room_entry(p.account.id).await?.is_some();
    Ok(st.profile.check_room_presence(&w.placement, inside)?)
}

/// `POST /api/v1/instructions/{id}/extract`.
pub async fn extract(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    MaybeBody(b): MaybeBody<ExtractBody>,
) -> ApiResult<Json<Extracted>> {
    let i = my_open_instruction(&st, &p, id).await?;
    let role = st.profile.check_extract(p.actor(), i.step as usize, on_own_workstation(&st, &p))?;
    check_in_room(&st, &p).await?;
    let r = load(&st, &p, i.request_id).await?;
    let cameras = parse_list(&i.cameras)?;
    if r.state != RequestState::Instructed {
        return Err(ApiError::conflict(
            Msg::new("request_not_instructed").with("id", r.id).with("state", r.state.as_str()),
        ));
    }
    // The packages are made before anything changes: a failed export leaves the instruction
    // open (the failure is audited by the guard).
    let refs = extraction::Refs {
        request: Some(r.id),
        request_number: Some(r.number.clone()),
        approval_certificate: r.certificate_number.clone(),
        instruction: Some(i.id),
        recipient: Some(r.recipient.clone()).filter(|s| !s.trim().is_empty()),
        ..Default::default()
    };
    let range = (i.range_from.ms(), i.range_to.ms());
    let made = extraction::make_packages(&st, &p, &cameras, range, refs, &b).await?;
    let (package_id, manifest_hash) = extraction::recorded_ids(made.as_deref(), &b);
    // The records of the extraction and its audit entry commit together; if they cannot, the
    // packages just made are removed (no copy of footage outside the workflow).
    let recorded = async {
        let ch = st.change().await?;
        ch.transition_request(
            r.id,
            RequestState::Instructed,
            RequestState::Extracted,
        )
        .await?;
        ch.close_instruction(id, store::workflow::InstructionState::Executed).await?;
        let ws = p.workstation.as_ref().map_or(0, |w| w.id);
        let e = ch
            .create_extraction(
                &NewExtraction {
                    request_id: Some(r.id),
                    instruction_id: Some(i.id),
                    emergency_order_id: None,
                    operator_id: p.account.id,
                    operator_role: &role,
                    workstation_id: ws,
                    cameras: &i.cameras,
                    range_from: i.range_from,
                    range_to: i.range_to,
                    package_id: package_id.as_deref(),
                    manifest_hash: manifest_hash.as_deref(),
                },
                st.clock.now_ms(),
            )
            .await?;
        let pkgs = match &made {
            Some(pk) => extraction::record_packages(&ch, e.id, pk, st.clock.now_ms()).await?,
            None => Vec::new(),
        };
        let mut ev = p.event("footage.extract", format!("request:{}", r.id), Outcome::Ok);
        ev.role = Some(role);
        ev.detail = json!({ "extraction": e.id, "instruction": i.id, "cameras": cameras, "from": jst(i.range_from), "to": jst(i.range_to),
            "packages": pkgs.iter().map(|k| json!({"id": k.id, "camera": k.camera, "manifest_sha256": k.manifest_sha256})).collect::<Vec<_>>() });
        st.audit_in(&ch, ev).await?;
        ch.commit().await?;
        Ok::<_, ApiError>((e, pkgs))
    }
    .await;
    let (e, pkgs) = extraction::kept_or_discarded(&st, recorded, made.as_deref()).await?;
    Ok(Json(Extracted {
        extraction: ExtractionView::of(&e),
        needs_report: st.profile.needs_report(),
        packages: pkgs.iter().map(|k| extraction::PackageView::of(k, Some(&r.number))).collect(),
    }))
}

/// An extraction made: its record, whether it is to be reported (NIS-9.3), its packages.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Extracted {
    /// The extraction.
    pub extraction: ExtractionView,
    /// It is to be reported to the one who instructed it.
    pub needs_report: bool,
    /// One evidence package per camera.
    pub packages: Vec<extraction::PackageView>,
}

/// `POST /api/v1/extractions/{id}/report` (NIS-9.3: to the operations chief who instructed).
pub async fn report_extraction(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<ExtractionView>> {
    let profile = st.profile.clone();
    let Some(report_role) = profile.workflow.report_to.clone() else {
        return Err(ApiError::forbidden(&profile.workflow.rule, Msg::new("no_report_step")));
    };
    let e = super::extraction::extraction_or_404(&st, id).await?;
    let request = match e.request_id {
        Some(rid) => st.db.request(rid).await?,
        None => None,
    };
    let request =
        request.ok_or_else(|| ApiError::conflict(Msg::new("extraction_without_request")))?;
    let extractor = e.operator_id.to_string();
    profile.check_report(
        p.actor(),
        &policy::workflow::RequestFacts {
            state: state_of(&request)?,
            requester: policy::workflow::Requester::default(),
            basis: &request.basis,
            extractor: Some(&extractor),
        },
    )?;
    let ins = match e.instruction_id {
        Some(i) => st.db.instruction(i).await?,
        None => None,
    };
    let ins = ins.ok_or_else(|| ApiError::conflict(Msg::new("extraction_no_instruction")))?;
    let chief_roles = st.db.active_roles(ins.issued_by, st.clock.now_ms()).await?;
    if !chief_roles.contains(&report_role) {
        return Err(ApiError::conflict(Msg::new("issuer_lost_report_role")));
    }
    let request_id =
        e.request_id.ok_or_else(|| ApiError::conflict(Msg::new("extraction_without_request")))?;
    let ch = st.change().await?;
    ch.transition_request(request_id, RequestState::Extracted, RequestState::Reported).await?;
    let e = ch.report_extraction(id, ins.issued_by, st.clock.now_ms()).await?;
    let mut ev = p.event("extraction.report", format!("extraction:{id}"), Outcome::Ok);
    ev.detail = json!({ "reported_to": ins.issued_by });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(ExtractionView::of(&e)))
}

/// `POST /api/v1/ledger`: the ledger entry with the LEDGER-1 fields closes the request.
pub async fn write_ledger(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<LedgerBody>,
) -> ApiResult<Json<LedgerView>> {
    let request_id =
        b.request_id.ok_or_else(|| ApiError::invalid("request_id", Msg::new("required")))?;
    let r = load(&st, &p, request_id).await.map_err(|_| {
        ApiError::invalid("request_id", Msg::new("no_such_request").with("id", request_id))
    })?;
    let role = st.profile.check_ledger(p.actor(), state_of(&r)?)?;
    let handed = b.handed_over_at.as_deref().map(|s| instant("handed_over_at", s)).transpose()?;
    let e = st
        .db
        .extractions_of(r.id)
        .await?
        .pop()
        .ok_or_else(|| ApiError::conflict(Msg::new("request_no_extraction")))?;
    let handed = st.profile.check_handover(e.extracted_at.0, handed, st.clock.now())?;
    let issuer = match e.instruction_id {
        Some(i) => st.db.instruction(i).await?.map(|x| x.issued_by),
        None => None,
    };
    let docs: Vec<DocRef> = serde_json::from_str(&r.documents).unwrap_or_default();
    let request_ref = std::iter::once(r.number.clone())
        .chain(docs.iter().map(|d| format!("{}:{}", d.form, d.reference)))
        .collect::<Vec<_>>()
        .join(" / ");
    let ch = st.change().await?;
    ch.transition_request(r.id, r.state, RequestState::Closed).await?;
    let now = st.clock.now_ms();
    let entry = ch
        .create_ledger_entry(&LedgerEntry {
            id: 0,
            form: st.profile.workflow.ledger_form.clone(),
            request_id: Some(r.id),
            emergency_order_id: None,
            extraction_id: e.id,
            instruction_id: e.instruction_id,
            instruction_issuer: issuer,
            operator_id: e.operator_id,
            cameras: e.cameras.clone(),
            range_from: e.range_from,
            range_to: e.range_to,
            extracted_at: e.extracted_at,
            workstation_id: e.workstation_id,
            request_ref,
            basis: r.basis.clone(),
            purpose: r.purpose.clone(),
            recipient: r.recipient.clone(),
            handover_date: Some(policy::jst::rfc3339(handed)),
            data_hashes: json_list(&b.data_hashes),
            written_by: p.account.id,
            written_role: role.clone(),
            written_at: store::At::saturating(now),
        })
        .await?;
    let mut ev = p.event("ledger.write", format!("ledger:{}", entry.id), Outcome::Ok);
    ev.role = Some(role);
    ev.detail = json!({ "request": r.id, "form": entry.form });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(LedgerView::of(&st, &entry)))
}

/// A usage-ledger entry as the API shows it (LEDGER-1).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LedgerView {
    /// Id.
    pub id: i64,
    /// The form it is written on (profile id).
    pub form: String,
    /// Its name.
    pub form_name_ja: Option<String>,
    /// The request.
    pub request_id: Option<i64>,
    /// The emergency order.
    pub emergency_order_id: Option<i64>,
    /// The extraction.
    pub extraction_id: i64,
    /// The instruction.
    pub instruction_id: Option<i64>,
    /// Who gave the instruction.
    pub instruction_issuer: Option<i64>,
    /// Who extracted.
    pub operator_id: i64,
    /// The cameras.
    pub cameras: Vec<String>,
    /// The range (JST).
    pub from: String,
    /// Its end.
    pub to: String,
    /// When extracted (JST).
    pub extracted_at: String,
    /// On which dedicated PC.
    pub workstation_id: i64,
    /// The request's number or the document's reference.
    pub request_ref: String,
    /// The legal ground.
    pub basis: String,
    /// The purpose.
    pub purpose: String,
    /// Who received it.
    pub recipient: String,
    /// When it was handed over (a day, or an instant).
    pub handover_date: Option<String>,
    /// The packages' hashes.
    pub data_hashes: Vec<String>,
    /// Who wrote the entry.
    pub written_by: i64,
    /// In which role.
    pub written_role: String,
    /// When (JST).
    pub written_at: String,
    /// Who extracted, by name (in the ledger's list; the printed ledger names them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_name: Option<String>,
    /// Who wrote the entry, by name (in the ledger's list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by_name: Option<String>,
}

impl LedgerView {
    /// `l` as the API shows it.
    pub fn of(st: &AppState, l: &LedgerEntry) -> Self {
        LedgerView {
            id: l.id,
            form: l.form.clone(),
            form_name_ja: st.profile.form(&l.form).map(|f| f.name_ja.clone()),
            request_id: l.request_id,
            emergency_order_id: l.emergency_order_id,
            extraction_id: l.extraction_id,
            instruction_id: l.instruction_id,
            instruction_issuer: l.instruction_issuer,
            operator_id: l.operator_id,
            cameras: parse_list(&l.cameras).unwrap_or_default(),
            from: jst(l.range_from),
            to: jst(l.range_to),
            extracted_at: jst(l.extracted_at),
            workstation_id: l.workstation_id,
            request_ref: l.request_ref.clone(),
            basis: l.basis.clone(),
            purpose: l.purpose.clone(),
            recipient: l.recipient.clone(),
            handover_date: l.handover_date.clone(),
            data_hashes: parse_list(&l.data_hashes).unwrap_or_default(),
            written_by: l.written_by,
            written_role: l.written_role.clone(),
            written_at: jst(l.written_at),
            operator_name: None,
            written_by_name: None,
        }
    }
}

/// `GET /api/v1/ledger`.
pub async fn list_ledger(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    q: Result<axum::extract::Query<LedgerListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Paged<LedgerView>> {
    let axum::extract::Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = super::types::page_limit(q.limit, 100, 500)?;
    // Each organisation reads the entries about its own cameras; police and agencies those
    // their own people took part in (issue 15).
    let scope = match p.scope {
        policy::scope::Scope::Own(org) => store::workflow::LedgerScope::Owner(org),
        policy::scope::Scope::Office => store::workflow::LedgerScope::All,
        policy::scope::Scope::Outside => {
            store::workflow::LedgerScope::MadeBy(p.account.organisation_id)
        }
    };
    let blank = super::types::blank;
    let text = blank(&q.q);
    if text.as_ref().is_some_and(|t| t.len() > 200) {
        return Err(ApiError::invalid("q", Msg::new("too_long").with("max", 200)));
    }
    let day = |field: &str, v: &Option<String>, end: bool| -> ApiResult<Option<i64>> {
        let Some(v) = blank(v) else { return Ok(None) };
        let d: jiff::civil::Date =
            v.parse().map_err(|_| ApiError::invalid(field, Msg::new("date_format")))?;
        let d = if end {
            d.tomorrow().map_err(|_| ApiError::invalid(field, Msg::new("date_format")))?
        } else {
            d
        };
        policy::jst::midnight(d)
            .map(|t| Some(t.as_millisecond()))
            .map_err(|_| ApiError::invalid(field, Msg::new("date_format")))
    };
    let query = store::workflow::LedgerQuery {
        scope,
        text,
        camera: blank(&q.camera),
        from_ms: day("from", &q.from, false)?,
        to_ms: day("to", &q.to, true)?,
        before: q.before,
        limit: limit + 1,
    };
    let mut entries = st.db.ledger_page(&query).await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    st.audit(p.event("ledger.list", "ledger", Outcome::Ok)).await?;
    let next = entries.last().filter(|_| more).map(|last| {
        [
            ("limit", Some(limit.to_string())),
            ("before", Some(last.id.to_string())),
            ("q", blank(&q.q)),
            ("camera", blank(&q.camera)),
            ("from", blank(&q.from)),
            ("to", blank(&q.to)),
        ]
    });
    // Who extracted and who wrote each entry, by name (the printed ledger names them).
    let mut names: std::collections::HashMap<i64, String> = Default::default();
    for id in entries.iter().flat_map(|l| [l.operator_id, l.written_by]) {
        if let std::collections::hash_map::Entry::Vacant(v) = names.entry(id) {
            v.insert(st.db.account(id).await?.map(|a| a.display_name).unwrap_or_default());
        }
    }
    let items = entries
        .iter()
        .map(|l| LedgerView {
            operator_name: names.get(&l.operator_id).cloned(),
            written_by_name: names.get(&l.written_by).cloned(),
            ..LedgerView::of(&st, l)
        })
        .collect();
    Ok(Paged::new(items, "/api/v1/ledger", next.as_ref().map(|n| &n[..])))
}

/// The query of `GET /api/v1/ledger`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerListQuery {
    /// At most this many (1–500, default 100).
    pub limit: Option<i64>,
    /// The cursor: entries older than this id.
    pub before: Option<i64>,
    /// Text in the recipient, the request's reference or the purpose.
    pub q: Option<String>,
    /// Entries naming this camera (its code).
    pub camera: Option<String>,
    /// Extracted on or after this JST date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Extracted on or before this JST date.
    pub to: Option<String>,
}

/// `GET /api/v1/instructions/recipients?step=N`: the accounts that may act at step N of the
/// instruction chain (a role named at that step, designation in force), for the instruction form.
pub async fn instruction_recipients(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> ApiResult<Json<Vec<Recipient>>> {
    let step: usize = q
        .get("step")
        .map_or(Ok(1), |s| s.parse())
        .map_err(|_| ApiError::invalid("step", Msg::new("step_number")))?;
    let chain = &st.profile.workflow.chain;
    let roles = chain.get(step).map(|s| s.roles.clone()).ok_or_else(|| {
        ApiError::invalid("step", Msg::new("chain_steps").with("count", chain.len()))
    })?;
    let now = st.clock.now_ms();
    let mut out = Vec::new();
    for d in st.db.all_designations().await? {
        if !d.in_force(now) || !roles.contains(&d.role) {
            continue;
        }
        // Another person (PROD-SOD-3), of one's own organisation (issue 15).
        if let Some(a) = st.db.account(d.account_id).await?
            && a.disabled_at.is_none()
            && a.id != p.account.id
            && p.scope.owner().is_none_or(|org| a.organisation_id == org)
        {
            out.push(Recipient {
                id: a.id,
                display_name: a.display_name,
                login: a.login,
                role_name_ja: st.profile.role(&d.role).map(|r| r.name_ja.clone()),
                role_name_en: st.profile.role(&d.role).map(|r| r.name_en.clone()),
                role: d.role,
            });
        }
    }
    Ok(Json(out))
}

/// A person an instruction may be addressed to.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Recipient {
    /// Account id.
    pub id: i64,
    /// Name.
    pub display_name: String,
    /// Login name.
    pub login: String,
    /// The role that makes them a recipient at this step.
    pub role: String,
    /// Its name.
    pub role_name_ja: Option<String>,
    /// Its English name.
    pub role_name_en: Option<String>,
}
