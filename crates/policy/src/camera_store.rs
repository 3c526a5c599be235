//! Footage held on the camera itself (NIS-2): the camera records by itself and overwrites its
//! oldest images (NIS-6 「新たな画像を上書きする方法」); a dedicated PC pulls what is needed
//! wirelessly. The product cannot erase such footage on schedule, so it does the next best
//! thing the rules allow: it records each camera's overwrite cycle when the camera is
//! commissioned, and checks the age of the oldest footage on the camera against the retention
//! band (NIS-6 概ね10日, read as 9–11 days: PROD-RET-3), alerting on drift either way —
//! overwritten too early (footage lost before its period) or kept too long (held past it).

use crate::profile::Profile;
use crate::retention::Period;
use crate::workflow::Refusal;
use jiff::civil::Date;
use serde::Serialize;

/// How the oldest footage's age compares with the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeVerdict {
    /// Within the band.
    Within,
    /// Younger than the floor: the camera overwrites before the period ends.
    TooYoung,
    /// Older than the ceiling: footage is kept past the period.
    TooOld,
}

crate::stored_names!(AgeVerdict, "footage age verdict", {
    Within => "within",
    TooYoung => "too_young",
    TooOld => "too_old",
});

/// The result of a check of the oldest footage on a camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FootageAge {
    /// Whole days from the oldest recording day to the day of the check (the recording day not
    /// counted: NIS-6 「録画日の翌日から起算」).
    pub age_days: i32,
    /// The band's floor (days).
    pub floor_days: u32,
    /// The band's ceiling (days).
    pub ceiling_days: u32,
    /// Within, too young or too old.
    pub verdict: AgeVerdict,
    /// The rule the verdict answers to: the band's floor or ceiling when outside it, the
    /// retention clause when within.
    pub rule: crate::RuleId,
}

impl Profile {
    /// The band a camera-held footage's age must stay in, in days: the retention floor and
    /// ceiling. `None` where the camera does not hold the footage or the bounds are not in days.
    pub fn camera_footage_band(&self) -> Option<(u32, u32)> {
        if !self.recording.camera_holds_footage {
            return None;
        }
        match (self.retention.floor.period(), self.retention.ceiling.period()) {
            (Some(Period::Days(f)), Some(Period::Days(c))) => Some((f, c)),
            _ => None,
        }
    }

    /// The overwrite cycle recorded when a camera is commissioned (NIS-2, NIS-6): required where
    /// the camera holds the footage, and within the band; refused where the recorder holds it
    /// (the product erases on schedule there, so a camera cycle would mean nothing).
    pub fn check_overwrite_cycle(&self, days: Option<u32>) -> Result<Option<u32>, Refusal> {
        let Some((floor, ceiling)) = self.camera_footage_band() else {
            return match days {
                None => Ok(None),
                Some(_) => Err(Refusal::new(
                    &self.retention.rule,
                    "in this city the recorder holds the footage and erases it on schedule: a camera overwrite cycle is not recorded",
                ).key("cs_recorder_holds")
                .at("overwrite_cycle_days")),
            };
        };
        let Some(d) = days else {
            return Err(Refusal::new(
                &self.retention.rule,
                format!(
                    "the camera holds the footage: record its overwrite cycle in days ({floor}–{ceiling}) before commissioning it"
                ),
            ).key("cs_cycle_required").with("floor", floor).with("ceiling", ceiling)
            .at("overwrite_cycle_days"));
        };
        if d < floor || d > ceiling {
            let rule =
                if d < floor { &self.retention.floor.rule } else { &self.retention.ceiling.rule };
            return Err(Refusal::new(
                rule,
                format!(
                    "an overwrite cycle of {d} days is outside the retention band of {floor}–{ceiling} days: set the camera to keep about {} days",
                    self.retention.default.days.unwrap_or(ceiling)
                ),
            ).key("cs_cycle_band").with("d", d).with("floor", floor).with("ceiling", ceiling).with("days", self.retention.default.days.unwrap_or(ceiling))
            .at("overwrite_cycle_days"));
        }
        Ok(Some(d))
    }

