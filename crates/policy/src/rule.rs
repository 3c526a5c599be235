//! Rule identifiers: the IDs of `SPEC.md` (`KIT-5.6`, `KAW-2.2.6イ`, `PROD-RET-1`…).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A rule ID from `SPEC.md`, cited by code, tests, profile files and every refusal message.
///
/// `PROD-*` IDs are product rules that no seed document states: a profile may change them and
/// their messages must never cite a seed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(Cow<'static, str>);

impl RuleId {
    /// Wraps a rule ID. Use [`RuleId::is_well_formed`] to check user-supplied ones.
    pub fn new(id: impl Into<String>) -> Self {
        Self(Cow::Owned(id.into()))
    }

    /// A rule ID written in the code: the constants of [`cited`].
    pub const fn from_static(id: &'static str) -> Self {
        Self(Cow::Borrowed(id))
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

/// The rules the code cites by name, because no profile field carries them: product rules
/// (`PROD-*`, listed in `docs/product-rules.md`) and rules every seed states alike (`ALL-*`).
/// A handler cites one of these or a profile's field — it cannot write a rule ID of its own.
pub mod cited {
    use super::RuleId;

    /// No live view; footage leaves only as an evidence package or a still under a grant.
    pub static NO_LIVE_VIEW: RuleId = RuleId::from_static("ALL-REC-2");
    /// Accounts lock after repeated failed logins.
    pub static LOCKOUT: RuleId = RuleId::from_static("PROD-AUTH-1");
    /// Role-based access: deny by default.
    pub static RBAC: RuleId = RuleId::from_static("PROD-RBAC-1");
    /// Every state-changing call carries the session's CSRF token.
    pub static CSRF: RuleId = RuleId::from_static("PROD-CSRF-1");
    /// A site is declared at a public facility or on a street (issue 18).
    pub static SITE_PLACEMENT: RuleId = RuleId::from_static("PROD-SITE-1");
    /// The public contact form is rate-limited per client address.
    pub static CONTACT_RATE: RuleId = RuleId::from_static("PROD-RATE-1");
    /// A site's sign is checked at least every 180 days.
    pub static SIGNAGE_CHECK: RuleId = RuleId::from_static("PROD-SIGNAGE-1");
    /// The requester never decides their own request.
    pub static SEGREGATION: RuleId = RuleId::from_static("PROD-SOD-1");
    /// Whoever made the requester's account does not decide the request.
    pub static ACCOUNT_MAKER: RuleId = RuleId::from_static("PROD-SOD-5");
    /// An outsider's account the city made waits for a second administrator's activation.
    pub static ACTIVATION: RuleId = RuleId::from_static("PROD-SOD-6");
    /// The confidentiality duty is acknowledged before first use (where no clause says so).
    pub static CONFIDENTIALITY: RuleId = RuleId::from_static("PROD-AUTH-4");
    /// A revoked workstation can no longer be used (where the profile cites no clause).
    pub static WORKSTATION_REVOKED: RuleId = RuleId::from_static("PROD-WS-1");

    /// The centre's and the recorders' clocks are synchronised within the profile's tolerance.
    pub static CLOCK_SYNC: RuleId = RuleId::from_static("PROD-TIME-1");

    /// A duty not done by its deadline becomes an incident the reviewers close.
    pub static DUTY_LAPSED: RuleId = RuleId::from_static("PROD-DUTY-5");

    /// Every cited rule.
    pub static ALL: [&RuleId; 13] = [
        &ACCOUNT_MAKER,
        &ACTIVATION,
        &CLOCK_SYNC,
        &DUTY_LAPSED,
        &NO_LIVE_VIEW,
        &LOCKOUT,
        &RBAC,
        &CSRF,
        &CONTACT_RATE,
        &SIGNAGE_CHECK,
        &SEGREGATION,
        &CONFIDENTIALITY,
        &WORKSTATION_REVOKED,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cited_rules_are_written_down() {
        let product_rules = include_str!("../../../docs/product-rules.md");
        for r in cited::ALL {
            assert!(r.is_well_formed(), "{r}");
            if r.is_product_rule() {
                assert!(
                    product_rules.contains(&format!("| {r} |")),
                    "{r} is cited by the code but not listed in docs/product-rules.md"
                );
            }
        }
    }

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
