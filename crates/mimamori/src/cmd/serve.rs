//! `mimamori serve`: the governance server, the recorder, or both in one process.

use super::load_profile;
use anyhow::Context;
use clap::{Args, ValueEnum};
use server::clock::Clock;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// What this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The governance server (HTTP API) only.
    Central,
    /// A recorder node only.
    Recorder,
    /// Both; cameras registered with a stream URL are recorded.
    All,
}

impl Role {
    /// The name used in flags and the configuration file.
    pub fn name(self) -> &'static str {
        match self {
            Role::Central => "central",
            Role::Recorder => "recorder",
            Role::All => "all",
        }
    }
}

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Options of `mimamori serve`. Each one may also be set in the configuration file
/// (`--config`, see `mimamori config example`); a flag wins over the file.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file (e.g. /etc/mimamori/mimamori.toml), checked as `mimamori config
    /// check` does; the server does not start on a problem.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to run [default: central].
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// Governance database: a SQLite file path or postgres://user@host/db, without a password
    /// (`MIMAMORI_DB_PASSWORD` or the configuration's `database.password_file` holds it)
    /// [default: mimamori-data/mimamori.db].
    #[arg(long)]
    pub db: Option<String>,
    /// Regulation profile: a seed name or a .toml path [default: asahikawa].
    #[arg(long)]
    pub profile: Option<String>,
    /// Address the HTTP API listens on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The node's signing key (created with mode 0600 if missing). Default: beside a SQLite
    /// database, else ./mimamori-data/node.key.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Do not mark cookies Secure (plain HTTP on a non-loopback address, for development only).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// The city's emblem (市章) for the pages' header: a PNG, JPEG or SVG file (overrides the
    /// configuration's `emblem`).
    #[arg(long, value_name = "FILE")]
    pub emblem: Option<PathBuf>,
    /// Recorder data directory (segments, node index, node audit log, status)
    /// [default: mimamori-data/recorder].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// A camera to record: CODE=rtsp://host/path (repeatable). Without credentials: the
    /// command line is visible to every user of the machine; give cameras with credentials in
    /// `--cameras-file` or `MIMAMORI_CAMERAS`.
    #[arg(long = "camera", value_name = "CODE=URL")]
    pub cameras: Vec<String>,
    /// Cameras to record, one `CODE=rtsp://[user:password@]host/path` per line (`#` comments).
    /// The file must be readable by its owner only (0600). The environment variable
    /// `MIMAMORI_CAMERAS` may hold the same lines. Credentials are taken out of the URL and
    /// never logged.
    #[arg(long, value_name = "FILE")]
    pub cameras_file: Option<PathBuf>,
    /// A network cameras may be in, as CIDR (repeatable; none: any). The registry refuses a
    /// camera addressed outside them and the recorder does not connect to one.
    #[arg(long = "camera-network", value_name = "CIDR")]
    pub camera_networks: Vec<ipnet::IpNet>,
    /// A reverse proxy whose X-Forwarded-For names the client, as CIDR (repeatable; loopback
    /// always is).
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Recorder node name [default: the name it enrolled under, else node1].
    #[arg(long)]
    pub node_id: Option<String>,
    /// Serve the node API to the governance centre on this address (role recorder; the node
    /// must have enrolled with `mimamori node enrol`): mutual TLS, the centre's certificate only.
    #[arg(long, value_name = "ADDR")]
    pub node_listen: Option<SocketAddr>,
    /// Stop (as on SIGTERM) when standard input closes: how `demo` ties the node processes it
    /// starts to its own life, so a demo that is killed leaves no recorder running.
    #[arg(long, hide = true)]
    pub until_stdin_closes: bool,
    /// Target segment length in seconds [default: 60].
    #[arg(long)]
    pub segment_secs: Option<u32>,
    /// Pause recording below this much free space (MiB) [default: 64].
    #[arg(long)]
    pub min_free_mib: Option<u64>,
    /// Log format [default: text].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Tests and demonstrations only (role recorder): the recorder's clock reads this instant
    /// (RFC 3339) at start and runs on in real time, so recording times and erasure follow it;
    /// the centre shows the difference as clock drift. Never in production.
    #[arg(long, value_name = "RFC3339", hide = true)]
    pub clock_start: Option<String>,
    /// Verify the governance audit log against every checkpoint kept outside it (the published
    /// file, the recorder's witness records) and exit: 0 verified, 1 tampered, 2 could not
    /// check. Nothing is written.
    #[arg(long)]
    pub verify_audit: bool,
    /// Start although the audit log failed verification, recording these findings as examined
    /// with this reason (after an investigation; later starts halt only on new findings).
    #[arg(long, value_name = "REASON")]
    pub accept_audit_findings: Option<String>,
}

