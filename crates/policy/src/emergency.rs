//! The investigative agencies' emergency paths (SPEC.md §5): two different rules.
//!
//! - asahikawa (ASA-3.5b): a closed list of occasions (早朝・夜間・休日・祝日・週休日); outside it
//!   the police path is refused.
//! - nishiyodogawa (NIS-11.1): an open list (夜間、休日など), only under a written delegation
//!   (NIS-10.2); outside the window it is allowed only with a written reason, flagged to the
//!   manager.
//!
//! Every order records who judged it urgent and why.

use crate::calendar::Moment;
use crate::holidays::OutOfRange;
use crate::profile::{OutsideWindow, Profile};
use crate::workflow::{Actor, Refusal};
use jiff::Timestamp;
use serde::Serialize;

/// The rule's verdict on an emergency order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderDecision {
    /// The role the orderer acts in.
    pub role: String,
    /// The calendar at the order's instant.
    pub moment: Moment,
    /// Allowed outside the window with a written reason: the manager must be told.
    pub flagged: bool,
    /// When the post-hoc filing is due.
    pub filing_due_at: Option<Timestamp>,
}

/// The facts of an order.
#[derive(Debug, Clone, Copy)]
pub struct Order<'a> {
    /// When it is given.
    pub at: Timestamp,
    /// Why the orderer judged it urgent and especially necessary.
    pub urgency_reason: &'a str,
    /// Outside the window: the written reason (NIS).
    pub outside_reason: Option<&'a str>,
    /// The purpose id.
    pub purpose: &'a str,
    /// Whether the agency holds a written delegation in force (NIS-10.2).
    pub delegation_in_force: bool,
    /// Roles of the person named to carry it out.
    pub executor_roles: &'a [String],
}

/// Calendar errors surface as refusals of the emergency rule.
fn calendar_refusal(profile: &Profile, e: OutOfRange) -> Refusal {
    let rule = profile.emergency.as_ref().map_or(&profile.workflow.rule, |em| &em.rule);
    Refusal::new(rule, e.to_string())
}

impl Profile {
    /// May `actor` order an emergency extraction now? (ASA-3.5b, NIS-10.2, NIS-11.1)
    pub fn check_emergency_order(
        &self,
        actor: Actor<'_>,
        order: &Order<'_>,
    ) -> Result<OrderDecision, Refusal> {
        let Some(em) = &self.emergency else {
            return Err(Refusal::new(
                &self.workflow.rule,
                "this profile has no emergency path: footage leaves only through the request workflow",
            ));
        };
        let role = actor.roles.iter().find(|r| em.ordered_by.contains(r)).ok_or_else(|| {
            Refusal::new(
                &em.rule,
                format!(
                    "only {} may order an emergency extraction",
                    self.role_names(&em.ordered_by)
                ),
            )
        })?;
        if let Some(rule) = &em.delegation_rule
            && !order.delegation_in_force
        {
            return Err(Refusal::new(
                rule,
                "no written delegation is in force for this agency: the manager must confirm it in writing first",
            ));
        }
        if !em.purposes.is_empty() && !em.purposes.iter().any(|p| p == order.purpose) {
            // rule: ASA-3.5b — the path is for an urgent criminal investigation only.
            return Err(Refusal::new(
                &em.rule,
                format!(
                    "the emergency path serves only: {}; any other purpose goes through a request",
                    em.purposes.join(", ")
                ),
            )
            .at("purpose"));
        }
        if order.urgency_reason.trim().is_empty() {
            return Err(Refusal::new(
                &em.rule,
                "record who judged it urgent and especially necessary, and why",
            )
            .at("urgency_reason"));
        }
        if !order.executor_roles.iter().any(|r| em.executed_by.contains(r)) {
            return Err(Refusal::new(
                &em.rule,
                format!("the order must name {}", self.role_names(&em.executed_by)),
            )
            .at("executor"));
        }
        let moment = self.moment(order.at).map_err(|e| calendar_refusal(self, e))?;
        let mut flagged = false;
        if !moment.emergency_window {
            match em.outside_window {
                OutsideWindow::Refuse => {
                    return Err(Refusal::new(
                        &em.rule,
                        format!(
                            "{} {} is inside office hours on an open day: the emergency path is only for early morning, night, holidays and closed days; file a request instead",
                            moment.date,
                            crate::jst::civil(order.at).time().strftime("%H:%M")
                        ),
                    ));
                }
                OutsideWindow::AllowWithReason => {
                    if order.outside_reason.is_none_or(|r| r.trim().is_empty()) {
                        return Err(Refusal::new(
                            &em.rule,
                            "outside night and holiday hours an emergency extraction needs a written reason, which is reported to the manager",
                        )
                        .at("outside_reason"));
                    }
                    flagged = true;
                }
            }
        }
        let filing_due_at = self.filing_due_at(order.at).map_err(|e| calendar_refusal(self, e))?;
        Ok(OrderDecision { role: role.clone(), moment, flagged, filing_due_at })
    }

