//! A node's one enrolment with the centre: its signing request and the one-time token the
//! centre issued when the node was registered, sent to `POST /api/v1/nodes/enrol`; the answer
//! (its registered name, its certificate, the CA's) kept in its data directory.

use crate::LinkError;
use crate::pki::NodeIdentity;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/nodes/enrol` at the centre.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolAsk {
    /// The one-time token from the node's registration.
    pub token: String,
    /// The node's certificate signing request, PEM.
    pub csr: String,
}

/// The centre's answer.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enrolled {
    /// The name the node is registered under.
    pub node: String,
    /// The node's certificate, PEM.
    pub certificate: String,
    /// The CA's certificate, PEM.
    pub ca: String,
}

/// Whether a centre URL may carry a token: HTTPS, or HTTP to this machine (the token would
/// cross the network in clear otherwise).
pub fn safe_centre_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return url.starts_with("https://") };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Enrols the node whose identity lives in `id` with the centre at `centre` (its base URL):
/// makes the key and request, sends them with `token`, keeps the answer. `centre_ca` (PEM)
/// is the CA the centre's HTTPS certificate is checked against. Returns the registered name.
pub async fn enrol(
    centre: &str,
    token: &str,
    centre_ca: Option<&str>,
    id: &NodeIdentity,
) -> Result<String, LinkError> {
    if !safe_centre_url(centre) {
        return Err(LinkError::Setup(format!(
            "{centre}: the enrolment token must not cross the network in clear; use https://"
        )));
    }
    let mut b = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30));
    if centre.starts_with("https://") {
        let ca = centre_ca.ok_or_else(|| {
            LinkError::Setup("an https:// centre needs --centre-ca (its certificate's CA)".into())
        })?;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::pem::PemObject::pem_slice_iter(ca.as_bytes()) {
            let c: rustls::pki_types::CertificateDer<'static> =
                c.map_err(|e| LinkError::Pki(format!("--centre-ca: {e}")))?;
            roots.add(c).map_err(|e| LinkError::Pki(format!("--centre-ca: {e}")))?;
        }
        let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| LinkError::Pki(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        b = b.use_preconfigured_tls(cfg);
    }
    let http = b.build().map_err(|e| LinkError::Setup(e.to_string()))?;
    let csr = id.request()?;
    let url = format!("{}/api/v1/nodes/enrol", centre.trim_end_matches('/'));
    let r = http
        .post(&url)
        .json(&EnrolAsk { token: token.trim().to_owned(), csr })
        .send()
        .await
        .map_err(|e| LinkError::Setup(format!("{url}: {e}")))?;
    let status = r.status();
    if !status.is_success() {
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        let why = body["detail"].as_str().or(body["title"].as_str()).unwrap_or("").to_owned();
        return Err(LinkError::Setup(format!(
            "the centre refused the enrolment ({status}): {why}"
        )));
    }
    let e: Enrolled = r.json().await.map_err(|e| LinkError::Setup(format!("{url}: {e}")))?;
    id.store(&e.node, &e.certificate, &e.ca)?;
    Ok(e.node)
}

#[cfg(test)]
mod tests {
    use super::safe_centre_url;

    #[test]
    fn a_token_crosses_the_network_only_inside_tls() {
        assert!(safe_centre_url("https://centre.city.example"));
        assert!(safe_centre_url("http://127.0.0.1:8080"));
        assert!(safe_centre_url("http://localhost:8080/"));
        assert!(!safe_centre_url("http://10.0.0.2:8080"));
        assert!(!safe_centre_url("http://127.0.0.1.evil.example"));
        assert!(!safe_centre_url("ftp://x"));
    }
}
