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
    Refusal::new(rule, e.to_string()).key("date_outside_calendar")
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
            ).key("em_no_path"));
        };
        let role = actor.roles.iter().find(|r| em.ordered_by.contains(r)).ok_or_else(|| {
            Refusal::new(
                &em.rule,
                format!(
                    "only {} may order an emergency extraction",
                    self.role_names(&em.ordered_by)
                ),
            )
            .key("em_only_order")
            .with("roles", self.role_list(&em.ordered_by))
        })?;
        if let Some(rule) = &em.delegation_rule
            && !order.delegation_in_force
        {
            return Err(Refusal::new(
                rule,
                "no written delegation is in force for this agency: the manager must confirm it in writing first",
            ).key("em_no_delegation"));
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
            .key("em_purpose")
            .with("purposes", em.purposes.join("、"))
            .at("purpose"));
        }
        if order.urgency_reason.trim().is_empty() {
            return Err(Refusal::new(
                &em.rule,
                "record who judged it urgent and especially necessary, and why",
            )
            .key("em_urgency_reason")
            .at("urgency_reason"));
        }
        if !order.executor_roles.iter().any(|r| em.executed_by.contains(r)) {
            return Err(Refusal::new(
                &em.rule,
                format!("the order must name {}", self.role_names(&em.executed_by)),
            )
            .key("em_executor_role")
            .with("roles", self.role_list(&em.executed_by))
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
                    ).key("em_office_hours").with("date", moment.date).with("time", crate::jst::civil(order.at).time().strftime("%H:%M")));
                }
                OutsideWindow::AllowWithReason => {
                    if order.outside_reason.is_none_or(|r| r.trim().is_empty()) {
                        return Err(Refusal::new(
                            em.outside_rule.as_ref().unwrap_or(&em.rule),
                            "outside night and holiday hours an emergency extraction needs a written reason, which is reported to the manager",
                        ).key("em_outside_reason")
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
            return Err(Refusal::new(&self.workflow.rule, "this profile has no emergency path")
                .key("em_no_path"));
        };
        let expires = self.emergency_expires_at(ordered_at)?;
        if at >= expires {
            return Err(Refusal::state(
                &em.rule,
                format!(
                    "the order lapsed at {}, when the period it was given in ended: the footage now leaves only through a request",
                    crate::jst::rfc3339(expires)
                ),
            ).key("em_lapsed").with("at", crate::jst::rfc3339(expires)));
        }
        if let Some(rule) = &em.delegation_rule
            && !delegation_in_force
        {
            return Err(Refusal::new(
                rule,
                "the written delegation is no longer in force: the order cannot be carried out",
            )
            .key("em_delegation_ended"));
        }
        Ok(())
    }

    /// May `actor` file the post-hoc request for an emergency order with `form`?
    pub fn check_emergency_filing(&self, actor: Actor<'_>, form: &str) -> Result<String, Refusal> {
        let Some(em) = &self.emergency else {
            return Err(Refusal::new(&self.workflow.rule, "this profile has no emergency path")
                .key("em_no_path"));
        };
        let role = actor.roles.iter().find(|r| em.filing.by.contains(r)).ok_or_else(|| {
            Refusal::new(
                &em.filing.rule,
                format!(
                    "only {} files for an emergency extraction",
                    self.role_names(&em.filing.by)
                ),
            )
            .key("em_only_file")
            .with("roles", self.role_list(&em.filing.by))
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
            .key("em_file_form")
            .with("forms", names.join("、"))
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

/// Where an emergency order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Given; the named executor may carry it out until its period ends.
    Ordered,
    /// Carried out; the post-hoc filing is due.
    Extracted,
    /// Filed; the ledger entry by another role is still to come (NIS-11.2).
    Filed,
    /// Entered in the usage ledger; the clerk's report to the operations chief is still to
    /// come (NIS-11.2 「様式第1号に記載するとともに、運用責任者に報告」: open until then).
    Ledgered,
    /// Filed and entered in the usage ledger (and reported, where the profile says so).
    Closed,
    /// Lapsed unexecuted when its period ended (issue 15).
    Expired,
}

crate::stored_names!(OrderState, "emergency order state", {
    Ordered => "ordered",
    Extracted => "extracted",
    Filed => "filed",
    Ledgered => "ledgered",
    Closed => "closed",
    Expired => "expired",
});

impl OrderState {
    /// Not yet filed: the footage may have left, and the agency still owes its filing.
    pub fn awaits_filing(self) -> bool {
        matches!(self, OrderState::Ordered | OrderState::Extracted)
    }
}

/// Something that can be done with an emergency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    /// Carry it out: extract the footage (the named executor, within the order's period).
    Extract,
    /// File the post-hoc request for it (the order's own agency).
    File,
    /// Enter it in the usage ledger on receipt of the filing (NIS-11.2).
    Ledger,
    /// Report the entry to the operations chief (NIS-11.2), which closes it.
    Report,
    /// Review an order given outside the window with a written reason, and record the review
    /// (PROD-EMERG-1: the manager it was flagged to).
    ReviewFlag,
}

/// The facts about an order that decide what an actor can do with it.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts {
    /// Its state.
    pub state: OrderState,
    /// When it was given.
    pub ordered_at: Timestamp,
    /// The actor is the executor it names.
    pub actor_executes: bool,
    /// The actor belongs to the agency that gave it.
    pub actor_in_agency: bool,
    /// A written delegation to the agency is in force now (NIS-10.2).
    pub delegation_in_force: bool,
    /// Given outside the window (flagged) and not yet reviewed by the roles it is flagged to.
    pub flag_open: bool,
}

/// An order action available now: what, in which role, under which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OrderAvailable {
    /// The action.
    pub action: OrderAction,
    /// The role the actor acts in.
    pub role: String,
    /// The rule that allows it.
    pub rule: crate::RuleId,
}

