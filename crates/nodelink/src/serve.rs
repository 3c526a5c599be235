//! The node's side of the link: the node API over an `Arc<dyn Node>`, served over TLS that
//! admits only the centre (see [`crate::pki`]).
//!
//! Every route answers JSON except the three that carry footage: an export answers the
//! package's bytes (its description in the `X-Package` header), a still its PNG, a playback
//! chunk its fragments (the rest in headers). The node's copy of an exported package is
//! removed once sent: the centre keeps the package and its erasure.

use crate::wire::{
    ErasuresAsk, Hello, MasksAsk, MasksSourceAsk, PackageMeta, PlaybackAsk, RangeAsk, RetentionAsk,
    StillAsk, WireError,
};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use node::{Hold, Node, NodeError};
use std::sync::Arc;

type St = State<Arc<dyn Node>>;

/// The node API's routes over `node`.
pub fn router(node: Arc<dyn Node>) -> axum::Router {
    axum::Router::new()
        .route("/node/v1/hello", get(hello))
        .route("/node/v1/status", get(status))
        .route("/node/v1/export", post(export))
        .route("/node/v1/still", post(still))
        .route("/node/v1/masks", post(masks))
        .route("/node/v1/masks-source", post(masks_source))
        .route("/node/v1/playback", post(playback))
        .route("/node/v1/recorded", post(recorded))
        .route("/node/v1/retention", post(retention))
        .route("/node/v1/holds", post(holds))
        .route("/node/v1/cameras", post(cameras))
        .route("/node/v1/keys", get(keys))
        .route("/node/v1/health", get(health))
        .route("/node/v1/clock", get(clock))
        .route("/node/v1/facts", post(facts))
        .route("/node/v1/erasures", post(erasures))
        .route("/node/v1/sealing-key", get(sealing_key))
        .route("/node/v1/witness", post(witness))
        .route("/node/v1/audit-log-id", get(audit_log_id))
        .route("/node/v1/verify-audit", post(verify_audit))
        .route("/node/v1/witnessed", post(witnessed))
        .with_state(node)
}

/// A node error as an HTTP answer: 404 not recorded here, 409 refused by the records, 500 a
/// fault.
struct Fail(NodeError);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let code = match self.0 {
            NodeError::NotRecorded(_) => StatusCode::NOT_FOUND,
            NodeError::Refused(_) => StatusCode::CONFLICT,
            NodeError::Failed(_) | NodeError::Unreachable(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (code, Json(WireError::from(&self.0))).into_response()
    }
}

type Answer<T> = Result<Json<T>, Fail>;

async fn hello(State(n): St) -> Answer<Hello> {
    let cameras = n.status().await.map_err(Fail)?.into_iter().map(|s| s.camera).collect();
    Ok(Json(Hello { node: n.id().to_owned(), api: crate::API_VERSION, cameras }))
}

async fn status(State(n): St) -> Answer<Vec<node::CameraStatus>> {
    Ok(Json(n.status().await.map_err(Fail)?))
}

async fn export(State(n): St, Json(job): Json<node::ExportJob>) -> Result<Response, Fail> {
    tracing::info!(camera = %job.camera, from_ms = job.from_ms, to_ms = job.to_ms, "export asked by the centre");
    let p = n.export(job).await.map_err(Fail)?;
    let meta = PackageMeta::of(&p);
    let file = tokio::fs::File::open(&p.path).await.map_err(|e| Fail(NodeError::failed(e)))?;
    // The open file is streamed; the name goes now, so no copy stays on the node.
    if let Err(e) = tokio::fs::remove_file(&p.path).await {
        tracing::warn!(error = %e, "the node's copy of a package sent to the centre was not removed");
    }
    let mut h = HeaderMap::new();
    let json = serde_json::to_string(&meta).map_err(|e| Fail(NodeError::failed(e)))?;
    h.insert("x-package", HeaderValue::from_str(&json).map_err(|e| Fail(NodeError::failed(e)))?);
    h.insert("content-length", HeaderValue::from(p.bytes));
    h.insert("content-type", HeaderValue::from_static("application/octet-stream"));
    Ok((h, Body::from_stream(tokio_util::io::ReaderStream::new(file))).into_response())
}

async fn still(State(n): St, Json(a): Json<StillAsk>) -> Result<Response, Fail> {
    let s = n.still(&a.camera, a.within).await.map_err(Fail)?;
    let mut h = HeaderMap::new();
    h.insert("x-recorded-ms", HeaderValue::from(s.recorded_ms));
    h.insert("content-type", HeaderValue::from_static("image/png"));
    Ok((h, s.png).into_response())
}

