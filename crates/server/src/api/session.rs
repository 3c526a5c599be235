//! Login, logout, the caller's own account: password rotation, confidentiality acknowledgement,
//! TOTP, API tokens.

use super::Body;
use super::types::*;
use crate::auth::{self, Principal, SESSION_COOKIE, SESSION_MS, Via};
use crate::error::{ApiError, ApiResult, Check, Msg};
use crate::state::AppState;
use audit::{Event, Outcome};
use axum::Extension;
use axum::Json;
use axum::extract::State;
use policy::rule::cited;
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use totp_rs::{Algorithm, Secret, TOTP};
use utoipa::ToSchema;

fn totp_for(secret_b32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_owned()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).ok()
}

/// The TOTP of an account, from its sealed seed (none when it has none, or when the seed does
/// not open — logged, and then no code is accepted).
fn account_totp(st: &AppState, a: &store::accounts::Account) -> Option<TOTP> {
    sealed_totp(st, a.id, a.totp_secret.as_deref()?)
}

/// The TOTP of a sealed seed of account `id`.
fn sealed_totp(st: &AppState, id: i64, sealed: &str) -> Option<TOTP> {
    match st.seed_key.open(id, sealed) {
        Ok(seed) => totp_for(&seed),
        Err(e) => {
            tracing::error!(account = id, error = %e, "a TOTP seed does not open");
            None
        }
    }
}

/// The time step (30 s) a TOTP code belongs to, within one step either side of `now_ms`.
fn totp_step(t: &TOTP, code: &str, now_ms: i64) -> Option<i64> {
    let now = u64::try_from(now_ms / 1000).ok()?;
    let step = now / 30;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| t.generate(s * 30) == code)
        .and_then(|s| i64::try_from(s).ok())
}

/// How many recovery codes a set holds.
const RECOVERY_CODES: usize = 10;

/// Ten fresh recovery codes: 24 base32 characters (120 bits, above ASVS V2.6.2's 112) each,
/// written as six groups of four.
fn new_recovery_codes() -> ApiResult<Vec<String>> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut raw = [0u8; 15];
            getrandom::fill(&mut raw).map_err(|_| ApiError::internal("drawing a recovery code"))?;
            let Secret::Encoded(b32) = Secret::Raw(raw.to_vec()).to_encoded() else {
                return Err(ApiError::internal("encoding a recovery code"));
            };
            let groups: Vec<String> =
                b32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            Ok(groups.join("-"))
        })
        .collect()
}

/// A recovery code as typed (any case, dashes or spaces) in its canonical form, or `None` when
/// it cannot be one.
fn canonical_recovery_code(typed: &str) -> Option<String> {
    let c: String =
        typed.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
    (c.len() == 24 && c.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)))
        .then_some(c)
}

/// The stored form of an account's recovery code.
fn recovery_hash(account: i64, canonical: &str) -> String {
    blake3::hash(format!("mimamori recovery code:{account}:{canonical}").as_bytes())
        .to_hex()
        .to_string()
}

/// Stores a fresh set of recovery codes for `account` in `change`, and returns them (shown once).
async fn renew_recovery_codes(
    st: &AppState,
    change: &store::Db,
    account: i64,
) -> ApiResult<Vec<String>> {
    let codes = new_recovery_codes()?;
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|c| canonical_recovery_code(c))
        .map(|c| recovery_hash(account, &c))
        .collect();
    change.replace_recovery_codes(account, &hashes, st.clock.now_ms()).await?;
    Ok(codes)
}

/// Which second factor was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecondFactor {
    /// A current authenticator code (its time step is spent).
    Totp,
    /// One of the recovery codes (it is spent).
    RecoveryCode,
}

