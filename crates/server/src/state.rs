//! Shared state of a running server.

use crate::clock::Clock;
use audit::AuditLog;
use policy::Profile;
use std::sync::Arc;
use store::Db;
use store::audit_store::DbAuditStore;

/// What every handler sees.
pub struct AppState {
    /// The governance store.
    pub db: Db,
    /// The active regulation profile.
    pub profile: Arc<Profile>,
    /// The tamper-evident audit log.
    pub audit: Arc<AuditLog<DbAuditStore>>,
    /// The clock.
    pub clock: Clock,
    /// Mark cookies `Secure` (on unless explicitly turned off for plain-HTTP development).
    pub secure_cookies: bool,
    /// The recorder running in this process, if any (status only: no live view).
    pub recorder: std::sync::RwLock<Option<Arc<dyn RecorderStatus>>>,
}

/// What the server may ask a recorder: per-camera status, never a picture (ALL-REC-2).
pub trait RecorderStatus: Send + Sync {
    /// Per-camera status as JSON.
    fn status(&self) -> serde_json::Value;
}

impl AppState {
    /// Appends an audit event at the server's "now".
    pub async fn audit(&self, event: audit::Event) -> Result<audit::Entry, crate::error::ApiError> {
        Ok(self.audit.append_at(event, self.clock.now()).await?)
    }
}
