//! The JST calendar of SPEC.md §7: closed days, office hours, the emergency window, and when a
//! post-hoc filing is due.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use policy::calendar::Moment;
use policy::jst;
use policy::profile::{self, Profile};

fn seed(id: &str) -> Profile {
    profile::seed(id).unwrap().unwrap()
}

fn at(profile: &str, instant: &str) -> Moment {
    seed(profile).moment(jst::parse_rfc3339(instant).unwrap()).unwrap()
}

// rule: ASA-3.5b — 休日・祝日: a national holiday is inside the window all day.
#[test]
fn police_extraction_on_labour_thanksgiving_day_is_inside_window() {
    let m = at("asahikawa", "2026-11-23T10:00:00+09:00");
    assert_eq!(m.national_holiday, Some("勤労感謝の日"));
    assert!(m.closed_day && !m.office_hours && m.emergency_window);
}

#[test]
fn office_hours_are_opening_inclusive_closing_exclusive() {
    let tue = |time: &str| at("asahikawa", &format!("2026-11-24T{time}+09:00"));
    assert!(tue("08:44:59").emergency_window, "early morning (早朝)");
    assert!(tue("08:45:00").office_hours && !tue("08:45:00").emergency_window);
    assert!(tue("17:29:59.999").office_hours);
    assert!(!tue("17:30:00").office_hours && tue("17:30:00").emergency_window, "night (夜間)");
    assert!(!tue("12:00:00").closed_day);
}

// rule: NIS-11.1 — Osaka ward offices open at 09:00.
#[test]
fn nishiyodogawa_opens_at_nine() {
    let m = at("nishiyodogawa", "2026-11-24T08:50:00+09:00");
    assert!(!m.office_hours && m.emergency_window);
    assert!(at("nishiyodogawa", "2026-11-24T09:00:00+09:00").office_hours);
}

// rule: PROD-CAL-1 — the year-end closure 29 Dec – 3 Jan.
#[test]
fn year_end_closure_is_closed_even_on_weekdays() {
    let m = at("asahikawa", "2026-12-29T10:00:00+09:00"); // a Tuesday
    assert_eq!(m.national_holiday, None);
    assert!(m.closed_day && m.emergency_window);
    assert!(at("asahikawa", "2026-12-28T10:00:00+09:00").office_hours); // Monday, open
    assert!(at("asahikawa", "2027-01-04T10:00:00+09:00").office_hours); // Monday, open again
}

#[test]
fn citizens_holiday_and_substitute_holiday_are_closed_days() {
    let m = at("nishiyodogawa", "2026-09-22T12:00:00+09:00");
    assert_eq!(m.national_holiday, Some("国民の休日"));
    assert!(m.closed_day && m.emergency_window);
    let m = at("asahikawa", "2019-05-06T12:00:00+09:00");
    assert_eq!(m.national_holiday, Some("振替休日"));
    assert!(m.closed_day);
}

#[test]
fn the_date_is_the_jst_date_of_the_instant() {
    // 15:00 UTC on the 22nd is 00:00 JST on the 23rd, a holiday.
    let m = at("asahikawa", "2026-11-22T15:00:00Z");
    assert_eq!(m.date.to_string(), "2026-11-23");
    assert_eq!(m.national_holiday, Some("勤労感謝の日"));
}

// KAW, KIT, SAK have no emergency path, hence no window.
#[test]
fn profiles_without_an_emergency_path_have_no_window() {
    for p in ["kawaguchi", "kitakyushu", "saku"] {
        let m = at(p, "2026-11-23T03:00:00+09:00");
        assert!(m.closed_day && !m.emergency_window, "{p}");
    }
}

// 遅滞なく: due by the end of the next office day (SPEC.md §7). rule: PROD-FILING-1
#[test]
fn filing_is_due_at_the_end_of_the_next_office_day() {
    let asa = seed("asahikawa");
    let due =
        |s: &str| jst::rfc3339(asa.filing_due_at(jst::parse_rfc3339(s).unwrap()).unwrap().unwrap());
    // Friday night → Sat, Sun, Mon 23 Nov (holiday) are closed → Tuesday 24th, due at 24:00.
    assert_eq!(due("2026-11-20T22:00:00+09:00"), "2026-11-25T00:00:00+09:00");
    // Monday 28 Dec night → year-end closure until 3 Jan → Monday 4 Jan 2027.
    assert_eq!(due("2026-12-28T20:00:00+09:00"), "2027-01-05T00:00:00+09:00");
    // Early Tuesday morning → Wednesday.
    assert_eq!(due("2026-11-24T06:00:00+09:00"), "2026-11-26T00:00:00+09:00");
    assert_eq!(
        seed("kitakyushu")
            .filing_due_at(jst::parse_rfc3339("2026-11-24T06:00:00+09:00").unwrap())
            .unwrap(),
        None
    );
}

#[test]
fn local_holidays_from_a_custom_profile_close_the_office() {
    let text = profile::seed_source("asahikawa").unwrap().replace(
        "closed_days_rule = \"PROD-CAL-1\"",
        "closed_days_rule = \"PROD-CAL-1\"\nlocal_holidays = [{ date = \"11-25\", name_ja = \"市民の日\", name_en = \"Citizens' Day\" }]",
    );
    let p = profile::load_str(&text).unwrap();
    let m = p.moment(jst::parse_rfc3339("2026-11-25T10:00:00+09:00").unwrap()).unwrap();
    assert!(m.closed_day && m.emergency_window && m.national_holiday.is_none());
}

// rule: KIT-7, PROD-COMPLAINT-1 — a complaint's answer is due as the law counts a period in
// days: the day of receipt not counted, ending at 24:00 of the last day, a last day on a closed
// day (weekend, national holiday, year-end closure) moved to the next office day.
#[test]
fn a_complaint_is_due_at_the_end_of_its_last_office_day() {
    let kit = seed("kitakyushu");
    assert_eq!(kit.complaints.respond_within_days, 14);
    let due = |received: &str| {
        jst::rfc3339(kit.complaint_due_at(jst::parse_rfc3339(received).unwrap()).unwrap())
    };
    // Tuesday 1 December, in the afternoon: the 15th is a Tuesday.
    assert_eq!(due("2026-12-01T15:00:00+09:00"), "2026-12-16T00:00:00+09:00");
    // Late at night on Monday 9 November: the 23rd is Labour Thanksgiving Day.
    assert_eq!(due("2026-11-09T23:59:00+09:00"), "2026-11-25T00:00:00+09:00");
    // On a Saturday: the 19th is a Saturday too, then Sunday; due at the end of Monday.
    assert_eq!(due("2026-12-05T10:00:00+09:00"), "2026-12-22T00:00:00+09:00");
    // Tuesday 15 December: the 29th is inside the year-end closure (to 3 January); the first
    // office day after it is Monday 4 January 2027.
    assert_eq!(due("2026-12-15T09:00:00+09:00"), "2027-01-05T00:00:00+09:00");
    // Received at 00:30 JST on the 2nd (still the 1st in UTC): counted from the JST day.
    assert_eq!(due("2026-12-01T15:30:00Z"), "2026-12-17T00:00:00+09:00");
}