impl Profile {
    fn emergency_or_refuse(&self) -> Result<&crate::profile::EmergencyPath, Refusal> {
        self.emergency.as_ref().ok_or_else(|| {
            Refusal::new(&self.workflow.rule, "this profile has no emergency path")
                .key("em_no_path")
        })
    }

    /// May `actor` carry out the order now (`at`)? Only the executor it names, in a role that
    /// executes emergency orders, while it is `ordered` and its power has not lapsed
    /// ([`Profile::check_emergency_extract`]). Returns the role.
    pub fn check_order_extract(
        &self,
        actor: Actor<'_>,
        order: &OrderFacts,
        at: Timestamp,
    ) -> Result<String, Refusal> {
        let em = self.emergency_or_refuse()?;
        if !order.actor_executes {
            return Err(Refusal::new(&em.rule, "this order names another executor")
                .key("em_other_executor"));
        }
        let role = actor.roles.iter().find(|r| em.executed_by.contains(r)).ok_or_else(|| {
            Refusal::new(
                &em.rule,
                format!("only {} carries out emergency orders", self.role_names(&em.executed_by)),
            )
            .key("em_only_execute")
            .with("roles", self.role_list(&em.executed_by))
        })?;
        if order.state != OrderState::Ordered {
            return Err(Refusal::state(
                &em.rule,
                format!("the order is {}: it can be carried out only once", order.state),
            )
            .key("em_carried_once")
            .with("state", order.state));
        }
        self.check_emergency_extract(order.ordered_at, at, order.delegation_in_force)?;
        Ok(role.clone())
    }