/// What `serve` runs with: the flags over the configuration file over the defaults.
#[derive(Debug)]
pub struct Settings {
    role: Role,
    db: String,
    profile: String,
    listen: SocketAddr,
    key: PathBuf,
    secure_cookies: bool,
    data: PathBuf,
    cameras: Vec<recorder::config::CameraConfig>,
    camera_networks: Vec<ipnet::IpNet>,
    trusted_proxies: Vec<ipnet::IpNet>,
    node_id: String,
    node_listen: Option<SocketAddr>,
    segment_secs: u32,
    min_free_mib: u64,
    log_format: LogFormat,
    metrics_token: Option<String>,
    directory: Option<server::directory::DirectoryConfig>,
    tls: Option<Arc<rustls::ServerConfig>>,
    packages: Option<server::packages::S3Settings>,
    emblem: Option<server::emblem::Emblem>,
}

impl ServeArgs {
    /// Merges the flags, the configuration file and the defaults; reads the secrets from their
    /// files or the environment.
    fn settings(&self) -> anyhow::Result<Settings> {
        let file = read_config(self.config.as_deref())?;
        let db = database_url(self.db.as_deref(), &file)?;
        let metrics_token = match &file.metrics.token_file {
            Some(f) => Some(super::config::secret_file(f).map_err(anyhow::Error::msg)?),
            None => None,
        };
        let cameras_file = self.cameras_file.clone().or(file.node.cameras_file.clone());
        let cameras = configured_cameras(
            &self.cameras,
            cameras_file.as_deref(),
            std::env::var("MIMAMORI_CAMERAS").ok(),
        )?;
        let pick = |flag: &Vec<ipnet::IpNet>, file: &Vec<ipnet::IpNet>| {
            if flag.is_empty() { file.clone() } else { flag.clone() }
        };
        let key =
            self.key.clone().or(file.node.key.clone()).unwrap_or_else(|| default_key_path(&db));
        let data: PathBuf = self
            .data
            .clone()
            .or(file.node.data.clone())
            .unwrap_or_else(|| "mimamori-data/recorder".into());
        // An enrolled node is the name it enrolled under (its certificate's).
        let enrolled = nodelink::pki::NodeIdentity::in_data(&data).name();
        let node_id = self
            .node_id
            .clone()
            .or(file.node.id.clone())
            .or(enrolled.clone())
            .unwrap_or_else(|| "node1".into());
        if let Some(e) = enrolled
            && e != node_id
        {
            anyhow::bail!("this recorder enrolled as node {e}; --node-id {node_id} names another");
        }
        Ok(Settings {
            role: self.role.or(file.role).unwrap_or(Role::Central),
            profile: self
                .profile
                .clone()
                .or(file.profile.clone())
                .unwrap_or_else(|| "asahikawa".into()),
            listen: self.listen.or(file.listen).unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
            key,
            secure_cookies: !self.insecure_cookies && file.secure_cookies.unwrap_or(true),
            data,
            cameras,
            camera_networks: pick(&self.camera_networks, &file.node.camera_networks),
            trusted_proxies: pick(&self.trusted_proxies, &file.trusted_proxies),
            node_id,
            node_listen: self.node_listen.or(file.node.listen),
            segment_secs: self.segment_secs.or(file.node.segment_secs).unwrap_or(60),
            min_free_mib: self.min_free_mib.or(file.node.min_free_mib).unwrap_or(64),
            log_format: self.log_format.or(file.log.format).unwrap_or(LogFormat::Text),
            metrics_token,
            tls: match &file.tls {
                Some(t) => Some(
                    server::limits::tls_config(&t.cert_file, &t.key_file)
                        .map_err(anyhow::Error::msg)?,
                ),
                None => None,
            },
            emblem: match self.emblem.as_ref().or(file.emblem.as_ref()) {
                Some(f) => Some(server::emblem::Emblem::from_file(f).context("emblem")?),
                None => None,
            },
            packages: match &file.packages {
                Some(p) => Some(server::packages::S3Settings {
                    endpoint: p.s3_endpoint.clone(),
                    bucket: p.s3_bucket.clone(),
                    region: p.s3_region.clone(),
                    access_key_id: p.s3_access_key_id.clone(),
                    secret_access_key: super::config::secret_file(&p.s3_secret_access_key_file)
                        .map_err(anyhow::Error::msg)?,
                }),
                None => None,
            },
            directory: match file.directory.clone() {
                Some(mut d) => {
                    if let Some(f) = &d.bind_password_file {
                        d.bind_password =
                            Some(super::config::secret_file(f).map_err(anyhow::Error::msg)?);
                    }
                    Some(d)
                }
                None => None,
            },
            db,
        })
    }
}

