//! `GET /api/v1/duties` and `POST /api/v1/duties/{duty}/done`: the profile's recurring duties
//! (issue 18 item 1) as the caller sees them — what is owed, by when, what was done — and the
//! record of a duty done by a person rather than by an action of the system.

use super::Body;
use super::types::{jst, required};
use crate::auth::Principal;
use crate::duties::{Subject, duty_object, open_occurrences, performs, subjects};
use crate::error::{ApiError, ApiResult, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::Json;
use axum::extract::{Extension, Path, State};
use policy::Permission;
use policy::duties::{Cadence, DoneBy, DutyDef, Standing};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::ToSchema;

/// One occurrence owed and not done.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct OwedView {
    /// What it is for (`workstation:3`).
    pub subject: String,
    /// Its code or name.
    pub label: String,
    /// The period (`2026-11`, `FY2026`, a rolling duty's deadline date).
    pub period: String,
    /// The deadline (JST, exclusive: 24:00 of the last day).
    pub due_at: String,
    /// `not_yet`, `due` or `lapsed`.
    #[schema(value_type = String)]
    pub standing: Standing,
    /// The caller does it.
    pub mine: bool,
    /// Past its deadline.
    pub lapsed: bool,
    /// The caller may record it done here now (`policy::duties::recordable`); a duty done by
    /// an act is done by that act.
    pub can_record: bool,
}

/// One occurrence done.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct DoneView {
    /// What it was for.
    pub subject: String,
    /// The period.
    pub period: String,
    /// Who did it (account id).
    pub fulfilled_by: i64,
    /// When (JST).
    pub fulfilled_at: String,
    /// What was done.
    pub note: String,
}

/// One duty of the profile.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct DutyView {
    /// Identifier.
    pub id: String,
    /// Japanese name.
    pub name_ja: String,
    /// English name.
    pub name_en: String,
    /// `monthly`, `fiscal_year` or `rolling`.
    #[schema(value_type = String)]
    pub cadence: Cadence,
    /// Rolling duties: the interval in days.
    pub every_days: Option<u32>,
    /// Calendar duties: the days after the period's end to do it in.
    pub within_days: u32,
    /// How it is done: `record` (a note here) or the action that does it.
    #[schema(value_type = String)]
    pub done_by: DoneBy,
    /// The clause.
    pub rule: String,
    /// The reading that fixes its timing.
    pub timing_rule: Option<String>,
    /// Occurrences owed (rolling duties: the next one).
    pub owed: Vec<OwedView>,
    /// The most recent occurrences done (at most 20).
    pub done: Vec<DoneView>,
}

/// Whether `p` oversees `s`: reviewers see every duty on what they govern, and those about
/// the city as a whole or a lent PC when they work for a city office or owner.
fn oversees(st: &AppState, p: &Principal, s: &Subject) -> bool {
    p.role_with(&st.profile, Permission::ReconciliationReview).is_some()
        && match s.owner {
            Some(_) => p.governs(s.owner),
            None => p.scope != policy::scope::Scope::Outside,
        }
}

