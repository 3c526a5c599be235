//! What makes a new password acceptable (PROD-AUTH-3; ASVS 4.0 V2.1.1, V2.1.7).
//!
//! At least 12 characters, not the login, not a common password: not one of the 10 000 most
//! common passwords (`data/common-passwords.txt`, from zxcvbn), nor one of them with only digits
//! or punctuation added around it (`password2026!`), nor a single character or a short unit
//! repeated (`abcabcabcabc`), nor a run up or down the alphabet or the digits (`123456789012`).
//! Whether a new password repeats an earlier one is the server's (it holds the hashes).

use crate::rule::RuleId;
use crate::workflow::Refusal;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The rule behind these checks.
pub const RULE: &str = "PROD-AUTH-3";

/// The shortest password accepted.
pub const MIN_CHARS: usize = 12;

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

fn refuse(key: &'static str, message: &str) -> Refusal {
    Refusal::new(&RuleId::new(RULE), message).key(key).at("new_password")
}

/// Checks a new password for `login`.
pub fn check_new(login: &str, new: &str) -> Result<(), Refusal> {
    if new.chars().count() < MIN_CHARS {
        return Err(refuse("password_short", "a password needs at least 12 characters"));
    }
    let lower = new.to_lowercase();
    if lower == login.to_lowercase() || lower.contains(&login.to_lowercase()) && login.len() >= 4 {
        return Err(refuse("password_login", "the password must not contain the login name"));
    }
    // The common password inside, once digits and punctuation around it are taken off.
    let core = lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    if common().contains(lower.as_str()) || (core.chars().count() >= 4 && common().contains(core)) {
        return Err(refuse(
            "password_common",
            "this password is one of the most commonly used ones (or one with digits added): choose another",
        ));
    }
    let chars: Vec<char> = lower.chars().collect();
    let repeated = (1..=4).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit])
    });
    // A run up or down, digits wrapping round (`…7890123`).
    let run = |step: i64| {
        chars.windows(2).all(|w| {
            let d = w[1] as i64 - w[0] as i64;
            d == step || (w[0].is_ascii_digit() && w[1].is_ascii_digit() && d == -9 * step)
        })
    };
    if repeated || run(1) || run(-1) {
        return Err(refuse(
            "password_pattern",
            "a password made of one pattern repeated or a run of characters is easy to guess",
        ));
    }
    Ok(())
}

/// A day of a password's age: its rotation interval counts whole 24-hour days from the
/// change (not calendar days: a password changed at 15:00 expires at 15:00).
const DAY: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

impl crate::profile::Profile {
    /// When a password changed at `changed` must be changed again (ASA-3.2c, NIS-3.3.1: the
    /// profile's rotation interval).
    pub fn password_due_at(&self, changed: jiff::Timestamp) -> jiff::Timestamp {
        let days = i64::from(self.accounts.password_rotation_days);
        changed.saturating_add(DAY * days as i32).unwrap_or(changed)
    }

    /// Whether a password changed at `changed` has expired at `now`.
    pub fn password_expired(&self, changed: jiff::Timestamp, now: jiff::Timestamp) -> bool {
        now >= self.password_due_at(changed)
    }

    /// Whether the rotation of a password changed at `changed` is announced at `now`: within
    /// the notice period before it is due, or past due (PROD-AUTH-2).
    pub fn password_rotation_announced(
        &self,
        changed: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> bool {
        let notice = DAY * crate::duties::PASSWORD_NOTICE_DAYS as i32;
        now >= self.password_due_at(changed).saturating_sub(notice).unwrap_or(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // rule: PROD-AUTH-3
    #[test]
    fn common_and_patterned_passwords_are_refused() {
        for bad in [
            "short-pw",
            "123qweasdzxc",
            "Password2026!",
            "!!dragon123456",
            "aaaaaaaaaaaa",
            "abcabcabcabc",
            "123456789012",
            "zyxwvutsrqpo",
            "tanaka-2026-tanaka",
        ] {
            let Err(r) = check_new("tanaka", bad) else { panic!("{bad} was accepted") };
            assert_eq!(r.rule.as_str(), RULE, "{bad}");
        }
        for good in [
            "correct horse battery staple",
            "駅前の桜は毎年三月の末に咲く",
            "a-long-enough-password-1",
        ] {
            assert!(check_new("tanaka", good).is_ok(), "{good}");
        }
        assert!(common().len() >= 9_000);
    }

    // rule: ASA-3.2c — the password is changed at the profile's interval (90 days in
    // Asahikawa), announced 14 days before (PROD-AUTH-2).
    #[test]
    fn a_password_expires_after_the_rotation_interval() {
        let asa = crate::profile::seed("asahikawa").unwrap().unwrap();
        let days = i64::from(asa.accounts.password_rotation_days);
        let changed: jiff::Timestamp = "2026-09-01T06:00:00Z".parse().unwrap();
        let due = asa.password_due_at(changed);
        assert_eq!(due.duration_since(changed), jiff::SignedDuration::from_hours(24 * days));
        let before = due.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap();
        assert!(!asa.password_expired(changed, before));
        assert!(asa.password_expired(changed, due));
        let notice = jiff::SignedDuration::from_hours(24 * crate::duties::PASSWORD_NOTICE_DAYS);
        let announced = due.checked_sub(notice).unwrap();
        assert!(asa.password_rotation_announced(changed, announced));
        let earlier = announced.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap();
        assert!(!asa.password_rotation_announced(changed, earlier));
    }
}