    /// May `actor` file for the order (with `form`, when one is chosen)? Its own agency files,
    /// once it was carried out. Returns the role.
    pub fn check_order_filing(
        &self,
        actor: Actor<'_>,
        order: &OrderFacts,
        form: Option<&str>,
    ) -> Result<String, Refusal> {
        let em = self.emergency_or_refuse()?;
        if !order.actor_in_agency {
            return Err(Refusal::new(&em.filing.rule, "the order's own agency files for it")
                .key("em_own_agency_files"));
        }
        let role = match form {
            Some(form) => self.check_emergency_filing(actor, form)?,
            None => {
                actor.roles.iter().find(|r| em.filing.by.contains(r)).cloned().ok_or_else(|| {
                    Refusal::new(
                        &em.filing.rule,
                        format!(
                            "only {} files for an emergency extraction",
                            self.role_names(&em.filing.by)
                        ),
                    )
                    .key("em_only_file")
                    .with("roles", self.role_list(&em.filing.by))
                })?
            }
        };
        if order.state != OrderState::Extracted {
            return Err(Refusal::state(
                &em.filing.rule,
                format!("the order is {}: a filing follows its extraction, once", order.state),
            )
            .key("em_filing_once")
            .with("state", order.state));
        }
        Ok(role)
    }

