//! What one client can take from the server (issue 16, M10, M11; ASVS 4.0 V13/V14).
//!
//! - **Connections** ([`serve_limited`]): at most [`Limits::connections`] open at once and
//!   [`Limits::per_source`] from one address; a connection that has not sent its request headers
//!   within [`Limits::header_read`] is closed. 20 000 half-open connections from one client can
//!   no longer use up the file descriptors every other call needs. Written here rather than with
//!   `axum::serve` because that has neither limit nor a header-read timeout; the connection
//!   handling itself is hyper's (HTTP/1.1), TLS rustls' when the configuration names a
//!   certificate ([`Limits::tls`]; HTTP/2 is a reverse proxy's).
//! - **The client address** of every request is put in the `x-mimamori-peer` header by the
//!   accept loop (a value sent by the client is replaced), so the API — also when the web
//!   application calls it in process with the browser's headers — knows who is asking. Behind a
//!   reverse proxy on the same machine or at an address the operator trusts
//!   ([`Limits::trusted_proxies`], the configuration's `trusted_proxies`), the proxy's
//!   `X-Forwarded-For` names the client.
//! - **Per-source rates** ([`SourceRate`]): the public contact form takes ten submissions per
//!   address and hour (M11: 300 complaints in one second, each with a deadline and an audit
//!   entry, before this).

use axum::Router;
use axum::http::HeaderValue;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The header carrying the client's address, set by the accept loop.
pub const PEER_HEADER: &str = "x-mimamori-peer";

/// Connection limits, and whom to believe about the client's address.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at most.
    pub connections: usize,
    /// Open connections from one address at most.
    pub per_source: usize,
    /// A connection must send its request headers within this.
    pub header_read: Duration,
    /// Reverse proxies (besides loopback) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// Serve HTTPS with this certificate and key (`None`: plain HTTP, for a reverse proxy on
    /// the same machine or loopback use). The handshake must finish within `header_read`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Default for Limits {
    fn default() -> Self {
        // Generous per address: a reverse proxy on the same machine brings every client through
        // one address (its upstream pool); what stops a flood is the header-read timeout.
        Limits {
            connections: 4096,
            per_source: 1024,
            header_read: Duration::from_secs(10),
            trusted_proxies: Arc::from(Vec::new()),
            tls: None,
        }
    }
}

/// Open connections per address.
#[derive(Default)]
struct Sources(Mutex<HashMap<IpAddr, usize>>);

impl Sources {
    fn enter(&self, ip: IpAddr, max: usize) -> bool {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(ip).or_insert(0);
        if *n >= max {
            return false;
        }
        *n += 1;
        true
    }

    fn leave(&self, ip: IpAddr) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&ip);
            }
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves, then lets the
/// requests under way finish (at most 30 s).
pub async fn serve_limited(
    router: Router,
    listener: tokio::net::TcpListener,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    let sources = Arc::new(Sources::default());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or similar: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection refused: the server's connection limit is reached");
            continue;
        };
        let ip = peer.ip();
        if !sources.enter(ip, limits.per_source) {
            tracing::warn!(%peer, "connection refused: too many connections from this address");
            continue;
        }
        let trusted = limits.trusted_proxies.clone();
        let svc = tower::ServiceExt::map_request(
            router.clone(),
            move |mut req: hyper::Request<hyper::body::Incoming>| {
                let value =
                    HeaderValue::from_str(&client_address(ip, &trusted, req.headers())).ok();
                let headers = req.headers_mut();
                headers.remove(PEER_HEADER);
                if let Some(v) = value {
                    headers.insert(PEER_HEADER, v);
                }
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                req
            },
        );
        let svc = hyper_util::service::TowerToHyperService::new(svc);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
        let sources = sources.clone();
        let watcher = graceful.watcher();
        let tls = limits.tls.clone();
        let handshake_within = limits.header_read;
        // The TLS handshake runs in the connection's own task, so a slow client never holds
        // up the accept loop.
        tokio::spawn(async move {
            match tls {
                None => {
                    let _ =
                        watcher.watch(builder.serve_connection(TokioIo::new(stream), svc)).await;
                }
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    match tokio::time::timeout(handshake_within, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let conn = builder.serve_connection(TokioIo::new(tls_stream), svc);
                            let _ = watcher.watch(conn).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake not finished in time"),
                    }
                }
            }
            drop(permit);
            sources.leave(ip);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still under way after 30 s at shutdown were cut");
    }
    Ok(())
}

