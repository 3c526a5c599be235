//! Authentication and authorization.
//!
//! - Passwords: argon2id PHC strings.
//! - Sessions: a random 256-bit token in a `Secure; HttpOnly; SameSite=Strict` cookie (with a
//!   CSRF token required on every state-changing request), or as a bearer token for API
//!   clients. Only the token's BLAKE3 hash is stored.
//! - Registered workstations (専用パソコン) prove themselves with a device token given at
//!   enrolment (`mimamori_ws` cookie or `X-Mimamori-Workstation` header).
//! - Every route declares its [`Access`]; the [`authorize`] layer runs the gates in order and
//!   denies by default. Denials are audited.

use crate::error::{ApiError, Msg};
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use audit::{Event, Outcome};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use policy::Permission;
use policy::rule::cited;
use std::sync::Arc;
use store::accounts::Account;
use store::registry::Workstation;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "mimamori_session";
/// Workstation device cookie name.
pub const WORKSTATION_COOKIE: &str = "mimamori_ws";
/// Workstation device header name.
pub const WORKSTATION_HEADER: &str = "x-mimamori-workstation";
/// CSRF header name.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Cookie sessions last 8 hours.
pub const SESSION_MS: i64 = 8 * 3600 * 1000;
/// A browser (cookie) session left unused this long ends: a workstation left unattended does
/// not stay signed in for the rest of the 8 hours (ASVS 4.0 V3.3.2, level 2: 30 minutes).
/// Named API tokens (bearer) keep the expiry they were issued with.
pub const IDLE_MS: i64 = 30 * 60 * 1000;
/// A locked account stays locked 15 minutes.
pub const LOCK_MS: i64 = 15 * 60 * 1000;

/// Hashes a password with argon2id.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|_| ApiError::internal("drawing a salt"))?;
    let salt = SaltString::encode_b64(&raw).map_err(|_| ApiError::internal("encoding a salt"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| ApiError::internal("hashing a password"))
}

/// Checks a password against a stored hash (constant time in the hash comparison).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Password hashing runs here, at most this many at once, off the async workers (issue 16, L3):
/// a flood of logins waits its turn instead of slowing every other call.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// [`verify_password`] on a blocking thread, bounded.
pub async fn verify_password_blocking(password: &str, hash: &str) -> bool {
    let Ok(_permit) = HASHING.acquire().await else { return false };
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false)
}

/// [`hash_password`] on a blocking thread, bounded.
pub async fn hash_password_blocking(password: &str) -> Result<String, ApiError> {
    let _permit =
        HASHING.acquire().await.map_err(|_| ApiError::internal("waiting to hash a password"))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::internal("hashing a password"))?
}

/// A password for an unknown login is still checked against this, so timing does not reveal
/// which logins exist.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a real password, only for timing").unwrap_or_default())
}

/// Checks a new password's quality. rule: PROD-AUTH-3
pub fn check_new_password(login: &str, new: &str) -> Result<(), ApiError> {
    Ok(policy::password::check_new(login, new)?)
}

/// A fresh random token (hex, 256 bits).
pub fn new_token() -> Result<String, ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|_| ApiError::internal("drawing a random token"))?;
    Ok(hex::encode(b))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// How a route may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login, the OpenAPI document).
    Public,
    /// Any logged-in user, even before acknowledging the confidentiality duty or rotating an
    /// expired password (the pages that let them do so).
    SelfService,
    /// Any logged-in user who has passed every gate.
    Authenticated,
    /// Holders of this permission.
    Perm(Permission),
    /// Holders of any of these permissions.
    AnyOf(&'static [Permission]),
}

impl Access {
    /// The permissions that satisfy it (empty for the non-permission kinds).
    pub fn permissions(&self) -> Vec<Permission> {
        match self {
            Access::Perm(p) => vec![*p],
            Access::AnyOf(ps) => ps.to_vec(),
            _ => Vec::new(),
        }
    }
}

/// How the caller authenticated: the kind of session it presented.
pub use store::accounts::SessionKind as Via;

/// The authenticated caller, placed in request extensions by [`authorize`].
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account.
    pub account: Account,
    /// The account id as text (audit actor, policy segregation checks).
    pub uid: String,
    /// Its organisation's kind (none: the organisation is gone).
    pub org_kind: Option<policy::profile::OrgKind>,
    /// Which cameras its organisation governs (issue 15).
    pub scope: policy::scope::Scope,
    /// Roles held now.
    pub roles: Vec<String>,
    /// The role that granted this route's permission.
    pub acting_role: Option<String>,
    /// Session id.
    pub session_id: i64,
    /// CSRF token of a cookie session.
    pub csrf: String,
    /// How.
    pub via: Via,
    /// The registered workstation the request comes from, if any.
    pub workstation: Option<Workstation>,
    /// The client's network address (`x-mimamori-peer`, set by the accept loop), written into
    /// every audit entry of the call (ASVS V7.1.3).
    pub client: Option<String>,
}

