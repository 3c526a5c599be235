//! Every national holiday 1973–2099 checked against an independent dataset: the `holidays`
//! package from PyPI (installed into `.venv` by `scripts/test-deps.sh`), not a table typed from
//! this crate's own code.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use jiff::civil::Date;
use policy::holidays::{self, HolidayKind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the reference script and returns date → Japanese name.
fn reference(first: i16, last: i16) -> BTreeMap<Date, String> {
    let root = workspace_root();
    let python = std::env::var_os("MIMAMORI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/bin/python"));
    assert!(
        python.exists(),
        "the reference dataset needs Python `holidays`: run scripts/test-deps.sh (or ./scripts/test), \
         or set MIMAMORI_PYTHON to a python that has it (looked for {})",
        python.display()
    );
    let out = Command::new(&python)
        .arg(root.join("scripts/holiday_reference.py"))
        .arg(first.to_string())
        .arg(last.to_string())
        .output()
        .expect("run the holiday reference script");
    assert!(
        out.status.success(),
        "reference script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (d, n) = l.split_once('\t').expect("DATE\\tNAME");
            (d.parse::<Date>().expect("ISO date"), n.to_owned())
        })
        .collect()
}

/// The reference abbreviates the names of the one-off holidays; the special acts name them in
/// full. Everything else must match exactly.
fn reference_name_for(ours: &str) -> &str {
    match ours {
        "昭和天皇の大喪の礼" => "大喪の礼",
        "皇太子徳仁親王の結婚の儀" => "結婚の儀",
        "即位礼正殿の儀の行われる日" => "即位礼正殿の儀が行われる日",
        other => other,
    }
}

#[test]
fn every_holiday_1973_to_2099_matches_the_reference() {
    let theirs = reference(holidays::FIRST_YEAR, holidays::LAST_YEAR);
    assert!(theirs.len() > 2000, "reference looks empty: {} entries", theirs.len());
    let mut ours = BTreeMap::new();
    for year in holidays::FIRST_YEAR..=holidays::LAST_YEAR {
        for h in holidays::holidays_in_year(year).unwrap() {
            ours.insert(h.date, h.name_ja);
        }
    }
    let mut diffs = Vec::new();
    for (date, name) in &ours {
        match theirs.get(date) {
            None => diffs.push(format!("{date}: we say {name}, reference says not a holiday")),
            Some(t) if t != reference_name_for(name) => {
                diffs.push(format!("{date}: we say {name}, reference says {t}"))
            }
            Some(_) => {}
        }
    }
    for (date, name) in &theirs {
        if !ours.contains_key(date) {
            diffs.push(format!("{date}: reference says {name}, we say not a holiday"));
        }
    }
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn the_2000_to_2050_range_is_covered_day_by_day() {
    // Day by day through holiday_on(), the function the calendar uses, not the year list.
    let theirs = reference(2000, 2050);
    let mut day = Date::constant(2000, 1, 1);
    let mut checked = 0;
    while day <= Date::constant(2050, 12, 31) {
        let ours =
            holidays::holiday_on(day).unwrap().map(|h| reference_name_for(h.name_ja).to_owned());
        assert_eq!(ours.as_deref(), theirs.get(&day).map(String::as_str), "{day}");
        day = day.tomorrow().unwrap();
        checked += 1;
    }
    assert_eq!(checked, 18_628);
}

#[test]
fn named_cases_from_the_issue() {
    let kind = |y, m, d| holidays::holiday_on(Date::constant(y, m, d)).unwrap().map(|h| h.kind);
    // Substitute holiday.
    assert_eq!(kind(2019, 5, 6), Some(HolidayKind::Substitute));
    // Citizens' holidays.
    assert_eq!(kind(2019, 4, 30), Some(HolidayKind::Citizens));
    assert_eq!(kind(2019, 5, 2), Some(HolidayKind::Citizens));
    assert_eq!(kind(2026, 9, 22), Some(HolidayKind::Citizens));
    // Enthronement one-offs.
    assert_eq!(kind(2019, 5, 1), Some(HolidayKind::Special));
    assert_eq!(kind(2019, 10, 22), Some(HolidayKind::Special));
    // Olympic moves: 2020 and 2021 moved Marine, Sports and Mountain Day.
    let name = |y, m, d| holidays::holiday_on(Date::constant(y, m, d)).unwrap().map(|h| h.name_ja);
    assert_eq!(name(2020, 7, 23), Some("海の日"));
    assert_eq!(name(2020, 7, 24), Some("スポーツの日"));
    assert_eq!(name(2020, 8, 10), Some("山の日"));
    assert_eq!(name(2020, 8, 11), None);
    assert_eq!(name(2020, 10, 12), None);
    assert_eq!(name(2021, 7, 22), Some("海の日"));
    assert_eq!(name(2021, 7, 23), Some("スポーツの日"));
    assert_eq!(name(2021, 8, 8), Some("山の日"));
    assert_eq!(name(2021, 8, 9), Some("振替休日"));
    assert_eq!(name(2021, 10, 11), None);
}
