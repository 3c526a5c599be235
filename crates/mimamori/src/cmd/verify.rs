//! `mimamori verify PACKAGE`: the offline evidence verifier (issue 5). Needs only the package and
//! the node public key the city publishes; prints a plain verdict in Japanese and English and
//! exits 0 only when everything verifies.

use anyhow::{Context, bail};
use audit::key;
use evidence::package::Decryption;
use evidence::verify::{Options, Severity, verify};
use std::path::PathBuf;
use std::process::ExitCode;

/// Verify an evidence package offline.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The package (`.zip`, or `.age` when encrypted to you).
    package: PathBuf,
    /// The exporting node's public key: 64 hex digits, or a file holding them (as published).
    #[arg(long, value_name = "HEX|FILE")]
    public_key: String,
    /// The city's certificate (PEM) to pin, as published; without it the signed manifest pins it.
    #[arg(long, value_name = "FILE")]
    city_cert: Option<PathBuf>,
    /// For a passphrase-encrypted package: a file holding the passphrase (first line).
    #[arg(long, value_name = "FILE", conflicts_with = "identity")]
    passphrase_file: Option<PathBuf>,
    /// For a package encrypted to your age key: your identity file.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl VerifyArgs {
    /// Runs the verifier: exit 0 verified, 1 not verified.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let text = if std::path::Path::new(&self.public_key).exists() {
            std::fs::read_to_string(&self.public_key)
                .with_context(|| format!("cannot read {}", self.public_key))?
        } else {
            self.public_key.clone()
        };
        let node_key = key::parse_public_key(&text)
            .context("--public-key is not a 32-byte Ed25519 key in hex")?;
        let city_cert = match &self.city_cert {
            None => None,
            Some(p) => {
                let pem =
                    std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
                Some(
                    evidence::city::pem_to_der(&pem)
                        .context("--city-cert is not a PEM certificate")?,
                )
            }
        };
        let decryption = match (&self.passphrase_file, &self.identity) {
            (Some(p), _) => {
                let t = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                let line = t.lines().next().unwrap_or("").to_owned();
                if line.is_empty() {
                    bail!("{} holds no passphrase", p.display());
                }
                Some(Decryption::Passphrase(line.into()))
            }
            (None, Some(i)) => {
                let t = std::fs::read_to_string(i)
                    .with_context(|| format!("cannot read {}", i.display()))?;
                Some(Decryption::identity_file(&t)?)
            }
            (None, None) => None,
        };
        if !self.package.exists() {
            bail!("no package at {}", self.package.display());
        }
        let report = verify(
            &self.package,
            &Options { node_key, city_cert, decryption: decryption.as_ref() },
        );
        if self.json {
            let findings: Vec<_> = report
                .findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "severity": if f.severity == Severity::Fail { "fail" } else { "note" },
                        "code": f.code, "ja": f.ja, "en": f.en,
                    })
                })
                .collect();
            let v = serde_json::json!({
                "ok": report.ok(),
                "package_id": report.package_id,
                "camera": report.camera,
                "requested": report.requested.as_ref().map(|r| [&r.from, &r.to]),
                "delivered": report.delivered.as_ref().map(|r| [&r.from, &r.to]),
                "frames_checked": report.frames_checked,
                "frames_ok": report.frames_ok,
                "encrypted": report.encrypted,
                "findings": findings,
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            print!("{}", report.render());
        }
        Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }
}
