//! The server's configuration file (`/etc/mimamori/mimamori.toml`, `serve --config`) and
//! `mimamori config check` (issue 22, item 1).
//!
//! What a city's IT section sets once — listen address, database, data directories, node
//! identity, trusted proxies, camera networks, metrics — lives in one TOML file instead of a
//! command line every user of the machine can read (`ps`). Secrets are never in it: the
//! database password, the camera credentials and the metrics token are each read from a file
//! of their own that only the service's user can read, or from the environment
//! (`MIMAMORI_DB_PASSWORD`, `MIMAMORI_CAMERAS`). `config check` reports every problem with its
//! line and column, the way `profile check` does.

use super::serve::{LogFormat, Role};
use anyhow::Context;
use clap::Subcommand;
use policy::profile::{Location, Locator};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The configuration file. Every key is optional; a flag given to `serve` wins over the file,
/// the file over the built-in default.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// What the process runs: `central`, `recorder` or `all`.
    pub role: Option<Role>,
    /// Regulation profile: a seed name or a profile file's path.
    pub profile: Option<String>,
    /// Address the HTTP API and the web application listen on.
    pub listen: Option<SocketAddr>,
    /// Mark cookies `Secure` (default true; false only for plain HTTP on a development machine).
    pub secure_cookies: Option<bool>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (loopback always is).
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The governance database.
    #[serde(default)]
    pub database: DatabaseSection,
    /// This machine as a recorder node.
    #[serde(default)]
    pub node: NodeSection,
    /// The Prometheus endpoint.
    #[serde(default)]
    pub metrics: MetricsSection,
    /// Logging.
    #[serde(default)]
    pub log: LogSection,
    /// Login with the city's directory (LDAP / Active Directory).
    pub directory: Option<server::directory::DirectoryConfig>,
    /// HTTPS served by the process itself.
    pub tls: Option<TlsSection>,
    /// Evidence packages in an S3-compatible store every central process reaches.
    pub packages: Option<PackagesSection>,
    /// The city's emblem (市章) for the pages' header: a PNG, JPEG or SVG file of at most
    /// 256 KiB. Without it the city's name stands alone.
    pub emblem: Option<PathBuf>,
}

/// `[packages]`: keep evidence packages in an S3-compatible object store (issue 21, item 4),
/// so that several central processes behind a load balancer each serve every download. Without
/// it they stay on the disk of the process that made them.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackagesSection {
    /// The S3 endpoint (`https://…`).
    pub s3_endpoint: String,
    /// The bucket.
    pub s3_bucket: String,
    /// The region the endpoint expects.
    #[serde(default = "default_region")]
    pub s3_region: String,
    /// Access key id.
    pub s3_access_key_id: String,
    /// A file (owner-only) holding the secret access key.
    pub s3_secret_access_key_file: PathBuf,
}

fn default_region() -> String {
    "us-east-1".into()
}

/// `[tls]`: HTTPS without a reverse proxy.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// The certificate chain (PEM), the server's certificate first.
    pub cert_file: PathBuf,
    /// Its private key (PEM; owner-only).
    pub key_file: PathBuf,
}

/// `[database]`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// A SQLite file path or `postgres://user@host/db` — without a password.
    pub url: Option<String>,
    /// A file holding the PostgreSQL password (owner-only); `MIMAMORI_DB_PASSWORD` instead.
    pub password_file: Option<PathBuf>,
}

/// `[node]`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// Node name.
    pub id: Option<String>,
    /// Recorder data directory.
    pub data: Option<PathBuf>,
    /// The node's signing key (created 0600 if missing).
    pub key: Option<PathBuf>,
    /// Target segment length in seconds.
    pub segment_secs: Option<u32>,
    /// Pause recording below this much free space (MiB).
    pub min_free_mib: Option<u64>,
    /// Networks cameras may be in (none: any).
    #[serde(default)]
    pub camera_networks: Vec<ipnet::IpNet>,
    /// Cameras with their credentials, one `CODE=rtsp://…` per line (owner-only file).
    pub cameras_file: Option<PathBuf>,
    /// Where the node API listens for the governance centre (role recorder, once enrolled with
    /// `mimamori node enrol`; docs/node-api.md).
    pub listen: Option<std::net::SocketAddr>,
}

