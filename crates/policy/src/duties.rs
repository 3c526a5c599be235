//! Recurring duties whose interval no seed states (product readings).

/// rule: PROD-SIGNAGE-1 — a site's sign (ASA-3.2b, KIT-4.2, KAW-2.2.1, NIS-4.2) is checked at
/// least every this many days; an unchecked sign is someone's task after that.
pub const SIGNAGE_CHECK_DAYS: i64 = 180;

/// rule: PROD-AUTH-2 — a password due for rotation is announced this many days before.
pub const PASSWORD_NOTICE_DAYS: i64 = 14;

/// Whether a sign checked (or put up) at `checked_ms` is due for a check at `now_ms`.
pub fn signage_check_due(checked_ms: i64, now_ms: i64) -> bool {
    now_ms - checked_ms > SIGNAGE_CHECK_DAYS * 86_400_000
}

#[cfg(test)]
mod tests {
    // rule: PROD-SIGNAGE-1
    #[test]
    fn a_sign_is_due_after_half_a_year() {
        let day = 86_400_000;
        assert!(!super::signage_check_due(0, 180 * day));
        assert!(super::signage_check_due(0, 180 * day + 1));
    }
}
