//! Subcommands and the helpers they share.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod bench_api;
pub mod bench_export;
pub mod bench_fleet;
pub mod bench_mask;
pub mod bench_peers;
pub mod bench_view;
pub mod camsim;
pub mod config;
pub mod demo;
mod demo_history;
mod demo_nodes;
pub mod node;
pub mod policy;
pub mod profile;
pub mod recorder;
pub mod report;
pub mod serve;
pub mod verify;

use ::policy::Profile;
use anyhow::{Context, bail};
use std::process::ExitCode;

/// Prints a clap error. Help and version go to stdout with exit 0; usage errors print one line
/// (the first line of clap's message) and exit 2, so scripts get a clear, short error.
pub fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let text = e.render().to_string();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            eprintln!("{} (try --help)", first.trim());
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    e.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ").replace('\n', " ")
}

/// Resolves `--profile`: a seed name (`asahikawa`) or a path to a profile TOML file.
pub fn load_profile(name_or_path: &str) -> anyhow::Result<Profile> {
    let looks_like_path = name_or_path.ends_with(".toml") || name_or_path.contains('/');
    if !looks_like_path {
        return Ok(::policy::resolve_seed(name_or_path)?);
    }
    let text = std::fs::read_to_string(name_or_path)
        .with_context(|| format!("cannot read profile file {name_or_path}"))?;
    match ::policy::profile::load_str(&text) {
        Ok(p) => Ok(p),
        Err(problems) => bail!(
            "profile {name_or_path} has {} problem(s), first: {}; run `mimamori profile check {name_or_path}`",
            problems.len(),
            problems[0].render(name_or_path)
        ),
    }
}

/// Parses an RFC 3339 flag value.
pub fn parse_instant(s: &str) -> anyhow::Result<jiff::Timestamp> {
    Ok(::policy::jst::parse_rfc3339(s)?)
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Creates the directory of a SQLite database file (no-op for PostgreSQL URLs).
pub fn ensure_db_dir(db: &str) -> anyhow::Result<()> {
    if db.starts_with("postgres") {
        return Ok(());
    }
    let path = std::path::Path::new(db.strip_prefix("sqlite://").unwrap_or(db));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}