/// Checks the second factor `given` for an account with TOTP on: a current authenticator code,
/// accepted once per time step, or an unused recovery code, spent by this use.
async fn second_factor(
    st: &AppState,
    a: &store::accounts::Account,
    given: Option<&str>,
    now: i64,
) -> ApiResult<Option<SecondFactor>> {
    let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else { return Ok(None) };
    if let Some(code) = canonical_recovery_code(given) {
        let spent = st.db.use_recovery_code(a.id, &recovery_hash(a.id, &code), now).await?;
        return Ok(spent.then_some(SecondFactor::RecoveryCode));
    }
    let Some(t) = account_totp(st, a) else { return Ok(None) };
    Ok(match totp_step(&t, given, now) {
        Some(step) if st.db.use_totp_step(a.id, step).await? => Some(SecondFactor::Totp),
        _ => None,
    })
}

/// Re-authentication before a change to one's own sign-in — password, TOTP, API tokens (issue
/// 16, M4/M5): the current password, and the current code when TOTP is on. A wrong password
/// counts towards the lockout like a failed login.
async fn reauthenticate(
    st: &AppState,
    p: &Principal,
    password: &str,
    code: Option<&str>,
) -> ApiResult<()> {
    let now = st.clock.now_ms();
    let a = &p.account;
    let lock_after = i64::from(st.profile.accounts.lockout_after_failures);
    let refused = |field: &str, key: &'static str| ApiError::invalid(field, Msg::new(key));
    if st.db.claim_login_attempt(a.id, now, lock_after, auth::LOCK_MS).await?.is_none() {
        return Err(refused("current_password", "password_attempts"));
    }
    let password_ok = match (&a.directory_dn, st.directory()) {
        (None, _) => auth::verify_password_blocking(password, &a.password_hash).await,
        // A directory account proves itself to the directory, as the same entry.
        (Some(dn), Some(dir)) => match dir.authenticate(&a.login, password).await {
            Ok(Some(user)) => user.dn.eq_ignore_ascii_case(dn),
            Ok(None) => false,
            Err(_) => return Err(ApiError::unavailable(Msg::new("directory_unreachable"))),
        },
        (Some(_), None) => false,
    };
    if !password_ok {
        return Err(refused("current_password", "password_wrong"));
    }
    if *a.totp_enabled && second_factor(st, a, code, now).await?.is_none() {
        return Err(refused("totp", "totp_needed"));
    }
    st.db.record_login_success(a.id).await?;
    Ok(())
}

fn session_cookie(st: &AppState, token: &str, max_age_s: i64) -> String {
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    )
}

/// Who I am and what my pages need to know (`GET /api/v1/me`).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct MeView {
    /// Account id.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Name.
    pub display_name: String,
    /// My organisation.
    pub organisation: Option<super::admin::OrganisationView>,
    /// My roles in force, with their permissions.
    pub roles: Vec<MyRole>,
    /// How this session authenticated (`cookie` or `bearer`).
    #[schema(value_type = String)]
    pub via: crate::auth::Via,
    /// The CSRF token of a cookie session.
    pub csrf_token: Option<String>,
    /// The confidentiality duty is still to acknowledge.
    pub must_acknowledge: bool,
    /// The password has expired.
    pub must_change_password: bool,
    /// Changed (JST).
    pub password_changed_at: String,
    /// To change by (JST).
    pub password_due_at: String,
    /// Signs in with a one-time code too.
    pub totp_enabled: bool,
    /// Recovery codes left, with TOTP.
    pub recovery_codes_left: Option<i64>,
    /// The registered PC this session comes from.
    pub workstation: Option<MyWorkstation>,
    /// The confidentiality duty, as the profile states it.
    pub confidentiality: Confidentiality,
    /// The profile's id.
    pub profile: String,
    /// The city whose system this is, as its pages name it (issue 19, item 8).
    pub city: Names,
    /// The profile has an emergency path.
    pub emergency_path: bool,
    /// The central room whose entries are recorded here (KIT-5.5).
    pub central_room: Option<Names>,
    /// I keep every organisation's records (the city's people; issue 15).
    pub keeps_all: bool,
    /// The duties page concerns me: I do a recurring duty, or review lapses.
    pub has_duties: bool,
    /// The server's time (JST).
    pub now: String,
    /// How many tasks wait for me.
    pub task_count: usize,
}

