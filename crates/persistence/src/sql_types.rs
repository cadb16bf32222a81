//! Column types that differ between the two backends.
//!
//! * [`DbUuid`]: native `uuid` on PostgreSQL, `TEXT` (hyphenated, lower case) on SQLite.
//! * [`Instant`]: `timestamptz` on PostgreSQL, `TEXT` on SQLite written as a
//!   fixed-width RFC 3339 UTC string (`2026-11-28T08:30:00.000000Z`), so that
//!   text order is time order and indexes on it sort correctly.
//!
//! Both have `ToSql`/`FromSql` for `Pg`, `Sqlite` and the multi-connection
//! backend, on the wrappers [`DbId`] and [`DbTime`] (the orphan rules forbid
//! diesel's expression traits on `uuid::Uuid` and `DateTime<Utc>` themselves).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, Text, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};

use crate::connection::MultiBackend;

/// A UUID column.
#[derive(Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "uuid"))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DbUuid;

/// A point in time, always UTC.
#[derive(Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "timestamptz"))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Instant;

/// A UUID as stored: the Rust side of [`DbUuid`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = DbUuid)]
pub struct DbId(pub uuid::Uuid);

/// An instant as stored: the Rust side of [`Instant`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = Instant)]
pub struct DbTime(pub DateTime<Utc>);

impl From<uuid::Uuid> for DbId {
    fn from(id: uuid::Uuid) -> Self {
        DbId(id)
    }
}

impl From<DateTime<Utc>> for DbTime {
    fn from(at: DateTime<Utc>) -> Self {
        DbTime(at)
    }
}

/// The impls both column types share: on PostgreSQL `$wrapper` is its
/// `$inner` value as the native `$pg` type; through the multi-connection it
/// goes to whichever backend is connected. (The SQLite text forms differ,
/// so each type writes its own.)
macro_rules! native_on_pg_and_multi {
    ($sql:ident, $wrapper:ident, $inner:ty, $pg:ty) => {
        impl ToSql<$sql, Pg> for $wrapper {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <$inner as ToSql<$pg, Pg>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<$sql, Pg> for $wrapper {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                <$inner as FromSql<$pg, Pg>>::from_sql(bytes).map($wrapper)
            }
        }

        impl HasSqlType<$sql> for MultiBackend {
            fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
                MultiBackend::lookup_sql_type::<$sql>(lookup)
            }
        }

        impl ToSql<$sql, MultiBackend> for $wrapper {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value(($sql, self));
                Ok(IsNull::No)
            }
        }

        impl FromSql<$sql, MultiBackend> for $wrapper {
            fn from_sql(
                bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                bytes.from_sql::<$wrapper, $sql>()
            }
        }
    };
}

// ---- DbUuid -----------------------------------------------------------------

native_on_pg_and_multi!(DbUuid, DbId, uuid::Uuid, diesel::sql_types::Uuid);

impl ToSql<DbUuid, Sqlite> for DbId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<DbUuid, Sqlite> for DbId {
    fn from_sql(bytes: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
        Ok(DbId(uuid::Uuid::parse_str(&text)?))
    }
}

// ---- Instant ----------------------------------------------------------------

/// The SQLite text form of an instant: fixed width, microseconds, `Z`.
pub fn instant_to_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn instant_from_text(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => Ok(at.with_timezone(&Utc)),
        // Accept SQLite's own `CURRENT_TIMESTAMP` form too ("YYYY-MM-DD HH:MM:SS").
        Err(e) => NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .map(|naive| naive.and_utc())
            .map_err(|_| e),
    }
}

native_on_pg_and_multi!(Instant, DbTime, DateTime<Utc>, Timestamptz);

impl ToSql<Instant, Sqlite> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(instant_to_text(&self.0));
        Ok(IsNull::No)
    }
}

impl FromSql<Instant, Sqlite> for DbTime {
    fn from_sql(bytes: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
        Ok(DbTime(instant_from_text(&text)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instant_text_is_fixed_width_and_round_trips() {
        let early = Utc.with_ymd_and_hms(2023, 5, 1, 9, 0, 0).single().unwrap_or_default();
        let late = early + chrono::Duration::microseconds(1_500_001);
        let (a, b) = (instant_to_text(&early), instant_to_text(&late));
        assert_eq!(a, "2023-05-01T09:00:00.000000Z");
        assert_eq!(a.len(), b.len());
        assert!(a < b, "text order must be time order");
        assert_eq!(instant_from_text(&b).ok(), Some(late));
        assert_eq!(
            instant_from_text("2023-05-01 09:00:00").ok(),
            Some(early),
            "SQLite CURRENT_TIMESTAMP form is read too"
        );
    }
}
