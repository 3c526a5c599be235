//! `mimamori backup` and `mimamori restore` (issue 22, item 5).
//!
//! A backup is a directory:
//!
//! | file | what |
//! |---|---|
//! | `manifest.json` | when, which release, which database, whether footage is in it, each file's size and BLAKE3 hash |
//! | `secrets.sealed` | the node's signing key and the city's export key, and the same file hashes, sealed under the backup passphrase (Argon2id → XChaCha20-Poly1305) |
//! | `governance.db` or `governance.pgdump` | the governance database: SQLite `VACUUM INTO`, or `pg_dump --format=custom` |
//! | `audit-checkpoints.jsonl` | the published checkpoints kept beside the key |
//! | `recorder/node.db`, `recorder/audit.log`, `recorder/city-export.crt` | the recorder node's index, audit log and export certificate |
//! | `recorder/segments/…`, `recorder/exports/…` | footage and evidence packages — only with `--with-footage` |
//! | `mimamori.toml` | the configuration, when given |
//!
//! **Erasure reaches backups.** Footage is encrypted with a key per camera and day, and erasure
//! destroys the key (crypto-erasure). A backup without `--with-footage` holds neither the keys
//! nor the segments, so no backup can bring back a camera-day after its erasure. A backup with
//! footage holds both and is itself footage under the retention rules: restored, the recorder's
//! sweeper erases every camera-day whose time has passed at its first round, and a backup with
//! footage must be destroyed when its newest footage's retention ends (docs/operations.md).
//!
//! **Consistent while running.** The two audit logs witness each other's checkpoints; the copy
//! of the recorder's log is taken after the database snapshot, and the snapshot is accepted
//! only if no witness exchange happened around it (the server checkpoints the node log holds
//! are the same before and after), else it is taken again — so a restored pair verifies.

use super::serve::{database_url, default_key_path, read_config};
use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// The format written in `manifest.json`.
const FORMAT: &str = "mimamori-backup/1";

/// Where the server's things are: flags, else the configuration file, else the defaults.
#[derive(Debug, Args)]
pub struct Places {
    /// The configuration file (database, key and data directory are read from it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Governance database: a SQLite file or postgres://user@host/db (the password from
    /// MIMAMORI_DB_PASSWORD or the configuration) [default: mimamori-data/mimamori.db].
    #[arg(long)]
    pub db: Option<String>,
    /// The node's signing key [default: beside a SQLite database].
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// The recorder's data directory [default: mimamori-data/recorder].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// A file (mode 0600) holding the backup passphrase; or MIMAMORI_BACKUP_PASSPHRASE.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

struct Resolved {
    db: String,
    key: PathBuf,
    data: PathBuf,
    config: Option<PathBuf>,
}

impl Places {
    fn resolve(&self) -> anyhow::Result<Resolved> {
        let file = read_config(self.config.as_deref())?;
        let db = database_url(self.db.as_deref(), &file)?;
        let key =
            self.key.clone().or(file.node.key.clone()).unwrap_or_else(|| default_key_path(&db));
        let data = self
            .data
            .clone()
            .or(file.node.data.clone())
            .unwrap_or_else(|| "mimamori-data/recorder".into());
        Ok(Resolved { db, key, data, config: self.config.clone() })
    }

    fn passphrase(&self) -> anyhow::Result<Zeroizing<String>> {
        let p = match (&self.passphrase_file, std::env::var("MIMAMORI_BACKUP_PASSPHRASE")) {
            (Some(f), _) => super::config::secret_file(f).map_err(anyhow::Error::msg)?,
            (None, Ok(p)) if !p.is_empty() => p,
            _ => bail!(
                "a backup is sealed under a passphrase: give --passphrase-file (mode 0600) or MIMAMORI_BACKUP_PASSPHRASE"
            ),
        };
        if p.chars().count() < 12 {
            bail!("the backup passphrase has {} characters: use at least 12", p.chars().count());
        }
        Ok(Zeroizing::new(p))
    }
}

/// `mimamori backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where the server's database, key and recorder data are.
    #[command(flatten)]
    pub at: Places,
    /// The backup directory (created; must not hold anything yet).
    #[arg(long)]
    pub out: PathBuf,
    /// Include the footage (segments with their keys) and the evidence packages. Such a backup
    /// is footage itself: it must be destroyed when the footage's retention ends.
    #[arg(long)]
    pub with_footage: bool,
}

