//! Japan's national holidays under the Act on National Holidays (国民の祝日に関する法律, Act
//! No. 178 of 1948) and the special acts that added one-off holidays, for 1973–2099.
//!
//! Written here rather than taken from a crate: the two crates that build on this toolchain
//! (`yasumi` 0.2, `jpholiday` 0.1.4) both apply the substitute-holiday rule before it took effect
//! (12 April 1973) and the citizens'-holiday rule before it took effect (27 December 1985), so
//! they report e.g. 1973-02-12 and 1984-05-04 as holidays; both also tie us to `chrono`. The rules
//! are short and fully determined by the Act's amendments, and the test suite checks every day
//! from 1973 to 2099 against an independent dataset (Python `holidays`).
//!
//! Equinox days are set each February by Cabinet Office announcement from the National
//! Astronomical Observatory's ephemeris; for years not yet announced we use the standard
//! approximation formula, which matches every announced year in the range.

use jiff::civil::{Date, Weekday};
use serde::Serialize;

/// First year whose holidays this module computes.
pub const FIRST_YEAR: i16 = 1973;
/// Last year whose holidays this module computes.
pub const LAST_YEAR: i16 = 2099;

/// Why a day is a holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// A "national holiday" (国民の祝日) named in art. 2 of the Act.
    National,
    /// A one-off holiday set by a special act (e.g. the 2019 enthronement), treated as a national
    /// holiday for the substitute and citizens' rules.
    Special,
    /// A substitute holiday (振替休日, art. 3(2)).
    Substitute,
    /// A citizens' holiday (国民の休日, art. 3(3)): a day between two national holidays.
    Citizens,
}

/// One holiday: its date, kind and names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Holiday {
    /// The JST calendar date.
    pub date: Date,
    /// Why it is a holiday.
    pub kind: HolidayKind,
    /// Its name in Japanese, as the Act or special act names it.
    pub name_ja: &'static str,
    /// Its usual English name.
    pub name_en: &'static str,
}

/// A year outside [`FIRST_YEAR`]..=[`LAST_YEAR`] was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "national holidays are computed for {FIRST_YEAR}–{LAST_YEAR}; {year} is outside that range"
)]
pub struct OutOfRange {
    /// The year that was asked for.
    pub year: i16,
}

/// The holiday on `date`, if any.
pub fn holiday_on(date: Date) -> Result<Option<Holiday>, OutOfRange> {
    Ok(holidays_in_year(date.year())?.into_iter().find(|h| h.date == date))
}

/// Every holiday of `year`, in date order.
pub fn holidays_in_year(year: i16) -> Result<Vec<Holiday>, OutOfRange> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(OutOfRange { year });
    }
    let mut days = national_holidays(year);
    days.sort_by_key(|h| h.date);
    let is_national = |d: Date| days.iter().any(|h| h.date == d);

    let mut extra = Vec::new();
    // Art. 3(2), substitute holidays, in force from 12 April 1973.
    for h in days.iter().filter(|h| h.date.weekday() == Weekday::Sunday) {
        if h.date < Date::constant(1973, 4, 12) {
            continue;
        }
        let mut next = h.date.tomorrow().expect("dates in 1973..=2099 have a tomorrow");
        if year >= 2007 {
            // Since the 2005 amendment (in force 2007): the nearest following day that is not a
            // national holiday.
            while is_national(next) {
                next = next.tomorrow().expect("dates in 1973..=2099 have a tomorrow");
            }
        } else if is_national(next) {
            // Before 2007: only "the next day", so a substitute falling on a holiday is lost.
            continue;
        }
        extra.push(Holiday {
            date: next,
            kind: HolidayKind::Substitute,
            name_ja: "振替休日",
            name_en: "Substitute holiday",
        });
    }
    // Art. 3(3), citizens' holidays, in force from 27 December 1985.
    for pair in days.windows(2) {
        let (a, b) = (pair[0].date, pair[1].date);
        let Ok(between) = a.tomorrow() else { continue };
        if between.tomorrow().ok() != Some(b) || between < Date::constant(1985, 12, 27) {
            continue;
        }
        // Before 2007 Sundays and substitute holidays were excluded; since then only national
        // holidays are (and a substitute day stays a substitute day either way).
        let excluded = extra.iter().any(|h| h.date == between)
            || (year < 2007 && between.weekday() == Weekday::Sunday);
        if !excluded {
            extra.push(Holiday {
                date: between,
                kind: HolidayKind::Citizens,
                name_ja: "国民の休日",
                name_en: "Citizens' holiday",
            });
        }
    }
    days.extend(extra);
    days.sort_by_key(|h| h.date);
    Ok(days)
}

