//! `mimamori recorder status`: what each camera is doing — never a picture (ALL-REC-2).

use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Recorder subcommands.
#[derive(Debug, Subcommand)]
pub enum RecorderCmd {
    /// Per-camera state, last frame, bitrate and gaps today, from the recorder's status file.
    Status {
        /// The recorder's data directory.
        #[arg(long, default_value = "mimamori-data/recorder")]
        data: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What the city publishes so anyone can verify this node's evidence packages offline: the
    /// node's public key (for `mimamori verify --public-key`) and the city's export certificate.
    Publish {
        /// The recorder's data directory.
        #[arg(long, default_value = "mimamori-data/recorder")]
        data: PathBuf,
        /// The node key (default DATA/node.key).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Write `node-public-key.txt` and `city-export.crt` into this directory too.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

impl RecorderCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let (data, json) = match self {
            RecorderCmd::Status { data, json } => (data, json),
            RecorderCmd::Publish { data, key, out } => return publish(&data, key, out),
        };
        let path = data.join("status.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("no recorder status at {} (is a recorder running there?)", path.display())
        })?;
        let v: serde_json::Value =
            serde_json::from_str(&text).context("the status file is not JSON")?;
        if json {
            println!("{}", serde_json::to_string_pretty(&v)?);
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "node {} at {}",
            v["node"].as_str().unwrap_or("?"),
            v["written_at"].as_str().unwrap_or("?")
        );
        for c in v["cameras"].as_array().into_iter().flatten() {
            let last = c["last_frame_ms"].as_i64().map(|ms| {
                policy::jst::rfc3339(
                    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
                )
            });
            println!(
                "{:<12} {:<10} last frame {:<30} {:>6} kbit/s  gaps today {:<3} {}",
                c["camera"].as_str().unwrap_or("?"),
                c["state"].as_str().unwrap_or("?"),
                last.unwrap_or_else(|| "-".into()),
                c["bitrate_bps"].as_u64().unwrap_or(0) / 1000,
                c["gaps_today"].as_u64().unwrap_or(0),
                c["detail"].as_str().unwrap_or("")
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn publish(
    data: &std::path::Path,
    key: Option<PathBuf>,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    // A recorder keeps its key in its data directory; `demo` (and `serve --role all`) keep one
    // key for the server and the recorder beside the recorder's directory.
    let key = key.unwrap_or_else(|| {
        let own = data.join("node.key");
        match data.parent().map(|p| p.join("node.key")) {
            Some(shared) if !own.exists() && shared.exists() => shared,
            _ => own,
        }
    });
    let signing = audit::key::load_existing(&key)?;
    let public = hex::encode(signing.verifying_key().as_bytes());
    println!("node public key (mimamori verify --public-key): {public}");
    let cert = data.join("city-export.crt");
    let pem = std::fs::read(&cert).ok();
    match &pem {
        Some(p) => {
            let der = evidence::city::pem_to_der(p)
                .context("city-export.crt is not a PEM certificate")?;
            println!("city export certificate (--city-cert): {}", cert.display());
            println!("  SHA-256 {}", evidence::city::cert_fingerprint(&der));
        }
        None => println!("city export certificate: none yet (created at the first export)"),
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("node-public-key.txt"), format!("{public}\n"))?;
        if let Some(p) = pem {
            std::fs::write(dir.join("city-export.crt"), p)?;
        }
        println!("written to {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
