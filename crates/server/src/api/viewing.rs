//! Authorised viewing of recorded footage (issue 20; ASA-3.4a, KAW-2.2.2, KIT-5.5, NIS-7,
//! SAK-M): a viewing is recorded first — who, on which dedicated PC, which cameras and range,
//! why, with which witnesses — and opens a playback session bound to that person, that PC and
//! that record for the profile's session time. Every piece of footage served is audited
//! (`footage.play`, seconds per chunk); refusals are audited with their rule; closing records
//! what was seen, seconds per camera. Never live: the range ends the profile's delay before now
//! (ALL-REC-2). The rules are `policy::viewing`'s; this module asks them.

use super::footage::{check_range_available, checked_cameras, on_own_workstation};
use super::types::*;
use super::{Body, Id};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use policy::Permission;
use policy::viewing::{Ask, Session, Witnesses};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::holds::{NewViewing, Viewing};
use store::{json_list, parse_list};
use utoipa::ToSchema;

/// A list the store holds as JSON; unreadable, empty (which plays nothing: deny by default).
fn stored_list(s: &str) -> Vec<String> {
    parse_list(s).unwrap_or_default()
}

/// About this much footage per chunk served (ms): a few seconds to the first frame, a request
/// every few seconds while playing.
const CHUNK_MS: i64 = 8_000;

/// `POST /api/v1/viewings`: records a viewing and opens its playback session.
pub async fn create_viewing(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<ViewingBody>,
) -> ApiResult<Json<ViewingView>> {
    st.profile.check_purpose(&b.purpose)?;
    if !on_own_workstation(&st, &p) && st.profile.viewing_needs_workstation() {
        return Err(ApiError::forbidden(
            st.profile.workstation_rule(),
            Msg::new("viewing_workstation_required"),
        ));
    }
    // rule: KIT-5.5 — a central-room terminal only while one's entry is on record.
    super::footage::check_in_room(&st, &p).await?;
    let (from, to) = range(&b.from, &b.to)?;
    let now = st.clock.now_ms();
    // rule: ALL-REC-2 — only footage recorded at least the profile's delay ago.
    st.profile.check_viewing_range(from.ms(), to.ms(), now)?;
    let cams = checked_cameras(&st, "cameras", &b.cameras).await?;
    // One owner's cameras, and the viewer's own organisation's where it owns cameras: a
    // facility views its own footage on its own PC (SAK-M, issue 15).
    let owner =
        st.profile.single_owner(&cams.iter().map(|c| c.owner_org_id).collect::<Vec<_>>())?;
    if !p.governs(owner) && matches!(p.scope, policy::scope::Scope::Own(_)) {
        let foreign =
            cams.iter().find(|c| !p.governs(c.owner_org_id)).map_or("", |c| c.code.as_str());
        return Err(ApiError::invalid(
            "cameras",
            Msg::new("camera_not_registered").with("code", foreign),
        ));
    }
    check_range_available(&st, &cams, from, to).await?;
    let role = p.role_with(&st.profile, Permission::FootageView).cloned().unwrap_or_default();
    // rule: ASA-3.4a — others present only when the manager finds it especially necessary.
    let witnesses = st.profile.check_witnesses(&b.witnesses, &b.witness_reason, &p.roles)?;
    let pending = witnesses == Witnesses::Pending;
    let ws = p.workstation.as_ref().map_or(0, |w| w.id);
    let ch = st.change().await?;
    let v = ch
        .create_viewing(&NewViewing {
            viewer: p.account.id,
            role: &role,
            workstation: ws,
            cameras: &json_list(&b.cameras),
            range: (from.ms(), to.ms()),
            purpose: &b.purpose,
            witnesses: &json_list(&b.witnesses),
            witness_reason: b.witness_reason.trim(),
            witnesses_pending: pending,
            judged_by_viewer: witnesses == Witnesses::JudgedByViewer,
            owner,
            now,
            // The session opens once the witnesses are judged necessary.
            expires: (!pending).then(|| st.profile.viewing_expires(now)),
        })
        .await?;
    let mut ev = p.event("footage.view", format!("viewing:{}", v.id), Outcome::Ok);
    ev.rule = Some(st.profile.viewing.rule.to_string());
    ev.detail = json!({
        "cameras": b.cameras, "from": jst(from), "to": jst(to), "purpose": b.purpose,
        "witnesses": b.witnesses.len(), "witness_rule": st.profile.workflow.witness_rule,
        "expires": v.expires_at.map(jst), "witnesses_pending": pending,
    });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(viewing_view(&st, &v)))
}

