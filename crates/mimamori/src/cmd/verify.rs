//! `mimamori verify PACKAGE`: the offline evidence verifier (issues 5, 17). Needs only the
//! package and the node public key the city publishes; prints a plain verdict in Japanese and
//! English, what the package was made for first. Exit status: 0 verified, 1 tampered (or made
//! for another request than `--request`), 2 could not check (unreadable input, missing key,
//! wrong passphrase; clap's usage errors are 2 as well).

use anyhow::{Context, bail};
use audit::key;
use evidence::package::Decryption;
use evidence::verify::{Options, Severity, Verdict, verify};
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
    /// The request number the package is presented for (as on the request form): a package
    /// made for another request fails (a replay).
    #[arg(long, value_name = "NUMBER")]
    request: Option<String>,
    /// Also check the package against the city's records on this server (`http://host:port`):
    /// made by a recorded extraction, with this manifest, for which request, recipient, and
    /// whether its use is in the ledger. Needs an API token (`--token-file`).
    #[arg(long, value_name = "URL", requires = "token_file")]
    against: Option<String>,
    /// A file holding the API token for `--against` (never on the command line).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The city's record of a package, as `GET /api/v1/packages/{id}/record` answers.
#[derive(Debug, serde::Deserialize)]
struct Record {
    manifest_sha256: String,
    made_for: serde_json::Value,
    extraction: serde_json::Value,
    ledger: Option<serde_json::Value>,
}

/// Exit status when the inputs cannot be used (a key or passphrase file that cannot be read).
fn unchecked(e: anyhow::Error) -> anyhow::Result<ExitCode> {
    eprintln!("検証できません / could not check: {e:#}");
    Ok(ExitCode::from(2))
}

impl VerifyArgs {
    /// Compares a verified package with the server's record of it; adds findings.
    fn against_records(&self, url: &str, report: &mut evidence::verify::Report) {
        let (Some(id), Some(sha), true) =
            (report.package_id.clone(), report.manifest_sha256.clone(), report.manifest_verified)
        else {
            return; // Nothing trustworthy to look up: the offline findings say why.
        };
        let record = match fetch_record(url, self.token_file.as_deref(), &id) {
            Ok(r) => r,
            Err(FetchError::Unknown) => {
                report.fail(
                    "binding.unknown",
                    format!("市の記録に、パッケージ {id} を作成した抽出はありません"),
                    format!("the city's records hold no extraction that made package {id}"),
                );
                return;
            }
            Err(FetchError::Other(e)) => {
                report.unchecked(
                    format!("記録との照合ができません: {e:#}"),
                    format!("could not check against the records: {e:#}"),
                );
                return;
            }
        };
        if record.manifest_sha256 != sha {
            report.fail(
                "binding.manifest",
                "このマニフェストは、市が抽出時に記録したものと異なります",
                "this manifest is not the one the city recorded when the package was extracted",
            );
        }
        let number = record.made_for.get("request_number").and_then(|v| v.as_str());
        let recipient = record.made_for.get("recipient").and_then(|v| v.as_str()).unwrap_or("");
        let what = match (
            number,
            record.made_for.get("emergency_order_number").and_then(|v| v.as_str()),
        ) {
            (Some(n), _) => format!("request {n}"),
            (None, Some(o)) => format!("emergency order {o}"),
            _ => "an unknown record".to_owned(),
        };
        if let Some(want) = &self.request
            && number != Some(want.as_str())
        {
            report.fail(
                "binding.request",
                format!("市の記録では、このパッケージは {what} のために作られました（依頼 {want} ではありません）"),
                format!("the city's records say this package was made for {what}, not request {want}"),
            );
        }
        let ext = record.extraction.get("at").and_then(|v| v.as_str()).unwrap_or("?");
        report.note(
            "binding.record",
            format!("市の記録と一致: {ext} の抽出、{what}、提供先 {recipient}"),
            format!(
                "matches the city's records: extracted {ext}, for {what}, recipient {recipient}"
            ),
        );
        if let Some(l) = &record.ledger {
            let at = l.get("written_at").and_then(|v| v.as_str()).unwrap_or("?");
            let handed = l.get("handover_date").and_then(|v| v.as_str()).unwrap_or("-");
            let lid = l.get("id").and_then(serde_json::Value::as_i64).unwrap_or(0);
            report.note(
                "binding.used",
                format!("利用台帳に記録済み（台帳 {lid}、{at} 記入、引渡日 {handed}）: このパッケージは既に提供に使われています"),
                format!("already used: recorded in the usage ledger (entry {lid}, written {at}, handed over {handed})"),
            );
        }
    }

