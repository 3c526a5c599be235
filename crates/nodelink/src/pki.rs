//! The centre's small certificate authority for its recorder nodes, and the TLS settings of
//! both ends (issue 21, item 1).
//!
//! The centre holds a CA (`nodes-ca/ca.key`, `ca.pem`) and a client certificate of its own
//! (`centre.key`, `centre.pem`, extended key usage *client authentication* only). A node makes
//! its own key, sends a signing request with the one-time enrolment token, and receives a
//! certificate for `<node>.nodes.mimamori` with *server authentication* only. So:
//!
//! - a node answers only a client holding a certificate of this CA for client authentication:
//!   the centre, never another node (a node's certificate is not valid for it);
//! - the centre talks to a node only when the node presents the very certificate it enrolled
//!   (its SHA-256 is pinned in the fleet registry), for the name registered: a node revoked and
//!   enrolled again, or a copy of another node's key at this address, is refused.
//!
//! Keys are written with mode 0600; a key never leaves the machine that made it.

use crate::LinkError;
use rcgen::{
    CertificateParams, CertificateSigningRequestParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The DNS name a node's certificate carries, and the name the centre expects at its address.
pub fn node_dns_name(node: &str) -> String {
    format!("{node}.nodes.mimamori")
}

/// Whether `name` may name a node: 1–40 of `a-z`, `0-9` and `-`, not starting or ending with
/// `-` (it becomes a DNS label).
pub fn valid_node_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// SHA-256 of a certificate's DER, hex: what the fleet registry pins.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The first certificate of a PEM text, DER.
pub fn first_cert(pem: &str) -> Result<CertificateDer<'static>, LinkError> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| LinkError::Pki("no certificate in the PEM text".into()))?
        .map_err(|e| LinkError::Pki(format!("certificate PEM: {e}")))
}

fn rcgen_err(e: rcgen::Error) -> LinkError {
    LinkError::Pki(e.to_string())
}

fn serial() -> Result<SerialNumber, LinkError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| LinkError::Pki(format!("random serial: {e}")))?;
    b[0] &= 0x7f; // a positive INTEGER
    Ok(SerialNumber::from_slice(&b))
}

/// Validity from an hour ago (clocks differ) for `years`.
fn validity(params: &mut CertificateParams, years: i16) {
    let now = jiff::Timestamp::now();
    let utc = jiff::tz::Offset::UTC;
    let from =
        utc.to_datetime(now.saturating_sub(jiff::SignedDuration::from_hours(1)).unwrap_or(now));
    let until = utc.to_datetime(now).date().saturating_add(jiff::Span::new().years(years));
    params.not_before = rcgen::date_time_ymd(
        i32::from(from.year()),
        from.month().unsigned_abs(),
        from.day().unsigned_abs(),
    );
    params.not_after = rcgen::date_time_ymd(
        i32::from(until.year()),
        until.month().unsigned_abs(),
        until.day().unsigned_abs(),
    );
}

/// Writes `text` to `path` readable by its owner only (a private key).
pub fn write_private(path: &Path, text: &str) -> Result<(), LinkError> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).map_err(|e| LinkError::io(path, e))?;
    f.write_all(text.as_bytes()).map_err(|e| LinkError::io(path, e))?;
    f.sync_all().map_err(|e| LinkError::io(path, e))
}

fn read(path: &Path) -> Result<String, LinkError> {
    std::fs::read_to_string(path).map_err(|e| LinkError::io(path, e))
}