/// `GET /api/v1/viewings`.
pub async fn list_viewings(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<ViewingView>>> {
    let (owner, viewer_org) = keeping(&p);
    close_expired(&st).await?;
    let v = st.db.viewings(owner, viewer_org).await?;
    st.audit(p.event("viewing.list", "viewings", Outcome::Ok)).await?;
    Ok(Json(v.iter().map(|v| viewing_view(&st, v)).collect()))
}

/// Whose viewings `p` keeps: an owner's to the owner, others' to their own organisation
/// (issue 15), the city's office all.
pub(super) fn keeping(p: &Principal) -> (Option<i64>, Option<i64>) {
    match p.scope {
        policy::scope::Scope::Own(org) => (Some(org), None),
        policy::scope::Scope::Office => (None, None),
        policy::scope::Scope::Outside => (None, Some(p.account.organisation_id)),
    }
}

/// Viewing `id` if `p` keeps it (its viewer always does); otherwise not found.
async fn kept(st: &AppState, p: &Principal, id: i64) -> ApiResult<Viewing> {
    let v = st.db.viewing(id).await?;
    let not_found = || ApiError::not_found(Msg::new("no_such_viewing").with("id", id));
    let v = v.ok_or_else(not_found)?;
    if v.viewer_id == p.account.id {
        return Ok(v);
    }
    let keeps = match keeping(p) {
        (Some(owner), _) => v.owner_org_id == Some(owner),
        (None, Some(org)) => {
            st.db.account(v.viewer_id).await?.is_some_and(|a| a.organisation_id == org)
        }
        (None, None) => true,
    };
    if keeps { Ok(v) } else { Err(not_found()) }
}

/// A viewing as the API answers it.
/// A recorded viewing (ALL-REC-2), as the API answers it.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ViewingView {
    /// Id (the viewing's number).
    pub id: i64,
    /// Who views.
    pub viewer_id: i64,
    /// In which role.
    pub role: String,
    /// On which PC.
    pub workstation_id: i64,
    /// The cameras.
    pub cameras: Vec<String>,
    /// The recorded range (JST, RFC 3339).
    pub range_from: String,
    /// Its end.
    pub range_to: String,
    /// The range's start, UTC ms (the player's origin).
    pub range_from_ms: i64,
    /// Its end, UTC ms.
    pub range_to_ms: i64,
    /// Why.
    pub purpose: String,
    /// Others present.
    pub witnesses: Vec<String>,
    /// Recorded (JST).
    pub viewed_at: String,
    /// The organisation whose cameras are viewed.
    pub owner_org_id: Option<i64>,
    /// Until when it may play (JST).
    pub expires_at: Option<String>,
    /// Closed (JST).
    pub closed_at: Option<String>,
    /// Whether it plays now.
    pub open: bool,
    /// Seconds served and played, per camera.
    pub seen: Seen,
    /// Why the others are present.
    pub witness_reason: String,
    /// Whether the others wait for the manager's judgement.
    pub witnesses_pending: bool,
    /// Who judged them.
    pub witnesses_judged_by: Option<i64>,
    /// When (JST).
    pub witnesses_judged_at: Option<String>,
}

/// `GET /api/v1/viewings/{id}`: the viewing, with what the player needs.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ViewingDetail {
    /// The record.
    #[serde(flatten)]
    pub viewing: ViewingView,
    /// Per camera, the recorded spans `[from_ms, to_ms]` in the range still held.
    #[schema(value_type = Object)]
    pub spans: BTreeMap<String, Vec<(i64, i64)>>,
    /// The viewer's name.
    pub viewer: Option<String>,
    /// Whether the caller is the viewer.
    pub mine: bool,
    /// Whether the profile lets a still be printed.
    pub print: bool,
    /// Whether the caller may judge the others present.
    pub can_judge: bool,
    /// The rule viewings follow.
    pub rule: String,
}

