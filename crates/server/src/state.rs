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
    /// The recorder node this server governs, when there is one ([`AppState::attach_node`]).
    /// Without one, an extraction records the package id and manifest hash of a package made on
    /// the node.
    pub(crate) node: std::sync::RwLock<Option<Arc<dyn node::Node>>>,
    /// The recorder nodes on other machines, enrolled and not revoked ([`crate::fleet`]).
    pub(crate) fleet: std::sync::RwLock<Vec<Arc<nodelink::remote::RemoteNode>>>,
    /// This process among the central processes sharing the database: the holder named in
    /// the leases of background jobs ([`AppState::leased`]).
    pub instance: String,
    /// The digest of the camera assignments last sent to each remote node ([`crate::fleet`]).
    pub(crate) fleet_sent: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// Where evidence packages wait for their extractor ([`AppState::set_package_store`]).
    pub(crate) packages: std::sync::RwLock<crate::packages::PackageStore>,
    /// Where the fleet's CA and the packages remote nodes sent are kept (beside the signing key).
    pub fleet_dir: std::path::PathBuf,
    /// The task that signs and witnesses the audit log on a timer, and how to stop it
    /// ([`crate::audit_watch`]).
    pub audit_watch: tokio::sync::Mutex<Option<WatchTask>>,
    /// What the check at start found wrong with the recorder's audit log (empty: nothing).
    pub node_audit_findings: std::sync::RwLock<Vec<String>>,
    /// Submissions of the public contact form per client address (PROD-RATE-1).
    pub public_form_rate: crate::limits::SourceRate,
    /// Attempts to redeem a workstation enrolment link per client address (PROD-RATE-1).
    pub enrol_rate: crate::limits::SourceRate,
    /// Seals the TOTP seeds in the store (ASVS V6.4).
    pub seed_key: crate::secrets::SeedKey,
    /// The networks cameras may be in (empty: any); see [`AppState::set_camera_networks`].
    pub(crate) camera_networks: std::sync::RwLock<Vec<ipnet::IpNet>>,
    /// Calls, latency and logins counted for `/metrics` ([`crate::metrics`]).
    pub metrics: crate::metrics::HttpMetrics,
    /// The bearer token `/metrics` requires; `None`: not served ([`AppState::set_metrics_token`]).
    pub(crate) metrics_token: std::sync::RwLock<Option<String>>,
    /// The city's directory, when staff log in with it ([`AppState::set_directory`]).
    pub(crate) directory: std::sync::RwLock<Option<Arc<crate::directory::Directory>>>,
    /// The city's emblem for the pages' header ([`AppState::set_emblem`]).
    pub(crate) emblem: std::sync::RwLock<Option<Arc<crate::emblem::Emblem>>>,
    /// Each clock's last standing (within tolerance or not), by host ([`crate::clockwatch`]).
    pub(crate) clock_standing: std::sync::Mutex<std::collections::HashMap<String, bool>>,
}

/// A running [`crate::audit_watch::run`].
pub struct WatchTask {
    /// Resolves the task's stop.
    pub stop: tokio::sync::oneshot::Sender<()>,
    /// The task: it ends after writing `audit.close` and its checkpoint.
    pub task: tokio::task::JoinHandle<()>,
}

impl AppState {
    /// Attaches the recorder node this server governs (its status, exports, stills, masks,
    /// holds and audit witnessing go through it).
    pub fn attach_node(&self, node: Arc<dyn node::Node>) {
        *self.node.write().unwrap_or_else(|p| p.into_inner()) = Some(node);
    }

    /// Keeps evidence packages in `store` from now on (an S3-compatible store every central
    /// process reaches, or this machine's disk).
    pub fn set_package_store(&self, store: crate::packages::PackageStore) {
        *self.packages.write().unwrap_or_else(|p| p.into_inner()) = store;
    }

    /// Where evidence packages are kept.
    pub fn package_store(&self) -> crate::packages::PackageStore {
        self.packages.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Lets staff log in with the city's directory (`None`: local accounts only).
    pub fn set_directory(&self, directory: Option<Arc<crate::directory::Directory>>) {
        *self.directory.write().unwrap_or_else(|p| p.into_inner()) = directory;
    }

    /// Shows `emblem` in the pages' header (`None`: the city's name alone).
    pub fn set_emblem(&self, emblem: Option<crate::emblem::Emblem>) {
        *self.emblem.write().unwrap_or_else(|p| p.into_inner()) = emblem.map(Arc::new);
    }

    /// The city's emblem, when configured.
    pub fn emblem(&self) -> Option<Arc<crate::emblem::Emblem>> {
        self.emblem.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The city's directory, when configured.
    pub fn directory(&self) -> Option<Arc<crate::directory::Directory>> {
        self.directory.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Serves `/metrics` to scrapes that send this bearer token (`None`: not served).
    pub fn set_metrics_token(&self, token: Option<String>) {
        *self.metrics_token.write().unwrap_or_else(|p| p.into_inner()) = token;
    }

    /// The bearer token `/metrics` requires, when it is served.
    pub fn metrics_token(&self) -> Option<String> {
        self.metrics_token.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Limits camera stream addresses to these networks (the operator's allow-list): a camera
    /// registered by IP address outside them is refused (issue 16).
    pub fn set_camera_networks(&self, nets: Vec<ipnet::IpNet>) {
        *self.camera_networks.write().unwrap_or_else(|p| p.into_inner()) = nets;
    }

    /// The allowed camera networks (empty: any).
    pub fn camera_networks(&self) -> Vec<ipnet::IpNet> {
        self.camera_networks.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The recorder node in this process, if one is attached.
    pub fn node(&self) -> Option<Arc<dyn node::Node>> {
        self.node.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Every recorder node this centre governs: the one in this process, then the enrolled
    /// nodes on other machines (issue 21).
    pub fn nodes(&self) -> Vec<Arc<dyn node::Node>> {
        let mut out: Vec<Arc<dyn node::Node>> = self.node().into_iter().collect();
        let fleet = self.fleet.read().unwrap_or_else(|p| p.into_inner());
        out.extend(fleet.iter().map(|n| n.clone() as Arc<dyn node::Node>));
        out
    }

    /// The recorder node that records `camera`, if any.
    pub fn node_for(&self, camera: &str) -> Option<Arc<dyn node::Node>> {
        self.nodes().into_iter().find(|n| n.records(camera))
    }

    /// Whether any recorder node is attached or enrolled: without one, an extraction records
    /// the id and hash of a package made elsewhere.
    pub fn has_nodes(&self) -> bool {
        self.node().is_some() || !self.fleet.read().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    /// The remote nodes, by name.
    pub fn remote_nodes(&self) -> Vec<Arc<nodelink::remote::RemoteNode>> {
        self.fleet.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the remote nodes ([`crate::fleet::refresh`]).
    pub fn set_remote_nodes(&self, nodes: Vec<Arc<nodelink::remote::RemoteNode>>) {
        *self.fleet.write().unwrap_or_else(|p| p.into_inner()) = nodes;
    }

    /// Whether this process holds (took or renewed) the lease `name` for `ttl`: a background
    /// job runs in one central process at a time (issue 21, item 6). A store error: not held.
    pub async fn leased(&self, name: &str, ttl: std::time::Duration) -> bool {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        match self.db.take_lease(name, &self.instance, self.clock.now_ms(), ttl_ms).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(lease = name, error = %e, "lease not taken");
                false
            }
        }
    }

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
