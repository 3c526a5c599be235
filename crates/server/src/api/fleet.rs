//! Recorder nodes on other machines (issue 21): registration with a one-time enrolment token,
//! the enrolment itself (a node's signing request answered with its certificate), the fleet's
//! state, and revocation.

use super::types::*;
use super::{Body, Id};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::ToSchema;

/// How long an enrolment token may be redeemed.
const TOKEN_MS: i64 = 24 * 3600 * 1000;

/// How many of a node's newest erasures the fleet list shows.
const ERASURES_SHOWN: i64 = 10;

/// A node's storage and clock, as it last reported them.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct NodeHealthView {
    /// When the centre read them (JST).
    pub read_at: String,
    /// Free space on the node's data directory.
    pub disk_free_bytes: Option<u64>,
    /// Its oldest footage (JST).
    pub oldest_footage_at: Option<String>,
    /// Footage held.
    pub footage_bytes: u64,
    /// Day keys held.
    pub keys_held: u64,
    /// Camera-days erased so far.
    pub erased_camera_days: u64,
    /// The node's clock less the centre's, when it reported it (ms).
    pub clock_offset_ms: Option<i64>,
}

/// One erasure a node reported (made on its own schedule, KIT-5.7).
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct NodeErasureView {
    /// The node's sequence number for it.
    pub seq: i64,
    /// Camera code.
    pub camera: String,
    /// JST day erased.
    pub day: String,
    /// Segments erased.
    pub segments: i64,
    /// Frames erased.
    pub frames: i64,
    /// Bytes erased.
    pub bytes: i64,
    /// When the node erased them (its clock, JST).
    pub erased_at: String,
    /// When the centre heard of it (JST).
    pub received_at: String,
}

/// Where a recorder node stands with the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    /// Enrolled and heard from within [`crate::fleet::STALE_MS`].
    InContact,
    /// Enrolled, not heard from for longer.
    Stale,
    /// Registered; its enrolment token not yet redeemed.
    WaitingForEnrolment,
    /// Its certificate revoked.
    Revoked,
}

/// A recorder node on another machine, with its state and alerts.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct NodeView {
    /// Id.
    pub id: i64,
    /// Name (it names the node's certificate).
    pub name: String,
    /// `stale`, `audit_log`, `clock_drift`, `disk_low` ([`crate::fleet::alerts`]).
    pub alerts: Vec<crate::fleet::NodeAlert>,
    /// What the last check of its audit log against the witnessed checkpoints found.
    #[schema(value_type = Vec<Object>)]
    pub audit_findings: Vec<Value>,
    /// When that check ran (JST).
    pub audit_checked_at: Option<String>,
    /// Where it stands.
    pub site: String,
    /// The kind of its site (KIT-5.1).
    pub site_kind: Option<String>,
    /// The site's conditions met.
    pub site_conditions: Vec<String>,
    /// The organisation that keeps it.
    pub organisation_id: i64,
    /// `host:port` the centre reaches it at.
    pub address: String,
    /// Where it stands with the centre.
    pub state: NodeState,
    /// Enrolled (JST).
    pub enrolled_at: Option<String>,
    /// Until when its enrolment token may be redeemed (JST).
    pub token_expires_at: Option<String>,
    /// The cameras it records.
    pub cameras: Vec<String>,
    /// Last contact (JST).
    pub last_contact_at: Option<String>,
    /// Revoked (JST).
    pub revoked_at: Option<String>,
    /// Why.
    pub revoked_reason: String,
    /// Its last reported health.
    pub health: Option<NodeHealthView>,
    /// Its newest erasures (the fleet list only).
    pub erasures: Vec<NodeErasureView>,
}

/// A node just registered, with its one-time enrolment token (shown once; not `Debug`).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct RegisteredNode {
    /// The node.
    #[serde(flatten)]
    pub node: NodeView,
    /// The token the node redeems at enrolment.
    pub enrolment_token: String,
}

/// The recorder of this process.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct InProcessRecorder {
    /// Its node id.
    pub name: String,
    /// The cameras it records.
    pub cameras: Vec<String>,
}

/// `GET /api/v1/nodes`.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Nodes {
    /// The nodes of the organisations the caller keeps records of.
    pub nodes: Vec<NodeView>,
    /// The recorder in this process, if any.
    pub in_process: Option<InProcessRecorder>,
    /// A node not heard from for this long is `stale` (seconds).
    pub stale_after_s: i64,
}