    /// A filing made at `now`, due at `due` (none: no deadline), must say why it is late
    /// (PROD-FILING-1): the reason is part of the record the manager reviews. A reason already
    /// on record counts.
    pub fn check_filing_delay(
        &self,
        due: Option<Timestamp>,
        now: Timestamp,
        reason: Option<&str>,
    ) -> Result<(), Refusal> {
        let em = self.emergency_or_refuse()?;
        let late = due.is_some_and(|d| now >= d);
        if late && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(Refusal::new(
                &em.filing.deadline_rule,
                "this filing is past its deadline: say why it comes late (delay_reason)",
            )
            .key("em_filing_late")
            .at("delay_reason"));
        }
        Ok(())
    }

    /// Whether the ledger entry of a filed order is followed by a report to another role
    /// (NIS-11.2: to the 運用責任者) before the order closes.
    pub fn emergency_report_after_ledger(&self) -> bool {
        self.emergency
            .as_ref()
            .is_some_and(|e| !e.filing.ledger_written_by.is_empty() && e.filing.report_to.is_some())
    }

    /// May `actor` report a ledgered order to the profile's `report_to` role (NIS-11.2: the
    /// image clerk who keeps form 1 reports to the operations chief)? Returns the role and the
    /// rule.
    pub fn check_order_report(
        &self,
        actor: Actor<'_>,
        state: OrderState,
    ) -> Result<(String, crate::RuleId), Refusal> {
        let em = self.emergency_or_refuse()?;
        let rule = em.filing.ledger_rule.as_ref().unwrap_or(&em.filing.rule);
        let Some(to) = &em.filing.report_to else {
            return Err(Refusal::new(rule, "no report follows the ledger entry in this profile")
                .key("em_no_report"));
        };
        let role = self.ledger_writer(actor, || {
            Refusal::new(
                rule,
                format!(
                    "{} reports the entry to {}",
                    self.role_names(&em.filing.ledger_written_by),
                    self.role_names(std::slice::from_ref(to))
                ),
            )
            .key("em_ledger_reports_to")
            .with("roles", self.role_list(&em.filing.ledger_written_by))
            .with("to", self.role_list(std::slice::from_ref(to)))
        })?;
        if state != OrderState::Ledgered {
            return Err(Refusal::state(
                rule,
                format!("the order is {state}: the report follows the ledger entry, once"),
            )
            .key("em_report_once")
            .with("state", state));
        }
        Ok((role, rule.clone()))
    }

    /// May `actor` enter a filed order in the usage ledger (NIS-11.2: the image clerk, on
    /// receipt of the filing)? Returns the role and the rule.
    pub fn check_order_ledger(
        &self,
        actor: Actor<'_>,
        state: OrderState,
    ) -> Result<(String, crate::RuleId), Refusal> {
        let em = self.emergency_or_refuse()?;
        let rule = em.filing.ledger_rule.as_ref().unwrap_or(&em.filing.rule);
        if em.filing.ledger_written_by.is_empty() {
            return Err(Refusal::new(
                rule,
                "the filing closes this order itself; no separate ledger entry is written",
            )
            .key("em_no_ledger_step"));
        }
        let role = self.ledger_writer(actor, || {
            Refusal::new(
                rule,
                format!(
                    "only {} enters filed orders in the ledger",
                    self.role_names(&em.filing.ledger_written_by)
                ),
            )
            .key("em_ledger_only")
            .with("roles", self.role_list(&em.filing.ledger_written_by))
        })?;
        if state != OrderState::Filed {
            return Err(Refusal::state(
                rule,
                format!("the order is {state}: the ledger is written once the filing is in"),
            )
            .key("em_ledger_after_filing")
            .with("state", state));
        }
        Ok((role, rule.clone()))
    }

    /// May `actor` record the review of an order given outside the window (PROD-EMERG-1)? Only a
    /// role it is flagged to, once, whatever the order's state (the footage may already have
    /// left). Returns the role and the rule.
    pub fn check_order_flag_review(
        &self,
        actor: Actor<'_>,
        order: &OrderFacts,
    ) -> Result<(String, crate::RuleId), Refusal> {
        let em = self.emergency_or_refuse()?;
        let rule = em.outside_rule.as_ref().unwrap_or(&em.rule);
        let role = actor.roles.iter().find(|r| em.flagged_to.contains(r)).ok_or_else(|| {
            if em.flagged_to.is_empty() {
                Refusal::new(rule, "no order is flagged for review in this profile")
                    .key("em_no_review")
            } else {
                Refusal::new(
                    rule,
                    format!(
                        "only {} reviews an order given outside the window",
                        self.role_names(&em.flagged_to)
                    ),
                )
                .key("em_review_only")
                .with("roles", self.role_list(&em.flagged_to))
            }
        })?;
        if !order.flag_open {
            return Err(Refusal::state(
                rule,
                "this order is not waiting for a review: it was given inside the window, or its review is on record",
            )
            .key("em_review_not_waiting"));
        }
        Ok((role.clone(), rule.clone()))
    }

    /// The role by which `actor` writes the emergency ledger, or the refusal `why` makes.
    fn ledger_writer(
        &self,
        actor: Actor<'_>,
        why: impl FnOnce() -> Refusal,
    ) -> Result<String, Refusal> {
        let writers = self.emergency.as_ref().map(|em| em.filing.ledger_written_by.as_slice());
        actor.roles.iter().find(|r| writers.is_some_and(|w| w.contains(r))).cloned().ok_or_else(why)
    }

    /// What `actor` can do with the order now (`at`): exactly the actions whose check passes.
    pub fn order_actions(
        &self,
        actor: Actor<'_>,
        order: &OrderFacts,
        at: Timestamp,
    ) -> Vec<OrderAvailable> {
        let Some(em) = &self.emergency else { return Vec::new() };
        let mut out = Vec::new();
        if let Ok(role) = self.check_order_extract(actor, order, at) {
            out.push(OrderAvailable { action: OrderAction::Extract, role, rule: em.rule.clone() });
        }
        if let Ok(role) = self.check_order_filing(actor, order, None) {
            let rule = em.filing.rule.clone();
            out.push(OrderAvailable { action: OrderAction::File, role, rule });
        }
        if let Ok((role, rule)) = self.check_order_ledger(actor, order.state) {
            out.push(OrderAvailable { action: OrderAction::Ledger, role, rule });
        }
        if let Ok((role, rule)) = self.check_order_report(actor, order.state) {
            out.push(OrderAvailable { action: OrderAction::Report, role, rule });
        }
        if let Ok((role, rule)) = self.check_order_flag_review(actor, order) {
            out.push(OrderAvailable { action: OrderAction::ReviewFlag, role, rule });
        }
        out
    }
}
