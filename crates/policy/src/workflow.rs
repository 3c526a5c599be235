//! The footage workflow as a state machine over a profile (SPEC.md §4).
//!
//! request → (relay) → decision → instruction chain → extraction → (report) → ledger.
//!
//! The five cities' workflows differ and are not merged: the differences are in the profile's
//! `[workflow]` data (who files, whether the city relays, who decides, whether a certificate is
//! issued, how many links the instruction chain has, whom the extractor reports to, who writes the
//! ledger). Every function here answers "may this role do this now?" and, when not, returns a
//! [`Refusal`] naming the rule.

use crate::profile::{LegalBasis, Permission, Profile};
use crate::rule::RuleId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What a request is: one filed by a requester, or the keeper's own use of its footage
/// (NIS-9.1), which runs the same chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A request for footage by someone outside the keeper (police, a court, a person filmed).
    Request,
    /// The keeper's own use (NIS-9.1).
    Internal,
}

crate::stored_names!(RequestKind, "request kind", {
    Request => "request",
    Internal => "internal",
});

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Filed, awaiting relay or decision.
    Submitted,
    /// Relayed by the city to the deciding manager (SAK-M).
    Relayed,
    /// Approved (a certificate issued where the profile has one).
    Approved,
    /// Refused, with a reason (PROD-REFUSE-1).
    Refused,
    /// Withdrawn by the requester before a decision.
    Withdrawn,
    /// An instruction has been issued and the chain is running.
    Instructed,
    /// The footage was extracted.
    Extracted,
    /// The extractor reported to the receiving role (NIS-9.3).
    Reported,
    /// The ledger entry is written; the request is closed.
    Closed,
}

crate::stored_names!(RequestState, "request state", {
    Submitted => "submitted",
    Relayed => "relayed",
    Approved => "approved",
    Refused => "refused",
    Withdrawn => "withdrawn",
    Instructed => "instructed",
    Extracted => "extracted",
    Reported => "reported",
    Closed => "closed",
});

impl RequestState {
    /// Extracted (and perhaps reported) but not yet closed by its ledger entry: the footage has
    /// left and its use is still to be recorded.
    pub fn awaits_ledger(self) -> bool {
        matches!(self, RequestState::Extracted | RequestState::Reported)
    }
}

/// Why an action is refused: the rule and a sentence saying what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{rule}: {message}")]
pub struct Refusal {
    /// The rule that refuses it.
    pub rule: RuleId,
    /// What is wrong and how to proceed.
    pub message: String,
    /// The input field at fault, if one is.
    pub field: Option<String>,
    /// Refused because of where the record stands (already decided, not yet approved…), not
    /// because of who asks: the same action may be right at another moment, or someone else
    /// acted first.
    pub state_conflict: bool,
    /// The message's key in the problem catalogue (the `messages` crate), so it can be said in
    /// Japanese; `message` stays the English text. `None` for a message without a key yet.
    pub key: Option<&'static str>,
    /// The key's parameters (a parameter named `state` holds a state id, shown by its name).
    pub params: Vec<(&'static str, String)>,
}

impl Refusal {
    /// A refusal citing `rule`.
    pub fn new(rule: &RuleId, message: impl Into<String>) -> Self {
        Refusal {
            rule: rule.clone(),
            message: message.into(),
            field: None,
            state_conflict: false,
            key: None,
            params: Vec::new(),
        }
    }

    /// The message's catalogue key.
    pub fn key(mut self, key: &'static str) -> Self {
        self.key = Some(key);
        self
    }

    /// A parameter of the message's key.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.push((name, value.to_string()));
        self
    }

    /// A refusal because of the record's state.
    pub fn state(rule: &RuleId, message: impl Into<String>) -> Self {
        Refusal { state_conflict: true, ..Refusal::new(rule, message) }
    }

    /// Names the input field at fault.
    pub fn at(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}

/// The facts the rules need about an actor: the roles they hold now.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Account id (for segregation of duties).
    pub account: &'a str,
    /// Roles held now (designations in force).
    pub roles: &'a [String],
}

impl Actor<'_> {
    fn holds_any(&self, roles: &[String]) -> Option<&String> {
        self.roles.iter().find(|r| roles.contains(r))
    }
}

