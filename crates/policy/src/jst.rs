//! Japan Standard Time: every rule day in mimamori is a JST calendar day (SPEC.md §7, "Time zone").
//!
//! Japan has observed a fixed UTC+09:00 with no daylight saving since 1951, so a fixed offset is
//! exact for every date this crate handles (1973 onwards). Using it instead of the `Asia/Tokyo`
//! tz database keeps this crate free of I/O and of the host's zoneinfo files.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};

/// UTC+09:00.
pub const JST_OFFSET: Offset = Offset::constant(9);

/// The JST time zone as a fixed offset.
pub fn tz() -> TimeZone {
    TimeZone::fixed(JST_OFFSET)
}

/// The JST civil date and time of an instant.
pub fn civil(at: Timestamp) -> DateTime {
    JST_OFFSET.to_datetime(at)
}

/// The JST calendar date of an instant.
pub fn date(at: Timestamp) -> Date {
    civil(at).date()
}

/// The instant of 00:00 JST on `day`.
///
/// Fails only for dates at the very end of jiff's supported range (year 9999).
pub fn midnight(day: Date) -> Result<Timestamp, jiff::Error> {
    at(day, Time::midnight())
}

/// The instant of `time` JST on `day`.
pub fn at(day: Date, time: Time) -> Result<Timestamp, jiff::Error> {
    JST_OFFSET.to_timestamp(day.to_datetime(time))
}

/// Formats an instant as RFC 3339 in JST, e.g. `2026-11-23T10:00:00+09:00`.
///
/// Sub-second digits are printed only when present.
pub fn rfc3339(at: Timestamp) -> String {
    at.display_with_offset(JST_OFFSET).to_string()
}

/// Parses an RFC 3339 instant. An offset (`Z` or `±hh:mm`) is required: a bare local time is
/// ambiguous and refused.
pub fn parse_rfc3339(s: &str) -> Result<Timestamp, crate::PolicyError> {
    s.trim().parse::<Timestamp>().map_err(|e| crate::PolicyError::BadTimestamp {
        input: s.to_owned(),
        reason: e.to_string(),
    })
}

/// The Japanese era and its year for `day`: 令和 from 2019-05-01, 平成 from 1989-01-08, 昭和
/// before (this crate's dates begin in 1973). The first year of an era is written 元年.
pub fn era(day: Date) -> (&'static str, i16) {
    let ymd = (day.year(), day.month(), day.day());
    if ymd >= (2019, 5, 1) {
        ("令和", day.year() - 2018)
    } else if ymd >= (1989, 1, 8) {
        ("平成", day.year() - 1988)
    } else {
        ("昭和", day.year() - 1925)
    }
}

const WEEKDAYS_JA: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS_EN: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// How years are written in Japanese: by the era (和暦, the default of public offices) or by the
/// Western calendar (西暦), as a person chooses (issue 19, item 4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Years {
    /// 令和8年.
    #[default]
    Era,
    /// 2026年.
    Western,
}

/// A year in its era as written (`令和8`, `令和元` for an era's first year).
fn era_year(day: Date) -> String {
    let (name, y) = era(day);
    if y == 1 { format!("{name}元") } else { format!("{name}{y}") }
}

/// The Japanese fiscal year (1 April – 31 March), named by the year it starts in, of an instant.
pub fn fiscal_year(at: Timestamp) -> i16 {
    let d = date(at);
    if d.month() >= 4 { d.year() } else { d.year() - 1 }
}

/// The instant fiscal year `fy` starts: 1 April of `fy`, 00:00 JST.
pub fn fiscal_year_start(fy: i16) -> Result<Timestamp, jiff::Error> {
    midnight(Date::new(fy, 4, 1)?)
}

/// A fiscal year as public offices name it: `令和8年度` (FY2019, which began in 平成31, is
/// 令和元年度, as the government named it: the era of the year's later months).
pub fn fiscal_year_ja(fy: i16) -> String {
    match Date::new(fy, 12, 31) {
        Ok(day) => format!("{}年度", era_year(day)),
        Err(_) => format!("{fy}年度"),
    }
}

