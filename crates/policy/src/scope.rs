//! Trust boundaries (issue 15): which organisation governs which cameras, and who completes a
//! two-person act.
//!
//! Each site, with its cameras, belongs to one organisation of a kind the profile names as an
//! owner (`[ownership]`: the city in Asahikawa, Kitakyushu and Nishiyodogawa; the city and each
//! community group in Kawaguchi, KAW-2.2.2; each facility in Saku, SAK-M). Roles held in an owner
//! act only on their own cameras and the records that concern them; a city office that is not
//! an owner (Saku's, which registers cameras and relays requests) acts for every owner; police,
//! agencies and contractors govern no camera.

use crate::profile::{OrgKind, Profile};
use crate::rule::RuleId;
use crate::workflow::Refusal;

/// Where a person's organisation stands towards the cameras.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// An owner: acts on its own cameras (organisation id).
    Own(i64),
    /// A city office that owns no camera but keeps the registry or relays for every owner.
    Office,
    /// Governs no camera (police, agencies, contractors): only what it filed or was given.
    Outside,
}

impl Scope {
    /// Whether something owned by `owner` is within this scope (`None`: owned by nobody yet).
    pub fn covers(self, owner: Option<i64>) -> bool {
        match self {
            Scope::Own(org) => owner == Some(org),
            Scope::Office => true,
            Scope::Outside => false,
        }
    }

    /// The owner this scope is limited to, if any.
    pub fn owner(self) -> Option<i64> {
        match self {
            Scope::Own(org) => Some(org),
            _ => None,
        }
    }
}

/// The product rule for ownership where the profile states none (PROD-OWN-1) and for a request
/// naming cameras of two owners (PROD-OWN-2).
pub const ONE_OWNER_PER_REQUEST: &str = "PROD-OWN-2";

impl Profile {
    /// Whether organisations of `kind` own cameras.
    pub fn owns_cameras(&self, kind: OrgKind) -> bool {
        self.ownership.owners.contains(&kind)
    }

    /// The scope of a member of organisation `org`, of `kind`.
    pub fn scope_of(&self, org: i64, kind: OrgKind) -> Scope {
        if self.owns_cameras(kind) {
            Scope::Own(org)
        } else if kind == OrgKind::City {
            Scope::Office
        } else {
            Scope::Outside
        }
    }

    /// The one owner of the cameras a request names (their owners, one per camera). Cameras of
    /// two owners are two requests: each owner decides on its own footage.
    pub fn single_owner(&self, owners: &[Option<i64>]) -> Result<Option<i64>, Refusal> {
        let first = owners.first().copied().flatten();
        if owners.iter().any(|o| *o != first) {
            return Err(Refusal::new(
                &RuleId::new(ONE_OWNER_PER_REQUEST),
                format!(
                    "these cameras belong to different organisations, each of which decides on its \
                     own footage ({}): file one request per owner",
                    self.ownership.rule
                ),
            )
            .key("scope_one_owner")
            .at("cameras"));
        }
        Ok(first)
    }
}

impl Profile {
    /// May a member of organisation `designator_org` (of `designator_kind`) designate (or
    /// revoke) a member of `target_org` as `role`? An organisation designates its own staff into
    /// the roles its own kind holds (KAW-2.2.2: each installer appoints its own manager; a police
    /// chief selects his own station's staff, ASA-3.5a); across kinds only where the profile says
    /// one kind designates another's (ASA-3.1: the city designates the contractor's 取扱者; SAK-M:
    /// the city, the facility's manager), or for a post the city's account administrator sets up
    /// in another organisation (a community group's first installer, a police station's chief).
    pub fn check_designation_scope(
        &self,
        role: &crate::profile::RoleDef,
        designator_org: i64,
        designator_kind: OrgKind,
        by_account_administrator: bool,
        target_org: i64,
    ) -> Result<(), Refusal> {
        let same_kind = role.organisations.contains(&designator_kind);
        // The city's account administrator sets up posts in other organisations (a group's
        // first installer, a station's chief); no other organisation does.
        let post = role.designated_by.is_empty()
            && by_account_administrator
            && designator_kind == OrgKind::City;
        if same_kind && !post && target_org != designator_org {
            return Err(Refusal::new(
                &self.ownership.rule,
                format!("{} is designated by each organisation for its own staff", role.name_ja),
            )
            .key("scope_designate_own")
            .with("role", &role.name_ja)
            .at("account_id"));
        }
        Ok(())
    }
}

impl Profile {
    /// Whether a member of an organisation of `kind` may set up organisations: the city's, which
    /// runs the system (issue 15; refused under `ownership.rule`).
    pub fn sets_up_organisations(&self, kind: Option<OrgKind>) -> bool {
        kind == Some(OrgKind::City)
    }