/// A request being filed.
#[derive(Debug, Clone)]
pub struct Filing<'a> {
    /// Basis id.
    pub basis: &'a str,
    /// Purpose id.
    pub purpose: &'a str,
    /// Forms supplied (ids).
    pub documents: &'a [String],
}

/// The facts about a request that decide what can be done with it.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// Its state.
    pub state: RequestState,
    /// Who filed it (segregation of duties).
    pub requester: Requester<'a>,
    /// Its legal basis id.
    pub basis: &'a str,
    /// The account id of whoever extracted its footage, once extracted.
    pub extractor: Option<&'a str>,
}

/// Who filed a request, as segregation of duties needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Requester<'a> {
    /// The requester's account id.
    pub account: &'a str,
    /// The account that made the requester's account and set its first password, when an
    /// account did (PROD-SOD-5: whoever could have signed in as the requester does not decide).
    pub account_made_by: Option<&'a str>,
}

impl<'a> Requester<'a> {
    /// The requester `account`, made by `made_by`.
    pub fn new(account: &'a str, made_by: Option<&'a str>) -> Self {
        Requester { account, account_made_by: made_by }
    }
}

/// Something that can be done with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestAction {
    /// Relay it to the deciding manager (SAK-M).
    Relay,
    /// Approve it.
    Approve,
    /// Refuse it, with a reason.
    Refuse,
    /// Issue the first instruction of the chain.
    Instruct,
    /// Report the extraction to the receiving role (NIS-9.3: the extractor, before the ledger).
    Report,
    /// Write its ledger entry.
    Ledger,
    /// Withdraw it (the requester, before a decision).
    Withdraw,
}

impl RequestAction {
    /// Whether the action is someone's work to do (a withdrawal is a choice, not a task).
    pub fn is_task(self) -> bool {
        self != RequestAction::Withdraw
    }
}

/// An action available now: what, in which role, under which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Available {
    /// The action.
    pub action: RequestAction,
    /// The role the actor acts in.
    pub role: String,
    /// The rule that allows it.
    pub rule: RuleId,
}

/// Something the addressee of an instruction can do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstructionAction {
    /// Pass it on to the next link of the chain (NIS-9.2).
    PassOn,
    /// Extract the footage it names (the end of the chain).
    Extract,
}

/// The facts about an instruction that decide what an actor can do with it.
#[derive(Debug, Clone, Copy)]
pub struct InstructionFacts {
    /// Its link in the chain (0: the first instruction).
    pub step: usize,
    /// Still open (not passed on or executed).
    pub open: bool,
    /// Addressed to the actor.
    pub addressed_to_actor: bool,
    /// The actor works on a registered dedicated workstation of their organisation.
    pub on_registered_workstation: bool,
}

/// An instruction action available now: what, in which role, under which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InstructionAvailable {
    /// The action.
    pub action: InstructionAction,
    /// The role the actor acts in.
    pub role: String,
    /// The rule that allows it.
    pub rule: RuleId,
}

impl Profile {
    fn workflow_rule(&self) -> &RuleId {
        &self.workflow.rule
    }

    /// May `actor` file this request? Returns the role they file in.
    pub fn check_submit(&self, actor: Actor<'_>, filing: &Filing<'_>) -> Result<String, Refusal> {
        let w = &self.workflow;
        let role = actor.holds_any(&w.requested_by).ok_or_else(|| {
            Refusal::new(
                self.workflow_rule(),
                format!("only {} may file a request", self.role_names(&w.requested_by)),
            )
            .key("only_file")
            .with("roles", self.role_list(&w.requested_by))
        })?;
        let basis = self.basis(filing.basis).ok_or_else(|| {
            Refusal::new(
                self.workflow_rule(),
                format!(
                    "{:?} is not a legal basis of this profile; choose one of {}",
                    filing.basis,
                    self.basis_ids()
                ),
            )
            .key("basis_unknown")
            .with("value", filing.basis)
            .at("basis")
        })?;
        if self.purpose(filing.purpose).is_none() {
            return Err(self.purpose_refusal(filing.purpose));
        }
        self.check_documents(basis, filing.documents)?;
        Ok(role.clone())
    }

