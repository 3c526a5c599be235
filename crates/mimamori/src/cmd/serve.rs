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
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The governance server (HTTP API) only.
    Central,
    /// A recorder node only.
    Recorder,
    /// Both; cameras registered with a stream URL are recorded.
    All,
}

/// Options of `mimamori serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// What to run.
    #[arg(long, value_enum, default_value = "central")]
    pub role: Role,
    /// Governance database: a SQLite file path (default) or postgres://user@host/db.
    #[arg(long, default_value = "mimamori-data/mimamori.db")]
    pub db: String,
    /// Regulation profile: a seed name or a .toml path.
    #[arg(long, default_value = "asahikawa")]
    pub profile: String,
    /// Address the HTTP API listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The node's signing key (created with mode 0600 if missing). Default: beside a SQLite
    /// database, else ./mimamori-data/node.key.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Do not mark cookies Secure (plain HTTP on a non-loopback address, for development only).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// Recorder data directory (segments, node index, node audit log, status).
    #[arg(long, default_value = "mimamori-data/recorder")]
    pub data: PathBuf,
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
    /// Recorder node name.
    #[arg(long, default_value = "node1")]
    pub node_id: String,
    /// Target segment length in seconds.
    #[arg(long, default_value_t = 60)]
    pub segment_secs: u32,
    /// Pause recording below this much free space (MiB).
    #[arg(long, default_value_t = 64)]
    pub min_free_mib: u64,
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

/// Parses `CODE=URL`, moving credentials out of the URL.
pub fn parse_camera(spec: &str) -> anyhow::Result<recorder::config::CameraConfig> {
    let (code, url) = spec.split_once('=').context("--camera takes CODE=rtsp://host/path")?;
    Ok(recorder::config::CameraConfig::from_url(code, url)?)
}

impl ServeArgs {
    /// Runs until SIGTERM or Ctrl-C; a recorder seals every open segment before exiting.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        init_tracing();
        let profile = load_profile(&self.profile)?;
        let key_path = self.key.clone().unwrap_or_else(|| default_key_path(&self.db));
        let mut cameras = configured_cameras(
            &self.cameras,
            self.cameras_file.as_deref(),
            std::env::var("MIMAMORI_CAMERAS").ok(),
        )?;
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        if self.verify_audit {
            return rt.block_on(self.verify_audit_only(key_path));
        }
        rt.block_on(async move {
            let rec_config = |cams: Vec<recorder::config::CameraConfig>| {
                let mut c = recorder::config::RecorderConfig::new(&self.node_id, &self.data);
                c.key_path = key_path.clone();
                c.cameras = cams;
                c.segment_ms = i64::from(self.segment_secs.max(1)) * 1000;
                c.min_free_bytes = self.min_free_mib << 20;
                c.camera_networks = self.camera_networks.clone();
                c
            };
            match self.role {
                Role::Recorder => {
                    let rec = recorder::Recorder::start(rec_config(cameras), profile, Clock::System).await?;
                    println!("mimamori: recorder {} recording {} cameras into {}", self.node_id, rec.cameras().len(), self.data.display());
                    shutdown_signal().await;
                    rec.stop().await;
                    Ok(())
                }
                Role::Central | Role::All => {
                    super::ensure_db_dir(&self.db)?;
                    let app = server::build(server::Config {
                        db: self.db.clone(),
                        profile: profile.clone(),
                        key_path: key_path.clone(),
                        clock: Clock::System,
                        secure_cookies: !self.insecure_cookies,
                    })
                    .await?;
                    app.state.set_camera_networks(self.camera_networks.clone());
                    let mut rec = None;
                    if self.role == Role::All {
                        // Cameras registered with a stream URL are recorded too.
                        for c in app.state.db.cameras().await? {
                            if c.status == "active" && !c.rtsp_url.is_empty() && !cameras.iter().any(|x| x.code == c.code) {
                                let period = match (c.retention_days, c.retention_months) {
                                    (Some(d), _) => Some(policy::retention::Period::Days(d as u32)),
                                    (None, Some(m)) => Some(policy::retention::Period::Months(m as u32)),
                                    _ => None,
                                };
                                let mut cc = parse_camera(&format!("{}={}", c.code, c.rtsp_url))?;
                                cc.retention = period;
                                cameras.push(cc);
                            }
                        }
                        // Masks the registry says the recorder burns in (ASA-2.1).
                        for cc in &mut cameras {
                            (cc.mask_version, cc.masks) = server::nodes::recorder_masks(&app.state.db, &cc.code).await?;
                        }
                        let r = recorder::Recorder::start(rec_config(cameras), profile, Clock::System).await?;
                        attach_recorder(&app.state, &r, self.data.join("exports"));
                        rec = Some(r);
                    }
                    let watch = server::audit_watch::Watch::beside(&key_path);
                    let check = server::start_audit_watch(&app.state, watch, self.accept_audit_findings.as_deref()).await?;
                    if let Some(first) = check.open.first() {
                        eprintln!("mimamori: AUDIT LOG FAILED VERIFICATION, audited calls are refused: {first}");
                    }
                    for f in &check.node {
                        eprintln!("mimamori: the recorder's audit log failed verification (recording continues): {f}");
                    }
                    tracing::info!(listen = %self.listen, profile = %app.state.profile.profile.id, "mimamori server listening");
                    println!("mimamori: serving profile {} on http://{}", app.state.profile.profile.id, self.listen);
                    // The web application over the same API.
                    let app = server::App { router: webui::router(app.router.clone()).merge(app.router), state: app.state };
                    // Lapsed duties become incidents: at start, then hourly (issue 18 item 1).
                    let sweeper = server::duties::spawn_sweeper(app.state.clone());
                    let served = server::serve(app, self.listen, shutdown_signal()).await;
                    sweeper.abort();
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

impl ServeArgs {
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

/// Logs to stderr; `RUST_LOG` filters.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::configured_cameras;

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