    /// Whether a member of an organisation of `kind` works only under a current, signed-off
    /// contract (ASA-3.7, PROD-CONTRACTOR-1): a contractor's staff, at login and on every call.
    /// The rule refusing them is `accounts.contractor_gate_rule`.
    pub fn needs_contract(&self, kind: Option<OrgKind>) -> bool {
        kind == Some(OrgKind::Contractor)
    }

    /// Whether a member of organisation `org` (of `kind`) keeps the administrative records of
    /// organisation `target` — its accounts, dedicated workstations, contracts, complaints about
    /// its cameras, its part of the audit log. The city's keepers keep every organisation's: the
    /// city runs the system, lends the police their PCs (ASA-3.5c) and makes outsiders' accounts
    /// (PROD-SOD-6). Any other organisation keeps only its own (KAW-2.2.2: each installer for its
    /// own group; SAK-M: each facility). `None`: a record of no organisation (the city's).
    pub fn keeps_records_of(&self, kind: OrgKind, org: i64, target: Option<i64>) -> bool {
        kind == OrgKind::City || target == Some(org)
    }

    /// May an account administrator of organisation `admin_org` (of `admin_kind`) administer the
    /// accounts of organisation `target_org` — list, make, unlock, disable, activate them?
    /// [`Profile::keeps_records_of`]; outside it: as if absent.
    pub fn check_account_scope(
        &self,
        admin_kind: OrgKind,
        admin_org: i64,
        target_org: i64,
    ) -> Result<(), Refusal> {
        if self.keeps_records_of(admin_kind, admin_org, Some(target_org)) {
            return Ok(());
        }
        Err(Refusal::new(
            &self.ownership.rule,
            "an organisation keeps the accounts of its own members only",
        )
        .at("organisation_id")
        .key("account_scope"))
    }
}

/// Separation of duties (PROD-SOD-2…4): one person never completes a two-person act alone.
pub mod sod {
    use crate::rule::RuleId;
    use crate::workflow::Refusal;

    /// rule: PROD-SOD-2 — a designation never names its designator.
    pub fn check_designation(designator: i64, account: i64) -> Result<(), Refusal> {
        if designator == account {
            return Err(Refusal::new(
                &RuleId::new("PROD-SOD-2"),
                "you cannot designate yourself: another person holding the designating role must",
            )
            .key("sod_designate_self")
            .at("account_id"));
        }
        Ok(())
    }

    /// rule: PROD-SOD-3 — an instruction is never addressed to its issuer.
    pub fn check_instruction(issuer: i64, recipient: i64) -> Result<(), Refusal> {
        if issuer == recipient {
            return Err(Refusal::new(
                &RuleId::new("PROD-SOD-3"),
                "an instruction goes to another person: you cannot instruct yourself",
            )
            .key("sod_instruct_self")
            .at("to_account"));
        }
        Ok(())
    }

    /// rule: PROD-SOD-6 — whether an account made in organisation `org` (of `kind`) by a member
    /// of `maker_org` waits for a second administrator's activation: an account of an outside
    /// organisation (police, agency, contractor) made by the city rather than by that
    /// organisation's own administrator. Whoever made it knows its first password and could
    /// sign in as it; a second person's activation keeps a made-up outsider from acting alone.
    pub fn needs_activation(kind: crate::profile::OrgKind, org: i64, maker_org: i64) -> bool {
        use crate::profile::OrgKind;
        matches!(kind, OrgKind::Police | OrgKind::Agency | OrgKind::Contractor) && org != maker_org
    }

    /// rule: PROD-SOD-6 — the account's maker does not activate it.
    pub fn check_activation(maker: Option<i64>, activator: i64) -> Result<(), Refusal> {
        if maker == Some(activator) {
            return Err(Refusal::new(
                &crate::rule::cited::ACTIVATION,
                "you made this account: another account administrator activates it",
            )
            .key("sod_activation"));
        }
        Ok(())
    }

