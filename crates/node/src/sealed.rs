//! Camera credentials sealed to a recorder node (issue 21, item 2). The centre seals a camera's
//! user and password to the X25519 public key of the node assigned to record it — a NaCl
//! sealed box (an ephemeral key, XSalsa20-Poly1305; `crypto_box`, RustCrypto) — so the
//! governance store, its backups and every central process hold only ciphertext; the node
//! alone opens it, when it connects to the camera. Moved to another node, a camera's
//! credentials are entered again: the centre cannot read them back.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto_box::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// What a camera asks for when the recorder connects.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct StreamCredentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl fmt::Debug for StreamCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamCredentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Why sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The public key is not 32 bytes of base64.
    #[error("not a recorder node's sealing key")]
    BadKey,
    /// The box is damaged or sealed to another key.
    #[error("the sealed credentials cannot be opened with this node's key")]
    Open,
    /// The system's randomness failed.
    #[error("the credentials could not be sealed")]
    Seal,
}

/// A node's key pair for credentials; the secret half never leaves the node.
pub struct SealingKey(SecretKey);

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealingKey({})", self.public())
    }
}

impl SealingKey {
    /// A new key from the system's randomness.
    pub fn generate() -> SealingKey {
        SealingKey(SecretKey::generate(&mut crypto_box::aead::OsRng))
    }

    /// The key whose secret half is `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> SealingKey {
        SealingKey(SecretKey::from(bytes))
    }

    /// The secret half (for the node's key file).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half, base64: what the centre seals to.
    pub fn public(&self) -> String {
        STANDARD.encode(self.0.public_key().as_bytes())
    }

    /// Opens credentials sealed to this key.
    pub fn open(&self, sealed: &str) -> Result<StreamCredentials, SealError> {
        let bytes = STANDARD.decode(sealed.trim()).map_err(|_| SealError::Open)?;
        let mut plain = self.0.unseal(&bytes).map_err(|_| SealError::Open)?;
        let c = serde_json::from_slice(&plain).map_err(|_| SealError::Open);
        plain.zeroize();
        c
    }
}

/// Seals `c` to the node whose public key is `public` (base64); the box, base64.
pub fn seal(public: &str, c: &StreamCredentials) -> Result<String, SealError> {
    let raw: [u8; 32] = STANDARD
        .decode(public.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SealError::BadKey)?;
    let mut plain = serde_json::to_vec(c).map_err(|_| SealError::Seal)?;
    let sealed = PublicKey::from(raw)
        .seal(&mut crypto_box::aead::OsRng, &plain)
        .map_err(|_| SealError::Seal);
    plain.zeroize();
    Ok(STANDARD.encode(sealed?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> StreamCredentials {
        StreamCredentials { username: "viewer".into(), password: "kamera-2026!".into() }
    }

    #[test]
    fn only_the_node_opens_what_was_sealed_to_it() {
        let node = SealingKey::generate();
        let other = SealingKey::generate();
        let sealed = seal(&node.public(), &creds()).unwrap();
        assert!(!sealed.contains("kamera") && !sealed.contains("viewer"));
        assert_eq!(node.open(&sealed).unwrap(), creds());
        assert_eq!(other.open(&sealed).unwrap_err(), SealError::Open);
        // Two seals of the same credentials differ (an ephemeral key each time).
        assert_ne!(seal(&node.public(), &creds()).unwrap(), sealed);
        // A bit flipped anywhere: refused, not misread.
        let mut b = STANDARD.decode(&sealed).unwrap();
        let last = b.len() - 1;
        b[last] ^= 1;
        assert_eq!(node.open(&STANDARD.encode(b)).unwrap_err(), SealError::Open);
        assert_eq!(seal("not-a-key", &creds()).unwrap_err(), SealError::BadKey);
        let again = SealingKey::from_bytes(node.to_bytes());
        assert_eq!(again.public(), node.public());
    }

    #[test]
    fn the_password_never_reaches_a_log() {
        let c = creds();
        assert!(!format!("{c:?}").contains("kamera"));
        assert!(!format!("{:?}", SealingKey::generate()).is_empty());
    }
}
