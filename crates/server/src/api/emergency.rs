//! The investigative agencies' emergency paths and the monthly reconciliation (SPEC.md §5).

use super::footage::{LedgerView, check_range_available, checked_cameras, fiscal_year};
use super::types::*;
use super::{Body, Id, MaybeBody, extraction};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Msg};
use crate::incidents::IncidentFacts;
use crate::state::AppState;
use audit::Outcome;
use axum::extract::State;
use axum::{Extension, Json};
use jiff::civil::Date;
use policy::emergency::{Order, OrderFacts, OrderState};
use policy::reconcile::{HistoryItem, LoggedExtraction, reconcile};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use store::emergency::{EmergencyOrder, NewOrder};
use store::workflow::{LedgerEntry, NewExtraction};
use store::{json_list, parse_list};
use utoipa::ToSchema;

/// A delegation of the emergency extraction to an agency (NIS-10.2), as the API shows it.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct DelegationView {
    /// Id.
    pub id: i64,
    /// The agency.
    pub organisation_id: i64,
    /// Its name.
    pub organisation_name: Option<String>,
    /// The written confirmation's reference.
    pub document_ref: String,
    /// Who recorded it.
    pub confirmed_by: i64,
    /// When (JST).
    pub confirmed_at: String,
    /// When it was revoked (JST).
    pub revoked_at: Option<String>,
    /// By whom.
    pub revoked_by: Option<i64>,
}

impl DelegationView {
    /// `d`, naming its agency (`None` when the organisation is unknown).
    fn of(d: &store::emergency::Delegation, organisation_name: Option<String>) -> Self {
        DelegationView {
            id: d.id,
            organisation_id: d.organisation_id,
            organisation_name,
            document_ref: d.document_ref.clone(),
            confirmed_by: d.confirmed_by,
            confirmed_at: jst(d.confirmed_at),
            revoked_at: jst_opt(d.revoked_at),
            revoked_by: d.revoked_by,
        }
    }
}

/// `GET /api/v1/delegations`: the organisations are read once for every delegation's name.
pub async fn list_delegations(
    State(st): State<Arc<AppState>>,
) -> ApiResult<Json<Vec<DelegationView>>> {
    let names: std::collections::HashMap<i64, String> =
        st.db.organisations().await?.into_iter().map(|o| (o.id, o.name)).collect();
    let list = st.db.delegations().await?;
    Ok(Json(
        list.iter()
            .map(|d| DelegationView::of(d, names.get(&d.organisation_id).cloned()))
            .collect(),
    ))
}

/// `POST /api/v1/delegations` (NIS-10.2: written confirmation, stored).
pub async fn create_delegation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<DelegationBody>,
) -> ApiResult<Json<DelegationView>> {
    required("document_ref", &b.document_ref)?;
    let org = st.db.organisation(b.organisation_id).await?.ok_or_else(|| {
        ApiError::invalid("organisation_id", Msg::new("no_such_organisation_plain"))
    })?;
    if !org.kind.investigates() {
        return Err(ApiError::invalid("organisation_id", Msg::new("delegation_to_agency")));
    }
    let ch = st.change().await?;
    let d = ch
        .create_delegation(org.id, b.document_ref.trim(), p.account.id, st.clock.now_ms())
        .await?;
    st.audit_in(&ch, p.event("delegation.create", format!("delegation:{}", d.id), Outcome::Ok))
        .await?;
    ch.commit().await?;
    Ok(Json(DelegationView::of(&d, Some(org.name))))
}