fn viewing_view(st: &AppState, v: &Viewing) -> ViewingView {
    let now = st.clock.now_ms();
    let open = v.closed_at.is_none() && v.expires_at.is_some_and(|e| now < e.ms());
    ViewingView {
        id: v.id,
        viewer_id: v.viewer_id,
        role: v.role.clone(),
        workstation_id: v.workstation_id,
        cameras: stored_list(&v.cameras),
        range_from: jst(v.range_from),
        range_to: jst(v.range_to),
        range_from_ms: v.range_from.ms(),
        range_to_ms: v.range_to.ms(),
        purpose: v.purpose.clone(),
        witnesses: stored_list(&v.witnesses),
        viewed_at: jst(v.viewed_at),
        owner_org_id: v.owner_org_id,
        expires_at: v.expires_at.map(jst),
        closed_at: v.closed_at.map(jst),
        open,
        seen: seen_of(&v.seen),
        witness_reason: v.witness_reason.clone(),
        witnesses_pending: *v.witnesses_pending,
        witnesses_judged_by: v.witnesses_judged_by,
        witnesses_judged_at: v.witnesses_judged_at.map(jst),
    }
}

/// The record as `policy::viewing` sees it.
fn session<'a>(v: &Viewing, cameras: &'a [String]) -> Session<'a> {
    Session {
        viewer: v.viewer_id,
        workstation: v.workstation_id,
        cameras,
        range: (v.range_from.ms(), v.range_to.ms()),
        expires_ms: v.expires_at.map(store::At::ms),
        closed: v.closed_at.is_some(),
        witnesses_pending: *v.witnesses_pending,
    }
}

/// `GET /api/v1/viewings/{id}`: the record, its session, each camera's recorded spans, and the
/// watermark the player draws.
pub async fn get_viewing(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<ViewingDetail>> {
    close_expired(&st).await?;
    let v = kept(&st, &p, id).await?;
    let cameras = stored_list(&v.cameras);
    let mut spans = BTreeMap::new();
    for c in &cameras {
        if let Some(node) = st.node_for(c) {
            spans.insert(c.clone(), node.recorded(c, v.range_from.ms(), v.range_to.ms()).await?);
        }
    }
    let viewer = st.db.account(v.viewer_id).await?;
    let out = ViewingDetail {
        viewing: viewing_view(&st, &v),
        spans,
        viewer: viewer.map(|a| a.display_name),
        mine: v.viewer_id == p.account.id,
        print: st.profile.viewing.print,
        can_judge: *v.witnesses_pending
            && v.viewer_id != p.account.id
            && st.profile.check_witness_judge(&p.roles).is_ok(),
        rule: st.profile.viewing.rule.to_string(),
    };
    st.audit(p.event("viewing.read", format!("viewing:{id}"), Outcome::Ok)).await?;
    Ok(Json(out))
}

/// The query of `GET /api/v1/viewings/{id}/media`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaQuery {
    /// Camera code.
    pub camera: String,
    /// From (UTC ms): the chunk starts at the keyframe at or before it.
    pub from: i64,
}

/// Checks `p`'s ask against viewing `v`: a refusal is answered 403 (409 once the session has
/// ended) with its rule, and audited once with the ask (camera, time) by the route's guard.
fn check_ask(
    st: &AppState,
    p: &Principal,
    v: &Viewing,
    camera: &str,
    from: i64,
    now: i64,
) -> ApiResult<()> {
    let cameras = stored_list(&v.cameras);
    let ask = Ask {
        viewer: p.account.id,
        workstation: p.workstation.as_ref().map_or(0, |w| w.id),
        camera,
        from_ms: from,
        now_ms: now,
    };
    st.profile.check_play(&session(v, &cameras), &ask).map_err(|mut r| {
        r.field = None;
        r.into()
    })
}