/// A node's row as the fleet page shows it, with its alerts ([`crate::fleet::alerts`]).
fn node_view(r: &store::fleet::RecorderNode, now: i64, tolerance_ms: i64) -> NodeView {
    let seen = r.health.as_deref().and_then(|h| serde_json::from_str::<node::NodeHealth>(h).ok());
    let health = seen.zip(r.health_at).map(|(h, at)| NodeHealthView {
        read_at: jst(at),
        disk_free_bytes: h.disk_free_bytes,
        oldest_footage_at: h.oldest_footage_ms.map(jst_ms),
        footage_bytes: h.footage_bytes,
        keys_held: h.keys_held,
        erased_camera_days: h.erased_camera_days,
        clock_offset_ms: h.clock.map(|c| c.at_ms - at.ms()),
    });
    let state = if r.revoked_at.is_some() {
        NodeState::Revoked
    } else if r.enrolled_at.is_none() {
        NodeState::WaitingForEnrolment
    } else if r.last_contact_at.is_none_or(|t| now - t.ms() > crate::fleet::STALE_MS) {
        NodeState::Stale
    } else {
        NodeState::InContact
    };
    NodeView {
        id: r.id,
        name: r.name.clone(),
        alerts: crate::fleet::alerts(r, now, tolerance_ms),
        audit_findings: serde_json::from_str(&r.audit_findings).unwrap_or_default(),
        audit_checked_at: r.audit_checked_at.map(jst),
        site: r.site.clone(),
        site_kind: r.site_kind.clone(),
        site_conditions: store::parse_list(&r.site_conditions).unwrap_or_default(),
        organisation_id: r.organisation_id,
        address: r.address.clone(),
        state,
        enrolled_at: r.enrolled_at.map(jst),
        token_expires_at: r.token_expires_at.map(jst),
        cameras: serde_json::from_str(&r.cameras).unwrap_or_default(),
        last_contact_at: r.last_contact_at.map(jst),
        revoked_at: r.revoked_at.map(jst),
        revoked_reason: r.revoked_reason.clone(),
        health,
        erasures: Vec::new(),
    }
}

fn tolerance(st: &AppState) -> i64 {
    i64::from(st.profile.recording.clock_tolerance_ms)
}

/// `GET /api/v1/nodes`: the recorder nodes of the organisations the caller keeps records of,
/// with their state (`in_contact`, `stale`, `waiting_for_enrolment`, `revoked`), cameras, last
/// contact and storage; and the recorder in this process, if any.
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Nodes>> {
    let now = st.clock.now_ms();
    let mut nodes = Vec::new();
    for r in st.db.recorder_nodes().await? {
        if !p.keeps(&st.profile, Some(r.organisation_id)) {
            continue;
        }
        let mut v = node_view(&r, now, tolerance(&st));
        // The newest erasures the node reported (made on its own schedule, KIT-5.7; those made
        // while the centre was down arrive when it is back).
        v.erasures = st
            .db
            .node_erasures(r.id, ERASURES_SHOWN)
            .await?
            .iter()
            .map(|e| NodeErasureView {
                seq: e.seq,
                camera: e.camera.clone(),
                day: e.day.clone(),
                segments: e.segments,
                frames: e.frames,
                bytes: e.bytes,
                erased_at: jst(e.erased_at),
                received_at: jst(e.received_at),
            })
            .collect();
        nodes.push(v);
    }
    let in_process = match st.node() {
        Some(n) => {
            let cameras = n.status().await?.into_iter().map(|s| s.camera).collect();
            Some(InProcessRecorder { name: n.id().to_owned(), cameras })
        }
        None => None,
    };
    Ok(Json(Nodes { nodes, in_process, stale_after_s: crate::fleet::STALE_MS / 1000 }))
}

/// `POST /api/v1/nodes`: registers a node and issues its one-time enrolment token (shown once;
/// only its hash is kept), redeemable for 24 hours.
pub async fn register(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<NodeBody>,
) -> ApiResult<Json<RegisteredNode>> {
    let name = b.name.trim();
    if !nodelink::pki::valid_node_name(name) {
        return Err(ApiError::invalid("name", Msg::new("node_name")));
    }
    required("site", &b.site)?;
    // rule: KIT-5.1 — the recorder's site meets every condition of its kind.
    let site = st.profile.check_recorder_site(b.site_kind.as_deref(), &b.site_conditions)?;
    let address = b.address.trim();
    let port_ok = address
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
    if !port_ok {
        return Err(ApiError::invalid("address", Msg::new("node_address")));
    }
    let org = b.organisation_id.unwrap_or(p.account.organisation_id);
    if st.db.organisation(org).await?.is_none() {
        return Err(ApiError::invalid("organisation_id", Msg::new("no_such_organisation_plain")));
    }
    if !p.keeps(&st.profile, Some(org)) {
        return Err(policy::workflow::Refusal::new(
            &st.profile.ownership.rule,
            "an organisation registers its own recorder nodes only",
        )
        .key("node_scope")
        .at("organisation_id")
        .into());
    }
    if st.db.recorder_nodes().await?.iter().any(|r| r.name == name) {
        return Err(ApiError::conflict(Msg::new("node_exists").with("node", name)));
    }
    let token = crate::auth::new_token()?;
    let now = st.clock.now_ms();
    // A day from now (a clock this far off its range is no clock: then saturated).
    let expires = store::At::saturating(now + TOKEN_MS);
    let ch = st.change().await?;
    let r = ch
        .create_recorder_node(
            &store::fleet::NewNode {
                name,
                site: b.site.trim(),
                organisation_id: org,
                address,
                token_hash: &crate::auth::token_hash(&token),
                token_expires_at: expires,
                site_kind: site.as_ref().map(|(kind, _)| kind.as_str()),
                site_conditions: &store::json_list(
                    &site.as_ref().map(|(_, c)| c.clone()).unwrap_or_default(),
                ),
            },
            p.account.id,
            now,
        )
        .await?;
    let mut ev = p.event("node.register", format!("node:{name}"), Outcome::Ok);
    ev.detail = json!({ "site": r.site, "address": r.address, "organisation_id": org, "token_expires_at": jst(expires),
        "site_kind": r.site_kind, "site_conditions": store::parse_list(&r.site_conditions).unwrap_or_default() });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(RegisteredNode { node: node_view(&r, now, tolerance(&st)), enrolment_token: token }))
}