/// `POST /api/v1/delegations/{id}/revoke`.
pub async fn revoke_delegation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    let ch = st.change().await?;
    ch.revoke_delegation(id, p.account.id, st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("delegation.revoke", format!("delegation:{id}"), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// The facts `policy` decides an order's actions from, for `p` now.
pub(super) async fn order_facts(
    st: &AppState,
    p: &Principal,
    o: &EmergencyOrder,
) -> ApiResult<OrderFacts> {
    let state = o.state;
    let delegation = st.db.delegation_id_in_force(o.organisation_id, st.clock.now_ms()).await?;
    Ok(OrderFacts {
        state,
        ordered_at: o.ordered_at.0,
        actor_executes: o.executor_id == p.account.id,
        actor_in_agency: o.organisation_id == p.account.organisation_id,
        delegation_in_force: delegation.is_some(),
        flag_open: *o.flagged && o.flag_reviewed_at.is_none(),
    })
}

/// An emergency order as the API shows it (NIS-11, ASA-3.5b), with what the caller can do now.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct OrderView {
    /// Id.
    pub id: i64,
    /// Its number.
    pub number: String,
    /// The agency that gave it.
    pub organisation_id: i64,
    /// Who gave it.
    pub ordered_by: i64,
    /// In which role.
    pub ordered_role: String,
    /// Why it could not wait.
    pub urgency_reason: String,
    /// Who carries it out.
    pub executor_id: i64,
    /// The cameras.
    pub cameras: Vec<String>,
    /// The range (JST, RFC 3339).
    pub from: String,
    /// Its end.
    pub to: String,
    /// Why.
    pub purpose: String,
    /// Given (JST).
    pub ordered_at: String,
    /// Given inside the profile's window (nights and holidays).
    pub in_window: bool,
    /// Why it was given outside the window.
    pub outside_reason: Option<String>,
    /// Flagged for review (given outside the window).
    pub flagged: bool,
    /// When the filing is due (JST).
    pub filing_due_at: Option<String>,
    /// Where it stands.
    #[schema(value_type = String)]
    pub state: policy::emergency::OrderState,
    /// The extraction that carried it out.
    pub extraction_id: Option<i64>,
    /// Who filed it.
    pub filed_by: Option<i64>,
    /// When (JST).
    pub filed_at: Option<String>,
    /// The form filed.
    pub filing_form: Option<String>,
    /// Its reference.
    pub filing_reference: Option<String>,
    /// Why the filing was late.
    pub delay_reason: Option<String>,
    /// Its usage-ledger entry.
    pub ledger_entry_id: Option<i64>,
    /// The filing is due (遅滞なく: a reminder, not a breach; PROD-FILING-1).
    pub follow_up_due: bool,
    /// Filed after it was due.
    pub filed_late: bool,
    /// The ledger entry is still to write.
    pub needs_ledger: bool,
    /// The entry is still to report to the operations chief (NIS-11.2).
    pub needs_report: bool,
    /// Who reported it.
    pub reported_by: Option<i64>,
    /// When (JST).
    pub reported_at: Option<String>,
    /// Who reviewed the flag (PROD-EMERG-1).
    pub flag_reviewed_by: Option<i64>,
    /// When (JST).
    pub flag_reviewed_at: Option<String>,
    /// The review's note.
    pub flag_review_note: Option<String>,
    /// The profile's emergency rule.
    pub rule: Option<String>,
    /// When the power to carry it out lapses (JST; while ordered, issue 15).
    pub expires_at: Option<String>,
    /// What the caller can do with it now, from `policy`.
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<policy::emergency::OrderAvailable>,
    /// When it was carried out (the list only; NIS form 3 names the extraction date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extracted_at: Option<Option<String>>,
}

/// An order as the API shows it to `p`, with what `p` can do with it now (`actions`, from
/// `policy`: the web app renders them and decides nothing from state names).
async fn order_view(st: &AppState, p: &Principal, o: &EmergencyOrder) -> ApiResult<OrderView> {
    let facts = order_facts(st, p, o).await?;
    let actions = st.profile.order_actions(p.actor(), &facts, st.clock.now());
    let state = facts.state;
    let now = st.clock.now_ms();
    let open = state.awaits_filing();
    Ok(OrderView {
        id: o.id,
        number: o.number.clone(),
        organisation_id: o.organisation_id,
        ordered_by: o.ordered_by,
        ordered_role: o.ordered_role.clone(),
        urgency_reason: o.urgency_reason.clone(),
        executor_id: o.executor_id,
        cameras: parse_list(&o.cameras).unwrap_or_default(),
        from: jst(o.range_from),
        to: jst(o.range_to),
        purpose: o.purpose.clone(),
        ordered_at: jst(o.ordered_at),
        in_window: *o.in_window,
        outside_reason: o.outside_reason.clone(),
        flagged: *o.flagged,
        filing_due_at: jst_opt(o.filing_due_at),
        state: o.state,
        extraction_id: o.extraction_id,
        filed_by: o.filed_by,
        filed_at: jst_opt(o.filed_at),
        filing_form: o.filing_form.clone(),
        filing_reference: o.filing_reference.clone(),
        delay_reason: o.delay_reason.clone(),
        ledger_entry_id: o.ledger_entry_id,
        // 遅滞なく: a reminder, not a breach (SPEC.md §7). rule: PROD-FILING-1
        follow_up_due: open && o.filing_due_at.is_some_and(|d| now >= d.ms()),
        filed_late: o.filed_at.zip(o.filing_due_at).is_some_and(|(f, d)| f > d),
        needs_ledger: state == OrderState::Filed,
        // NIS-11.2: the entry is reported to the operations chief; open until then.
        needs_report: state == OrderState::Ledgered,
        reported_by: o.reported_by,
        reported_at: jst_opt(o.reported_at),
        // PROD-EMERG-1: the review of an order given outside the window.
        flag_reviewed_by: o.flag_reviewed_by,
        flag_reviewed_at: jst_opt(o.flag_reviewed_at),
        flag_review_note: o.flag_review_note.clone(),
        rule: st.profile.emergency.as_ref().map(|e| e.rule.to_string()),
        // When the power to carry it out lapses (issue 15).
        expires_at: (state == OrderState::Ordered)
            .then(|| st.profile.emergency_expires_at(o.ordered_at.0).ok())
            .flatten()
            .map(policy::jst::rfc3339),
        actions,
        extracted_at: None,
    })
}

/// [`order_view`] as JSON, for the answers that add to it (packages, ledger entries).
/// An order as an act on it answers: the order, and what the act produced.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct OrderAnswer {
    /// The order as it stands now.
    #[serde(flatten)]
    pub order: OrderView,
    /// The packages an extraction made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<extraction::PackageView>>,
    /// The usage-ledger entry the act wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_entry: Option<LedgerView>,
    /// The filing came late and gave no reason: ask for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_delay_reason: Option<bool>,
}

