//! Retention extensions and legal holds, as data (SPEC.md §2, last bullet).
//!
//! Holds exist only where a seed grants them: kitakyushu (KIT-5.6: the manager, with a recorded
//! reason) and kawaguchi (KAW-2.2.6イ: for a legal-procedure inquiry, as long as needed). A hold
//! pins exactly its camera and time range until its `until` instant, when it expires unless
//! released earlier.

use crate::profile::{HoldJustification, Profile};
use crate::rule::RuleId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A request to keep footage past its period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Camera the hold pins.
    pub camera: String,
    /// Start of the pinned recording range (inclusive).
    pub from: Timestamp,
    /// End of the pinned recording range (exclusive).
    pub to: Timestamp,
    /// Kept until this instant.
    pub until: Timestamp,
    /// Role of the person placing it.
    pub placed_by_role: String,
    /// The recorded reason (KIT-5.6).
    pub reason: String,
    /// Reference of the legal-procedure inquiry (KAW-2.2.6イ), where required.
    #[serde(default)]
    pub inquiry_reference: Option<String>,
    /// Released early.
    #[serde(default)]
    pub released_at: Option<Timestamp>,
}

impl Hold {
    /// Whether the hold pins footage of `camera` recorded at `recorded_at`.
    pub fn covers(&self, camera: &str, recorded_at: Timestamp) -> bool {
        self.camera == camera && self.from <= recorded_at && recorded_at < self.to
    }

    /// The instant the hold stops pinning footage: its release or its `until`, whichever is first.
    pub fn ends_at(&self) -> Timestamp {
        match self.released_at {
            Some(r) if r < self.until => r,
            _ => self.until,
        }
    }
}

/// Why a hold is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoldError {
    /// The profile grants no extension.
    #[error(
        "{rule}: this profile has no retention extension or hold; footage needed beyond the period must be extracted through the instruction chain before it expires"
    )]
    NotGranted {
        /// The rule that says so.
        rule: RuleId,
    },
    /// The role may not place holds.
    #[error("{rule}: the role {role:?} may not extend retention")]
    WrongRole {
        /// Rule.
        rule: RuleId,
        /// The role that tried.
        role: String,
    },
    /// No reason.
    #[error("{rule}: an extension must record its reason")]
    MissingReason {
        /// Rule.
        rule: RuleId,
    },
    /// No inquiry reference.
    #[error(
        "{rule}: a hold is allowed only for a legal-procedure inquiry; give the inquiry's reference"
    )]
    MissingInquiry {
        /// Rule.
        rule: RuleId,
    },
    /// The range is empty or backwards, or `until` is not in the future.
    #[error(
        "the hold's range must end after it starts and its end date must be after it is placed"
    )]
    BadRange,
    /// The hold would keep footage past the retention ceiling where that is not allowed.
    #[error("{rule}: a hold may not keep footage past the retention ceiling")]
    PastCeiling {
        /// Rule.
        rule: RuleId,
    },
}

impl HoldError {
    /// The rule the hold breaks, if a rule refused it.
    pub fn rule(&self) -> Option<&RuleId> {
        match self {
            HoldError::NotGranted { rule }
            | HoldError::WrongRole { rule, .. }
            | HoldError::MissingReason { rule }
            | HoldError::MissingInquiry { rule }
            | HoldError::PastCeiling { rule } => Some(rule),
            HoldError::BadRange => None,
        }
    }
}

impl Profile {
    /// Checks a hold placed at `now` against this profile's extension rule.
    pub fn check_hold(&self, hold: &Hold, now: Timestamp) -> Result<(), HoldError> {
        let ext = &self.retention.extension;
        let rule = ext.rule.clone();
        if !ext.allowed {
            return Err(HoldError::NotGranted { rule });
        }
        if !ext.by.iter().any(|r| r == &hold.placed_by_role) {
            return Err(HoldError::WrongRole { rule, role: hold.placed_by_role.clone() });
        }
        if hold.reason.trim().is_empty() {
            return Err(HoldError::MissingReason { rule });
        }
        if ext.requires == Some(HoldJustification::LegalInquiry)
            && hold.inquiry_reference.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            return Err(HoldError::MissingInquiry { rule });
        }
        if hold.to <= hold.from || hold.until <= now {
            return Err(HoldError::BadRange);
        }
        if !ext.may_exceed_ceiling
            && let Some(ceiling) = self.retention.ceiling.period()
        {
            // The latest footage in the range must not outlive the ceiling.
            let last = hold.to.checked_sub(jiff::SignedDuration::from_nanos(1)).unwrap_or(hold.to);
            let limit = crate::retention::erase_at(last, ceiling, self.retention.counting)
                .map_err(|_| HoldError::BadRange)?;
            if hold.until > limit {
                return Err(HoldError::PastCeiling { rule: self.retention.ceiling.rule.clone() });
            }
        }
        Ok(())
    }
}

/// When footage of `camera` recorded at `recorded_at` is erased, given its normal erase instant
/// and the holds in force: the latest of the normal instant and the end of every hold covering it.
pub fn effective_erase_at<'a>(
    camera: &str,
    recorded_at: Timestamp,
    normal: Timestamp,
    holds: impl IntoIterator<Item = &'a Hold>,
) -> Timestamp {
    holds
        .into_iter()
        .filter(|h| h.covers(camera, recorded_at))
        .map(Hold::ends_at)
        .fold(normal, Timestamp::max)
}
