//! What a camera may look at (KAW-2.1.3): public space must make up most of the picture after
//! the masks — at least the profile's minimum, or its lower exemption minimum with a recorded
//! reason — and local consensus is recorded where the profile requires it.

use crate::RuleId;
use crate::profile::Profile;
use crate::workflow::Refusal;
use jiff::civil::Date;

/// A camera's declared or measured coverage.
#[derive(Debug, Clone, Copy)]
pub struct Coverage<'a> {
    /// Public space not masked, in per mille of the picture (`None`: not declared).
    pub public_share_permille: Option<i64>,
    /// The recorded reason for using the exemption minimum.
    pub exemption: Option<&'a str>,
    /// The recorded note on local consensus.
    pub consensus_note: Option<&'a str>,
}

fn given(s: Option<&str>) -> bool {
    s.is_some_and(|s| !s.trim().is_empty())
}

impl Profile {
    /// Checks a public share (per mille, 0–1000) against the coverage rule; `field` is the
    /// input that carried it. Without a coverage rule every share is accepted.
    pub fn check_public_share(
        &self,
        share: Option<i64>,
        exemption: Option<&str>,
        field: &str,
    ) -> Result<(), Refusal> {
        let Some(c) = &self.coverage else { return Ok(()) };
        let Some(share) = share else {
            return Err(Refusal::new(
                &c.rule,
                "declare the public share of the picture (per mille), or give the public-space polygon",
            ).key("cov_declare")
            .at(field));
        };
        let at_least = |[n, d]: [u32; 2]| share * i64::from(d) >= i64::from(n) * 1000;
        let pct = share as f64 / 10.0;
        let [en, ed] = c.exemption_min_public_share;
        if !at_least(c.exemption_min_public_share) {
            return Err(Refusal::new(
                &c.rule,
                format!(
                    "public space is {pct:.1} % of the picture; at least {en}/{ed} is required even with an exemption"
                ),
            ).key("cov_exempt_floor").with("pct", format!("{pct:.1}")).with("en", en).with("ed", ed)
            .at(field));
        }
        let [n, d] = c.min_public_share;
        if !at_least(c.min_public_share) && !given(exemption) {
            return Err(Refusal::new(
                &c.rule,
                format!(
                    "public space is {pct:.1} % of the picture; {n}/{d} is required, or {en}/{ed} with an exemption reason"
                ),
            ).key("cov_share").with("pct", format!("{pct:.1}")).with("n", n).with("d", d).with("en", en).with("ed", ed)
            .at("coverage_exemption"));
        }
        Ok(())
    }

    /// Checks a camera's coverage: its public share, and the consensus note where required.
    pub fn check_coverage(&self, cov: &Coverage<'_>, share_field: &str) -> Result<(), Refusal> {
        self.check_public_share(cov.public_share_permille, cov.exemption, share_field)?;
        if let Some(c) = &self.coverage
            && c.consensus_required
            && !given(cov.consensus_note)
        {
            return Err(Refusal::new(&c.rule, "record how local consensus was formed")
                .key("cov_consensus")
                .at("consensus_note"));
        }
        Ok(())
    }

    /// Whether taking a camera out of operation on `today` comes before the profile's minimum
    /// operation period (KAW-2.1.3: 「設置後5年間は運用する」) from its installation day; `Some`
    /// with the rule when it does (the decommissioning is allowed, flagged early). `None` where
    /// the profile sets no period, or the installation day is not a date.
    pub fn decommission_early(&self, installed: &str, today: Date) -> Option<&RuleId> {
        let c = self.coverage.as_ref()?;
        let years = c.minimum_operation_years?;
        let installed = installed.trim().parse::<Date>().ok()?;
        let until = installed.checked_add(jiff::Span::new().years(i64::from(years))).ok()?;
        (today < until).then_some(&c.rule)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // rule: KAW-2.1.3 — at least 2/3 public space, 1/2 with a reason, never less; consensus
    // recorded. Other cities state no such rule.
    #[test]
    fn kawaguchi_coverage() {
        let p = crate::profile::seed("kawaguchi").unwrap().unwrap();
        let cov = |share, exemption, consensus_note| Coverage {
            public_share_permille: share,
            exemption,
            consensus_note,
        };
        let ok = p.check_coverage(&cov(Some(667), None, Some("町内会で合意")), "share");
        assert!(ok.is_ok(), "{ok:?}");
        let e = p.check_coverage(&cov(Some(600), None, Some("合意")), "share").unwrap_err();
        assert_eq!(
            (e.rule.as_str(), e.field.as_deref()),
            ("KAW-2.1.3", Some("coverage_exemption"))
        );
        assert!(p.check_coverage(&cov(Some(600), Some("建物の形状"), Some("合意")), "s").is_ok());
        let e = p.check_coverage(&cov(Some(499), Some("建物"), Some("合意")), "share").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("share"));
        let e = p.check_coverage(&cov(None, None, Some("合意")), "public_area").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("public_area"));
        let e = p.check_coverage(&cov(Some(900), None, Some("  ")), "share").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("consensus_note"));
        let asa = crate::profile::seed("asahikawa").unwrap().unwrap();
        assert!(asa.check_coverage(&cov(None, None, None), "share").is_ok());
    }

    // rule: KAW-2.1.3 — operated five years from installation: a camera taken out before is
    // flagged early (the day itself is the first day allowed); other cities set no period.
    #[test]
    fn decommissioning_before_the_minimum_period_is_early() {
        let kaw = crate::profile::seed("kawaguchi").unwrap().unwrap();
        let day = |s: &str| s.parse::<Date>().unwrap();
        let early = kaw.decommission_early("2022-04-01", day("2027-03-31"));
        assert_eq!(early.map(RuleId::as_str), Some("KAW-2.1.3"));
        assert!(kaw.decommission_early("2022-04-01", day("2027-04-01")).is_none());
        // Installed on a leap day: five years on is the last day of February.
        assert!(kaw.decommission_early("2024-02-29", day("2029-02-27")).is_some());
        assert!(kaw.decommission_early("2024-02-29", day("2029-02-28")).is_none());
        assert!(kaw.decommission_early("not a date", day("2027-04-01")).is_none());
        let asa = crate::profile::seed("asahikawa").unwrap().unwrap();
        assert!(asa.decommission_early("2026-04-01", day("2026-12-05")).is_none());
    }
}