/// `GET /api/v1/emergency/orders`: agencies see their own; the city sees all.
pub async fn list_orders(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<OrderView>>> {
    if st.profile.emergency.is_none() {
        return Err(ApiError::not_found(Msg::new("no_emergency_path")));
    }
    let orders = st.db.orders().await?;
    let mut visible = Vec::new();
    for o in orders
        .iter()
        .filter(|o| o.organisation_id == p.account.organisation_id || p.governs(o.owner_org_id))
    {
        let mut v = order_view(&st, &p, o).await?;
        // When it was carried out (NIS form 3 names the extraction date).
        if let Some(x) = o.extraction_id {
            v.extracted_at = Some(st.db.extraction(x).await?.map(|e| jst(e.extracted_at)));
        }
        visible.push(v);
    }
    st.audit(p.event("emergency.list", "emergency_orders", Outcome::Ok)).await?;
    Ok(Json(visible))
}

/// `GET /api/v1/emergency`: the emergency page in one answer (issue 23, item 6) — the orders
/// (`GET /api/v1/emergency/orders`), who may carry one out for those who order
/// (`…/executors`), the cameras to name (`GET /api/v1/cameras`) and the packages of the
/// extractions this person carried out (`GET /api/v1/extractions/{id}/packages`), each made by
/// its endpoint's own function.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct EmergencyDesk {
    /// The orders this person may see.
    pub orders: Vec<OrderView>,
    /// Who may carry out an order: empty unless this person orders.
    pub executors: Vec<Executor>,
    /// The cameras an order may name.
    pub cameras: Vec<super::admin::CameraView>,
    /// The packages of the orders this person carried out, by order.
    pub packages: Vec<OrderPackages>,
}

/// The packages made for one emergency order.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct OrderPackages {
    /// The order.
    pub order: i64,
    /// Its extraction's packages.
    pub packages: Vec<extraction::PackageView>,
}

/// `GET /api/v1/emergency`.
pub async fn desk(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<EmergencyDesk>> {
    let Json(orders) = list_orders(State(st.clone()), Extension(p.clone())).await?;
    let holds = |x: policy::Permission| p.role_with(&st.profile, x).is_some();
    // The same permissions as each part's own endpoint.
    let executors = match holds(policy::Permission::EmergencyOrder) {
        true => executors(State(st.clone()), Extension(p.clone())).await?.0,
        false => Vec::new(),
    };
    let Json(cameras) = super::admin::list_cameras(State(st.clone()), Extension(p.clone())).await?;
    let mut packages = Vec::new();
    if holds(policy::Permission::FootageExtract) || holds(policy::Permission::EmergencyExtract) {
        for o in orders.iter().filter(|o| o.executor_id == p.account.id) {
            let Some(x) = o.extraction_id else { continue };
            // One that cannot be listed (its extraction gone) leaves the order without packages.
            if let Ok(list) = extraction::list(State(st.clone()), Extension(p.clone()), Id(x)).await
            {
                packages.push(OrderPackages { order: o.id, packages: list.0.packages });
            }
        }
    }
    Ok(Json(EmergencyDesk { orders, executors, cameras, packages }))
}

/// `POST /api/v1/emergency/orders` (ASA-3.5b, NIS-11.1).
pub async fn create_order(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<OrderBody>,
) -> ApiResult<Json<OrderView>> {
    let profile = st.profile.clone();
    let now = st.clock.now();
    let now_ms = now.as_millisecond();
    profile.check_purpose(&b.purpose)?;
    let executor = st.db.account(b.executor_account).await?.filter(|a| a.disabled_at.is_none());
    let executor = executor
        .ok_or_else(|| ApiError::invalid("executor_account", Msg::new("no_active_account")))?;
    if executor.organisation_id != p.account.organisation_id {
        return Err(ApiError::invalid("executor_account", Msg::new("executor_own_org")));
    }
    // rule: PROD-SOD-4 — the orderer does not carry out the order.
    policy::scope::sod::check_emergency_executor(p.account.id, executor.id)?;
    let executor_roles = st.db.active_roles(executor.id, now_ms).await?;
    let delegation = st.db.delegation_in_force(p.account.organisation_id, now_ms).await?;
    let order = Order {
        at: now,
        urgency_reason: &b.urgency_reason,
        outside_reason: b.outside_reason.as_deref(),
        purpose: &b.purpose,
        delegation_in_force: delegation,
        executor_roles: &executor_roles,
    };
    let decision = profile.check_emergency_order(p.actor(), &order)?;
    let (from, to) = range(&b.from, &b.to)?;
    let cams = checked_cameras(&st, "cameras", &b.cameras).await?;
    let owners: Vec<Option<i64>> = cams.iter().map(|c| c.owner_org_id).collect();
    let owner = profile.single_owner(&owners)?;
    check_range_available(&st, &cams, from, to).await?;
    let fy = fiscal_year(now_ms);
    let ch = st.change().await?;
    let n = ch.next_number(&format!("emergency-{fy}")).await?;
    let o = ch
        .create_order(
            &NewOrder {
                number: &format!("EM-{fy}-{n:04}"),
                organisation_id: p.account.organisation_id,
                ordered_by: p.account.id,
                ordered_role: &decision.role,
                urgency_reason: b.urgency_reason.trim(),
                executor_id: executor.id,
                cameras: &json_list(&b.cameras),
                range_from: from,
                range_to: to,
                purpose: &b.purpose,
                in_window: decision.moment.emergency_window,
                outside_reason: b.outside_reason.as_deref().map(str::trim),
                flagged: decision.flagged,
                filing_due_at: decision.filing_due_at.map(store::At::from),
                owner_org_id: owner,
            },
            now_ms,
        )
        .await?;
    let mut ev = p.event("emergency.order", format!("emergency_order:{}", o.id), Outcome::Ok);
    ev.role = Some(decision.role.clone());
    ev.rule = profile.emergency.as_ref().map(|e| e.rule.to_string());
    ev.detail = json!({
        "number": o.number, "judged_urgent_by": p.account.id, "urgency_reason": o.urgency_reason,
        "in_window": decision.moment.emergency_window, "holiday": decision.moment.national_holiday,
        "flagged_to_manager": decision.flagged, "outside_reason": o.outside_reason,
    });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(order_view(&st, &p, &o).await?))
}