impl Principal {
    /// The account id as the audit log and policy see it.
    pub fn id(&self) -> String {
        self.uid.clone()
    }

    /// The policy view of this caller.
    pub fn actor(&self) -> policy::workflow::Actor<'_> {
        policy::workflow::Actor { account: &self.uid, roles: &self.roles }
    }

    /// An audit event by this caller.
    pub fn event(&self, action: &str, object: impl Into<String>, outcome: Outcome) -> Event {
        let mut e = Event::new(self.id(), action, object, outcome);
        e.role = self.acting_role.clone().or_else(|| self.roles.first().cloned());
        e.workstation = self.workstation.as_ref().map(|w| w.code.clone());
        e.client = self.client.clone();
        e
    }

    /// The first of the caller's roles that holds `p`.
    pub fn role_with(&self, profile: &policy::Profile, p: Permission) -> Option<&String> {
        self.roles.iter().find(|r| profile.allows(r, p))
    }

    /// Whether something owned by `owner` is within this caller's organisation's scope.
    pub fn governs(&self, owner: Option<i64>) -> bool {
        self.scope.covers(owner)
    }

    /// Whether this person keeps the administrative records (workstations, contracts,
    /// complaints, the audit log) of organisation `org` (issue 15): the city's people every
    /// organisation's, others only their own (`policy::Profile::keeps_records_of`).
    pub fn keeps(&self, profile: &policy::Profile, org: Option<i64>) -> bool {
        self.org_kind
            .is_some_and(|k| profile.keeps_records_of(k, self.account.organisation_id, org))
    }
}

/// What [`authorize`] needs to know about a route.
#[derive(Clone)]
pub struct Guard {
    /// Shared state.
    pub state: Arc<AppState>,
    /// Who may reach it.
    pub access: Access,
    /// The audit action name.
    pub action: &'static str,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(headers);
    jar.get(name).map(|c| c.value().to_owned())
}

/// The session token of a request: `Authorization: Bearer …` or the session cookie.
pub fn credentials(headers: &HeaderMap) -> Option<(String, Via)> {
    if let Some(auth) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
    {
        return auth.strip_prefix("Bearer ").map(|t| (t.trim().to_owned(), Via::Bearer));
    }
    cookie(headers, SESSION_COOKIE).map(|t| (t, Via::Cookie))
}

fn workstation_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(WORKSTATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| cookie(headers, WORKSTATION_COOKIE))
}

/// Runs the gates for one request: credentials, CSRF, revoked workstation, contractor contract,
/// confidentiality acknowledgement, password rotation, permission. Audits every denial.
pub async fn authorize(State(guard): State<Guard>, mut req: Request, next: Next) -> Response {
    if guard.access == Access::Public {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let object = req.uri().path().to_owned();
    // The query names what was asked (a camera, a time, a filter); never a secret: the API takes
    // none in a URL.
    let query = req.uri().query().map(str::to_owned);
    let client = crate::limits::peer(req.headers());
    match gates(&guard, &method, req.headers()).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal.clone());
            let resp = crate::idempotent::run(&guard.state, principal.account.id, req, next).await;
            // Every refused or failed call is audited here, once, whatever refused it: the body
            // extractor, a rule, the store.
            if let Some(problem) = resp.extensions().get::<crate::error::Problem>() {
                let outcome = if problem.status == 403 { Outcome::Denied } else { Outcome::Failed };
                let mut ev = principal.event(guard.action, object, outcome);
                ev.rule = problem.rule.clone();
                ev.detail =
                    serde_json::json!({ "status": problem.status, "reason": problem.detail });
                if let Some(q) = &query {
                    ev.detail["query"] = serde_json::json!(q);
                }
                if let Err(err) = guard.state.audit.append_at(ev, guard.state.clock.now()).await {
                    tracing::error!(error = %err, "could not audit a failed call");
                }
            }
            resp
        }
        Err((e, actor)) => {
            let mut ev = Event::new(
                actor.clone().unwrap_or_else(|| "anonymous".into()),
                guard.action,
                object,
                Outcome::Denied,
            );
            ev.client = client;
            ev.rule = e.rule().map(str::to_owned);
            ev.detail = serde_json::json!({ "status": e.0.status, "reason": e.0.detail });
            if let Err(err) = guard.state.audit.append_at(ev, guard.state.clock.now()).await {
                tracing::error!(error = %err, "could not audit a denial");
            }
            e.into_response()
        }
    }
}

