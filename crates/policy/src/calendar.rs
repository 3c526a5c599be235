//! The JST calendar a profile runs on: closed days, office hours and the emergency window
//! (SPEC.md §7).
//!
//! - A **closed day** (閉庁日, Local Autonomy Act art. 4-2) is a Saturday, a Sunday, a national
//!   holiday (incl. substitute and citizens' holidays), a day of the year-end closure, or a local
//!   holiday of the profile.
//! - **Office hours** are the profile's opening hours on a day that is not closed, opening time
//!   inclusive, closing time exclusive.
//! - The **emergency window** (ASA-3.5b closed list, NIS-11.1 open list) is any instant on a
//!   closed day, or outside office hours on other days, for profiles with an emergency path; the
//!   other profiles have no window.

use crate::holidays::{self, Holiday, OutOfRange};
use crate::jst;
use crate::profile::{MonthDay, Profile};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use serde::Serialize;

/// What the calendar says about one instant. Field names are the CLI's JSON contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    /// JST date of the instant.
    pub date: Date,
    /// Japanese name of the national holiday on that date, if any.
    pub national_holiday: Option<&'static str>,
    /// Closed day (閉庁日).
    pub closed_day: bool,
    /// Inside office hours.
    pub office_hours: bool,
    /// Inside the emergency window (always false for profiles without an emergency path).
    pub emergency_window: bool,
}

/// Why a day is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ClosedReason {
    /// Saturday or Sunday.
    Weekend,
    /// A national holiday.
    NationalHoliday {
        /// The holiday.
        holiday: Holiday,
    },
    /// The year-end closure.
    YearEnd,
    /// A local holiday of the profile.
    LocalHoliday {
        /// Its Japanese name.
        name_ja: String,
    },
}

impl Profile {
    /// Why `day` is a closed day, or `None` for an open day.
    pub fn closed_reason(&self, day: Date) -> Result<Option<ClosedReason>, OutOfRange> {
        // National holidays are checked first so their name is reported even on a weekend.
        if let Some(holiday) = holidays::holiday_on(day)? {
            return Ok(Some(ClosedReason::NationalHoliday { holiday }));
        }
        if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return Ok(Some(ClosedReason::Weekend));
        }
        let cal = &self.calendar;
        let md = MonthDay { month: day.month(), day: day.day() };
        if let Some(closure) = cal.year_end_closure {
            let inside = if closure.from <= closure.to {
                closure.from <= md && md <= closure.to
            } else {
                // Wraps over New Year: 12-29..=01-03.
                md >= closure.from || md <= closure.to
            };
            if inside {
                return Ok(Some(ClosedReason::YearEnd));
            }
        }
        if let Some(local) = cal.local_holidays.iter().find(|h| h.date == md) {
            return Ok(Some(ClosedReason::LocalHoliday { name_ja: local.name_ja.clone() }));
        }
        Ok(None)
    }

    /// Whether `day` is a closed day.
    pub fn is_closed_day(&self, day: Date) -> Result<bool, OutOfRange> {
        Ok(self.closed_reason(day)?.is_some())
    }

    /// Everything the calendar says about `at`.
    pub fn moment(&self, at: Timestamp) -> Result<Moment, OutOfRange> {
        let civil = jst::civil(at);
        let date = civil.date();
        let national_holiday = holidays::holiday_on(date)?.map(|h| h.name_ja);
        let closed_day = self.is_closed_day(date)?;
        let time = civil.time();
        let office_hours = !closed_day
            && self.calendar.office_opens.0 <= time
            && time < self.calendar.office_closes.0;
        let emergency_window = self.emergency.is_some() && !office_hours;
        Ok(Moment { date, national_holiday, closed_day, office_hours, emergency_window })
    }

    /// The `n`th office day strictly after `day` (n ≥ 1).
    pub fn nth_office_day_after(&self, day: Date, n: u32) -> Result<Date, OutOfRange> {
        let mut d = day;
        let mut left = n.max(1);
        loop {
            d = d.tomorrow().map_err(|_| OutOfRange { year: day.year() })?;
            if !self.is_closed_day(d)? {
                left -= 1;
                if left == 0 {
                    return Ok(d);
                }
            }
        }
    }

    /// When the post-hoc filing for an emergency extraction at `extracted_at` is due: the end
    /// (24:00 JST) of the profile's Nth office day after the extraction day (遅滞なく, SPEC.md
    /// §7). `None` for profiles without an emergency path or deadline.
    pub fn filing_due_at(&self, extracted_at: Timestamp) -> Result<Option<Timestamp>, OutOfRange> {
        let Some(days) = self.emergency.as_ref().and_then(|e| e.filing.due_office_days) else {
            return Ok(None);
        };
        let extraction_day = jst::date(extracted_at);
        let due_day = self.nth_office_day_after(extraction_day, days)?;
        let end = due_day.tomorrow().map_err(|_| OutOfRange { year: due_day.year() })?;
        jst::midnight(end).map(Some).map_err(|_| OutOfRange { year: end.year() })
    }

    /// When a complaint received at `received_at` must be answered (KIT-7; the number of days
    /// is the profile's, PROD-COMPLAINT-1): a period in days counted as the law counts one — the
    /// day of receipt not counted (Civil Code art. 140), the period ending at 24:00 JST of its
    /// last day (art. 141), and a last day that falls on a closed day moved to the next office
    /// day (Act on Holidays of Administrative Organs art. 2; a municipality's closed days under
    /// the Local Autonomy Act art. 4-2 ¶4). Received 1 December with 14 days: due at the end of
    /// the 15th; received on 15 December, the 29th is inside the year-end closure, so due at
    /// the end of 4 January.
    pub fn complaint_due_at(&self, received_at: Timestamp) -> Result<Timestamp, OutOfRange> {
        let received = jst::date(received_at);
        let days = i64::from(self.complaints.respond_within_days.max(1));
        let out = |d: Date| OutOfRange { year: d.year() };
        let mut last =
            received.checked_add(jiff::Span::new().days(days)).map_err(|_| out(received))?;
        while self.is_closed_day(last)? {
            last = last.tomorrow().map_err(|_| out(last))?;
        }
        let end = last.tomorrow().map_err(|_| out(last))?;
        jst::midnight(end).map_err(|_| out(end))
    }
}
