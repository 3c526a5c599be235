//! `/metrics`: the server and its recorder node in the Prometheus exposition format (issue 22,
//! item 3), for the city's Prometheus/Grafana or Zabbix.
//!
//! - **Deny by default.** Without a token configured (`[metrics] token_file`) the endpoint is
//!   not there (404); with one, a scrape must send it as a bearer token (Prometheus'
//!   `authorization: { credentials_file: … }`). The figures hold no picture, no personal data
//!   and no request's content: counts, sizes, instants, camera codes and route templates.
//! - **What it says**: per route, calls by status and their latency; logins by outcome;
//!   sessions in force; duties due and lapsed; the audit chain's head, the age of its last
//!   signed checkpoint and whether it is halted; per camera frames, bytes, gaps, lag, reconnects
//!   and losses; per node free disk, oldest footage, segments, keys held and erasures.
//!
//! Counters that live across scrapes (calls, latency, logins) are kept in [`HttpMetrics`]; the
//! rest is read from the store and the node at each scrape, so it is never stale.

use crate::error::{ApiError, Msg};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use policy::duties::Standing;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

/// The content type of the OpenMetrics text format (which Prometheus scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The login route, whose answers are also counted as logins.
const LOGIN_ROUTE: &str = "/api/v1/auth/login";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DutyLabels {
    duty: String,
    standing: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeLabels {
    node: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CameraLabels {
    node: String,
    camera: String,
}

/// One of a camera's counters, read from its status.
type CameraFigure = fn(&node::CameraStatus) -> u64;

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms … ~4 s: a page, a list, an export's start.
    Histogram::new(exponential_buckets(0.001, 2.0, 13))
}

/// The counters that live across scrapes.
pub struct HttpMetrics {
    calls: Family<CallLabels, Counter>,
    latency: LatencyFamily,
    logins: Family<OutcomeLabels, Counter>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            calls: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            logins: Family::default(),
        }
    }
}

impl HttpMetrics {
    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.calls
            .get_or_create(&CallLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method: method.to_owned(), route: route.to_owned() })
            .observe(seconds);
        if route == LOGIN_ROUTE && method == "POST" {
            let outcome = match status.as_u16() {
                200..=299 => "success",
                401 => "failure",
                400..=499 => "refused",
                _ => "error",
            };
            self.logins.get_or_create(&OutcomeLabels { outcome }).inc();
        }
    }
}

