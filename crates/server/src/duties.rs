//! Recurring duties (issue 18 item 1), the server's half: which occurrences of the profile's
//! `[[duties]]` are owed now, by whom, and what happens when one lapses. The timing is decided
//! by `policy::duties`; this module reads the subjects and fulfilments from the store, records
//! fulfilments (from the duty's own action or a record), and turns each lapsed occurrence into
//! an incident — audited, on the reviewers' home and counted in the yearly report.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use audit::Outcome;
use policy::duties::{
    Cadence, DoneBy, DutyDef, DutySubject, Occurrence, Standing, calendar_occurrences,
    rolling_occurrence, standing,
};
use policy::scope::Scope;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use store::Db;

/// The incident kind of a lapsed duty.
pub const LAPSED: &str = "duty_lapsed";

/// One thing a duty is owed for.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `office`, `workstation:3`, `camera:C1`, `site:4`.
    pub key: String,
    /// What to show (a code or name).
    pub label: String,
    /// The owner of the cameras it concerns (sites, cameras).
    pub owner: Option<i64>,
    /// The organisation that holds it and performs the duty (a lent PC's police station).
    pub holder: Option<i64>,
    /// The workstation it is, for incidents keyed by workstation.
    pub workstation: Option<i64>,
    /// Since when the duty is owed for it (UTC ms).
    pub since: i64,
    /// A rolling duty's last fulfilment kept elsewhere (a site's sign check).
    pub last_elsewhere: Option<i64>,
}

/// One occurrence not done, of one duty, for one subject.
#[derive(Debug, Clone)]
pub struct Open {
    /// The duty.
    pub duty: DutyDef,
    /// What it is for.
    pub subject: Subject,
    /// Its period and deadline.
    pub occurrence: Occurrence,
    /// Due or lapsed (or not yet shown, for rolling duties).
    pub standing: Standing,
}

/// What duties of subject kind `per` are owed for, now.
pub async fn subjects(st: &AppState, db: &Db, per: DutySubject) -> ApiResult<Vec<Subject>> {
    let ws_subject = |w: &store::registry::Workstation, lent: bool| Subject {
        key: format!("workstation:{}", w.id),
        label: w.code.clone(),
        owner: None,
        holder: lent.then_some(w.organisation_id),
        workstation: Some(w.id),
        since: w.created_at.ms(),
        last_elsewhere: None,
    };
    Ok(match per {
        DutySubject::Office => {
            let since = db.organisations().await?.iter().map(|o| o.created_at).min();
            since
                .map(|since| Subject {
                    key: "office".into(),
                    label: st.profile.profile.name_ja.clone(),
                    owner: None,
                    holder: None,
                    workstation: None,
                    since: since.ms(),
                    last_elsewhere: None,
                })
                .into_iter()
                .collect()
        }
        DutySubject::LentWorkstation => db
            .workstations()
            .await?
            .iter()
            .filter(|w| w.revoked_at.is_none() && st.profile.lent_placement(&w.placement))
            .map(|w| ws_subject(w, true))
            .collect(),
        DutySubject::Workstation => db
            .workstations()
            .await?
            .iter()
            .filter(|w| w.revoked_at.is_none())
            .map(|w| ws_subject(w, false))
            .collect(),
        DutySubject::Camera => db
            .cameras()
            .await?
            .into_iter()
            .filter(|c| c.status != store::registry::CameraStatus::Decommissioned)
            .map(|c| Subject {
                key: format!("camera:{}", c.code),
                label: c.code,
                owner: c.owner_org_id,
                holder: None,
                workstation: None,
                since: c.created_at.ms(),
                last_elsewhere: None,
            })
            .collect(),
        DutySubject::Site => db
            .sites()
            .await?
            .into_iter()
            .map(|s| Subject {
                key: format!("site:{}", s.id),
                label: format!("{} {}", s.code, s.name),
                owner: s.owner_org_id,
                holder: None,
                workstation: None,
                since: s.created_at.ms(),
                last_elsewhere: s.signage_checked_at.map(store::At::ms),
            })
            .collect(),
    })
}

fn duty_error(e: policy::duties::DutyError) -> ApiError {
    tracing::error!(error = %e, "a profile duty cannot be computed");
    ApiError::internal("a duty of the profile cannot be computed")
}

/// The occurrence a subject owes now, for a rolling duty: counted from its last fulfilment.
fn rolling_now(
    def: &DutyDef,
    s: &Subject,
    done: &[store::duties::DutyFulfilment],
) -> ApiResult<Occurrence> {
    let last = done
        .iter()
        .filter(|f| f.subject == s.key)
        .map(|f| f.fulfilled_at.ms())
        .chain(s.last_elsewhere)
        .max()
        .unwrap_or(s.since);
    rolling_occurrence(def, store::ts(last)).map_err(duty_error)
}