    /// When an emergency order given at `ordered_at` lapses: at the end of the period it was
    /// given in — an order given in the emergency window (night, a closed day) lapses when office
    /// hours begin; one given outside it with a written reason (NIS-11.1) when they end. Past
    /// it the power is gone: footage leaves through a request (ASA-3.5b, NIS-11.1; issue 15).
    pub fn emergency_expires_at(&self, ordered_at: Timestamp) -> Result<Timestamp, Refusal> {
        let window_at = |t: Timestamp| {
            self.moment(t).map(|m| m.emergency_window).map_err(|e| calendar_refusal(self, e))
        };
        let start = window_at(ordered_at)?;
        // Office hours begin and end on the quarter hour; step to the next quarter, then by
        // quarters, for at most three weeks (the longest closure is the year end's six days).
        let quarter = jiff::SignedDuration::from_mins(15);
        let ms = ordered_at.as_millisecond();
        let q = 15 * 60_000;
        let mut t = Timestamp::from_millisecond((ms / q + 1) * q).unwrap_or(ordered_at);
        for _ in 0..(21 * 24 * 4) {
            if window_at(t)? != start {
                return Ok(t);
            }
            t += quarter;
        }
        Ok(t)
    }

    /// May the executor carry out an order given at `ordered_at` now (`at`)? The power lapses
    /// with its period ([`Profile::emergency_expires_at`]), and a delegation must still be in
    /// force (NIS-10.2).
    pub fn check_emergency_extract(
        &self,
        ordered_at: Timestamp,
        at: Timestamp,
        delegation_in_force: bool,
    ) -> Result<(), Refusal> {
        let Some(em) = &self.emergency else {
            return Err(Refusal::new(&self.workflow.rule, "this profile has no emergency path"));
        };
        let expires = self.emergency_expires_at(ordered_at)?;
        if at >= expires {
            return Err(Refusal::state(
                &em.rule,
                format!(
                    "the order lapsed at {}, when the period it was given in ended: the footage now leaves only through a request",
                    crate::jst::rfc3339(expires)
                ),
            ));
        }
        if let Some(rule) = &em.delegation_rule
            && !delegation_in_force
        {
            return Err(Refusal::new(
                rule,
                "the written delegation is no longer in force: the order cannot be carried out",
            ));
        }
        Ok(())
    }

    /// May `actor` file the post-hoc request for an emergency order with `form`?
    pub fn check_emergency_filing(&self, actor: Actor<'_>, form: &str) -> Result<String, Refusal> {
        let Some(em) = &self.emergency else {
            return Err(Refusal::new(&self.workflow.rule, "this profile has no emergency path"));
        };
        let role = actor.roles.iter().find(|r| em.filing.by.contains(r)).ok_or_else(|| {
            Refusal::new(
                &em.filing.rule,
                format!(
                    "only {} files for an emergency extraction",
                    self.role_names(&em.filing.by)
                ),
            )
        })?;
        if !em.filing.forms.iter().any(|f| f == form) {
            let names: Vec<_> = em
                .filing
                .forms
                .iter()
                .map(|f| self.form(f).map_or(f.clone(), |d| format!("{} ({f})", d.name_ja)))
                .collect();
            return Err(Refusal::new(
                &em.filing.rule,
                format!("file one of: {}", names.join(", ")),
            )
            .at("form"));
        }
        Ok(role.clone())
    }

    /// Whether the filing closes the order at once, or a ledger entry by another role must
    /// follow (NIS-11.2: the image clerk writes form 1 and reports to the operations chief).
    pub fn emergency_needs_ledger_after_filing(&self) -> bool {
        self.emergency.as_ref().is_some_and(|e| !e.filing.ledger_written_by.is_empty())
    }
}
