//! `mimamori` — the command-line entry point: parses arguments and wires the crates together.
//! No rule lives here; every decision is asked of the `policy` crate (and later `store`,
//! `recorder`, `server`).

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimamori (見守り): recorder and governance system for municipal street security cameras.
#[derive(Debug, Parser)]
#[command(name = "mimamori", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List, show and check regulation profiles.
    #[command(subcommand)]
    Profile(cmd::profile::ProfileCmd),
    /// Ask a profile's rules about an instant: calendar, retention.
    #[command(subcommand)]
    Policy(cmd::policy::PolicyCmd),
    /// Verify the tamper-evident audit log; export a signed checkpoint for publication.
    #[command(subcommand)]
    Audit(cmd::audit::AuditCmd),
    /// Benchmarks against peers measured in the same run.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCmd),
    /// Camera simulator: serve N RTSP cameras from a looped clip.
    Camsim(cmd::camsim::CamsimArgs),
    /// Recorder status (no live view).
    #[command(subcommand)]
    Recorder(cmd::recorder::RecorderCmd),
    /// A recorder node's enrolment with the governance centre.
    #[command(subcommand)]
    Node(cmd::node::NodeCmd),
    /// Back up the governance database, keys (sealed under a passphrase), the recorder's
    /// index and audit log — footage only on request.
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup into an empty database, key and data directory.
    Restore(cmd::backup::RestoreArgs),
    /// Check the server's configuration file; print an example to start from.
    #[command(subcommand)]
    Config(cmd::config::ConfigCmd),
    /// Run the governance server (HTTP API), a recorder node, or both.
    Serve(Box<cmd::serve::ServeArgs>),
    /// Verify an evidence package offline (exit 0 only if everything verifies).
    Verify(cmd::verify::VerifyArgs),
    /// The demo: server, web application, recorder and simulated cameras in one process, with
    /// an account for every role (127.0.0.1 only).
    Demo(cmd::demo::DemoArgs),
    /// Reports from the records: the yearly public report (KIT-8).
    #[command(subcommand)]
    Report(cmd::report::ReportCmd),
    /// The installer's rules document (KAW-2.2.7 ア–キ) from the live configuration.
    RulesDoc(cmd::report::RulesDocArgs),
    /// Administration: create the first administrator account.
    #[command(subcommand)]
    Admin(cmd::admin::AdminCmd),
}

fn main() -> ExitCode {
    // Everything mimamori writes — the governance database (password hashes, TOTP seeds), keys,
    // footage, evidence packages, logs — is for its own user only, whatever the umask it was
    // started with (issue 16, M9): files 0600, directories 0700.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cmd::clap_error(e),
    };
    let result = match cli.command {
        Command::Profile(c) => c.run(),
        Command::Policy(c) => c.run(),
        Command::Audit(c) => c.run(),
        Command::Serve(a) => a.run(),
        Command::Config(c) => c.run(),
        Command::Backup(a) => a.run(),
        Command::Restore(a) => a.run(),
        Command::Camsim(a) => a.run(),
        Command::Bench(c) => c.run(),
        Command::Recorder(c) => c.run(),
        Command::Node(c) => c.run(),
        Command::Admin(c) => c.run(),
        Command::Verify(a) => a.run(),
        Command::Demo(a) => a.run(),
        Command::Report(c) => c.run(),
        Command::RulesDoc(a) => a.run(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the error and its causes joined, never a panic or a backtrace.
            eprintln!("error: {}", cmd::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