/// `[metrics]`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// A file (owner-only) holding the bearer token Prometheus sends to `/metrics`. Without
    /// it `/metrics` is not served (deny by default).
    pub token_file: Option<PathBuf>,
}

/// `[log]`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// `text` (default) or `json` (one JSON object per line, for a log collector).
    pub format: Option<LogFormat>,
}

/// One thing wrong with a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigProblem {
    /// The key (`node.cameras_file`), empty for the whole file.
    pub path: String,
    /// Where it is, when it can be located.
    pub location: Option<Location>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ConfigProblem {
    /// `FILE:LINE:COL: message (at KEY)`.
    pub fn render(&self, file: &str) -> String {
        let at = Location::in_file(file, self.location.as_ref());
        let key = if self.path.is_empty() { String::new() } else { format!(" (at {})", self.path) };
        format!("{at}: {}{key}", self.message)
    }
}

/// Reads and checks a configuration file: the configuration when it has no problem, else
/// every problem found.
pub fn load(path: &Path) -> anyhow::Result<Result<FileConfig, Vec<ConfigProblem>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    Ok(check_str(&text))
}

/// Parses and checks a configuration text; relative paths in it are taken from the working
/// directory (as `serve` will), files are looked at where they are named.
pub fn check_str(text: &str) -> Result<FileConfig, Vec<ConfigProblem>> {
    let locator = Locator::new(text);
    let config: FileConfig = match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            return Err(vec![ConfigProblem {
                path: String::new(),
                location: e.span().map(|s| locator.position(s.start)),
                message: e.message().trim().to_owned(),
            }]);
        }
    };
    let mut problems = Vec::new();
    let mut push = |path: &str, message: String| {
        problems.push(ConfigProblem {
            path: path.to_owned(),
            location: locator.locate(path),
            message,
        });
    };
    let role = config.role.unwrap_or(Role::Central);
    if let Some(p) = &config.profile
        && let Err(e) = super::load_profile(p)
    {
        push("profile", super::one_line(&e));
    }
    if let Some(url) = &config.database.url {
        if let Some(problem) = database_url_problem(url) {
            push("database.url", problem);
        }
        if role == Role::Recorder {
            push("database.url", "a recorder node has no governance database: remove [database] or set role = \"central\" or \"all\"".into());
        }
    }
    if let Some(f) = &config.database.password_file {
        if !config.database.url.as_deref().is_some_and(|u| u.starts_with("postgres")) {
            push(
                "database.password_file",
                "a password is only used with a postgres:// database url".into(),
            );
        }
        if let Err(e) = secret_file(f) {
            push("database.password_file", e);
        }
    }
    if let Some(f) = &config.node.cameras_file
        && let Err(e) = secret_file(f)
    {
        push("node.cameras_file", e);
    }
    if let Some(f) = &config.emblem
        && let Err(e) = server::emblem::Emblem::from_file(f)
    {
        push("emblem", e.to_string());
    }
    if let Some(p) = &config.packages {
        if let Err(e) = secret_file(&p.s3_secret_access_key_file) {
            push("packages.s3_secret_access_key_file", e);
        }
        if !(p.s3_endpoint.starts_with("https://") || p.s3_endpoint.starts_with("http://")) {
            push("packages.s3_endpoint", "an http(s):// URL of the S3 endpoint".into());
        }
        if p.s3_bucket.trim().is_empty() {
            push("packages.s3_bucket", "the bucket packages are kept in".into());
        }
    }
    if let Some(f) = &config.metrics.token_file {
        match secret_file(f) {
            Ok(token) if token.len() < 16 => push(
                "metrics.token_file",
                format!(
                    "{}: the token is {} characters; use at least 16 random ones (e.g. `openssl rand -hex 24`)",
                    f.display(),
                    token.len()
                ),
            ),
            Ok(_) => {}
            Err(e) => push("metrics.token_file", e),
        }
    }
    if let Some(t) = &config.tls {
        if let Err(e) = private_mode(&t.key_file) {
            push("tls.key_file", e);
        } else if let Err(e) = server::limits::tls_config(&t.cert_file, &t.key_file) {
            push("tls", e);
        }
    }
    if let Some(d) = &config.directory {
        if !(d.url.starts_with("ldap://") || d.url.starts_with("ldaps://")) {
            push(
                "directory.url",
                format!("{:?}: use ldaps://host or ldap://host (with starttls = true)", d.url),
            );
        }
        if !d.user_filter.contains("{login}") {
            push(
                "directory.user_filter",
                "the filter must hold {login}, where the login typed is put".into(),
            );
        }
        if d.bind_dn.is_some() != d.bind_password_file.is_some() {
            push(
                "directory.bind_dn",
                "give the service account's bind_dn and bind_password_file together".into(),
            );
        }
        if let Some(f) = &d.bind_password_file
            && let Err(e) = secret_file(f)
        {
            push("directory.bind_password_file", e);
        }
        if let Some(ca) = &d.ca_file
            && !ca.is_file()
        {
            push("directory.ca_file", format!("{}: no such file", ca.display()));
        }
        if d.groups.is_empty() {
            push(
                "directory",
                "map at least one group: [[directory.groups]] group, organisation, role".into(),
            );
        }
        if role == Role::Recorder {
            push("directory", "a recorder node has no logins: remove [directory]".into());
        }
        if let Some(p) =
            config.profile.as_deref().map(super::load_profile).transpose().ok().flatten()
        {
            for (i, g) in d.groups.iter().enumerate() {
                if p.role(&g.role).is_none() {
                    push(
                        &format!("directory.groups[{i}].role"),
                        format!("{:?} is not a role of profile {}", g.role, p.profile.id),
                    );
                }
            }
        }
    }
    if let Some(k) = &config.node.key
        && k.exists()
        && let Err(e) = private_mode(k)
    {
        push("node.key", e);
    }
    if let Some(d) = &config.node.data
        && d.exists()
        && !d.is_dir()
    {
        push("node.data", format!("{} exists and is not a directory", d.display()));
    }
    if let Some(id) = &config.node.id
        && (id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        push("node.id", format!("node id {id:?}: use letters, digits, '-' and '_' only"));
    }
    if let Some(s) = config.node.segment_secs
        && !(1..=3600).contains(&s)
    {
        push("node.segment_secs", format!("{s} s: a segment lasts between 1 and 3600 seconds"));
    }
    if config.node.min_free_mib == Some(0) {
        push(
            "node.min_free_mib",
            "0 MiB would let the disk fill up completely: keep a reserve (default 64)".into(),
        );
    }
    if let Some(addr) = config.listen
        && !addr.ip().is_loopback()
        && config.secure_cookies == Some(false)
    {
        push(
            "secure_cookies",
            format!(
                "secure_cookies = false on {addr}: session cookies would cross the network in clear; serve HTTPS through a reverse proxy and keep the default"
            ),
        );
    }
    if problems.is_empty() { Ok(config) } else { Err(problems) }
}

