//! Semantic checks of a parsed profile: every reference resolves, every bound is consistent, and
//! no profile can switch off a rule all cities share. Each problem names the rule it breaks.

use super::load::{Problem, STRUCTURE_RULE};
use super::model::*;
use crate::retention::Period;
use crate::rule::RuleId;
use std::collections::HashSet;

/// The retention bounds of a profile must be consistent (a product rule).
pub const BOUNDS_RULE: &str = "PROD-PROFILE-2";
/// An emergency path must set when its post-hoc filing is due (遅滞なく, SPEC.md §7).
pub const FILING_RULE: &str = "PROD-FILING-1";

/// All problems of a parsed profile; empty when it is valid.
pub fn check(p: &Profile) -> Vec<Problem> {
    let mut c = Checker { p, problems: Vec::new() };
    c.meta();
    c.rule_ids();
    c.calendar();
    c.recording();
    c.retention();
    c.accounts();
    c.roles();
    c.catalogues();
    c.workflow();
    c.emergency();
    c.report();
    c.coverage();
    c.disposal();
    c.duties();
    c.designation_documents();
    c.problems
}

struct Checker<'a> {
    p: &'a Profile,
    problems: Vec<Problem>,
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Checker<'_> {
    fn push(&mut self, path: impl Into<String>, rule: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            location: None,
            rule: RuleId::new(rule),
            message: message.into(),
        });
    }

    fn structure(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(path, STRUCTURE_RULE, message);
    }

    fn meta(&mut self) {
        let m = &self.p.profile;
        if !m.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || m.id.is_empty()
        {
            self.structure(
                "profile.id",
                format!("profile id {:?} must be lowercase ASCII letters, digits or '-'", m.id),
            );
        }
        if m.rule_prefix.is_empty() || !m.rule_prefix.chars().all(|c| c.is_ascii_uppercase()) {
            self.structure(
                "profile.rule_prefix",
                "the rule prefix must be upper-case ASCII letters (e.g. \"ASA\")",
            );
        }
        for (path, text) in [
            ("profile.name_ja", &m.name_ja),
            ("profile.name_en", &m.name_en),
            ("profile.purpose_ja", &m.purpose_ja),
            ("profile.purpose_en", &m.purpose_en),
        ] {
            if text.trim().is_empty() {
                self.structure(path, "must not be empty");
            }
        }
    }

    /// Every rule ID cited anywhere is well formed.
    fn rule_ids(&mut self) {
        let p = self.p;
        let mut ids: Vec<(String, &RuleId)> = vec![
            ("calendar.office_hours_rule".into(), &p.calendar.office_hours_rule),
            ("calendar.closed_days_rule".into(), &p.calendar.closed_days_rule),
            ("recording.continuous_rule".into(), &p.recording.continuous_rule),
            ("recording.live_view_rule".into(), &p.recording.live_view_rule),
            ("recording.masks_rule".into(), &p.recording.masks_rule),
            ("viewing.rule".into(), &p.viewing.rule),
            ("retention.rule".into(), &p.retention.rule),
            ("retention.floor.rule".into(), &p.retention.floor.rule),
            ("retention.ceiling.rule".into(), &p.retention.ceiling.rule),
            ("retention.extension.rule".into(), &p.retention.extension.rule),
            ("accounts.password_rotation_rule".into(), &p.accounts.password_rotation_rule),
            ("accounts.lockout_rule".into(), &p.accounts.lockout_rule),
            ("accounts.contractor_gate_rule".into(), &p.accounts.contractor_gate_rule),
            ("workflow.rule".into(), &p.workflow.rule),
            ("report.suppression_rule".into(), &p.report.suppression_rule),
            ("complaints.rule".into(), &p.complaints.rule),
        ];
        if let Some(r) = &p.workflow.workstation_rule {
            ids.push(("workflow.workstation_rule".into(), r));
        }
        for (i, r) in p.accounts.confidentiality_rules.iter().enumerate() {
            ids.push((format!("accounts.confidentiality_rules[{i}]"), r));
        }
        for (i, r) in p.roles.iter().enumerate() {
            ids.push((format!("roles[{i}].rule"), &r.rule));
            if let Some(t) = &r.term_rule {
                ids.push((format!("roles[{i}].term_rule"), t));
            }
        }
        if let Some(r) = &p.complaints.deadline_rule {
            ids.push(("complaints.deadline_rule".into(), r));
        }
        if let Some(e) = &p.emergency
            && let Some(r) = &e.outside_rule
        {
            ids.push(("emergency.outside_rule".into(), r));
        }
        if let Some(r) = &p.recorder_sites {
            ids.push(("recorder_sites.rule".into(), &r.rule));
        }
        for (i, f) in p.sites.required.iter().enumerate() {
            ids.push((format!("sites.required[{i}].rule"), &f.rule));
            if !crate::profile::SiteRules::FIELDS.contains(&f.field.as_str()) {
                self.structure(
                    format!("sites.required[{i}].field"),
                    format!("one of {}", crate::profile::SiteRules::FIELDS.join(", ")),
                );
            }
        }
        if let Some(r) = &p.workstations.storage_rule {
            ids.push(("workstations.storage_rule".into(), r));
        }
        if let Some(r) = &p.profile.governing_law_rule {
            ids.push(("profile.governing_law_rule".into(), r));
        }

        for (i, r) in p.purposes.iter().enumerate() {
            ids.push((format!("purposes[{i}].rule"), &r.rule));
        }
        for (i, r) in p.forms.iter().enumerate() {
            ids.push((format!("forms[{i}].rule"), &r.rule));
        }
        for (i, r) in p.bases.iter().enumerate() {
            ids.push((format!("bases[{i}].rule"), &r.rule));
        }
        for (i, s) in p.workflow.chain.iter().enumerate() {
            ids.push((format!("workflow.chain[{i}].rule"), &s.rule));
        }
        if let Some(r) = &p.workflow.internal_use_rule {
            ids.push(("workflow.internal_use_rule".into(), r));
        }
        if let Some(r) = &p.workflow.witness_rule {
            ids.push(("workflow.witness_rule".into(), r));
        }
        if let Some(e) = &p.emergency {
            ids.push(("emergency.rule".into(), &e.rule));
            ids.push(("emergency.filing.rule".into(), &e.filing.rule));
            ids.push(("emergency.filing.deadline_rule".into(), &e.filing.deadline_rule));
            if let Some(r) = &e.filing.ledger_rule {
                ids.push(("emergency.filing.ledger_rule".into(), r));
            }
            ids.push(("emergency.reconciliation.rule".into(), &e.reconciliation.rule));
            if let Some(r) = &e.delegation_rule {
                ids.push(("emergency.delegation_rule".into(), r));
            }
        }
        if let Some(r) = &p.report.rule {
            ids.push(("report.rule".into(), r));
        }
        if let Some(c) = &p.coverage {
            ids.push(("coverage.rule".into(), &c.rule));
        }
        for (i, r) in p.disposal.rules.iter().enumerate() {
            ids.push((format!("disposal.rules[{i}]"), r));
        }
        for (i, d) in p.duties.iter().enumerate() {
            ids.push((format!("duties[{i}].rule"), &d.rule));
            if let Some(r) = &d.timing_rule {
                ids.push((format!("duties[{i}].timing_rule"), r));
            }
        }
        let bad: Vec<(String, String)> = ids
            .into_iter()
            .filter(|(_, r)| !r.is_well_formed())
            .map(|(path, r)| (path, r.as_str().to_owned()))
            .collect();
        for (path, r) in bad {
            self.structure(path, format!("{r:?} is not a rule ID: write PREFIX-clause, e.g. \"KIT-5.6\" or \"PROD-RET-1\""));
        }
    }

    fn calendar(&mut self) {
        let c = &self.p.calendar;
        if c.office_opens >= c.office_closes {
            self.structure(
                "calendar.office_closes",
                format!(
                    "office hours close ({}) must be after they open ({})",
                    c.office_closes, c.office_opens
                ),
            );
        }
    }

    fn recording(&mut self) {
        if self.p.recording.live_view {
            // rule: ALL-REC-2 — no profile may turn on live monitoring.
            self.push(
                "recording.live_view",
                "ALL-REC-2",
                "live view must be false: no city's rules allow live monitoring",
            );
        }
        let v = &self.p.viewing;
        if v.delay_minutes < 1 {
            // rule: ALL-REC-2 — a viewing never shows what was just recorded.
            self.push(
                "viewing.delay_minutes",
                "ALL-REC-2",
                "a viewing must end at least 1 minute before now: a delay of 0 is live monitoring",
            );
        }
        let judges = v.witnesses_judged_by.clone();
        self.roles_hold(&judges, "viewing.witnesses_judged_by", Permission::FootageView);
        if !(1..=480).contains(&v.session_minutes) {
            self.push(
                "viewing.session_minutes",
                "ALL-REC-2",
                "a viewing's session lasts between 1 and 480 minutes (one working day)",
            );
        }
    }

    fn retention(&mut self) {
        let r = &self.p.retention;
        let mut periods: Vec<(&str, Option<Period>)> = Vec::new();
        for (path, spec_days, spec_months, period) in [
            ("retention.default", r.default.days, r.default.months, r.default.period()),
            ("retention.floor", r.floor.days, r.floor.months, r.floor.period()),
            ("retention.ceiling", r.ceiling.days, r.ceiling.months, r.ceiling.period()),
        ] {
            if period.is_none() {
                let what = match (spec_days, spec_months) {
                    (Some(_), Some(_)) => "set either days or months, not both",
                    (None, None) => "set days = N or months = N",
                    _ => "the period must be at least 1",
                };
                self.push(path, BOUNDS_RULE, what);
            }
            periods.push((path, period));
        }
        if let [(_, Some(default)), (_, Some(floor)), (_, Some(ceiling))] = periods[..] {
            let floor_above_ceiling = match (floor, ceiling) {
                (Period::Days(f), Period::Days(c)) | (Period::Months(f), Period::Months(c)) => {
                    f > c
                }
                _ => floor.min_days() > ceiling.max_days(),
            };
            if floor_above_ceiling {
                self.push(
                    "retention.floor",
                    BOUNDS_RULE,
                    format!("the floor ({floor}) is above the ceiling ({ceiling})"),
                );
            } else if let Err(e) = self.p.check_retention_setting(default) {
                self.push(
                    "retention.default",
                    BOUNDS_RULE,
                    format!("the default ({default}) is outside the bounds: {e}"),
                );
            }
        }
        let ext = &r.extension;
        if ext.allowed {
            if ext.by.is_empty() {
                self.structure(
                    "retention.extension.by",
                    "extensions are allowed, so name the roles that may place them",
                );
            }
            if ext.requires.is_none() {
                self.structure(
                    "retention.extension.requires",
                    "say what a hold must record: \"reason\" or \"legal_inquiry\"",
                );
            }
            self.roles_hold(&ext.by, "retention.extension.by", Permission::HoldManage);
        } else if !ext.by.is_empty() {
            self.structure(
                "retention.extension.by",
                "extensions are not allowed, so no role may place them",
            );
        }
    }

    fn accounts(&mut self) {
        let a = &self.p.accounts;
        if a.password_rotation_days == 0 {
            self.structure("accounts.password_rotation_days", "must be at least 1");
        }
        if a.lockout_after_failures == 0 {
            self.structure("accounts.lockout_after_failures", "must be at least 1");
        }
        if a.confidentiality_ja.trim().is_empty() || a.confidentiality_en.trim().is_empty() {
            self.structure(
                "accounts.confidentiality_ja",
                "the confidentiality duty text (ja and en) must not be empty",
            );
        }
    }

    fn roles(&mut self) {
        let mut seen = HashSet::new();
        for (i, r) in self.p.roles.iter().enumerate() {
            if !is_key(&r.id) {
                self.structure(
                    format!("roles[{i}].id"),
                    format!("role id {:?} must be lowercase letters, digits and '_'", r.id),
                );
            }
            if r.organisations.is_empty() {
                self.structure(
                    format!("roles[{i}].organisations"),
                    "name at least one organisation kind",
                );
            }
            if !seen.insert(r.id.as_str()) {
                self.structure(
                    format!("roles[{i}].id"),
                    format!("role id {:?} is defined twice", r.id),
                );
            }
            for (j, d) in r.designated_by.iter().enumerate() {
                if self.p.role(d).is_none() {
                    self.structure(
                        format!("roles[{i}].designated_by[{j}]"),
                        format!("unknown role {d:?}"),
                    );
                } else if !self.p.allows(d, Permission::RolesDesignate) {
                    self.structure(
                        format!("roles[{i}].designated_by[{j}]"),
                        format!("role {d:?} designates {:?} but lacks the permission \"roles.designate\"", r.id),
                    );
                }
            }
            if r.max_term_days.is_some() && r.designated_by.is_empty() {
                self.structure(
                    format!("roles[{i}].max_term_days"),
                    "a term limit needs a designating role (designated_by)",
                );
            }
            if r.organisations.contains(&OrgKind::Contractor) {
                for (j, perm) in r.permissions.iter().enumerate() {
                    if perm.exports_footage() {
                        // rule: PROD-CONTRACTOR-1
                        self.push(
                            format!("roles[{i}].permissions[{j}]"),
                            "PROD-CONTRACTOR-1",
                            format!("contractor role {:?} may not export footage", r.id),
                        );
                    }
                }
            }
        }
    }

    fn catalogues(&mut self) {
        let p = self.p;
        if p.purposes.is_empty() {
            self.structure("purposes", "the closed list of purposes must not be empty");
        }
        // A numbered form is issued by an office, and its number format has its serial number.
        for (i, f) in p.forms.iter().enumerate() {
            if f.numbered && f.issuer.as_deref().is_none_or(|a| a.trim().is_empty()) {
                self.structure(
                    format!("forms[{i}].issuer"),
                    "a numbered form names the office that issues it",
                );
            }
            if f.number_format.as_deref().is_some_and(|n| !n.contains("{n}")) {
                self.structure(
                    format!("forms[{i}].number_format"),
                    "the number format must contain {n}, the serial number",
                );
            }
        }
        // A form the product prints is addressed to someone (issue 18 item 6).
        for (i, f) in p.forms.iter().enumerate() {
            if f.printed && f.addressed_to.as_deref().is_none_or(|a| a.trim().is_empty()) {
                self.structure(
                    format!("forms[{i}].addressed_to"),
                    "a printed form names the office it is addressed to",
                );
            }
        }
        if p.roles.is_empty() {
            self.structure("roles", "at least one role is needed");
        }
        for (list, ids) in [
            ("purposes", p.purposes.iter().map(|x| x.id.as_str()).collect::<Vec<_>>()),
            ("forms", p.forms.iter().map(|x| x.id.as_str()).collect()),
            ("bases", p.bases.iter().map(|x| x.id.as_str()).collect()),
        ] {
            let mut seen = HashSet::new();
            for (i, id) in ids.into_iter().enumerate() {
                if !is_key(id) {
                    self.structure(
                        format!("{list}[{i}].id"),
                        format!("id {id:?} must be lowercase letters, digits and '_'"),
                    );
                }
                if !seen.insert(id) {
                    self.structure(
                        format!("{list}[{i}].id"),
                        format!("id {id:?} is defined twice"),
                    );
                }
            }
        }
        for (i, b) in p.bases.iter().enumerate() {
            for (j, doc) in b.documents.iter().enumerate() {
                self.form_ref(doc, format!("bases[{i}].documents[{j}]"));
            }
            for (j, doc) in b.documents_any_of.iter().enumerate() {
                self.form_ref(doc, format!("bases[{i}].documents_any_of[{j}]"));
            }
            if b.documents_any_of.len() == 1 {
                self.structure(
                    format!("bases[{i}].documents_any_of"),
                    "a choice needs at least two documents; put a single one under documents",
                );
            }
        }
    }

    fn workflow(&mut self) {
        let w = &self.p.workflow;
        self.roles_hold(&w.requested_by, "workflow.requested_by", Permission::RequestSubmit);
        self.roles_hold(&w.relayed_by, "workflow.relayed_by", Permission::RequestRelay);
        self.roles_hold(&w.reviewed_by, "workflow.reviewed_by", Permission::RequestReview);
        self.roles_hold(
            &w.ledger_written_by,
            "workflow.ledger_written_by",
            Permission::LedgerWrite,
        );
        if w.requested_by.is_empty() {
            self.structure("workflow.requested_by", "name the roles that may file a request");
        }
        if w.reviewed_by.is_empty() {
            self.structure("workflow.reviewed_by", "name the roles that decide requests");
        }
        if w.ledger_written_by.is_empty() {
            self.structure("workflow.ledger_written_by", "name the roles that write the ledger");
        }
        if let Some(f) = &w.request_form {
            self.form_ref(f, "workflow.request_form".into());
        }
        if let Some(f) = &w.certificate_form {
            self.form_ref(f, "workflow.certificate_form".into());
            if self.p.form(f).is_some_and(|f| !f.numbered) {
                self.structure(
                    "workflow.certificate_form",
                    format!("the certificate form {f:?} must be numbered"),
                );
            }
        }
        self.form_ref(&w.ledger_form, "workflow.ledger_form".into());
        if !w.refusal_reason_required {
            // rule: PROD-REFUSE-1
            self.push(
                "workflow.refusal_reason_required",
                "PROD-REFUSE-1",
                "a refusal must record its reason",
            );
        }
        if w.chain.len() < 2 {
            // rule: ASA-3.4 / NIS-9.4 — no extraction without an instruction from someone else.
            self.structure(
                "workflow.chain",
                "the instruction chain needs an issuer and an extractor (at least 2 steps)",
            );
        }
        let n = w.chain.len();
        for (i, step) in w.chain.iter().enumerate() {
            let path = format!("workflow.chain[{i}].roles");
            if step.roles.is_empty() {
                self.structure(path.clone(), "a chain step needs at least one role");
            }
            let perm = if i == 0 {
                Permission::InstructionIssue
            } else if i + 1 == n {
                Permission::FootageExtract
            } else {
                Permission::InstructionRelay
            };
            self.roles_hold(&step.roles, &path, perm);
        }
        if let Some(r) = &w.report_to {
            self.role_holds(r, "workflow.report_to".into(), Permission::ExtractionReceiveReport);
        }
    }

    fn emergency(&mut self) {
        let Some(e) = &self.p.emergency else { return };
        self.roles_hold(&e.ordered_by, "emergency.ordered_by", Permission::EmergencyOrder);
        self.roles_hold(&e.executed_by, "emergency.executed_by", Permission::EmergencyExtract);
        self.roles_hold(&e.filing.by, "emergency.filing.by", Permission::EmergencyFile);
        self.roles_hold(
            &e.filing.ledger_written_by,
            "emergency.filing.ledger_written_by",
            Permission::LedgerWrite,
        );
        self.roles_hold(
            &e.reconciliation.submitted_by,
            "emergency.reconciliation.submitted_by",
            Permission::ReconciliationSubmit,
        );
        self.roles_hold(
            &e.reconciliation.reviewed_by,
            "emergency.reconciliation.reviewed_by",
            Permission::ReconciliationReview,
        );
        for (field, list) in [
            ("emergency.ordered_by", &e.ordered_by),
            ("emergency.executed_by", &e.executed_by),
            ("emergency.filing.by", &e.filing.by),
            ("emergency.filing.forms", &e.filing.forms),
            ("emergency.reconciliation.submitted_by", &e.reconciliation.submitted_by),
            ("emergency.reconciliation.reviewed_by", &e.reconciliation.reviewed_by),
        ] {
            if list.is_empty() {
                self.structure(field, "must not be empty");
            }
        }
        if let Some(r) = &e.filing.report_to {
            self.role_holds(
                r,
                "emergency.filing.report_to".into(),
                Permission::ExtractionReceiveReport,
            );
        }
        for (j, f) in e.filing.forms.iter().enumerate() {
            self.form_ref(f, format!("emergency.filing.forms[{j}]"));
        }
        match e.filing.due_office_days {
            None => self.push("emergency.filing", FILING_RULE, "an emergency path needs a filing deadline: set due_office_days (e.g. 1 = by the end of the next office day)"),
            Some(0) => self.push("emergency.filing.due_office_days", FILING_RULE, "the filing deadline must be at least 1 office day"),
            Some(_) => {}
        }
        if e.window == WindowKind::ClosedList && e.outside_window != OutsideWindow::Refuse {
            self.structure("emergency.outside_window", "a closed list of occasions refuses the path outside them: use \"refuse\", or window = \"open_list\"");
        }
        if e.outside_window == OutsideWindow::AllowWithReason {
            if e.flagged_to.is_empty() {
                self.structure("emergency.flagged_to", "an order outside the window is flagged to someone who reviews it: name the role(s)");
            }
            if e.outside_rule.is_none() {
                self.structure(
                    "emergency.outside_rule",
                    "cite the rule for orders outside the window (a product reading: PROD-EMERG-1)",
                );
            }
        }
        // The review of a flagged order is part of checking the emergency path's use.
        self.roles_hold(&e.flagged_to, "emergency.flagged_to", Permission::ReconciliationReview);
    }

    fn report(&mut self) {
        let r = &self.p.report;
        if r.yearly_required && r.rule.is_none() {
            self.structure(
                "report.rule",
                "a required yearly report must cite the clause that requires it",
            );
        }
        if r.suppress_below == 0 {
            self.structure("report.suppress_below", "must be at least 1");
        }
        if self.p.complaints.respond_within_days == 0 {
            self.structure("complaints.respond_within_days", "must be at least 1");
        }
    }

    fn coverage(&mut self) {
        let Some(c) = &self.p.coverage else { return };
        let ok = |[n, d]: [u32; 2]| d > 0 && n <= d;
        if !ok(c.min_public_share) {
            self.structure(
                "coverage.min_public_share",
                "write [numerator, denominator] with 0 < denominator and numerator ≤ denominator",
            );
        }
        if !ok(c.exemption_min_public_share) {
            self.structure(
                "coverage.exemption_min_public_share",
                "write [numerator, denominator] with 0 < denominator and numerator ≤ denominator",
            );
        }
        let [a, b] = c.min_public_share;
        let [x, y] = c.exemption_min_public_share;
        if u64::from(x) * u64::from(b) > u64::from(a) * u64::from(y) {
            self.structure(
                "coverage.exemption_min_public_share",
                "the exemption minimum must not exceed the ordinary minimum",
            );
        }
    }

    fn disposal(&mut self) {
        let d = &self.p.disposal;
        if d.min_confirmers == 0 {
            self.structure("disposal.min_confirmers", "must be at least 1");
        }
        self.roles_hold(&d.required_roles, "disposal.required_roles", Permission::DisposalConfirm);
    }

    /// A role's designation document is a form of the profile.
    fn designation_documents(&mut self) {
        let refs: Vec<(String, String)> = self
            .p
            .roles
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.designation_document
                    .clone()
                    .map(|f| (f, format!("roles[{i}].designation_document")))
            })
            .collect();
        for (form, path) in refs {
            self.form_ref(&form, path);
        }
    }

    /// Each duty can occur, be done and be performed by someone (issue 18 item 1).
    fn duties(&mut self) {
        use crate::duties::{Cadence, DoneBy, DutySubject};
        let mut seen = std::collections::HashSet::new();
        for (i, d) in self.p.duties.iter().enumerate() {
            let at = |f: &str| format!("duties[{i}].{f}");
            if !is_key(&d.id) || !seen.insert(d.id.as_str()) {
                self.structure(at("id"), format!("{:?} must be a unique lowercase key", d.id));
            }
            match (d.cadence, d.every_days) {
                (Cadence::Rolling, None | Some(0)) => {
                    self.structure(at("every_days"), "a rolling duty needs every_days ≥ 1");
                }
                (Cadence::Monthly | Cadence::FiscalYear, Some(_)) => self.structure(
                    at("every_days"),
                    "every_days is for rolling duties; a calendar duty sets within_days",
                ),
                _ => {}
            }
            if !self.p.roles.iter().any(|r| r.permissions.contains(&d.performed_with)) {
                self.structure(
                    at("performed_with"),
                    format!(
                        "no role holds {:?}: nobody could do this duty",
                        d.performed_with.key()
                    ),
                );
            }
            let fits = match d.done_by {
                DoneBy::Record => true,
                DoneBy::HistorySubmission => {
                    d.per == DutySubject::LentWorkstation && d.cadence == Cadence::Monthly
                }
                DoneBy::ReconciliationRun => {
                    d.per == DutySubject::Office && d.cadence == Cadence::Monthly
                }
                DoneBy::SignageCheck => d.per == DutySubject::Site && d.cadence == Cadence::Rolling,
                DoneBy::FootageCheck => {
                    d.per == DutySubject::Camera
                        && d.cadence == Cadence::Rolling
                        && self.p.recording.camera_holds_footage
                }
                DoneBy::ReportPublication => {
                    d.per == DutySubject::Office && d.cadence == Cadence::FiscalYear
                }
            };
            if !fits {
                self.structure(
                    at("done_by"),
                    "this action cannot fulfil a duty of this subject and cadence (history: monthly per lent workstation; reconciliation: monthly per office; signage check: rolling per site; report publication: fiscal year per office; footage check: rolling per camera, where the camera holds the footage)",
                );
            }
            if d.per == DutySubject::LentWorkstation && self.p.emergency.is_none() {
                self.structure(at("per"), "lent workstations exist only with an [emergency] path");
            }
        }
    }

    /// Each listed role exists and holds `perm`.
    fn roles_hold(&mut self, roles: &[String], path: &str, perm: Permission) {
        for (j, r) in roles.iter().enumerate() {
            self.role_holds(r, format!("{path}[{j}]"), perm);
        }
    }

    /// The role exists and holds `perm`.
    fn role_holds(&mut self, r: &str, at: String, perm: Permission) {
        match self.p.role(r) {
            None => self.structure(at, format!("unknown role {r:?}: define it under [[roles]]")),
            Some(def) if !def.permissions.contains(&perm) => {
                self.structure(
                    at,
                    format!("role {r:?} acts here but lacks the permission {:?}", perm.key()),
                );
            }
            Some(_) => {}
        }
    }

    fn form_ref(&mut self, id: &str, path: String) {
        if self.p.form(id).is_none() {
            self.structure(path, format!("unknown form {id:?}: define it under [[forms]]"));
        }
    }
}
