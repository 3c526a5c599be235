//! `mimamori policy calendar|retention|holidays`.

use super::{load_profile, parse_instant, print_json};
use ::policy::retention::Period;
use ::policy::{holidays, jst};
use anyhow::bail;
use clap::{ArgGroup, Subcommand};
use std::process::ExitCode;

/// Policy queries.
#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// What the profile's calendar says about an instant (JST date, holiday, closed day, office
    /// hours, emergency window).
    Calendar {
        /// Seed profile name or .toml path.
        #[arg(long)]
        profile: String,
        /// The instant, RFC 3339 with an offset (2026-11-23T10:00:00+09:00).
        #[arg(long)]
        at: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// When footage recorded at an instant is erased under the profile (or a setting).
    #[command(group(ArgGroup::new("setting").args(["days", "months"])))]
    Retention {
        /// Seed profile name or .toml path.
        #[arg(long)]
        profile: String,
        /// The recording instant, RFC 3339 with an offset.
        #[arg(long)]
        recorded_at: String,
        /// A retention setting in days (default: the profile's).
        #[arg(long)]
        days: Option<u32>,
        /// A retention setting in months.
        #[arg(long)]
        months: Option<u32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List Japan's national holidays of a year (1973–2099).
    Holidays {
        /// The year.
        #[arg(long)]
        year: i16,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

impl PolicyCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            PolicyCmd::Calendar { profile, at, json } => {
                let p = load_profile(&profile)?;
                let m = p.moment(parse_instant(&at)?)?;
                if json {
                    print_json(&m)?;
                } else {
                    println!(
                        "{} {}{}: closed day {}, office hours {}, emergency window {}",
                        m.date,
                        m.date.strftime("%a"),
                        m.national_holiday.map(|h| format!(" ({h})")).unwrap_or_default(),
                        yes(m.closed_day),
                        yes(m.office_hours),
                        yes(m.emergency_window)
                    );
                }
            }
            PolicyCmd::Retention { profile, recorded_at, days, months, json } => {
                let p = load_profile(&profile)?;
                let at = parse_instant(&recorded_at)?;
                let setting = match (days, months) {
                    (Some(0), _) | (_, Some(0)) => bail!("a retention period must be at least 1"),
                    (Some(d), None) => Some(Period::Days(d)),
                    (None, Some(m)) => Some(Period::Months(m)),
                    _ => None,
                };
                let d = p.retention_decision(at, setting)?;
                if json {
                    print_json(&serde_json::json!({
                        "erase_at": jst::rfc3339(d.erase_at),
                        "counting": d.counting.as_str(),
                        "period": d.period,
                        "rule": p.retention.rule,
                    }))?;
                } else {
                    println!(
                        "erase at {} ({}, counted {}; {})",
                        jst::rfc3339(d.erase_at),
                        d.period,
                        d.counting.as_str(),
                        p.retention.rule
                    );
                }
            }
            PolicyCmd::Holidays { year, json } => {
                let list = holidays::holidays_in_year(year)?;
                if json {
                    print_json(&list)?;
                } else {
                    for h in list {
                        println!("{}\t{}\t{}", h.date, h.name_ja, h.name_en);
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