/// A role I hold.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct MyRole {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name_ja: Option<String>,
    /// Its English name.
    pub name_en: Option<String>,
    /// What it lets me do (`request.submit`…).
    pub permissions: Option<Vec<String>>,
}

/// The PC a session comes from.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct MyWorkstation {
    /// Id.
    pub id: i64,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Where it is placed.
    pub placement: String,
}

/// A name in Japanese and English.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct Names {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

/// The confidentiality duty, as the profile states it.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct Confidentiality {
    /// In Japanese.
    pub ja: String,
    /// In English.
    pub en: String,
    /// The clauses that state it.
    pub rules: Vec<String>,
}

async fn me_view(st: &AppState, p: &Principal) -> ApiResult<MeView> {
    let now = st.clock.now_ms();
    let profile = &st.profile;
    let roles = p
        .roles
        .iter()
        .map(|r| {
            let def = profile.role(r);
            MyRole {
                id: r.clone(),
                name_ja: def.map(|d| d.name_ja.clone()),
                name_en: def.map(|d| d.name_en.clone()),
                permissions: def
                    .map(|d| d.permissions.iter().map(|x| x.key().to_owned()).collect()),
            }
        })
        .collect();
    let org = st.db.organisation(p.account.organisation_id).await?;
    let task_count = super::tasks::tasks_of(st, p).await?.len();
    let totp = *p.account.totp_enabled;
    Ok(MeView {
        id: p.account.id,
        login: p.account.login.clone(),
        display_name: p.account.display_name.clone(),
        organisation: org.as_ref().map(super::admin::OrganisationView::of),
        roles,
        via: p.via,
        csrf_token: if p.via == Via::Cookie { Some(p.csrf.clone()) } else { None },
        must_acknowledge: p.account.confidentiality_ack_at.is_none(),
        must_change_password: auth::password_expired(profile, &p.account, now),
        password_changed_at: jst(p.account.password_changed_at),
        password_due_at: jst_ms(
            profile.password_due_at(p.account.password_changed_at.0).as_millisecond(),
        ),
        totp_enabled: totp,
        recovery_codes_left: if totp {
            Some(st.db.recovery_codes_left(p.account.id).await?)
        } else {
            None
        },
        workstation: p.workstation.as_ref().map(|w| MyWorkstation {
            id: w.id,
            code: w.code.clone(),
            name: w.name.clone(),
            placement: w.placement.clone(),
        }),
        confidentiality: Confidentiality {
            ja: profile.accounts.confidentiality_ja.trim().to_owned(),
            en: profile.accounts.confidentiality_en.trim().to_owned(),
            rules: profile.accounts.confidentiality_rules.iter().map(ToString::to_string).collect(),
        },
        profile: profile.profile.id.clone(),
        city: Names { ja: profile.profile.name_ja.clone(), en: profile.profile.name_en.clone() },
        emergency_path: profile.emergency.is_some(),
        central_room: profile
            .central_room
            .as_ref()
            .map(|r| Names { ja: r.name_ja.clone(), en: r.name_en.clone() }),
        keeps_all: p.keeps(profile, None),
        has_duties: profile.duties.iter().any(|d| p.role_with(profile, d.performed_with).is_some())
            || p.role_with(profile, policy::Permission::ReconciliationReview).is_some(),
        now: jst_ms(now),
        task_count,
    })
}

