//! The centre's side of the link: a recorder node on another machine as a [`node::Node`].
//!
//! Each call is one HTTPS request over mutual TLS to the node's registered address, checked
//! against the node's registered name and enrolled certificate (see [`crate::pki`]). A node that
//! cannot be reached — down, a wrong certificate, the line cut — answers
//! [`NodeError::Unreachable`] naming the node, which the API shows as "the recorder node cannot
//! be reached"; the records' refusals and the node's faults keep their kind.

use crate::LinkError;
use crate::wire::{
    ErasuresAsk, Hello, MasksAsk, MasksSourceAsk, PackageMeta, PlaybackAsk, RangeAsk, RetentionAsk,
    StillAsk, WireError,
};
use base64::Engine;
use node::{
    CameraStatus, ExportJob, ExportedPackage, FootageKey, Hold, NodeError, NodeFacts, NodeFuture,
    NodeHealth, Polygon, Still,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long an ordinary call may take (an export streams as long as it needs).
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

struct Inner {
    id: String,
    /// The address and pinned certificate it was made for.
    made_for: (String, String),
    base: String,
    http: reqwest::Client,
    cameras: RwLock<Vec<String>>,
    exports: PathBuf,
}

/// A recorder node on another machine.
#[derive(Clone)]
pub struct RemoteNode {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RemoteNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteNode")
            .field("id", &self.inner.id)
            .field("base", &self.inner.base)
            .finish_non_exhaustive()
    }
}

