//! Keeping the audit log's tail from being cut silently (issue 17, item 6).
//!
//! - **Signed on a timer.** Besides the checkpoint every 100 entries, the head is signed every
//!   [`Watch::every`] (5 minutes) when entries came since the last checkpoint, and at a clean
//!   shutdown after an `audit.close` entry.
//! - **Witnessed outside the log.** Each checkpoint is appended to a published file (JSON lines,
//!   for the yearly report and the public page `GET /api/v1/public/audit`) and handed to the
//!   recorder node, which records it in its own audit log and hands back its newest checkpoint;
//!   the server records that one in the governance log (`audit.witness`). Cutting the tail of
//!   one store unnoticed then needs the other store and the published copies too.
//! - **Checked at start.** Before the server appends anything, the whole chain is verified with
//!   the server's key against every checkpoint kept outside it. A log that fails is *halted*:
//!   every call that must be audited is refused (503, naming the finding) instead of chaining
//!   new entries onto a head that may have been rewritten. An operator who has examined the
//!   findings starts the server once with `--accept-audit-findings REASON`, which records them
//!   and the reason in the log (`audit.findings_accepted`); later starts accept those same
//!   findings and halt on any new one.
//!
//! The window: a tail cut after the newest checkpoint kept outside the log goes unnoticed — at
//! most 100 entries or 5 minutes of activity (docs/evidence-format.md).

use crate::state::AppState;
use audit::{Checkpoint, Report};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The action of the entry that records examined findings.
pub const ACCEPTED_ACTION: &str = "audit.findings_accepted";

/// How the server keeps its audit log witnessed.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The published checkpoints (JSON lines, one checkpoint each, append-only).
    pub published: PathBuf,
    /// How often the head is signed and witnessed when it has moved.
    pub every: Duration,
}

impl Watch {
    /// The defaults for a server whose key is at `key_path`: the published file beside it,
    /// every 5 minutes.
    pub fn beside(key_path: &Path) -> Watch {
        let dir = key_path.parent().unwrap_or(Path::new("."));
        Watch {
            published: dir.join("audit-checkpoints.jsonl"),
            every: audit::CheckpointPolicy::default().every.unsigned_abs(),
        }
    }
}

/// The result of the check at start.
#[derive(Debug, Clone, Serialize)]
pub struct StartCheck {
    /// The verification report.
    pub report: Report,
    /// Findings accepted earlier by an operator (`--accept-audit-findings`).
    pub accepted: Vec<String>,
    /// Findings not accepted: the log is halted while there are any.
    pub open: Vec<String>,
    /// What is wrong with the audit log of the recorder in this process, checked against its
    /// checkpoints witnessed in the governance log. The recorder keeps recording (footage must
    /// not stop for a damaged log); the findings are written to the governance log
    /// (`audit.node_log_failed`) and shown by `GET /api/v1/public/audit`.
    pub node: Vec<String>,
}

impl StartCheck {
    /// Whether the server may append.
    pub fn may_append(&self) -> bool {
        self.open.is_empty()
    }
}

/// What [`ACCEPTED_ACTION`] entries hold.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Accepted {
    /// The findings, as sentences, for whoever reads the log.
    findings: Vec<String>,
    /// Why they were accepted.
    reason: String,
    /// Checkpoints (by entry number) whose findings are accepted — whatever the finding
    /// becomes as the log grows (a cut tail turns into a mismatch once the log passes it).
    #[serde(default)]
    checkpoints: Vec<u64>,
    /// Findings about entries, accepted as they are.
    #[serde(default)]
    entries: Vec<audit::Finding>,
}

impl Accepted {
    fn covers(&self, f: &audit::Finding) -> bool {
        match f.checkpoint_seq() {
            Some(seq) => self.checkpoints.contains(&seq),
            None => self.entries.contains(f),
        }
    }
}

/// Reads the published checkpoints file; a missing file is an empty list, a damaged line is
/// skipped with a warning (the file is a copy: the checkpoints' signatures are what counts).
pub fn read_published(path: &Path) -> Vec<Checkpoint> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| match serde_json::from_str(l) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "skipping a damaged published checkpoint");
                None
            }
        })
        .collect()
}

/// The last checkpoint in the published file, read from its end (the file grows for years).
fn last_published(path: &Path) -> Option<Checkpoint> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(4096))).ok()?;
    let mut tail = String::new();
    f.read_to_string(&mut tail).ok()?;
    tail.lines().rev().find_map(|l| serde_json::from_str(l).ok())
}

fn publish(path: &Path, c: &Checkpoint) -> std::io::Result<()> {
    if last_published(path).is_some_and(|p| p.seq == c.seq && p.hash == c.hash) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let mut line = serde_json::to_string(c).map_err(std::io::Error::other)?;
    line.push('\n');
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Every checkpoint of the server's log kept outside it: published, and witnessed by the
/// recorder in this process.
pub async fn outside_checkpoints(st: &AppState, watch: &Watch) -> Vec<Checkpoint> {
    let mut out = read_published(&watch.published);
    let node = st.node();
    if let Some(node) = node {
        match node.witnessed(st.audit.store().id()).await {
            Ok(w) => out.extend(w),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the recorder's witnessed checkpoints")
            }
        }
    }
    out
}

