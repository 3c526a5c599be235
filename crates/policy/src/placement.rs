//! Where a dedicated workstation may stand, and for whom (ASA-3.2e, KIT-5.5, NIS-8, NIS-10.4,
//! SAK-M): profile data, decided here — at registration, and again whenever a workstation is
//! used to take footage out — and where a recorder may stand (KIT-5.1: the conditions of its
//! site, confirmed when it is registered).

use crate::profile::{OrgKind, Profile};
use crate::workflow::Refusal;

/// The placement of the terminals inside the central room (KIT-5.5).
pub const CENTRAL_ROOM: &str = "central_room";

impl Profile {
    /// May a workstation of an organisation of `kind` be placed at `placement`?
    pub fn check_placement(&self, placement: &str, kind: OrgKind) -> Result<(), Refusal> {
        let w = &self.workstations;
        let Some(p) = w.placements.iter().find(|p| p.id == placement) else {
            let ids: Vec<&str> = w.placements.iter().map(|p| p.id.as_str()).collect();
            return Err(Refusal::new(
                &w.rule,
                format!(
                    "{placement:?} is not a placement of this profile: one of {}",
                    ids.join(", ")
                ),
            )
            .key("pl_placement")
            .with("placement", placement)
            .with("choices", ids.join("、"))
            .at("placement"));
        };
        if !p.kinds.contains(&kind) {
            return Err(Refusal::new(
                &w.rule,
                format!("a {placement:?} workstation is not one a {kind:?} organisation may have"),
            )
            .key("pl_workstation_kind")
            .with("placement", placement)
            .with("kind", format!("{kind:?}"))
            .at("placement"));
        }
        Ok(())
    }

    /// Whether an organisation of `kind` may hold a dedicated workstation anywhere: some
    /// placement of the profile takes its kind (a contractor's never does, PROD-CONTRACTOR-1:
    /// it does not take footage out).
    pub fn may_hold_workstation(&self, kind: OrgKind) -> bool {
        self.workstations.placements.iter().any(|p| p.kinds.contains(&kind))
    }

    /// Whether PCs at `placement` are lent to investigative agencies (their history is
    /// reconciled monthly, ASA-3.5c, NIS-11.3).
    pub fn lent_placement(&self, placement: &str) -> bool {
        self.workstations.placements.iter().any(|p| {
            p.id == placement
                && p.kinds.iter().any(|k| matches!(k, OrgKind::Police | OrgKind::Agency))
        })
    }

    /// On what ground a person holding `person_roles` enters the profile's central room, the
    /// entry recorded by someone holding `recorder_roles` (`same_person` when they record their
    /// own): a role that enters, a contractor role within its contract (the sign-in gate refuses
    /// a contractor without one), or an approver's approval of another person (KIT-5.5).
    pub fn check_room_entry(
        &self,
        person_roles: &[String],
        recorder_roles: &[String],
        same_person: bool,
    ) -> Result<RoomEntryGround, crate::workflow::Refusal> {
        let Some(room) = &self.central_room else {
            return Err(crate::workflow::Refusal::new(
                &crate::rule::cited::RBAC,
                "this city keeps no record of a central room",
            )
            .key("no_central_room"));
        };
        let any = |list: &[String], roles: &[String]| roles.iter().any(|r| list.contains(r));
        if any(&room.enter, person_roles) {
            Ok(RoomEntryGround::Role)
        } else if any(&room.contractor_roles, person_roles) {
            Ok(RoomEntryGround::Contract)
        } else if !same_person && any(&room.approvers, recorder_roles) {
            Ok(RoomEntryGround::Approved)
        } else {
            Err(crate::workflow::Refusal::new(
                &room.rule,
                format!(
                    "the {} is entered only by the manager, the handling officers and persons the manager approved: the manager records such a person's entry",
                    room.name_en
                ),
            ).key("pl_room_who").with("room", &room.name_ja))
        }
    }

    /// Whether a site may be registered at `placement` (`public_facility` or `street`; absent:
    /// a public facility) with `review` (the date and the minutes of the body's review, if
    /// any): a street site needs the review where the profile names a reviewing body (SAK-M).
    pub fn check_site(
        &self,
        placement: Option<&str>,
        review: Option<(jiff::civil::Date, &str)>,
    ) -> Result<(), crate::workflow::Refusal> {
        let street = match placement.map(str::trim).filter(|p| !p.is_empty()) {
            None | Some("public_facility") => false,
            Some("street") => true,
            Some(other) => {
                return Err(crate::workflow::Refusal::new(
                    &crate::rule::cited::SITE_PLACEMENT,
                    format!("a site is a public_facility or on a street, not {other:?}"),
                )
                .key("pl_site_kind")
                .with("other", other)
                .at("placement"));
            }
        };
        let Some(r) = self.sites.street_review.as_ref().filter(|_| street) else { return Ok(()) };
        match review {
            Some((_, minutes)) if !minutes.trim().is_empty() => Ok(()),
            _ => Err(crate::workflow::Refusal::new(
                &r.rule,
                format!(
                    "a camera on a street is installed only after a review by the {} (its date and minutes)",
                    r.body_en
                ),
            ).key("pl_street_review").with("body", &r.body_ja)
            .at("council_review_date")),
        }
    }

