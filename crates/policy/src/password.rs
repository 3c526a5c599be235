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
}