/// `POST /api/v1/auth/login`.
pub async fn login(
    State(st): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Body(b): Body<LoginBody>,
) -> ApiResult<WithCookie<LoggedIn>> {
    let client = crate::limits::peer(&headers);
    let now = st.clock.now_ms();
    let profile = &st.profile;
    // An empty field is said as such, both at once; it tells nothing about any account.
    let mut check = Check::new();
    check.take(required("login", &b.login))?;
    if b.password.is_empty() {
        check.fail("password", Msg::new("required"));
    }
    check.finish()?;
    let bearer = match b.session.as_deref() {
        None | Some("cookie") => false,
        Some("bearer") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "session",
                Msg::new("session_kind").with("value", format!("{other:?}")),
            ));
        }
    };
    // One answer for every failure — unknown login, wrong password, wrong or missing code, a
    // locked or disabled account — and the same work for each (a password check), so an
    // answer tells a stranger nothing (issue 16, M3, L2). The audit log keeps the real reason.
    let wrong = || ApiError::unauthenticated(Msg::new("login_failed"));
    let anonymous = |reason: String| {
        let mut ev = Event::new("anonymous", "login", "account:?", Outcome::Denied);
        ev.client = client.clone();
        ev.detail = json!({ "reason": reason });
        ev
    };
    let directory = st.directory();
    let mut account = st.db.account_by_login(&b.login).await?;
    // A login that is no local account is the directory's to check (issue 22, item 2): the
    // account is made at the first login the directory vouches for.
    let mut vouched = None;
    if account.is_none()
        && let Some(dir) = &directory
    {
        match dir.authenticate(&b.login, &b.password).await {
            Err(e) => {
                st.audit(anonymous(e.to_string())).await?;
                return Err(ApiError::unavailable(Msg::new("directory_unreachable")));
            }
            Ok(None) => {
                st.audit(anonymous("unknown login, or the directory refused it".into())).await?;
                return Err(wrong());
            }
            Ok(Some(user)) => match crate::directory::provision(&st, dir, &b.login, &user).await? {
                Ok(a) => {
                    account = Some(a);
                    vouched = Some(user);
                }
                Err(reason) => {
                    st.audit(anonymous(reason)).await?;
                    return Err(wrong());
                }
            },
        }
    }
    let Some(account) = account else {
        auth::verify_password_blocking(&b.password, auth::dummy_hash()).await;
        st.audit(anonymous("unknown login".into())).await?;
        return Err(wrong());
    };
    let object = format!("account:{}", account.id);
    let deny = |reason: &str| {
        let mut ev = Event::new(account.id.to_string(), "login", object.clone(), Outcome::Denied);
        ev.client = client.clone();
        ev.detail = json!({ "reason": reason });
        ev
    };
    if account.disabled_at.is_some() {
        auth::verify_password_blocking(&b.password, auth::dummy_hash()).await;
        st.audit(deny("disabled")).await?;
        return Err(wrong());
    }
    // The attempt is counted before the password is checked, atomically: parallel guesses get
    // at most the profile's number of checks per lock, and a lock that has run out is not
    // renewed by one wrong try.
    let lock_after = i64::from(profile.accounts.lockout_after_failures);
    let Some(attempt) =
        st.db.claim_login_attempt(account.id, now, lock_after, auth::LOCK_MS).await?
    else {
        auth::verify_password_blocking(&b.password, auth::dummy_hash()).await;
        let mut ev = deny("locked");
        ev.rule = Some(profile.accounts.lockout_rule.to_string());
        st.audit(ev).await?;
        return Err(wrong());
    };
    let password_ok = match (&account.directory_dn, &directory, vouched) {
        (None, _, _) => auth::verify_password_blocking(&b.password, &account.password_hash).await,
        (Some(_), _, Some(_)) => true,
        (Some(_), None, None) => {
            st.audit(deny("a directory account, and no directory is configured")).await?;
            return Err(wrong());
        }
        (Some(_), Some(dir), None) => match dir.authenticate(&b.login, &b.password).await {
            Err(e) => {
                st.audit(deny(&e.to_string())).await?;
                return Err(ApiError::unavailable(Msg::new("directory_unreachable")));
            }
            Ok(None) => false,
            Ok(Some(user)) => match crate::directory::reconcile(&st, dir, &account, &user).await? {
                Ok(()) => true,
                Err(reason) => {
                    st.audit(deny(&reason)).await?;
                    return Err(wrong());
                }
            },
        },
    };
    // A TOTP code is accepted once (its time step is recorded), and only after the password; a
    // recovery code in its place is spent.
    let factor = if *account.totp_enabled && password_ok {
        second_factor(&st, &account, b.totp.as_deref(), now).await?
    } else {
        None
    };
    let totp_ok = !*account.totp_enabled || factor.is_some();
    if !password_ok || !totp_ok {
        let mut ev =
            deny(if password_ok { "wrong, missing or reused TOTP code" } else { "wrong password" });
        if attempt >= lock_after {
            ev.rule = Some(profile.accounts.lockout_rule.to_string());
            ev.detail["locked_for_minutes"] = json!(auth::LOCK_MS / 60_000);
        }
        st.audit(ev).await?;
        return Err(wrong());
    }
    // An outsider's account the city made signs in once a second administrator has activated
    // it (PROD-SOD-6). Said only to whoever knows the password.
    if *account.pending_activation {
        let mut ev = deny("awaiting activation by a second administrator");
        ev.rule = Some(cited::ACTIVATION.to_string());
        st.audit(ev).await?;
        return Err(ApiError::forbidden(&cited::ACTIVATION, Msg::new("account_pending")));
    }
    // A contractor's staff log in only under a current contract whose clause checklist the
    // manager signed off (ASA-3.7, PROD-CONTRACTOR-1); every call is gated the same way.
    let org = st.db.organisation(account.organisation_id).await?;
    if st.profile.needs_contract(org.map(|o| o.kind))
        && !st.db.has_current_contract(account.organisation_id, now).await?
    {
        st.audit(deny("no current signed-off contract")).await?;
        return Err(ApiError::forbidden(
            &st.profile.accounts.contractor_gate_rule,
            Msg::new("no_contract"),
        ));
    }
    let token = auth::new_token()?;
    let csrf = auth::new_token()?;
    let (kind, expires) =
        if bearer { (Via::Bearer, now + 30 * 86_400_000) } else { (Via::Cookie, now + SESSION_MS) };
    let expires = crate::directory::session_bound(&account, now, expires);
    let ch = st.change().await?;
    ch.record_login_success(account.id).await?;
    ch.create_session(&auth::token_hash(&token), account.id, kind, "login", &csrf, now, expires)
        .await?;
    let mut ev = Event::new(account.id.to_string(), "login", object, Outcome::Ok);
    ev.client = client.clone();
    ev.detail = json!({ "session": kind });
    if factor == Some(SecondFactor::RecoveryCode) {
        // Seen on the audit trail, and by the account holder on their account page.
        ev.detail["second_factor"] = json!("recovery_code");
        ev.detail["recovery_codes_left"] = json!(ch.recovery_codes_left(account.id).await?);
    }
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let roles = st.db.active_roles(account.id, now).await?;
    let body = LoggedIn {
        account_id: account.id,
        display_name: account.display_name.clone(),
        roles,
        token: bearer.then(|| token.clone()),
        csrf_token: (!bearer).then_some(csrf),
        expires_at: jst_ms(expires),
        must_acknowledge: account.confidentiality_ack_at.is_none(),
        must_change_password: auth::password_expired(profile, &account, now),
    };
    let cookie = (!bearer).then(|| session_cookie(&st, &token, SESSION_MS / 1000));
    Ok(WithCookie { cookie, body })
}