/// Every occurrence of every duty that is owed and not done at `now` (rolling duties: the next
/// one, even before it is shown).
pub async fn open_occurrences(st: &AppState, db: &Db) -> ApiResult<Vec<Open>> {
    let now = st.clock.now();
    let mut out = Vec::new();
    for def in &st.profile.duties {
        let done = db.duty_fulfilments(&def.id).await?;
        for s in subjects(st, db, def.per).await? {
            let occurrences = match def.cadence {
                Cadence::Rolling => vec![rolling_now(def, &s, &done)?],
                Cadence::Monthly | Cadence::FiscalYear => {
                    calendar_occurrences(def, store::ts(s.since), now).map_err(duty_error)?
                }
            };
            for o in occurrences {
                if done.iter().any(|f| f.subject == s.key && f.period == o.period) {
                    continue;
                }
                out.push(Open {
                    duty: def.clone(),
                    subject: s.clone(),
                    standing: standing(&o, now),
                    occurrence: o,
                });
            }
        }
    }
    Ok(out)
}

/// Whether `p` performs `def` for `s`: holds its permission, and governs the subject (sites,
/// cameras), holds it (a lent PC) or works for a city office or owner (the rest).
pub fn performs(st: &AppState, p: &Principal, def: &DutyDef, s: &Subject) -> bool {
    if p.role_with(&st.profile, def.performed_with).is_none() {
        return false;
    }
    match def.per {
        DutySubject::LentWorkstation => s.holder == Some(p.account.organisation_id),
        DutySubject::Camera | DutySubject::Site => p.governs(s.owner),
        DutySubject::Office | DutySubject::Workstation => p.scope != Scope::Outside,
    }
}

/// Records the occurrence of each duty done by `action` for `subject` in `period` (the
/// action's own period, or for rolling duties the occurrence owed before the action), inside
/// the action's change. An occurrence already done stays as first recorded.
pub async fn fulfilled_by_action(
    st: &AppState,
    ch: &Db,
    p: &Principal,
    action: DoneBy,
    subject: &Subject,
    period: Option<&str>,
    note: &str,
) -> ApiResult<()> {
    let now = st.clock.now_ms();
    for def in st.profile.duties.iter().filter(|d| d.done_by == action) {
        let period = match (def.cadence, period) {
            (Cadence::Rolling, _) => {
                rolling_now(def, subject, &ch.duty_fulfilments(&def.id).await?)?.period
            }
            (_, Some(p)) => p.to_owned(),
            (_, None) => continue,
        };
        if ch.fulfil_duty(&def.id, &period, &subject.key, p.account.id, note, now).await?.is_some()
        {
            let mut ev = p.event("duty.done", duty_object(def, &period, &subject.key), Outcome::Ok);
            ev.rule = Some(def.rule.to_string());
            ev.detail = json!({ "by": note });
            st.audit_in(ch, ev).await?;
        }
    }
    Ok(())
}

/// The audit object of an occurrence: `duty:monthly_history/2026-11/workstation:3`.
pub fn duty_object(def: &DutyDef, period: &str, subject: &str) -> String {
    format!("duty:{}/{}/{}", def.id, period, subject)
}

/// Opens an incident for every lapsed occurrence that has none yet (the incident is keyed by
/// duty, subject and period, so a sweep repeated is harmless). Each new incident is audited.
/// Returns how many were opened.
pub async fn sweep(st: &AppState) -> ApiResult<usize> {
    let ch = st.change().await?;
    let now = st.clock.now_ms();
    let mut n = 0;
    for o in open_occurrences(st, &ch).await? {
        if o.standing != Standing::Lapsed {
            continue;
        }
        let key = format!("{}/{}", o.duty.id, o.subject.key);
        let lapsed = crate::incidents::LapsedDuty {
            duty: o.duty.id.clone(),
            name_ja: o.duty.name_ja.clone(),
            name_en: o.duty.name_en.clone(),
            subject: o.subject.key.clone(),
            label: o.subject.label.clone(),
            period: o.occurrence.period.clone(),
            due_at: policy::jst::rfc3339(o.occurrence.due_at),
        };
        let detail = serde_json::to_value(&lapsed).map_err(|_| ApiError::internal("a duty"))?;
        let facts = crate::incidents::IncidentFacts::DutyLapsed(lapsed);
        let at = crate::incidents::Place {
            month: &o.occurrence.period,
            workstation: o.subject.workstation.unwrap_or(0),
            key: &key,
            owner: o.subject.owner,
        };
        let opened = crate::incidents::open(&ch, at, &facts, now).await?;
        if opened {
            n += 1;
            let mut ev = audit::Event::new(
                "system",
                "duty.lapsed",
                duty_object(&o.duty, &o.occurrence.period, &o.subject.key),
                Outcome::Ok,
            );
            ev.rule = Some(o.duty.timing_rule.as_ref().unwrap_or(&o.duty.rule).to_string());
            ev.detail = detail;
            st.audit_in(&ch, ev).await?;
        }
    }
    ch.commit().await?;
    if n > 0 {
        tracing::warn!(opened = n, "duties lapsed: incidents opened");
    }
    Ok(n)
}

/// Sweeps for lapsed duties at start and then every hour, until the task is aborted — in one
/// central process of those sharing the database (the holder of the `duties.sweep` lease).
pub fn spawn_sweeper(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if !state.leased("duties.sweep", Duration::from_secs(3300)).await {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                continue;
            }
            if let Err(e) = sweep(&state).await {
                tracing::error!(error = ?e.0.detail, "duty sweep failed");
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    })
}