    /// The age of the oldest footage found on a camera (`oldest`, its recording day) on the day
    /// of the check, against the band (NIS-6, PROD-RET-3).
    pub fn footage_age(&self, oldest: Date, checked_on: Date) -> Result<FootageAge, Refusal> {
        let Some((floor, ceiling)) = self.camera_footage_band() else {
            return Err(Refusal::new(
                &self.retention.rule,
                "in this city the cameras do not hold the footage: nothing to check on them",
            )
            .key("cs_nothing_to_check"));
        };
        if oldest > checked_on {
            return Err(Refusal::new(
                &self.retention.rule,
                "the oldest footage cannot be from after the day of the check",
            )
            .key("cs_oldest_after_check")
            .at("oldest_day"));
        }
        let age_days = (checked_on - oldest).get_days();
        let verdict = if age_days < i32::try_from(floor).unwrap_or(i32::MAX) {
            AgeVerdict::TooYoung
        } else if age_days > i32::try_from(ceiling).unwrap_or(i32::MAX) {
            AgeVerdict::TooOld
        } else {
            AgeVerdict::Within
        };
        let rule = match verdict {
            AgeVerdict::TooYoung => &self.retention.floor.rule,
            AgeVerdict::TooOld => &self.retention.ceiling.rule,
            AgeVerdict::Within => &self.retention.rule,
        }
        .clone();
        Ok(FootageAge { age_days, floor_days: floor, ceiling_days: ceiling, verdict, rule })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile;

    fn d(s: &str) -> Date {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn seed(id: &str) -> Profile {
        match profile::seed(id) {
            Some(Ok(p)) => p,
            other => panic!("{id}: {other:?}"),
        }
    }

    // rule: NIS-2, NIS-6, PROD-RET-3
    #[test]
    fn nishiyodogawa_cameras_keep_nine_to_eleven_days() {
        let nis = seed("nishiyodogawa");
        assert_eq!(nis.camera_footage_band(), Some((9, 11)));
        assert!(nis.check_overwrite_cycle(None).is_err(), "required where the camera holds it");
        assert_eq!(nis.check_overwrite_cycle(Some(10)), Ok(Some(10)));
        let e = nis.check_overwrite_cycle(Some(14)).unwrap_err();
        assert_eq!(e.rule.as_str(), "PROD-RET-3");
        // Checked on Monday 7 December (after a weekend, before the year-end closure): the
        // oldest footage of 27 November is 10 days old; 29 November 8 (overwritten too early),
        // 25 November 12 (kept too long).
        let on = d("2026-12-07");
        let age = nis.footage_age(d("2026-11-27"), on).unwrap();
        assert_eq!(
            (age.age_days, age.verdict, age.rule.as_str()),
            (10, AgeVerdict::Within, "NIS-6")
        );
        assert_eq!(nis.footage_age(d("2026-11-28"), on).unwrap().verdict, AgeVerdict::Within);
        assert_eq!(nis.footage_age(d("2026-11-26"), on).unwrap().verdict, AgeVerdict::Within);
        assert_eq!(nis.footage_age(d("2026-11-29"), on).unwrap().verdict, AgeVerdict::TooYoung);
        assert_eq!(nis.footage_age(d("2026-11-25"), on).unwrap().verdict, AgeVerdict::TooOld);
        // Across the year end: 23 December to 3 January is 11 days.
        let age = nis.footage_age(d("2026-12-23"), d("2027-01-03")).unwrap();
        assert_eq!((age.age_days, age.verdict), (11, AgeVerdict::Within));
        assert!(nis.footage_age(d("2026-12-08"), on).is_err(), "not from the future");
    }

    #[test]
    fn where_the_recorder_holds_footage_no_camera_cycle_is_recorded() {
        let asa = seed("asahikawa");
        assert_eq!(asa.camera_footage_band(), None);
        assert_eq!(asa.check_overwrite_cycle(None), Ok(None));
        assert!(asa.check_overwrite_cycle(Some(10)).is_err());
        assert!(asa.footage_age(d("2026-11-27"), d("2026-12-07")).is_err());
    }
}
