//! Retention holds (KIT-5.6, KAW-2.2.6イ) and the audit log's search and verification.

use super::footage::checked_cameras;
use super::types::*;
use super::{Body, Id};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use policy::Permission;
use policy::hold::Hold;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

/// A retention hold, as the API answers it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct HoldView {
    /// Id.
    pub id: i64,
    /// Camera code.
    pub camera: String,
    /// The held footage's range (JST, RFC 3339).
    pub from: String,
    /// Its end.
    pub to: String,
    /// Held until (JST).
    pub until: String,
    /// Account that placed it.
    pub placed_by: i64,
    /// Its role.
    pub placed_role: String,
    /// Why.
    pub reason: String,
    /// The inquiry it answers, where the profile asks for one.
    pub inquiry_reference: Option<String>,
    /// Placed (JST).
    pub placed_at: String,
    /// Account that released it.
    pub released_by: Option<i64>,
    /// Released (JST).
    pub released_at: Option<String>,
    /// Whether it holds footage now.
    pub in_force: bool,
    /// The recorder node on another machine that has not yet taken it, if any.
    pub pending_on_node: Option<String>,
}

fn hold_view(
    st: &AppState,
    remote: &[store::fleet::RecorderNode],
    h: &store::holds::StoredHold,
    now: i64,
) -> HoldView {
    HoldView {
        id: h.id,
        camera: h.camera.clone(),
        from: jst(h.range_from),
        to: jst(h.range_to),
        until: jst(h.until_at),
        placed_by: h.placed_by,
        placed_role: h.placed_role.clone(),
        reason: h.reason.clone(),
        inquiry_reference: h.inquiry_reference.clone(),
        placed_at: jst(h.placed_at),
        released_by: h.released_by,
        released_at: jst_opt(h.released_at),
        in_force: h.until_at.ms() > now && h.released_at.is_none_or(|r| r.ms() > now),
        pending_on_node: pending_on(st, remote, h),
    }
}

