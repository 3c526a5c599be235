//! Retention math (SPEC.md §7): day counting per Civil Code arts. 140–143, per-profile bounds.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use jiff::Timestamp;
use jiff::civil::Date;
use policy::jst;
use policy::profile::{self, Profile};
use policy::retention::{Counting, Period, erase_at, erase_day};
use proptest::prelude::*;

fn seed(id: &str) -> Profile {
    profile::seed(id).unwrap().unwrap()
}

fn t(s: &str) -> Timestamp {
    jst::parse_rfc3339(s).unwrap()
}

fn erase(profile: &str, recorded: &str, setting: Option<Period>) -> String {
    jst::rfc3339(seed(profile).retention_decision(t(recorded), setting).unwrap().erase_at)
}

// rule: ASA-3.3c — 14 days counted from the day after recording (SPEC.md §7 reading of 撮影した日から).
#[test]
fn asahikawa_erases_at_midnight_after_14_full_days() {
    assert_eq!(erase("asahikawa", "2026-11-23T10:00:00+09:00", None), "2026-12-08T00:00:00+09:00");
}

#[test]
fn last_millisecond_of_a_jst_day_belongs_to_that_day() {
    // 23:59:59.999 JST and 00:00:00 JST a millisecond later fall on different recording days.
    assert_eq!(
        erase("asahikawa", "2026-11-23T23:59:59.999+09:00", None),
        "2026-12-08T00:00:00+09:00"
    );
    assert_eq!(erase("asahikawa", "2026-11-24T00:00:00+09:00", None), "2026-12-09T00:00:00+09:00");
    // The same instants written in UTC.
    assert_eq!(erase("asahikawa", "2026-11-23T14:59:59.999Z", None), "2026-12-08T00:00:00+09:00");
    assert_eq!(erase("asahikawa", "2026-11-23T15:00:00Z", None), "2026-12-09T00:00:00+09:00");
}

// rule: KIT-5.6 — 7 days.
#[test]
fn kitakyushu_over_the_year_end() {
    assert_eq!(erase("kitakyushu", "2026-12-31T12:00:00+09:00", None), "2027-01-08T00:00:00+09:00");
    assert_eq!(erase("kitakyushu", "2026-12-24T23:59:59+09:00", None), "2027-01-01T00:00:00+09:00");
}

// rule: NIS-6 — 録画日の翌日から起算して概ね10日間.
#[test]
fn nishiyodogawa_counts_from_the_day_after() {
    assert_eq!(
        erase("nishiyodogawa", "2026-11-23T00:00:00+09:00", None),
        "2026-12-04T00:00:00+09:00"
    );
}

#[test]
fn leap_days_are_ordinary_days_in_day_counts() {
    let d = |y, m, dd| Date::constant(y, m, dd);
    assert_eq!(
        erase_day(d(2028, 2, 28), Period::Days(1), Counting::FromNextDay).unwrap(),
        d(2028, 3, 1)
    );
    assert_eq!(
        erase_day(d(2028, 2, 22), Period::Days(7), Counting::FromNextDay).unwrap(),
        d(2028, 3, 1)
    );
    assert_eq!(
        erase_day(d(2027, 2, 22), Period::Days(7), Counting::FromNextDay).unwrap(),
        d(2027, 3, 2)
    );
    assert_eq!(
        erase_day(d(2028, 2, 29), Period::Days(7), Counting::FromNextDay).unwrap(),
        d(2028, 3, 8)
    );
}

// Civil Code art. 143(2): months end the day before the corresponding day, or on the month's last
// day when there is none. rule: SAK-9 (1 month).
#[test]
fn months_follow_civil_code_article_143() {
    let d = |y, m, dd| Date::constant(y, m, dd);
    let month = |rec: Date| erase_day(rec, Period::Months(1), Counting::FromNextDay).unwrap();
    // Recorded 30 Jan → period starts 31 Jan; February has no 31st → ends 28 Feb → erase 1 Mar.
    assert_eq!(month(d(2027, 1, 30)), d(2027, 3, 1));
    // Leap year: ends 29 Feb → erase 1 Mar.
    assert_eq!(month(d(2028, 1, 30)), d(2028, 3, 1));
    // Starts on the 1st → ends on the last day of the month.
    assert_eq!(month(d(2026, 12, 31)), d(2027, 2, 1));
    assert_eq!(month(d(2027, 1, 31)), d(2027, 3, 1));
    // 31 Mar → no 31 Apr → ends 30 Apr.
    assert_eq!(month(d(2027, 3, 30)), d(2027, 5, 1));
    // Ordinary case: starts 15 Jan → ends 14 Feb → erase 15 Feb.
    assert_eq!(month(d(2027, 1, 14)), d(2027, 2, 15));
    // Across the year end.
    assert_eq!(month(d(2026, 12, 15)), d(2027, 1, 16));
    // 31 Jan as the starting day with the recording-day mode: 31 Jan + 1 month.
    assert_eq!(
        erase_day(d(2027, 1, 31), Period::Months(1), Counting::FromRecordingDay).unwrap(),
        d(2027, 3, 1)
    );
    // Several months, and a starting 29 Feb in a leap year.
    assert_eq!(
        erase_day(d(2028, 2, 28), Period::Months(12), Counting::FromNextDay).unwrap(),
        d(2029, 3, 1)
    );
    assert_eq!(
        erase_day(d(2027, 8, 30), Period::Months(6), Counting::FromNextDay).unwrap(),
        d(2028, 3, 1)
    );
}

