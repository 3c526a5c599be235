//! `GET /api/v1/me/tasks`: everything the caller must do now, and by when — computed here, from
//! the rules in `policy`, so that the web app only renders it (issue 19 item 2, issue 23 item
//! 1). A request's actions are exactly those whose `policy` check passes; nothing a role must
//! act on is reachable only by searching.

use super::types::{jst, jst_ms};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Extension, State};
use policy::Permission;
use policy::duties::{DoneBy, Standing};
use policy::emergency::OrderAction;
use policy::workflow::{RequestAction, RequestFacts, RequestState};
use serde::Serialize;
use std::sync::Arc;

/// What a task is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A request for footage.
    Request,
    /// An instruction to extract.
    Instruction,
    /// An emergency order (the police's night and holiday path).
    EmergencyOrder,
    /// An incident to close.
    Incident,
    /// A complaint to answer.
    Complaint,
    /// A recurring duty of the profile.
    Duty,
    /// A viewing whose witnesses are to be judged.
    Viewing,
    /// My own account (a password to change).
    Account,
}

/// One thing to do.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Task {
    /// What it is about.
    pub kind: TaskKind,
    /// What to do: `relay`, `decide`, `instruct`, `ledger`, `extract`, `pass_on`, `report`,
    /// `file`, `close`, `respond`, `change_password`, `judge_witnesses`, `review_flag`; for a
    /// duty, the profile's duty id.
    pub action: String,
    /// The record (`request:12`).
    pub object: String,
    /// Its number or name, to show.
    pub label: String,
    /// A line about it (recipient and case, a witness reason).
    pub detail: String,
    /// The cameras it concerns, where it concerns footage (an instruction, an order).
    pub cameras: Vec<String>,
    /// The footage's range (JST), where it concerns footage: for the client to write the
    /// dates as its reader writes them.
    pub range: Option<TaskRange>,
    /// When the line is a code (a complaint's category, an incident's kind): its catalogue key
    /// (`category_signage`, `incident_not_in_history`), for the client to say in words.
    pub detail_key: Option<String>,
    /// The deadline (JST), when there is one.
    pub due_at: Option<String>,
    /// Past its deadline.
    pub overdue: bool,
    /// The rule that makes it this person's work.
    pub rule: String,
    /// Where the web app does it.
    pub href: String,
    /// What it is, in both languages, where the profile names it (a recurring duty).
    pub title: Option<Title>,
}

/// A range of footage.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TaskRange {
    /// From (JST, RFC 3339).
    pub from: String,
    /// To (JST, RFC 3339).
    pub to: String,
}

/// A name in Japanese and English.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Title {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

/// The tasks of the caller, most urgent first.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Tasks {
    /// How many.
    pub count: usize,
    /// The tasks.
    pub tasks: Vec<Task>,
}

/// `GET /api/v1/me/tasks`.
pub async fn my_tasks(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Tasks>> {
    let tasks = tasks_of(&st, &p).await?;
    Ok(Json(Tasks { count: tasks.len(), tasks }))
}

/// `GET /api/v1/me/dashboard`: the home page in one answer (issue 23, item 6) — my tasks, and
/// the recording state of the cameras I may see (never a picture, ALL-REC-2).
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// What I must do now (`GET /api/v1/me/tasks`).
    pub tasks: Vec<Task>,
    /// The cameras' recording state (`GET /api/v1/recorder/status`); none where no recorder is
    /// set up.
    pub recording: Option<super::holds::RecorderStatus>,
}

