//! Request and response bodies. Not entities: each converts from the domain explicitly.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

mod auth;
mod catalog;
mod library;
mod me;
mod search;

// One flat namespace for handlers and the OpenAPI document; each body lives in the module
// named for its resource.
pub use auth::*;
pub use catalog::*;
pub use library::*;
pub use me::*;
pub use search::*;

/// RFC 3339 in UTC with milliseconds and a `Z`, as docs/api.md promises.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A whitelisted string enum: its wire names are listed once, and serde and the OpenAPI
/// schema (`enum: [...]`) both come from them. Deserializing reads a string first, so a value of
/// another JSON type is a type error like any other, and an unknown string is serde's "unknown
/// variant" error, which the extractors turn into a 422 naming the field.
macro_rules! api_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:tt),+ $(,)? }
    ) => {
        // The derive goes first: `#[schema]` in `$meta` is its helper attribute. `$wire` is a
        // `tt`, not a `literal`: utoipa does not read a literal wrapped in a macro group.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in the order of the schema.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }

            /// The value with this wire name.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&s, &[$($wire),+]))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use api_enum;

/// A value read back from the database that only ever stores whitelisted values; a stray one
/// (hand-edited row) is logged and shown as `fallback` rather than failing the whole answer.
pub(crate) fn stored<T: Copy>(
    parse: fn(&str) -> Option<T>,
    field: &str,
    value: &str,
    fallback: T,
) -> T {
    parse(value).unwrap_or_else(|| {
        tracing::warn!(
            field,
            value,
            "unexpected stored value; answered with the default"
        );
        fallback
    })
}

/// An instant in UTC: RFC 3339 with milliseconds and a `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&rfc3339(self.0))
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 in UTC, with milliseconds"))
            .examples([serde_json::json!("2026-11-22T03:00:00.000Z")])
            .into()
    }
}

impl ToSchema for Timestamp {}