    fn purpose_refusal(&self, purpose: &str) -> Refusal {
        let rule = self.purposes.first().map_or(self.workflow_rule(), |p| &p.rule);
        Refusal::new(
            rule,
            format!(
                "{purpose:?} is not on this profile's closed list of purposes; use one of {}",
                self.purposes.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
        .key("purpose_unknown")
        .with("value", purpose)
        .at("purpose")
    }

    /// Checks a purpose against the closed list (KIT-2, NIS-3.2.2, KAW-2.2.5).
    pub fn check_purpose(&self, purpose: &str) -> Result<(), Refusal> {
        if self.purpose(purpose).is_some() { Ok(()) } else { Err(self.purpose_refusal(purpose)) }
    }

    fn check_documents(&self, basis: &LegalBasis, supplied: &[String]) -> Result<(), Refusal> {
        let has = |id: &str| supplied.iter().any(|s| s == id);
        let mut required: Vec<&String> = basis.documents.iter().collect();
        if let Some(form) = &self.workflow.request_form {
            required.push(form);
        }
        for doc in required {
            if !has(doc) {
                // The clause that requires the document (KIT-6.2: the 捜査関係事項照会書), not the
                // basis it serves (KIT-6.1(1)).
                let form = self.form(doc);
                let name = form.map_or(doc.as_str(), |f| f.name_ja.as_str());
                return Err(Refusal::new(
                    form.map_or(&basis.rule, |f| &f.rule),
                    format!("this basis requires the document {name} ({doc})"),
                )
                .key("document_required")
                .with("name", name)
                .at("documents"));
            }
        }
        if !basis.documents_any_of.is_empty() && !basis.documents_any_of.iter().any(|d| has(d)) {
            let names: Vec<_> = basis
                .documents_any_of
                .iter()
                .map(|d| self.form(d).map_or(d.clone(), |f| format!("{} ({d})", f.name_ja)))
                .collect();
            return Err(Refusal::new(
                &basis.rule,
                format!("this basis requires one of: {}", names.join(", ")),
            )
            .key("documents_one_of")
            .with("names", names.join("、"))
            .at("documents"));
        }
        for doc in supplied {
            if self.form(doc).is_none() {
                return Err(Refusal::new(
                    self.workflow_rule(),
                    format!("{doc:?} is not a form of this profile"),
                )
                .key("wf_not_form")
                .with("doc", doc)
                .at("documents"));
            }
        }
        Ok(())
    }

    /// May `actor` relay the request to the deciding manager (SAK-M)?
    pub fn check_relay(&self, actor: Actor<'_>, state: RequestState) -> Result<String, Refusal> {
        let w = &self.workflow;
        if w.relayed_by.is_empty() {
            return Err(Refusal::new(self.workflow_rule(), "this profile has no relay step")
                .key("wf_no_relay"));
        }
        let role = actor.holds_any(&w.relayed_by).ok_or_else(|| {
            Refusal::new(
                self.workflow_rule(),
                format!("only {} relays requests", self.role_names(&w.relayed_by)),
            )
            .key("only_relay")
            .with("roles", self.role_list(&w.relayed_by))
        })?;
        if state != RequestState::Submitted {
            return Err(Refusal::state(
                self.workflow_rule(),
                format!("the request is {state}: it cannot be relayed"),
            )
            .key("state_no_relay")
            .with("state", state));
        }
        Ok(role.clone())
    }

    fn ready_for_decision(&self, state: RequestState) -> bool {
        if self.workflow.relayed_by.is_empty() {
            state == RequestState::Submitted
        } else {
            state == RequestState::Relayed
        }
    }

    /// May `actor` approve or refuse a request filed by `requester`? Refusals need a reason.
    pub fn check_decide(
        &self,
        actor: Actor<'_>,
        requester: Requester<'_>,
        state: RequestState,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<String, Refusal> {
        let w = &self.workflow;
        let role = actor.holds_any(&w.reviewed_by).ok_or_else(|| {
            Refusal::new(
                self.workflow_rule(),
                format!("only {} decides requests", self.role_names(&w.reviewed_by)),
            )
            .key("only_decide")
            .with("roles", self.role_list(&w.reviewed_by))
        })?;
        if actor.account == requester.account {
            // rule: PROD-SOD-1 — segregation of duties.
            return Err(Refusal::new(
                &crate::rule::cited::SEGREGATION,
                "the requester may not decide their own request",
            )
            .key("requester_decides"));
        }
        if requester.account_made_by == Some(actor.account) {
            // rule: PROD-SOD-5 — whoever made the requester's account (and so knew its first
            // password) could have filed as the requester: another person decides.
            return Err(Refusal::new(
                &crate::rule::cited::ACCOUNT_MAKER,
                "you made the requester's account: another person decides this request",
            )
            .key("decider_made_requester"));
        }
        if !self.ready_for_decision(state) {
            let hint = if state == RequestState::Submitted {
                " — it must first be relayed by the city"
            } else {
                ""
            };
            return Err(Refusal::state(
                self.workflow_rule(),
                format!("the request is {state}: it cannot be decided{hint}"),
            )
            .key(if hint.is_empty() { "state_no_decision" } else { "state_not_relayed" })
            .with("state", state));
        }
        if !approve && reason.is_none_or(|r| r.trim().is_empty()) {
            // rule: PROD-REFUSE-1
            return Err(Refusal::new(
                &RuleId::new("PROD-REFUSE-1"),
                "a refusal must record its reason",
            )
            .key("refusal_reason_required")
            .at("reason"));
        }
        Ok(role.clone())
    }

    /// May `actor` issue the first instruction (chain step 0) for a request in `state` under
    /// `basis`, naming someone who holds `target_roles`?
    ///
    /// Bases whose profile entry says `review = false` (KIT-6.1(2)/(3)) need no decision first.
    pub fn check_instruct(
        &self,
        actor: Actor<'_>,
        state: RequestState,
        basis: Option<&str>,
        target_roles: &[String],
    ) -> Result<String, Refusal> {
        let role = self.check_may_instruct(actor, state, basis)?;
        self.check_next_link(1, target_roles)?;
        Ok(role)
    }

    /// May `actor` issue the first instruction for a request in `state` under `basis` (whoever
    /// it names)?
    pub fn check_may_instruct(
        &self,
        actor: Actor<'_>,
        state: RequestState,
        basis: Option<&str>,
    ) -> Result<String, Refusal> {
        let first = &self.workflow.chain[0];
        let role = actor.holds_any(&first.roles).ok_or_else(|| {
            Refusal::new(
                &first.rule,
                format!("only {} issues the instruction", self.role_names(&first.roles)),
            )
            .key("only_instruct")
            .with("roles", self.role_list(&first.roles))
        })?;
        let no_review = basis.and_then(|b| self.basis(b)).is_some_and(|b| !b.review);
        let ready =
            state == RequestState::Approved || (no_review && self.ready_for_decision(state));
        if !ready {
            return Err(Refusal::state(
                &first.rule,
                format!("no instruction before the request is approved (it is {state})"),
            )
            .key("state_not_approved")
            .with("state", state));
        }
        Ok(role.clone())
    }

    /// What `actor` may do with a request now — each action with the role it acts in and the
    /// rule that allows it. An action is listed exactly when its `check_*` function passes, so
    /// the API's refusals and the lists of things to do can never disagree (the web app only
    /// renders this; it never decides from state names).
    pub fn request_actions(&self, actor: Actor<'_>, r: &RequestFacts<'_>) -> Vec<Available> {
        let mut out = Vec::new();
        let mut offer = |action: RequestAction, checked: Result<String, Refusal>, rule: &RuleId| {
            if let Ok(role) = checked {
                out.push(Available { action, role, rule: rule.clone() });
            }
        };
        let w = &self.workflow;
        offer(RequestAction::Relay, self.check_relay(actor, r.state), &w.rule);
        offer(
            RequestAction::Approve,
            self.check_decide(actor, r.requester, r.state, true, None),
            &w.rule,
        );
        offer(
            RequestAction::Refuse,
            self.check_decide(actor, r.requester, r.state, false, Some("-")),
            &w.rule,
        );
        offer(
            RequestAction::Instruct,
            self.check_may_instruct(actor, r.state, Some(r.basis)),
            &w.chain[0].rule,
        );
        offer(RequestAction::Report, self.check_report(actor, r), &w.rule);
        offer(RequestAction::Ledger, self.check_ledger(actor, r.state), &w.rule);
        if actor.account == r.requester.account
            && matches!(r.state, RequestState::Submitted | RequestState::Relayed)
        {
            let role = actor.holds_any(&w.requested_by).cloned().unwrap_or_default();
            out.push(Available { action: RequestAction::Withdraw, role, rule: w.rule.clone() });
        }
        out
    }

    /// Checks that the person named at chain step `step` holds a role allowed there.
    pub fn check_next_link(&self, step: usize, target_roles: &[String]) -> Result<(), Refusal> {
        let chain = &self.workflow.chain;
        let Some(next) = chain.get(step) else {
            return Err(Refusal::new(
                self.workflow_rule(),
                "the instruction chain has no further step",
            )
            .key("wf_chain_end"));
        };
        if !target_roles.iter().any(|r| next.roles.contains(r)) {
            return Err(Refusal::new(
                &next.rule,
                format!("the instruction must name {}", self.role_names(&next.roles)),
            )
            .key("wf_instruction_names")
            .with("roles", self.role_list(&next.roles))
            .at("to_account"));
        }
        Ok(())
    }

    /// May `actor`, holding an open instruction at chain `step` addressed to them, pass it on to
    /// someone holding `target_roles` (NIS-9.2)?
    pub fn check_relay_instruction(
        &self,
        actor: Actor<'_>,
        step: usize,
        target_roles: &[String],
    ) -> Result<String, Refusal> {
        let role = self.check_may_pass_on(actor, step)?;
        self.check_next_link(step + 1, target_roles)?;
        Ok(role)
    }

    /// May `actor`, holding an open instruction at chain `step` addressed to them, pass it on
    /// (whoever it will name)? Returns the role.
    pub fn check_may_pass_on(&self, actor: Actor<'_>, step: usize) -> Result<String, Refusal> {
        let chain = &self.workflow.chain;
        if step == 0 || step + 1 >= chain.len() {
            return Err(Refusal::new(
                self.workflow_rule(),
                "this instruction goes to the extractor; it cannot be passed on",
            )
            .key("wf_no_pass_on"));
        }
        let here = &chain[step];
        let role = actor.holds_any(&here.roles).ok_or_else(|| {
            Refusal::new(
                &here.rule,
                format!("only {} passes this instruction on", self.role_names(&here.roles)),
            )
            .key("wf_only_pass_on")
            .with("roles", self.role_list(&here.roles))
        })?;
        Ok(role.clone())
    }

    /// Does the actor hold the instruction — addressed to them, and still open? (ASA-3.4c,
    /// NIS-9.4: only on an instruction naming this user.)
    pub fn check_instruction_held(&self, i: &InstructionFacts) -> Result<(), Refusal> {
        if !i.addressed_to_actor {
            return Err(Refusal::new(
                self.workflow_rule(),
                "this instruction is not addressed to you",
            )
            .key("wf_not_addressed"));
        }
        if !i.open {
            return Err(Refusal::state(
                self.workflow_rule(),
                "the instruction was already passed on or carried out",
            )
            .key("wf_instruction_done"));
        }
        Ok(())
    }

    /// What `actor` can do with an instruction now: exactly the actions whose check passes.
    pub fn instruction_actions(
        &self,
        actor: Actor<'_>,
        i: &InstructionFacts,
    ) -> Vec<InstructionAvailable> {
        if self.check_instruction_held(i).is_err() {
            return Vec::new();
        }
        let chain = &self.workflow.chain;
        let mut out = Vec::new();
        if let Ok(role) = self.check_may_pass_on(actor, i.step) {
            let rule = chain[i.step].rule.clone();
            out.push(InstructionAvailable { action: InstructionAction::PassOn, role, rule });
        }
        if let Ok(role) = self.check_extract(actor, i.step, i.on_registered_workstation) {
            let rule = chain[chain.len() - 1].rule.clone();
            out.push(InstructionAvailable { action: InstructionAction::Extract, role, rule });
        }
        out
    }

    /// May `actor`, holding an open instruction at chain `step` addressed to them, extract?
    /// `on_registered_workstation` says whether the request comes from one.
    pub fn check_extract(
        &self,
        actor: Actor<'_>,
        step: usize,
        on_registered_workstation: bool,
    ) -> Result<String, Refusal> {
        let chain = &self.workflow.chain;
        let last = chain.len() - 1;
        if step != last {
            return Err(Refusal::new(
                &chain[last].rule,
                "extraction needs an instruction addressed to the extractor (the end of the chain)",
            )
            .key("wf_extract_needs_instruction"));
        }
        let role = actor.holds_any(&chain[last].roles).ok_or_else(|| {
            Refusal::new(
                &chain[last].rule,
                format!("only {} extracts", self.role_names(&chain[last].roles)),
            )
            .key("only_extract")
            .with("roles", self.role_list(&chain[last].roles))
        })?;
        if !self.allows(role, Permission::FootageExtract) {
            return Err(Refusal::new(&chain[last].rule, "this role may not extract footage")
                .key("wf_role_no_extract"));
        }
        if self.workflow.workstation_required && !on_registered_workstation {
            return Err(Refusal::new(
                self.workstation_rule(),
                "extraction only from a registered dedicated workstation (専用パソコン)",
            )
            .key("wf_no_report")
            .key("workstation_required"));
        }
        Ok(role.clone())
    }

    /// The state after extraction: reported next where the profile has a report step.
    pub fn needs_report(&self) -> bool {
        self.workflow.report_to.is_some()
    }

    /// May `actor` report the extraction of request `r` to the receiving role? Only its
    /// extractor, once extracted, where the profile has a report step (NIS-9.3).
    pub fn check_report(&self, actor: Actor<'_>, r: &RequestFacts<'_>) -> Result<String, Refusal> {
        let w = &self.workflow;
        if !self.needs_report() {
            return Err(Refusal::new(self.workflow_rule(), "this profile has no report step")
                .key("no_report_step"));
        }
        if r.extractor != Some(actor.account) {
            return Err(Refusal::new(
                self.workflow_rule(),
                "only the extractor reports the extraction",
            )
            .key("wf_only_extractor_reports"));
        }
        if r.state != RequestState::Extracted {
            return Err(Refusal::state(
                self.workflow_rule(),
                format!("the request is {}: there is no extraction to report", r.state),
            )
            .key("wf_nothing_to_report")
            .with("state", r.state));
        }
        let last = &w.chain[w.chain.len() - 1];
        Ok(actor.holds_any(&last.roles).cloned().unwrap_or_default())
    }

    /// A designation to `role` names the document it rests on, where the profile requires one
    /// (NIS-10.3: only the staff the agency head notified act). Returns the reference, trimmed.
    pub fn check_designation_document<'r>(
        &self,
        role: &crate::profile::RoleDef,
        reference: Option<&'r str>,
    ) -> Result<Option<&'r str>, Refusal> {
        let Some(form) = &role.designation_document else { return Ok(None) };
        let rule = self.form(form).map_or_else(|| role.rule.clone(), |f| f.rule.clone());
        let name = self.form(form).map_or(form.as_str(), |f| f.name_ja.as_str());
        match reference.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => Ok(Some(r)),
            None => Err(Refusal::new(
                &rule,
                format!(
                    "{} is designated on the strength of a {name}: give its reference (document_ref)",
                    role.name_ja
                ),
            )
            .key("designation_document")
            .with("role", &role.name_ja)
            .with("name", name)
            .at("document_ref")),
        }
    }