/// `mimamori restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Where to restore to: the database (SQLite file that does not exist, or an empty
    /// PostgreSQL database), the key (must not exist), the data directory (absent or empty).
    #[command(flatten)]
    pub to: Places,
    /// The backup directory.
    #[arg(long)]
    pub from: PathBuf,
}

/// `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    made_at: String,
    mimamori: String,
    database: String,
    recorder: bool,
    with_footage: bool,
    files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileEntry {
    bytes: u64,
    blake3: String,
}

/// What `secrets.sealed` holds once opened.
#[derive(Serialize, Deserialize)]
struct Secrets {
    node_key: String,
    city_export_key: Option<String>,
    files: BTreeMap<String, FileEntry>,
}

/// `secrets.sealed`.
#[derive(Serialize, Deserialize)]
struct Sealed {
    kdf: String,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

fn seal(secrets: &Secrets, passphrase: &str) -> anyhow::Result<Sealed> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let params = argon2::Params::default();
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    let key = derive(passphrase, &salt, &params)?;
    let plain = Zeroizing::new(serde_json::to_vec(secrets)?);
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(key.as_slice().into())
        .encrypt(&nonce.into(), plain.as_slice())
        .map_err(|_| anyhow::anyhow!("sealing the secrets failed"))?;
    Ok(Sealed {
        kdf: "argon2id".into(),
        m_cost: params.m_cost(),
        t_cost: params.t_cost(),
        p_cost: params.p_cost(),
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(cipher),
    })
}

fn unseal(sealed: &Sealed, passphrase: &str) -> anyhow::Result<Secrets> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    if sealed.kdf != "argon2id" {
        bail!("secrets.sealed uses {:?}, which this release does not know", sealed.kdf);
    }
    let params = argon2::Params::new(sealed.m_cost, sealed.t_cost, sealed.p_cost, Some(32))
        .map_err(|e| anyhow::anyhow!("secrets.sealed: {e}"))?;
    let salt = hex::decode(&sealed.salt).context("secrets.sealed: salt")?;
    let nonce: [u8; 24] = hex::decode(&sealed.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .context("secrets.sealed: nonce")?;
    let cipher = hex::decode(&sealed.ciphertext).context("secrets.sealed: ciphertext")?;
    let key = derive(passphrase, &salt, &params)?;
    let plain = chacha20poly1305::XChaCha20Poly1305::new(key.as_slice().into())
        .decrypt(&nonce.into(), cipher.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| {
            anyhow::anyhow!(
                "the passphrase does not open this backup (or secrets.sealed was altered); nothing was restored"
            )
        })?;
    Ok(serde_json::from_slice(&plain)?)
}

fn derive(
    passphrase: &str,
    salt: &[u8],
    params: &argon2::Params,
) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let mut key = Zeroizing::new([0u8; 32]);
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params.clone())
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut_slice())
        .map_err(|e| anyhow::anyhow!("deriving the backup key: {e}"))?;
    Ok(key)
}