/// `GET /api/v1/duties`: the duties the caller performs or oversees.
pub async fn list_duties(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<DutyView>>> {
    let open = open_occurrences(&st, &st.db).await?;
    let mut out = Vec::new();
    for def in &st.profile.duties {
        let subs = subjects(&st, &st.db, def.per).await?;
        let visible: Vec<&Subject> =
            subs.iter().filter(|s| performs(&st, &p, def, s) || oversees(&st, &p, s)).collect();
        if visible.is_empty() {
            continue;
        }
        let owed = open
            .iter()
            .filter(|o| o.duty.id == def.id)
            .filter(|o| visible.iter().any(|s| s.key == o.subject.key))
            .map(|o| {
                let mine = performs(&st, &p, def, &o.subject);
                OwedView {
                    subject: o.subject.key.clone(),
                    label: o.subject.label.clone(),
                    period: o.occurrence.period.clone(),
                    due_at: policy::jst::rfc3339(o.occurrence.due_at),
                    standing: o.standing,
                    mine,
                    lapsed: o.standing == Standing::Lapsed,
                    can_record: mine && policy::duties::recordable(def, o.standing),
                }
            })
            .collect();
        let done: Vec<DoneView> = st
            .db
            .duty_fulfilments(&def.id)
            .await?
            .into_iter()
            .rev()
            .filter(|f| visible.iter().any(|s| s.key == f.subject))
            .take(20)
            .map(|f| DoneView {
                subject: f.subject,
                period: f.period,
                fulfilled_by: f.fulfilled_by,
                fulfilled_at: jst(f.fulfilled_at),
                note: f.note,
            })
            .collect();
        out.push(DutyView {
            id: def.id.clone(),
            name_ja: def.name_ja.clone(),
            name_en: def.name_en.clone(),
            cadence: def.cadence,
            every_days: def.every_days,
            within_days: def.within_days,
            done_by: def.done_by,
            rule: def.rule.to_string(),
            timing_rule: def.timing_rule.as_ref().map(ToString::to_string),
            owed,
            done,
        });
    }
    Ok(Json(out))
}

/// `POST /duties/{duty}/done`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyDoneBody {
    /// What it was done for (`office`, `camera:C1`, `workstation:3`).
    pub subject: String,
    /// Which occurrence (calendar duties: `2026-11`, `FY2026`); rolling duties: the one owed now,
    /// whatever is given.
    #[serde(default)]
    pub period: Option<String>,
    /// What was done: checked what, changed which password, published where.
    pub note: String,
}

/// What a record of a duty answers.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct DutyDone {
    /// The duty.
    pub duty: String,
    /// The occurrence recorded.
    pub period: String,
    /// Its subject.
    pub subject: String,
    /// When (JST).
    pub fulfilled_at: String,
}

/// `POST /api/v1/duties/{duty}/done`: records an occurrence of a duty done by a person (an
/// access review, a device password changed, the report published). Duties done by an action
/// (a history submitted, a reconciliation run, a sign checked) are recorded by that action only:
/// claiming them here is refused.
pub async fn record_done(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(duty): Path<String>,
    Body(b): Body<DutyDoneBody>,
) -> ApiResult<Json<DutyDone>> {
    let def: &DutyDef = st
        .profile
        .duties
        .iter()
        .find(|d| d.id == duty)
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_duty").with("id", &duty)))?;
    required("note", &b.note)?;
    if def.done_by != DoneBy::Record {
        return Err(ApiError::refused(&def.rule, None, Msg::new("duty_by_action")));
    }
    let ch = st.change().await?;
    let subject = subjects(&st, &ch, def.per)
        .await?
        .into_iter()
        .find(|s| s.key == b.subject)
        .ok_or_else(|| ApiError::invalid("subject", Msg::new("not_duty_subject")))?;
    if !performs(&st, &p, def, &subject) {
        return Err(ApiError::forbidden(&def.rule, Msg::new("duty_not_yours")));
    }
    let owed: Vec<_> = open_occurrences(&st, &ch)
        .await?
        .into_iter()
        .filter(|o| o.duty.id == def.id && o.subject.key == subject.key)
        .collect();
    let period = match def.cadence {
        // A rolling duty may be done early: it counts for the occurrence owed now.
        Cadence::Rolling => owed.first().map(|o| o.occurrence.period.clone()),
        Cadence::Monthly | Cadence::FiscalYear => {
            let want = b.period.as_deref().unwrap_or_default();
            owed.iter()
                .find(|o| {
                    o.occurrence.period == want && policy::duties::recordable(def, o.standing)
                })
                .map(|o| o.occurrence.period.clone())
        }
    }
    .ok_or_else(|| ApiError::invalid("period", Msg::new("duty_not_owed")))?;
    let now = st.clock.now_ms();
    let f = ch
        .fulfil_duty(&def.id, &period, &subject.key, p.account.id, b.note.trim(), now)
        .await?
        .ok_or_else(|| ApiError::conflict(Msg::new("duty_recorded_already")))?;
    let mut ev = p.event("duty.done", duty_object(def, &period, &subject.key), Outcome::Ok);
    ev.rule = Some(def.rule.to_string());
    ev.detail = json!({ "note": f.note });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(DutyDone {
        duty: def.id.clone(),
        period: f.period,
        subject: f.subject,
        fulfilled_at: jst(f.fulfilled_at),
    }))
}
