//! Entries to the central room (issue 18, KIT-5.5): entered only by the manager, the handling
//! officers, persons the manager approved and the maintenance contractor within its contract;
//! every entry and leaving recorded and audited. Cities without such a room: 404.

use super::types::*;
use super::{Body, Id};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use utoipa::ToSchema;

/// How many entries the list shows.
const SHOWN: i64 = 200;

fn room(st: &AppState) -> ApiResult<&policy::profile::CentralRoom> {
    st.profile.central_room.as_ref().ok_or_else(|| ApiError::not_found(Msg::new("no_central_room")))
}

/// Whether `p` reads every entry: an approver, or an auditor.
fn reads_all(st: &AppState, p: &Principal, room: &policy::profile::CentralRoom) -> bool {
    p.roles.iter().any(|r| room.approvers.contains(r))
        || p.role_with(&st.profile, policy::Permission::AuditRead).is_some()
}

/// One entry to the room, as the API answers it.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct RoomEntryView {
    /// Id.
    pub id: i64,
    /// The person who entered.
    pub account_id: i64,
    /// Their name.
    pub name: String,
    /// Why.
    pub purpose: String,
    /// `role`, `contract` or `approved`.
    pub ground: String,
    /// The approver's name, for an approved entry.
    pub approved_by: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
    /// Entered (JST, RFC 3339).
    pub entered_at: String,
    /// Left (JST), or `null` while inside.
    pub left_at: Option<String>,
}

/// The room's name and rule.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct RoomName {
    /// Japanese name.
    pub ja: String,
    /// English name.
    pub en: String,
    /// The rule that governs entry.
    pub rule: String,
}

/// `GET /api/v1/room-entries`.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct RoomEntries {
    /// The room.
    pub room: RoomName,
    /// Entries, newest first.
    pub entries: Vec<RoomEntryView>,
}

fn entry_view(
    e: &store::room::RoomEntry,
    names: &std::collections::HashMap<i64, String>,
) -> RoomEntryView {
    let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    RoomEntryView {
        id: e.id,
        account_id: e.account_id,
        name: name(e.account_id),
        purpose: e.purpose.clone(),
        ground: e.ground.clone(),
        approved_by: e.approved_by.map(name),
        recorded_by: name(e.recorded_by),
        entered_at: jst(e.entered_at),
        left_at: e.left_at.map(jst),
    }
}

async fn names(st: &AppState) -> ApiResult<std::collections::HashMap<i64, String>> {
    Ok(st.db.accounts().await?.into_iter().map(|a| (a.id, a.display_name)).collect())
}

/// `GET /api/v1/room-entries`: the entries, newest first — all of them for the manager and
/// auditors, one's own for others.
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<RoomEntries>> {
    let room = room(&st)?;
    let all = reads_all(&st, &p, room);
    let names = names(&st).await?;
    let entries: Vec<RoomEntryView> = st
        .db
        .room_entries(SHOWN)
        .await?
        .iter()
        .filter(|e| all || e.account_id == p.account.id)
        .map(|e| entry_view(e, &names))
        .collect();
    Ok(Json(RoomEntries {
        room: RoomName {
            ja: room.name_ja.clone(),
            en: room.name_en.clone(),
            rule: room.rule.to_string(),
        },
        entries,
    }))
}

/// `POST /api/v1/room-entries`: records an entry now — one's own, or (by the manager) another
/// person's, which is the manager's approval (KIT-5.5 「その他管理責任者が認めた者」).
pub async fn enter(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<RoomEntryBody>,
) -> ApiResult<Json<RoomEntryView>> {
    let room = room(&st)?;
    required("purpose", &b.purpose)?;
    let now = st.clock.now_ms();
    let by_login = match b.login.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        Some(login) => Some(
            st.db
                .account_by_login(login)
                .await?
                .ok_or_else(|| ApiError::invalid("login", Msg::new("no_such_account_plain")))?
                .id,
        ),
        None => None,
    };
    let person = b.account_id.or(by_login).unwrap_or(p.account.id);
    let same = person == p.account.id;
    let roles = if same {
        p.roles.clone()
    } else {
        // Another person: an account the caller's organisation keeps.
        let a = st
            .db
            .account(person)
            .await?
            .filter(|a| p.keeps(&st.profile, Some(a.organisation_id)) && a.disabled_at.is_none())
            .ok_or_else(|| ApiError::invalid("account_id", Msg::new("no_such_account_plain")))?;
        st.db.active_roles(a.id, now).await?
    };
    let ground = match st.profile.check_room_entry(&roles, &p.roles, same) {
        Ok(g) => g,
        Err(r) => {
            let mut ev = p.event("room.enter", format!("account:{person}"), Outcome::Denied);
            ev.rule = Some(room.rule.to_string());
            st.audit(ev).await?;
            return Err(r.into());
        }
    };
    let ground_text = serde_json::to_value(ground)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let approved_by =
        (ground == policy::placement::RoomEntryGround::Approved).then_some(p.account.id);
    // One entry at a time: a person inside leaves before entering again.
    if st.db.open_room_entry(person).await?.is_some() {
        return Err(ApiError::conflict(Msg::new("room_inside_already")));
    }
    let ch = st.change().await?;
    let e = ch
        .record_room_entry(person, b.purpose.trim(), &ground_text, approved_by, p.account.id, now)
        .await?;
    let mut ev = p.event("room.enter", format!("room_entry:{}", e.id), Outcome::Ok);
    ev.rule = Some(room.rule.to_string());
    ev.detail = json!({ "account": person, "ground": ground_text });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(entry_view(&e, &names(&st).await?)))
}

/// `POST /api/v1/room-entries/{id}/leave`: the person (or the manager) records the leaving.
pub async fn leave(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<RoomEntryView>> {
    let room = room(&st)?;
    let e = st
        .db
        .room_entry(id)
        .await?
        // The person, or an approver; an auditor reads entries but records no leaving.
        .filter(|e| {
            e.account_id == p.account.id || p.roles.iter().any(|r| room.approvers.contains(r))
        })
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_room_entry").with("id", id)))?;
    let ch = st.change().await?;
    ch.leave_room(e.id, st.clock.now_ms()).await?;
    let mut ev = p.event("room.leave", format!("room_entry:{id}"), Outcome::Ok);
    ev.rule = Some(room.rule.to_string());
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let e = st
        .db
        .room_entry(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_room_entry").with("id", id)))?;
    Ok(Json(entry_view(&e, &names(&st).await?)))
}
