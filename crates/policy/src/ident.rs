//! Identifiers that reach a file system or a URL path: camera codes.
//!
//! rule: PROD-IDENT-1 — a camera code names directories on every recorder node
//! (`segments/<code>/<day>/`) and parts of package names, so it is limited to a safe set:
//! 1–32 ASCII letters, digits, `-` and `_`, beginning with a letter or digit. `..`, `/`, `\`,
//! NUL, spaces and non-ASCII never reach a path.

/// The longest camera code.
pub const MAX_CODE_LEN: usize = 32;

/// Why a camera code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Empty.
    #[error("must not be empty")]
    Empty,
    /// Longer than the maximum (given).
    #[error("is too long ({0} characters at most)")]
    TooLong(usize),
    /// A character outside ASCII letters, digits, `-` and `_`.
    #[error("may contain only ASCII letters, digits, '-' and '_'")]
    Characters,
    /// Does not begin with a letter or digit.
    #[error("must begin with a letter or a digit")]
    Start,
}

/// Checks a camera code (PROD-IDENT-1); the error says what is wrong.
pub fn check_camera_code(code: &str) -> Result<(), CodeError> {
    if code.is_empty() {
        return Err(CodeError::Empty);
    }
    if code.len() > MAX_CODE_LEN {
        return Err(CodeError::TooLong(MAX_CODE_LEN));
    }
    if !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(CodeError::Characters);
    }
    if !code.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(CodeError::Start);
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
