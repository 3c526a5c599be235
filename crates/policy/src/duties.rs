//! Recurring duties (issue 18 item 1): what the seeds say someone must do every month, every
//! year or "periodically" — submit the month's PC history and reconcile it (ASA-3.5c, NIS-11.3),
//! check access to all cameras (ASA-3.5c), change device passwords (ASA-3.2c, NIS-3.1c,
//! NIS-3.3.1), check signs, publish the yearly report (KIT-8) — as profile data (`[[duties]]`)
//! with one mechanism: each duty has occurrences, each occurrence a deadline; an occurrence is
//! done when its fulfilment is on record, due before its deadline and lapsed after it. The
//! server shows due occurrences on the performer's home and turns lapsed ones into incidents.
//!
//! Pure: no I/O, no clock. Times are JST calendar days (SPEC.md §7).

use crate::Permission;
use crate::jst;
use crate::rule::RuleId;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// rule: PROD-SIGNAGE-1 — a site's sign (ASA-3.2b, KIT-4.2, KAW-2.2.1, NIS-4.2) is checked at
/// least every this many days; an unchecked sign is someone's task after that.
pub const SIGNAGE_CHECK_DAYS: i64 = 180;

/// rule: PROD-AUTH-2 — a password due for rotation is announced this many days before.
pub const PASSWORD_NOTICE_DAYS: i64 = 14;

/// How many past calendar periods are looked at: older lapses were raised when they lapsed.
pub const LOOKBACK_PERIODS: usize = 13;

/// How often a duty recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// Once for every JST calendar month, after it ends (`2026-11`).
    Monthly,
    /// Once for every Japanese fiscal year (1 April – 31 March), after it ends (`FY2026`).
    FiscalYear,
    /// Every `every_days` days after the last time it was done (or the subject was registered).
    Rolling,
}

/// What one occurrence of a duty is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutySubject {
    /// The city as a whole: one occurrence per period.
    Office,
    /// Each dedicated PC lent to the police or an agency (ASA-3.5c, NIS-11.3); its holding
    /// organisation performs the duty.
    LentWorkstation,
    /// Each dedicated workstation in service.
    Workstation,
    /// Each camera.
    Camera,
    /// Each site (its sign).
    Site,
}

impl DutySubject {
    /// The object prefix used in records (`workstation:3`).
    pub fn kind(self) -> &'static str {
        match self {
            Self::Office => "office",
            Self::LentWorkstation | Self::Workstation => "workstation",
            Self::Camera => "camera",
            Self::Site => "site",
        }
    }
}

/// How an occurrence comes to be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoneBy {
    /// The performer records it, with a note (what was checked, where it was published).
    Record,
    /// Submitting the month's history of the PC (`POST /reconciliation/histories`).
    HistorySubmission,
    /// Running the month's reconciliation (`POST /reconciliation/run`).
    ReconciliationRun,
    /// Recording a sign check on the site.
    SignageCheck,
    /// Publishing the fiscal year's public report (`POST /reports/annual/publish`).
    ReportPublication,
    /// Recording a check of the oldest footage a camera holds itself
    /// (`POST /cameras/{id}/footage-checks`, NIS-2, NIS-6).
    FootageCheck,
}

/// One recurring duty of a profile (`[[duties]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutyDef {
    /// Identifier (`monthly_history`).
    pub id: String,
    /// Japanese name, as the performer's home shows it.
    pub name_ja: String,
    /// English name.
    pub name_en: String,
    /// How often.
    pub cadence: Cadence,
    /// Rolling duties: the interval in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_days: Option<u32>,
    /// Calendar duties: done by the end of this many JST days after the period ends.
    #[serde(default)]
    pub within_days: u32,
    /// Shown on the performer's home this many days before the deadline (rolling duties; a
    /// calendar duty is shown from the end of its period).
    #[serde(default)]
    pub notice_days: u32,
    /// What each occurrence is about.
    pub per: DutySubject,
    /// The permission of the performer (who also must govern the subject, or hold it).
    pub performed_with: Permission,
    /// How it is done.
    pub done_by: DoneBy,
    /// The clause that states the duty.
    pub rule: RuleId,
    /// The reading that fixes the interval or deadline the clause leaves open (a `PROD-*`
    /// rule), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing_rule: Option<RuleId>,
}

/// One occurrence of a duty: its period key and deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// `2026-11`, `FY2026`, or for rolling duties the deadline's date `2027-05-31`.
    pub period: String,
    /// From when it is shown as a task.
    pub shown_from: Timestamp,
    /// It lapses at this instant (24:00 JST of the last day).
    pub due_at: Timestamp,
}

/// Where an occurrence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not yet shown (rolling duties before their notice period).
    NotYet,
    /// To do, before its deadline.
    Due,
    /// Past its deadline and not done.
    Lapsed,
}

/// Whether the performer may record an occurrence of `def` standing at `standing` by hand: a
/// duty done by a record (others are done by the act they name), shown already — a rolling
/// duty may also be recorded early, and counts for the occurrence owed now.
pub fn recordable(def: &DutyDef, standing: Standing) -> bool {
    def.done_by == DoneBy::Record
        && (standing != Standing::NotYet || def.cadence == Cadence::Rolling)
}

