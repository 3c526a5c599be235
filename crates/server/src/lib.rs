//! # server — mimamori's governance server
//!
//! The HTTP API (`/api/v1`, OpenAPI at `/api/openapi.json`) over the governance store: accounts
//! and sessions, role designations from the active regulation profile, the registries, the
//! footage workflows of each city, the emergency paths, reconciliation, holds, and the audit log.
//! Every rule is asked of the `policy` crate; every route declares who may reach it and is denied
//! to everyone else; every state change and every read of footage or personal data is audited.

pub mod api;
pub mod audit_watch;
pub mod auth;
pub mod bootstrap;
pub mod bundle;
pub mod clockwatch;
pub mod directory;
pub mod duties;
pub mod emblem;
pub use ::clock;
pub mod error;
pub mod fleet;
pub mod idempotent;
pub mod incidents;
pub mod limits;
pub mod metrics;
pub mod nodes;
pub mod packages;
pub mod report_facts;
pub mod secrets;
pub mod seed;
pub mod state;

use ::clock::Clock;
use audit::{CheckpointPolicy, Sealer};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use policy::Profile;
use state::AppState;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store::Db;
use store::audit_store::DbAuditStore;
use store::audit_writer::AuditWriter;

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database URL or SQLite path.
    pub db: String,
    /// The regulation profile.
    pub profile: Profile,
    /// The node's signing key file (created 0600 if missing).
    pub key_path: PathBuf,
    /// The clock.
    pub clock: Clock,
    /// Mark cookies `Secure`.
    pub secure_cookies: bool,
}

/// A built application: its state and router.
pub struct App {
    /// Shared state.
    pub state: Arc<AppState>,
    /// The router.
    pub router: Router,
}

/// Connects to the store, opens the audit log and builds the router.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let db = Db::connect(&config.db).await?;
    let key = audit::key::load_or_create(&config.key_path)?;
    let seed_key = secrets::SeedKey::derive(&key);
    seal_clear_totp_seeds(&db, &seed_key).await?;
    let audit_store = DbAuditStore::open(db.clone(), config.clock.now_ms()).await?;
    let audit =
        AuditWriter::start(db.clone(), audit_store, Sealer::new(key, CheckpointPolicy::default()));
    let state = Arc::new(AppState {
        db,
        profile: Arc::new(config.profile),
        audit: Arc::new(audit),
        clock: config.clock,
        secure_cookies: config.secure_cookies,
        node: std::sync::RwLock::new(None),
        fleet: std::sync::RwLock::new(Vec::new()),
        instance: {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("randomness: {e}"))?;
            format!("{}-{}", std::process::id(), hex::encode(b))
        },
        fleet_sent: std::sync::Mutex::new(std::collections::HashMap::new()),
        packages: std::sync::RwLock::new(packages::PackageStore::Local),
        fleet_dir: config
            .key_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join("nodes"),
        audit_watch: tokio::sync::Mutex::new(None),
        node_audit_findings: std::sync::RwLock::new(Vec::new()),
        // The public contact form: 10 submissions (accepted or not) per address and hour (M11).
        public_form_rate: limits::SourceRate::new(10, std::time::Duration::from_secs(3600)),
        enrol_rate: limits::SourceRate::new(20, std::time::Duration::from_secs(3600)),
        seed_key,
        camera_networks: std::sync::RwLock::new(Vec::new()),
        metrics: metrics::HttpMetrics::default(),
        metrics_token: std::sync::RwLock::new(None),
        directory: std::sync::RwLock::new(None),
        emblem: std::sync::RwLock::new(None),
        clock_standing: std::sync::Mutex::new(std::collections::HashMap::new()),
    });
    let router = api::router(state.clone())
        .route("/api/openapi.json", axum::routing::get(|| async { axum::Json(api::openapi()) }))
        .route("/metrics", axum::routing::get(metrics::scrape))
        .fallback(no_such_route)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(error::localize_problems))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(run_to_completion))
        .with_state(state.clone());
    Ok(App { state, router })
}

