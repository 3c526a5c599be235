//! Secrets the governance store keeps for the server, sealed with a key the database does not
//! hold (ASVS 4.0 V6.4; issue 16, M9): TOTP seeds. A copy of the database — a backup, a dump, a
//! replica — does not reveal them; the key is derived from the server's signing key file
//! (`node.key`, created 0600), which lives outside the database.
//!
//! XChaCha20-Poly1305 (RustCrypto), a random 24-byte nonce per seal, and the account id as
//! associated data, so a sealed seed moved to another account's row does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The prefix of a sealed value in the store.
const V1: &str = "v1:";

/// The key that seals TOTP seeds.
pub struct SeedKey(XChaCha20Poly1305);

impl std::fmt::Debug for SeedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeedKey(…)")
    }
}

/// Why a stored seed could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The value is not a sealed seed of this version.
    #[error("not a sealed value")]
    NotSealed,
    /// Wrong key, another account's value, or altered.
    #[error("the sealed value does not open with this server's key")]
    Open,
    /// No random numbers.
    #[error("no randomness for a nonce")]
    Random,
}

impl SeedKey {
    /// Derives the seed key from the server's signing key (a separate context string, so the
    /// derived key is useless for signing and the signing key is not used for encryption).
    pub fn derive(signing: &ed25519_dalek::SigningKey) -> SeedKey {
        let k = blake3::derive_key("mimamori 2026-12 TOTP seed sealing v1", &signing.to_bytes());
        SeedKey(XChaCha20Poly1305::new(&k.into()))
    }

    /// Seals `secret` for `account`.
    pub fn seal(&self, account: i64, secret: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = account.to_be_bytes();
        let ct = self
            .0
            .encrypt(&XNonce::from(nonce), Payload { msg: secret.as_bytes(), aad: &aad })
            .map_err(|_| SealError::Open)?;
        Ok(format!("{V1}{}{}", hex::encode(nonce), hex::encode(ct)))
    }

    /// Opens a value sealed for `account`.
    pub fn open(&self, account: i64, stored: &str) -> Result<String, SealError> {
        let raw = stored.strip_prefix(V1).ok_or(SealError::NotSealed)?;
        let bytes = hex::decode(raw).map_err(|_| SealError::NotSealed)?;
        if bytes.len() < 24 + 16 {
            return Err(SealError::NotSealed);
        }
        let (nonce, ct) = bytes.split_at(24);
        let nonce = <[u8; 24]>::try_from(nonce).map_err(|_| SealError::NotSealed)?;
        let aad = account.to_be_bytes();
        let pt = self
            .0
            .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| SealError::Open)?;
        String::from_utf8(pt).map_err(|_| SealError::Open)
    }

    /// Whether a stored value is sealed (earlier versions stored seeds in clear).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(V1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn seeds_open_only_with_the_key_for_their_account() {
        let key = SeedKey::derive(&ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
        let other = SeedKey::derive(&ed25519_dalek::SigningKey::from_bytes(&[8; 32]));
        let sealed = key.seal(42, "JBSWY3DPEHPK3PXP").unwrap();
        assert!(SeedKey::is_sealed(&sealed) && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(key.open(42, &sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(matches!(key.open(43, &sealed), Err(SealError::Open)), "moved to another row");
        assert!(matches!(other.open(42, &sealed), Err(SealError::Open)), "another server's key");
        assert!(matches!(key.open(42, "JBSWY3DPEHPK3PXP"), Err(SealError::NotSealed)));
        assert_ne!(key.seal(42, "JBSWY3DPEHPK3PXP").unwrap(), sealed, "a fresh nonce each time");
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert!(key.open(42, std::str::from_utf8(&altered).unwrap()).is_err());
    }
}