    /// The term of a designation to a time-boxed role (`max_term_days`: Kitakyushu's 臨時
    /// operator, PROD-TERM-1): an end must be given, after `now` and within the role's maximum
    /// term; roles without a maximum take any term or none.
    pub fn check_designation_term(
        &self,
        role: &crate::profile::RoleDef,
        valid_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), Refusal> {
        let Some(max_days) = role.max_term_days else { return Ok(()) };
        let rule = role.term_rule.as_ref().unwrap_or(&role.rule);
        let limit = now
            .saturating_add(jiff::SignedDuration::from_hours(24 * i64::from(max_days)))
            .unwrap_or(now);
        match valid_until {
            None => Err(Refusal::new(
                rule,
                format!(
                    "{} is time-boxed: give valid_until (at most {max_days} days)",
                    role.name_ja
                ),
            )
            .key("designation_term_required")
            .with("role", &role.name_ja)
            .with("days", max_days)
            .at("valid_until")),
            Some(u) if u > limit || u <= now => Err(Refusal::new(
                rule,
                format!("a designation as {} lasts at most {max_days} days", role.name_ja),
            )
            .key("designation_term_max")
            .with("role", &role.name_ja)
            .with("days", max_days)
            .at("valid_until")),
            Some(_) => Ok(()),
        }
    }