async fn masks(State(n): St, Json(a): Json<MasksAsk>) -> Result<StatusCode, Fail> {
    n.set_masks(&a.camera, a.version, a.polygons).await.map_err(Fail)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn playback(State(n): St, Json(a): Json<PlaybackAsk>) -> Result<Response, Fail> {
    let c = n
        .playback(node::PlaybackAsk {
            camera: &a.camera,
            from_ms: a.from_ms,
            length_ms: a.length_ms,
            range: a.range,
            origin_ms: a.origin_ms,
        })
        .await
        .map_err(Fail)?;
    let mut h = HeaderMap::new();
    let header = |v: &str| HeaderValue::from_str(v).map_err(|e| Fail(NodeError::failed(e)));
    h.insert("x-codec", header(&c.codec)?);
    h.insert("x-init", header(&base64::engine::general_purpose::STANDARD.encode(&c.init))?);
    h.insert("x-start-ms", HeaderValue::from(c.start_ms));
    h.insert("x-end-ms", HeaderValue::from(c.end_ms));
    h.insert("x-frames", HeaderValue::from(c.frames));
    h.insert("x-complete", HeaderValue::from_static(if c.complete { "1" } else { "0" }));
    Ok((h, c.media).into_response())
}

async fn recorded(State(n): St, Json(a): Json<RangeAsk>) -> Answer<Vec<(i64, i64)>> {
    Ok(Json(n.recorded(&a.camera, a.from_ms, a.to_ms).await.map_err(Fail)?))
}

async fn masks_source(State(n): St, Json(a): Json<MasksSourceAsk>) -> Result<StatusCode, Fail> {
    n.set_masks_source(&a.camera, a.onvif).await.map_err(Fail)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn retention(State(n): St, Json(a): Json<RetentionAsk>) -> Result<StatusCode, Fail> {
    n.set_retention(&a.camera, a.period).await.map_err(Fail)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn holds(State(n): St, Json(h): Json<Vec<Hold>>) -> Result<StatusCode, Fail> {
    n.set_holds(h).await.map_err(Fail)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cameras(State(n): St, Json(c): Json<Vec<node::Assignment>>) -> Answer<Vec<String>> {
    Ok(Json(n.set_cameras(c).await.map_err(Fail)?))
}

async fn keys(State(n): St) -> Answer<Vec<node::FootageKey>> {
    Ok(Json(n.live_keys().await.map_err(Fail)?))
}

async fn health(State(n): St) -> Answer<node::NodeHealth> {
    Ok(Json(n.health().await.map_err(Fail)?))
}

async fn clock(State(n): St) -> Answer<Option<node::ClockReport>> {
    Ok(Json(n.clock().await.map_err(Fail)?))
}

async fn facts(State(n): St, Json(a): Json<RangeAsk>) -> Answer<node::NodeFacts> {
    Ok(Json(n.report_facts(a.from_ms, a.to_ms).await.map_err(Fail)?))
}

async fn erasures(State(n): St, Json(a): Json<ErasuresAsk>) -> Answer<Vec<node::Erasure>> {
    Ok(Json(n.erasures_since(a.after, a.limit.min(1000)).await.map_err(Fail)?))
}

async fn sealing_key(State(n): St) -> Answer<String> {
    Ok(Json(n.sealing_key().await.map_err(Fail)?))
}

async fn witness(
    State(n): St,
    Json(c): Json<audit::Checkpoint>,
) -> Answer<Option<audit::Checkpoint>> {
    Ok(Json(n.witness(c).await.map_err(Fail)?))
}

async fn audit_log_id(State(n): St) -> Answer<audit::LogId> {
    Ok(Json(n.audit_log_id().await.map_err(Fail)?))
}

async fn verify_audit(
    State(n): St,
    Json(outside): Json<Vec<audit::Checkpoint>>,
) -> Answer<audit::Report> {
    Ok(Json(n.verify_audit(outside).await.map_err(Fail)?))
}

async fn witnessed(State(n): St, Json(of): Json<audit::LogId>) -> Answer<Vec<audit::Checkpoint>> {
    Ok(Json(n.witnessed(of).await.map_err(Fail)?))
}

/// Serves the node API over TLS on `listener` until `shutdown` resolves. A client without a
/// certificate the CA issued for client authentication fails the handshake (logged, then
/// dropped); each connection is served on its own task.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    node: Arc<dyn Node>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let app = router(node);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "node API: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(
                std::time::Duration::from_secs(10),
                acceptor.accept(tcp),
            )
            .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::warn!(%peer, error = %e, "node API: TLS handshake refused");
                    return;
                }
                Err(_) => return,
            };
            let svc = hyper_util::service::TowerToHyperService::new(app);
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), svc);
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "node API connection ended");
            }
        });
    }
}