/// A profile's duty that cannot work as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DutyError {
    /// A rolling duty without its interval.
    #[error("duty {0}: a rolling duty needs every_days > 0")]
    NoInterval(String),
    /// A calendar instant out of range.
    #[error("duty {0}: date out of range")]
    Range(String),
}

/// The midnight (JST) that ends `day`.
fn end_of(day: Date) -> Option<Timestamp> {
    jst::midnight(day.tomorrow().ok()?).ok()
}

/// A calendar period: its key and its first and last day.
fn period_of(cadence: Cadence, day: Date) -> Option<(String, Date, Date)> {
    match cadence {
        Cadence::Monthly => {
            let first = day.first_of_month();
            Some((
                format!("{:04}-{:02}", first.year(), first.month()),
                first,
                first.last_of_month(),
            ))
        }
        Cadence::FiscalYear => {
            let y = if day.month() >= 4 { day.year() } else { day.year() - 1 };
            let first = Date::new(y, 4, 1).ok()?;
            let last = Date::new(y + 1, 3, 31).ok()?;
            Some((format!("FY{y}"), first, last))
        }
        Cadence::Rolling => None,
    }
}

/// The occurrences of a calendar duty (monthly or fiscal-year) whose period ended after
/// `since` began and no later than `now`, oldest first, at most [`LOOKBACK_PERIODS`]. A period
/// that began before `since` counts only when `since` falls inside it (the first, partial
/// period is owed too).
pub fn calendar_occurrences(
    def: &DutyDef,
    since: Timestamp,
    now: Timestamp,
) -> Result<Vec<Occurrence>, DutyError> {
    let range = || DutyError::Range(def.id.clone());
    let mut out = Vec::new();
    let first_day = jst::date(since);
    let mut day = jst::date(now);
    while out.len() < LOOKBACK_PERIODS {
        let Some((key, first, last)) = period_of(def.cadence, day) else { break };
        let end = end_of(last).ok_or_else(range)?;
        if end <= now && last >= first_day {
            let due = end_of(
                last.checked_add(jiff::Span::new().days(def.within_days)).map_err(|_| range())?,
            )
            .ok_or_else(range)?;
            out.push(Occurrence { period: key, shown_from: end, due_at: due });
        }
        if first <= first_day {
            break;
        }
        day = first.yesterday().map_err(|_| range())?;
    }
    out.reverse();
    Ok(out)
}

/// The next occurrence of a rolling duty: `every_days` after `last` (the last time it was done,
/// or when the subject was registered), ending at 24:00 JST of that day.
pub fn rolling_occurrence(def: &DutyDef, last: Timestamp) -> Result<Occurrence, DutyError> {
    let days =
        def.every_days.filter(|d| *d > 0).ok_or_else(|| DutyError::NoInterval(def.id.clone()))?;
    let range = || DutyError::Range(def.id.clone());
    let last_day =
        jst::date(last).checked_add(jiff::Span::new().days(days)).map_err(|_| range())?;
    let due = end_of(last_day).ok_or_else(range)?;
    let shown = jst::midnight(
        last_day.checked_sub(jiff::Span::new().days(def.notice_days)).map_err(|_| range())?,
    )
    .map_err(|_| range())?;
    Ok(Occurrence { period: last_day.to_string(), shown_from: shown, due_at: due })
}

/// Where an occurrence that is not done stands at `now`.
pub fn standing(o: &Occurrence, now: Timestamp) -> Standing {
    if now >= o.due_at {
        Standing::Lapsed
    } else if now >= o.shown_from {
        Standing::Due
    } else {
        Standing::NotYet
    }
}