/// Verifies the governance log against every checkpoint kept outside it, and halts it when a
/// finding has not been accepted. With `accept` (an operator's reason), the findings are
/// recorded as examined and the log resumes.
pub async fn check_at_start(
    st: &AppState,
    watch: &Watch,
    accept: Option<&str>,
) -> anyhow::Result<StartCheck> {
    let outside = outside_checkpoints(st, watch).await;
    let key = st.audit.public_key();
    let report = audit::verify(st.audit.store(), Some(&key), &outside).await?;
    let earlier: Accepted = st
        .audit
        .store()
        .search(None, Some(ACCEPTED_ACTION), None, 1)
        .await?
        .first()
        .and_then(|e| serde_json::from_str::<Accepted>(&e.detail).ok())
        .unwrap_or_default();
    let (old, new): (Vec<&audit::Finding>, Vec<&audit::Finding>) =
        report.findings.iter().partition(|f| earlier.covers(f));
    let accepted: Vec<String> = old.iter().map(|f| f.describe()).collect();
    let open: Vec<String> = new.iter().map(|f| f.describe()).collect();
    let now = st.clock.now();
    if !open.is_empty() {
        if let Some(reason) = accept {
            // Everything found now is accepted, together with what was accepted before.
            let mut all = earlier;
            for f in &report.findings {
                match f.checkpoint_seq() {
                    Some(seq) if !all.checkpoints.contains(&seq) => all.checkpoints.push(seq),
                    Some(_) => {}
                    None if !all.entries.contains(f) => all.entries.push(f.clone()),
                    None => {}
                }
            }
            all.findings = report.findings.iter().map(|f| f.describe()).collect();
            all.reason = reason.to_owned();
            let mut ev =
                audit::Event::new("operator", ACCEPTED_ACTION, "audit", audit::Outcome::Ok);
            ev.detail = serde_json::to_value(&all)?;
            st.audit.halt(None);
            st.audit.append_at(ev, now).await?;
            tracing::warn!(findings = ?all.findings, reason, "audit findings accepted by the operator");
            let node = check_node(st).await;
            return Ok(StartCheck { report, accepted: all.findings, open: Vec::new(), node });
        }
        let why = format!(
            "the audit log failed verification at start: {} (run `mimamori audit verify`; once examined, start with --accept-audit-findings REASON)",
            open[0]
        );
        tracing::error!(findings = ?open, "{why}");
        st.audit.halt(Some(why));
        let node = check_node(st).await;
        return Ok(StartCheck { report, accepted, open, node });
    }
    let mut ev = audit::Event::new("system", "audit.open", "audit", audit::Outcome::Ok);
    ev.detail = serde_json::json!({
        "entries": report.entries,
        "head": report.head_seq,
        "checked_against_outside_checkpoint": report.outside_seq,
        "accepted_findings": accepted.len(),
    });
    st.audit.append_at(ev, now).await?;
    let node = check_node(st).await;
    Ok(StartCheck { report, accepted, open, node })
}

/// Verifies the audit log of the recorder in this process against its checkpoints witnessed in
/// the governance log; records what is wrong (`audit.node_log_failed`) and returns it.
async fn check_node(st: &AppState) -> Vec<String> {
    let node = st.node();
    let Some(node) = node else { return Vec::new() };
    let checked = async {
        let id = node.audit_log_id().await.map_err(anyhow::Error::msg)?;
        let outside = st.audit.store().witnessed(&id).await?;
        node.verify_audit(outside).await.map_err(anyhow::Error::msg)
    }
    .await;
    let found: Vec<String> = match checked {
        Ok(r) => r.findings.iter().map(|f| f.describe()).collect(),
        Err(e) => vec![format!("the recorder's audit log could not be checked: {e}")],
    };
    *st.node_audit_findings.write().unwrap_or_else(|p| p.into_inner()) = found.clone();
    if !found.is_empty() {
        tracing::error!(findings = ?found, "the recorder's audit log failed verification");
        let mut ev = audit::Event::new(
            "system",
            "audit.node_log_failed",
            format!("node:{}", node.id()),
            audit::Outcome::Failed,
        );
        ev.detail = serde_json::json!({ "findings": found });
        if let Err(e) = st.audit.append_at(ev, st.clock.now()).await {
            tracing::error!(error = %e, "could not record the recorder's audit findings");
        }
    }
    found
}

/// Signs the head if it moved, publishes the newest checkpoint and exchanges checkpoints with
/// every recorder node: the one in this process and the enrolled nodes on other machines
/// (issue 21: each node's log is witnessed by the centre, the centre's by each node). A node
/// that cannot be reached is skipped this time (and said so); the others still witness.
pub async fn checkpoint_and_witness(st: &AppState, watch: &Watch) -> anyhow::Result<()> {
    let Some(c) = st.audit.checkpoint_at(st.clock.now()).await? else { return Ok(()) };
    publish(&watch.published, &c)?;
    let mut failed = Vec::new();
    for node in st.nodes() {
        match node.witness(c.clone()).await {
            Ok(Some(n)) => {
                st.audit.witness(&n, st.clock.now()).await?;
            }
            Ok(None) => {}
            Err(e) => failed.push(format!("{}: {e}", node.id())),
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("checkpoints not exchanged with {}", failed.join("; "));
    }
    Ok(())
}

/// Runs [`checkpoint_and_witness`] every `watch.every` until `stop` resolves, then writes
/// `audit.close` and signs and witnesses it.
pub async fn run(
    st: Arc<AppState>,
    watch: Watch,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(watch.every) => {}
            _ = &mut stop => break,
        }
        if st.audit.halted().is_some() {
            continue;
        }
        if let Err(e) = checkpoint_and_witness(&st, &watch).await {
            tracing::error!(error = %e, "could not sign or witness the audit log");
        }
    }
    if st.audit.halted().is_some() {
        return;
    }
    let ev = audit::Event::new("system", "audit.close", "audit", audit::Outcome::Ok);
    if let Err(e) = st.audit.append_at(ev, st.clock.now()).await {
        tracing::error!(error = %e, "could not write audit.close");
    }
    if let Err(e) = checkpoint_and_witness(&st, &watch).await {
        tracing::error!(error = %e, "could not sign the audit log at shutdown");
    }
}
