//! Retention math (SPEC.md §7, "Day counting" and "Per-profile retention").
//!
//! A period of N days starts at 00:00 JST of the day after the recording day (初日不算入, Civil
//! Code art. 140) and ends at 24:00 of its Nth day (art. 141); footage is erased at that instant.
//! A period in months ends on the day before the day of the last month that corresponds to the
//! starting day, or on that month's last day when it has none (art. 143(2)). Art. 142 (moving an
//! end that falls on a holiday) does not apply to erasure.

use crate::jst;
use crate::profile::Profile;
use crate::rule::RuleId;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How the first day of a period is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// The period starts the day after the recording day (Civil Code art. 140; NIS-6 explicitly;
    /// SPEC.md §7 reads ASA's 撮影した日から the same way). The default.
    FromNextDay,
    /// The recording day is day 1 (for a custom profile whose rules say so).
    FromRecordingDay,
}

// The names used in JSON output and profile files.
crate::stored_names!(Counting, "day counting", {
    FromNextDay => "from_next_day",
    FromRecordingDay => "from_recording_day",
});

/// A retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// N calendar days.
    Days(u32),
    /// N months (Civil Code art. 143).
    Months(u32),
}

impl Period {
    /// The period a stored setting names: days or months, `None` when neither (the default
    /// applies). Days win if a row holds both (the API refuses setting both).
    pub fn from_setting(days: Option<i64>, months: Option<i64>) -> Option<Period> {
        let n = |v: i64| u32::try_from(v).ok();
        match (days, months) {
            (Some(d), _) => n(d).map(Period::Days),
            (None, Some(m)) => n(m).map(Period::Months),
            _ => None,
        }
    }

    /// Fewest days this period can last (a month can be as short as 28 days).
    pub fn min_days(self) -> u64 {
        match self {
            Period::Days(d) => u64::from(d),
            Period::Months(m) => shortest_months(m),
        }
    }

    /// Most days this period can last (a month can be as long as 31 days).
    pub fn max_days(self) -> u64 {
        match self {
            Period::Days(d) => u64::from(d),
            Period::Months(m) => longest_months(m),
        }
    }
}

/// Shortest possible length of `m` consecutive months, in days.
fn shortest_months(m: u32) -> u64 {
    // Exact minimum over all start months: a sliding window over two cycles of the month lengths
    // of a non-leap year (the shortest window never benefits from a leap day).
    const LEN: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let years = u64::from(m / 12);
    let rest = (m % 12) as usize;
    let partial = (0..12)
        .map(|start| (0..rest).map(|i| LEN[(start + i) % 12]).sum::<u64>())
        .min()
        .unwrap_or(0);
    years * 365 + partial
}

/// Longest possible length of `m` consecutive months, in days.
fn longest_months(m: u32) -> u64 {
    const LEN: [u64; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let years = u64::from(m / 12);
    let rest = (m % 12) as usize;
    let partial = (0..12)
        .map(|start| (0..rest).map(|i| LEN[(start + i) % 12]).sum::<u64>())
        .max()
        .unwrap_or(0);
    // Each full year can contain a leap day.
    years * 366 + partial
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Days(1) => f.write_str("1 day"),
            Period::Days(d) => write!(f, "{d} days"),
            Period::Months(1) => f.write_str("1 month"),
            Period::Months(m) => write!(f, "{m} months"),
        }
    }
}

/// A retention setting refused by the profile's bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    /// Shorter than the floor.
    #[error("{rule}: at least {floor}{hint}")]
    BelowFloor {
        /// Rule that sets the floor.
        rule: RuleId,
        /// The floor.
        floor: Period,
        /// Extra explanation when units differ.
        hint: String,
    },
    /// Longer than the ceiling.
    #[error("{rule}: at most {ceiling}{hint}")]
    AboveCeiling {
        /// Rule that sets the ceiling.
        rule: RuleId,
        /// The ceiling.
        ceiling: Period,
        /// Extra explanation when units differ.
        hint: String,
    },
}

impl BoundError {
    /// The rule the setting breaks.
    pub fn rule(&self) -> &RuleId {
        match self {
            BoundError::BelowFloor { rule, .. } | BoundError::AboveCeiling { rule, .. } => rule,
        }
    }
}

/// Checks a retention setting against a floor and a ceiling.
///
/// Same units compare directly. Across units the check is strict, because a setting must respect
/// the bound for every recording day: a days setting is within a ceiling of M months only if it
/// fits in the shortest M months (30 days exceeds "1 month" for a period running through
/// February), and a months setting meets a floor of D days only if its shortest span is ≥ D days.
pub fn check_bounds(
    setting: Period,
    floor: (Period, &RuleId),
    ceiling: (Period, &RuleId),
) -> Result<(), BoundError> {
    let (floor_p, floor_rule) = floor;
    let (ceil_p, ceil_rule) = ceiling;
    let below = match (setting, floor_p) {
        (Period::Days(s), Period::Days(f)) | (Period::Months(s), Period::Months(f)) => s < f,
        _ => setting.min_days() < floor_p.max_days(),
    };
    if below {
        let hint = match (setting, floor_p) {
            (Period::Months(_), Period::Days(_)) => {
                format!(" ({setting} can be as short as {} days)", setting.min_days())
            }
            (Period::Days(_), Period::Months(_)) => {
                format!(" ({floor_p} can be as long as {} days)", floor_p.max_days())
            }
            _ => String::new(),
        };
        return Err(BoundError::BelowFloor { rule: floor_rule.clone(), floor: floor_p, hint });
    }
    let above = match (setting, ceil_p) {
        (Period::Days(s), Period::Days(c)) | (Period::Months(s), Period::Months(c)) => s > c,
        _ => setting.max_days() > ceil_p.min_days(),
    };
    if above {
        let hint = match (setting, ceil_p) {
            (Period::Days(_), Period::Months(m)) => format!(
                " ({setting} exceeds {ceil_p} when the period runs through its shortest months; \
                 set {} instead)",
                if m == 1 { "--months 1".to_owned() } else { format!("--months {m}") }
            ),
            (Period::Months(_), Period::Days(_)) => {
                format!(" ({setting} can last {} days)", setting.max_days())
            }
            _ => String::new(),
        };
        return Err(BoundError::AboveCeiling { rule: ceil_rule.clone(), ceiling: ceil_p, hint });
    }
    Ok(())
}

