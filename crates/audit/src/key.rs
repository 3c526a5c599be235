//! The node's Ed25519 signing key, kept in a file readable only by its owner.

use ed25519_dalek::{SigningKey, VerifyingKey};
use std::io::Write;
use std::path::Path;

/// Loading or creating a key failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// File system error.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("key file {path} does not hold a 32-byte Ed25519 key in hex")]
    Malformed {
        /// The file.
        path: String,
    },
    /// The file can be read by others.
    #[error("key file {path} is readable by group or others (mode {mode:o}); run chmod 600 {path}")]
    Permissions {
        /// The file.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// No randomness.
    #[error("no randomness from the OS: {0}")]
    Random(getrandom::Error),
}

/// Loads the signing key at `path`, creating it (mode 0600) if the file does not exist.
pub fn load_or_create(path: &Path) -> Result<SigningKey, KeyError> {
    let shown = path.display().to_string();
    let io = |source| KeyError::Io { path: shown.clone(), source };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_mode(path)?;
            let mut b = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut b)
                .map_err(|_| KeyError::Malformed { path: shown.clone() })?;
            Ok(SigningKey::from_bytes(&b))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = [0u8; 32];
            getrandom::fill(&mut b).map_err(KeyError::Random)?;
            let key = SigningKey::from_bytes(&b);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(path).map_err(io)?;
            f.write_all(hex::encode(b).as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|source| KeyError::Io { path: path.display().to_string(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions { path: path.display().to_string(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_: &Path) -> Result<(), KeyError> {
    Ok(())
}

/// Parses a public key given as 64 hex digits (or a file holding them).
pub fn parse_public_key(text: &str) -> Option<VerifyingKey> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut b).ok()?;
    VerifyingKey::from_bytes(&b).ok()
}

/// Hex of the public key, as published.
pub fn public_key_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Loads an existing signing key; refuses to create one (for commands that must use the node's
/// real key).
pub fn load_existing(path: &Path) -> Result<SigningKey, KeyError> {
    if !path.exists() {
        return Err(KeyError::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such key file"),
        });
    }
    load_or_create(path)
}
