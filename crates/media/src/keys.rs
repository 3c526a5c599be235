//! Per-(camera, JST day) data keys, wrapped by the node's key-encryption key (PROD-ERASE-1).
//!
//! Destroying a day's wrapped key makes that day's segments undecryptable wherever copies of the
//! files may linger (SSD remapping, backups): crypto-erasure.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::fmt;

/// A 256-bit data key. Its bytes are zeroed on drop.
#[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct DataKey(pub(crate) [u8; 32]);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, crate::Error> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(|e| crate::Error::Random(e.to_string()))?;
        Ok(DataKey(k))
    }

    /// A key from bytes (tests, unwrapping).
    pub fn from_bytes(b: [u8; 32]) -> Self {
        DataKey(b)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// The node's key-encryption key.
#[derive(Clone)]
pub struct Kek(XChaCha20Poly1305);

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(…)")
    }
}

impl Kek {
    /// Derives the KEK from the node's secret key material (the signing key file's bytes, or a
    /// passphrase-derived secret).
    pub fn derive(secret: &[u8]) -> Kek {
        let k = blake3::derive_key("mimamori node key-encryption key v1", secret);
        Kek(XChaCha20Poly1305::new(&k.into()))
    }

    fn aad(camera: &str, day: &str, key_id: &str) -> Vec<u8> {
        format!("mimamori day key v1\n{camera}\n{day}\n{key_id}").into_bytes()
    }

    /// Wraps a data key for (camera, day, key id): 24-byte nonce ‖ ciphertext ‖ tag.
    pub fn wrap(
        &self,
        key: &DataKey,
        camera: &str,
        day: &str,
        key_id: &str,
    ) -> Result<Vec<u8>, crate::Error> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|e| crate::Error::Random(e.to_string()))?;
        let aad = Self::aad(camera, day, key_id);
        let ct = self
            .0
            .encrypt(&XNonce::from(nonce), Payload { msg: &key.0, aad: &aad })
            .map_err(|_| crate::Error::Crypto("wrapping a day key"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Unwraps; fails if the wrapped key was made for another (camera, day, key id) or node.
    pub fn unwrap(
        &self,
        wrapped: &[u8],
        camera: &str,
        day: &str,
        key_id: &str,
    ) -> Result<DataKey, crate::Error> {
        if wrapped.len() != 24 + 32 + 16 {
            return Err(crate::Error::Crypto("a wrapped day key has the wrong length"));
        }
        let aad = Self::aad(camera, day, key_id);
        let pt = self
            .0
            .decrypt(&XNonce::from(<[u8; 24]>::try_from(&wrapped[..24]).map_err(|_| crate::Error::Crypto("nonce"))?), Payload { msg: &wrapped[24..], aad: &aad })
            .map_err(|_| crate::Error::Crypto("unwrapping a day key (wrong node key, or the key is for another camera or day)"))?;
        let mut k = [0u8; 32];
        k.copy_from_slice(&pt);
        Ok(DataKey(k))
    }
}

/// A fresh key id (hex of 16 random bytes).
pub fn new_key_id() -> Result<String, crate::Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| crate::Error::Random(e.to_string()))?;
    Ok(hex::encode(b))
}
