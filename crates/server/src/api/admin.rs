//! Organisations, accounts, role designations, the site and camera registry, dedicated
//! workstations and contracts.

use super::types::*;
use super::{Body, Id};
use crate::auth::{self, Principal, WORKSTATION_COOKIE};
use crate::error::{ApiError, ApiResult, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::extract::State;
use axum::{Extension, Json};
use policy::Permission;
use policy::retention::Period;
use policy::rule::cited;
use serde_json::json;
use std::sync::Arc;
use store::accounts::NewAccount;
use store::registry::{NewCamera, NewSite};

/// `GET /api/v1/organisations`.
pub async fn list_organisations(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<OrganisationView>>> {
    let mut orgs = st.db.organisations().await?;
    orgs.retain(|o| keeps_accounts_of(&st, &p, o.id).is_ok());
    Ok(Json(orgs.iter().map(OrganisationView::of).collect()))
}

/// An organisation (the city, a contractor, a police station, an agency, a community group, a
/// facility).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrganisationView {
    /// Id.
    pub id: i64,
    /// What kind of organisation it is (`city`, `contractor`, `police`, `agency`,
    /// `community`, `facility`).
    #[schema(value_type = String)]
    pub kind: policy::profile::OrgKind,
    /// Its name.
    pub name: String,
    /// Registered (JST).
    pub created_at: String,
    /// Its own retention period in days (SAK-9), if it set one.
    pub retention_days: Option<i64>,
    /// Or in months.
    pub retention_months: Option<i64>,
}

impl OrganisationView {
    /// `o` as the API shows it.
    pub fn of(o: &store::accounts::Organisation) -> Self {
        OrganisationView {
            id: o.id,
            kind: o.kind,
            name: o.name.clone(),
            created_at: jst(o.created_at),
            retention_days: o.retention_days,
            retention_months: o.retention_months,
        }
    }
}

/// Whether the caller, an account administrator, keeps the accounts of organisation `org`: the
/// city's administrators every organisation's, any other's only its own (issue 15).
fn keeps_accounts_of(
    st: &AppState,
    p: &Principal,
    org: i64,
) -> Result<(), policy::workflow::Refusal> {
    match p.org_kind {
        Some(kind) => st.profile.check_account_scope(kind, p.account.organisation_id, org),
        None => {
            Err(policy::workflow::Refusal::new(&cited::RBAC, "no organisation kind")
                .key("no_org_kind"))
        }
    }
}

/// An account the caller keeps (issue 15), else 404 as if it did not exist.
async fn kept_account(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> ApiResult<store::accounts::Account> {
    st.db
        .account(id)
        .await?
        .filter(|a| keeps_accounts_of(st, p, a.organisation_id).is_ok())
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_account").with("id", id)))
}

/// `POST /api/v1/organisations`.
pub async fn create_organisation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<OrganisationBody>,
) -> ApiResult<Json<OrganisationView>> {
    // Organisations are set up by the city, which runs the system (issue 15).
    if !st.profile.sets_up_organisations(p.org_kind) {
        return Err(ApiError::forbidden(&st.profile.ownership.rule, Msg::new("org_setup_city")));
    }
    let Some(kind) = policy::profile::OrgKind::parse(&b.kind) else {
        let choices: Vec<&str> = policy::profile::OrgKind::ALL.iter().map(|k| k.as_str()).collect();
        return Err(ApiError::invalid(
            "kind",
            Msg::new("one_of").with("choices", choices.join(", ")),
        ));
    };
    required("name", &b.name)?;
    let ch = st.change().await?;
    let org = ch.create_organisation(kind.as_str(), b.name.trim(), st.clock.now_ms()).await?;
    st.audit_in(
        &ch,
        p.event("organisation.create", format!("organisation:{}", org.id), Outcome::Ok),
    )
    .await?;
    ch.commit().await?;
    Ok(Json(OrganisationView::of(&org)))
}

/// An account as its administrators see it (no secrets).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AccountView {
    /// Id.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Name.
    pub display_name: String,
    /// Organisation.
    pub organisation_id: i64,
    /// Locked after failed logins until (JST).
    pub locked_until: Option<String>,
    /// Failed logins in a row.
    pub failed_logins: i64,
    /// Disabled at (JST).
    pub disabled_at: Option<String>,
    /// Made by one administrator, waiting for another to activate it (PROD-SOD-6).
    pub pending_activation: bool,
    /// Confidentiality acknowledged at (JST).
    pub acknowledged_at: Option<String>,
    /// Password last changed (JST).
    pub password_changed_at: String,
    /// Signs in with a one-time code too.
    pub totp_enabled: bool,
    /// Made (JST).
    pub created_at: String,
}

impl AccountView {
    fn of(a: &store::accounts::Account) -> Self {
        AccountView {
            id: a.id,
            login: a.login.clone(),
            display_name: a.display_name.clone(),
            organisation_id: a.organisation_id,
            locked_until: jst_opt(a.locked_until),
            failed_logins: a.failed_logins,
            disabled_at: jst_opt(a.disabled_at),
            pending_activation: *a.pending_activation,
            acknowledged_at: jst_opt(a.confidentiality_ack_at),
            password_changed_at: jst(a.password_changed_at),
            totp_enabled: *a.totp_enabled,
            created_at: jst(a.created_at),
        }
    }
}

/// `GET /api/v1/accounts` (personal data: audited).
pub async fn list_accounts(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<AccountView>>> {
    let mut accounts = st.db.accounts().await?;
    accounts.retain(|a| keeps_accounts_of(&st, &p, a.organisation_id).is_ok());
    st.audit(p.event("account.list", "accounts", Outcome::Ok)).await?;
    Ok(Json(accounts.iter().map(AccountView::of).collect()))
}

/// `POST /api/v1/accounts`.
pub async fn create_account(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<AccountBody>,
) -> ApiResult<Json<AccountView>> {
    required("login", &b.login)?;
    required("display_name", &b.display_name)?;
    if !b.login.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        return Err(ApiError::invalid("login", Msg::new("login_chars")));
    }
    let Some(org) = st.db.organisation(b.organisation_id).await? else {
        return Err(ApiError::invalid("organisation_id", Msg::new("no_such_organisation_plain")));
    };
    keeps_accounts_of(&st, &p, org.id)?;
    // rule: PROD-SOD-6 — an outsider's account made by the city waits for a second
    // administrator: whoever made it knows its first password.
    let pending = Some(org.kind).is_some_and(|k| {
        policy::scope::sod::needs_activation(k, org.id, p.account.organisation_id)
    });
    auth::check_new_password(&b.login, &b.initial_password).map_err(|mut e| {
        e.0.errors.iter_mut().for_each(|f| f.field = "initial_password".into());
        e
    })?;
    let hash = auth::hash_password_blocking(&b.initial_password).await?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let a = ch
        .create_account(
            &NewAccount {
                login: b.login.trim(),
                display_name: b.display_name.trim(),
                organisation_id: b.organisation_id,
                password_hash: &hash,
                must_change_password: true,
                created_by: Some(p.account.id),
                pending_activation: pending,
            },
            now,
        )
        .await?;
    let mut ev = p.event("account.create", format!("account:{}", a.id), Outcome::Ok);
    if pending {
        ev.rule = Some(cited::ACTIVATION.to_string());
        ev.detail = json!({ "pending_activation": true, "organisation_kind": org.kind });
    }
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(AccountView::of(&a)))
}