async fn load_order(st: &AppState, p: &Principal, id: i64) -> ApiResult<EmergencyOrder> {
    let o =
        st.db.order(id).await?.ok_or_else(|| {
            ApiError::not_found(Msg::new("no_such_emergency_order").with("id", id))
        })?;
    // The ordering agency sees its own orders; the owner of the cameras sees the orders on
    // them (issue 15).
    if o.organisation_id != p.account.organisation_id && !p.governs(o.owner_org_id) {
        return Err(ApiError::not_found(Msg::new("no_such_emergency_order").with("id", id)));
    }
    Ok(o)
}

/// `POST /api/v1/emergency/orders/{id}/extract`: the named executor, on the PC lent to (placed
/// at) the agency (ASA-3.5b, NIS-10.4).
pub async fn extract_order(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    MaybeBody(b): MaybeBody<ExtractBody>,
) -> ApiResult<Json<OrderAnswer>> {
    let o = load_order(&st, &p, id).await?;
    // The power is checked when it is used: the named executor, once, while it lasts — it
    // lapses with the period it was given in, and a delegation must still be in force
    // (ASA-3.5b, NIS-10.2, NIS-11.1; issue 15).
    let facts = order_facts(&st, &p, &o).await?;
    let role = match st.profile.check_order_extract(p.actor(), &facts, st.clock.now()) {
        Ok(role) => role,
        Err(refusal) => {
            if refusal.state_conflict && facts.state == OrderState::Ordered {
                // Lapsed: closed as expired, on record.
                let ch = st.change().await?;
                ch.order_expired(o.id).await?;
                let mut ev =
                    p.event("emergency.expire", format!("emergency_order:{}", o.id), Outcome::Ok);
                ev.rule = Some(refusal.rule.to_string());
                st.audit_in(&ch, ev).await?;
                ch.commit().await?;
            }
            return Err(refusal.into());
        }
    };
    let rule = st.profile.emergency.as_ref().map_or(&st.profile.workflow.rule, |e| &e.rule);
    let ws = p
        .workstation
        .as_ref()
        .filter(|w| {
            w.organisation_id == o.organisation_id && st.profile.lent_placement(&w.placement)
        })
        .ok_or_else(|| ApiError::forbidden(rule, Msg::new("em_own_pc")))?;
    let delegation = st.db.delegation_id_in_force(o.organisation_id, st.clock.now_ms()).await?;
    let cameras = parse_list(&o.cameras)?;
    let recipient = st.db.organisation(o.organisation_id).await?.map(|org| org.name);
    let refs = extraction::Refs {
        emergency_order: Some(o.id),
        emergency_order_number: Some(o.number.clone()),
        delegation,
        recipient,
        ..Default::default()
    };
    let range = (o.range_from.ms(), o.range_to.ms());
    let made = extraction::make_packages(&st, &p, &cameras, range, refs, &b).await?;
    let (package_id, manifest_hash) = extraction::recorded_ids(made.as_deref(), &b);
    let now = st.clock.now_ms();
    // The extraction's records and audit entry commit together; if they cannot, the packages
    // just made are removed (no copy of footage outside the workflow).
    let recorded = async {
        let ch = st.change().await?;
        let e = ch
            .create_extraction(
                &NewExtraction {
                    request_id: None,
                    instruction_id: None,
                    emergency_order_id: Some(o.id),
                    operator_id: p.account.id,
                    operator_role: &role,
                    workstation_id: ws.id,
                    cameras: &o.cameras,
                    range_from: o.range_from,
                    range_to: o.range_to,
                    package_id: package_id.as_deref(),
                    manifest_hash: manifest_hash.as_deref(),
                },
                now,
            )
            .await?;
        // 遅滞なく counts from the extraction, not from the order.
        let due = st
            .profile
            .filing_due_at(store::ts(now))
            .map_err(|e| ApiError::internal(&format!("computing the filing deadline: {e}")))?
            .map(|t| t.as_millisecond());
        let o = ch.order_extracted(o.id, e.id, due).await?;
        let pkgs = match &made {
            Some(pk) => extraction::record_packages(&ch, e.id, pk, now).await?,
            None => Vec::new(),
        };
        let mut ev = p.event("emergency.extract", format!("emergency_order:{}", o.id), Outcome::Ok);
        ev.role = Some(role);
        ev.detail = json!({ "extraction": e.id, "cameras": cameras,
            "packages": pkgs.iter().map(|k| json!({"id": k.id, "camera": k.camera, "manifest_sha256": k.manifest_sha256})).collect::<Vec<_>>() });
        st.audit_in(&ch, ev).await?;
        ch.commit().await?;
        Ok::<_, ApiError>((o, pkgs))
    }
    .await;
    let (o, pkgs) = extraction::kept_or_discarded(&st, recorded, made.as_deref()).await?;
    let order = order_view(&st, &p, &o).await?;
    let packages = pkgs.iter().map(|k| extraction::PackageView::of(k, Some(&o.number))).collect();
    Ok(Json(OrderAnswer {
        order,
        packages: Some(packages),
        ledger_entry: None,
        prompt_delay_reason: None,
    }))
}