/// The configuration file named by `--config`, checked (every problem printed, then an error),
/// or an empty one.
pub fn read_config(path: Option<&std::path::Path>) -> anyhow::Result<super::config::FileConfig> {
    let Some(path) = path else { return Ok(super::config::FileConfig::default()) };
    match super::config::load(path)? {
        Ok(c) => Ok(c),
        Err(problems) => {
            let name = path.display().to_string();
            for p in &problems {
                eprintln!("{}", p.render(&name));
            }
            anyhow::bail!("{name}: {} problem(s); nothing was done", problems.len());
        }
    }
}

/// The governance database's URL: `--db`, else the configuration's, else the default; the
/// PostgreSQL password added from `MIMAMORI_DB_PASSWORD` or `database.password_file` — never
/// from the command line, which every user of the machine can read.
pub fn database_url(
    flag: Option<&str>,
    file: &super::config::FileConfig,
) -> anyhow::Result<String> {
    if let Some(db) = flag
        && url::Url::parse(db).is_ok_and(|u| u.password().is_some())
    {
        anyhow::bail!(
            "--db: a password on the command line is visible to every user of this machine; use MIMAMORI_DB_PASSWORD or the configuration's database.password_file"
        );
    }
    let mut db = flag
        .map(str::to_owned)
        .or(file.database.url.clone())
        .unwrap_or_else(|| "mimamori-data/mimamori.db".into());
    let password = match (&file.database.password_file, std::env::var("MIMAMORI_DB_PASSWORD")) {
        (_, Ok(p)) if !p.is_empty() => Some(p),
        (Some(f), _) => Some(super::config::secret_file(f).map_err(anyhow::Error::msg)?),
        _ => None,
    };
    if let Some(pw) = password
        && db.starts_with("postgres")
    {
        let mut u = url::Url::parse(&db).context("the database URL")?;
        u.set_password(Some(&pw))
            .map_err(|()| anyhow::anyhow!("the database URL takes no password"))?;
        db = u.to_string();
    }
    Ok(db)
}

