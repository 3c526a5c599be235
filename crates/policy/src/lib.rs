//! # policy — mimamori's rules as pure functions
//!
//! Everything else in mimamori asks this crate one question: *under this city's rules, at this
//! instant, what is allowed?* It holds the regulation profiles (the five seed cities embedded as
//! TOML, and a checker for a city's own file), the JST calendar with Japan's national holidays,
//! retention math after the Civil Code, and retention holds. It performs no I/O: no files, no
//! clock, no network — callers pass in the instant and the text.
//!
//! ```
//! use policy::{jst, profile, retention::Period};
//!
//! let kit = profile::seed("kitakyushu").unwrap().unwrap();
//! let recorded = jst::parse_rfc3339("2026-11-23T23:59:59+09:00").unwrap();
//! let d = kit.retention_decision(recorded, None).unwrap();
//! // KIT-5.6: 7 days, counted from the next day → erased at 00:00 JST on 1 December.
//! assert_eq!(jst::rfc3339(d.erase_at), "2026-12-01T00:00:00+09:00");
//! // SAK-9: at most one month.
//! let saku = profile::seed("saku").unwrap().unwrap();
//! assert!(saku.check_retention_setting(Period::Months(2)).is_err());
//! ```
//!
//! Rule IDs from `SPEC.md` appear in the doc comments, the profile files and the tests, so that
//! `grep -rn KIT-5.6` finds the rule, its data and its test.

pub mod calendar;
pub mod camera_store;
pub mod complaint;
pub mod coverage;
pub mod duties;
pub mod emergency;
mod error;
pub mod hold;
pub mod holidays;
pub mod ident;
pub mod jst;
pub mod password;
pub mod placement;
pub mod profile;
pub mod reconcile;
pub mod retention;
pub mod rule;
pub mod scope;
pub mod viewing;
pub mod workflow;

pub use error::{PolicyError, UnknownName, serde_names_agree};
pub use profile::{Permission, Profile};
pub use rule::RuleId;

/// Resolves a profile by seed name, or parses `text` when the caller has read a custom file.
pub fn resolve_seed(name: &str) -> Result<Profile, PolicyError> {
    match profile::seed(name) {
        Some(Ok(p)) => Ok(p),
        // A seed that fails its own checks is a build defect; report it as unknown rather than
        // panic, with the problems available through `profile::seed`.
        Some(Err(_)) | None => Err(PolicyError::UnknownProfile(name.to_owned())),
    }
}
