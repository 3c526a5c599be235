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

/// Declares the names a unit enum is stored and spoken by — in database rows, the API and
/// profile files — once, with the enum: `ALL` (every value, in the order given), `as_str`,
/// `parse`, `Display` and `TryFrom<String>` for rows (`#[sqlx(try_from = "String")]`; a name it
/// does not have is an [`UnknownName`] naming `$what`). The names are the variants' serde
/// names (`snake_case`); each enum's test checks they agree ([`serde_names_agree`]).
///
/// ```
/// #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
/// #[serde(rename_all = "snake_case")]
/// pub enum Light { Red, AmberFlashing }
/// policy::stored_names!(Light, "light", { Red => "red", AmberFlashing => "amber_flashing" });
/// assert_eq!(Light::parse("amber_flashing"), Some(Light::AmberFlashing));
/// assert_eq!(Light::Red.to_string(), "red");
/// assert_eq!(Light::try_from("blue".to_owned()).unwrap_err().to_string(), "unknown light \"blue\"");
/// ```
#[macro_export]
macro_rules! stored_names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order declared.
            pub const ALL: [$ty; { let names: &[&str] = &[$($name),+]; names.len() }] =
                [$($ty::$variant),+];

            /// The stored name (what rows hold and the API says).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }

            /// The value a stored name names; `None` for a name it does not have.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::convert::TryFrom<String> for $ty {
            type Error = $crate::UnknownName;
            fn try_from(name: String) -> Result<Self, $crate::UnknownName> {
                Self::parse(&name).ok_or($crate::UnknownName { what: $what, name })
            }
        }
    };
}

/// Whether every value's stored name (`as_str`) is its serde name: the two ways a name leaves
/// the program must not drift apart. For each enum's test.
pub fn serde_names_agree<T: serde::Serialize + Copy + std::fmt::Debug>(
    all: &[T],
    as_str: fn(T) -> &'static str,
) -> Result<(), String> {
    for v in all {
        // (A unit variant serialises as its name in any format; TOML's value is at hand here.)
        let said = toml::Value::try_from(v).map_err(|e| e.to_string())?;
        if said.as_str() != Some(as_str(*v)) {
            return Err(format!("{v:?} is stored as {:?} but serialised as {said}", as_str(*v)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::serde_names_agree;
    use crate::camera_store::AgeVerdict;
    use crate::emergency::OrderState;
    use crate::profile::OrgKind;
    use crate::retention::Counting;
    use crate::workflow::{RequestKind, RequestState};

    #[test]
    fn a_stored_name_picks_its_variant_or_is_named_in_the_error() {
        assert_eq!(RequestKind::try_from("internal".to_owned()), Ok(RequestKind::Internal));
        let e = RequestKind::try_from("Internal".to_owned()).unwrap_err();
        assert_eq!(e.to_string(), "unknown request kind \"Internal\"");
        assert_eq!(RequestState::ALL.len(), 9);
        assert_eq!(RequestState::parse("reported"), Some(RequestState::Reported));
    }

    #[test]
    fn stored_names_are_the_serde_names() {
        serde_names_agree(&RequestKind::ALL, RequestKind::as_str).unwrap();
        serde_names_agree(&RequestState::ALL, RequestState::as_str).unwrap();
        serde_names_agree(&OrderState::ALL, OrderState::as_str).unwrap();
        serde_names_agree(&OrgKind::ALL, OrgKind::as_str).unwrap();
        serde_names_agree(&AgeVerdict::ALL, AgeVerdict::as_str).unwrap();
        serde_names_agree(&Counting::ALL, Counting::as_str).unwrap();
    }
}