/// The cameras of `--camera`, `--cameras-file` and `MIMAMORI_CAMERAS` (issue 16, M9: camera
/// passwords never on the command line, which every user of the machine can read).
fn configured_cameras(
    args: &[String],
    file: Option<&std::path::Path>,
    env: Option<String>,
) -> anyhow::Result<Vec<recorder::config::CameraConfig>> {
    let mut out = Vec::new();
    for spec in args {
        let (code, url) = spec.split_once('=').context("--camera takes CODE=rtsp://host/path")?;
        if url::Url::parse(url).is_ok_and(|u| !u.username().is_empty() || u.password().is_some()) {
            anyhow::bail!(
                "camera {code}: credentials on the command line are visible to every user of this machine; put the camera in --cameras-file (mode 0600) or MIMAMORI_CAMERAS"
            );
        }
        out.push(parse_camera(spec)?);
    }
    let mut lines = Vec::new();
    if let Some(path) = file {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .with_context(|| format!("--cameras-file {}", path.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                anyhow::bail!(
                    "{} holds camera passwords and is readable by others (mode {:o}): chmod 600 it",
                    path.display(),
                    mode & 0o777
                );
            }
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--cameras-file {}", path.display()))?;
        lines.extend(text.lines().map(str::to_owned));
    }
    if let Some(text) = env {
        lines.extend(text.lines().flat_map(str::split_whitespace).map(str::to_owned));
    }
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        out.push(parse_camera(line)?);
    }
    Ok(out)
}

/// Parses `CODE=URL[;onvif=SERVICE]`, moving credentials out of the URL. `SERVICE` is the
/// camera's ONVIF Media2 address for a camera that masks at the source (issue 24): the recorder
/// sets its masks there and checks them in its pictures, with the camera's own credentials.
pub fn parse_camera(spec: &str) -> anyhow::Result<recorder::config::CameraConfig> {
    let (code, rest) = spec.split_once('=').context("--camera takes CODE=rtsp://host/path")?;
    let (url, onvif) = match rest.split_once(";onvif=") {
        Some((url, onvif)) => (url, Some(onvif)),
        None => (rest, None),
    };
    let mut cam = recorder::config::CameraConfig::from_url(code, url)?;
    if let Some(service) = onvif {
        recorder::config::check_onvif(code, service)?;
        cam.onvif = Some(service.to_owned());
    }
    Ok(cam)
}

