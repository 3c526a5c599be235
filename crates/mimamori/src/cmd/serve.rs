//! `mimamori serve`: the governance server.

use super::load_profile;
use clap::Args;
use server::clock::Clock;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `mimamori serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Database: a SQLite file path (default) or postgres://user@host/db.
    #[arg(long, default_value = "mimamori-data/mimamori.db")]
    pub db: String,
    /// Regulation profile: a seed name or a .toml path.
    #[arg(long, default_value = "asahikawa")]
    pub profile: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The node's signing key (created with mode 0600 if missing). Default: beside a SQLite
    /// database, else ./mimamori-data/node.key.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Do not mark cookies Secure (plain HTTP on a non-loopback address, for development only).
    #[arg(long)]
    pub insecure_cookies: bool,
}

impl ServeArgs {
    /// Runs the server until SIGTERM or Ctrl-C.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        init_tracing();
        let profile = load_profile(&self.profile)?;
        let key_path = self.key.clone().unwrap_or_else(|| default_key_path(&self.db));
        super::ensure_db_dir(&self.db)?;
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        rt.block_on(async move {
            let app = server::build(server::Config {
                db: self.db.clone(),
                profile,
                key_path,
                clock: Clock::System,
                secure_cookies: !self.insecure_cookies,
            })
            .await?;
            tracing::info!(listen = %self.listen, profile = %app.state.profile.profile.id, "mimamori server listening");
            println!("mimamori: serving profile {} on http://{}", app.state.profile.profile.id, self.listen);
            server::serve(app, self.listen, shutdown_signal()).await
        })?;
        Ok(ExitCode::SUCCESS)
    }
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