/// `POST /api/v1/emergency/orders/{id}/file`: the post-hoc 申請書 / 照会書 / form 3.
pub async fn file_order(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<FilingBody>,
) -> ApiResult<Json<OrderAnswer>> {
    let profile = st.profile.clone();
    required("reference", &b.reference)?;
    let o = load_order(&st, &p, id).await?;
    let facts = order_facts(&st, &p, &o).await?;
    let role = profile.check_order_filing(p.actor(), &facts, Some(&b.form))?;
    let now = st.clock.now_ms();
    let late = o.filing_due_at.is_some_and(|d| now >= d.ms());
    profile.check_filing_delay(
        o.filing_due_at.map(|due| due.0),
        st.clock.now(),
        b.delay_reason.as_deref().or(o.delay_reason.as_deref()),
    )?;
    let closes = !profile.emergency_needs_ledger_after_filing();
    let ch = st.change().await?;
    let o = ch.order_filed(o.id, p.account.id, &b.form, b.reference.trim(), closes, now).await?;
    if let Some(reason) = b.delay_reason.as_deref().filter(|r| !r.trim().is_empty()) {
        ch.order_delay_reason(o.id, reason.trim()).await?;
    }
    let mut entry = None;
    if closes {
        // ASA: the filed 申請書 completes the record; the extraction goes into the usage ledger.
        entry = Some(write_order_ledger(&st, &ch, &p, &role, &o, None, &[]).await?);
    }
    let mut ev = p.event("emergency.file", format!("emergency_order:{}", o.id), Outcome::Ok);
    ev.role = Some(role);
    ev.detail = json!({ "form": b.form, "reference": b.reference, "late": late, "delay_reason": b.delay_reason });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let o = st.db.order(o.id).await?.unwrap_or(o);
    let order = order_view(&st, &p, &o).await?;
    Ok(Json(OrderAnswer {
        order,
        ledger_entry: entry.map(|l| LedgerView::of(&st, &l)),
        prompt_delay_reason: Some(late && o.delay_reason.is_none()),
        packages: None,
    }))
}

/// Writes the ledger entry of an emergency extraction in `ch`, the filing's or ledger step's
/// change.
async fn write_order_ledger(
    st: &AppState,
    ch: &store::Db,
    p: &Principal,
    role: &str,
    o: &EmergencyOrder,
    handover: Option<jiff::Timestamp>,
    hashes: &[String],
) -> ApiResult<LedgerEntry> {
    let e = match o.extraction_id {
        Some(x) => ch.extraction(x).await?,
        None => None,
    };
    let e = e.ok_or_else(|| ApiError::conflict(Msg::new("order_no_extraction")))?;
    let org = ch.organisation(o.organisation_id).await?.map(|x| x.name).unwrap_or_default();
    // The agency extracted on its own PC: the data were in its hands from the extraction.
    let handed = st.profile.check_handover(
        e.extracted_at.0,
        Some(handover.unwrap_or(e.extracted_at.0)),
        st.clock.now(),
    )?;
    let entry = ch
        .create_ledger_entry(&LedgerEntry {
            id: 0,
            form: st.profile.workflow.ledger_form.clone(),
            request_id: None,
            emergency_order_id: Some(o.id),
            extraction_id: e.id,
            instruction_id: None,
            instruction_issuer: Some(o.ordered_by),
            operator_id: e.operator_id,
            cameras: e.cameras.clone(),
            range_from: e.range_from,
            range_to: e.range_to,
            extracted_at: e.extracted_at,
            workstation_id: e.workstation_id,
            request_ref: format!(
                "{} / {}:{}",
                o.number,
                o.filing_form.clone().unwrap_or_default(),
                o.filing_reference.clone().unwrap_or_default()
            ),
            basis: "emergency".into(),
            purpose: o.purpose.clone(),
            recipient: org,
            handover_date: Some(policy::jst::rfc3339(handed)),
            data_hashes: json_list(hashes),
            written_by: p.account.id,
            written_role: role.to_owned(),
            written_at: store::At(st.clock.now()),
        })
        .await?;
    if o.state == OrderState::Closed {
        ch.set_order_ledger_entry(o.id, entry.id).await?;
    }
    Ok(entry)
}

