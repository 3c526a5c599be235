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
}

impl RecorderCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let RecorderCmd::Status { data, json } = self;
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