/// `POST /api/v1/nodes/enrol`: a node redeems its one-time token with its certificate signing
/// request and receives its certificate and the CA's. Public (the node has no identity yet),
/// rate-limited per address, every attempt audited.
pub async fn enrol(
    State(st): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Body(b): Body<NodeEnrolBody>,
) -> ApiResult<Json<nodelink::enrol::Enrolled>> {
    let client = crate::limits::peer(&headers);
    let source = client.clone().unwrap_or_else(|| "unknown".into());
    let now = st.clock.now_ms();
    if let Err(wait) = st.enrol_rate.check(&source, now) {
        return Err(ApiError::too_many(wait, "enrol_rate_limited"));
    }
    let token = b.token.trim();
    let well_formed = token.len() == 64 && token.bytes().all(|c| c.is_ascii_hexdigit());
    let hash = crate::auth::token_hash(token);
    let found = if well_formed { st.db.recorder_node_by_token(&hash, now).await? } else { None };
    let refuse = |ev_target: String| {
        let mut ev = audit::Event::new("anonymous", "node.enrol", ev_target, Outcome::Denied);
        ev.client = client.clone();
        ev
    };
    let Some(r) = found else {
        st.audit(refuse("node:?".into())).await?;
        return Err(ApiError::not_found(Msg::new("node_token_unknown")));
    };
    let ca = crate::fleet::ca(&st).map_err(|e| ApiError::internal(&e.to_string()))?;
    let cert = match ca.issue_node(&r.name, &b.csr) {
        Ok(c) => c,
        Err(e) => {
            let mut ev = refuse(format!("node:{}", r.name));
            ev.detail = json!({ "why": e.to_string() });
            st.audit(ev).await?;
            return Err(ApiError::invalid("csr", Msg::new("csr_refused")));
        }
    };
    let der = nodelink::pki::first_cert(&cert).map_err(|e| ApiError::internal(&e.to_string()))?;
    let pin = nodelink::pki::fingerprint(&der);
    let ch = st.change().await?;
    ch.enrol_recorder_node(r.id, &hash, &pin, now).await?;
    let mut ev = audit::Event::new("device", "node.enrol", format!("node:{}", r.name), Outcome::Ok);
    ev.client = client;
    ev.detail = json!({ "certificate_sha256": pin });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(nodelink::enrol::Enrolled {
        node: r.name,
        certificate: cert,
        ca: ca.ca_pem().to_owned(),
    }))
}

/// `POST /api/v1/nodes/{id}/revoke`: the centre never asks the node again (a stolen or
/// replaced recorder); its certificate is no longer accepted.
pub async fn revoke(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<NodeView>> {
    required("reason", &b.reason)?;
    let r = st
        .db
        .recorder_node(id)
        .await?
        .filter(|r| p.keeps(&st.profile, Some(r.organisation_id)))
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_recorder_node").with("id", id)))?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    ch.revoke_recorder_node(id, b.reason.trim(), p.account.id, now).await?;
    let mut ev = p.event("node.revoke", format!("node:{}", r.name), Outcome::Ok);
    ev.detail = json!({ "reason": b.reason.trim() });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    // Dropped from the fleet now, not at the next contact.
    let keep: Vec<_> =
        st.remote_nodes().into_iter().filter(|n| node::Node::id(&**n) != r.name).collect();
    st.set_remote_nodes(keep);
    let r = st
        .db
        .recorder_node(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_recorder_node").with("id", id)))?;
    Ok(Json(node_view(&r, now, tolerance(&st))))
}