/// A TLS server configuration from PEM files: the certificate chain (the server's first) and
/// its private key (PKCS#8, SEC1 or PKCS#1), with rustls' safe defaults (TLS 1.2 and 1.3).
pub fn tls_config(
    cert_file: &std::path::Path,
    key_file: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(|i| i.collect::<Result<_, _>>())
        .map_err(|e| format!("{}: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", cert_file.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("{}: {e}", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("{} and {}: {e}", cert_file.display(), key_file.display()))?;
    Ok(Arc::new(config))
}

/// The client's address: the peer's, or — when the peer is a reverse proxy on this machine
/// (a loopback address) or one the operator trusts — the last address it put in
/// `X-Forwarded-For`. Nobody else is trusted to name the client.
fn client_address(
    peer: IpAddr,
    trusted: &[ipnet::IpNet],
    headers: &axum::http::HeaderMap,
) -> String {
    if peer.is_loopback() || trusted.iter().any(|n| n.contains(&peer)) {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .next_back();
        if let Some(a) = forwarded {
            return a.to_string();
        }
    }
    peer.to_string()
}

/// The client's address, as the accept loop recorded it.
pub fn peer(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get(PEER_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// At most `max` events per address within `window` (a sliding window, on the server clock).
pub struct SourceRate {
    max: usize,
    window_ms: i64,
    seen: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl SourceRate {
    /// `max` events per `window`.
    pub fn new(max: usize, window: Duration) -> SourceRate {
        SourceRate {
            max,
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an event from `source` at `now_ms`; `Err(retry_after_s)` when over the limit
    /// (the event is then not counted).
    pub fn check(&self, source: &str, now_ms: i64) -> Result<(), i64> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded memory: addresses with nothing left in the window are dropped now and then.
        if seen.len() > 10_000 {
            let w = self.window_ms;
            seen.retain(|_, q| q.back().is_some_and(|t| now_ms - t < w));
        }
        let q = seen.entry(source.to_owned()).or_default();
        while q.front().is_some_and(|t| now_ms - t >= self.window_ms) {
            q.pop_front();
        }
        if q.len() >= self.max {
            let oldest = q.front().copied().unwrap_or(now_ms);
            return Err(((oldest + self.window_ms - now_ms) / 1000).max(1));
        }
        q.push_back(now_ms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gets_its_share_and_then_waits() {
        let r = SourceRate::new(3, Duration::from_secs(3600));
        for i in 0..3 {
            assert!(r.check("10.0.0.1", i).is_ok());
        }
        assert_eq!(r.check("10.0.0.1", 10), Err(3599));
        assert!(r.check("10.0.0.2", 10).is_ok(), "another address has its own share");
        assert!(r.check("10.0.0.1", 3_600_000).is_ok(), "the first one left the window");
    }

    #[test]
    fn only_a_local_or_trusted_proxy_names_the_client() {
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.7, 203.0.113.9"));
        let local: IpAddr = IpAddr::from([127, 0, 0, 1]);
        let remote: IpAddr = IpAddr::from([192, 0, 2, 1]);
        assert_eq!(client_address(local, &[], &h), "203.0.113.9");
        assert_eq!(
            client_address(remote, &[], &h),
            "192.0.2.1",
            "a remote peer cannot name another"
        );
        assert_eq!(client_address(local, &[], &axum::http::HeaderMap::new()), "127.0.0.1");
        // issue 22, item 1 — a proxy on another machine the operator named in the configuration.
        let trusted: Vec<ipnet::IpNet> = vec!["192.0.2.0/28".parse().unwrap()];
        assert_eq!(client_address(remote, &trusted, &h), "203.0.113.9");
        let other: IpAddr = IpAddr::from([192, 0, 2, 100]);
        assert_eq!(client_address(other, &trusted, &h), "192.0.2.100", "outside the trusted net");
    }

    #[test]
    fn connections_per_source_are_counted() {
        let s = Sources::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(s.enter(ip, 2) && s.enter(ip, 2));
        assert!(!s.enter(ip, 2));
        s.leave(ip);
        assert!(s.enter(ip, 2));
    }
}