/// Why a database URL cannot be used, if it cannot.
fn database_url_problem(url: &str) -> Option<String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return Some(format!("not a database URL: {e}")),
        };
        if parsed.password().is_some() {
            return Some(
                "the URL holds a password: put it in database.password_file (mode 0600) or MIMAMORI_DB_PASSWORD".into(),
            );
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Some("the URL names no host".into());
        }
        return None;
    }
    if url.contains("://") && !url.starts_with("sqlite://") {
        return Some("use a SQLite file path, sqlite://PATH or postgres://user@host/db".into());
    }
    let path = Path::new(url.strip_prefix("sqlite://").unwrap_or(url));
    if path.is_dir() {
        return Some(format!("{} is a directory: name the database file in it", path.display()));
    }
    None
}

/// A file holding a secret: it must exist, be readable by its owner only, and not be empty.
/// Returns its content, trimmed.
pub fn secret_file(path: &Path) -> Result<String, String> {
    private_mode(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(text)
}

/// The file exists and only its owner can read it.
fn private_mode(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} holds a secret and is readable by others (mode {:o}): chmod 600 it",
                path.display(),
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// `mimamori config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Check a configuration file: exit 0 if `serve --config` would accept it, 1 with every
    /// problem (file:line:column) otherwise.
    Check {
        /// The configuration file.
        file: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print an annotated configuration file to start from.
    Example,
}

impl ConfigCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ConfigCmd::Example => {
                print!("{EXAMPLE}");
                Ok(ExitCode::SUCCESS)
            }
            ConfigCmd::Check { file, json } => {
                let name = file.display().to_string();
                match load(&file)? {
                    Ok(c) => {
                        if json {
                            super::print_json(
                                &serde_json::json!({ "file": name, "valid": true, "problems": [] }),
                            )?;
                        } else {
                            println!("{name}: ok — {}", summary(&c));
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(problems) => {
                        if json {
                            super::print_json(
                                &serde_json::json!({ "file": name, "valid": false, "problems": problems }),
                            )?;
                        } else {
                            for p in &problems {
                                println!("{}", p.render(&name));
                            }
                            eprintln!("{name}: {} problem(s)", problems.len());
                        }
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
        }
    }
}

/// One line saying what the configuration runs (no secret in it: the URL holds none).
fn summary(c: &FileConfig) -> String {
    let role = c.role.unwrap_or(Role::Central);
    let mut parts = vec![format!("role {}", role.name())];
    if let Some(p) = &c.profile {
        parts.push(format!("profile {p}"));
    }
    if let Some(l) = c.listen {
        parts.push(format!("listen {l}"));
    }
    if let Some(u) = &c.database.url {
        parts.push(format!("database {u}"));
    }
    if let Some(id) = &c.node.id {
        parts.push(format!("node {id}"));
    }
    if c.metrics.token_file.is_some() {
        parts.push("metrics on".into());
    }
    parts.join(", ")
}

/// The configuration a package installs (`mimamori config example`).
pub const EXAMPLE: &str = include_str!("../../../../packaging/mimamori.toml");

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn private(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        p
    }

    // issue 22, item 1 — the packaged example is a valid configuration.
    #[test]
    fn the_packaged_example_checks() {
        let c = check_str(EXAMPLE).unwrap();
        assert_eq!(c.role, Some(Role::Central));
    }

    // issue 22, item 1 — a good file with its secrets in private files.
    #[test]
    fn a_good_file_passes_with_secrets_in_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let pw = private(dir.path(), "db-password", "s3cret\n");
        let token = private(dir.path(), "metrics-token", "0123456789abcdef0123\n");
        let cams = private(dir.path(), "cameras", "cam1=rtsp://u:p@10.0.0.5/s\n");
        let text = format!(
            "role = \"all\"\nprofile = \"kitakyushu\"\nlisten = \"0.0.0.0:8443\"\ntrusted_proxies = [\"10.1.0.10/32\"]\n\
             [database]\nurl = \"postgres://mimamori@db.city.local/mimamori\"\npassword_file = {pw:?}\n\
             [node]\nid = \"station-east\"\ncamera_networks = [\"10.20.0.0/16\"]\ncameras_file = {cams:?}\n\
             [metrics]\ntoken_file = {token:?}\n[log]\nformat = \"json\"\n"
        );
        let c = check_str(&text).unwrap();
        assert_eq!(c.trusted_proxies.len(), 1);
        assert_eq!(c.log.format, Some(LogFormat::Json));
        assert_eq!(secret_file(&pw).unwrap(), "s3cret");
    }

    // issue 22, item 1 — every problem, each with its line.
    #[test]
    fn every_problem_is_reported_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("db-password");
        std::fs::write(&open, "pw").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let short = private(dir.path(), "token", "abc");
        let text = format!(
            "profile = \"atlantis\"\nlisten = \"0.0.0.0:80\"\nsecure_cookies = false\n\
             [database]\nurl = \"postgres://mimamori:hunter2@db/mimamori\"\npassword_file = {open:?}\n\
             [node]\nid = \"node 1\"\nsegment_secs = 0\nmin_free_mib = 0\n\
             [metrics]\ntoken_file = {short:?}\n"
        );
        let problems = check_str(&text).unwrap_err();
        let lines: Vec<(&str, usize)> = problems
            .iter()
            .map(|p| (p.path.as_str(), p.location.as_ref().map_or(0, |l| l.line)))
            .collect();
        assert_eq!(
            lines,
            [
                ("profile", 1),
                ("database.url", 5),
                ("database.password_file", 6),
                ("metrics.token_file", 12),
                ("node.id", 8),
                ("node.segment_secs", 9),
                ("node.min_free_mib", 10),
                ("secure_cookies", 3),
            ],
            "{problems:#?}"
        );
        let all: String = problems.iter().map(|p| p.render("m.toml") + "\n").collect();
        assert!(all.contains("m.toml:5:7: the URL holds a password"), "{all}");
        assert!(all.contains("chmod 600"), "{all}");
        assert!(!all.contains("hunter2"), "a password is never repeated: {all}");
    }

    // issue 22, item 1 — a misspelt key or a bad value is located too.
    #[test]
    fn unknown_keys_and_bad_values_are_located() {
        let p = check_str("role = \"central\"\n[node]\ndata_dir = \"/var\"\n").unwrap_err();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].location.as_ref().unwrap().line, 3, "{p:?}");
        assert!(p[0].message.contains("unknown field `data_dir`"), "{p:?}");
        let p = check_str("trusted_proxies = [\"10.0.0.300/32\"]\n").unwrap_err();
        assert_eq!(p[0].location.as_ref().unwrap().line, 1, "{p:?}");
        let p = check_str("role = \"viewer\"\n").unwrap_err();
        assert!(p[0].message.contains("viewer"), "{p:?}");
    }

    // issue 19, item 8 — the city's emblem: an image passes, anything else is located.
    #[test]
    fn the_emblem_is_an_image() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("emblem.svg");
        std::fs::write(&svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
        let c = check_str(&format!("profile = \"saku\"\nemblem = {svg:?}\n")).unwrap();
        assert_eq!(c.emblem.as_deref(), Some(svg.as_path()));
        let html = dir.path().join("emblem.html");
        std::fs::write(&html, "<html><script>alert(1)</script></html>").unwrap();
        let p = check_str(&format!("profile = \"saku\"\nemblem = {html:?}\n")).unwrap_err();
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].path.as_str(), p[0].location.as_ref().map(|l| l.line)),
            ("emblem", Some(2))
        );
        assert!(p[0].message.contains("not a PNG, JPEG or SVG"), "{}", p[0].message);
    }

    // issue 22, item 2 — the directory section: a usable one passes, mistakes are located.
    #[test]
    fn the_directory_section_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let pw = private(dir.path(), "ldap-password", "reader-pass\n");
        let good = format!(
            "profile = \"asahikawa\"\n[directory]\nurl = \"ldaps://dc1.city.local\"\n\
             bind_dn = \"CN=mimamori,OU=Service,DC=city,DC=local\"\nbind_password_file = {pw:?}\n\
             user_base = \"OU=Staff,DC=city,DC=local\"\n\
             user_filter = \"(&(objectClass=user)(sAMAccountName={{login}}))\"\n\
             group_base = \"OU=Groups,DC=city,DC=local\"\n\
             [[directory.groups]]\ngroup = \"CN=Camera,OU=Groups,DC=city,DC=local\"\n\
             organisation = \"防災安全部交通防犯課\"\nrole = \"handling_officer\"\n"
        );
        let c = check_str(&good).unwrap();
        assert_eq!(c.directory.unwrap().groups.len(), 1);
        let bad = good
            .replace("ldaps://", "http://")
            .replace("sAMAccountName={login}", "sAMAccountName=x")
            .replace("handling_officer", "shogun");
        let p = check_str(&bad).unwrap_err();
        let at: Vec<(&str, usize)> = p
            .iter()
            .map(|x| (x.path.as_str(), x.location.as_ref().map_or(0, |l| l.line)))
            .collect();
        assert_eq!(
            at,
            [("directory.url", 3), ("directory.user_filter", 7), ("directory.groups[0].role", 12)],
            "{p:#?}"
        );
    }
}