/// Copies `from` to `to` (creating its directory); an audit log is copied up to its last
/// complete record, so a copy taken while it is appended to ends on a whole line.
fn copy_file(from: &Path, to: &Path, whole_lines: bool) -> anyhow::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    if whole_lines {
        let bytes =
            std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
        let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        std::fs::write(to, &bytes[..end])?;
    } else {
        std::fs::copy(from, to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// Every regular file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        if !here.exists() {
            continue;
        }
        for e in
            std::fs::read_dir(&here).with_context(|| format!("cannot list {}", here.display()))?
        {
            let e = e?;
            let t = e.file_type()?;
            let name = rel.join(e.file_name());
            if t.is_dir() {
                stack.push(name);
            } else if t.is_file() {
                out.push(name);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn entry(path: &Path) -> anyhow::Result<FileEntry> {
    let mut h = blake3::Hasher::new();
    let bytes = h.update_reader(std::fs::File::open(path)?)?.count();
    Ok(FileEntry { bytes, blake3: h.finalize().to_hex().to_string() })
}

/// A URL without its password, and the password (for `PGPASSWORD`: never on a command line).
fn split_password(url: &str) -> anyhow::Result<(String, Option<Zeroizing<String>>)> {
    let mut u = url::Url::parse(url).context("the database URL")?;
    let pw = match u.password() {
        Some(p) => Some(Zeroizing::new(
            percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .context("the database password is not UTF-8")?
                .into_owned(),
        )),
        None => None,
    };
    let _ = u.set_password(None);
    Ok((u.to_string(), pw))
}

/// Runs a PostgreSQL client tool on `db` (the URL's password goes in its environment, never on
/// its command line) and `file`: `args`, then the file or the database as the tool takes them.
fn pg_tool(tool: &str, db: &str, file: &Path, args: &[&str]) -> anyhow::Result<()> {
    let (url, password) = split_password(db)?;
    let mut cmd = std::process::Command::new(tool);
    cmd.args(args);
    match tool {
        "pg_dump" => cmd.arg("--file").arg(file).arg(&url),
        _ => cmd.arg("--dbname").arg(&url).arg(file),
    };
    if let Some(pw) = &password {
        cmd.env("PGPASSWORD", pw.as_str());
    }
    let out =
        cmd.output().with_context(|| format!("cannot run {tool} (install postgresql-client)"))?;
    if !out.status.success() {
        bail!("{tool} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// The server's checkpoints a node audit log witnesses.
async fn witnessed_in(
    log: &Path,
    server: &::audit::LogId,
) -> anyhow::Result<Vec<::audit::Checkpoint>> {
    if !log.exists() {
        return Ok(Vec::new());
    }
    Ok(::audit::witnessed_in(&::audit::FileStore::open(log)?, server).await?)
}

impl BackupArgs {
    /// Runs the backup.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let at = self.at.resolve()?;
        let passphrase = self.at.passphrase()?;
        if self.out.exists() && std::fs::read_dir(&self.out)?.next().is_some() {
            bail!("{} is not empty: a backup goes into a new directory", self.out.display());
        }
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("cannot create {}", self.out.display()))?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let result = rt.block_on(self.make(&at, &passphrase));
        if result.is_err() {
            // Nothing half-made is left to be taken for a backup.
            let _ = std::fs::remove_dir_all(&self.out);
        }
        result
    }

    async fn make(&self, at: &Resolved, passphrase: &str) -> anyhow::Result<ExitCode> {
        let out = &self.out;
        let postgres = at.db.starts_with("postgres");
        let node_key = audit::key::load_existing(&at.key)
            .with_context(|| format!("the node key {}", at.key.display()))?;
        let (db, log) = super::audit::open_db(&at.db).await?;
        let server_log = log.id();
        let recorder = at.data.join("node.db").exists();
        let node_log = at.data.join("audit.log");
        let published = server::audit_watch::Watch::beside(&at.key).published;
        let mut segments = Vec::new();
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The published checkpoints first: every one of them is in the snapshot after.
            if published.exists() {
                copy_file(&published, &out.join("audit-checkpoints.jsonl"), true)?;
            }
            let before = witnessed_in(&node_log, &server_log).await?;
            if postgres {
                let file = out.join("governance.pgdump");
                pg_tool(
                    "pg_dump",
                    &at.db,
                    &file,
                    &["--format=custom", "--no-owner", "--no-privileges"],
                )?;
            } else {
                let file = out.join("governance.db");
                let _ = std::fs::remove_file(&file);
                db.snapshot_sqlite(&file).await?;
            }
            if recorder {
                copy_file(&node_log, &out.join("recorder/audit.log"), true)?;
                let nodedb = recorder::db::NodeDb::open(&at.data).await?;
                let snap = out.join("recorder/node.db");
                let _ = std::fs::remove_file(&snap);
                segments = nodedb.snapshot(&snap, self.with_footage).await?;
                nodedb.close().await;
            }
            let after = witnessed_in(&out.join("recorder/audit.log"), &server_log).await?;
            if before == after {
                break;
            }
            if attempt >= 5 {
                bail!(
                    "the audit logs witnessed each other during every one of 5 attempts; try again"
                );
            }
            tracing::info!(
                attempt,
                "a witness exchange happened during the snapshot; taking it again"
            );
        }
        db.close().await;

        let mut city_key = None;
        if recorder {
            let cert = at.data.join(evidence::city::CERT_FILE);
            if cert.exists() {
                copy_file(&cert, &out.join("recorder").join(evidence::city::CERT_FILE), false)?;
            }
            let key = at.data.join(evidence::city::KEY_FILE);
            if key.exists() {
                city_key = Some(std::fs::read_to_string(&key)?);
            }
        }
        let mut footage_files = 0usize;
        if self.with_footage {
            for p in &segments {
                // The index names files under segments/ only (relative, no `..`); anything else
                // is not copied out of the data directory.
                let rel = Path::new(p);
                if !rel.starts_with("segments")
                    || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
                {
                    bail!("the recorder's index names a segment outside segments/: {p:?}");
                }
                copy_file(&at.data.join(p), &out.join("recorder").join(p), false)?;
                footage_files += 1;
            }
            for p in files_under(&at.data.join("exports"))? {
                copy_file(
                    &at.data.join("exports").join(&p),
                    &out.join("recorder/exports").join(&p),
                    false,
                )?;
                footage_files += 1;
            }
        }
        if let Some(c) = &at.config {
            copy_file(c, &out.join("mimamori.toml"), false)?;
        }

        let mut files = BTreeMap::new();
        for p in files_under(out)? {
            files.insert(p.to_string_lossy().into_owned(), entry(&out.join(&p))?);
        }
        let secrets = Secrets {
            node_key: hex::encode(node_key.to_bytes()),
            city_export_key: city_key,
            files: files.clone(),
        };
        let sealed = seal(&secrets, passphrase)?;
        std::fs::write(out.join("secrets.sealed"), serde_json::to_vec_pretty(&sealed)?)?;
        let manifest = Manifest {
            format: FORMAT.into(),
            made_at: jiff::Timestamp::now().to_string(),
            mimamori: env!("CARGO_PKG_VERSION").into(),
            database: if postgres { "postgres" } else { "sqlite" }.into(),
            recorder,
            with_footage: self.with_footage,
            files,
        };
        std::fs::write(out.join("manifest.json"), serde_json::to_vec_pretty(&manifest)?)?;
        let bytes: u64 = manifest.files.values().map(|f| f.bytes).sum();
        println!(
            "backup {}: {} files, {} bytes; governance database ({}){}; {}",
            out.display(),
            manifest.files.len() + 2,
            bytes,
            manifest.database,
            if recorder { ", recorder index and audit log" } else { "" },
            if self.with_footage {
                format!(
                    "footage: {footage_files} files with their keys — this backup is footage: destroy it when the footage's retention ends"
                )
            } else {
                "no footage and no footage key (erasure reaches this backup)".into()
            }
        );
        Ok(ExitCode::SUCCESS)
    }
}

impl RestoreArgs {
    /// Runs the restore.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let to = self.to.resolve()?;
        let passphrase = self.to.passphrase()?;
        let from = &self.from;
        let manifest: Manifest = serde_json::from_slice(
            &std::fs::read(from.join("manifest.json"))
                .with_context(|| format!("{} holds no manifest.json", from.display()))?,
        )
        .context("manifest.json")?;
        if manifest.format != FORMAT {
            bail!("{}: format {:?}, this release reads {FORMAT}", from.display(), manifest.format);
        }
        let sealed: Sealed = serde_json::from_slice(&std::fs::read(from.join("secrets.sealed"))?)
            .context("secrets.sealed")?;
        let secrets = unseal(&sealed, &passphrase)?;
        // Every file as it was made: the hashes sealed under the passphrase, not the manifest's.
        for (p, want) in &secrets.files {
            let got =
                entry(&from.join(p)).with_context(|| format!("{p} is missing from the backup"))?;
            if &got != want {
                bail!("{p} was altered or damaged since the backup was made; nothing was restored");
            }
        }
        for p in files_under(from)? {
            let name = p.to_string_lossy();
            if !secrets.files.contains_key(name.as_ref())
                && name != "manifest.json"
                && name != "secrets.sealed"
            {
                bail!(
                    "{name} is in the backup directory but was not in the backup; nothing was restored"
                );
            }
        }
        let postgres = to.db.starts_with("postgres");
        if (manifest.database == "postgres") != postgres {
            bail!(
                "the backup holds a {} database; restore it into the same kind (--db)",
                manifest.database
            );
        }
        // Only into an empty place: a restore never overwrites records.
        if to.key.exists() {
            bail!("{} exists: a restore writes a new key only", to.key.display());
        }
        if manifest.recorder && to.data.exists() && std::fs::read_dir(&to.data)?.next().is_some() {
            bail!("{} is not empty: restore into a new data directory", to.data.display());
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        if postgres {
            let n = rt.block_on(store::Db::postgres_table_count(&to.db))?;
            if n > 0 {
                bail!("the PostgreSQL database holds {n} tables: restore into an empty database");
            }
        } else {
            let path = to.db.strip_prefix("sqlite://").unwrap_or(&to.db);
            if Path::new(path).exists() {
                bail!("{path} exists: restore into a new database file");
            }
        }

        write_private(&to.key, secrets.node_key.as_bytes())?;
        let beside = server::audit_watch::Watch::beside(&to.key).published;
        if from.join("audit-checkpoints.jsonl").exists() {
            copy_file(&from.join("audit-checkpoints.jsonl"), &beside, false)?;
        }
        if postgres {
            let file = from.join("governance.pgdump");
            pg_tool(
                "pg_restore",
                &to.db,
                &file,
                &["--no-owner", "--no-privileges", "--exit-on-error"],
            )?;
        } else {
            super::ensure_db_dir(&to.db)?;
            let path = to.db.strip_prefix("sqlite://").unwrap_or(&to.db);
            copy_file(&from.join("governance.db"), Path::new(path), false)?;
        }
        let mut restored = 0usize;
        if manifest.recorder {
            std::fs::create_dir_all(&to.data)?;
            let rec = from.join("recorder");
            for p in files_under(&rec)? {
                copy_file(&rec.join(&p), &to.data.join(&p), false)?;
                restored += 1;
            }
            if let Some(k) = &secrets.city_export_key {
                write_private(&to.data.join(evidence::city::KEY_FILE), k.as_bytes())?;
            }
        }
        println!(
            "restored from {} (made {} by mimamori {}): governance database{}{}",
            from.display(),
            manifest.made_at,
            manifest.mimamori,
            if manifest.recorder {
                format!(", recorder ({restored} files)")
            } else {
                String::new()
            },
            if manifest.with_footage {
                "; footage whose retention has passed is erased at the recorder's first sweep"
            } else {
                "; no footage was in the backup"
            }
        );
        println!(
            "check it: mimamori serve --verify-audit --role {} --db … --key {}{}",
            if manifest.recorder { "all" } else { "central" },
            to.key.display(),
            if manifest.recorder {
                format!(" --data {}", to.data.display())
            } else {
                String::new()
            }
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Writes a secret file, owner-only, refusing to replace one.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // issue 22, item 5 — the secrets open only with the passphrase, and not after a change.
    #[test]
    fn sealed_secrets_open_only_with_their_passphrase() {
        let s = Secrets {
            node_key: "ab".repeat(32),
            city_export_key: Some("-----BEGIN PRIVATE KEY-----".into()),
            files: BTreeMap::from([(
                "governance.db".into(),
                FileEntry { bytes: 3, blake3: "00".into() },
            )]),
        };
        let sealed = seal(&s, "correct horse battery").unwrap();
        let back = unseal(&sealed, "correct horse battery").unwrap();
        assert_eq!(back.node_key, s.node_key);
        assert_eq!(back.files, s.files);
        let e = unseal(&sealed, "wrong horse battery").err().unwrap().to_string();
        assert!(e.contains("does not open this backup"), "{e}");
        let mut altered = sealed;
        // Flip the first byte (replacing it with a fixed value left it unchanged
        // whenever the random nonce made the ciphertext already start with it — 1 run in 256).
        let first = u8::from_str_radix(&altered.ciphertext[0..2], 16).unwrap();
        altered.ciphertext.replace_range(0..2, &format!("{:02x}", first ^ 0xff));
        assert!(unseal(&altered, "correct horse battery").is_err());
    }

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let (url, pw) = split_password("postgres://mimamori:s%40cret@db.city.local/gov").unwrap();
        assert_eq!(url, "postgres://mimamori@db.city.local/gov");
        assert_eq!(pw.as_deref().map(String::as_str), Some("s@cret"));
    }
}
