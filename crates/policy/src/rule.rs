//! Rule identifiers: the IDs of `SPEC.md` (`KIT-5.6`, `KAW-2.2.6イ`, `PROD-RET-1`…).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A rule ID from `SPEC.md`, cited by code, tests, profile files and every refusal message.
///
/// `PROD-*` IDs are product rules that no seed document states: a profile may change them and
/// their messages must never cite a seed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(String);

impl RuleId {
    /// Wraps a rule ID. Use [`RuleId::is_well_formed`] to check user-supplied ones.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The ID as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the first `-`: `ASA`, `KIT`, `PROD`, `ALL`…
    pub fn prefix(&self) -> &str {
        self.0.split('-').next().unwrap_or("")
    }

    /// A product rule (`PROD-*`), stated by no seed.
    pub fn is_product_rule(&self) -> bool {
        self.prefix() == "PROD"
    }

    /// `PREFIX-rest`: an upper-case ASCII prefix, a dash, and a non-empty rest without spaces.
    pub fn is_well_formed(&self) -> bool {
        match self.0.split_once('-') {
            Some((prefix, rest)) => {
                !prefix.is_empty()
                    && prefix.chars().all(|c| c.is_ascii_uppercase())
                    && !rest.is_empty()
                    && !rest.chars().any(char::is_whitespace)
            }
            None => false,
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RuleId {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_ids() {
        for ok in ["KIT-5.6", "KAW-2.2.6イ", "PROD-RET-1", "ASA-3.4b①", "ALL-REC-1"] {
            assert!(RuleId::from(ok).is_well_formed(), "{ok}");
        }
        for bad in ["", "KIT", "kit-5.6", "-5.6", "KIT-", "KIT 5.6", "KIT-5 6"] {
            assert!(!RuleId::from(bad).is_well_formed(), "{bad}");
        }
        assert!(RuleId::from("PROD-RET-1").is_product_rule());
        assert!(!RuleId::from("SAK-9").is_product_rule());
    }
}
