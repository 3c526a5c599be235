//! Camera codes name directories on the recorder (PROD-IDENT-1): a property test over arbitrary
//! strings — whatever is accepted is a safe single path component, and every safe code is
//! accepted.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use policy::ident::check_camera_code;
use proptest::prelude::*;

fn safe(code: &str) -> bool {
    let b = code.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    // rule: PROD-IDENT-1 — anything, including separators, dots, NUL and non-ASCII.
    #[test]
    fn accepted_codes_are_single_safe_path_components(s in "\\PC{0,40}|[./\\\\A-Za-z0-9_\\-\u{0}]{0,40}") {
        let ok = check_camera_code(&s).is_ok();
        prop_assert_eq!(ok, safe(&s), "{:?}", s);
        if ok {
            let p = std::path::Path::new(&s);
            prop_assert_eq!(p.components().count(), 1);
            prop_assert!(!s.contains(".."));
        }
    }

    #[test]
    fn every_safe_code_is_accepted(s in "[A-Za-z0-9][A-Za-z0-9_-]{0,31}") {
        prop_assert!(check_camera_code(&s).is_ok(), "{:?}", s);
    }
}