/// Middleware: counts every API call by its route template (never its concrete path, which
/// would name requests and accounts) and status, and times it.
pub async fn track(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let resp = next.run(req).await;
    st.metrics.observe(&method, &route, resp.status(), start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics`.
pub async fn scrape(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(token) = st.metrics_token() else {
        return ApiError::not_found(Msg::new("no_endpoint")).into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // blake3's hashes compare in constant time: the comparison tells nothing of the token.
    if !given.is_some_and(|g| blake3::hash(g.as_bytes()) == blake3::hash(token.as_bytes())) {
        tracing::warn!(client = ?crate::limits::peer(&headers), "a /metrics scrape without the configured token");
        let mut resp = ApiError::unauthenticated(Msg::new("metrics_token")).into_response();
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return resp;
    }
    match render(&st).await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The exposition text of everything `/metrics` says, now.
pub async fn render(st: &AppState) -> Result<String, ApiError> {
    let now_ms = st.clock.now_ms();
    let mut reg = Registry::with_prefix("mimamori");
    reg.register(
        "http_requests",
        "API calls by route template and status",
        st.metrics.calls.clone(),
    );
    reg.register(
        "http_request_duration_seconds",
        "Time to answer an API call, by route template",
        st.metrics.latency.clone(),
    );
    reg.register("logins", "Login attempts by outcome", st.metrics.logins.clone());

    let sessions = Family::<KindLabels, Gauge>::default();
    for kind in [store::accounts::SessionKind::Cookie, store::accounts::SessionKind::Bearer] {
        let _ = sessions.get_or_create(&KindLabels { kind: kind.as_str().into() });
    }
    for (kind, n) in st.db.live_session_counts(now_ms).await? {
        sessions.get_or_create(&KindLabels { kind }).set(n);
    }
    reg.register(
        "sessions",
        "Sessions and API tokens in force (not expired, not revoked)",
        sessions,
    );

    let duties = Family::<DutyLabels, Gauge>::default();
    for d in &st.profile.duties {
        for standing in ["due", "lapsed"] {
            let _ = duties.get_or_create(&DutyLabels { duty: d.id.clone(), standing });
        }
    }
    for o in crate::duties::open_occurrences(st, &st.db).await? {
        let standing = match o.standing {
            Standing::Due => "due",
            Standing::Lapsed => "lapsed",
            Standing::NotYet => continue,
        };
        duties.get_or_create(&DutyLabels { duty: o.duty.id.clone(), standing }).inc();
    }
    reg.register("duties", "Occurrences of the profile's duties owed and not done", duties);

    let pos = st.audit.store().position_in(&st.db).await.map_err(ApiError::from)?;
    let head = Gauge::<i64>::default();
    head.set(pos.head.map_or(0, |h| i64::try_from(h.seq).unwrap_or(i64::MAX)));
    reg.register("audit_head_seq", "Sequence number of the audit log's last entry", head);
    if let Some((_, at)) = pos.last_checkpoint {
        let age = Gauge::<f64, AtomicU64>::default();
        age.set((now_ms - at.as_millisecond()).max(0) as f64 / 1000.0);
        reg.register(
            "audit_checkpoint_age_seconds",
            "Time since the audit log's last signed checkpoint",
            age,
        );
    }
    let halted = Gauge::<i64>::default();
    halted.set(i64::from(st.audit.halted().is_some()));
    reg.register("audit_halted", "1 while the audit log is halted (failed verification)", halted);

    if let Some(node) = st.node() {
        node_metrics(&mut reg, node.as_ref(), now_ms).await;
    }
    clock_metrics(&mut reg, &crate::clockwatch::clocks(st).await);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &reg)
        .map_err(|_| ApiError::internal("writing the metrics"))?;
    Ok(text)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostLabels {
    host: String,
}

/// Each clock (the centre's, the node's): synchronised, within tolerance, worst-case error and
/// offset (PROD-TIME-1).
fn clock_metrics(reg: &mut Registry, clocks: &[crate::clockwatch::ClockStatus]) {
    let synced = Family::<HostLabels, Gauge>::default();
    let within = Family::<HostLabels, Gauge>::default();
    let max_error = Family::<HostLabels, Gauge<f64, AtomicU64>>::default();
    let offset = Family::<HostLabels, Gauge<f64, AtomicU64>>::default();
    for c in clocks {
        let l = HostLabels { host: c.host.clone() };
        synced.get_or_create(&l).set(i64::from(c.synchronised));
        within.get_or_create(&l).set(i64::from(c.within_tolerance));
        max_error.get_or_create(&l).set(c.max_error_ms / 1000.0);
        offset.get_or_create(&l).set((c.offset_ms + c.from_centre_ms.unwrap_or(0) as f64) / 1000.0);
    }
    reg.register("clock_synchronised", "1 when the kernel reports the clock synchronised", synced);
    reg.register(
        "clock_within_tolerance",
        "1 when the clock is within the profile's tolerance",
        within,
    );
    reg.register("clock_max_error_seconds", "The clock's worst-case error", max_error);
    reg.register(
        "clock_offset_seconds",
        "The clock's offset being corrected, plus its distance from the centre's",
        offset,
    );
}

/// The node's figures; a node that does not answer says so (`node_up 0`) instead of failing the
/// scrape.
async fn node_metrics(reg: &mut Registry, node: &dyn node::Node, now_ms: i64) {
    let id = node.id().to_owned();
    let up = Family::<NodeLabels, Gauge>::default();
    let status = node.status().await;
    let health = node.health().await;
    up.get_or_create(&NodeLabels { node: id.clone() })
        .set(i64::from(status.is_ok() && health.is_ok()));
    reg.register("node_up", "1 when the recorder node answered this scrape", up);
    if let Ok(h) = health {
        let labels = NodeLabels { node: id.clone() };
        if let Some(free) = h.disk_free_bytes {
            let g = Family::<NodeLabels, Gauge>::default();
            g.get_or_create(&labels).set(i64::try_from(free).unwrap_or(i64::MAX));
            reg.register("node_disk_free_bytes", "Free space on the node's data directory", g);
        }
        if let Some(oldest) = h.oldest_footage_ms {
            let g = Family::<NodeLabels, Gauge<f64, AtomicU64>>::default();
            g.get_or_create(&labels).set((now_ms - oldest).max(0) as f64 / 1000.0);
            reg.register(
                "node_oldest_footage_age_seconds",
                "Age of the oldest footage the node holds (retention at work keeps it bounded)",
                g,
            );
        }
        for (name, help, v) in [
            ("node_segments", "Sealed segments held", h.segments),
            ("node_footage_bytes", "Bytes of sealed segments held", h.footage_bytes),
            ("node_keys_held", "Footage keys held (camera-days not yet erased)", h.keys_held),
        ] {
            let g = Family::<NodeLabels, Gauge>::default();
            g.get_or_create(&labels).set(i64::try_from(v).unwrap_or(i64::MAX));
            reg.register(name, help, g);
        }
        let erased = Family::<NodeLabels, Counter>::default();
        erased.get_or_create(&labels).inc_by(h.erased_camera_days);
        reg.register("node_erasures", "Erasures: camera-days whose key was destroyed", erased);
    }
    let Ok(cameras) = status else { return };
    let counters: [(&str, &str, CameraFigure); 6] = [
        ("camera_frames", "Frames stored since the recorder started", |c| c.frames),
        ("camera_bytes", "Bytes of access units stored since the recorder started", |c| c.bytes),
        ("camera_reconnects", "Times the stream was lost and connected again", |c| c.reconnects),
        ("camera_dropped_frames", "Frames not stored (before a keyframe, on a full disk)", |c| {
            c.dropped
        }),
        ("camera_lost_packets", "RTP packets the camera sent that never arrived", |c| {
            c.lost_packets
        }),
        ("camera_bad_packets", "Malformed packets skipped", |c| c.bad_packets),
    ];
    for (name, help, get) in counters {
        let f = Family::<CameraLabels, Counter>::default();
        for c in &cameras {
            f.get_or_create(&CameraLabels { node: id.clone(), camera: c.camera.clone() })
                .inc_by(get(c));
        }
        reg.register(name, help, f);
    }
    let recording = Family::<CameraLabels, Gauge>::default();
    let gaps = Family::<CameraLabels, Gauge>::default();
    let bitrate = Family::<CameraLabels, Gauge>::default();
    let lag = Family::<CameraLabels, Gauge<f64, AtomicU64>>::default();
    for c in &cameras {
        let l = CameraLabels { node: id.clone(), camera: c.camera.clone() };
        recording.get_or_create(&l).set(i64::from(c.state == node::CameraState::Recording));
        gaps.get_or_create(&l).set(i64::from(c.gaps_today));
        bitrate.get_or_create(&l).set(i64::try_from(c.bitrate_bps).unwrap_or(i64::MAX));
        if let Some(last) = c.last_frame_ms {
            lag.get_or_create(&l).set((now_ms - last).max(0) as f64 / 1000.0);
        }
    }
    reg.register("camera_recording", "1 while the camera is recorded", recording);
    reg.register("camera_gaps_today", "Gaps in the camera's recording today (JST)", gaps);
    reg.register("camera_bitrate_bps", "The camera's recent bitrate", bitrate);
    reg.register("camera_lag_seconds", "Time since the camera's last frame was stored", lag);
}