#[test]
fn recording_day_mode_counts_the_recording_day_as_day_one() {
    let d = |y, m, dd| Date::constant(y, m, dd);
    assert_eq!(
        erase_day(d(2026, 11, 23), Period::Days(7), Counting::FromRecordingDay).unwrap(),
        d(2026, 11, 30)
    );
    assert_eq!(
        erase_day(d(2026, 11, 23), Period::Days(7), Counting::FromNextDay).unwrap(),
        d(2026, 12, 1)
    );
}

#[test]
fn saku_one_month_setting() {
    assert_eq!(
        erase("saku", "2027-01-30T08:00:00+09:00", Some(Period::Months(1))),
        "2027-03-01T00:00:00+09:00"
    );
}

fn refusal(profile: &str, setting: Period) -> String {
    seed(profile).check_retention_setting(setting).unwrap_err().to_string()
}

#[test]
fn settings_outside_the_bounds_name_the_rule() {
    // rule: SAK-9 — at most 1 month; rule: PROD-RET-1 — at least 7 days.
    assert!(refusal("saku", Period::Months(2)).starts_with("SAK-9: at most 1 month"));
    assert!(refusal("saku", Period::Days(40)).starts_with("SAK-9: at most 1 month"));
    assert!(
        refusal("saku", Period::Days(30)).starts_with("SAK-9: at most 1 month"),
        "30 days exceeds a February month"
    );
    assert_eq!(refusal("saku", Period::Days(1)), "PROD-RET-1: at least 7 days");
    assert!(seed("saku").check_retention_setting(Period::Days(28)).is_ok());
    assert!(seed("saku").check_retention_setting(Period::Months(1)).is_ok());
    // rule: ASA-3.3c — 1 to 2 weeks.
    assert_eq!(refusal("asahikawa", Period::Days(15)), "ASA-3.3c: at most 14 days");
    assert_eq!(refusal("asahikawa", Period::Days(6)), "ASA-3.3c: at least 7 days");
    // rule: KIT-5.6 — exactly 7 days; longer only as a hold.
    assert_eq!(refusal("kitakyushu", Period::Days(8)), "KIT-5.6: at most 7 days");
    // rule: PROD-RET-3 — NIS 概ね10日 band.
    assert_eq!(refusal("nishiyodogawa", Period::Days(8)), "PROD-RET-3: at least 9 days");
    assert_eq!(refusal("nishiyodogawa", Period::Days(12)), "PROD-RET-3: at most 11 days");
    // rule: KAW-2.2.6イ floor, PROD-RET-2 ceiling; a month can be 31 days, so 1 month fits.
    assert_eq!(refusal("kawaguchi", Period::Days(6)), "KAW-2.2.6イ: at least 7 days");
    assert!(seed("kawaguchi").check_retention_setting(Period::Months(1)).is_ok());
    assert!(refusal("kawaguchi", Period::Months(2)).starts_with("PROD-RET-2: at most 31 days"));
}

#[test]
fn product_rule_messages_never_cite_a_seed() {
    let seeds = ["ASA-", "KAW-", "KIT-", "NIS-", "SAK-"];
    for p in profile::seeds() {
        for setting in [Period::Days(1), Period::Days(400), Period::Months(3)] {
            let Err(e) = p.check_retention_setting(setting) else { continue };
            if e.rule().is_product_rule() {
                let msg = e.to_string();
                assert!(!seeds.iter().any(|s| msg.contains(s)), "{}: {msg}", p.profile.id);
            }
        }
    }
}

fn any_instant() -> impl Strategy<Value = Timestamp> {
    // 1973-01-01 to 2099-12-01, millisecond resolution.
    (94_662_000_000i64..4_099_766_400_000i64)
        .prop_map(|ms| Timestamp::from_millisecond(ms).unwrap())
}

fn any_period() -> impl Strategy<Value = Period> {
    prop_oneof![(1u32..400).prop_map(Period::Days), (1u32..25).prop_map(Period::Months)]
}

fn any_counting() -> impl Strategy<Value = Counting> {
    prop_oneof![Just(Counting::FromNextDay), Just(Counting::FromRecordingDay)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn erase_at_is_always_a_jst_midnight(at in any_instant(), p in any_period(), c in any_counting()) {
        let e = erase_at(at, p, c).unwrap();
        let civil = jst::civil(e);
        prop_assert_eq!(civil.time(), jiff::civil::Time::midnight());
        prop_assert!(e > at);
    }

    #[test]
    fn erase_at_is_monotone_in_the_recording_instant(
        a in any_instant(), b in any_instant(), p in any_period(), c in any_counting()
    ) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(erase_at(lo, p, c).unwrap() <= erase_at(hi, p, c).unwrap());
    }

    #[test]
    fn period_length_is_within_its_day_range(at in any_instant(), p in any_period(), c in any_counting()) {
        let rec = jst::date(at);
        let start = policy::retention::first_day(rec, c);
        let end = erase_day(rec, p, c).unwrap();
        let days = (end - start).get_days() as u64;
        prop_assert!(p.min_days() <= days && days <= p.max_days(), "{} {:?} {} days", rec, p, days);
    }

    #[test]
    fn never_earlier_than_the_floor(at in any_instant(), idx in 0usize..5, p in any_period()) {
        let profile = seed(policy::profile::SEED_IDS[idx]);
        if profile.check_retention_setting(p).is_ok() {
            let e = profile.retention_decision(at, Some(p)).unwrap().erase_at;
            let floor_days = profile.retention.floor.period().unwrap().max_days() as i64;
            // Counted from the next day, so strictly more than floor × 24 h after recording.
            prop_assert!(e.duration_since(at) > jiff::SignedDuration::from_hours(24 * floor_days));
        }
    }

    #[test]
    fn default_setting_is_always_accepted(at in any_instant(), idx in 0usize..5) {
        let profile = seed(policy::profile::SEED_IDS[idx]);
        prop_assert!(profile.retention_decision(at, None).is_ok());
    }
}