/// A day as printed on Japanese paper forms, without its weekday: `令和8年12月5日`.
pub fn printed_day(day: Date) -> String {
    format!("{}年{}月{}日", era_year(day), day.month(), day.day())
}

/// An instant as printed on Japanese paper forms: `令和8年11月24日 10時05分`.
pub fn printed(at: Timestamp) -> String {
    let d = civil(at);
    format!("{} {}時{:02}分", printed_day(d.date()), d.hour(), d.minute())
}

/// A date as written on Japanese forms, with its weekday: `令和8年12月1日(火)`.
pub fn date_ja(day: Date) -> String {
    date_ja_in(day, Years::Era)
}

/// A Japanese date with its weekday, the year as `years` says: `令和8年12月1日(火)` or
/// `2026年12月1日(火)`.
pub fn date_ja_in(day: Date, years: Years) -> String {
    let wd = WEEKDAYS_JA[usize::from(day.weekday().to_monday_zero_offset().unsigned_abs())];
    let year = match years {
        Years::Era => era_year(day),
        Years::Western => day.year().to_string(),
    };
    format!("{year}年{}月{}日({wd})", day.month(), day.day())
}

/// The same date in English: `Tue 1 Dec 2026`.
pub fn date_en(day: Date) -> String {
    let wd = WEEKDAYS_EN[usize::from(day.weekday().to_monday_zero_offset().unsigned_abs())];
    let month = MONTHS_EN[usize::from(day.month().unsigned_abs()).saturating_sub(1) % 12];
    format!("{wd} {} {month} {}", day.day(), day.year())
}

/// An instant to the minute in JST, the same in every language: `2026-12-01 22:00`.
pub fn minute(at: Timestamp) -> String {
    civil(at).strftime("%Y-%m-%d %H:%M").to_string()
}

/// An instant for people, to the minute in JST: `令和8年12月1日(火) 22:00` or
/// `Tue 1 Dec 2026 22:00`.
pub fn when(at: Timestamp, japanese: bool) -> String {
    when_in(at, japanese, Years::Era)
}

/// [`when`] with the Japanese year written as `years` says.
pub fn when_in(at: Timestamp, japanese: bool, years: Years) -> String {
    let d = civil(at);
    let day = if japanese { date_ja_in(d.date(), years) } else { date_en(d.date()) };
    format!("{day} {:02}:{:02}", d.hour(), d.minute())
}

/// A deadline for people. Deadlines are kept as the instant they pass — the midnight after the
/// last day (Civil Code art. 141: a period ends at the end of its last day) — and are written as
/// that last day: `12月3日(木)まで` / `by Thu 3 Dec 2026`; one at another time keeps it
/// (`12月3日(木) 17:00まで`). The year is left out in Japanese when it is `this_year`'s.
pub fn deadline(at: Timestamp, japanese: bool, this_year: i16) -> String {
    deadline_in(at, japanese, this_year, Years::Era)
}