/// `GET /api/v1/viewings/{id}/media?camera=&from=`: a chunk of recorded footage (fragmented
/// MP4: the initialisation segment, then fragments) inside the viewing's record, never nearer
/// now than the profile's delay. Audited: camera, range served, seconds.
pub async fn media(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Query(q): Query<MediaQuery>,
) -> ApiResult<Response> {
    let v = kept(&st, &p, id).await?;
    let now = st.clock.now_ms();
    check_ask(&st, &p, &v, &q.camera, q.from, now)?;
    // Who has left the central room plays nothing on its terminal (KIT-5.5).
    super::footage::check_in_room(&st, &p).await?;
    let Some(node) = st.node_for(&q.camera) else {
        return Err(ApiError::unavailable(Msg::new("camera_not_recorded").with("code", &q.camera)));
    };
    let ask = node::PlaybackAsk {
        camera: &q.camera,
        from_ms: q.from,
        length_ms: CHUNK_MS,
        range: (v.range_from.ms(), v.range_to.ms().min(st.profile.viewing_edge(now))),
        origin_ms: v.range_from.ms(),
    };
    let chunk = node.playback(ask).await?;
    let seconds = (chunk.end_ms - chunk.start_ms).max(0) as f64 / 1000.0;
    let ch = st.change().await?;
    let seen = add_seen(ch.viewing(id).await?.map(|v| v.seen), &q.camera, Shown::Served, seconds);
    ch.set_viewing_seen(id, &stored_seen(&seen)).await?;
    let mut ev = p.event("footage.play", format!("viewing:{id}"), Outcome::Ok);
    ev.rule = Some(st.profile.viewing.rule.to_string());
    ev.detail = json!({
        "camera": q.camera, "from": jst_ms(chunk.start_ms), "to": jst_ms(chunk.end_ms),
        "seconds": seconds, "frames": chunk.frames, "bytes": chunk.media.len(),
    });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let mut body = chunk.init;
    body.extend_from_slice(&chunk.media);
    Ok((
        [
            (header::CONTENT_TYPE, "video/mp4".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::HeaderName::from_static("x-codec"), chunk.codec),
            (header::HeaderName::from_static("x-start-ms"), chunk.start_ms.to_string()),
            (header::HeaderName::from_static("x-end-ms"), chunk.end_ms.to_string()),
            (header::HeaderName::from_static("x-complete"), chunk.complete.to_string()),
        ],
        body,
    )
        .into_response())
}

/// Seconds of one camera's footage a viewing served (sent to the player) and played (the player
/// reported showing), to a tenth of a second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct SeenSeconds {
    /// Seconds served.
    #[serde(default)]
    pub served: f64,
    /// Seconds played.
    #[serde(default)]
    pub played: f64,
}

/// What a viewing showed, per camera code.
pub type Seen = BTreeMap<String, SeenSeconds>;

/// Which of a camera's sums a stretch adds to.
#[derive(Debug, Clone, Copy)]
enum Shown {
    Served,
    Played,
}

/// A viewing's stored `seen` (JSON); a record the server did not write reads as nothing seen.
fn seen_of(stored: &str) -> Seen {
    serde_json::from_str(stored).unwrap_or_default()
}

/// `seen` with `seconds` added to `camera`'s served or played sum.
fn add_seen(stored: Option<String>, camera: &str, what: Shown, seconds: f64) -> Seen {
    let mut seen = stored.as_deref().map(seen_of).unwrap_or_default();
    let sums = seen.entry(camera.to_owned()).or_default();
    let slot = match what {
        Shown::Served => &mut sums.served,
        Shown::Played => &mut sums.played,
    };
    *slot = ((*slot + seconds) * 10.0).round() / 10.0;
    seen
}

/// `seen` as it is stored.
fn stored_seen(seen: &Seen) -> String {
    serde_json::to_string(seen).unwrap_or_else(|_| "{}".into())
}

/// `POST /api/v1/viewings/{id}/played`: the player reports a stretch it played (the viewer's own
/// session, on its PC, within its cameras and range; reports may arrive just after the session
/// ended). Summed per camera into the record; the sum is audited when the viewing closes.
pub async fn played(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<PlayedBody>,
) -> ApiResult<Json<Played>> {
    let mut v = kept(&st, &p, id).await?;
    // What was played before the session ended may be reported up to a minute after it (a
    // viewing its expiry closed is closed at its expiry instant; one its viewer closed is not
    // reopened).
    if v.closed_at.is_some() && v.closed_at == v.expires_at {
        v.closed_at = None;
    }
    let now = st.clock.now_ms();
    let at = match v.expires_at.map(store::At::ms) {
        Some(e) if now < e + 60_000 => now.min(e - 1),
        _ => now,
    };
    check_ask(&st, &p, &v, &b.camera, b.from_ms, at)?;
    let seconds = ((b.to_ms.min(v.range_to.ms()) - b.from_ms) as f64 / 1000.0).clamp(0.0, 120.0);
    let ch = st.change().await?;
    let seen = add_seen(ch.viewing(id).await?.map(|v| v.seen), &b.camera, Shown::Played, seconds);
    ch.set_viewing_seen(id, &stored_seen(&seen)).await?;
    ch.commit().await?;
    Ok(Json(Played { seen }))
}

