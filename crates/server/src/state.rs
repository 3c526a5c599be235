//! Shared state of a running server.

use crate::clock::Clock;
use policy::Profile;
use std::sync::Arc;
use store::Db;
use store::audit_writer::AuditWriter;

/// What every handler sees.
pub struct AppState {
    /// The governance store.
    pub db: Db,
    /// The active regulation profile.
    pub profile: Arc<Profile>,
    /// The tamper-evident audit log.
    pub audit: Arc<AuditWriter>,
    /// The clock.
    pub clock: Clock,
    /// Mark cookies `Secure` (on unless explicitly turned off for plain-HTTP development).
    pub secure_cookies: bool,
    /// The recorder running in this process, if any (status only: no live view).
    pub recorder: std::sync::RwLock<Option<Arc<dyn RecorderStatus>>>,
    /// The recorder's export, when footage is recorded in this process. Without one, an
    /// extraction records the package id and manifest hash of a package made on the node.
    pub exporter: std::sync::RwLock<Option<Arc<dyn Exporter>>>,
    /// The task that signs and witnesses the audit log on a timer, and how to stop it
    /// ([`crate::audit_watch`]).
    pub audit_watch: tokio::sync::Mutex<Option<WatchTask>>,
    /// What the check at start found wrong with the recorder's audit log (empty: nothing).
    pub node_audit_findings: std::sync::RwLock<Vec<String>>,
    /// Submissions of the public contact form per client address (PROD-RATE-1).
    pub public_form_rate: crate::limits::SourceRate,
}

/// A running [`crate::audit_watch::run`].
pub struct WatchTask {
    /// Resolves the task's stop.
    pub stop: tokio::sync::oneshot::Sender<()>,
    /// The task: it ends after writing `audit.close` and its checkpoint.
    pub task: tokio::task::JoinHandle<()>,
}

/// What the server may ask a recorder: per-camera status, never a picture (ALL-REC-2).
pub trait RecorderStatus: Send + Sync {
    /// Per-camera status as JSON.
    fn status(&self) -> serde_json::Value;
}

/// What to export: one camera's footage under an instruction or an emergency order.
#[derive(Debug, Clone)]
pub struct ExportJob {
    /// Camera code.
    pub camera: String,
    /// Site name, when known.
    pub site: Option<String>,
    /// Range asked, UTC ms.
    pub from_ms: i64,
    /// End of the range asked.
    pub to_ms: i64,
    /// Who exports: `login (name)`.
    pub operator: String,
    /// The workflow records the package is made for (signed into its manifest).
    pub refs: evidence::manifest::Refs,
    /// Encryption to the recipient.
    pub encryption: Option<ExportEncryption>,
}

/// Encryption of a package (age): a passphrase handed over separately, or X25519 recipients.
#[derive(Clone)]
pub enum ExportEncryption {
    /// Passphrase.
    Passphrase(String),
    /// `age1…` recipients.
    Recipients(Vec<String>),
}

impl std::fmt::Debug for ExportEncryption {
    // A passphrase never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportEncryption::Passphrase(_) => f.write_str("Passphrase(…)"),
            ExportEncryption::Recipients(r) => f.debug_tuple("Recipients").field(r).finish(),
        }
    }
}

/// A package an export produced.
#[derive(Debug, Clone)]
pub struct ExportedPackage {
    /// Package id.
    pub id: String,
    /// Camera code.
    pub camera: String,
    /// Where the file is.
    pub path: std::path::PathBuf,
    /// SHA-256 of its manifest, hex.
    pub manifest_sha256: String,
    /// File size.
    pub bytes: u64,
    /// Frames.
    pub frames: u64,
    /// Range delivered, UTC ms.
    pub delivered: (i64, i64),
    /// Encrypted to the recipient.
    pub encrypted: bool,
}

/// Why an export failed, in words for the operator.
#[derive(Debug, Clone)]
pub struct ExportError {
    /// The export refused the range (nothing recorded there, erased, no frame inside): a
    /// conflict with the records, not a fault of the system.
    pub refused: bool,
    /// What happened.
    pub message: String,
}