impl ServeArgs {
    /// Runs until SIGTERM or Ctrl-C; a recorder seals every open segment before exiting.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let s = self.settings()?;
        init_tracing_as(s.log_format);
        let profile = load_profile(&s.profile)?;
        let key_path = s.key.clone();
        let mut cameras = s.cameras.clone();
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        if self.verify_audit {
            return rt.block_on(s.verify_audit_only(key_path));
        }
        let accept = self.accept_audit_findings.clone();
        let until_stdin_closes = self.until_stdin_closes;
        if self.clock_start.is_some() && !matches!(s.role, Role::Recorder) {
            anyhow::bail!("--clock-start is for a recorder node (--role recorder) only");
        }
        let recorder_clock = match &self.clock_start {
            Some(at) => {
                let at = policy::jst::parse_rfc3339(at)
                    .map_err(|e| anyhow::anyhow!("--clock-start {at}: {e}"))?;
                tracing::warn!(clock_start = %at, "the recorder runs on a clock set for a test, not the system clock");
                Clock::offset(at)
            }
            None => Clock::System,
        };
        rt.block_on(async move {
            let rec_config = |cams: Vec<recorder::config::CameraConfig>| {
                let mut c = recorder::config::RecorderConfig::new(&s.node_id, &s.data);
                c.key_path = key_path.clone();
                c.cameras = cams;
                c.segment_ms = i64::from(s.segment_secs.max(1)) * 1000;
                c.min_free_bytes = s.min_free_mib << 20;
                c.camera_networks = s.camera_networks.clone();
                c
            };
            match s.role {
                Role::Recorder => {
                    // The identity is checked before recording starts: a misconfigured node says so.
                    let api = match s.node_listen {
                        Some(addr) => {
                            let id = nodelink::pki::NodeIdentity::in_data(&s.data);
                            if !id.exists() {
                                anyhow::bail!("--node-listen: this recorder has not enrolled with a centre; run `mimamori node enrol --data {}` first", s.data.display());
                            }
                            let tls = id.server_config()?;
                            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("--node-listen {addr}"))?;
                            Some((listener, tls))
                        }
                        None => None,
                    };
                    // The cameras the centre last assigned (issue 21): recorded from the start,
                    // whether or not the centre can be reached now.
                    for a in recorder::local_node::assigned(&s.data)? {
                        if !cameras.iter().any(|c| c.code == a.camera) {
                            cameras.push(recorder::local_node::camera_config(&a, &s.data)?);
                        }
                    }
                    let rec = recorder::Recorder::start(rec_config(cameras), profile, recorder_clock).await?;
                    let served = api.map(|(listener, tls)| {
                        let node = Arc::new(recorder::LocalNode::new(rec.ctx.clone(), s.data.join("exports")));
                        tokio::spawn(nodelink::serve::serve_tls(listener, tls, node, std::future::pending()))
                    });
                    let to = s.node_listen.map(|a| format!(", node API on {a}")).unwrap_or_default();
                    println!("mimamori: recorder {} recording {} cameras into {}{to}", s.node_id, rec.cameras().len(), s.data.display());
                    match until_stdin_closes {
                        true => tokio::select! { _ = shutdown_signal() => {}, _ = stdin_closed() => {} },
                        false => shutdown_signal().await,
                    }
                    if let Some(t) = served {
                        t.abort();
                    }
                    rec.stop().await;
                    Ok(())
                }
                Role::Central | Role::All => {
                    super::ensure_db_dir(&s.db)?;
                    let app = server::build(server::Config {
                        db: s.db.clone(),
                        profile: profile.clone(),
                        key_path: key_path.clone(),
                        clock: Clock::System,
                        secure_cookies: s.secure_cookies,
                    })
                    .await?;
                    app.state.set_camera_networks(s.camera_networks.clone());
                    app.state.set_metrics_token(s.metrics_token.clone());
                    app.state.set_emblem(s.emblem.clone());
                    if let Some(p) = &s.packages {
                        let store = server::packages::PackageStore::s3(p).context("[packages] in the configuration")?;
                        app.state.set_package_store(store);
                    }
                    if let Some(d) = s.directory.clone() {
                        let dir = server::directory::Directory::resolve(&app.state, d)
                            .await
                            .context("[directory] in the configuration")?;
                        app.state.set_directory(Some(Arc::new(dir)));
                    }
                    let mut rec = None;
                    if s.role == Role::All {
                        // Cameras registered with a stream URL are recorded too.
                        for c in app.state.db.cameras().await? {
                            if c.status == store::registry::CameraStatus::Active && !c.rtsp_url.is_empty() && !cameras.iter().any(|x| x.code == c.code) {
                                // Its own period, else its owner's (SAK-9), else the profile's.
                                let period = server::api::camera_period(&app.state, &c)
                                    .await
                                    .map_err(|e| anyhow::anyhow!("retention of camera {}: {}", c.code, e.0.detail))?;
                                let mut cc = parse_camera(&format!("{}={}", c.code, c.rtsp_url))?;
                                cc.retention = Some(period);
                                cameras.push(cc);
                            }
                        }
                        // Masks the registry says the recorder burns in (ASA-2.1), and where
                        // (PROD-MASK-1): the registry decides for the cameras it knows.
                        for cc in &mut cameras {
                            (cc.mask_version, cc.masks) = server::nodes::recorder_masks(&app.state.db, &cc.code).await?;
                            if app.state.db.camera_by_code(&cc.code).await?.is_some() {
                                let source = server::nodes::masks_source(&app.state.db, &cc.code).await?;
                                if cc.onvif.is_some() && source.is_none() {
                                    eprintln!("mimamori: camera {}: onvif= ignored: the registry names no ONVIF service for it (set it on the cameras page)", cc.code);
                                }
                                cc.onvif = source;
                            }
                        }
                        let r = recorder::Recorder::start(rec_config(cameras), profile, Clock::System).await?;
                        attach_recorder(&app.state, &r, s.data.join("exports"));
                        rec = Some(r);
                    }
                    let watch = server::audit_watch::Watch::beside(&key_path);
                    let check = server::start_audit_watch(&app.state, watch, accept.as_deref()).await?;
                    if let Some(first) = check.open.first() {
                        eprintln!("mimamori: AUDIT LOG FAILED VERIFICATION, audited calls are refused: {first}");
                    }
                    for f in &check.node {
                        eprintln!("mimamori: the recorder's audit log failed verification (recording continues): {f}");
                    }
                    tracing::info!(listen = %s.listen, profile = %app.state.profile.profile.id, "mimamori server listening");
                    let scheme = if s.tls.is_some() { "https" } else { "http" };
                    println!("mimamori: serving profile {} on {scheme}://{}", app.state.profile.profile.id, s.listen);
                    // The web application over the same API.
                    let app = server::App { router: webui::router(app.router.clone()).merge(app.router), state: app.state };
                    // Lapsed duties become incidents: at start, then hourly (issue 18 item 1).
                    let sweeper = server::duties::spawn_sweeper(app.state.clone());
                    // The clocks every record's time rests on (PROD-TIME-1).
                    let clocks = server::clockwatch::spawn_watch(app.state.clone());
                    // The recorder nodes on other machines (issue 21).
                    let fleet = server::fleet::spawn(app.state.clone());
                    let limits = server::limits::Limits {
                        trusted_proxies: s.trusted_proxies.clone().into(),
                        tls: s.tls.clone(),
                        ..Default::default()
                    };
                    let served = match tokio::net::TcpListener::bind(s.listen).await {
                        Ok(listener) => server::serve_with(app, listener, limits, shutdown_signal()).await,
                        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot listen on {}", s.listen))),
                    };
                    sweeper.abort();
                    clocks.abort();
                    fleet.abort();
                    if let Some(r) = rec {
                        r.stop().await;
                    }
                    served
                }
            }
        })?;
        Ok(ExitCode::SUCCESS)
    }
}