/// `POST /api/v1/accounts/{id}/activate`: a second account administrator activates an
/// outsider's account the city made (PROD-SOD-6); its maker cannot.
pub async fn activate_account(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<AccountView>> {
    let a = kept_account(&st, &p, id).await?;
    if !*a.pending_activation {
        return Err(ApiError::conflict(Msg::new("account_not_waiting").with("login", &a.login)));
    }
    policy::scope::sod::check_activation(a.created_by, p.account.id)?;
    let ch = st.change().await?;
    if !ch.activate_account(id, p.account.id, st.clock.now_ms()).await? {
        return Err(ApiError::conflict(Msg::new("account_not_waiting").with("login", &a.login)));
    }
    let mut ev = p.event("account.activate", format!("account:{id}"), Outcome::Ok);
    ev.rule = Some(cited::ACTIVATION.to_string());
    ev.detail = json!({ "made_by": a.created_by });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let a = st
        .db
        .account(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_account").with("id", id)))?;
    Ok(Json(AccountView::of(&a)))
}

/// A retention period: days or months, and how it reads.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PeriodView {
    /// Days, when counted in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Months, when counted in months.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// As written (`14 days`).
    pub text: String,
}

fn period_view(p: Period) -> PeriodView {
    let (days, months) = match p {
        Period::Days(d) => (Some(d), None),
        Period::Months(m) => (None, Some(m)),
    };
    PeriodView { days, months, text: p.to_string() }
}

/// The organisation whose own settings the caller keeps: its own, where it owns cameras
/// (issue 15); another's answers 404 as if it did not exist.
async fn own_organisation(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> ApiResult<store::accounts::Organisation> {
    st.db
        .organisation(id)
        .await?
        .filter(|o| p.scope.owner() == Some(o.id))
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_organisation").with("id", id)))
}

/// The retention of an organisation's cameras: its own period, the profile's default and
/// bounds, and each camera's period in force.
/// An organisation's retention (SAK-9): its own period, the profile's default and bounds, and
/// each of its cameras' period in force.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RetentionView {
    /// The organisation.
    pub organisation_id: i64,
    /// Its name.
    pub organisation: String,
    /// Its own period, if it set one.
    pub period: Option<PeriodView>,
    /// The profile's default.
    pub default: PeriodView,
    /// The shortest allowed.
    pub floor: Option<PeriodView>,
    /// The clause that sets it.
    pub floor_rule: String,
    /// The longest allowed.
    pub ceiling: Option<PeriodView>,
    /// The clause that sets it.
    pub ceiling_rule: String,
    /// The retention clause.
    pub rule: String,
    /// Its cameras.
    pub cameras: Vec<CameraRetention>,
}

/// A camera's retention in force.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CameraRetention {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The period in force.
    pub period: PeriodView,
    /// Set on the camera itself (else its owner's or the profile's).
    pub own_setting: bool,
    /// After a change: whether its recorder was told at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_to_recorder: Option<bool>,
}

async fn retention_view(
    st: &AppState,
    o: &store::accounts::Organisation,
) -> ApiResult<RetentionView> {
    let r = &st.profile.retention;
    let mut cameras = Vec::new();
    for c in st.db.cameras().await?.iter().filter(|c| c.owner_org_id == Some(o.id)) {
        let own = Period::from_setting(c.retention_days, c.retention_months);
        let period = super::footage::camera_period(st, c).await?;
        cameras.push(CameraRetention {
            code: c.code.clone(),
            name: c.name.clone(),
            period: period_view(period),
            own_setting: own.is_some(),
            sent_to_recorder: None,
        });
    }
    Ok(RetentionView {
        organisation_id: o.id,
        organisation: o.name.clone(),
        period: Period::from_setting(o.retention_days, o.retention_months).map(period_view),
        default: period_view(st.profile.default_period()),
        floor: r.floor.period().map(period_view),
        floor_rule: r.floor.rule.to_string(),
        ceiling: r.ceiling.period().map(period_view),
        ceiling_rule: r.ceiling.rule.to_string(),
        rule: r.rule.to_string(),
        cameras,
    })
}

