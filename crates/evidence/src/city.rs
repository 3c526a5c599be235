//! The city's export signing identity: an RSA key and its X.509 certificate, used for the ONVIF
//! file signature (RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 20 bytes). A city that has a
//! certificate from its own PKI installs it (`city-export.key` + `city-export.crt`, PEM); a new
//! installation or the demo creates a self-signed one (3072-bit key) on first use.

use crate::Error;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::pss::{Signature, SigningKey, VerifyingKey};
use rsa::signature::Keypair;
use rsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::der::{Decode, DecodePem, Encode, EncodePem};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::Validity;
use x509_cert::{Certificate, TbsCertificate};

/// PSS salt length of the ONVIF export signature.
pub const PSS_SALT_LEN: usize = 20;
/// Key file name in a data directory.
pub const KEY_FILE: &str = "city-export.key";
/// Certificate file name in a data directory.
pub const CERT_FILE: &str = "city-export.crt";

/// The city's signing key and certificate.
pub struct CityIdentity {
    key: SigningKey<Sha256>,
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for CityIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("CityIdentity").field("cert_sha256", &self.cert_sha256()).finish()
    }
}

/// A self-signed end-entity certificate for document signing (not a CA).
struct SelfSigned {
    subject: Name,
}

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut out: Vec<Extension> = Vec::new();
        let subject = tbs.subject();
        out.push(
            BasicConstraints { ca: false, path_len_constraint: None }
                .to_extension(subject, &out)?,
        );
        out.push(
            KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation)
                .to_extension(subject, &out)?,
        );
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        out.push(ski.to_extension(subject, &out)?);
        Ok(out)
    }
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    Sha256::digest(b).into()
}

impl CityIdentity {
    /// Creates a key and a self-signed certificate valid for ten years. `city` is an ASCII
    /// identifier (the profile id); the certificate names it as
    /// `CN=<city> evidence export, O=<city>, C=JP`.
    pub fn generate(city: &str, bits: usize) -> Result<Self, Error> {
        if city.is_empty() || !city.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::Identity(format!("city id {city:?}: ASCII letters, digits, -")));
        }
        let private = PrivateKey::new(&mut getrandom::SysRng, bits)
            .map_err(|e| Error::Identity(format!("RSA key generation: {e}")))?;
        let key = SigningKey::<Sha256>::new(private);
        let subject = Name::from_str(&format!("CN={city} evidence export,O={city},C=JP"))
            .map_err(|e| Error::Identity(format!("certificate subject: {e}")))?;
        let spki = SubjectPublicKeyInfoOwned::from_key(&key.verifying_key())
            .map_err(|e| Error::Identity(format!("public key: {e}")))?;
        let mut serial = [0u8; 16];
        getrandom::fill(&mut serial).map_err(|e| Error::Identity(format!("random: {e}")))?;
        serial[0] &= 0x7f;
        let serial = SerialNumber::new(&serial)
            .map_err(|e| Error::Identity(format!("serial number: {e}")))?;
        let validity = Validity::from_now(Duration::from_secs(10 * 366 * 86_400))
            .map_err(|e| Error::Identity(format!("validity: {e}")))?;
        let builder = CertificateBuilder::new(SelfSigned { subject }, serial, validity, spki)
            .map_err(|e| Error::Identity(format!("certificate: {e}")))?;
        let cert = builder
            .build::<_, Signature>(&key)
            .map_err(|e| Error::Identity(format!("certificate signature: {e}")))?;
        let cert_der =
            cert.to_der().map_err(|e| Error::Identity(format!("certificate encoding: {e}")))?;
        Ok(CityIdentity {
            key: SigningKey::new_with_salt_len(key.as_ref().clone(), PSS_SALT_LEN),
            cert_der,
        })
    }

    /// Loads a key (PKCS#8 PEM) and certificate (PEM), checking that they belong together.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Self, Error> {
        let private = PrivateKey::from_pkcs8_pem(key_pem)
            .map_err(|e| Error::Identity(format!("city key: {e}")))?;
        let cert = Certificate::from_pem(cert_pem.as_bytes())
            .map_err(|e| Error::Identity(format!("city certificate: {e}")))?;
        let cert_der =
            cert.to_der().map_err(|e| Error::Identity(format!("city certificate: {e}")))?;
        let id =
            CityIdentity { key: SigningKey::new_with_salt_len(private, PSS_SALT_LEN), cert_der };
        let probe = [7u8; 32];
        let sig = id.sign_digest(&probe)?;
        verify_digest(&id.cert_der, &probe, &sig)
            .map_err(|_| Error::Identity("the city key does not match the certificate".into()))?;
        Ok(id)
    }

    /// Loads `dir/city-export.{key,crt}`, or creates them (key mode 0600) when both are absent.
    pub fn load_or_create(dir: &Path, city: &str) -> Result<Self, Error> {
        let kp = dir.join(KEY_FILE);
        let cp = dir.join(CERT_FILE);
        match (kp.exists(), cp.exists()) {
            (true, true) => {
                let k = std::fs::read_to_string(&kp)?;
                let c = std::fs::read_to_string(&cp)?;
                Self::from_pem(&k, &c)
            }
            (false, false) => {
                let id = Self::generate(city, 3072)?;
                let (k, c) = id.to_pem()?;
                write_private(&kp, k.as_bytes())?;
                std::fs::write(&cp, c)?;
                Ok(id)
            }
            _ => Err(Error::Identity(format!(
                "{} and {} must both exist (or neither, to create them)",
                kp.display(),
                cp.display()
            ))),
        }
    }

    /// The key (PKCS#8 PEM) and the certificate (PEM).
    pub fn to_pem(&self) -> Result<(String, String), Error> {
        let k = self
            .key
            .as_ref()
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| Error::Identity(format!("key encoding: {e}")))?;
        Ok((k.to_string(), der_to_pem(&self.cert_der)?))
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// SHA-256 of the certificate, hex (what a recipient compares with the city's published one).
    pub fn cert_sha256(&self) -> String {
        hex::encode(sha256(&self.cert_der))
    }

    /// Signature length in bytes (the modulus size).
    pub fn signature_len(&self) -> usize {
        use rsa::traits::PublicKeyParts;
        self.key.as_ref().size()
    }

    /// RSASSA-PSS over a SHA-256 digest.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, Error> {
        let sig: Signature =
            self.key.sign_prehash(digest).map_err(|e| Error::Identity(format!("signing: {e}")))?;
        Ok(Box::<[u8]>::from(sig).into_vec())
    }
}