impl Settings {
    /// `serve --verify-audit`: the check the server makes at start, read-only.
    async fn verify_audit_only(&self, key_path: PathBuf) -> anyhow::Result<ExitCode> {
        match self.check_audit(&key_path).await {
            Ok(code) => Ok(code),
            // A check that could not be made is not a verdict on the log.
            Err(e) => {
                eprintln!("mimamori: CANNOT CHECK: {e:#}");
                Ok(ExitCode::from(2))
            }
        }
    }

    async fn check_audit(&self, key_path: &std::path::Path) -> anyhow::Result<ExitCode> {
        let key = audit::key::load_existing(key_path)
            .with_context(|| format!("no signing key at {}", key_path.display()))?;
        let (db, log) = super::audit::open_db(&self.db).await?;
        let mut outside = server::audit_watch::read_published(
            &server::audit_watch::Watch::beside(key_path).published,
        );
        let node_log = self.data.join("audit.log");
        if self.role != Role::Central && node_log.exists() {
            outside.extend(super::audit::witnessed(&log.id(), &[node_log], &[]).await?);
        }
        let report = audit::verify(&log, Some(&key.verifying_key()), &outside).await?;
        super::audit::print_report(&report, false)?;
        db.close().await;
        Ok(super::audit::exit_code(&report))
    }
}

/// Puts the recorder of this process behind the server's node seam, with the chores that run
/// while it is attached: hourly erasure of expired evidence packages, and the holds in force
/// sent to it every 30 s (it keeps the last copy, so erasure keeps its schedule if the store is
/// unreachable).
pub fn attach_recorder(
    state: &Arc<server::state::AppState>,
    rec: &recorder::Recorder,
    exports: PathBuf,
) {
    state.attach_node(Arc::new(recorder::LocalNode::new(rec.ctx.clone(), exports)));
    server::nodes::spawn_package_sweeper(state.clone(), rec.ctx.shutdown.clone());
    server::nodes::spawn_hold_sync(state.clone(), rec.ctx.shutdown.clone());
}