fn national_holidays(year: i16) -> Vec<Holiday> {
    let mut out = Vec::with_capacity(20);
    let mut add = |month: i8, day: i8, kind: HolidayKind, ja: &'static str, en: &'static str| {
        out.push(Holiday {
            date: Date::constant(year, month, day),
            kind,
            name_ja: ja,
            name_en: en,
        });
    };
    use HolidayKind::{National as N, Special as S};
    let nth_monday = |month: i8, nth: i8| -> i8 {
        Date::constant(year, month, 1)
            .nth_weekday_of_month(nth, Weekday::Monday)
            .expect("every month has a 2nd and 3rd Monday")
            .day()
    };

    add(1, 1, N, "元日", "New Year's Day");
    if year <= 1999 {
        add(1, 15, N, "成人の日", "Coming of Age Day");
    } else {
        add(1, nth_monday(1, 2), N, "成人の日", "Coming of Age Day");
    }
    add(2, 11, N, "建国記念の日", "National Foundation Day");
    if year >= 2020 {
        add(2, 23, N, "天皇誕生日", "The Emperor's Birthday");
    }
    add(3, vernal_equinox_day(year), N, "春分の日", "Vernal Equinox Day");
    match year {
        ..=1988 => add(4, 29, N, "天皇誕生日", "The Emperor's Birthday"),
        1989..=2006 => add(4, 29, N, "みどりの日", "Greenery Day"),
        _ => add(4, 29, N, "昭和の日", "Showa Day"),
    }
    add(5, 3, N, "憲法記念日", "Constitution Memorial Day");
    if year >= 2007 {
        add(5, 4, N, "みどりの日", "Greenery Day");
    }
    add(5, 5, N, "こどもの日", "Children's Day");
    match year {
        ..=1995 => {}
        1996..=2002 => add(7, 20, N, "海の日", "Marine Day"),
        // Moved for the Tokyo Olympics by the 2020 special measures act and its 2020 amendment.
        2020 => add(7, 23, N, "海の日", "Marine Day"),
        2021 => add(7, 22, N, "海の日", "Marine Day"),
        _ => add(7, nth_monday(7, 3), N, "海の日", "Marine Day"),
    }
    match year {
        ..=2015 => {}
        2020 => add(8, 10, N, "山の日", "Mountain Day"),
        2021 => add(8, 8, N, "山の日", "Mountain Day"),
        _ => add(8, 11, N, "山の日", "Mountain Day"),
    }
    if year <= 2002 {
        add(9, 15, N, "敬老の日", "Respect for the Aged Day");
    } else {
        add(9, nth_monday(9, 3), N, "敬老の日", "Respect for the Aged Day");
    }
    add(9, autumnal_equinox_day(year), N, "秋分の日", "Autumnal Equinox Day");
    match year {
        ..=1999 => add(10, 10, N, "体育の日", "Health and Sports Day"),
        2000..=2019 => add(10, nth_monday(10, 2), N, "体育の日", "Health and Sports Day"),
        2020 => add(7, 24, N, "スポーツの日", "Sports Day"),
        2021 => add(7, 23, N, "スポーツの日", "Sports Day"),
        _ => add(10, nth_monday(10, 2), N, "スポーツの日", "Sports Day"),
    }
    add(11, 3, N, "文化の日", "Culture Day");
    add(11, 23, N, "勤労感謝の日", "Labour Thanksgiving Day");
    if year <= 1988 {
        // Before 1989 the Emperor's birthday was 29 April (added above); nothing in December.
    } else if year <= 2018 {
        add(12, 23, N, "天皇誕生日", "The Emperor's Birthday");
    }

    // One-off holidays set by special acts.
    match year {
        1989 => add(2, 24, S, "昭和天皇の大喪の礼", "State Funeral of Emperor Showa"),
        1990 => add(11, 12, S, "即位礼正殿の儀", "Enthronement Ceremony"),
        1993 => add(6, 9, S, "皇太子徳仁親王の結婚の儀", "Wedding of Crown Prince Naruhito"),
        2019 => {
            add(5, 1, S, "天皇の即位の日", "Day of the Emperor's Enthronement");
            add(10, 22, S, "即位礼正殿の儀の行われる日", "Enthronement Ceremony Day");
        }
        _ => {}
    }
    out
}

