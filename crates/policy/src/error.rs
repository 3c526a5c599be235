//! The crate's error type for inputs that do not parse.

/// An input the policy crate cannot interpret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not an RFC 3339 timestamp with an offset.
    #[error(
        "{input:?} is not an RFC 3339 timestamp with an offset (e.g. 2026-11-23T10:00:00+09:00): {reason}"
    )]
    BadTimestamp {
        /// What was given.
        input: String,
        /// What the parser said.
        reason: String,
    },
    /// No such profile.
    #[error(
        "unknown profile {0:?}; known: asahikawa, kawaguchi, kitakyushu, saku, nishiyodogawa (or give a path to a .toml file)"
    )]
    UnknownProfile(String),
}

/// A stored name (a state, a kind) that names nothing mimamori knows: a row written by something
/// else, refused when it is read rather than taken for some default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    /// What it should have named (`request state`, `organisation kind`…).
    pub what: &'static str,
    /// The stored name.
    pub name: String,
}

impl UnknownName {
    /// The one of `all` whose stored name (`as_str`) is `name`; else the error naming it as a
    /// `what`. One lookup for every enum a row decodes from its stored name.
    pub fn pick<T: Copy>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        what: &'static str,
        name: String,
    ) -> Result<T, UnknownName> {
        all.iter().copied().find(|t| as_str(*t) == name).ok_or(UnknownName { what, name })
    }
}

#[cfg(test)]
mod tests {
    use super::UnknownName;
    use crate::workflow::RequestKind;

    #[test]
    fn a_stored_name_picks_its_variant_or_is_named_in_the_error() {
        let all = [RequestKind::Request, RequestKind::Internal];
        let pick = |n: &str| UnknownName::pick(&all, RequestKind::as_str, "request kind", n.into());
        assert_eq!(pick("internal"), Ok(RequestKind::Internal));
        let e = pick("Internal").unwrap_err();
        assert_eq!(e.to_string(), "unknown request kind \"Internal\"");
    }
}