impl RemoteNode {
    /// The node `id` at `address` (`host:port`) whose enrolled certificate has SHA-256 `pin`,
    /// reached with the centre's identity from `ca`; packages it exports are kept under
    /// `exports`; `cameras` is what it recorded when last heard from (refreshed by
    /// [`RemoteNode::hello`]).
    pub fn new(
        id: &str,
        address: &str,
        pin: &str,
        ca: &crate::pki::Ca,
        exports: PathBuf,
        cameras: Vec<String>,
    ) -> Result<RemoteNode, LinkError> {
        let tls = ca.client_config(pin)?;
        let addr = address
            .to_socket_addrs()
            .map_err(|e| LinkError::Setup(format!("node {id} address {address:?}: {e}")))?
            .next()
            .ok_or_else(|| LinkError::Setup(format!("node {id} address {address:?}")))?;
        let dns = crate::pki::node_dns_name(id);
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .resolve(&dns, addr)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| LinkError::Setup(e.to_string()))?;
        Ok(RemoteNode {
            inner: Arc::new(Inner {
                id: id.to_owned(),
                made_for: (address.to_owned(), pin.to_owned()),
                base: format!("https://{dns}:{}/node/v{}", addr.port(), crate::API_VERSION),
                http,
                cameras: RwLock::new(cameras),
                exports,
            }),
        })
    }

    /// Whether this is the node at `address` with the certificate pinned as `pin`.
    pub fn is(&self, address: &str, pin: &str) -> bool {
        self.inner.made_for.0 == address && self.inner.made_for.1 == pin
    }

    /// Asks the node who it is and what it records, and keeps the camera list.
    pub async fn hello(&self) -> Result<Hello, NodeError> {
        let h: Hello = self.inner.get("/hello").await?;
        if h.node != self.inner.id {
            return Err(NodeError::Unreachable(format!(
                "node {} answered as {:?}",
                self.inner.id, h.node
            )));
        }
        *self.inner.cameras.write().unwrap_or_else(|p| p.into_inner()) = h.cameras.clone();
        Ok(h)
    }

    /// The cameras the node recorded when last heard from.
    pub fn cameras(&self) -> Vec<String> {
        self.inner.cameras.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The cause chain of a transport error, for the person reading why a node is unreachable.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

impl Inner {
    fn unreachable(&self, e: &reqwest::Error) -> NodeError {
        NodeError::Unreachable(format!("{}: {}", self.id, chain(e)))
    }

    async fn check(&self, r: reqwest::Response) -> Result<reqwest::Response, NodeError> {
        if r.status().is_success() {
            return Ok(r);
        }
        let status = r.status();
        match r.json::<WireError>().await {
            Ok(w) => Err(w.into()),
            Err(_) => Err(NodeError::Failed(format!("node {} answered {status}", self.id))),
        }
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<reqwest::Response, NodeError> {
        let r = rb.send().await.map_err(|e| self.unreachable(&e))?;
        self.check(r).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, NodeError> {
        let rb = self.http.get(format!("{}{path}", self.base)).timeout(CALL_TIMEOUT);
        let r = self.send(rb).await?;
        r.json().await.map_err(|e| self.unreachable(&e))
    }

    async fn post_raw<B: Serialize>(
        &self,
        path: &str,
        body: &B,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, NodeError> {
        let mut rb = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = timeout {
            rb = rb.timeout(t);
        }
        self.send(rb).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, NodeError> {
        let r = self.post_raw(path, body, Some(CALL_TIMEOUT)).await?;
        r.json().await.map_err(|e| self.unreachable(&e))
    }

    async fn post_empty<B: Serialize>(&self, path: &str, body: &B) -> Result<(), NodeError> {
        self.post_raw(path, body, Some(CALL_TIMEOUT)).await.map(|_| ())
    }

    /// Asks for the export and keeps the package's bytes under `exports`, checking their size.
    async fn export(&self, job: ExportJob) -> Result<ExportedPackage, NodeError> {
        let mut r = self.post_raw("/export", &job, None).await?;
        let meta: PackageMeta = r
            .headers()
            .get("x-package")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_str(v).ok())
            .ok_or_else(|| {
                NodeError::Failed(format!(
                    "node {} sent a package without its description",
                    self.id
                ))
            })?;
        let name = std::path::Path::new(&meta.file_name)
            .file_name()
            .filter(|n| !n.is_empty())
            .map(|n| n.to_owned())
            .ok_or_else(|| NodeError::Failed(format!("node {}: no package name", self.id)))?;
        tokio::fs::create_dir_all(&self.exports).await.map_err(NodeError::failed)?;
        let path = self.exports.join(name);
        let part = path.with_extension("part");
        let written = async {
            use tokio::io::AsyncWriteExt;
            let mut f = tokio::fs::File::create(&part).await.map_err(NodeError::failed)?;
            let mut n = 0u64;
            while let Some(chunk) = r.chunk().await.map_err(|e| self.unreachable(&e))? {
                n += chunk.len() as u64;
                f.write_all(&chunk).await.map_err(NodeError::failed)?;
            }
            f.sync_all().await.map_err(NodeError::failed)?;
            if n != meta.bytes {
                return Err(NodeError::Unreachable(format!(
                    "{}: the package arrived cut ({n} of {} bytes)",
                    self.id, meta.bytes
                )));
            }
            tokio::fs::rename(&part, &path).await.map_err(NodeError::failed)
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e);
        }
        Ok(ExportedPackage {
            id: meta.id,
            camera: meta.camera,
            path,
            manifest_sha256: meta.manifest_sha256,
            bytes: meta.bytes,
            frames: meta.frames,
            delivered: meta.delivered,
            encrypted: meta.encrypted,
        })
    }
}

fn header_i64(h: &reqwest::header::HeaderMap, name: &str) -> Result<i64, NodeError> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| NodeError::Failed(format!("the node's answer lacks {name}")))
}

impl node::Node for RemoteNode {
    fn id(&self) -> &str {
        &self.inner.id
    }

    fn records(&self, camera: &str) -> bool {
        self.inner.cameras.read().unwrap_or_else(|p| p.into_inner()).iter().any(|c| c == camera)
    }

    fn status(&self) -> NodeFuture<Vec<CameraStatus>> {
        let i = self.inner.clone();
        Box::pin(async move {
            let s: Vec<CameraStatus> = i.get("/status").await?;
            *i.cameras.write().unwrap_or_else(|p| p.into_inner()) =
                s.iter().map(|c| c.camera.clone()).collect();
            Ok(s)
        })
    }

    fn export(&self, job: ExportJob) -> NodeFuture<ExportedPackage> {
        let i = self.inner.clone();
        Box::pin(async move { i.export(job).await })
    }

    fn still(&self, camera: &str, within: Option<(i64, i64)>) -> NodeFuture<Still> {
        let i = self.inner.clone();
        let ask = StillAsk { camera: camera.to_owned(), within };
        Box::pin(async move {
            let r = i.post_raw("/still", &ask, Some(CALL_TIMEOUT)).await?;
            let recorded_ms = header_i64(r.headers(), "x-recorded-ms")?;
            let png = r.bytes().await.map_err(|e| i.unreachable(&e))?.to_vec();
            Ok(Still { png, recorded_ms })
        })
    }

    fn set_masks(&self, camera: &str, version: i64, polygons: Vec<Polygon>) -> NodeFuture<()> {
        let i = self.inner.clone();
        let ask = MasksAsk { camera: camera.to_owned(), version, polygons };
        Box::pin(async move { i.post_empty("/masks", &ask).await })
    }

    fn set_masks_source(&self, camera: &str, onvif: Option<String>) -> NodeFuture<()> {
        let i = self.inner.clone();
        let ask = MasksSourceAsk { camera: camera.to_owned(), onvif };
        Box::pin(async move { i.post_empty("/masks-source", &ask).await })
    }

    fn playback(&self, ask: node::PlaybackAsk<'_>) -> NodeFuture<node::PlaybackChunk> {
        let i = self.inner.clone();
        let ask = PlaybackAsk {
            camera: ask.camera.to_owned(),
            from_ms: ask.from_ms,
            length_ms: ask.length_ms,
            range: ask.range,
            origin_ms: ask.origin_ms,
        };
        Box::pin(async move {
            let r = i.post_raw("/playback", &ask, Some(CALL_TIMEOUT)).await?;
            let h = r.headers().clone();
            let text = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let init = base64::engine::general_purpose::STANDARD
                .decode(text("x-init"))
                .map_err(NodeError::failed)?;
            let media = r.bytes().await.map_err(|e| i.unreachable(&e))?.to_vec();
            Ok(node::PlaybackChunk {
                codec: text("x-codec").to_owned(),
                init,
                media,
                start_ms: header_i64(&h, "x-start-ms")?,
                end_ms: header_i64(&h, "x-end-ms")?,
                frames: u32::try_from(header_i64(&h, "x-frames")?).unwrap_or(0),
                complete: text("x-complete") == "1",
            })
        })
    }

    fn recorded(&self, camera: &str, from_ms: i64, to_ms: i64) -> NodeFuture<Vec<(i64, i64)>> {
        let i = self.inner.clone();
        let ask = RangeAsk { camera: camera.to_owned(), from_ms, to_ms };
        Box::pin(async move { i.post("/recorded", &ask).await })
    }

    fn set_retention(&self, camera: &str, period: policy::retention::Period) -> NodeFuture<()> {
        let i = self.inner.clone();
        let ask = RetentionAsk { camera: camera.to_owned(), period };
        Box::pin(async move { i.post_empty("/retention", &ask).await })
    }

    fn set_holds(&self, holds: Vec<Hold>) -> NodeFuture<()> {
        let i = self.inner.clone();
        Box::pin(async move { i.post_empty("/holds", &holds).await })
    }

    fn set_cameras(&self, cameras: Vec<node::Assignment>) -> NodeFuture<Vec<String>> {
        let i = self.inner.clone();
        Box::pin(async move {
            let now: Vec<String> = i.post("/cameras", &cameras).await?;
            *i.cameras.write().unwrap_or_else(|p| p.into_inner()) = now.clone();
            Ok(now)
        })
    }

    fn live_keys(&self) -> NodeFuture<Vec<FootageKey>> {
        let i = self.inner.clone();
        Box::pin(async move { i.get("/keys").await })
    }

    fn health(&self) -> NodeFuture<NodeHealth> {
        let i = self.inner.clone();
        Box::pin(async move { i.get("/health").await })
    }

    fn clock(&self) -> NodeFuture<Option<node::ClockReport>> {
        let i = self.inner.clone();
        Box::pin(async move { i.get("/clock").await })
    }

    fn report_facts(&self, from_ms: i64, to_ms: i64) -> NodeFuture<NodeFacts> {
        let i = self.inner.clone();
        let ask = RangeAsk { camera: String::new(), from_ms, to_ms };
        Box::pin(async move { i.post("/facts", &ask).await })
    }

    fn erasures_since(&self, after: i64, limit: u32) -> NodeFuture<Vec<node::Erasure>> {
        let i = self.inner.clone();
        Box::pin(async move { i.post("/erasures", &ErasuresAsk { after, limit }).await })
    }

    fn sealing_key(&self) -> NodeFuture<String> {
        let i = self.inner.clone();
        Box::pin(async move { i.get("/sealing-key").await })
    }

    fn witness(&self, server: audit::Checkpoint) -> NodeFuture<Option<audit::Checkpoint>> {
        let i = self.inner.clone();
        Box::pin(async move { i.post("/witness", &server).await })
    }

    fn audit_log_id(&self) -> NodeFuture<audit::LogId> {
        let i = self.inner.clone();
        Box::pin(async move { i.get("/audit-log-id").await })
    }

    fn verify_audit(&self, outside: Vec<audit::Checkpoint>) -> NodeFuture<audit::Report> {
        let i = self.inner.clone();
        Box::pin(async move { i.post("/verify-audit", &outside).await })
    }

    fn witnessed(&self, of: audit::LogId) -> NodeFuture<Vec<audit::Checkpoint>> {
        let i = self.inner.clone();
        Box::pin(async move { i.post("/witnessed", &of).await })
    }
}
