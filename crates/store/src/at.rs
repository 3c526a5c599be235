//! [`At`]: an instant as the store keeps it.

use jiff::Timestamp;
use sqlx::any::{Any, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// An instant as the store keeps it — UTC milliseconds in an INTEGER column, so the SQL stays the
/// same on both databases — read as a [`jiff::Timestamp`] (`*at`, or [`At::ms`] for the stored
/// number). A stored value jiff cannot represent is a decoding error, never taken as another
/// instant.
///
/// Rows hold `At` (and `Option<At>`) rather than raw `i64` so that a time cannot be mistaken for
/// an id or a count, and every reader formats it through `policy::jst`. It serialises as the
/// stored milliseconds, so the shapes rows already had on the node link and in audit details do
/// not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At(pub Timestamp);

impl At {
    /// The instant of stored UTC milliseconds, or `None` outside jiff's range.
    pub fn from_ms(ms: i64) -> Option<At> {
        Timestamp::from_millisecond(ms).ok().map(At)
    }

    /// The instant of milliseconds computed or reported elsewhere (a recorder's range, a node's
    /// report), held to jiff's range: a value outside it (beyond the year 9999) is no real
    /// instant and is kept as the nearest representable one rather than dropped.
    pub fn saturating(ms: i64) -> At {
        At(Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        }))
    }

    /// The stored form: UTC milliseconds since the Unix epoch.
    pub fn ms(self) -> i64 {
        self.0.as_millisecond()
    }
}

impl std::ops::Deref for At {
    type Target = Timestamp;
    fn deref(&self) -> &Timestamp {
        &self.0
    }
}

impl From<Timestamp> for At {
    fn from(t: Timestamp) -> At {
        At(t)
    }
}

impl From<At> for Timestamp {
    fn from(at: At) -> Timestamp {
        at.0
    }
}

impl serde::Serialize for At {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_i64(self.ms())
    }
}

impl<'de> serde::Deserialize<'de> for At {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<At, D::Error> {
        let ms = i64::deserialize(d)?;
        At::from_ms(ms).ok_or_else(|| {
            serde::de::Error::custom(format!("{ms} ms is not a representable instant"))
        })
    }
}

impl Type<Any> for At {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl Encode<'_, Any> for At {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'_, Any>>::encode_by_ref(&self.ms(), buf)
    }
}

impl<'r> Decode<'r, Any> for At {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<At, BoxDynError> {
        let ms = <i64 as Decode<'r, Any>>::decode(value)?;
        At::from_ms(ms).ok_or_else(|| format!("stored instant {ms} ms is out of range").into())
    }
}

#[cfg(test)]
mod tests {
    use super::At;

    #[test]
    fn keeps_milliseconds_and_refuses_the_unrepresentable() {
        let at = At::from_ms(1_796_000_000_123).unwrap();
        assert_eq!(at.ms(), 1_796_000_000_123);
        assert_eq!(serde_json::to_string(&at).unwrap(), "1796000000123");
        assert_eq!(serde_json::from_str::<At>("1796000000123").unwrap(), at);
        assert!(At::from_ms(i64::MAX).is_none());
        assert!(serde_json::from_str::<At>(&i64::MAX.to_string()).is_err());
    }
}