/// What a viewing has shown so far.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Played {
    /// Per camera: seconds served and played.
    pub seen: Seen,
}

/// `POST /api/v1/viewings/{id}/close`: the viewer ends the session; the record keeps what was
/// seen, seconds per camera, audited.
pub async fn close(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<ViewingView>> {
    let v = kept(&st, &p, id).await?;
    if v.viewer_id != p.account.id {
        return Err(ApiError::forbidden(
            &st.profile.viewing.rule,
            Msg::new("viewing_other_person"),
        ));
    }
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    ch.close_viewing(id, now).await?;
    let mut ev = p.event("viewing.close", format!("viewing:{id}"), Outcome::Ok);
    ev.rule = Some(st.profile.viewing.rule.to_string());
    ev.detail = json!({ "seen": seen_of(&v.seen), "by": "viewer" });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let v = st
        .db
        .viewing(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_viewing").with("id", id)))?;
    Ok(Json(viewing_view(&st, &v)))
}

/// Closes the viewings whose session ended without the viewer closing them, each with its
/// audit entry (what was seen), so every viewing's record ends.
pub async fn close_expired(st: &AppState) -> ApiResult<()> {
    let now = st.clock.now_ms();
    for v in st.db.expired_open_viewings(now).await? {
        let end = v.expires_at.map_or(now, store::At::ms);
        let ch = st.change().await?;
        match ch.close_viewing(v.id, end).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict(_)) => continue, // closed meanwhile
            Err(e) => return Err(e.into()),
        }
        let mut ev =
            audit::Event::new("system", "viewing.close", format!("viewing:{}", v.id), Outcome::Ok);
        ev.rule = Some(st.profile.viewing.rule.to_string());
        ev.detail = json!({ "seen": seen_of(&v.seen), "by": "expiry" });
        st.audit_in(&ch, ev).await?;
        ch.commit().await?;
    }
    Ok(())
}

/// `POST /api/v1/viewings/{id}/judge-witnesses`: the manager finds the others named as present
/// especially necessary (ASA-3.4a); the viewing's session opens now. Not by its viewer (who,
/// holding the role, was judged at recording); audited.
pub async fn judge_witnesses(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<ViewingView>> {
    let v = kept(&st, &p, id).await?;
    st.profile.check_witness_judge(&p.roles)?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    ch.judge_viewing_witnesses(id, p.account.id, now, st.profile.viewing_expires(now)).await?;
    let mut ev = p.event("viewing.witnesses_judged", format!("viewing:{id}"), Outcome::Ok);
    ev.rule = Some(st.profile.viewing.rule.to_string());
    ev.detail = json!({ "witnesses": stored_list(&v.witnesses), "reason": v.witness_reason, "viewer": v.viewer_id });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let v = st
        .db
        .viewing(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_viewing").with("id", id)))?;
    Ok(Json(viewing_view(&st, &v)))
}

/// `POST /api/v1/viewings/{id}/prints`: a still printed from the viewing, where the profile
/// allows it (ASA-3.4a 印刷): audited with its time; the page prints it with the watermark.
pub async fn print(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<PrintBody>,
) -> ApiResult<Json<StillPrinted>> {
    let v = kept(&st, &p, id).await?;
    if !st.profile.viewing.print {
        return Err(ApiError::forbidden(&st.profile.viewing.rule, Msg::new("viewing_no_print")));
    }
    let now = st.clock.now_ms();
    check_ask(&st, &p, &v, &b.camera, b.at_ms, now)?;
    let mut ev = p.event("footage.print", format!("viewing:{id}"), Outcome::Ok);
    ev.rule = Some(st.profile.viewing.rule.to_string());
    ev.detail = json!({ "camera": b.camera, "recorded_at": jst_ms(b.at_ms) });
    st.audit(ev).await?;
    Ok(Json(StillPrinted {
        viewer: p.account.display_name.clone(),
        viewing: id,
        camera: b.camera,
        recorded_at: jst_ms(b.at_ms),
        printed_at: jst_ms(now),
    }))
}

/// A still printed from a viewing: what the printout's footer says.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct StillPrinted {
    /// Who printed it.
    pub viewer: String,
    /// The viewing.
    pub viewing: i64,
    /// The camera.
    pub camera: String,
    /// The moment shown (JST).
    pub recorded_at: String,
    /// When printed (JST).
    pub printed_at: String,
}