    /// rule: PROD-SOD-4 — whoever orders an emergency extraction does not carry it out.
    pub fn check_emergency_executor(orderer: i64, executor: i64) -> Result<(), Refusal> {
        if orderer == executor {
            return Err(Refusal::new(
                &RuleId::new("PROD-SOD-4"),
                "name another member of your staff to carry out the order you give",
            )
            .key("sod_order_self")
            .at("executor_account"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Scope, sod};
    use crate::profile::{OrgKind, seed};

    fn p(id: &str) -> crate::Profile {
        seed(id).unwrap().unwrap()
    }

    // rule: KAW-2.2.2 — the city and each group govern their own cameras.
    #[test]
    fn kawaguchi_groups_and_the_city_each_own_their_cameras() {
        let kaw = p("kawaguchi");
        assert_eq!(kaw.scope_of(7, OrgKind::Community), Scope::Own(7));
        assert_eq!(kaw.scope_of(1, OrgKind::City), Scope::Own(1));
        assert!(!Scope::Own(7).covers(Some(1)) && Scope::Own(7).covers(Some(7)));
        assert_eq!(kaw.scope_of(3, OrgKind::Police), Scope::Outside);
        assert!(kaw.single_owner(&[Some(1), Some(7)]).is_err());
        assert_eq!(kaw.single_owner(&[Some(7), Some(7)]).unwrap(), Some(7));
    }

    // rule: SAK-M — each facility owns its cameras; the city relays for all of them.
    #[test]
    fn saku_facilities_own_and_the_city_relays() {
        let saku = p("saku");
        assert_eq!(saku.scope_of(5, OrgKind::Facility), Scope::Own(5));
        assert_eq!(saku.scope_of(1, OrgKind::City), Scope::Office);
        assert!(Scope::Office.covers(Some(5)));
        assert_eq!(p("asahikawa").scope_of(1, OrgKind::City), Scope::Own(1));
    }

    // rule: KAW-2.2.2 — a group designates its own manager; the city sets up a group's first
    // installer (a post of the account administrator) but appoints no manager for it.
    #[test]
    fn organisations_designate_their_own_staff() {
        let kaw = p("kawaguchi");
        let manager = kaw.role("manager").unwrap();
        let installer = kaw.role("installer").unwrap();
        assert!(kaw.check_designation_scope(manager, 7, OrgKind::Community, false, 7).is_ok());
        let e = kaw.check_designation_scope(manager, 1, OrgKind::City, false, 7).unwrap_err();
        assert_eq!(e.rule.as_str(), "KAW-2.2.2");
        assert!(kaw.check_designation_scope(installer, 1, OrgKind::City, true, 7).is_ok());
        // …but one group's installer sets up no post in another group.
        assert!(kaw.check_designation_scope(installer, 7, OrgKind::Community, true, 8).is_err());
        // ASA-3.1: the city designates the contractor's 取扱者.
        let asa = p("asahikawa");
        let operator = asa.role("operator").unwrap();
        assert!(asa.check_designation_scope(operator, 1, OrgKind::City, false, 9).is_ok());
        // ASA-3.5a: one station's chief does not designate another station's staff.
        let police_op = asa.role("police_image_operator").unwrap();
        assert!(asa.check_designation_scope(police_op, 3, OrgKind::Police, false, 4).is_err());
    }

    // rule: KAW-2.2.2 — a group's installer keeps its own group's accounts; the city every one.
    #[test]
    fn account_administrators_keep_their_own_organisations_accounts() {
        let kaw = p("kawaguchi");
        assert!(kaw.check_account_scope(OrgKind::City, 1, 7).is_ok());
        assert!(kaw.check_account_scope(OrgKind::Community, 7, 7).is_ok());
        let e = kaw.check_account_scope(OrgKind::Community, 7, 1).unwrap_err();
        assert_eq!(e.rule.as_str(), "KAW-2.2.2");
        assert!(kaw.check_account_scope(OrgKind::Community, 7, 8).is_err());
    }

    // rule: PROD-SOD-2, PROD-SOD-3, PROD-SOD-4
    #[test]
    fn no_one_completes_a_two_person_act_alone() {
        assert_eq!(sod::check_designation(4, 4).unwrap_err().rule.as_str(), "PROD-SOD-2");
        assert!(sod::check_designation(4, 5).is_ok());
        assert_eq!(sod::check_instruction(4, 4).unwrap_err().rule.as_str(), "PROD-SOD-3");
        assert_eq!(sod::check_emergency_executor(9, 9).unwrap_err().rule.as_str(), "PROD-SOD-4");
    }

    // rule: PROD-SOD-6 — the city makes a police officer's account; a second administrator
    // activates it. A police station's own administrator (were there one) needs no second.
    #[test]
    fn outsiders_made_by_the_city_wait_for_a_second_person() {
        assert!(sod::needs_activation(OrgKind::Police, 3, 1));
        assert!(sod::needs_activation(OrgKind::Contractor, 4, 1));
        assert!(sod::needs_activation(OrgKind::Agency, 5, 1));
        assert!(!sod::needs_activation(OrgKind::Police, 3, 3), "made inside the station");
        assert!(!sod::needs_activation(OrgKind::City, 2, 1), "the city's own sections");
        assert!(!sod::needs_activation(OrgKind::Facility, 6, 1));
        assert_eq!(sod::check_activation(Some(7), 7).unwrap_err().rule.as_str(), "PROD-SOD-6");
        assert!(sod::check_activation(Some(7), 8).is_ok());
    }
}
