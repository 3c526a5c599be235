//! Regulation profiles: the model, the five seed cities, loading and checking.

mod check;
mod load;
mod model;
mod seeds;

pub use check::check;
pub use load::{Location, Locator, Problem, load_str};
pub use model::*;
pub use seeds::{SEED_IDS, seed, seed_source, seeds};

impl Profile {
    /// The role with this id.
    pub fn role(&self, id: &str) -> Option<&RoleDef> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// Whether the role `role` holds `permission`. Unknown roles hold nothing (deny by default).
    pub fn allows(&self, role: &str, permission: Permission) -> bool {
        self.role(role).is_some_and(|r| r.permissions.contains(&permission))
    }

    /// The rule to cite when someone holding `held` (role ids) asks for `perm` that none of
    /// them has (issue 15, item 7: the most specific rule of this profile, PROD-RBAC-1 only
    /// where no seed rule applies):
    /// - the profile lacks the function altogether → the clause that says so (retention
    ///   extension; the emergency path where there is none);
    /// - the person holds a role whose clause is the city's own → that clause, which delimits
    ///   what the role does (KIT-5.2 for Kitakyushu's O&M contractor, ASA-3.1 for Asahikawa's
    ///   contractor staff…);
    /// - otherwise deny by default (PROD-RBAC-1).
    pub fn denial_rule(&self, held: &[String], perm: Permission) -> &crate::RuleId {
        use crate::rule::cited;
        let held_by_any = self.roles.iter().any(|r| r.permissions.contains(&perm));
        if !held_by_any {
            return match perm {
                Permission::HoldManage => &self.retention.extension.rule,
                // The city's rule fixes the period; no organisation sets its own.
                Permission::RetentionSet => &self.retention.rule,
                Permission::EmergencyOrder
                | Permission::EmergencyExtract
                | Permission::EmergencyFile
                | Permission::ReconciliationSubmit
                | Permission::ReconciliationReview
                    if self.emergency.is_none() =>
                {
                    &self.workflow.rule
                }
                _ => &cited::RBAC,
            };
        }
        held.iter()
            .filter_map(|id| self.role(id))
            .map(|r| &r.rule)
            .find(|rule| !rule.is_product_rule() && rule.prefix() != "ALL")
            .unwrap_or(&cited::RBAC)
    }

    /// The form with this id.
    pub fn form(&self, id: &str) -> Option<&FormDef> {
        self.forms.iter().find(|f| f.id == id)
    }

    /// The legal basis with this id.
    pub fn basis(&self, id: &str) -> Option<&LegalBasis> {
        self.bases.iter().find(|b| b.id == id)
    }

    /// The purpose with this id.
    pub fn purpose(&self, id: &str) -> Option<&Purpose> {
        self.purposes.iter().find(|p| p.id == id)
    }
}