/// `GET /api/v1/organisations/{id}/retention`: one's own organisation's retention (SAK-9).
pub async fn organisation_retention(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<RetentionView>> {
    let o = own_organisation(&st, &p, id).await?;
    Ok(Json(retention_view(&st, &o).await?))
}

/// `POST /api/v1/organisations/{id}/retention`: an owner sets its own retention period within
/// the profile's bounds (SAK-9: 各施設において…最長1ヶ月以内で…できるだけ短期間), with a reason,
/// audited. Cameras without a period of their own keep footage by it from now on; the recorder
/// is told at once, so its sweeper erases by the new period.
pub async fn set_organisation_retention(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<RetentionBody>,
) -> ApiResult<Json<RetentionView>> {
    required("reason", &b.reason)?;
    let o = own_organisation(&st, &p, id).await?;
    let period = retention_setting(&st.profile, ("days", b.days), ("months", b.months))?;
    let before = Period::from_setting(o.retention_days, o.retention_months);
    let ch = st.change().await?;
    let o =
        ch.set_organisation_retention(o.id, b.days.map(i64::from), b.months.map(i64::from)).await?;
    let mut ev = p.event("retention.set", format!("organisation:{}", o.id), Outcome::Ok);
    ev.rule = Some(st.profile.retention.rule.to_string());
    let shown = |p: Option<Period>| p.unwrap_or_else(|| st.profile.default_period()).to_string();
    ev.detail =
        json!({ "period": shown(period), "before": shown(before), "reason": b.reason.trim() });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    // On record: the recorder applies it now (and reads it from the registry when it starts).
    let mut out = retention_view(&st, &o).await?;
    if st.has_nodes() {
        for c in out.cameras.iter_mut().filter(|c| !c.own_setting) {
            let code = c.code.clone();
            let Some(node) = st.node_for(&code) else {
                c.sent_to_recorder = Some(false);
                continue;
            };
            let effective = st.profile.camera_period(None, period);
            let sent = match node.set_retention(&code, effective).await {
                Ok(()) => true,
                Err(node::NodeError::NotRecorded(_)) => false,
                Err(e) => {
                    tracing::error!(camera = %code, error = %e, "retention not sent to the recorder");
                    false
                }
            };
            c.sent_to_recorder = Some(sent);
        }
    }
    Ok(Json(out))
}

/// `POST /api/v1/accounts/{id}/unlock`.
pub async fn unlock_account(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    kept_account(&st, &p, id).await?;
    let ch = st.change().await?;
    ch.unlock_account(id).await?;
    st.audit_in(&ch, p.event("account.unlock", format!("account:{id}"), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// `POST /api/v1/accounts/{id}/disable`.
pub async fn disable_account(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    if id == p.account.id {
        return Err(ApiError::invalid("id", Msg::new("disable_self")));
    }
    kept_account(&st, &p, id).await?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    ch.set_disabled(id, Some(now)).await?;
    ch.revoke_sessions_of(id, now, None).await?;
    st.audit_in(&ch, p.event("account.disable", format!("account:{id}"), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// `GET /api/v1/designations`.
pub async fn list_designations(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<DesignationView>>> {
    let all = st.db.all_designations().await?;
    // An organisation sees the designations of its own staff and those it made (issue 15).
    let org_of: std::collections::HashMap<i64, i64> =
        st.db.accounts().await?.iter().map(|a| (a.id, a.organisation_id)).collect();
    let mine = |account: Option<i64>| {
        account.and_then(|a| org_of.get(&a)) == Some(&p.account.organisation_id)
    };
    st.audit(p.event("designation.list", "designations", Outcome::Ok)).await?;
    let now = st.clock.now_ms();
    Ok(Json(
        all.iter()
            .filter(|d| mine(Some(d.account_id)) || mine(d.designated_by))
            .map(|d| DesignationView::of(&st, d, now))
            .collect(),
    ))
}

/// A designation of a person to a role (who designated, until when, on which document).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DesignationView {
    /// Id.
    pub id: i64,
    /// The person.
    pub account_id: i64,
    /// The role (profile id).
    pub role: String,
    /// Its name.
    pub role_name_ja: Option<String>,
    /// Its English name.
    pub role_name_en: Option<String>,
    /// Who designated.
    pub designated_by: Option<i64>,
    /// When (JST).
    pub designated_at: String,
    /// Until when, where the role has a term (JST).
    pub valid_until: Option<String>,
    /// Revoked (JST).
    pub revoked_at: Option<String>,
    /// By whom.
    pub revoked_by: Option<i64>,
    /// A note.
    pub note: String,
    /// In force now.
    pub in_force: bool,
    /// The document that designates (NIS-10.3's 届出).
    pub document_ref: Option<String>,
}

impl DesignationView {
    fn of(st: &AppState, d: &store::accounts::Designation, now: i64) -> Self {
        let role = st.profile.role(&d.role);
        DesignationView {
            id: d.id,
            account_id: d.account_id,
            role: d.role.clone(),
            role_name_ja: role.map(|r| r.name_ja.clone()),
            role_name_en: role.map(|r| r.name_en.clone()),
            designated_by: d.designated_by,
            designated_at: jst(d.designated_at),
            valid_until: jst_opt(d.valid_until),
            revoked_at: jst_opt(d.revoked_at),
            revoked_by: d.revoked_by,
            note: d.note.clone(),
            in_force: d.in_force(now),
            document_ref: d.document_ref.clone(),
        }
    }
}

/// Whether `p` may designate (or revoke) holders of `role`: one of the role's `designated_by`
/// roles, or — for posts held by office (no designating role) — the account administrator.
fn may_designate(
    st: &AppState,
    p: &Principal,
    role: &policy::profile::RoleDef,
) -> Result<String, ApiError> {
    let profile = &st.profile;
    if role.designated_by.is_empty() {
        return p.role_with(profile, Permission::AccountsAdminister).cloned().ok_or_else(|| {
            ApiError::forbidden(
                &role.rule,
                Msg::new("post_by_administrator").with("role", &role.name_ja),
            )
        });
    }
    p.roles
        .iter()
        .find(|r| role.designated_by.contains(r) && profile.allows(r, Permission::RolesDesignate))
        .cloned()
        .ok_or_else(|| {
            ApiError::forbidden(
                &role.rule,
                Msg::new("designated_by")
                    .with("role", &role.name_ja)
                    .with("by", profile.role_names(&role.designated_by)),
            )
        })
}

/// [`policy::Profile::check_designation_scope`] for the caller and a target organisation.
fn check_designation_scope(
    st: &AppState,
    p: &Principal,
    role: &policy::profile::RoleDef,
    target_org: i64,
) -> ApiResult<()> {
    let Some(kind) = p.org_kind else {
        return Err(ApiError::forbidden(
            &st.profile.ownership.rule,
            Msg::new("no_such_organisation_plain"),
        ));
    };
    let admin = p.role_with(&st.profile, Permission::AccountsAdminister).is_some();
    Ok(st.profile.check_designation_scope(
        role,
        p.account.organisation_id,
        kind,
        admin,
        target_org,
    )?)
}

/// `POST /api/v1/designations`.
pub async fn designate(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<DesignationBody>,
) -> ApiResult<Json<DesignationView>> {
    let profile = st.profile.clone();
    let now = st.clock.now_ms();
    let role = profile
        .role(&b.role)
        .ok_or_else(|| ApiError::invalid("role", Msg::new("not_a_role").with("role", &b.role)))?;
    let acting = may_designate(&st, &p, role)?;
    let target = st.db.account(b.account_id).await?.filter(|a| a.disabled_at.is_none());
    let target =
        target.ok_or_else(|| ApiError::invalid("account_id", Msg::new("no_active_account")))?;
    let org = st
        .db
        .organisation(target.organisation_id)
        .await?
        .ok_or_else(|| ApiError::invalid("account_id", Msg::new("account_without_org")))?;
    let kind_ok = role.organisations.iter().any(|k| {
        serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref()
            == Some(org.kind.as_str())
    });
    if !kind_ok {
        // rule: KIT-3 (city staff only), ASA-3.1 (取扱者 from the contractor) …
        return Err(ApiError::refused(
            &role.rule,
            Some("account_id"),
            Msg::new("role_org_kind").with("role", &role.name_ja),
        ));
    }
    // rule: PROD-SOD-2 — never oneself.
    policy::scope::sod::check_designation(p.account.id, target.id)?;
    // An organisation designates its own staff (KAW-2.2.2; ASA-3.5a, NIS-10.3 for police and
    // agency heads), across organisations only where the profile says so (issue 15).
    check_designation_scope(&st, &p, role, target.organisation_id)?;
    let valid_until = match &b.valid_until {
        Some(s) => Some(store::At::from(instant("valid_until", s)?)),
        None => None,
    };
    // rule: PROD-TERM-1 — a time-boxed role's term (policy decides).
    profile.check_designation_term(role, valid_until.map(|t| *t), store::ts(now))?;
    let document = profile.check_designation_document(role, b.document_ref.as_deref())?;
    let ch = st.change().await?;
    let d = ch
        .designate_with(
            &store::accounts::NewDesignation {
                account_id: target.id,
                role: &role.id,
                by: Some(p.account.id),
                valid_until,
                note: b.note.as_deref().unwrap_or(""),
                document_ref: document,
            },
            now,
        )
        .await?;
    let mut ev = p.event("designation.create", format!("designation:{}", d.id), Outcome::Ok);
    ev.role = Some(acting);
    ev.detail = json!({ "account": target.id, "role": role.id, "valid_until": valid_until.map(jst), "document_ref": document });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(DesignationView::of(&st, &d, st.clock.now_ms())))
}

/// `POST /api/v1/designations/{id}/revoke`.
pub async fn revoke_designation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    let d = st
        .db
        .designation(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_designation").with("id", id)))?;
    let role = st.profile.role(&d.role).ok_or_else(|| ApiError::conflict(Msg::new("role_gone")))?;
    may_designate(&st, &p, role)?;
    let holder = st.db.account(d.account_id).await?;
    match holder {
        Some(h) => check_designation_scope(&st, &p, role, h.organisation_id)
            .map_err(|_| ApiError::not_found(Msg::new("no_such_designation").with("id", id)))?,
        None => return Err(ApiError::not_found(Msg::new("no_such_designation").with("id", id))),
    }
    let ch = st.change().await?;
    ch.revoke_designation(id, p.account.id, st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("designation.revoke", format!("designation:{id}"), Outcome::Ok))
        .await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// A camera's stream address (issue 16, M7): `rtsp://` or `rtsps://` to a host, with no
/// credentials anywhere in it — not as user and password, not in the query — since they are
/// configured on the recorder and never shown.
fn check_stream_url(u: &str, networks: &[ipnet::IpNet]) -> ApiResult<()> {
    check_camera_url(u, "rtsp_url", (&["rtsp", "rtsps"], "rtsp_scheme"), networks)
}

/// A camera's ONVIF Media2 service (issue 24, item 2): `http(s)://` to a host on the camera
/// networks, without credentials (the camera's own, sealed to its node, are used).
fn check_onvif_url(u: &str, networks: &[ipnet::IpNet]) -> ApiResult<()> {
    check_camera_url(u, "onvif_url", (&["http", "https"], "onvif_scheme"), networks)
}

/// An address of a camera's, given in `field`: one of `schemes` (else `scheme_key`), a host, no
/// credentials, within the operator's camera networks.
fn check_camera_url(
    u: &str,
    field: &str,
    (schemes, scheme_key): (&[&str], &'static str),
    networks: &[ipnet::IpNet],
) -> ApiResult<()> {
    let bad = |key: &'static str| ApiError::invalid(field, Msg::new(key));
    let url = url::Url::parse(u.trim()).map_err(|_| bad("rtsp_not_url"))?;
    if !schemes.contains(&url.scheme()) {
        return Err(bad(scheme_key));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("rtsp_host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("rtsp_credentials"));
    }
    const SECRET: [&str; 8] =
        ["password", "passwd", "pwd", "pass", "user", "username", "token", "auth"];
    if url.query_pairs().any(|(k, _)| SECRET.contains(&k.to_ascii_lowercase().as_str())) {
        return Err(bad("rtsp_credentials_query"));
    }
    // The operator's camera networks: an address outside them is refused here; a host name is
    // checked by the recorder each time it connects.
    // (rtsp is not a "special" scheme to the URL standard: an IPv4 address arrives as a name.)
    let ip = match url.host() {
        Some(url::Host::Ipv4(a)) => Some(std::net::IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => Some(std::net::IpAddr::V6(a)),
        Some(url::Host::Domain(d)) => d.parse::<std::net::IpAddr>().ok(),
        None => None,
    };
    if let Some(ip) = ip
        && !networks.is_empty()
        && !networks.iter().any(|n| n.contains(&ip))
    {
        return Err(bad("rtsp_network"));
    }
    Ok(())
}

/// A camera within the caller's scope (issue 15): another organisation's camera answers as if it
/// did not exist.
pub async fn own_camera(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> ApiResult<store::registry::Camera> {
    st.db
        .camera(id)
        .await?
        .filter(|c| p.governs(c.owner_org_id))
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_camera").with("code", id)))
}

/// A site within the caller's scope (issue 15), else 404.
async fn own_site(st: &AppState, p: &Principal, id: i64) -> ApiResult<store::registry::Site> {
    st.db
        .site(id)
        .await?
        .filter(|s| p.governs(s.owner_org_id))
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_site").with("id", id)))
}

/// Whether the caller sees every registry entry (police, agencies and offices: to name cameras
/// in a request) or only its own organisation's (an owner).
fn lists_all(p: &Principal) -> bool {
    !matches!(p.scope, policy::scope::Scope::Own(_))
}

/// `GET /api/v1/sites`: an owner's staff see their own sites; others see all.
pub async fn list_sites(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<SiteView>>> {
    let sites = st.db.sites().await?;
    Ok(Json(
        sites
            .iter()
            .filter(|s| lists_all(&p) || p.governs(s.owner_org_id))
            .map(SiteView::of)
            .collect(),
    ))
}

/// A camera site and its sign (ASA-2.2, KIT-4.1, NIS-4.1), and where a street site's council
/// review is on record (SAK-M).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SiteView {
    /// Id.
    pub id: i64,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// The system it belongs to (the area).
    pub system: String,
    /// Why a camera is here.
    pub reason: String,
    /// What the sign says.
    pub signage_text: String,
    /// The sign last checked (JST).
    pub signage_checked_at: Option<String>,
    /// Registered (JST).
    pub created_at: String,
    /// By whom.
    pub created_by: Option<i64>,
    /// The organisation that owns it.
    pub owner_org_id: Option<i64>,
    /// `public_facility` or `street`.
    pub placement: String,
    /// The council's review day, for a street site where the profile needs one.
    pub council_review_date: Option<String>,
    /// The review's minutes.
    pub council_review_minutes: String,
}

impl SiteView {
    fn of(s: &store::registry::Site) -> Self {
        SiteView {
            id: s.id,
            code: s.code.clone(),
            name: s.name.clone(),
            address: s.address.clone(),
            latitude: s.latitude,
            longitude: s.longitude,
            system: s.system.clone(),
            reason: s.reason.clone(),
            signage_text: s.signage_text.clone(),
            signage_checked_at: jst_opt(s.signage_checked_at),
            created_at: jst(s.created_at),
            created_by: s.created_by,
            owner_org_id: s.owner_org_id,
            placement: s.placement.clone(),
            council_review_date: s.council_review_date.clone(),
            council_review_minutes: s.council_review_minutes.clone(),
        }
    }
}

/// Who owns a new site (issue 15): an owner registers its own sites; a registry office that
/// owns no camera (Saku's city) registers them for an owning organisation it names.
async fn site_owner(st: &AppState, p: &Principal, asked: Option<i64>) -> ApiResult<i64> {
    let rule = &st.profile.ownership.rule;
    match p.scope {
        policy::scope::Scope::Own(org) => match asked {
            Some(other) if other != org => {
                Err(ApiError::refused(rule, Some("owner_org_id"), Msg::new("own_sites_only")))
            }
            _ => Ok(org),
        },
        policy::scope::Scope::Office => {
            let id = asked.ok_or_else(|| {
                ApiError::invalid("owner_org_id", Msg::new("site_owner_required"))
            })?;
            let org = st.db.organisation(id).await?;
            let owns = org.as_ref().map(|o| o.kind);
            match owns {
                Some(kind) if st.profile.owns_cameras(kind) => Ok(id),
                _ => Err(ApiError::invalid("owner_org_id", Msg::new("not_a_camera_owner"))),
            }
        }
        policy::scope::Scope::Outside => {
            Err(ApiError::forbidden(rule, Msg::new("no_sites_to_register")))
        }
    }
}

/// `POST /api/v1/sites`.
pub async fn create_site(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<SiteBody>,
) -> ApiResult<Json<SiteView>> {
    required("code", &b.code)?;
    required("name", &b.name)?;
    // What the city's clauses ask every site to record, each citing its clause, all at once
    // (ASA-2.2, KIT-4.1, KIT-1, NIS-4.1; the sign: ASA-3.2b, KIT-4.2, KAW-2.2.1, NIS-4.2).
    let given = |v: Option<&str>| v.is_some_and(|x| !x.trim().is_empty());
    let missing = st.profile.missing_site_fields(|field| match field {
        "address" => given(Some(&b.address)),
        "coordinates" => b.latitude.is_some() && b.longitude.is_some(),
        "system" => given(b.system.as_deref()),
        "reason" => given(b.reason.as_deref()),
        "signage_text" => given(Some(&b.signage_text)),
        _ => true,
    });
    let mut missing = missing.into_iter().map(ApiError::from);
    if let Some(mut first) = missing.next() {
        for more in missing {
            first.0.errors.extend(more.0.errors);
        }
        return Err(first);
    }
    required("address", &b.address)?;
    // Signage is required by every seed, whether or not the profile names the clause.
    required("signage_text", &b.signage_text)?;
    // A street site only after the review the profile requires (SAK-M; policy decides).
    let review_date =
        match b.council_review_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => {
                Some(d.parse::<jiff::civil::Date>().map_err(|_| {
                    ApiError::invalid("council_review_date", Msg::new("date_format"))
                })?)
            }
            None => None,
        };
    let minutes = b.council_review_minutes.as_deref().unwrap_or("").trim();
    st.profile.check_site(b.placement.as_deref(), review_date.map(|d| (d, minutes)))?;
    if review_date.is_some_and(|d| d > policy::jst::date(st.clock.now())) {
        return Err(ApiError::invalid("council_review_date", Msg::new("review_future")));
    }
    let review_text = review_date.map(|d| d.to_string());
    let owner = site_owner(&st, &p, b.owner_org_id).await?;
    let ch = st.change().await?;
    let s = ch
        .create_site(
            &NewSite {
                code: b.code.trim(),
                name: b.name.trim(),
                address: b.address.trim(),
                latitude: b.latitude,
                longitude: b.longitude,
                system: b.system.as_deref().unwrap_or(""),
                reason: b.reason.as_deref().unwrap_or(""),
                signage_text: &b.signage_text,
                owner_org_id: owner,
                placement: b.placement.as_deref().map_or("", str::trim),
                council_review: review_text.as_deref().map(|d| (d, minutes)),
            },
            p.account.id,
            st.clock.now_ms(),
        )
        .await?;
    st.audit_in(&ch, p.event("site.create", format!("site:{}", s.id), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(SiteView::of(&s)))
}

/// `POST /api/v1/sites/{id}/signage-check`.
pub async fn check_signage(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    own_site(&st, &p, id).await?;
    let ch = st.change().await?;
    // The sign-check duty owed before this check is done by it (PROD-SIGNAGE-1).
    let key = format!("site:{id}");
    let site = crate::duties::subjects(&st, &ch, policy::duties::DutySubject::Site)
        .await?
        .into_iter()
        .find(|s| s.key == key);
    ch.check_signage(id, st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("site.signage_check", key, Outcome::Ok)).await?;
    if let Some(site) = site {
        crate::duties::fulfilled_by_action(
            &st,
            &ch,
            &p,
            policy::duties::DoneBy::SignageCheck,
            &site,
            None,
            "sign checked",
        )
        .await?;
    }
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// `GET /api/v1/registry`: what the registry page shows, in one answer (issue 23, item 6) —
/// each part exactly as its own endpoint gives it to the caller, by the same functions.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Registry {
    /// The sites (`GET /api/v1/sites`).
    pub sites: Vec<SiteView>,
    /// The cameras (`GET /api/v1/cameras`).
    pub cameras: Vec<CameraView>,
    /// Their recording state (`GET /api/v1/recorder/status`); none where no recorder is set up.
    pub recording: Option<super::holds::RecorderStatus>,
    /// The recorder nodes a camera may be given to (`GET /api/v1/nodes`), for those who keep the
    /// registry or operate the recorders; none for everyone else.
    pub nodes: Option<super::fleet::Nodes>,
}

/// `GET /api/v1/registry`.
pub async fn registry(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Registry>> {
    let Json(sites) = list_sites(State(st.clone()), Extension(p.clone())).await?;
    let Json(cameras) = list_cameras(State(st.clone()), Extension(p.clone())).await?;
    let recording = super::holds::recording(&st, &p).await?;
    // The same permissions as `GET /api/v1/nodes` (its registry entry).
    let keeps_nodes = [Permission::RegistryManage, Permission::RecorderOperate]
        .into_iter()
        .any(|x| p.role_with(&st.profile, x).is_some());
    let nodes = match keeps_nodes {
        true => Some(super::fleet::list(State(st.clone()), Extension(p)).await?.0),
        false => None,
    };
    Ok(Json(Registry { sites, cameras, recording, nodes }))
}

/// `GET /api/v1/cameras`.
pub async fn list_cameras(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<CameraView>>> {
    let keeper = p.role_with(&st.profile, Permission::RegistryManage).is_some();
    // Where the cameras hold the footage (NIS-2): each one's latest check, for its keepers.
    let checks = match st.profile.camera_footage_band() {
        Some(_) if keeper => st.db.latest_footage_checks().await?,
        _ => Vec::new(),
    };
    let cams = st
        .db
        .cameras()
        .await?
        .into_iter()
        .filter(|c| lists_all(&p) || p.governs(c.owner_org_id))
        .map(|c| {
            // Where a camera's stream is fetched from is for those who keep its registry entry.
            let hide = !(keeper && p.governs(c.owner_org_id));
            let mut v = CameraView::of(&c);
            if hide {
                v.rtsp_url = None;
                v.onvif_url = None;
            } else if let Some(k) = checks.iter().find(|k| k.camera_id == c.id) {
                v.footage_check = Some(LatestFootageCheck {
                    oldest_day: k.oldest_day.clone(),
                    checked_on: k.checked_on.clone(),
                    age_days: k.age_days,
                    verdict: k.verdict.clone(),
                });
            }
            v
        })
        .collect();
    Ok(Json(cams))
}

/// A camera in the registry. Where its stream is fetched from is shown only to those who keep
/// its registry entry; its stream credentials never.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CameraView {
    /// Id.
    pub id: i64,
    /// Its code (`cam1`).
    pub code: String,
    /// Its site.
    pub site_id: i64,
    /// Its name.
    pub name: String,
    /// Installed (`YYYY-MM-DD`).
    pub install_date: String,
    /// The recorder node that records it.
    pub recorder: String,
    /// Its stream (RTSP), for its keepers.
    pub rtsp_url: Option<String>,
    /// Its ONVIF service, for its keepers.
    pub onvif_url: Option<String>,
    /// Public space in the picture, per mille (KAW-2.1.3).
    pub public_share_permille: Option<i64>,
    /// Why the exemption minimum applies.
    pub coverage_exemption: String,
    /// How local consensus was formed.
    pub consensus_note: String,
    /// The owner's permission.
    pub owner_permission: String,
    /// Mounted against removal (ASA-3.2d).
    pub anti_removal: bool,
    /// Masks at the camera itself.
    pub masks_native: bool,
    /// Its own retention in days.
    pub retention_days: Option<i64>,
    /// Or in months.
    pub retention_months: Option<i64>,
    /// In operation, or taken out for good.
    #[schema(value_type = String)]
    pub status: store::registry::CameraStatus,
    /// Taken out of operation.
    pub decommissioned: bool,
    /// Registered, not yet put into operation: its aim and masks are checked on a still
    /// (ALL-REC-2).
    pub awaiting_commission: bool,
    /// Put into operation (JST).
    pub commissioned_at: Option<String>,
    /// Taken out (JST).
    pub decommissioned_at: Option<String>,
    /// Registered (JST).
    pub created_at: String,
    /// By whom.
    pub created_by: Option<i64>,
    /// Why it was taken out.
    pub decommission_reason: String,
    /// Taken out before the minimum period (KAW-2.1.3).
    pub decommissioned_early: bool,
    /// The organisation that owns it.
    pub owner_org_id: Option<i64>,
    /// The node its credentials are sealed to.
    pub credentials_node: Option<String>,
    /// Its own overwrite cycle, where it holds the footage (NIS-2).
    pub overwrite_cycle_days: Option<i64>,
    /// The latest check of the footage it holds, for its keepers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footage_check: Option<LatestFootageCheck>,
}

/// The latest check of a camera's own footage.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LatestFootageCheck {
    /// The recording day of the oldest footage found.
    pub oldest_day: String,
    /// The day of the check.
    pub checked_on: String,
    /// Its age in days.
    pub age_days: i64,
    /// `within`, `too_young` or `too_old`.
    pub verdict: String,
}

impl CameraView {
    fn of(c: &store::registry::Camera) -> Self {
        CameraView {
            id: c.id,
            code: c.code.clone(),
            site_id: c.site_id,
            name: c.name.clone(),
            install_date: c.install_date.clone(),
            recorder: c.recorder.clone(),
            rtsp_url: Some(c.rtsp_url.clone()),
            onvif_url: c.onvif_url.clone(),
            public_share_permille: c.public_share_permille,
            coverage_exemption: c.coverage_exemption.clone(),
            consensus_note: c.consensus_note.clone(),
            owner_permission: c.owner_permission.clone(),
            anti_removal: *c.anti_removal,
            masks_native: *c.masks_native,
            retention_days: c.retention_days,
            retention_months: c.retention_months,
            status: c.status,
            decommissioned: c.status == store::registry::CameraStatus::Decommissioned,
            awaiting_commission: c.status != store::registry::CameraStatus::Decommissioned
                && c.commissioned_at.is_none(),
            commissioned_at: jst_opt(c.commissioned_at),
            decommissioned_at: jst_opt(c.decommissioned_at),
            created_at: jst(c.created_at),
            created_by: c.created_by,
            decommission_reason: c.decommission_reason.clone(),
            decommissioned_early: *c.decommissioned_early,
            owner_org_id: c.owner_org_id,
            credentials_node: c.credentials_node.clone(),
            overwrite_cycle_days: c.overwrite_cycle_days,
            footage_check: None,
        }
    }
}

/// A polygon from JSON points, checked (three points or more, inside the picture).
pub fn polygon(field: &str, points: &[Vec<f64>]) -> ApiResult<geometry::Polygon> {
    let mut pairs = Vec::new();
    for p in points {
        match p.as_slice() {
            [x, y] => pairs.push((*x, *y)),
            _ => return Err(ApiError::invalid(field, Msg::new("polygon_point"))),
        }
    }
    let poly = geometry::Polygon::from_pairs(&pairs);
    poly.validate().map_err(|e| {
        ApiError::invalid(
            field,
            match e {
                geometry::PolygonError::TooFewPoints(n) => {
                    Msg::new("polygon_too_few").with("count", n)
                }
                geometry::PolygonError::Outside => Msg::new("polygon_outside"),
            },
        )
    })?;
    Ok(poly)
}

/// The public share the rule measures: computed from the public-space polygon after the masks
/// when one is given, else as declared.
pub fn measured_share(
    declared: Option<i64>,
    public_area: Option<&Vec<Vec<f64>>>,
    masks: &[Vec<Vec<f64>>],
) -> ApiResult<Option<i64>> {
    let Some(area) = public_area else { return Ok(declared) };
    let public = polygon("public_area", area)?;
    let masks = masks
        .iter()
        .enumerate()
        .map(|(i, m)| polygon(&format!("masks[{i}]"), m))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Some(geometry::public_share_permille(&public, &masks)))
}

/// Checks a public share (per mille) against the profile's coverage rule (KAW-2.1.3, decided
/// in `policy::coverage`); `field` is the input that carried it.
pub fn check_share(
    profile: &policy::Profile,
    share: Option<i64>,
    exemption: Option<&str>,
    field: &str,
) -> ApiResult<()> {
    if share.is_some_and(|s| !(0..=1000).contains(&s)) {
        return Err(ApiError::invalid(field, Msg::new("between").with("min", 0).with("max", 1000)));
    }
    Ok(profile.check_public_share(share, exemption, field)?)
}

/// Checks a camera's coverage against the profile's rule (KAW-2.1.3).
fn check_coverage(profile: &policy::Profile, b: &CameraBody) -> ApiResult<()> {
    let field = if b.public_area.is_some() { "public_area" } else { "public_share_permille" };
    if b.public_share_permille.is_some_and(|s| !(0..=1000).contains(&s)) {
        return Err(ApiError::invalid(field, Msg::new("between").with("min", 0).with("max", 1000)));
    }
    let cov = policy::coverage::Coverage {
        public_share_permille: b.public_share_permille,
        exemption: b.coverage_exemption.as_deref(),
        consensus_note: b.consensus_note.as_deref(),
    };
    Ok(profile.check_coverage(&cov, field)?)
}

/// `POST /api/v1/cameras`.
pub async fn create_camera(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(mut b): Body<CameraBody>,
) -> ApiResult<Json<CameraView>> {
    // A public-space polygon makes the share measured, after the masks (KAW-2.1.3).
    let masks = b.masks.clone().unwrap_or_default();
    b.public_share_permille =
        measured_share(b.public_share_permille, b.public_area.as_ref(), &masks)?;
    if b.mask_in_recorder && masks.is_empty() {
        return Err(ApiError::invalid("masks", Msg::new("masks_required")));
    }
    if b.mask_in_recorder && b.masks_native {
        return Err(ApiError::invalid("mask_in_recorder", Msg::new("masks_native")));
    }
    // rule: PROD-IDENT-1 — the code names directories on the recorder.
    policy::ident::check_camera_code(b.code.trim()).map_err(|why| {
        ApiError::invalid(
            "code",
            match why {
                policy::ident::CodeError::Empty => Msg::new("required"),
                policy::ident::CodeError::TooLong(max) => {
                    Msg::new("code_too_long").with("max", max)
                }
                policy::ident::CodeError::Characters => Msg::new("code_characters"),
                policy::ident::CodeError::Start => Msg::new("code_start"),
            },
        )
    })?;
    required("name", &b.name)?;
    if b.install_date.parse::<jiff::civil::Date>().is_err() {
        return Err(ApiError::invalid("install_date", Msg::new("date_format")));
    }
    // Cameras are registered at one's own organisation's sites (issue 15).
    let Ok(site) = own_site(&st, &p, b.site_id).await else {
        return Err(ApiError::invalid("site_id", Msg::new("no_such_site_plain")));
    };
    // A camera is recorded by a node of its own organisation (issue 21): a group's camera is not
    // handed to the city's recorder, nor the city's to a group's.
    if let Some(name) = b.recorder.as_deref().map(str::trim).filter(|n| !n.is_empty())
        && let Some(node) = st.db.recorder_nodes().await?.into_iter().find(|n| n.name == name)
        && site.owner_org_id.is_some_and(|o| o != node.organisation_id)
    {
        return Err(policy::workflow::Refusal::new(
            &st.profile.ownership.rule,
            format!("recorder node {name} belongs to another organisation"),
        )
        .key("node_other_org")
        .with("node", name)
        .at("recorder")
        .into());
    }
    if let Some(u) = b.rtsp_url.as_deref().filter(|u| !u.trim().is_empty()) {
        check_stream_url(u, &st.camera_networks())?;
    }
    let onvif_url = b.onvif_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    if let Some(u) = onvif_url {
        check_onvif_url(u, &st.camera_networks())?;
    }
    check_coverage(&st.profile, &b)?;
    retention_setting(
        &st.profile,
        ("retention_days", b.retention_days),
        ("retention_months", b.retention_months),
    )?;
    // The camera, its first masks and both audit entries commit together.
    let ch = st.change().await?;
    let c = ch
        .create_camera(
            &NewCamera {
                code: b.code.trim(),
                site_id: b.site_id,
                name: b.name.trim(),
                install_date: &b.install_date,
                recorder: b.recorder.as_deref().unwrap_or(""),
                rtsp_url: b.rtsp_url.as_deref().unwrap_or(""),
                onvif_url,
                public_share_permille: b.public_share_permille,
                coverage_exemption: b.coverage_exemption.as_deref().unwrap_or(""),
                consensus_note: b.consensus_note.as_deref().unwrap_or(""),
                owner_permission: b.owner_permission.as_deref().unwrap_or(""),
                anti_removal: b.anti_removal,
                masks_native: b.masks_native,
                retention_days: b.retention_days.map(i64::from),
                retention_months: b.retention_months.map(i64::from),
            },
            p.account.id,
            st.clock.now_ms(),
        )
        .await?;
    st.audit_in(&ch, p.event("camera.create", format!("camera:{}", c.code), Outcome::Ok)).await?;
    if !masks.is_empty() {
        let area = b.public_area.as_ref().map(|a| json!(a).to_string());
        let m = ch
            .set_camera_masks(
                c.id,
                &json!(masks).to_string(),
                area.as_deref(),
                b.public_share_permille,
                b.mask_in_recorder,
                "設置時の設定 / at installation",
                p.account.id,
                st.clock.now_ms(),
            )
            .await?;
        let mut ev = p.event("mask.change", format!("camera:{}", c.code), Outcome::Ok);
        ev.rule = Some(st.profile.recording.masks_rule.to_string());
        ev.detail = json!({ "version": m.version, "polygons": masks.len(), "in_recorder": b.mask_in_recorder });
        st.audit_in(&ch, ev).await?;
    }
    ch.commit().await?;
    Ok(Json(CameraView::of(&c)))
}

/// A version of a camera's privacy masks (PROD-MASK-1).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MasksView {
    /// Its version (1, 2, …).
    pub version: i64,
    /// The polygons, `[[[x, y], …], …]` in the picture's unit square.
    pub polygons: Vec<Vec<Vec<f64>>>,
    /// The public-space polygon, where one was drawn.
    pub public_area: Option<Vec<Vec<f64>>>,
    /// Public space after the masks, per mille.
    pub public_share_permille: Option<i64>,
    /// Burnt in by the recorder (else the camera masks).
    pub in_recorder: bool,
    /// Why this version.
    pub reason: String,
    /// By whom.
    pub created_by: i64,
    /// When (JST).
    pub created_at: String,
    /// After a change: whether the recorder was told at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_to_recorder: Option<bool>,
}

fn masks_view(m: &store::registry::CameraMasks) -> MasksView {
    MasksView {
        version: m.version,
        polygons: serde_json::from_str(&m.polygons).unwrap_or_default(),
        public_area: m.public_area.as_deref().and_then(|a| serde_json::from_str(a).ok()),
        public_share_permille: m.public_share_permille,
        in_recorder: *m.in_recorder,
        reason: m.reason.clone(),
        created_by: m.created_by,
        created_at: jst(m.created_at),
        sent_to_recorder: None,
    }
}

/// `GET /api/v1/cameras/{id}/masks`: every version of a camera's masks, newest first.
pub async fn list_masks(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Vec<MasksView>>> {
    own_camera(&st, &p, id).await?;
    Ok(Json(st.db.camera_masks(id).await?.iter().map(masks_view).collect()))
}

/// `POST /api/v1/cameras/{id}/masks`: a new version of the masks, by the manager, with a
/// reason; the public share is measured again and the coverage rule applied (ASA-2.1,
/// KAW-2.1.3). The recorder applies it from the next keyframe.
pub async fn set_masks(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<MasksBody>,
) -> ApiResult<Json<MasksView>> {
    required("reason", &b.reason)?;
    let cam = own_camera(&st, &p, id).await?;
    for (i, m) in b.polygons.iter().enumerate() {
        polygon(&format!("polygons[{i}]"), m)?;
    }
    let share = measured_share(cam.public_share_permille, b.public_area.as_ref(), &b.polygons)?;
    let exemption = b.coverage_exemption.as_deref().or(Some(cam.coverage_exemption.as_str()));
    check_share(&st.profile, share, exemption, "public_area")?;
    let area = b.public_area.as_ref().map(|a| json!(a).to_string());
    let ch = st.change().await?;
    let m = ch
        .set_camera_masks(
            id,
            &json!(b.polygons).to_string(),
            area.as_deref(),
            share,
            b.in_recorder,
            b.reason.trim(),
            p.account.id,
            st.clock.now_ms(),
        )
        .await?;
    let mut ev = p.event("mask.change", format!("camera:{}", cam.code), Outcome::Ok);
    ev.rule = Some(st.profile.recording.masks_rule.to_string());
    ev.detail = json!({ "version": m.version, "polygons": b.polygons.len(), "public_share_permille": share, "reason": b.reason.trim() });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    // Once the version is on record, the running recorder burns it in from the next keyframe
    // (the recorder writes the change into its own index and audit log).
    let polygons = crate::nodes::mask_polygons(&m);
    let applied =
        tell_recorder(&st, &cam.code, "masks", |n| n.set_masks(&cam.code, m.version, polygons))
            .await;
    let mut out = masks_view(&m);
    out.sent_to_recorder = Some(applied);
    Ok(Json(out))
}

/// Tells the recorder node that records `camera` of a change already on record (`send`);
/// whether it took it. A camera no node records now, or a node that fails, is not an error:
/// the node reads the registry's value when it starts (a remote one also in its next
/// assignment); a failure is logged.
async fn tell_recorder(
    st: &AppState,
    camera: &str,
    what: &str,
    send: impl FnOnce(&dyn node::Node) -> node::NodeFuture<()>,
) -> bool {
    let Some(node) = st.node_for(camera) else { return false };
    match send(&*node).await {
        Ok(()) => true,
        Err(node::NodeError::NotRecorded(_)) => false,
        Err(e) => {
            tracing::error!(camera, what, error = %e, "a change not sent to the recorder");
            false
        }
    }
}

/// The answer of `POST /api/v1/cameras/{id}/onvif`.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CameraOnvif {
    /// Camera code.
    pub camera: String,
    /// Where its masks will be applied.
    pub masks_at: MasksAt,
    /// Whether the recorder recording it took the change (from its next keyframe); false when
    /// no recorder records it now — one that starts later reads it from the registry.
    pub sent_to_recorder: bool,
}

/// Where a camera's masks are to be applied, as its keeper configured it (PROD-MASK-1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MasksAt {
    /// Set at the source over ONVIF, checked in its pictures.
    Camera,
    /// Burned in by the recorder.
    Recorder,
}

/// `POST /api/v1/cameras/{id}/onvif`: the camera's ONVIF service address changes (issue 24),
/// checked as at registration; the node recording it switches at the camera's next keyframe
/// (setting its masks there, or burning them in when cleared) without restarting it — a remote
/// node also finds it in its next assignment. Audited with
/// the reason; the address itself stays out of the trail, hidden as the stream address is.
pub async fn set_camera_onvif(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<CameraOnvifBody>,
) -> ApiResult<Json<CameraOnvif>> {
    // rule: PROD-MASK-1 — where a camera's masks are applied is the keeper's decision, recorded.
    let cam = own_camera(&st, &p, id).await?;
    if cam.status == store::registry::CameraStatus::Decommissioned {
        return Err(ApiError::conflict(Msg::new("camera_decommissioned").with("code", &cam.code)));
    }
    required("reason", &b.reason)?;
    let url = b.onvif_url.trim();
    let url = (!url.is_empty()).then_some(url);
    if let Some(u) = url {
        check_onvif_url(u, &st.camera_networks())?;
    }
    let ch = st.change().await?;
    ch.set_camera_onvif(id, url).await?;
    let action = if url.is_some() { "camera.onvif_set" } else { "camera.onvif_clear" };
    let mut ev = p.event(action, format!("camera:{}", cam.code), Outcome::Ok);
    ev.rule = Some(st.profile.recording.masks_rule.to_string());
    ev.detail = json!({ "recorder": cam.recorder, "reason": b.reason.trim(), "had_onvif": cam.onvif_url.is_some() });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    // On record: the recorder recording it switches at its next keyframe, without a restart.
    let onvif = url.map(str::to_owned);
    let sent =
        tell_recorder(&st, &cam.code, "mask source", |n| n.set_masks_source(&cam.code, onvif))
            .await;
    Ok(Json(CameraOnvif {
        camera: cam.code,
        masks_at: if url.is_some() { MasksAt::Camera } else { MasksAt::Recorder },
        sent_to_recorder: sent,
    }))
}

/// `POST /api/v1/cameras/{id}/stream-credentials`: the user and password the camera asks
/// for, sealed at once to the key of the recorder node that records it (issue 21, item 2): the
/// store keeps only the sealed box, which no central process can open; the node receives it
/// with the camera's assignment and opens it when it connects. Both empty removes them.
pub async fn set_stream_credentials(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<StreamCredentialsBody>,
) -> ApiResult<Json<StreamCredentials>> {
    let cam = own_camera(&st, &p, id).await?;
    let clear = b.username.is_empty() && b.password.is_empty();
    let recorder = cam.recorder.trim().to_owned();
    let sealed = if clear {
        None
    } else {
        required("username", &b.username)?;
        required("password", &b.password)?;
        if recorder.is_empty() {
            return Err(ApiError::invalid("recorder", Msg::new("credentials_need_node")));
        }
        // A recorder node on another machine, enrolled here: the recorder in this process takes
        // its cameras (and their credentials) from its own configuration, not the registry.
        let Some(node) = st.remote_nodes().into_iter().find(|n| node::Node::id(&**n) == recorder)
        else {
            return Err(ApiError::conflict(Msg::new("node_not_enrolled").with("node", &recorder)));
        };
        let key = node::Node::sealing_key(&*node).await?;
        let creds = node::sealed::StreamCredentials {
            username: b.username.clone(),
            password: b.password.clone(),
        };
        let sealed = node::sealed::seal(&key, &creds).map_err(|e| {
            tracing::error!(node = %recorder, error = %e, "credentials not sealed");
            ApiError::unavailable(
                Msg::new("node_seal_failed").with("node", &recorder).with("error", e),
            )
        })?;
        Some(sealed)
    };
    let ch = st.change().await?;
    ch.set_camera_credentials(id, sealed.as_deref().map(|s| (s, recorder.as_str()))).await?;
    let action = if clear { "camera.credentials_clear" } else { "camera.credentials_set" };
    let mut ev = p.event(action, format!("camera:{}", cam.code), Outcome::Ok);
    // Who and for which node; never the user name or the password.
    ev.detail = json!({ "node": recorder });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(StreamCredentials {
        camera: cam.code,
        credentials_node: (!clear).then_some(recorder),
        has_credentials: !clear,
    }))
}

/// A camera's stream credentials, as far as they are told: whether it has some and the node
/// they are sealed to (never the credentials).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StreamCredentials {
    /// The camera's code.
    pub camera: String,
    /// The recorder node that alone can open them.
    pub credentials_node: Option<String>,
    /// Whether it has credentials now.
    pub has_credentials: bool,
}

/// `GET /api/v1/workstations`.
pub async fn list_workstations(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<WorkstationView>>> {
    let mut all = st.db.workstations().await?;
    all.retain(|w| p.keeps(&st.profile, Some(w.organisation_id)));
    Ok(Json(all.iter().map(WorkstationView::of).collect()))
}

/// A dedicated PC (ASA-3.3a, NIS-3.3): where it is kept and whether it is enrolled.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WorkstationView {
    /// Id.
    pub id: i64,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Where it is placed (`city_office`, `lent_police`…: profile ids).
    pub placement: String,
    /// The organisation that keeps it.
    pub organisation_id: i64,
    /// How it is stored (the profile's storage rule).
    pub storage: String,
    /// Enrolled (JST).
    pub enrolled_at: Option<String>,
    /// Its custody last checked (JST).
    pub last_custody_check_at: Option<String>,
    /// Revoked, lost or stolen (JST).
    pub revoked_at: Option<String>,
    /// Why.
    pub revoked_reason: String,
    /// Registered (JST).
    pub created_at: String,
    /// By whom.
    pub created_by: Option<i64>,
}

impl WorkstationView {
    fn of(w: &store::registry::Workstation) -> Self {
        WorkstationView {
            id: w.id,
            code: w.code.clone(),
            name: w.name.clone(),
            placement: w.placement.clone(),
            organisation_id: w.organisation_id,
            storage: w.storage.clone(),
            enrolled_at: jst_opt(w.enrolled_at),
            last_custody_check_at: jst_opt(w.last_custody_check_at),
            revoked_at: jst_opt(w.revoked_at),
            revoked_reason: w.revoked_reason.clone(),
            created_at: jst(w.created_at),
            created_by: w.created_by,
        }
    }
}

/// A workstation the caller keeps (issue 15), else 404 as if it did not exist.
async fn kept_workstation(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> ApiResult<store::registry::Workstation> {
    st.db
        .workstation(id)
        .await?
        .filter(|w| p.keeps(&st.profile, Some(w.organisation_id)))
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_workstation").with("id", id)))
}

/// `POST /api/v1/workstations`.
pub async fn create_workstation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<WorkstationBody>,
) -> ApiResult<Json<WorkstationView>> {
    required("code", &b.code)?;
    required("name", &b.name)?;
    // ASA-3.2f, NIS-3.3.2, KAW-2.2.6エ: kept in a lockable cabinet or other recorded place.
    if b.storage.trim().is_empty()
        && let Some(rule) = st.profile.workstation_storage_rule()
    {
        return Err(policy::workflow::Refusal::new(
            rule,
            "record where the PC is kept (a lockable cabinet or other secure place)",
        )
        .key("required")
        .at("storage")
        .into());
    }
    required("storage", &b.storage)?;
    let org = st.db.organisation(b.organisation_id).await?.ok_or_else(|| {
        ApiError::invalid("organisation_id", Msg::new("no_such_organisation_plain"))
    })?;
    if !p.keeps(&st.profile, Some(org.id)) {
        return Err(policy::workflow::Refusal::new(
            &st.profile.ownership.rule,
            "an organisation registers its own dedicated PCs only",
        )
        .at("organisation_id")
        .key("workstation_scope")
        .into());
    }
    // Where the profile lets this kind of organisation place a PC (ASA-3.2e, KIT-5.5, NIS-8…).
    st.profile.check_placement(&b.placement, org.kind)?;
    let ch = st.change().await?;
    let w = ch
        .create_workstation(
            b.code.trim(),
            b.name.trim(),
            &b.placement,
            org.id,
            b.storage.trim(),
            p.account.id,
            st.clock.now_ms(),
        )
        .await?;
    st.audit_in(&ch, p.event("workstation.create", format!("workstation:{}", w.code), Outcome::Ok))
        .await?;
    ch.commit().await?;
    Ok(Json(WorkstationView::of(&w)))
}

/// `POST /api/v1/workstations/{id}/enrol`: issues the device token (shown once) and sets it as
/// a cookie for the browser on that PC.
pub async fn enrol_workstation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<WithCookie<DeviceToken>> {
    let w = kept_workstation(&st, &p, id).await?;
    let token = auth::new_token()?;
    let ch = st.change().await?;
    ch.enrol_workstation(id, &auth::token_hash(&token), st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("workstation.enrol", format!("workstation:{}", w.code), Outcome::Ok))
        .await?;
    ch.commit().await?;
    let cookie = Some(workstation_cookie(&st, &token));
    Ok(WithCookie { cookie, body: DeviceToken { workstation: w.code, device_token: token } })
}

/// A PC's device token, issued (shown once; not `Debug`).
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DeviceToken {
    /// The PC's code.
    pub workstation: String,
    /// Its device token.
    pub device_token: String,
}

/// A PC enrolled through its one-time link.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Enrolled {
    /// The PC's code.
    pub workstation: String,
    /// Its name.
    pub name: String,
}

/// How long an enrolment link stays usable.
const ENROL_LINK_MS: i64 = 24 * 3600 * 1000;

/// The cookie that carries a device token: HttpOnly, SameSite=Strict, Secure unless the server
/// runs without TLS for development, kept a year (a custody check re-enrols a PC sooner).
fn workstation_cookie(st: &AppState, token: &str) -> String {
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    format!(
        "{WORKSTATION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}"
    )
}

/// `POST /api/v1/workstations/{id}/enrol-link`: a one-time link that enrols the PC which opens
/// it (issue 16, L8). The link carries a code, not the device token: the code is redeemed once,
/// within 24 hours, and the token is made then and set as a cookie on that PC only.
pub async fn enrol_link(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<EnrolLink>> {
    let w = kept_workstation(&st, &p, id).await?;
    let code = auth::new_token()?;
    let expires = st.clock.now_ms() + ENROL_LINK_MS;
    let ch = st.change().await?;
    ch.set_enrol_code(id, &auth::token_hash(&code), expires).await?;
    let mut ev = p.event("workstation.enrol_link", format!("workstation:{}", w.code), Outcome::Ok);
    ev.detail = json!({ "expires_at": jst_ms(expires) });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(EnrolLink {
        workstation: w.code,
        href: format!("/enrol/{code}"),
        expires_at: jst_ms(expires),
    }))
}

/// A one-time enrolment link for a dedicated PC, to open on that PC.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EnrolLink {
    /// The PC's code.
    pub workstation: String,
    /// The link (one use).
    pub href: String,
    /// Until when it works (JST).
    pub expires_at: String,
}

/// `POST /api/v1/workstations/enrol`: redeems an enrolment link's code on the PC that opened
/// it — once, before it expires, for a workstation that is not revoked — and sets the new
/// device token as that PC's cookie. Public (the PC has no session yet), rate-limited per
/// address, every attempt audited.
pub async fn redeem_enrolment(
    State(st): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Body(b): Body<EnrolCodeBody>,
) -> ApiResult<WithCookie<Enrolled>> {
    let client = crate::limits::peer(&headers);
    let source = client.clone().unwrap_or_else(|| "unknown".into());
    if let Err(wait) = st.enrol_rate.check(&source, st.clock.now_ms()) {
        return Err(ApiError::too_many(wait, "enrol_rate_limited"));
    }
    let code = b.code.trim();
    let well_formed = code.len() == 64 && code.bytes().all(|c| c.is_ascii_hexdigit());
    let token = auth::new_token()?;
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let enrolled = if well_formed {
        ch.redeem_enrol_code(&auth::token_hash(code), &auth::token_hash(&token), now).await?
    } else {
        None
    };
    let Some(w) = enrolled else {
        drop(ch);
        let mut ev =
            audit::Event::new("anonymous", "workstation.enrol", "workstation:?", Outcome::Denied);
        ev.client = client;
        st.audit(ev).await?;
        return Err(ApiError::not_found(Msg::new("enrol_link_unknown")));
    };
    let mut ev = audit::Event::new(
        "device",
        "workstation.enrol",
        format!("workstation:{}", w.code),
        Outcome::Ok,
    );
    ev.client = client;
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let cookie = Some(workstation_cookie(&st, &token));
    Ok(WithCookie { cookie, body: Enrolled { workstation: w.code, name: w.name } })
}

/// `POST /api/v1/workstations/{id}/custody-check`.
pub async fn custody_check(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    kept_workstation(&st, &p, id).await?;
    let ch = st.change().await?;
    ch.custody_check(id, st.clock.now_ms()).await?;
    st.audit_in(
        &ch,
        p.event("workstation.custody_check", format!("workstation:{id}"), Outcome::Ok),
    )
    .await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// `POST /api/v1/workstations/{id}/revoke` (NIS-3.3.2: a lost or stolen PC).
pub async fn revoke_workstation(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<Done>> {
    required("reason", &b.reason)?;
    kept_workstation(&st, &p, id).await?;
    let ch = st.change().await?;
    ch.revoke_workstation(id, b.reason.trim(), st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("workstation.revoke", format!("workstation:{id}"), Outcome::Ok))
        .await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}

/// `GET /api/v1/contracts`.
pub async fn list_contracts(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<ContractView>>> {
    let mut all = st.db.contracts().await?;
    let mut mine = Vec::new();
    for c in all.drain(..) {
        if contract_kept(&st, &p, &c).await? {
            mine.push(ContractView::of(&c));
        }
    }
    Ok(Json(mine))
}

/// A contractor's contract and its clause checklist (ASA-3.7).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ContractView {
    /// Id.
    pub id: i64,
    /// The contractor.
    pub organisation_id: i64,
    /// Its title.
    pub title: String,
    /// What it covers.
    pub scope: String,
    /// The clause checklist: each clause, included or the reason it is left out.
    pub clauses: Vec<super::types::Clause>,
    /// From (JST).
    pub valid_from: String,
    /// Until (JST).
    pub valid_until: String,
    /// Who signed the checklist off.
    pub signed_off_by: Option<i64>,
    /// When (JST).
    pub signed_off_at: Option<String>,
    /// Recorded (JST).
    pub created_at: String,
    /// By whom.
    pub created_by: Option<i64>,
}

impl ContractView {
    fn of(c: &store::registry::Contract) -> Self {
        ContractView {
            id: c.id,
            organisation_id: c.organisation_id,
            title: c.title.clone(),
            scope: c.scope.clone(),
            clauses: serde_json::from_str(&c.clauses).unwrap_or_default(),
            valid_from: jst(c.valid_from),
            valid_until: jst(c.valid_until),
            signed_off_by: c.signed_off_by,
            signed_off_at: jst_opt(c.signed_off_at),
            created_at: jst(c.created_at),
            created_by: c.created_by,
        }
    }
}

/// Whether the caller keeps a contract: the organisation of whoever recorded it (issue 15).
async fn contract_kept(
    st: &AppState,
    p: &Principal,
    c: &store::registry::Contract,
) -> ApiResult<bool> {
    let maker_org = match c.created_by {
        Some(a) => st.db.account(a).await?.map(|a| a.organisation_id),
        None => None,
    };
    Ok(p.keeps(&st.profile, maker_org))
}

/// `POST /api/v1/contracts`: the ASA-3.7 checklist — all seven clauses, a reason for each left out.
pub async fn create_contract(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<ContractBody>,
) -> ApiResult<Json<ContractView>> {
    required("title", &b.title)?;
    required("scope", &b.scope)?;
    let org = st.db.organisation(b.organisation_id).await?.ok_or_else(|| {
        ApiError::invalid("organisation_id", Msg::new("no_such_organisation_plain"))
    })?;
    if org.kind != policy::profile::OrgKind::Contractor {
        return Err(ApiError::invalid("organisation_id", Msg::new("contract_with_contractor")));
    }
    let mut seen = [false; 7];
    for c in &b.clauses {
        let i = usize::from(c.clause)
            .checked_sub(1)
            .filter(|i| *i < 7)
            .ok_or_else(|| ApiError::invalid("clauses", Msg::new("clause_numbers")))?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(ApiError::invalid(
                "clauses",
                Msg::new("clause_twice").with("clause", c.clause),
            ));
        }
        if !c.included && c.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(ApiError::refused(
                &st.profile.accounts.contractor_gate_rule,
                Some("clauses"),
                Msg::new("clause_left_out").with("clause", c.clause),
            ));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(ApiError::refused(
            &st.profile.accounts.contractor_gate_rule,
            Some("clauses"),
            Msg::new("clause_missing").with("clause", missing + 1),
        ));
    }
    let from = instant("valid_from", &b.valid_from)?.as_millisecond();
    let until = instant("valid_until", &b.valid_until)?.as_millisecond();
    if until <= from {
        return Err(ApiError::invalid("valid_until", Msg::new("range_order")));
    }
    let clauses =
        serde_json::to_string(&b.clauses).map_err(|_| ApiError::internal("encoding clauses"))?;
    let ch = st.change().await?;
    let c = ch
        .create_contract(
            org.id,
            b.title.trim(),
            b.scope.trim(),
            &clauses,
            from,
            until,
            p.account.id,
            st.clock.now_ms(),
        )
        .await?;
    st.audit_in(&ch, p.event("contract.create", format!("contract:{}", c.id), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(ContractView::of(&c)))
}

/// `POST /api/v1/contracts/{id}/sign-off`.
pub async fn sign_off_contract(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Id(id): Id,
) -> ApiResult<Json<Done>> {
    let c = st
        .db
        .contract(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_contract").with("id", id)))?;
    if !contract_kept(&st, &p, &c).await? {
        return Err(ApiError::not_found(Msg::new("no_such_contract").with("id", id)));
    }
    let ch = st.change().await?;
    ch.sign_off_contract(id, p.account.id, st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("contract.sign_off", format!("contract:{id}"), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(Done::OK))
}
