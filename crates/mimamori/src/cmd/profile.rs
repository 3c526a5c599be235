//! `mimamori profile list|show|check`.

use super::{load_profile, print_json};
use ::policy::profile;
use anyhow::Context;
use clap::Subcommand;
use std::process::ExitCode;

/// Profile subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// One line per seed profile: name, Japanese name.
    List {
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Show a profile, resolved (defaults filled in).
    Show {
        /// A seed name (asahikawa, kawaguchi, kitakyushu, saku, nishiyodogawa) or a .toml path.
        name: String,
        /// Print JSON (otherwise TOML).
        #[arg(long)]
        json: bool,
    },
    /// Check a custom profile file; exit 0 if valid, 1 with every problem otherwise.
    Check {
        /// The profile TOML file.
        file: String,
        /// Print the problems as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl ProfileCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ProfileCmd::List { json } => {
                let list: Vec<_> = profile::seeds()
                    .map(|p| {
                        serde_json::json!({
                            "name": p.profile.id,
                            "name_ja": p.profile.name_ja,
                            "name_en": p.profile.name_en,
                            "draft_derived": p.profile.draft_derived,
                        })
                    })
                    .collect();
                if json {
                    print_json(&list)?;
                } else {
                    for p in profile::seeds() {
                        println!("{}\t{}", p.profile.id, p.profile.name_ja);
                    }
                }
            }
            ProfileCmd::Show { name, json } => {
                let p = load_profile(&name)?;
                if json {
                    print_json(&p)?;
                } else {
                    print!("{}", toml::to_string_pretty(&p).context("render the profile as TOML")?);
                }
            }
            ProfileCmd::Check { file, json } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {file}"))?;
                return Ok(match profile::load_str(&text) {
                    Ok(p) => {
                        if json {
                            print_json(
                                &serde_json::json!({ "file": file, "valid": true, "problems": [] }),
                            )?;
                        } else {
                            println!(
                                "{file}: ok — profile {} ({}), {} roles",
                                p.profile.id,
                                p.profile.name_ja,
                                p.roles.len()
                            );
                        }
                        ExitCode::SUCCESS
                    }
                    Err(problems) => {
                        if json {
                            print_json(
                                &serde_json::json!({ "file": file, "valid": false, "problems": problems }),
                            )?;
                        } else {
                            for p in &problems {
                                println!("{}", p.render(&file));
                            }
                            eprintln!("{file}: {} problem(s)", problems.len());
                        }
                        ExitCode::FAILURE
                    }
                });
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
