//! Typed columns over the types both backends share (ARCHITECTURE.md: ids are UUID text, JSON is
//! text): id newtypes, text enums and [`Json`], so repositories hand services typed rows and no
//! service parses a stored string.
//!
//! A type becomes a `TEXT` column by implementing [`TextColumn`] and invoking
//! [`text_column!`](crate::text_column), which writes the `FromSql`/`ToSql` impls for
//! PostgreSQL, SQLite and the multi-backend connection. A stored value that does not parse is a
//! deserialization error (a 500: the database holds something this build never wrote).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::error::ApiError;

/// Error type of a failed conversion from stored text.
pub type ParseError = Box<dyn std::error::Error + Send + Sync>;

/// A value stored as `TEXT`.
pub trait TextColumn: Sized {
    fn to_text(&self) -> Cow<'_, str>;
    fn from_text(text: String) -> Result<Self, ParseError>;
}

/// An enum whose wire, query-string and stored form is one name per variant.
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
            ::diesel::expression::AsExpression, ::diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = ::diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl $crate::ids::TextColumn for $name {
            fn to_text(&self) -> ::std::borrow::Cow<'_, str> {
                ::std::borrow::Cow::Borrowed(self.as_str())
            }

            fn from_text(text: String) -> Result<Self, $crate::ids::ParseError> {
                Self::parse(&text).ok_or_else(|| format!("unknown {} {text:?}", stringify!($name)).into())
            }
        }

        $crate::text_column!($name);
    };
}

/// Implements `FromSql<Text>` and `ToSql<Text>` on both backends and on `MultiBackend` for a
/// type that implements [`TextColumn`] and derives `AsExpression` and `FromSqlRow` with
/// `#[diesel(sql_type = Text)]`.
#[macro_export]
macro_rules! text_column {
    ($t:ident $(<$g:ident>)?) => {
        impl$(<$g: 'static>)? diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>
            for $t$(<$g>)?
        {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(value)?;
                <Self as $crate::ids::TextColumn>::from_text(text)
            }
        }

        impl$(<$g: 'static>)? diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>
            for $t$(<$g>)?
        {
            fn from_sql(
                value: <diesel::sqlite::Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::from_sql(value)?;
                <Self as $crate::ids::TextColumn>::from_text(text)
            }
        }

        impl$(<$g: 'static>)? diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $t$(<$g>)?
        {
            fn from_sql(
                value: <$crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                value.from_sql::<Self, diesel::sql_types::Text>()
            }
        }

        impl$(<$g: 'static>)? diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $t$(<$g>)? {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                use std::io::Write;
                out.write_all(<Self as $crate::ids::TextColumn>::to_text(self).as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl$(<$g: 'static>)? diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $t$(<$g>)? {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                match <Self as $crate::ids::TextColumn>::to_text(self) {
                    std::borrow::Cow::Borrowed(text) => out.set_value(text),
                    std::borrow::Cow::Owned(text) => out.set_value(text),
                }
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl$(<$g: 'static>)? diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend> for $t$(<$g>)? {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }
    };
}

/// Declares a UUID id stored as its hyphenated text.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = Text)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl TextColumn for $name {
            fn to_text(&self) -> Cow<'_, str> {
                Cow::Owned(self.0.to_string())
            }

            fn from_text(text: String) -> Result<Self, ParseError> {
                Ok(Self(Uuid::parse_str(&text)?))
            }
        }

        text_column!($name);
    };
}

uuid_id!(
    /// A user account.
    UserId
);
uuid_id!(
    /// A patient profile.
    PatientId
);
uuid_id!(
    /// An intake document.
    IntakeId
);
uuid_id!(
    /// One stored submission of an intake.
    SubmissionId
);
uuid_id!(
    /// One step of an intake's review history.
    ReviewId
);
uuid_id!(
    /// A sign-in session.
    SessionId
);
uuid_id!(
    /// A treatment course.
    CourseId
);
uuid_id!(
    /// One infusion session of a course (not to be confused with a sign-in [`SessionId`]).
    InfusionId
);
uuid_id!(
    /// A patient's check-in questionnaire within a course.
    CheckinId
);
uuid_id!(
    /// An invitation by link.
    InvitationId
);

/// A JSON document stored as text, typed by what it holds. It is kept as the stored text and
/// parsed only on demand: a read that passes a document through to the client never builds a
/// value tree for it.
#[derive(AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Json<T> {
    raw: Box<RawValue>,
    _holds: PhantomData<fn() -> T>,
}

impl<T> Json<T> {
    /// Wraps JSON text that is known to hold a `T` (e.g. a stripped copy of one).
    pub fn from_value(value: &serde_json::Value) -> Result<Self, ApiError> {
        let raw = serde_json::value::to_raw_value(value).map_err(ApiError::internal)?;
        Ok(Self {
            raw,
            _holds: PhantomData,
        })
    }

    /// The stored text, unparsed.
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    pub fn into_raw(self) -> Box<RawValue> {
        self.raw
    }
}

impl<T: Serialize> Json<T> {
    pub fn new(value: &T) -> Result<Self, ApiError> {
        let raw = serde_json::value::to_raw_value(value).map_err(ApiError::internal)?;
        Ok(Self {
            raw,
            _holds: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// The document, parsed. A stored document that does not parse is a 500.
    pub fn get(&self) -> Result<T, ApiError> {
        serde_json::from_str(self.raw.get()).map_err(ApiError::internal)
    }
}

impl<T> Clone for Json<T> {
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
            _holds: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Json<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Documents hold patient answers: never print them.
        write!(f, "Json({} bytes)", self.raw.get().len())
    }
}

impl<T> PartialEq for Json<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl<T> Serialize for Json<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for Json<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self {
            raw: Box::<RawValue>::deserialize(d)?,
            _holds: PhantomData,
        })
    }
}

impl<T> TextColumn for Json<T> {
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.raw.get())
    }

    fn from_text(text: String) -> Result<Self, ParseError> {
        Ok(Self {
            raw: RawValue::from_string(text)?,
            _holds: PhantomData,
        })
    }
}

text_column!(Json<T>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_uuid_text() {
        let id = IntakeId::new();
        assert_eq!(id.to_text(), id.0.to_string());
        assert_eq!(IntakeId::from_text(id.0.to_string()).unwrap(), id);
        assert!(IntakeId::from_text("not-a-uuid".into()).is_err());
        assert_eq!(serde_json::to_value(id).unwrap(), serde_json::json!(id.0.to_string()));
    }

    #[test]
    fn json_keeps_its_text_and_parses_on_demand() {
        let doc: Json<Vec<u8>> = Json::from_text("[1, 2,3]".into()).unwrap();
        assert_eq!(doc.raw().get(), "[1, 2,3]");
        assert_eq!(doc.get().unwrap(), vec![1, 2, 3]);
        assert!(Json::<Vec<u8>>::from_text("[1,".into()).is_err());
        assert_eq!(serde_json::to_string(&doc).unwrap(), "[1, 2,3]");
        assert_eq!(format!("{doc:?}"), "Json(8 bytes)");
        let wrong: Json<Vec<u8>> = Json::from_text("{\"a\": 1}".into()).unwrap();
        assert!(wrong.get().is_err());
    }
}