/// The centre's CA and its own client identity.
pub struct Ca {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    ca_pem: String,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Ca {
    /// Opens the CA in `dir`, creating it (and the centre's client certificate) on first use.
    pub fn open_or_create(dir: &Path) -> Result<Ca, LinkError> {
        std::fs::create_dir_all(dir).map_err(|e| LinkError::io(dir, e))?;
        let (key_path, pem_path) = (dir.join("ca.key"), dir.join("ca.pem"));
        if !key_path.exists() {
            let key = KeyPair::generate().map_err(rcgen_err)?;
            let mut p = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::OrganizationName, "mimamori");
            dn.push(DnType::CommonName, "mimamori recorder nodes CA");
            p.distinguished_name = dn;
            p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            p.serial_number = Some(serial()?);
            validity(&mut p, 20);
            let cert = p.self_signed(&key).map_err(rcgen_err)?;
            write_private(&key_path, &key.serialize_pem())?;
            std::fs::write(&pem_path, cert.pem()).map_err(|e| LinkError::io(&pem_path, e))?;
        }
        let key = KeyPair::from_pem(&read(&key_path)?).map_err(rcgen_err)?;
        let ca_pem = read(&pem_path)?;
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, key).map_err(rcgen_err)?;
        let ca = Ca { dir: dir.to_owned(), issuer, ca_pem };
        if !dir.join("centre.key").exists() {
            let key = KeyPair::generate().map_err(rcgen_err)?;
            let mut p = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::OrganizationName, "mimamori");
            dn.push(DnType::CommonName, "mimamori centre");
            p.distinguished_name = dn;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            p.serial_number = Some(serial()?);
            validity(&mut p, 5);
            let cert = p.signed_by(&key, &ca.issuer).map_err(rcgen_err)?;
            write_private(&dir.join("centre.key"), &key.serialize_pem())?;
            let path = dir.join("centre.pem");
            std::fs::write(&path, cert.pem()).map_err(|e| LinkError::io(&path, e))?;
        }
        Ok(ca)
    }

    /// The CA certificate, PEM: a node trusts the centre's client certificate by it.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Signs a node's request: a certificate for [`node_dns_name`]`(node)`, server
    /// authentication only, two years. What the request asks for besides its public key is
    /// ignored: the centre decides the name. Returns the PEM.
    pub fn issue_node(&self, node: &str, csr_pem: &str) -> Result<String, LinkError> {
        if !valid_node_name(node) {
            return Err(LinkError::Pki(format!("not a node name: {node:?}")));
        }
        let csr = CertificateSigningRequestParams::from_pem(csr_pem)
            .map_err(|e| LinkError::Pki(format!("the signing request is not valid: {e}")))?;
        let mut p = CertificateParams::new(vec![node_dns_name(node)]).map_err(rcgen_err)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "mimamori");
        dn.push(DnType::CommonName, node);
        p.distinguished_name = dn;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.serial_number = Some(serial()?);
        validity(&mut p, 2);
        Ok(p.signed_by(&csr.public_key, &self.issuer).map_err(rcgen_err)?.pem())
    }

    /// The TLS settings the centre connects to `node` with: its client certificate, the CA as
    /// the only root, the node's registered name, and the node's enrolled certificate pinned by
    /// its SHA-256 (`pin`, hex).
    pub fn client_config(&self, pin: &str) -> Result<Arc<rustls::ClientConfig>, LinkError> {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(read(&self.dir.join("centre.pem"))?.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| LinkError::Pki(format!("centre.pem: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(read(&self.dir.join("centre.key"))?.as_bytes())
            .map_err(|e| LinkError::Pki(format!("centre.key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = roots(&self.ca_pem)?;
        let inner =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| LinkError::Pki(e.to_string()))?;
        let verifier = Arc::new(Pinned { inner, pin: pin.to_owned() });
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| LinkError::Pki(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_auth_cert(chain, key)
            .map_err(|e| LinkError::Pki(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

fn roots(ca_pem: &str) -> Result<Arc<rustls::RootCertStore>, LinkError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let c = c.map_err(|e| LinkError::Pki(format!("CA PEM: {e}")))?;
        roots.add(c).map_err(|e| LinkError::Pki(format!("CA certificate: {e}")))?;
    }
    Ok(Arc::new(roots))
}

/// The CA's verification, then the pin: the certificate must be the one the node enrolled.
#[derive(Debug)]
struct Pinned {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    pin: String,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let ok = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        if fingerprint(end_entity) != self.pin {
            return Err(rustls::Error::General(
                "the node presented a certificate other than the one it enrolled".into(),
            ));
        }
        Ok(ok)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A node's identity on its own machine (`<data>/node-tls/`): its key, its certificate and
/// the CA that vouches for the centre.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    /// The directory.
    pub dir: PathBuf,
}

impl NodeIdentity {
    /// The identity directory of a recorder data directory.
    pub fn in_data(data: &Path) -> NodeIdentity {
        NodeIdentity { dir: data.join("node-tls") }
    }

    /// Whether the node has enrolled.
    pub fn exists(&self) -> bool {
        self.dir.join("node.pem").exists() && self.dir.join("node.key").exists()
    }

    /// Makes the node's key (kept, mode 0600) and a signing request for it; the PEM of the
    /// request, to send with the enrolment token.
    pub fn request(&self) -> Result<String, LinkError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| LinkError::io(&self.dir, e))?;
        let key = KeyPair::generate().map_err(rcgen_err)?;
        let p = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_err)?;
        let csr = p.serialize_request(&key).map_err(rcgen_err)?;
        write_private(&self.dir.join("node.key.new"), &key.serialize_pem())?;
        csr.pem().map_err(rcgen_err)
    }

    /// Keeps what the centre answered: the node's registered name, the certificate for the key
    /// made by [`request`], and the CA's certificate.
    ///
    /// [`request`]: NodeIdentity::request
    pub fn store(&self, name: &str, cert_pem: &str, ca_pem: &str) -> Result<(), LinkError> {
        if !valid_node_name(name) {
            return Err(LinkError::Pki(format!("the centre named the node {name:?}")));
        }
        first_cert(cert_pem)?;
        roots(ca_pem)?;
        let new = self.dir.join("node.key.new");
        let key = self.dir.join("node.key");
        std::fs::rename(&new, &key).map_err(|e| LinkError::io(&key, e))?;
        let path = self.dir.join("node.pem");
        std::fs::write(&path, cert_pem).map_err(|e| LinkError::io(&path, e))?;
        let path = self.dir.join("ca.pem");
        std::fs::write(&path, ca_pem).map_err(|e| LinkError::io(&path, e))?;
        let path = self.dir.join("name");
        std::fs::write(&path, name).map_err(|e| LinkError::io(&path, e))
    }

    /// The name the centre registered this node under, once enrolled.
    pub fn name(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("name"))
            .ok()
            .map(|n| n.trim().to_owned())
            .filter(|n| valid_node_name(n))
    }

    /// The TLS settings the node serves its API with: its certificate, and only clients whose
    /// certificate the CA issued for client authentication (the centre).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, LinkError> {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(read(&self.dir.join("node.pem"))?.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| LinkError::Pki(format!("node.pem: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(read(&self.dir.join("node.key"))?.as_bytes())
            .map_err(|e| LinkError::Pki(format!("node.key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // rule: KIT-5.4 — the link is mutually authenticated and accepts no other peer.
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots(&read(&self.dir.join("ca.pem"))?)?,
            provider.clone(),
        )
        .build()
        .map_err(|e| LinkError::Pki(e.to_string()))?;
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| LinkError::Pki(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(|e| LinkError::Pki(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn node_names_are_dns_labels() {
        assert!(valid_node_name("node-2"));
        for bad in ["", "-a", "a-", "Node", "a.b", "a b", &"x".repeat(41)] {
            assert!(!valid_node_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_ca_names_the_node_and_ignores_what_the_request_asks() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::open_or_create(&dir.path().join("ca")).unwrap();
        // Opening again keeps the same CA.
        let again = Ca::open_or_create(&dir.path().join("ca")).unwrap();
        assert_eq!(ca.ca_pem(), again.ca_pem());
        let id = NodeIdentity::in_data(dir.path());
        let csr = id.request().unwrap();
        let pem = ca.issue_node("node-2", &csr).unwrap();
        id.store("node-2", &pem, ca.ca_pem()).unwrap();
        assert_eq!(id.name().as_deref(), Some("node-2"));
        assert!(id.exists());
        id.server_config().unwrap();
        ca.client_config(&fingerprint(&first_cert(&pem).unwrap())).unwrap();
        assert!(ca.issue_node("Node 2", &csr).is_err());
        assert!(ca.issue_node("node-3", "not a request").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for k in [dir.path().join("ca/ca.key"), id.dir.join("node.key")] {
                let mode = std::fs::metadata(&k).unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "{}", k.display());
            }
        }
    }
}
