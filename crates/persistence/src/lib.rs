//! followup-persistence: the diesel schema, the pools, the embedded migrations
//! and the repository implementations, over SQLite and PostgreSQL through one
//! `MultiConnection`.

/// Run `$body` with `$c` bound to `$conn`'s concrete connection (SQLite or
/// PostgreSQL), for the statements on the hot paths.
///
/// Through the multi-connection a statement has no static query id, so every
/// execution writes its SQL text to find it in the statement cache; on the
/// concrete connection it is found by its Rust type. The body is compiled
/// once per backend.
macro_rules! with_backend_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::connection::DbConnection::Postgres($c) => $body,
            $crate::connection::DbConnection::Sqlite($c) => $body,
        }
    };
}

pub mod bulk;
mod cached;
pub mod connection;
pub mod database;
pub mod error;
pub mod migrations;
pub mod repo;
pub mod schema;
pub mod sql_types;
mod writer;

pub use connection::{Backend, ConfigError, DatabaseUrl, DbConnection, PoolOptions};
pub use database::{Database, PoolState};
pub use error::StoreError;

/// The current instant at the precision both backends store (microseconds),
/// so a value returned right after a write equals the one read back later.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Today's date in an IANA time zone (an unknown zone counts as Asia/Jakarta).
pub fn today_in(time_zone: &str) -> chrono::NaiveDate {
    followup_domain::monitoring::today_in(time_zone, now())
}