/// The first day of the period for footage recorded on `recording_day`.
pub fn first_day(recording_day: Date, counting: Counting) -> Date {
    match counting {
        Counting::FromNextDay => recording_day.tomorrow().unwrap_or(recording_day),
        Counting::FromRecordingDay => recording_day,
    }
}

/// The JST day at whose 00:00 footage recorded on `recording_day` is erased: the day after the
/// period's last day.
pub fn erase_day(
    recording_day: Date,
    period: Period,
    counting: Counting,
) -> Result<Date, RetentionError> {
    let start = first_day(recording_day, counting);
    let overflow = || RetentionError::OutOfRange { day: recording_day };
    match period {
        // Last day = start + (n - 1); erase at the start of the day after it.
        Period::Days(n) => {
            start.checked_add(jiff::Span::new().days(i64::from(n))).map_err(|_| overflow())
        }
        Period::Months(n) => {
            // Art. 143(2): the period ends on the day before the corresponding day of the month n
            // months on, so erasure happens at 00:00 of the corresponding day itself; with no
            // corresponding day it ends on that month's last day, so erasure is on the 1st of the
            // month after.
            let months = i32::from(start.month()) - 1 + i32::try_from(n).map_err(|_| overflow())?;
            let year = i32::from(start.year()) + months.div_euclid(12);
            let month = months.rem_euclid(12) + 1;
            let year = i16::try_from(year).map_err(|_| overflow())?;
            let month = i8::try_from(month).map_err(|_| overflow())?;
            let first_of_month = Date::new(year, month, 1).map_err(|_| overflow())?;
            if start.day() <= first_of_month.days_in_month() {
                Date::new(year, month, start.day()).map_err(|_| overflow())
            } else {
                first_of_month.last_of_month().tomorrow().map_err(|_| overflow())
            }
        }
    }
}

/// The instant footage recorded at `recorded_at` must be erased: 00:00 JST of [`erase_day`].
pub fn erase_at(
    recorded_at: Timestamp,
    period: Period,
    counting: Counting,
) -> Result<Timestamp, RetentionError> {
    let day = erase_day(jst::date(recorded_at), period, counting)?;
    jst::midnight(day).map_err(|_| RetentionError::OutOfRange { day })
}

/// Retention computation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    /// The date arithmetic left the supported calendar range.
    #[error("retention for footage recorded on {day} falls outside the supported calendar")]
    OutOfRange {
        /// The day involved.
        day: Date,
    },
    /// The setting breaks the profile's bounds.
    #[error(transparent)]
    Bounds(#[from] BoundError),
}

/// A profile's retention decision for one recording instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// When to erase.
    pub erase_at: Timestamp,
    /// The period applied.
    pub period: Period,
    /// The counting mode.
    pub counting: Counting,
}

impl Profile {
    /// The profile's default retention period.
    pub fn default_period(&self) -> Period {
        // A validated profile always has a well-formed default; fall back to the floor only to
        // stay total.
        self.retention
            .default
            .period()
            .or_else(|| self.retention.floor.period())
            .unwrap_or(Period::Days(7))
    }

    /// The period a camera keeps its footage for: its own setting (made at registration), else
    /// its owner organisation's (SAK-9: each facility sets its own period), else the profile's
    /// default. Each setting was checked against the bounds when it was made.
    pub fn camera_period(&self, camera: Option<Period>, owner: Option<Period>) -> Period {
        camera.or(owner).unwrap_or_else(|| self.default_period())
    }

    /// Checks a camera's retention setting against this profile's floor and ceiling.
    pub fn check_retention_setting(&self, setting: Period) -> Result<(), BoundError> {
        let r = &self.retention;
        let floor = r.floor.period().unwrap_or(Period::Days(1));
        let ceiling = r.ceiling.period().unwrap_or(Period::Months(u32::MAX / 2));
        check_bounds(setting, (floor, &r.floor.rule), (ceiling, &r.ceiling.rule))
    }

    /// When footage recorded at `recorded_at` is erased under `setting` (or the profile default).
    pub fn retention_decision(
        &self,
        recorded_at: Timestamp,
        setting: Option<Period>,
    ) -> Result<Decision, RetentionError> {
        let period = setting.unwrap_or_else(|| self.default_period());
        self.check_retention_setting(period)?;
        let counting = self.retention.counting;
        Ok(Decision { erase_at: erase_at(recorded_at, period, counting)?, period, counting })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_lengths() {
        assert_eq!(shortest_months(1), 28);
        assert_eq!(longest_months(1), 31);
        assert_eq!(shortest_months(2), 59);
        assert_eq!(longest_months(2), 62);
        assert_eq!(shortest_months(12), 365);
        assert_eq!(longest_months(12), 366);
    }
}