/// `POST /api/v1/emergency/orders/{id}/ledger`: NIS-11.2 — on receipt of the filing, the image
/// clerk enters the extraction in form 1 and reports to the operations chief.
pub async fn ledger_order(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<LedgerBody>,
) -> ApiResult<Json<OrderAnswer>> {
    let profile = st.profile.clone();
    let Some(em) = &profile.emergency else {
        return Err(ApiError::forbidden(&profile.workflow.rule, Msg::new("no_emergency_path")));
    };
    let o =
        st.db.order(id).await?.ok_or_else(|| {
            ApiError::not_found(Msg::new("no_such_emergency_order").with("id", id))
        })?;
    let state = o.state;
    let (role, rule) = profile.check_order_ledger(p.actor(), state)?;
    let handed = b.handed_over_at.as_deref().map(|s| instant("handed_over_at", s)).transpose()?;
    let ch = st.change().await?;
    let entry = write_order_ledger(&st, &ch, &p, &role, &o, handed, &b.data_hashes).await?;
    let o = ch.order_ledgered(o.id, entry.id, profile.emergency_report_after_ledger()).await?;
    let mut ev = p.event("emergency.ledger", format!("emergency_order:{}", o.id), Outcome::Ok);
    ev.role = Some(role);
    ev.rule = Some(rule.to_string());
    ev.detail = json!({ "ledger": entry.id, "reported_to_role": em.filing.report_to });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let order = order_view(&st, &p, &o).await?;
    Ok(Json(OrderAnswer {
        order,
        ledger_entry: Some(LedgerView::of(&st, &entry)),
        packages: None,
        prompt_delay_reason: None,
    }))
}

/// `POST /api/v1/emergency/orders/{id}/report`: NIS-11.2 — the image clerk reports the form-1
/// entry to the operations chief; the order closes with who reported it and when.
pub async fn report_order(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<OrderView>> {
    let profile = st.profile.clone();
    let o = load_order(&st, &p, id).await?;
    let state = o.state;
    let (role, rule) = profile.check_order_report(p.actor(), state)?;
    let ch = st.change().await?;
    let o = ch.order_reported(o.id, p.account.id, st.clock.now_ms()).await?;
    let mut ev = p.event("emergency.report", format!("emergency_order:{}", o.id), Outcome::Ok);
    ev.role = Some(role);
    ev.rule = Some(rule.to_string());
    ev.detail = json!({
        "reported_to_role": profile.emergency.as_ref().and_then(|e| e.filing.report_to.clone()),
        "ledger": o.ledger_entry_id,
    });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(order_view(&st, &p, &o).await?))
}

/// `POST /api/v1/emergency/orders/{id}/review-flag`: PROD-EMERG-1 — the manager an order given
/// outside the window was flagged to records their review of it, with a note, once.
pub async fn review_flag(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<NoteBody>,
) -> ApiResult<Json<OrderView>> {
    let o = load_order(&st, &p, id).await?;
    let facts = order_facts(&st, &p, &o).await?;
    let (role, rule) = st.profile.check_order_flag_review(p.actor(), &facts)?;
    required("note", &b.note)?;
    let ch = st.change().await?;
    let o = ch.order_flag_reviewed(o.id, p.account.id, st.clock.now_ms(), b.note.trim()).await?;
    let mut ev = p.event("emergency.flag_review", format!("emergency_order:{}", o.id), Outcome::Ok);
    ev.role = Some(role);
    ev.rule = Some(rule.to_string());
    ev.detail = json!({ "note": b.note.trim(), "outside_reason": o.outside_reason });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(order_view(&st, &p, &o).await?))
}