/// [`deadline`] with the Japanese year written as `years` says.
pub fn deadline_in(at: Timestamp, japanese: bool, this_year: i16, years: Years) -> String {
    let d = civil(at);
    let midnight = (d.hour(), d.minute(), d.second()) == (0, 0, 0);
    let (day, time) = if midnight {
        (d.date().yesterday().unwrap_or(d.date()), String::new())
    } else {
        (d.date(), format!(" {:02}:{:02}", d.hour(), d.minute()))
    };
    if japanese {
        let date = if day.year() == this_year {
            let wd = WEEKDAYS_JA[usize::from(day.weekday().to_monday_zero_offset().unsigned_abs())];
            format!("{}月{}日({wd})", day.month(), day.day())
        } else {
            date_ja_in(day, years)
        };
        format!("{date}{time}まで")
    } else {
        format!("by {}{time}", date_en(day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiscal_years_and_paper_dates() {
        let t = |s: &str| parse_rfc3339(s).unwrap();
        // 31 March 23:59 JST is the old year's; 1 April 00:00 JST the new one's.
        assert_eq!(fiscal_year(t("2027-03-31T23:59:59+09:00")), 2026);
        assert_eq!(fiscal_year(t("2027-03-31T15:00:00Z")), 2027);
        assert_eq!(fiscal_year_start(2026).unwrap(), t("2026-04-01T00:00:00+09:00"));
        assert_eq!(fiscal_year_ja(2026), "令和8年度");
        assert_eq!(fiscal_year_ja(2019), "令和元年度");
        assert_eq!(fiscal_year_ja(2018), "平成30年度");
        assert_eq!(printed(t("2026-11-24T01:05:00Z")), "令和8年11月24日 10時05分");
        assert_eq!(printed_day(Date::constant(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(printed_day(Date::constant(2019, 4, 30)), "平成31年4月30日");
    }

    #[test]
    fn western_years_when_a_person_prefers_them() {
        let t = parse_rfc3339("2026-12-01T22:00:41.075+09:00").unwrap();
        assert_eq!(when_in(t, true, Years::Western), "2026年12月1日(火) 22:00");
        assert_eq!(when_in(t, false, Years::Western), "Tue 1 Dec 2026 22:00");
        let d = parse_rfc3339("2027-01-05T00:00:00+09:00").unwrap();
        assert_eq!(deadline_in(d, true, 2026, Years::Western), "2027年1月4日(月)まで");
        assert_eq!(deadline_in(d, true, 2026, Years::Era), "令和9年1月4日(月)まで");
    }

    #[test]
    fn dates_for_people_in_both_languages() {
        let t = parse_rfc3339("2026-12-01T22:00:41.075+09:00").unwrap();
        assert_eq!(when(t, true), "令和8年12月1日(火) 22:00");
        assert_eq!(when(t, false), "Tue 1 Dec 2026 22:00");
        assert_eq!(date_ja(Date::constant(2019, 5, 1)), "令和元年5月1日(水)");
        assert_eq!(date_ja(Date::constant(2019, 4, 30)), "平成31年4月30日(火)");
        assert_eq!(date_ja(Date::constant(1989, 1, 7)), "昭和64年1月7日(土)");
        // A deadline at the midnight after its last day is written as that day.
        let due = parse_rfc3339("2026-12-04T00:00:00+09:00").unwrap();
        assert_eq!(deadline(due, true, 2026), "12月3日(木)まで");
        assert_eq!(deadline(due, false, 2026), "by Thu 3 Dec 2026");
        assert_eq!(deadline(due, true, 2025), "令和8年12月3日(木)まで");
        // Year-end: the last day of the year, due at New Year's midnight.
        let ny = parse_rfc3339("2027-01-01T00:00:00+09:00").unwrap();
        assert_eq!(deadline(ny, true, 2026), "12月31日(木)まで");
        let at_five = parse_rfc3339("2026-12-03T17:00:00+09:00").unwrap();
        assert_eq!(deadline(at_five, true, 2026), "12月3日(木) 17:00まで");
    }

    #[test]
    fn jst_date_rolls_over_at_15_utc() {
        let before = parse_rfc3339("2026-11-23T14:59:59Z").unwrap();
        let after = parse_rfc3339("2026-11-23T15:00:00Z").unwrap();
        assert_eq!(date(before), Date::constant(2026, 11, 23));
        assert_eq!(date(after), Date::constant(2026, 11, 24));
    }

    #[test]
    fn formats_in_jst() {
        let t = parse_rfc3339("2026-11-23T15:00:00Z").unwrap();
        assert_eq!(rfc3339(t), "2026-11-24T00:00:00+09:00");
    }

    #[test]
    fn bare_local_time_is_refused() {
        assert!(parse_rfc3339("2026-11-23T10:00:00").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
