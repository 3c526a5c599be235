//! `mimamori audit verify|checkpoint`.

use super::print_json;
use ::audit::{AuditLog, Checkpoint, CheckpointPolicy, FileStore, Report, Verdict, key, verify};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Audit-log subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Check the whole chain, its signed checkpoints and every checkpoint kept outside it.
    /// Exit 0 verified, 1 tampered, 2 not verified (no trusted key) or could not check.
    Verify {
        /// An audit log file (a recorder node's `audit.log`).
        #[arg(long, required_unless_present = "db", conflicts_with = "db")]
        log: Option<PathBuf>,
        /// The governance database's audit log: a SQLite file or postgres://user@host/db.
        #[arg(long)]
        db: Option<String>,
        /// The published public key (64 hex digits, or a file holding them). Without it the
        /// verdict is "NOT VERIFIED: no trusted key".
        #[arg(long)]
        public_key: Option<String>,
        /// Checkpoints kept outside the log: a file with one checkpoint (JSON), a JSON array, or
        /// JSON lines (the server's published `audit-checkpoints.jsonl`). The log must still
        /// reach and hold each of them, which detects a cut tail.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// Another audit log file whose witness records hold this log's checkpoints (the
        /// recorder's `audit.log` when checking the governance database).
        #[arg(long = "witness-log")]
        witness_logs: Vec<PathBuf>,
        /// Another log in a database whose witness records hold this log's checkpoints (the
        /// governance database when checking a recorder's `audit.log`).
        #[arg(long = "witness-db")]
        witness_dbs: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a checkpoint of the log's current head with the node key, store it in the log and
    /// print it for publication.
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
        let verifying = matches!(self, AuditCmd::Verify { .. });
        match rt.block_on(self.run_async()) {
            Ok(code) => Ok(code),
            // A verification that could not be carried out is not a verdict on the log.
            Err(e) if verifying => {
                eprintln!("CANNOT CHECK: {e:#}");
                Ok(ExitCode::from(2))
            }
            Err(e) => Err(e),
        }
    }

    async fn run_async(self) -> anyhow::Result<ExitCode> {
        match self {
            AuditCmd::Verify {
                log,
                db,
                public_key,
                checkpoints,
                witness_logs,
                witness_dbs,
                json,
            } => {
                let trusted = match public_key {
                    None => None,
                    Some(s) => {
                        let text = if Path::new(&s).exists() {
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
                let mut outside = Vec::new();
                for p in &checkpoints {
                    outside.extend(read_checkpoints(p)?);
                }
                let report = match (log, db) {
                    (Some(log), _) => {
                        if !log.exists() {
                            bail!("no audit log at {}", log.display());
                        }
                        let store = FileStore::open(&log)?;
                        let id = ::audit::Store::log_id(&store).await?;
                        outside.extend(witnessed(&id, &witness_logs, &witness_dbs).await?);
                        verify(&store, trusted.as_ref(), &outside).await?
                    }
                    (None, Some(url)) => {
                        let (db, store) = open_db(&url).await?;
                        outside.extend(witnessed(&store.id(), &witness_logs, &witness_dbs).await?);
                        let r = verify(&store, trusted.as_ref(), &outside).await?;
                        db.close().await;
                        r
                    }
                    (None, None) => bail!("say --log FILE or --db URL"),
                };
                print_report(&report, json)?;
                Ok(exit_code(&report))
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
                    .await?
                    .context("the log is empty: nothing to checkpoint")?;
                print_json(&c)?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// Opens the governance database's audit log, refusing to create a database that is not there.
pub(super) async fn open_db(
    url: &str,
) -> anyhow::Result<(store::Db, store::audit_store::DbAuditStore)> {
    if !url.starts_with("postgres") {
        let path =
            url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if !Path::new(path).exists() {
            bail!("no database at {path}");
        }
    }
    let db = store::Db::connect(url).await?;
    let store = store::audit_store::DbAuditStore::open(db.clone(), 0).await?;
    Ok((db, store))
}

/// The checkpoints of `id` witnessed in other logs.
pub(super) async fn witnessed(
    id: &::audit::LogId,
    logs: &[PathBuf],
    dbs: &[String],
) -> anyhow::Result<Vec<Checkpoint>> {
    let mut out = Vec::new();
    for p in logs {
        if !p.exists() {
            bail!("no witness log at {}", p.display());
        }
        out.extend(::audit::witnessed_in(&FileStore::open(p)?, id).await?);
    }
    for url in dbs {
        let (db, store) = open_db(url).await?;
        out.extend(store.witnessed(id).await?);
        db.close().await;
    }
    Ok(out)
}

/// Reads a checkpoint file: one JSON checkpoint, a JSON array of them, or JSON lines.
fn read_checkpoints(p: &Path) -> anyhow::Result<Vec<Checkpoint>> {
    let text =
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    if let Ok(c) = serde_json::from_str::<Checkpoint>(&text) {
        return Ok(vec![c]);
    }
    if let Ok(cs) = serde_json::from_str::<Vec<Checkpoint>>(&text) {
        return Ok(cs);
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not a checkpoint", p.display(), i + 1))
        })
        .collect()
}

/// Exit code of a verification: 0 verified, 1 tampered, 2 not verified.
pub fn exit_code(report: &Report) -> ExitCode {
    match report.verdict() {
        Verdict::Verified => ExitCode::SUCCESS,
        Verdict::Tampered => ExitCode::FAILURE,
        Verdict::NotVerified => ExitCode::from(2),
    }
}

/// Prints a verification report: the verdict first, then the first bad entry, then notes.
pub fn print_report(report: &Report, json: bool) -> anyhow::Result<()> {
    if json {
        let mut v = serde_json::to_value(report)?;
        v["verdict"] = serde_json::to_value(report.verdict())?;
        return print_json(&v);
    }
    println!(
        "{}: {} entries, head {}, {} checkpoint(s) checked, {} of them kept outside the log",
        report.verdict().text(),
        report.entries,
        report.head_seq,
        report.checkpoints,
        report.outside,
    );
    if let Some(first) = report.findings.first() {
        println!("first bad entry: {}", first.describe());
        for f in report.findings.iter().skip(1) {
            println!("also: {}", f.describe());
        }
    }
    if !report.trusted_key {
        println!(
            "note: without --public-key the signatures were checked only against the key the log itself names, which anyone rewriting it could replace"
        );
    }
    match report.outside_seq {
        Some(s) if s < report.head_seq => println!(
            "note: entries {}–{} are covered by no checkpoint kept outside the log: a cut there would not show",
            s + 1,
            report.head_seq
        ),
        Some(_) => {}
        None => println!(
            "note: no checkpoint kept outside the log was given (--checkpoint, --witness-log, --witness-db): a cut tail would not show"
        ),
    }
    if let Some(line) = report.crash {
        println!(
            "note: the last record (line {line}) was cut mid-write — a crash while appending, not tampering; everything before it is whole"
        );
    }
    Ok(())
}
