//! `mimamori audit verify|checkpoint`.

use super::print_json;
use ::audit::{AuditLog, Checkpoint, CheckpointPolicy, FileStore, key, verify};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Audit-log subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Check the whole chain and its signed checkpoints; report the first bad entry. Exit 0 only
    /// when everything verifies.
    Verify {
        /// The audit log file.
        #[arg(long)]
        log: PathBuf,
        /// The published public key (64 hex digits, or a file holding them). Without it,
        /// signatures are checked only against the key embedded in the log.
        #[arg(long)]
        public_key: Option<String>,
        /// Published checkpoint files (from `audit checkpoint --export`): the log must still
        /// reach each of them, which detects a removed tail.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a checkpoint of the log's current head with the node key.
    Checkpoint {
        /// Print the checkpoint (JSON) for publication.
        #[arg(long)]
        export: bool,
        /// The audit log file.
        #[arg(long)]
        log: PathBuf,
        /// The node's signing key file (mode 0600).
        #[arg(long)]
        key: PathBuf,
    },
}

impl AuditCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(self.run_async())
    }

    async fn run_async(self) -> anyhow::Result<ExitCode> {
        match self {
            AuditCmd::Verify { log, public_key, checkpoints, json } => {
                if !log.exists() {
                    bail!("no audit log at {}", log.display());
                }
                let store = FileStore::open(&log)?;
                let trusted = match public_key {
                    None => None,
                    Some(s) => {
                        let text = if std::path::Path::new(&s).exists() {
                            std::fs::read_to_string(&s)
                                .with_context(|| format!("cannot read {s}"))?
                        } else {
                            s.clone()
                        };
                        Some(
                            key::parse_public_key(&text)
                                .context("--public-key is not a 32-byte Ed25519 key in hex")?,
                        )
                    }
                };
                let mut published = Vec::new();
                for p in &checkpoints {
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))?;
                    let c: Checkpoint = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a checkpoint", p.display()))?;
                    published.push(c);
                }
                let report = verify(&store, trusted.as_ref(), &published).await?;
                if json {
                    print_json(&report)?;
                } else {
                    let verdict = if report.is_ok() { "OK" } else { "TAMPERED" };
                    println!(
                        "{verdict}: {} entries, head {}, {} checkpoint(s) checked{}",
                        report.entries,
                        report.head_seq,
                        report.checkpoints,
                        if report.trusted_key {
                            ""
                        } else {
                            " (no --public-key: signatures checked against the embedded key only)"
                        }
                    );
                    if let Some(first) = report.findings.first() {
                        println!("first bad entry: {}", first.describe());
                        for f in report.findings.iter().skip(1) {
                            println!("also: {}", f.describe());
                        }
                    }
                }
                Ok(if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
            }
            AuditCmd::Checkpoint { export, log, key: key_path } => {
                if !export {
                    bail!("say --export to print a signed checkpoint for publication");
                }
                if !log.exists() {
                    bail!("no audit log at {}", log.display());
                }
                let signing = key::load_existing(&key_path)?;
                let log =
                    AuditLog::open(FileStore::open(&log)?, signing, CheckpointPolicy::default())
                        .await?;
                let c = log
                    .checkpoint_now()
                    .await
                    .context("the log is empty: nothing to checkpoint")?;
                print_json(&c)?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
