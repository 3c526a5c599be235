//! `mimamori node enrol`: a recorder at a site enrols once with the governance centre
//! (issue 21). The centre's manager registers the node and hands over a one-time token; the
//! node makes its own key (it never leaves the machine) and receives its certificate. Then
//! `mimamori serve --role recorder --node-listen ADDR` serves the node API to the centre only.

use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Node subcommands.
#[derive(Debug, Subcommand)]
pub enum NodeCmd {
    /// Enrols this recorder with the centre: the one-time token from the node's registration
    /// comes from `--token-file` or `MIMAMORI_ENROL_TOKEN` (never the command line).
    Enrol {
        /// The centre's base URL (https://…; http:// only to this machine).
        #[arg(long)]
        centre: String,
        /// The recorder's data directory (the identity is kept in DATA/node-tls).
        #[arg(long, default_value = "mimamori-data/recorder")]
        data: PathBuf,
        /// A file holding the one-time token.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// The CA of the centre's HTTPS certificate (PEM).
        #[arg(long, value_name = "FILE")]
        centre_ca: Option<PathBuf>,
    },
}

impl NodeCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let NodeCmd::Enrol { centre, data, token_file, centre_ca } = self;
        let token = match token_file {
            Some(f) => std::fs::read_to_string(&f)
                .with_context(|| format!("--token-file {}", f.display()))?,
            None => std::env::var("MIMAMORI_ENROL_TOKEN")
                .context("no enrolment token: give --token-file or set MIMAMORI_ENROL_TOKEN")?,
        };
        let ca = match centre_ca {
            Some(f) => Some(
                std::fs::read_to_string(&f)
                    .with_context(|| format!("--centre-ca {}", f.display()))?,
            ),
            None => None,
        };
        let id = nodelink::pki::NodeIdentity::in_data(&data);
        if id.exists() {
            anyhow::bail!(
                "{} already holds an enrolled identity ({}); a node enrols once — ask the centre to revoke it and remove that directory to enrol again",
                id.dir.display(),
                id.name().unwrap_or_default()
            );
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let name = rt.block_on(nodelink::enrol::enrol(&centre, &token, ca.as_deref(), &id))?;
        println!(
            "mimamori: enrolled as node {name}; identity in {} — start it with `mimamori serve --role recorder --data {} --node-listen ADDR`",
            id.dir.display(),
            data.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