/// Whether a sign checked (or put up) at `checked_ms` is due for a check at `now_ms`.
pub fn signage_check_due(checked_ms: i64, now_ms: i64) -> bool {
    now_ms - checked_ms > SIGNAGE_CHECK_DAYS * 86_400_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        jst::parse_rfc3339(s).unwrap()
    }

    fn def(cadence: Cadence, within: u32) -> DutyDef {
        DutyDef {
            id: "d".into(),
            name_ja: "義務".into(),
            name_en: "duty".into(),
            cadence,
            every_days: (cadence == Cadence::Rolling).then_some(180),
            within_days: within,
            notice_days: 14,
            per: DutySubject::Office,
            performed_with: Permission::ReconciliationReview,
            done_by: DoneBy::Record,
            rule: RuleId::new("ASA-3.5c"),
            timing_rule: Some(RuleId::new("PROD-DUTY-1")),
        }
    }

    // rule: PROD-SIGNAGE-1
    #[test]
    fn a_sign_is_due_after_half_a_year() {
        let day = 86_400_000;
        assert!(!super::signage_check_due(0, 180 * day));
        assert!(super::signage_check_due(0, 180 * day + 1));
    }

    // rule: ASA-3.5c, NIS-11.3, PROD-DUTY-1
    #[test]
    fn a_month_is_owed_once_it_ends_and_lapses_ten_days_later() {
        let d = def(Cadence::Monthly, 10);
        // Registered 15 Sep: September (partial), October, November are owed on 3 Dec.
        let occ = calendar_occurrences(
            &d,
            t("2026-09-15T10:00:00+09:00"),
            t("2026-12-03T10:00:00+09:00"),
        )
        .unwrap();
        let keys: Vec<&str> = occ.iter().map(|o| o.period.as_str()).collect();
        assert_eq!(keys, ["2026-09", "2026-10", "2026-11"]);
        let nov = &occ[2];
        assert_eq!(nov.shown_from, t("2026-12-01T00:00:00+09:00"));
        assert_eq!(nov.due_at, t("2026-12-11T00:00:00+09:00"), "ten calendar days after 30 Nov");
        assert_eq!(standing(nov, t("2026-12-10T23:59:59+09:00")), Standing::Due);
        assert_eq!(standing(nov, t("2026-12-11T00:00:00+09:00")), Standing::Lapsed);
        // December has not ended: nothing owed for it yet, even on 31 Dec at 23:59.
        let occ = calendar_occurrences(
            &d,
            t("2026-09-15T10:00:00+09:00"),
            t("2026-12-31T23:59:00+09:00"),
        )
        .unwrap();
        assert_eq!(occ.last().unwrap().period, "2026-11");
        // Across the year end (the closure does not move a calendar-day deadline).
        let occ = calendar_occurrences(
            &d,
            t("2026-12-01T00:00:00+09:00"),
            t("2027-01-05T00:00:00+09:00"),
        )
        .unwrap();
        assert_eq!(occ.len(), 1);
        assert_eq!(occ[0].due_at, t("2027-01-11T00:00:00+09:00"));
    }

    #[test]
    fn the_lookback_is_bounded() {
        let d = def(Cadence::Monthly, 10);
        let occ = calendar_occurrences(
            &d,
            t("2020-01-01T00:00:00+09:00"),
            t("2026-12-03T00:00:00+09:00"),
        )
        .unwrap();
        assert_eq!(occ.len(), LOOKBACK_PERIODS);
        assert_eq!(occ.last().unwrap().period, "2026-11");
    }

    // rule: KIT-8, PROD-DUTY-4
    #[test]
    fn a_fiscal_year_is_owed_after_31_march() {
        let d = def(Cadence::FiscalYear, 91);
        let since = t("2025-06-01T00:00:00+09:00");
        let occ = calendar_occurrences(&d, since, t("2026-03-31T23:00:00+09:00")).unwrap();
        assert!(occ.is_empty(), "FY2025 has not ended");
        let occ = calendar_occurrences(&d, since, t("2026-04-01T00:00:00+09:00")).unwrap();
        assert_eq!(occ.len(), 1);
        assert_eq!(occ[0].period, "FY2025");
        assert_eq!(occ[0].due_at, t("2026-07-01T00:00:00+09:00"), "by 30 June");
        // January belongs to the fiscal year that began the April before.
        let occ = calendar_occurrences(&d, since, t("2027-01-10T00:00:00+09:00")).unwrap();
        assert_eq!(occ.iter().map(|o| o.period.as_str()).collect::<Vec<_>>(), ["FY2025"]);
    }

    // rule: ASA-3.2c, PROD-DUTY-3
    #[test]
    fn a_rolling_duty_counts_from_the_last_time_it_was_done() {
        let d = def(Cadence::Rolling, 0);
        let o = rolling_occurrence(&d, t("2026-06-05T15:00:00+09:00")).unwrap();
        assert_eq!(o.period, "2026-12-02");
        assert_eq!(o.due_at, t("2026-12-03T00:00:00+09:00"));
        assert_eq!(o.shown_from, t("2026-11-18T00:00:00+09:00"));
        assert_eq!(standing(&o, t("2026-11-17T23:00:00+09:00")), Standing::NotYet);
        assert_eq!(standing(&o, t("2026-11-18T00:00:00+09:00")), Standing::Due);
        assert_eq!(standing(&o, t("2026-12-03T00:00:00+09:00")), Standing::Lapsed);
        let mut bad = d.clone();
        bad.every_days = None;
        assert!(rolling_occurrence(&bad, t("2026-06-05T15:00:00+09:00")).is_err());
    }

    // rule: ASA-3.5c — the access review is recorded by hand once it is shown; a duty done by
    // an act (the history submission) is never recorded by hand; a rolling duty may be early.
    #[test]
    fn which_occurrences_are_recorded_by_hand() {
        let asa = crate::profile::seed("asahikawa").unwrap().unwrap();
        let duty = |id: &str| asa.duties.iter().find(|d| d.id == id).unwrap().clone();
        let review = duty("access_review");
        assert!(recordable(&review, Standing::Due));
        assert!(recordable(&review, Standing::Lapsed));
        assert!(!recordable(&review, Standing::NotYet));
        assert!(!recordable(&duty("monthly_history"), Standing::Due));
        let mut rolling = review.clone();
        rolling.cadence = Cadence::Rolling;
        assert!(recordable(&rolling, Standing::NotYet));
    }
}