/// `POST /api/v1/emergency/orders/{id}/delay-reason`.
pub async fn delay_reason(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<Done>> {
    required("reason", &b.reason)?;
    // A late filing's reason may follow the filing (the answer prompts for it), once: the
    // store refuses to overwrite a reason on record (issue 16, L11).
    let o = load_order(&st, &p, id).await?;
    let ch = st.change().await?;
    ch.order_delay_reason(o.id, b.reason.trim()).await?;
    st.audit_in(
        &ch,
        p.event("emergency.delay_reason", format!("emergency_order:{id}"), Outcome::Ok),
    )
    .await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// Parses `YYYY-MM` into the JST month's `[start, end)` in UTC ms.
fn month_range(month: &str) -> ApiResult<(i64, i64)> {
    let bad = || ApiError::invalid("month", Msg::new("month_format"));
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let first = Date::new(y, m, 1).map_err(|_| bad())?;
    let next = first.last_of_month().tomorrow().map_err(|_| bad())?;
    let s = policy::jst::midnight(first).map_err(|_| bad())?;
    let e = policy::jst::midnight(next).map_err(|_| bad())?;
    Ok((s.as_millisecond(), e.as_millisecond()))
}

/// `POST /api/v1/reconciliation/histories` (ASA-3.5c, NIS-11.3).
pub async fn submit_history(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<HistoryBody>,
) -> ApiResult<Json<HistorySubmitted>> {
    month_range(&b.month)?;
    let ws = st.db.workstation(b.workstation_id).await?.ok_or_else(|| {
        ApiError::invalid("workstation_id", Msg::new("no_such_workstation_plain"))
    })?;
    if ws.organisation_id != p.account.organisation_id {
        return Err(ApiError::invalid("workstation_id", Msg::new("history_own_pc")));
    }
    let mut items = Vec::new();
    for (i, it) in b.items.iter().enumerate() {
        items.push(HistoryItem {
            extracted_at: instant(&format!("items[{i}].extracted_at"), &it.extracted_at)?,
            camera: it.camera.clone(),
        });
    }
    let text =
        serde_json::to_string(&items).map_err(|_| ApiError::internal("encoding a history"))?;
    let ch = st.change().await?;
    let h = ch.submit_history(ws.id, &b.month, p.account.id, &text, st.clock.now_ms()).await?;
    let mut ev = p.event("reconciliation.submit", format!("workstation:{}", ws.code), Outcome::Ok);
    ev.detail = json!({ "month": b.month, "items": items.len() });
    st.audit_in(&ch, ev).await?;
    // The month's history duty of this PC is done (ASA-3.5c, NIS-11.3).
    let subject = crate::duties::Subject {
        key: format!("workstation:{}", ws.id),
        label: ws.code.clone(),
        owner: None,
        holder: Some(ws.organisation_id),
        workstation: Some(ws.id),
        since: ws.created_at.ms(),
        last_elsewhere: None,
    };
    crate::duties::fulfilled_by_action(
        &st,
        &ch,
        &p,
        policy::duties::DoneBy::HistorySubmission,
        &subject,
        Some(&b.month),
        &format!("history {} submitted ({} items)", h.id, items.len()),
    )
    .await?;
    ch.commit().await?;
    Ok(Json(HistorySubmitted {
        id: h.id,
        workstation_id: h.workstation_id,
        month: h.month,
        items: items.len(),
        submitted_at: jst(h.submitted_at),
    }))
}

/// A lent PC's monthly history, received.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct HistorySubmitted {
    /// Id.
    pub id: i64,
    /// The PC.
    pub workstation_id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// Extractions listed.
    pub items: usize,
    /// When (JST).
    pub submitted_at: String,
}

/// `POST /api/v1/reconciliation/run`: matches each lent PC's submitted history against the
/// system's own extraction log and the filings; every mismatch becomes an incident.
pub async fn run_reconciliation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<MonthBody>,
) -> ApiResult<Json<Reconciled>> {
    let (start, end) = month_range(&b.month)?;
    let now = st.clock.now_ms();
    if now < end {
        return Err(ApiError::invalid("month", Msg::new("month_not_ended")));
    }
    let rule = st
        .profile
        .emergency
        .as_ref()
        .map_or(st.profile.workflow.rule.to_string(), |e| e.reconciliation.rule.to_string());
    // The incidents and the run's audit entry commit together, read and written under one lock.
    let ch = st.change().await?;
    let mut opened = Vec::new();
    for ws in
        ch.workstations().await?.into_iter().filter(|w| st.profile.lent_placement(&w.placement))
    {
        let history: Option<Vec<HistoryItem>> = match ch.history(ws.id, &b.month).await? {
            Some(h) => Some(
                serde_json::from_str(&h.items)
                    .map_err(|_| ApiError::internal("reading a history"))?,
            ),
            None => None,
        };
        let mut logged = Vec::new();
        for e in ch.extractions_on(ws.id, start, end).await? {
            let filed = match e.emergency_order_id {
                Some(o) => ch.order(o).await?.is_some_and(|o| o.filed_at.is_some()),
                None => true,
            };
            logged.push(LoggedExtraction {
                id: e.id,
                extracted_at: e.extracted_at.0,
                cameras: parse_list(&e.cameras)?,
                filed,
            });
        }
        for d in reconcile(history.as_deref(), &logged, jiff::SignedDuration::from_mins(10)) {
            let key = match &d {
                policy::reconcile::Discrepancy::MissingSubmission => "-".to_owned(),
                policy::reconcile::Discrepancy::NotInHistory { id }
                | policy::reconcile::Discrepancy::Unfiled { id } => format!("extraction:{id}"),
                policy::reconcile::Discrepancy::NotInLog { item } => {
                    format!("{}@{}", item.camera, item.extracted_at.as_millisecond())
                }
            };
            let facts = IncidentFacts::from(&d);
            let at = crate::incidents::Place {
                month: &b.month,
                workstation: ws.id,
                key: &key,
                owner: None,
            };
            if crate::incidents::open(&ch, at, &facts, now).await? {
                opened.push(OpenedIncident { workstation: ws.code.clone(), facts });
            }
        }
    }
    let mut ev = p.event("reconciliation.run", format!("month:{}", b.month), Outcome::Ok);
    ev.rule = Some(rule);
    ev.detail = json!({ "opened": opened.len() });
    st.audit_in(&ch, ev).await?;
    // The month's reconciliation duty is done (the first run counts).
    for subject in crate::duties::subjects(&st, &ch, policy::duties::DutySubject::Office).await? {
        crate::duties::fulfilled_by_action(
            &st,
            &ch,
            &p,
            policy::duties::DoneBy::ReconciliationRun,
            &subject,
            Some(&b.month),
            &format!("reconciliation run: {} incidents opened", opened.len()),
        )
        .await?;
    }
    ch.commit().await?;
    Ok(Json(Reconciled { month: b.month, opened }))
}