/// `GET /api/v1/me/dashboard`.
pub async fn dashboard(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Dashboard>> {
    let tasks = tasks_of(&st, &p).await?;
    let recording = super::holds::recording(&st, &p).await?;
    Ok(Json(Dashboard { tasks, recording }))
}

/// Every task of `p` now.
pub async fn tasks_of(st: &AppState, p: &Principal) -> ApiResult<Vec<Task>> {
    let now = st.clock.now_ms();
    let profile = &st.profile;
    let mut out = Vec::new();
    let holds = |perm: Permission| p.role_with(profile, perm).is_some();

    // Requests: one task per action the policy offers this person now.
    let open = [
        RequestState::Submitted,
        RequestState::Relayed,
        RequestState::Approved,
        RequestState::Extracted,
        RequestState::Reported,
    ];
    let query = store::workflow::RequestQuery {
        viewer: p.account.id,
        all: super::footage::sees_all(st, p),
        owner: p.scope.owner(),
        states: open.iter().map(|s| s.as_str().to_owned()).collect(),
        text: None,
        before: None,
        limit: 1000,
    };
    let requests = st.db.requests_page(&query).await?;
    // Each requester's account maker, read once however many requests they filed.
    let mut makers: std::collections::HashMap<i64, Option<String>> = Default::default();
    for r in &requests {
        let state = r.state;
        let requester = r.requester_id.map(|x| x.to_string()).unwrap_or_default();
        let made_by = match r.requester_id {
            Some(id) if makers.contains_key(&id) => makers[&id].clone(),
            Some(id) => {
                let m = requester_made_by(st, Some(id)).await?;
                makers.insert(id, m.clone());
                m
            }
            None => None,
        };
        let extractor = match state {
            RequestState::Extracted => {
                st.db.extractions_of(r.id).await?.last().map(|e| e.operator_id.to_string())
            }
            _ => None,
        };
        let facts = RequestFacts {
            state,
            requester: policy::workflow::Requester::new(&requester, made_by.as_deref()),
            basis: &r.basis,
            extractor: extractor.as_deref(),
        };
        for a in profile.request_actions(p.actor(), &facts) {
            // One decision, whichever way it goes; a withdrawal is a choice, not a task.
            let action = match a.action {
                RequestAction::Approve => "decide",
                RequestAction::Refuse | RequestAction::Withdraw => continue,
                RequestAction::Relay => "relay",
                RequestAction::Instruct => "instruct",
                RequestAction::Report => "report",
                RequestAction::Ledger => "ledger",
            }
            .to_owned();
            out.push(Task {
                kind: TaskKind::Request,
                action,
                object: format!("request:{}", r.id),
                label: r.number.clone(),
                detail: format!("{} — {}", r.recipient, r.case_summary),
                cameras: Vec::new(),
                range: None,
                detail_key: None,
                due_at: None,
                overdue: false,
                rule: a.rule.to_string(),
                href: format!("/requests/{}", r.id),
                title: None,
            });
        }
    }

    // Instructions addressed to me: extract at the end of the chain, pass on before it.
    let chain = &profile.workflow.chain;
    for i in st.db.open_instructions_for(p.account.id).await? {
        let step = usize::try_from(i.step).unwrap_or(0);
        let last = step + 1 >= chain.len();
        out.push(Task {
            kind: TaskKind::Instruction,
            action: if last { "extract" } else { "pass_on" }.into(),
            object: format!("instruction:{}", i.id),
            label: match requests.iter().find(|r| r.id == i.request_id) {
                Some(r) => r.number.clone(),
                // A request this person does not list (the end of a chain): still its number.
                None => st
                    .db
                    .request(i.request_id)
                    .await?
                    .map_or_else(|| format!("#{}", i.request_id), |r| r.number),
            },
            detail: String::new(),
            cameras: store::parse_list(&i.cameras).unwrap_or_default(),
            range: Some(TaskRange { from: jst(i.range_from), to: jst(i.range_to) }),
            detail_key: None,
            due_at: None,
            overdue: false,
            rule: chain
                .get(step)
                .map_or_else(|| profile.workflow.rule.to_string(), |c| c.rule.to_string()),
            href: format!("/requests/{}", i.request_id),
            title: None,
        });
    }

    // The emergency path: the order to carry out, the filing due, the entry after the filing.
    if profile.emergency.is_some() {
        let at = st.clock.now();
        for o in st.db.orders().await? {
            // Only orders this person could act on: their agency's, or on cameras they govern.
            if o.organisation_id != p.account.organisation_id && !p.governs(o.owner_org_id) {
                continue;
            }
            // The same facts the order's own page decides its actions from.
            let facts = super::emergency::order_facts(st, p, &o).await?;
            for a in profile.order_actions(p.actor(), &facts, at) {
                let (action, due) = match a.action {
                    // Until the power lapses (issue 15); after that it is no one's task.
                    OrderAction::Extract => (
                        "extract",
                        profile
                            .emergency_expires_at(facts.ordered_at)
                            .ok()
                            .map(|t| t.as_millisecond()),
                    ),
                    OrderAction::File => ("file", o.filing_due_at.map(store::At::ms)),
                    OrderAction::Ledger => ("ledger", None),
                    OrderAction::Report => ("report", None),
                    OrderAction::ReviewFlag => ("review_flag", None),
                };
                out.push(Task {
                    kind: TaskKind::EmergencyOrder,
                    action: action.into(),
                    object: format!("emergency_order:{}", o.id),
                    label: o.number.clone(),
                    detail: String::new(),
                    cameras: store::parse_list(&o.cameras).unwrap_or_default(),
                    range: Some(TaskRange { from: jst(o.range_from), to: jst(o.range_to) }),
                    detail_key: None,
                    due_at: due.map(jst_ms),
                    overdue: due.is_some_and(|d| now >= d),
                    rule: a.rule.to_string(),
                    href: format!("/emergency#order-{}", o.id),
                    title: None,
                });
            }
        }
    }

    // Incidents (reconciliation mismatches, lapsed duties) about what I govern.
    if holds(Permission::ReconciliationReview) {
        let rule = profile.emergency.as_ref().map_or_else(
            || policy::rule::cited::DUTY_LAPSED.to_string(),
            |e| e.reconciliation.rule.to_string(),
        );
        for i in st.db.incidents().await?.into_iter().filter(|i| i.closed_at.is_none()) {
            if i.owner_org_id.is_some() && !p.governs(i.owner_org_id) {
                continue;
            }
            let lapsed = i.kind == crate::duties::LAPSED;
            out.push(Task {
                kind: TaskKind::Incident,
                action: "close".into(),
                object: format!("incident:{}", i.id),
                label: i.month.clone(),
                detail: if lapsed {
                    serde_json::from_str::<serde_json::Value>(&i.detail)
                        .ok()
                        .map(|d| {
                            format!(
                                "{} {}",
                                d["name_ja"].as_str().unwrap_or(""),
                                d["label"].as_str().unwrap_or("")
                            )
                        })
                        .unwrap_or_else(|| i.kind.clone())
                } else {
                    i.kind.clone()
                },
                cameras: Vec::new(),
                range: None,
                detail_key: (!lapsed).then(|| format!("incident_{}", i.kind)),
                due_at: None,
                overdue: lapsed,
                rule: if lapsed {
                    policy::rule::cited::DUTY_LAPSED.to_string()
                } else {
                    rule.clone()
                },
                href: "/reconciliation".into(),
                title: None,
            });
        }
    }

    // KIT-7: complaints past their deadline.
    if holds(Permission::ComplaintHandle) {
        let owners = super::types::camera_owners(st).await?;
        for c in st.db.complaints().await? {
            // About one's own cameras (issue 15): a complaint without one is the city's.
            let owner = c.camera.as_ref().and_then(|code| owners.get(code).copied().flatten());
            if !p.keeps(profile, owner) {
                continue;
            }
            if c.responded_at.is_none() && c.closed_at.is_none() && c.due_at.ms() < now {
                out.push(Task {
                    kind: TaskKind::Complaint,
                    action: "respond".into(),
                    object: format!("complaint:{}", c.id),
                    label: c.number.clone(),
                    detail: c.category.clone(),
                    cameras: Vec::new(),
                    range: None,
                    detail_key: Some(format!("category_{}", c.category)),
                    due_at: Some(jst(c.due_at)),
                    overdue: true,
                    rule: profile.complaints.deadline_rule().to_string(),
                    href: "/complaints".into(),
                    title: None,
                });
            }
        }
    }

    // Recurring duties (issue 18 item 1): each occurrence due or lapsed that is mine to do.
    for o in crate::duties::open_occurrences(st, &st.db).await? {
        if o.standing == Standing::NotYet || !crate::duties::performs(st, p, &o.duty, &o.subject) {
            continue;
        }
        let due = o.occurrence.due_at.as_millisecond();
        out.push(Task {
            kind: TaskKind::Duty,
            action: o.duty.id.clone(),
            object: crate::duties::duty_object(&o.duty, &o.occurrence.period, &o.subject.key),
            label: o.subject.label.clone(),
            detail: o.occurrence.period.clone(),
            cameras: Vec::new(),
            range: None,
            detail_key: None,
            due_at: Some(jst_ms(due)),
            overdue: o.standing == Standing::Lapsed,
            rule: o.duty.rule.to_string(),
            href: match o.duty.done_by {
                DoneBy::HistorySubmission | DoneBy::ReconciliationRun => "/reconciliation".into(),
                DoneBy::SignageCheck | DoneBy::FootageCheck => "/cameras".into(),
                DoneBy::ReportPublication => "/reports".into(),
                DoneBy::Record => format!("/duties#duty-{}", o.duty.id),
            },
            title: Some(Title { ja: o.duty.name_ja.clone(), en: o.duty.name_en.clone() }),
        });
    }

    // ASA-3.4a: viewings whose witnesses wait for my judgement (others present only when the
    // manager finds it especially necessary).
    if profile.check_witness_judge(&p.roles).is_ok() {
        let (owner, org) = super::viewing::keeping(p);
        for v in st.db.viewings(owner, org).await? {
            if !*v.witnesses_pending || v.closed_at.is_some() {
                continue;
            }
            out.push(Task {
                kind: TaskKind::Viewing,
                action: "judge_witnesses".into(),
                object: format!("viewing:{}", v.id),
                label: format!("No.{}", v.id),
                detail: v.witness_reason.clone(),
                cameras: Vec::new(),
                range: None,
                detail_key: None,
                due_at: None,
                overdue: false,
                rule: profile.viewing.rule.to_string(),
                href: format!("/viewings/{}", v.id),
                title: None,
            });
        }
    }

    // My password, due for rotation within the notice period.
    let rotation = &profile.accounts;
    let changed = p.account.password_changed_at.0;
    let due = profile.password_due_at(changed).as_millisecond();
    if profile.password_rotation_announced(changed, store::ts(now)) {
        out.push(Task {
            kind: TaskKind::Account,
            action: "change_password".into(),
            object: format!("account:{}", p.account.id),
            label: p.account.login.clone(),
            detail: String::new(),
            cameras: Vec::new(),
            range: None,
            detail_key: None,
            due_at: Some(jst_ms(due)),
            overdue: now >= due,
            rule: rotation.password_rotation_rule.to_string(),
            href: "/account".into(),
            title: None,
        });
    }

    // Overdue first, then by deadline, then as found.
    out.sort_by_key(|t| (!t.overdue, t.due_at.is_none(), t.due_at.clone()));
    Ok(out)
}

/// The account that made a requester's account, if one did (PROD-SOD-5).
pub(crate) async fn requester_made_by(
    st: &AppState,
    requester: Option<i64>,
) -> ApiResult<Option<String>> {
    let Some(id) = requester else { return Ok(None) };
    Ok(st.db.account(id).await?.and_then(|a| a.created_by).map(|c| c.to_string()))
}