/// Day of March of the vernal equinox, by the standard approximation (valid 1900–2099).
fn vernal_equinox_day(year: i16) -> i8 {
    equinox_day(year, 20.8357, 20.8431)
}

/// Day of September of the autumnal equinox, by the standard approximation (valid 1900–2099).
fn autumnal_equinox_day(year: i16) -> i8 {
    equinox_day(year, 23.2588, 23.2488)
}

fn equinox_day(year: i16, base_before_1980: f64, base_from_1980: f64) -> i8 {
    let y = i32::from(year);
    // The leap-year correction uses integer division truncating toward zero, as the formula is
    // conventionally stated; the 1900–1979 variant counts leap years from 1983.
    let (base, leap) = if y < 1980 {
        (base_before_1980, (y - 1983) / 4)
    } else {
        (base_from_1980, (y - 1980) / 4)
    };
    let day = base + 0.242194 * f64::from(y - 1980) - f64::from(leap);
    // The value is between 19 and 24 for every year in range, so the cast cannot truncate.
    day.floor() as i8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(y: i16, m: i8, d: i8) -> Option<&'static str> {
        holiday_on(Date::constant(y, m, d)).unwrap().map(|h| h.name_ja)
    }

    #[test]
    fn labour_thanksgiving_2026() {
        assert_eq!(name(2026, 11, 23), Some("勤労感謝の日"));
    }

    #[test]
    fn substitute_and_citizens_holidays_of_2019() {
        assert_eq!(name(2019, 4, 30), Some("国民の休日"));
        assert_eq!(name(2019, 5, 1), Some("天皇の即位の日"));
        assert_eq!(name(2019, 5, 2), Some("国民の休日"));
        assert_eq!(name(2019, 5, 6), Some("振替休日"));
    }

    #[test]
    fn silver_week_2026_has_a_citizens_holiday() {
        assert_eq!(name(2026, 9, 21), Some("敬老の日"));
        assert_eq!(name(2026, 9, 22), Some("国民の休日"));
        assert_eq!(name(2026, 9, 23), Some("秋分の日"));
    }

    #[test]
    fn rules_apply_only_from_their_effective_dates() {
        // 1973-02-11 was a Sunday, before the substitute rule took effect on 12 April 1973.
        assert_eq!(name(1973, 2, 12), None);
        assert_eq!(name(1973, 4, 30), Some("振替休日"));
        // Citizens' holiday only from 27 December 1985.
        assert_eq!(name(1985, 5, 4), None);
        assert_eq!(name(1988, 5, 4), Some("国民の休日"));
    }

    #[test]
    fn outside_range_is_an_error() {
        assert!(holiday_on(Date::constant(1972, 1, 1)).is_err());
        assert!(holiday_on(Date::constant(2100, 1, 1)).is_err());
    }
}