    /// Runs the verifier: exit 0 verified, 1 tampered, 2 could not check.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.inputs() {
            Ok((node_key, city_cert, decryption)) => self.check(node_key, city_cert, decryption),
            Err(e) => unchecked(e),
        }
    }

    #[allow(clippy::type_complexity)]
    fn inputs(
        &self,
    ) -> anyhow::Result<(ed25519_dalek::VerifyingKey, Option<Vec<u8>>, Option<Decryption>)> {
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
        Ok((node_key, city_cert, decryption))
    }

    fn check(
        &self,
        node_key: ed25519_dalek::VerifyingKey,
        city_cert: Option<Vec<u8>>,
        decryption: Option<Decryption>,
    ) -> anyhow::Result<ExitCode> {
        let mut report = verify(
            &self.package,
            &Options {
                node_key,
                city_cert,
                decryption: decryption.as_ref(),
                expect_request: self.request.clone(),
            },
        );
        if let Some(url) = &self.against {
            self.against_records(url, &mut report);
        }
        if self.json {
            let findings: Vec<_> = report
                .findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "severity": match f.severity {
                            Severity::Fail => "fail",
                            Severity::Note => "note",
                            Severity::Unchecked => "unchecked",
                        },
                        "code": f.code, "ja": f.ja, "en": f.en,
                    })
                })
                .collect();
            let verdict = match report.verdict() {
                Verdict::Verified => "verified",
                Verdict::Tampered => "tampered",
                Verdict::Unchecked => "unchecked",
            };
            let v = serde_json::json!({
                "verdict": verdict,
                "exit_code": report.verdict().exit_code(),
                "ok": report.ok(),
                "package_id": report.package_id,
                "made_for": if report.manifest_verified { report.refs.clone() } else { None },
                "extracted_by": if report.manifest_verified { report.operator.clone() } else { None },
                "created": report.created,
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
        Ok(ExitCode::from(report.verdict().exit_code()))
    }
}

enum FetchError {
    Unknown,
    Other(anyhow::Error),
}

/// `GET {url}/api/v1/packages/{id}/record` with the token in `file`.
fn fetch_record(url: &str, file: Option<&std::path::Path>, id: &str) -> Result<Record, FetchError> {
    let other = FetchError::Other;
    let token = match file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read {}", f.display()))
            .map_err(other)?
            .trim()
            .to_owned(),
        None => return Err(other(anyhow::anyhow!("--token-file is needed"))),
    };
    if !url.starts_with("http://") {
        return Err(other(anyhow::anyhow!(
            "this build speaks plain HTTP: give the server's http:// address (on the city's \
             network, or through an SSH tunnel)"
        )));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| other(e.into()))?;
    rt.block_on(async {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1/packages/{id}/record", url.trim_end_matches('/')))
            .bearer_auth(token)
            .timeout(std::time::Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| other(e.into()))?;
        match r.status() {
            reqwest::StatusCode::NOT_FOUND => Err(FetchError::Unknown),
            s if s.is_success() => r.json::<Record>().await.map_err(|e| other(e.into())),
            s => {
                let body = r.text().await.unwrap_or_default();
                Err(other(anyhow::anyhow!(
                    "the server answered {s}: {}",
                    body.chars().take(300).collect::<String>()
                )))
            }
        }
    })
}