/// A session begun (not `Debug`: it carries the token).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct LoggedIn {
    /// The account.
    pub account_id: i64,
    /// Its name.
    pub display_name: String,
    /// The roles it holds now.
    pub roles: Vec<String>,
    /// A bearer session's token (shown once); none for a cookie session.
    pub token: Option<String>,
    /// A cookie session's CSRF token; none for a bearer session.
    pub csrf_token: Option<String>,
    /// When the session ends (JST).
    pub expires_at: String,
    /// The rules notice is still to be acknowledged (first login).
    pub must_acknowledge: bool,
    /// The password must be changed before anything else.
    pub must_change_password: bool,
}

/// `POST /api/v1/auth/logout`.
pub async fn logout(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<WithCookie<Done>> {
    let ch = st.change().await?;
    ch.revoke_session(p.session_id, st.clock.now_ms()).await?;
    st.audit_in(&ch, p.event("logout", format!("account:{}", p.account.id), Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(WithCookie { cookie: Some(session_cookie(&st, "", 0)), body: Done::OK })
}

/// `GET /api/v1/me`.
pub async fn me(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<MeView>> {
    Ok(Json(me_view(&st, &p).await?))
}

/// `POST /api/v1/me/password`.
pub async fn change_password(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<PasswordBody>,
) -> ApiResult<Json<PasswordChanged>> {
    let now = st.clock.now_ms();
    let object = format!("account:{}", p.account.id);
    if p.account.directory_dn.is_some() {
        return Err(ApiError::invalid("new_password", Msg::new("password_in_directory")));
    }
    reauthenticate(&st, &p, &b.current_password, b.totp.as_deref()).await?;
    auth::check_new_password(&p.account.login, &b.new_password)?;
    if b.new_password == b.current_password {
        return Err(ApiError::refused(
            p.profile_rotation_rule(&st),
            Some("new_password"),
            Msg::new("password_same"),
        ));
    }
    // Not one of the last N passwords either (the current one is N = 1): a rotation that
    // comes back to an old password is no change (ASVS V2.1; the profile's rotation rule).
    let keep = i64::from(st.profile.accounts.password_history.max(1)) - 1;
    for old in st.db.password_history(p.account.id, keep).await? {
        if auth::verify_password_blocking(&b.new_password, &old).await {
            return Err(ApiError::refused(
                p.profile_rotation_rule(&st),
                Some("new_password"),
                Msg::new("password_recent").with("count", keep + 1),
            ));
        }
    }
    let hash = auth::hash_password_blocking(&b.new_password).await?;
    let ch = st.change().await?;
    ch.push_password_history(p.account.id, &p.account.password_hash, now, keep).await?;
    ch.set_password(p.account.id, &hash, now, false).await?;
    // Other sessions end: a changed password must lock out whoever else had it.
    ch.revoke_sessions_of(p.account.id, now, Some(p.session_id)).await?;
    st.audit_in(&ch, p.event("me.password", object, Outcome::Ok)).await?;
    ch.commit().await?;
    Ok(Json(PasswordChanged { ok: true, password_changed_at: jst_ms(now) }))
}

impl Principal {
    fn profile_rotation_rule<'a>(&self, st: &'a AppState) -> &'a policy::RuleId {
        &st.profile.accounts.password_rotation_rule
    }
}

/// `POST /api/v1/me/acknowledge`.
pub async fn acknowledge(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Acknowledged>> {
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    ch.acknowledge_confidentiality(p.account.id, now).await?;
    let mut ev = p.event("me.acknowledge", format!("account:{}", p.account.id), Outcome::Ok);
    // The exact text acknowledged, by hash, so a later change of wording is visible.
    let text = format!(
        "{}\n{}",
        st.profile.accounts.confidentiality_ja.trim(),
        st.profile.accounts.confidentiality_en.trim()
    );
    ev.detail = json!({ "text_blake3": blake3::hash(text.as_bytes()).to_hex().to_string() });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(Acknowledged { ok: true, acknowledged_at: jst_ms(now) }))
}

/// `POST /api/v1/me/totp`: a new secret, pending until confirmed.
pub async fn totp_enrol(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<ReauthBody>,
) -> ApiResult<Json<TotpEnrolment>> {
    // A bare session cannot replace (or switch off) the second factor (issue 16, M4).
    reauthenticate(&st, &p, &b.password, b.totp.as_deref()).await?;
    let mut raw = [0u8; 20];
    getrandom::fill(&mut raw).map_err(|_| ApiError::internal("drawing a TOTP secret"))?;
    let Secret::Encoded(secret) = Secret::Raw(raw.to_vec()).to_encoded() else {
        return Err(ApiError::internal("encoding a TOTP secret"));
    };
    let sealed = st
        .seed_key
        .seal(p.account.id, &secret)
        .map_err(|_| ApiError::internal("sealing a TOTP seed"))?;
    let ch = st.change().await?;
    if *p.account.totp_enabled {
        // A new authenticator: the current one stays in force until the new one is confirmed.
        ch.set_totp_pending(p.account.id, &sealed).await?;
    } else {
        ch.set_totp(p.account.id, Some(&sealed), false).await?;
    }
    st.audit_in(&ch, p.event("me.totp.enrol", format!("account:{}", p.account.id), Outcome::Ok))
        .await?;
    ch.commit().await?;
    let issuer = format!("mimamori {}", st.profile.profile.name_en);
    let url = format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
        pct(&issuer),
        pct(&p.account.login),
        pct(&issuer)
    );
    Ok(Json(TotpEnrolment { secret, otpauth_url: url }))
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `POST /api/v1/me/totp/confirm`.
pub async fn totp_confirm(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<CodeBody>,
) -> ApiResult<Json<TotpConfirmed>> {
    let now = st.clock.now_ms();
    // The seed being enrolled: a new authenticator's (TOTP on), or the first one's.
    let candidate = match (&p.account.totp_pending, *p.account.totp_enabled) {
        (Some(pending), _) => Some(pending.clone()),
        (None, false) => p.account.totp_secret.clone(),
        (None, true) => None,
    };
    let Some(sealed) = candidate else {
        return Err(ApiError::invalid("code", Msg::new("totp_start_first")));
    };
    let step =
        sealed_totp(&st, p.account.id, &sealed).and_then(|t| totp_step(&t, b.code.trim(), now));
    let ok = match step {
        Some(step) => st.db.use_totp_step(p.account.id, step).await?,
        None => false,
    };
    if !ok {
        st.audit(p.event("me.totp.confirm", format!("account:{}", p.account.id), Outcome::Denied))
            .await?;
        return Err(ApiError::invalid("code", Msg::new("totp_mismatch")));
    }
    let ch = st.change().await?;
    ch.set_totp(p.account.id, Some(&sealed), true).await?;
    // With the second factor on, a lost device must not lock its holder out: ten one-time
    // recovery codes, shown this once (ASVS V2.8).
    let codes = renew_recovery_codes(&st, &ch, p.account.id).await?;
    st.audit_in(&ch, p.event("me.totp.confirm", format!("account:{}", p.account.id), Outcome::Ok))
        .await?;
    ch.commit().await?;
    Ok(Json(TotpConfirmed { ok: true, totp_enabled: true, recovery_codes: codes }))
}

/// `POST /api/v1/me/recovery-codes`: a new set of recovery codes (the old set stops working),
/// after re-authentication; shown once.
pub async fn renew_recovery(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<ReauthBody>,
) -> ApiResult<Json<RecoveryCodes>> {
    if !*p.account.totp_enabled {
        return Err(ApiError::conflict(Msg::new("recovery_needs_totp")));
    }
    reauthenticate(&st, &p, &b.password, b.totp.as_deref()).await?;
    let ch = st.change().await?;
    let codes = renew_recovery_codes(&st, &ch, p.account.id).await?;
    st.audit_in(
        &ch,
        p.event("me.recovery_codes", format!("account:{}", p.account.id), Outcome::Ok),
    )
    .await?;
    ch.commit().await?;
    Ok(Json(RecoveryCodes { recovery_codes: codes }))
}

/// `POST /api/v1/me/tokens`: a bearer token for an API client, shown once.
pub async fn create_token(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Body(b): Body<TokenBody>,
) -> ApiResult<Json<ApiToken>> {
    required("name", &b.name)?;
    if !(1..=90).contains(&b.days) {
        return Err(ApiError::invalid("days", Msg::new("between").with("min", 1).with("max", 90)));
    }
    reauthenticate(&st, &p, &b.password, b.totp.as_deref()).await?;
    let now = st.clock.now_ms();
    let token = auth::new_token()?;
    let expires =
        crate::directory::session_bound(&p.account, now, now + i64::from(b.days) * 86_400_000);
    let ch = st.change().await?;
    let s = ch
        .create_session(
            &auth::token_hash(&token),
            p.account.id,
            Via::Bearer,
            &b.name,
            "",
            now,
            expires,
        )
        .await?;
    let mut ev = p.event("me.token", format!("session:{}", s.id), Outcome::Ok);
    ev.detail = json!({ "name": b.name, "expires_at": jst_ms(expires) });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    Ok(Json(ApiToken { id: s.id, token, expires_at: jst_ms(expires) }))
}

/// `GET /api/v1/profile`.
pub async fn profile(State(st): State<Arc<AppState>>) -> ApiResult<Json<ProfileView>> {
    Ok(Json(ProfileView(st.profile.clone())))
}

/// The regulation profile in force, as its TOML file states it (`policy::Profile`; the format is
/// the profile files' own, `crates/policy/profiles/*.toml`).
#[derive(Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ProfileView(pub Arc<policy::Profile>);

/// The profile's sections, as the OpenAPI document names them. Written here by hand because the
/// `policy` crate stays free of the API's documentation types; the OpenAPI test asks the
/// endpoint and fails on a section this list lacks.
const PROFILE_SECTIONS: [(&str, &str); 22] = [
    ("profile", "Identity and provenance"),
    ("calendar", "Closed days and office hours"),
    ("recording", "Continuity, no live view, masks, remote viewing"),
    ("retention", "Retention period, bounds and extensions"),
    ("accounts", "Password rotation, lockout, confidentiality"),
    ("roles", "The city's roles and their permissions"),
    ("purposes", "The purposes a use of footage may record"),
    ("forms", "Forms and documents"),
    ("bases", "Legal bases and the documents each requires"),
    ("workflow", "The ordinary footage workflow"),
    ("emergency", "The agencies' emergency path, where there is one"),
    ("report", "The public reporting duty"),
    ("complaints", "Complaint handling"),
    ("coverage", "The public share of each picture, where set"),
    ("ownership", "Which organisations own cameras"),
    ("workstations", "Where dedicated PCs may be placed"),
    ("disposal", "Disposal of media and recorders"),
    ("viewing", "Authorised viewing of recorded footage"),
    ("sites", "What a site's registration carries"),
    ("central_room", "The central room whose entries are recorded, where there is one"),
    ("recorder_sites", "The conditions of a recorder's site, where set"),
    ("duties", "Recurring duties"),
];

impl utoipa::PartialSchema for ProfileView {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut o = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("The regulation profile in force, as its TOML file states it"));
        for (key, about) in PROFILE_SECTIONS {
            o = o.property(key, ObjectBuilder::new().description(Some(about)));
        }
        o.into()
    }
}