    /// Whether footage is viewed only on a registered dedicated PC: where extraction is
    /// (`workflow.workstation_required`), and wherever remote viewing is off (`recording.
    /// remote_viewing = false`; SAK-M 「外部からパスワードを入力し画像を確認することは想定していない」).
    pub fn viewing_needs_workstation(&self) -> bool {
        self.workflow.workstation_required || !self.recording.remote_viewing
    }

    /// The rule that puts footage work on the dedicated PCs (ASA-3.2e, KIT-5.5, NIS-8, SAK-M):
    /// the profile's workstation clause, or the workflow's where only a product reading places
    /// them (issue 15, item 7: the most specific rule of the running profile).
    pub fn workstation_rule(&self) -> &crate::RuleId {
        if self.workstations.rule.is_product_rule() {
            &self.workflow.rule
        } else {
            &self.workstations.rule
        }
    }

    /// May footage be taken out on a workstation placed at `placement` by someone of an
    /// organisation of `kind`? (The placement must still be one of this profile's, for that
    /// kind: a PC registered under an earlier profile, or for another kind, takes nothing out.)
    pub fn check_workstation_use(&self, placement: &str, kind: OrgKind) -> Result<(), Refusal> {
        self.check_placement(placement, kind).map_err(|mut r| {
            r.field = None;
            r.message = format!("this workstation cannot be used here: {}", r.message);
            r
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn seed(id: &str) -> Profile {
        crate::profile::seed(id).unwrap().unwrap()
    }

    // rule: SAK-M — remote viewing off: footage is viewed on the dedicated PC only.
    #[test]
    fn no_remote_viewing_means_the_dedicated_pc() {
        let mut saku = seed("saku");
        assert!(saku.viewing_needs_workstation());
        // Remote viewing off is enough on its own, whatever extraction needs.
        saku.workflow.workstation_required = false;
        assert!(saku.viewing_needs_workstation());
        saku.recording.remote_viewing = true;
        assert!(!saku.viewing_needs_workstation());
    }

    // rule: PROD-CONTRACTOR-1, SAK-M — no city places a contractor's PC; each places its own
    // keepers' (Saku: the facilities, not the city's office).
    #[test]
    fn contractors_hold_no_workstation_anywhere() {
        for id in ["asahikawa", "kitakyushu", "nishiyodogawa", "kawaguchi", "saku"] {
            assert!(!seed(id).may_hold_workstation(OrgKind::Contractor), "{id}");
        }
        for id in ["asahikawa", "kitakyushu", "nishiyodogawa", "kawaguchi"] {
            assert!(seed(id).may_hold_workstation(OrgKind::City), "{id}");
        }
        assert!(seed("asahikawa").may_hold_workstation(OrgKind::Police));
        assert!(seed("saku").may_hold_workstation(OrgKind::Facility));
        assert!(!seed("saku").may_hold_workstation(OrgKind::City));
    }

    // rule: SAK-M, KIT-5.5 — a refusal off the dedicated PC cites the clause that places it;
    // where only a product reading places PCs (Kawaguchi), the workflow's clause.
    #[test]
    fn work_off_the_dedicated_pc_cites_the_placing_clause() {
        assert_eq!(seed("saku").workstation_rule().as_str(), "SAK-M");
        assert_eq!(seed("kitakyushu").workstation_rule().as_str(), "KIT-5.5");
        assert_eq!(seed("kawaguchi").workstation_rule().as_str(), "KAW-2.2.5");
    }

    // rule: ASA-3.2e, KIT-5.5, NIS-8, NIS-10.4, SAK-M — each city's PCs where its seed puts them.
    #[test]
    fn placements_per_city() {
        let kit = seed("kitakyushu");
        assert!(kit.check_placement("central_room", OrgKind::City).is_ok());
        let e = kit.check_placement("section", OrgKind::City).unwrap_err();
        assert_eq!((e.rule.as_str(), e.field.as_deref()), ("KIT-5.5", Some("placement")));
        let asa = seed("asahikawa");
        assert!(asa.check_placement("section", OrgKind::City).is_ok());
        assert!(asa.check_placement("police", OrgKind::Police).is_ok());
        assert_eq!(
            asa.check_placement("central_room", OrgKind::City).unwrap_err().rule.as_str(),
            "ASA-3.2e"
        );
        assert!(
            asa.check_placement("police", OrgKind::City).is_err(),
            "the city's PC is at the section"
        );
        let nis = seed("nishiyodogawa");
        assert!(nis.check_placement("section", OrgKind::City).is_ok());
        assert!(nis.check_placement("agency", OrgKind::Police).is_ok());
        assert!(nis.check_placement("central_room", OrgKind::City).is_err());
        let sak = seed("saku");
        assert!(sak.check_placement("facility", OrgKind::Facility).is_ok());
        assert!(sak.check_placement("section", OrgKind::Facility).is_err());
        let e = kit.check_workstation_use("section", OrgKind::City).unwrap_err();
        assert!(e.field.is_none() && e.message.contains("cannot be used"), "{e:?}");
    }
}

/// Why a person may enter the central room (KIT-5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomEntryGround {
    /// Their role enters (the manager, a handling officer).
    Role,
    /// A maintenance contractor within its contract.
    Contract,
    /// A person the manager approved, entry recorded by the manager.
    Approved,
}

impl Profile {
    /// May footage be worked on a workstation placed at `placement` by someone who is (`inside`)
    /// or is not inside the central room by a recorded entry? Where the profile has a central
    /// room, its terminals (placement `central_room`) are used only by a person whose entry is
    /// on record and open (KIT-5.5: 操作用端末の起動時に限り…入室を行う).
    pub fn check_room_presence(&self, placement: &str, inside: bool) -> Result<(), Refusal> {
        match &self.central_room {
            Some(room) if placement == CENTRAL_ROOM && !inside => Err(Refusal::new(
                &room.rule,
                format!(
                    "this terminal stands in the {}: record your entry first (and your leaving after)",
                    room.name_en
                ),
            )
            .key("room_entry_first")),
            _ => Ok(()),
        }
    }

    /// What a site's registration left empty that the profile's clauses ask it to record
    /// (ASA-2.2, KIT-4.1, KIT-1, NIS-4.1, and the sign: ASA-3.2b, KIT-4.2, KAW-2.2.1, NIS-4.2):
    /// one refusal per field, each at its field, citing its clause. `filled` says whether a
    /// field (`address`, `coordinates`, `system`, `reason`, `signage_text`) was given.
    pub fn missing_site_fields(&self, filled: impl Fn(&str) -> bool) -> Vec<Refusal> {
        self.sites
            .required
            .iter()
            .filter(|f| !filled(&f.field))
            .map(|f| {
                let field = if f.field == "coordinates" { "latitude" } else { f.field.as_str() };
                Refusal::new(&f.rule, "the rules ask every site to record this")
                    .key("required")
                    .at(field)
            })
            .collect()
    }

    /// The clause that has each dedicated PC kept in a recorded secure place (ASA-3.2f,
    /// NIS-3.3.2, KAW-2.2.6エ), where the profile names one.
    pub fn workstation_storage_rule(&self) -> Option<&crate::RuleId> {
        self.workstations.storage_rule.as_ref()
    }

    /// Do the conditions confirmed for a recorder's site meet the profile's (KIT-5.1)? Where the
    /// profile sets none, nothing is asked (and nothing given is kept). Returns the kind and the
    /// conditions to keep, in the profile's order.
    pub fn check_recorder_site(
        &self,
        kind: Option<&str>,
        confirmed: &[String],
    ) -> Result<Option<(String, Vec<String>)>, Refusal> {
        let Some(sites) = &self.recorder_sites else { return Ok(None) };
        let kinds = || sites.kinds.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ");
        let Some(kind) = kind.map(str::trim).filter(|k| !k.is_empty()) else {
            return Err(Refusal::new(
                &sites.rule,
                format!("say which kind of recorder it is ({})", kinds()),
            )
            .key("pl_recorder_kind")
            .with("choices", kinds())
            .at("site_kind"));
        };
        let Some(def) = sites.kinds.iter().find(|k| k.id == kind) else {
            return Err(Refusal::new(&sites.rule, format!("one of: {}", kinds()))
                .key("one_of")
                .with("choices", kinds())
                .at("site_kind"));
        };
        if let Some(bad) = confirmed.iter().find(|c| !def.conditions.iter().any(|d| &d.id == *c)) {
            return Err(Refusal::new(
                &sites.rule,
                format!("{bad:?} is not a condition of a {} site", def.name_en),
            )
            .key("pl_not_condition")
            .with("bad", bad)
            .with("site", &def.name_ja)
            .at("site_conditions"));
        }
        let missing: Vec<&str> = def
            .conditions
            .iter()
            .filter(|d| !confirmed.contains(&d.id))
            .map(|d| d.name_ja.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::new(
                &sites.rule,
                format!(
                    "a {} stands only where every condition is met; not confirmed: {}",
                    def.name_en,
                    missing.join("、")
                ),
            )
            .key("pl_conditions_missing")
            .with("site", &def.name_ja)
            .with("missing", missing.join("、"))
            .at("site_conditions"));
        }
        Ok(Some((def.id.clone(), def.conditions.iter().map(|d| d.id.clone()).collect())))
    }
}