/// `GET /api/v1/holds`: the holds on the caller's organisation's cameras (issue 15).
pub async fn list_holds(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<HoldView>>> {
    let now = st.clock.now_ms();
    let owner = super::types::camera_owners(&st).await?;
    let remote = st.db.recorder_nodes().await?;
    Ok(Json(
        st.db
            .holds()
            .await?
            .iter()
            .filter(|h| p.governs(owner.get(&h.camera).copied().flatten()))
            .map(|h| hold_view(&st, &remote, h, now))
            .collect(),
    ))
}

/// The recorder node on another machine that has not yet taken hold `h` (issue 21, item 5):
/// the node recording its camera, when its last copy of the holds predates the hold. It takes
/// effect when the node takes the next copy; footage the node erases on schedule before then
/// is not held (the node's erasure never waits for the centre, KIT-5.7).
fn pending_on(
    st: &AppState,
    remote: &[store::fleet::RecorderNode],
    h: &store::holds::StoredHold,
) -> Option<String> {
    let node = st.node_for(&h.camera)?;
    let r = remote.iter().find(|r| r.name == node.id())?;
    let in_force = h.released_at.is_none() && h.until_at.ms() > st.clock.now_ms();
    (in_force && r.holds_sent_at.is_none_or(|t| t < h.placed_at)).then(|| r.name.clone())
}

/// A hold refusal in the catalogue's words.
fn hold_msg(e: &policy::hold::HoldError) -> Msg {
    use policy::hold::HoldError as H;
    Msg::new(match e {
        H::NotGranted { .. } => "hold_not_granted",
        H::WrongRole { .. } => "hold_wrong_role",
        H::MissingReason { .. } => "hold_reason",
        H::MissingInquiry { .. } => "hold_inquiry",
        H::BadRange => "hold_range",
        H::PastCeiling { .. } => "hold_past_ceiling",
    })
}

/// `POST /api/v1/holds`.
pub async fn create_hold(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<HoldBody>,
) -> ApiResult<Json<HoldView>> {
    let now = st.clock.now();
    let (from, to) = range(&b.from, &b.to)?;
    let until = instant("until", &b.until)?;
    let cams = checked_cameras(&st, "camera", std::slice::from_ref(&b.camera)).await?;
    // Holds only on one's own cameras (issue 15).
    if cams.iter().any(|c| !p.governs(c.owner_org_id)) {
        return Err(ApiError::invalid(
            "camera",
            Msg::new("no_such_camera").with("code", &b.camera),
        ));
    }
    let role = p.role_with(&st.profile, Permission::HoldManage).cloned().unwrap_or_default();
    let hold = Hold {
        camera: b.camera.clone(),
        from: *from,
        to: *to,
        until,
        placed_by_role: role.clone(),
        reason: b.reason.clone(),
        inquiry_reference: b.inquiry_reference.clone(),
        released_at: None,
    };
    if let Err(e) = st.profile.check_hold(&hold, now) {
        return Err(match e.rule() {
            Some(rule) => ApiError::refused(
                rule,
                Some(if matches!(e, policy::hold::HoldError::MissingInquiry { .. }) {
                    "inquiry_reference"
                } else {
                    "reason"
                }),
                hold_msg(&e),
            ),
            None => ApiError::invalid("until", hold_msg(&e)),
        });
    }
    // The footage must still exist to be held.
    super::footage::check_range_available(
        &st,
        &checked_cameras(&st, "camera", std::slice::from_ref(&b.camera)).await?,
        from,
        to,
    )
    .await?;
    let ch = st.change().await?;
    let h = ch
        .create_hold(
            &b.camera,
            (from.ms(), to.ms()),
            until.as_millisecond(),
            p.account.id,
            &role,
            b.reason.trim(),
            b.inquiry_reference.as_deref(),
            now.as_millisecond(),
        )
        .await?;
    let mut ev = p.event("hold.create", format!("hold:{}", h.id), Outcome::Ok);
    ev.role = Some(role);
    ev.rule = Some(st.profile.retention.extension.rule.to_string());
    ev.detail = json!({ "camera": h.camera, "until": jst(h.until_at), "reason": h.reason });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let remote = st.db.recorder_nodes().await?;
    Ok(Json(hold_view(&st, &remote, &h, now.as_millisecond())))
}

/// `POST /api/v1/holds/{id}/release`.
pub async fn release_hold(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    // Only a hold on one's own cameras (issue 15); another's answers as if it did not exist.
    let hold = st.db.holds().await?.into_iter().find(|h| h.id == id);
    let owner = match &hold {
        Some(h) => st.db.camera_by_code(&h.camera).await?.and_then(|c| c.owner_org_id),
        None => None,
    };
    if hold.is_none() || !p.governs(owner) {
        return Err(ApiError::not_found(Msg::new("no_such_hold").with("id", id)));
    }
    let ch = st.change().await?;
    ch.release_hold(id, p.account.id, st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("hold.release", format!("hold:{id}"), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// Filters of the audit search.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    /// From this instant or JST date (`2026-12-01`, `2026-12-01T09:00:00+09:00`).
    from: Option<String>,
    /// Before this instant, or to the end of this JST date.
    to: Option<String>,
    /// The cursor: entries before this sequence number.
    before: Option<i64>,
    limit: Option<i64>,
}

/// One entry of the audit log as the search answers it: the stored entry, with the actor's
/// name and the role's names beside the ids it keeps.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    /// The entry's place in the chain.
    pub seq: u64,
    /// When, in JST (RFC 3339).
    pub at: String,
    /// An account id, or `system`, `public`, `anonymous`, or a recorder node's id.
    pub actor: String,
    /// The account's display name, when the actor is an account.
    pub actor_name: Option<String>,
    /// The role acted in.
    pub role: Option<String>,
    /// That role's name in Japanese.
    pub role_name_ja: Option<String>,
    /// That role's name in English.
    pub role_name_en: Option<String>,
    /// The registered workstation acted from.
    pub workstation: Option<String>,
    /// The client's network address.
    pub client: Option<String>,
    /// What, as `noun.verb`.
    pub action: String,
    /// On what (`request:42`).
    pub object: String,
    /// `ok`, `denied` or `failed`.
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// The rule that decided it, if one did.
    pub rule: Option<String>,
    /// Further facts.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// The entry's hash in the chain (hex).
    pub hash: String,
}

/// An instant, or the start of a JST date; with `end`, the end of that date.
fn instant_or_day(field: &str, v: &str, end: bool) -> ApiResult<i64> {
    if let Ok(d) = v.parse::<jiff::civil::Date>() {
        let d = if end {
            d.tomorrow().map_err(|_| ApiError::invalid(field, Msg::new("date_format")))?
        } else {
            d
        };
        return policy::jst::midnight(d)
            .map(|t| t.as_millisecond())
            .map_err(|_| ApiError::invalid(field, Msg::new("date_format")));
    }
    Ok(super::types::instant(field, v)?.as_millisecond())
}

/// `GET /api/v1/audit?actor=&action=&object=&from=&to=&before=&limit=`: a page of the log,
/// newest first, the next page in a `Link` header (never silently cut).
pub async fn search_audit(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<super::types::Paged<AuditEntryView>> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = super::types::page_limit(q.limit, 100, 1000)?;
    let blank = super::types::blank;
    // A person is searched by login name as well as by account id (issue 19, item 4: nobody
    // should have to know a number); any other actor (`system`, `public`, `directory`, a
    // recorder node) by what the log writes.
    let actor = match blank(&q.actor) {
        Some(a) if !a.chars().all(|c| c.is_ascii_digit()) => {
            match st.db.account_by_login(&a).await? {
                Some(account) => Some(account.id.to_string()),
                None => Some(a),
            }
        }
        a => a,
    };
    let filter = store::audit_store::AuditFilter {
        actor,
        action: blank(&q.action),
        object: blank(&q.object),
        before_seq: q.before,
        from_ms: blank(&q.from).map(|v| instant_or_day("from", &v, false)).transpose()?,
        to_ms: blank(&q.to).map(|v| instant_or_day("to", &v, true)).transpose()?,
        limit: limit + 1,
        // The city's auditors read the whole log; another organisation its own part (issue 15).
        organisation: (!p.keeps(&st.profile, None)).then_some(p.account.organisation_id),
    };
    let mut entries = st.audit.store().search_page(&filter).await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    st.audit(p.event("audit.search", "audit", Outcome::Ok)).await?;
    let next = entries.last().filter(|_| more).map(|last| {
        [
            ("actor", blank(&q.actor)),
            ("action", blank(&q.action)),
            ("object", blank(&q.object)),
            ("from", blank(&q.from)),
            ("to", blank(&q.to)),
            ("limit", Some(limit.to_string())),
            ("before", Some(last.seq.to_string())),
        ]
    });
    // Who each actor is, by name: the log keeps ids (a name may change; the id does not).
    let mut names = std::collections::HashMap::new();
    for e in &entries {
        if let Ok(id) = e.actor.parse::<i64>()
            && let std::collections::hash_map::Entry::Vacant(v) = names.entry(id)
        {
            v.insert(st.db.account(id).await?.map(|a| a.display_name));
        }
    }
    let mut items = Vec::with_capacity(entries.len());
    for e in &entries {
        let role = e.role.as_deref().and_then(|r| st.profile.role(r));
        let view = AuditEntryView {
            seq: e.seq,
            at: policy::jst::rfc3339(e.at),
            actor: e.actor.clone(),
            actor_name: e
                .actor
                .parse::<i64>()
                .ok()
                .and_then(|id| names.get(&id).cloned().flatten()),
            role: e.role.clone(),
            role_name_ja: role.map(|r| r.name_ja.clone()),
            role_name_en: role.map(|r| r.name_en.clone()),
            workstation: e.workstation.clone(),
            client: e.client.clone(),
            action: e.action.clone(),
            object: e.object.clone(),
            outcome: e.outcome,
            rule: e.rule.clone(),
            detail: serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
            hash: e.hash.to_hex(),
        };
        items.push(view);
    }
    Ok(super::types::Paged::new(items, "/api/v1/audit", next.as_ref().map(|n| &n[..])))
}

/// `GET /api/v1/audit/verify`.
pub async fn verify_audit(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<AuditVerified>> {
    let key = st.audit.public_key();
    let report = audit::verify(st.audit.store(), Some(&key), &[]).await?;
    st.audit(p.event(
        "audit.verify",
        "audit",
        if report.is_ok() { Outcome::Ok } else { Outcome::Failed },
    ))
    .await?;
    let first = report.findings.first().map(|f| f.describe());
    Ok(Json(AuditVerified {
        ok: report.is_ok(),
        report: serde_json::to_value(&report).unwrap_or(Value::Null),
        first_bad_entry: first,
        public_key: hex::encode(key.to_bytes()),
    }))
}

/// The audit log verified from its first entry (chain, signatures, checkpoints).
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditVerified {
    /// No finding.
    pub ok: bool,
    /// What was checked and found (the `audit` crate's report).
    #[schema(value_type = Object)]
    pub report: Value,
    /// The first finding, in words.
    pub first_bad_entry: Option<String>,
    /// The log's public key (hex).
    pub public_key: String,
}

/// The audit log's public facts: anyone may keep its checkpoints.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublicAudit {
    /// The log's id (hex).
    pub log_id: String,
    /// Its public key (hex).
    pub public_key: String,
    /// Why audited calls are refused, while the log does not verify.
    pub halted: Option<String>,
    /// What the recorders' own logs were found to hold.
    pub recorder_findings: Vec<String>,
    /// How often a checkpoint is signed.
    pub checkpoint_every: CheckpointEvery,
    /// The newest signed checkpoints, newest first.
    #[schema(value_type = Vec<Object>)]
    pub checkpoints: Vec<audit::Checkpoint>,
}

/// How often the audit log signs a checkpoint: after so many entries or minutes.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CheckpointEvery {
    /// Entries.
    pub entries: u32,
    /// Minutes.
    pub minutes: u32,
}

/// `GET /api/v1/public/audit`: the audit log's id and public key, its newest signed
/// checkpoints, and whether it is halted (issue 17, item 6). Public: anyone may keep copies of
/// the checkpoints, and every copy kept is one more witness that the tail was not cut.
pub async fn public_audit(State(st): State<Arc<AppState>>) -> ApiResult<Json<PublicAudit>> {
    let mut checkpoints = audit::Store::checkpoints(st.audit.store()).await?;
    let newest: Vec<_> = checkpoints.split_off(checkpoints.len().saturating_sub(50));
    let findings = st.node_audit_findings.read().unwrap_or_else(|p| p.into_inner()).clone();
    let checkpoints: Vec<_> = newest.into_iter().rev().collect();
    Ok(Json(PublicAudit {
        log_id: st.audit.store().id().0.to_hex(),
        public_key: hex::encode(st.audit.public_key().to_bytes()),
        halted: st.audit.halted(),
        recorder_findings: findings,
        checkpoint_every: CheckpointEvery { entries: 100, minutes: 5 },
        checkpoints,
    }))
}

/// `GET /api/v1/recorder/status`: state, last frame, bitrate and gaps per camera — never a
/// picture (ALL-REC-2).
pub async fn recorder_status(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<RecorderStatus>> {
    match recording(&st, &p).await? {
        Some(r) => Ok(Json(r)),
        None => Err(ApiError::not_found(Msg::new("no_recorder"))),
    }
}

/// The recording state `p` may see (as `GET /api/v1/recorder/status` answers it), or `None`
/// where no recorder is set up — for the pages that show it beside other things.
pub async fn recording(st: &AppState, p: &Principal) -> ApiResult<Option<RecorderStatus>> {
    let nodes = st.nodes();
    if nodes.is_empty() {
        return Ok(None);
    }
    // Each owner sees its own cameras' state; police and agencies, who govern none, none of
    // it — whether a street's camera is down is not theirs to know (issue 15).
    let owner = super::types::camera_owners(st).await?;
    let mut cameras = Vec::new();
    for node in nodes {
        match node.status().await {
            Ok(s) => cameras.extend(s),
            // A node that cannot be reached: its cameras as last heard of, in error (issue 21).
            Err(e) => {
                let now = st.clock.now_ms();
                let known = st
                    .remote_nodes()
                    .into_iter()
                    .find(|n| node::Node::id(&**n) == node.id())
                    .map(|n| n.cameras())
                    .unwrap_or_default();
                cameras.extend(known.iter().map(|c| node::CameraStatus {
                    state: node::CameraState::Error,
                    detail: e.to_string(),
                    ..node::CameraStatus::connecting(c, now)
                }));
            }
        }
    }
    cameras.retain(|c| p.governs(owner.get(&c.camera).copied().flatten()));
    Ok(Some(RecorderStatus { cameras, clocks: crate::clockwatch::clocks(st).await }))
}

/// The answer of `GET /api/v1/recorder/status`.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RecorderStatus {
    /// Every camera the node records: `camera`, `state`, `detail`, `last_frame_ms`, frames,
    /// bytes, bitrate, gaps today, where its masks are applied (`node::CameraStatus`).
    #[schema(value_type = Vec<Object>)]
    pub cameras: Vec<node::CameraStatus>,
    /// The centre's and the node's clocks (PROD-TIME-1).
    #[schema(value_type = Vec<Object>)]
    pub clocks: Vec<crate::clockwatch::ClockStatus>,
}