/// The answer to a path nothing serves: the API's problem (in the client's language), or — for a
/// browser asking for a page outside `/api/` — a small page in the language the user chose on
/// the web application (Japanese by default) that leads back home (issue 19, item 8).
async fn no_such_route(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let wants_page = !uri.path().starts_with("/api/")
        && headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if !wants_page {
        return error::ApiError::not_found(error::Msg::new("no_endpoint")).into_response();
    }
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(&headers);
    let lang = messages::Lang::parse(jar.get(messages::LANG_COOKIE).map(|c| c.value()));
    (axum::http::StatusCode::NOT_FOUND, axum::response::Html(messages::not_found_page(lang)))
        .into_response()
}

/// Seals the TOTP seeds an earlier version stored in clear (issue 16, M9), once, at start.
async fn seal_clear_totp_seeds(db: &Db, key: &secrets::SeedKey) -> anyhow::Result<()> {
    for a in db.accounts().await? {
        if let Some(seed) = a.totp_secret.as_deref().filter(|s| !secrets::SeedKey::is_sealed(s)) {
            let sealed = key.seal(a.id, seed)?;
            db.set_totp(a.id, Some(&sealed), *a.totp_enabled).await?;
            tracing::info!(account = a.id, "sealed a TOTP seed stored in clear");
        }
    }
    Ok(())
}

/// The response headers every answer carries (issue 16, L6): a strict Content-Security-Policy
/// (no inline script, no framing, forms only to this site), no MIME sniffing, no framing, the
/// referrer kept to this site, no camera, microphone or location for pages.
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderName, HeaderValue, header};
    const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
        img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
        form-action 'self'";
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    resp
}

/// Runs every API call on a task of its own, which the connection only waits for.
///
/// A client that goes away mid-call (a closed tab, a proxy's timeout, `curl -m 0.05`) drops the
/// connection's future; without this, a state change could commit and its audit entry never be
/// written, or the audit log's append be cut between the store and its in-memory head. Spawned,
/// a call that has started runs to its end — state change, audit entry, response — whoever is
/// still listening.
async fn run_to_completion(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::spawn(next.run(req)).await {
        Ok(resp) => resp,
        Err(err) => {
            tracing::error!(error = %err, "an API call panicked");
            error::ApiError::internal("handling the call").into_response()
        }
    }
}

/// Serves `app` on `addr` until `shutdown` resolves.
pub async fn serve(
    app: App,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(app, listener, shutdown).await
}

/// Serves `app` on a bound listener until `shutdown` resolves, then closes the store.
pub async fn serve_on(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(app, listener, limits::Limits::default(), shutdown).await
}

/// Serves `app` on a bound listener within `limits` (connections, trusted proxies) until
/// `shutdown` resolves, then closes the store.
pub async fn serve_with(
    app: App,
    listener: tokio::net::TcpListener,
    limits: limits::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    limits::serve_limited(app.router, listener, limits, shutdown).await?;
    stop_audit_watch(&app.state).await;
    app.state.db.close().await;
    Ok(())
}

/// Checks the audit log against every checkpoint kept outside it (halting it on a finding not
/// accepted), then starts signing and witnessing it every `watch.every` until the server stops
/// ([`audit_watch`]). Call after the recorder in this process, if any, is attached.
pub async fn start_audit_watch(
    state: &Arc<AppState>,
    watch: audit_watch::Watch,
    accept: Option<&str>,
) -> anyhow::Result<audit_watch::StartCheck> {
    let check = audit_watch::check_at_start(state, &watch, accept).await?;
    if check.may_append() {
        // Sign and witness what is there now, so the window starts at zero.
        if let Err(e) = audit_watch::checkpoint_and_witness(state, &watch).await {
            tracing::error!(error = %e, "could not sign or witness the audit log at start");
        }
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(audit_watch::run(state.clone(), watch, async move {
        let _ = stopped.await;
    }));
    let old = state.audit_watch.lock().await.replace(state::WatchTask { stop, task });
    if let Some(old) = old {
        let _ = old.stop.send(());
        let _ = old.task.await;
    }
    Ok(check)
}

/// Stops the audit watch: `audit.close`, signed and witnessed. Call before the recorder in
/// this process stops.
pub async fn stop_audit_watch(state: &AppState) {
    if let Some(w) = state.audit_watch.lock().await.take() {
        let _ = w.stop.send(());
        let _ = w.task.await;
    }
}