    /// The 提供日時 of a ledger entry (LEDGER-1; KIT-6.3 「提供日時…を記録」): required, not
    /// before the extraction it hands over, not in the future. The refusal cites the rule of the
    /// profile's ledger form.
    pub fn check_handover(
        &self,
        extracted_at: Timestamp,
        handed_over_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Timestamp, Refusal> {
        let rule = self
            .form(&self.workflow.ledger_form)
            .map_or_else(|| self.workflow_rule().clone(), |f| f.rule.clone());
        let at = handed_over_at.ok_or_else(|| {
            Refusal::new(&rule, "record when the data were handed over (提供日時, date and time)")
                .key("handover_required")
                .at("handed_over_at")
        })?;
        // Times are written to the minute: the minute of the extraction itself is not before it.
        if at + jiff::SignedDuration::from_secs(60) <= extracted_at {
            return Err(Refusal::new(
                &rule,
                "the data cannot be handed over before they were extracted",
            )
            .key("handover_before_extraction")
            .at("handed_over_at"));
        }
        if at > now {
            return Err(Refusal::new(
                &rule,
                "a handover is recorded once it has happened, not ahead",
            )
            .key("handover_ahead")
            .at("handed_over_at"));
        }
        Ok(at)
    }

    /// May `actor` write the ledger entry for a request in `state`?
    pub fn check_ledger(&self, actor: Actor<'_>, state: RequestState) -> Result<String, Refusal> {
        let w = &self.workflow;
        let role = actor.holds_any(&w.ledger_written_by).ok_or_else(|| {
            Refusal::new(
                self.workflow_rule(),
                format!("only {} writes the ledger", self.role_names(&w.ledger_written_by)),
            )
            .key("only_ledger")
            .with("roles", self.role_list(&w.ledger_written_by))
        })?;
        let ready = if self.needs_report() {
            state == RequestState::Reported
        } else {
            state == RequestState::Extracted
        };
        if !ready {
            let need = if self.needs_report() {
                "the extraction has been reported"
            } else {
                "the extraction is done"
            };
            return Err(Refusal::state(
                self.workflow_rule(),
                format!("the ledger is written after {need} (the request is {state})"),
            )
            .key(if self.needs_report() {
                "ledger_after_report"
            } else {
                "ledger_after_extraction"
            })
            .with("state", state));
        }
        Ok(role.clone())
    }

    /// Role names in Japanese joined for a Japanese sentence: "防犯カメラシステム管理責任者、取扱責任者".
    pub fn role_list(&self, ids: &[String]) -> String {
        ids.iter()
            .map(|id| self.role(id).map_or(id.as_str(), |r| r.name_ja.as_str()))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// Role names in Japanese, for messages: "防犯カメラシステム管理責任者 (manager)".
    pub fn role_names(&self, ids: &[String]) -> String {
        ids.iter()
            .map(|id| match self.role(id) {
                Some(r) => format!("{} ({id})", r.name_ja),
                None => id.clone(),
            })
            .collect::<Vec<_>>()
            .join(" or ")
    }

    fn basis_ids(&self) -> String {
        self.bases.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use jiff::Timestamp;

    // rule: PROD-TERM-1 — Kitakyushu's temporary operator is designated for at most 7 days,
    // with an end; a role without a maximum needs none.
    #[test]
    fn a_time_boxed_role_is_designated_with_an_end_within_its_term() {
        let kit = crate::profile::seed("kitakyushu").unwrap().unwrap();
        let role = kit.role("temporary_operator").unwrap();
        let now: Timestamp = "2026-12-05T01:00:00Z".parse().unwrap();
        let days = |d: i64| now.checked_add(jiff::SignedDuration::from_hours(24 * d)).unwrap();
        let e = kit.check_designation_term(role, None, now).unwrap_err();
        assert_eq!((e.rule.as_str(), e.field.as_deref()), ("PROD-TERM-1", Some("valid_until")));
        assert!(kit.check_designation_term(role, Some(days(7)), now).is_ok());
        assert!(kit.check_designation_term(role, Some(days(8)), now).is_err());
        assert!(kit.check_designation_term(role, Some(now), now).is_err());
        let officer = kit.role("handling_officer").unwrap();
        assert!(kit.check_designation_term(officer, None, now).is_ok());
    }
}