impl ToSchema for ProfileView {}

/// `POST /api/v1/me/password`.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct PasswordChanged {
    /// Done.
    pub ok: bool,
    /// When (JST, RFC 3339).
    pub password_changed_at: String,
}

/// `POST /api/v1/me/acknowledge`: the confidentiality duty acknowledged.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct Acknowledged {
    /// Done.
    pub ok: bool,
    /// When (JST).
    pub acknowledged_at: String,
}

/// A TOTP secret to enrol (shown once; not `Debug`, so never logged).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret.
    pub secret: String,
    /// The `otpauth://` URL an authenticator app reads.
    pub otpauth_url: String,
}

/// TOTP confirmed, with the recovery codes (shown once).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct TotpConfirmed {
    /// Done.
    pub ok: bool,
    /// Always `true`.
    pub totp_enabled: bool,
    /// One-time recovery codes.
    pub recovery_codes: Vec<String>,
}

/// New recovery codes (shown once; the old ones no longer work).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct RecoveryCodes {
    /// One-time recovery codes.
    pub recovery_codes: Vec<String>,
}

/// A new API token (shown once).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct ApiToken {
    /// The session's id.
    pub id: i64,
    /// The bearer token.
    pub token: String,
    /// When it expires (JST).
    pub expires_at: String,
}