/// The signing key's default place: beside a SQLite file, else `mimamori-data/node.key`.
pub fn default_key_path(db: &str) -> PathBuf {
    if db.starts_with("postgres") {
        return PathBuf::from("mimamori-data/node.key");
    }
    let p = std::path::Path::new(db.strip_prefix("sqlite://").unwrap_or(db));
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .join("node.key")
}

/// Resolves when standard input reaches its end (the process that holds its other end has
/// closed it, or died).
async fn stdin_closed() {
    // A blocking read on a plain thread of its own (tokio's stdin is not built into this
    // binary, and a `spawn_blocking` task still reading would hold the runtime's shutdown).
    let (closed, wait) = tokio::sync::oneshot::channel::<()>();
    let reader = std::thread::Builder::new().name("stdin-watch".into()).spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed.send(());
    });
    match reader {
        Ok(_) => {
            let _ = wait.await;
        }
        // No thread: then only a signal stops the node.
        Err(_) => std::future::pending::<()>().await,
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Logs to stderr as text; `RUST_LOG` filters.
pub fn init_tracing() {
    init_tracing_as(LogFormat::Text);
}

/// Logs to stderr in `format`; `RUST_LOG` filters. Colours only on a terminal: a log file or a
/// journal gets plain text, not escape sequences.
pub fn init_tracing_as(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{configured_cameras, parse_camera};

    // issue 24, item 2 — a camera that masks at the source is given with its ONVIF service.
    #[test]
    fn a_camera_that_masks_at_the_source_names_its_onvif_service() {
        let c = parse_camera(
            "cam1=rtsp://u:p@10.0.0.5/stream1;onvif=http://10.0.0.5/onvif/media2_service",
        )
        .unwrap();
        assert_eq!(c.url, "rtsp://10.0.0.5/stream1");
        assert_eq!(c.onvif.as_deref(), Some("http://10.0.0.5/onvif/media2_service"));
        assert_eq!(c.username.as_deref(), Some("u"));
        assert!(parse_camera("cam1=rtsp://10.0.0.5/s;onvif=http://u:p@10.0.0.5/x").is_err());
        assert!(parse_camera("cam1=rtsp://10.0.0.5/s;onvif=ftp://10.0.0.5/x").is_err());
        assert!(parse_camera("cam1=rtsp://10.0.0.5/s").unwrap().onvif.is_none());
    }

    // issue 16, M9 — camera passwords never on the command line; a cameras file only when its
    // owner alone can read it; the passwords leave the URL.
    #[test]
    fn camera_credentials_come_from_a_private_file_or_the_environment() {
        let argv = ["cam1=rtsp://admin:pw@10.0.0.5/s".to_owned()];
        let e = configured_cameras(&argv, None, None).unwrap_err().to_string();
        assert!(e.contains("visible to every user") && !e.contains("pw@"), "{e}");
        assert_eq!(
            configured_cameras(&["cam1=rtsp://10.0.0.5/s".into()], None, None).unwrap().len(),
            1
        );

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cameras");
        std::fs::write(&file, "# the station square\ncam2=rtsp://admin:s%40cret@10.0.0.6/s\n\n")
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = configured_cameras(&[], Some(&file), None).unwrap_err().to_string();
            assert!(e.contains("chmod 600"), "{e}");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let env = Some("cam3=rtsp://op:pw3@10.0.0.7/s cam4=rtsp://10.0.0.8/s".to_owned());
        let cams = configured_cameras(&[], Some(&file), env).unwrap();
        let codes: Vec<&str> = cams.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["cam2", "cam3", "cam4"]);
        assert_eq!(
            (cams[0].username.as_deref(), cams[0].password.as_deref()),
            (Some("admin"), Some("s@cret"))
        );
        assert!(cams.iter().all(|c| !c.url.contains('@')), "no credentials left in a URL");
    }
}