/// Takes footage off the recorder into evidence packages; the only way out (ALL-REC-2).
pub trait Exporter: Send + Sync {
    /// Whether this recorder records `camera`.
    fn records(&self, camera: &str) -> bool;
    /// Exports one camera's range.
    fn export(
        &self,
        job: ExportJob,
    ) -> futures::future::BoxFuture<'static, Result<ExportedPackage, ExportError>>;
    /// The recorder node's id.
    fn node_id(&self) -> String;
    /// The footage keys still on the node (`camera/day`): a disposal waits until none is left
    /// (ASA-3.3d, KIT-5.7).
    fn live_keys(&self) -> futures::future::BoxFuture<'static, Result<Vec<String>, String>>;
    /// Gaps, first recordings and erasures for the yearly report (KIT-8).
    fn report_facts(
        &self,
        from: i64,
        to: i64,
    ) -> futures::future::BoxFuture<'static, Result<recorder::db::NodeFacts, String>>;
    /// Hands a camera's new privacy-mask version to the running recorder, which burns it in
    /// from the next keyframe (ASA-2.1). False when the recorder does not record the camera.
    fn set_masks(&self, camera: &str, version: i64, polygons: Vec<masking::Polygon>) -> bool;
    /// Witnessing (issue 17, item 6): records the server's newest checkpoint in the node's
    /// audit log (unless it holds it already) and returns the node's newest checkpoint, signed
    /// now if entries came since its last one.
    fn witness(
        &self,
        server: audit::Checkpoint,
    ) -> futures::future::BoxFuture<'static, Result<Option<audit::Checkpoint>, String>>;
    /// The id of the node's audit log.
    fn audit_log_id(&self) -> futures::future::BoxFuture<'static, Result<audit::LogId, String>>;
    /// Verifies the node's audit log with the node's key against `outside`, its checkpoints
    /// witnessed in the governance log.
    fn verify_audit(
        &self,
        outside: Vec<audit::Checkpoint>,
    ) -> futures::future::BoxFuture<'static, Result<audit::Report, String>>;
    /// The checkpoints of log `of` (the server's) that the node's audit log witnesses.
    fn witnessed(
        &self,
        of: audit::LogId,
    ) -> futures::future::BoxFuture<'static, Result<Vec<audit::Checkpoint>, String>>;
    /// A PNG of a stored keyframe of `camera` and when it was recorded (UTC ms): the still for
    /// checking aim and masks (ALL-REC-2; the caller decides whether it may be taken). The
    /// newest segment's first keyframe, or the first keyframe within `within` (UTC ms).
    fn still(
        &self,
        camera: &str,
        within: Option<(i64, i64)>,
    ) -> futures::future::BoxFuture<'static, Result<(Vec<u8>, i64), String>>;
}

impl AppState {
    /// Appends an audit event at the server's "now", for an event that belongs to no change (a
    /// read, a refusal); resolves once the entry is durable.
    pub async fn audit(&self, event: audit::Event) -> Result<audit::Entry, crate::error::ApiError> {
        Ok(self.audit.append_at(event, self.clock.now()).await?)
    }

    /// Begins a change: one transaction for a state change and its audit entries
    /// ([`AppState::audit_in`]), committed with [`store::Db::commit`]. Dropped before the
    /// commit — an error, a refusal — nothing of it remains (issue 26). Inside a change, write
    /// only through the change: the change holds the database's write lock.
    pub async fn change(&self) -> Result<store::Db, crate::error::ApiError> {
        Ok(self.db.begin_change().await?)
    }

    /// Appends an audit event at the server's "now" inside `change`: it commits with the
    /// change or not at all.
    pub async fn audit_in(
        &self,
        change: &store::Db,
        event: audit::Event,
    ) -> Result<audit::Entry, crate::error::ApiError> {
        Ok(self.audit.append_in(change, event, self.clock.now()).await?)
    }
}
