//! `mimamori report annual` (KIT-8) and `mimamori rules-doc` (KAW-2.2.7): documents made from
//! the live records and configuration.

use super::load_profile;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the governance records are.
#[derive(Debug, Args)]
pub struct Source {
    /// Database: SQLite path or postgres:// URL.
    #[arg(long, default_value = "mimamori-data/mimamori.db")]
    pub db: String,
    /// Regulation profile.
    #[arg(long, default_value = "asahikawa")]
    pub profile: String,
    /// The server's signing key (the audit log's; default: next to a SQLite database).
    #[arg(long)]
    pub key: Option<PathBuf>,
}

impl Source {
    async fn open(&self) -> anyhow::Result<server::App> {
        let profile = load_profile(&self.profile)?;
        let key_path = self.key.clone().unwrap_or_else(|| super::serve::default_key_path(&self.db));
        let file = self.db.strip_prefix("sqlite://").unwrap_or(&self.db);
        if !self.db.starts_with("postgres") && !std::path::Path::new(file).exists() {
            anyhow::bail!("no database at {} (give --db)", self.db);
        }
        server::build(server::Config {
            db: self.db.clone(),
            profile,
            key_path,
            clock: server::clock::Clock::System,
            secure_cookies: true,
        })
        .await
        .context("open the governance database")
    }
}

/// Reports.
#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// The yearly public report of a fiscal year (1 April – 31 March): HTML in Japanese and
    /// English for the city website, open-data CSV (UTF-8 with BOM, one table per file) and
    /// JSON. Counts only; small counts suppressed; no personal data.
    Annual {
        /// The fiscal year (the year in which it starts: 2026 = 令和8年度).
        #[arg(long)]
        fiscal_year: i16,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// The recorder's data directory, for uptime, gaps and erasures.
        #[arg(long)]
        recorder: Option<PathBuf>,
        #[command(flatten)]
        source: Source,
    },
}

impl ReportCmd {
    /// Runs it.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let ReportCmd::Annual { fiscal_year, out, recorder, source } = self;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let written = rt.block_on(async {
            let app = source.open().await?;
            let (from, to) = server::report_facts::period(fiscal_year, app.state.clock.now_ms())?;
            let node = match &recorder {
                Some(dir) => {
                    let db = recorder::db::NodeDb::open(dir).await.with_context(|| {
                        format!("open the recorder records in {}", dir.display())
                    })?;
                    let f = db.report_facts(from, to).await?;
                    db.close().await;
                    Some(f)
                }
                None => None,
            };
            let facts = server::report_facts::gather(&app.state, fiscal_year, node).await?;
            let r = report::build(&facts);
            std::fs::create_dir_all(&out)?;
            let mut files: Vec<(String, Vec<u8>)> = vec![
                (
                    format!("{fiscal_year}-report.ja.html"),
                    report::html(&r, true).into_string().into_bytes(),
                ),
                (
                    format!("{fiscal_year}-report.en.html"),
                    report::html(&r, false).into_string().into_bytes(),
                ),
                (format!("{fiscal_year}-report.json"), report::json(&r)?.into_bytes()),
            ];
            files.extend(report::csv_files(&r)?);
            for (name, bytes) in &files {
                std::fs::write(out.join(name), bytes)?;
            }
            anyhow::Ok(files.into_iter().map(|f| f.0).collect::<Vec<_>>())
        })?;
        for f in written {
            println!("{}", out.join(f).display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Options of `mimamori rules-doc`.
#[derive(Debug, Args)]
pub struct RulesDocArgs {
    /// Output file: `.md` for Markdown, anything else printable A4 HTML.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub source: Source,
}

impl RulesDocArgs {
    /// Runs it.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let doc = rt.block_on(async {
            let app = self.source.open().await?;
            anyhow::Ok(server::report_facts::rules_doc(&app.state).await?)
        })?;
        let text = if self.out.extension().is_some_and(|e| e == "md") {
            report::rules_doc::markdown(&doc)
        } else {
            report::rules_doc::html(&doc).into_string()
        };
        std::fs::write(&self.out, text)
            .with_context(|| format!("cannot write {}", self.out.display()))?;
        println!("{}", self.out.display());
        Ok(ExitCode::SUCCESS)
    }
}
