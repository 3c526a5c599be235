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
