//! Identifiers that reach a file system or a URL path: camera codes.
//!
//! rule: PROD-IDENT-1 — a camera code names directories on every recorder node
//! (`segments/<code>/<day>/`) and parts of package names, so it is limited to a safe set:
//! 1–32 ASCII letters, digits, `-` and `_`, beginning with a letter or digit. `..`, `/`, `\`,
//! NUL, spaces and non-ASCII never reach a path.

/// The longest camera code.
pub const MAX_CODE_LEN: usize = 32;

/// Checks a camera code (PROD-IDENT-1); the error says what is wrong, in words for the form.
pub fn check_camera_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("must not be empty".into());
    }
    if code.len() > MAX_CODE_LEN {
        return Err(format!("is too long ({MAX_CODE_LEN} characters at most)"));
    }
    if !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err("may contain only ASCII letters, digits, '-' and '_'".into());
    }
    if !code.as_bytes()[0].is_ascii_alphanumeric() {
        return Err("must begin with a letter or a digit".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_camera_code;

    // rule: PROD-IDENT-1
    #[test]
    fn camera_codes_that_could_leave_a_directory_are_refused() {
        for good in ["cam1", "S1-N", "KIT_0042", "a"] {
            assert_eq!(check_camera_code(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "../../escaped-cam",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "-x",
            "_x",
            "cam 1",
            "カメラ1",
            "cam\0",
            "c".repeat(33).as_str(),
        ] {
            assert!(check_camera_code(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