async fn gates(
    guard: &Guard,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Principal, (ApiError, Option<String>)> {
    let st = &guard.state;
    let now = st.clock.now_ms();
    let internal = |_| (ApiError::internal("checking the session"), None);
    let (token, via) =
        credentials(headers).ok_or((ApiError::unauthenticated(Msg::new("login_first")), None))?;
    let session = st
        .db
        .session_by_token(&token_hash(&token))
        .await
        .map_err(internal)?
        .filter(|s| s.revoked_at.is_none() && s.expires_at.ms() > now && s.kind == via)
        .ok_or((ApiError::unauthenticated(Msg::new("session_expired")), None))?;
    // The last use is recorded to the minute (below), so the idle limit holds to the minute.
    if session.kind == Via::Cookie && now - session.last_seen_at.ms() > IDLE_MS {
        return Err((
            ApiError::unauthenticated(Msg::new("session_idle")),
            Some(session.account_id.to_string()),
        ));
    }
    let account = st
        .db
        .account(session.account_id)
        .await
        .map_err(internal)?
        .filter(|a| a.disabled_at.is_none() && !*a.pending_activation)
        .ok_or((ApiError::unauthenticated(Msg::new("account_disabled")), None))?;
    let actor = Some(account.id.to_string());
    let deny = |e: ApiError| (e, actor.clone());
    if via == Via::Cookie && !matches!(*method, Method::GET | Method::HEAD) {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(session.csrf_token.as_str()) {
            return Err(deny(ApiError::forbidden(&cited::CSRF, Msg::new("csrf"))));
        }
    }
    let workstation = match workstation_token(headers) {
        None => None,
        Some(t) => {
            let ws = st.db.workstation_by_token(&token_hash(&t)).await.map_err(internal)?;
            match ws {
                Some(w) if w.revoked_at.is_some() => {
                    return Err(deny(ApiError::forbidden(
                        st.profile
                            .workflow
                            .workstation_rule
                            .as_ref()
                            .unwrap_or(&cited::WORKSTATION_REVOKED),
                        Msg::new("workstation_revoked")
                            .with("code", &w.code)
                            .with("reason", &w.revoked_reason),
                    )));
                }
                other => other,
            }
        }
    };
    let org = st.db.organisation(account.organisation_id).await.map_err(internal)?;
    let org_kind = org.map(|o| o.kind);
    let profile = &st.profile;
    if profile.needs_contract(org_kind)
        && !st.db.has_current_contract(account.organisation_id, now).await.map_err(internal)?
    {
        return Err(deny(ApiError::forbidden(
            &profile.accounts.contractor_gate_rule,
            Msg::new("no_contract"),
        )));
    }
    if guard.access != Access::SelfService {
        if account.confidentiality_ack_at.is_none() {
            let rule =
                profile.accounts.confidentiality_rules.first().unwrap_or(&cited::CONFIDENTIALITY);
            return Err(deny(ApiError::forbidden(rule, Msg::new("acknowledge_first"))));
        }
        if password_expired(profile, &account, now) {
            return Err(deny(ApiError::forbidden(
                &profile.accounts.password_rotation_rule,
                Msg::new("password_change_first"),
            )));
        }
    }
    let roles = st.db.active_roles(account.id, now).await.map_err(internal)?;
    let perms = guard.access.permissions();
    let acting_role = if perms.is_empty() {
        roles.first().cloned()
    } else {
        let found = roles.iter().find(|r| perms.iter().any(|p| profile.allows(r, *p))).cloned();
        if found.is_none() {
            let rule = profile.denial_rule(&roles, perms[0]);
            let names: Vec<_> = perms.iter().map(|p| p.key()).collect();
            return Err(deny(ApiError::forbidden(
                rule,
                Msg::new("no_role")
                    .with("roles", if roles.is_empty() { "none".into() } else { roles.join(", ") })
                    .with(
                        "role_names",
                        if roles.is_empty() {
                            "なし".into()
                        } else {
                            roles
                                .iter()
                                .map(|r| profile.role(r).map_or(r.as_str(), |d| &d.name_ja))
                                .collect::<Vec<_>>()
                                .join("、")
                        },
                    )
                    .with("permissions", names.join(" or ")),
            )));
        }
        found
    };
    if now - session.last_seen_at.ms() > 60_000 {
        let _ = st.db.touch_session(session.id, now).await;
    }
    let scope = org_kind
        .map_or(policy::scope::Scope::Outside, |k| profile.scope_of(account.organisation_id, k));
    Ok(Principal {
        uid: account.id.to_string(),
        account,
        org_kind,
        scope,
        roles,
        acting_role,
        session_id: session.id,
        csrf: session.csrf_token,
        via,
        workstation,
        client: crate::limits::peer(headers),
    })
}

/// Whether the account must change its password now (forced, or older than the profile's
/// rotation interval: ASA-3.2c, NIS-3.3.1).
pub fn password_expired(profile: &policy::Profile, account: &Account, now: i64) -> bool {
    // A directory account's password is the directory's: its rotation is the directory's too.
    if account.directory_dn.is_some() {
        return false;
    }
    *account.must_change_password
        || profile.password_expired(account.password_changed_at.0, store::ts(now))
}
