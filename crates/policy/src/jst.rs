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

#[cfg(test)]
mod tests {
    use super::*;

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