/// A month reconciled: the incidents it opened.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Reconciled {
    /// `YYYY-MM`.
    pub month: String,
    /// The incidents opened (a mismatch already open is not opened again).
    pub opened: Vec<OpenedIncident>,
}

/// An incident a reconciliation opened.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct OpenedIncident {
    /// The lent PC.
    pub workstation: String,
    /// What was found: `kind` (`missing_submission`, `not_in_history`, `not_in_log`,
    /// `unfiled`) and `detail`.
    #[serde(flatten)]
    pub facts: IncidentFacts,
}

/// `GET /api/v1/reconciliation/incidents`: those about what the caller governs (a lapsed
/// duty on another owner's site is that owner's).
pub async fn list_incidents(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<IncidentView>>> {
    let all = st.db.incidents().await?;
    let mut out = Vec::new();
    for i in all.into_iter().filter(|i| i.owner_org_id.is_none() || p.governs(i.owner_org_id)) {
        let facts = IncidentFacts::from_stored(&i.kind, &i.detail).map_err(|e| {
            tracing::error!(incident = i.id, kind = %i.kind, error = %e, "an incident's facts do not read");
            ApiError::internal("an incident's facts")
        })?;
        out.push(IncidentView {
            id: i.id,
            month: i.month,
            workstation_id: i.workstation_id,
            facts,
            opened_at: jst(i.opened_at),
            closed_by: i.closed_by,
            closed_at: jst_opt(i.closed_at),
            note: i.note,
        });
    }
    Ok(Json(out))
}

/// A reconciliation incident: a mismatch, a lapsed duty, a recorder's alert, a drift of the
/// footage a camera holds.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct IncidentView {
    /// Id.
    pub id: i64,
    /// The month (or day) it concerns.
    pub month: String,
    /// The lent PC, where it concerns one (0 otherwise).
    pub workstation_id: i64,
    /// What was found: its `kind` (`not_in_history`, `duty_lapsed`, `node_stale`…) and the
    /// `detail` of that kind.
    #[serde(flatten)]
    pub facts: IncidentFacts,
    /// When (JST).
    pub opened_at: String,
    /// Who closed it.
    pub closed_by: Option<i64>,
    /// When (JST).
    pub closed_at: Option<String>,
    /// The closing note.
    pub note: Option<String>,
}

/// `POST /api/v1/reconciliation/incidents/{id}/close`.
pub async fn close_incident(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<NoteBody>,
) -> ApiResult<Json<Done>> {
    required("note", &b.note)?;
    let ch = st.change().await?;
    match ch.incident(id).await? {
        Some(i) if i.owner_org_id.is_none() || p.governs(i.owner_org_id) => {}
        // Another owner's incident is as unknown as one that does not exist (issue 15).
        _ => return Err(ApiError::not_found(Msg::new("no_such_incident").with("id", id))),
    }
    ch.close_incident(id, p.account.id, b.note.trim(), st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("reconciliation.close", format!("incident:{id}"), Outcome::Ok))
        .await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// `GET /api/v1/emergency/executors`: the accounts of my organisation that may carry out an
/// emergency extraction (a role named in the profile's `executed_by`, designation in force).
pub async fn executors(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<Executor>>> {
    let Some(em) = st.profile.emergency.as_ref() else {
        return Ok(Json(Vec::new()));
    };
    let now = st.clock.now_ms();
    let mut out = Vec::new();
    for d in st.db.all_designations().await? {
        if !d.in_force(now) || !em.executed_by.contains(&d.role) {
            continue;
        }
        if let Some(a) = st.db.account(d.account_id).await?
            && a.disabled_at.is_none()
            && a.organisation_id == p.account.organisation_id
            && a.id != p.account.id
        {
            out.push(Executor {
                id: a.id,
                display_name: a.display_name,
                login: a.login,
                role: d.role,
            });
        }
    }
    Ok(Json(out))
}

/// A person who may carry out an emergency extraction.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Executor {
    /// Account id.
    pub id: i64,
    /// Name.
    pub display_name: String,
    /// Login name.
    pub login: String,
    /// The role that lets them.
    pub role: String,
}