/// A certificate (DER) as the PEM text a package carries (LF line endings).
pub fn der_to_pem(der: &[u8]) -> Result<String, Error> {
    Certificate::from_der(der)
        .and_then(|c| c.to_pem(x509_cert::der::pem::LineEnding::LF))
        .map_err(|e| Error::Identity(format!("certificate: {e}")))
}

/// SHA-256 of a certificate (DER), hex: the fingerprint a city publishes and manifests carry.
pub fn cert_fingerprint(der: &[u8]) -> String {
    hex::encode(sha256(der))
}

/// Verifies an RSASSA-PSS (SHA-256, salt 20) signature over `digest` with the certificate's key.
pub fn verify_digest(cert_der: &[u8], digest: &[u8; 32], sig: &[u8]) -> Result<(), Error> {
    let cert = Certificate::from_der(cert_der)
        .map_err(|e| Error::Signature(format!("the certificate does not parse: {e}")))?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| Error::Signature(format!("certificate key: {e}")))?;
    use rsa::pkcs8::DecodePublicKey;
    let public = PublicKey::from_public_key_der(&spki)
        .map_err(|e| Error::Signature(format!("the certificate does not hold an RSA key: {e}")))?;
    let vk = VerifyingKey::<Sha256>::new_with_salt_len(public, PSS_SALT_LEN);
    let sig =
        Signature::try_from(sig).map_err(|_| Error::Signature("malformed signature".into()))?;
    vk.verify_prehash(digest, &sig)
        .map_err(|_| Error::Signature("RSASSA-PSS signature does not verify".into()))
}

/// A PEM certificate as DER.
pub fn pem_to_der(pem: &[u8]) -> Result<Vec<u8>, Error> {
    Certificate::from_pem(pem)
        .and_then(|c| c.to_der())
        .map_err(|e| Error::Identity(format!("certificate: {e}")))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
