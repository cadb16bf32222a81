//! followup-persistence: the diesel schema, the pools, the embedded migrations
//! and the repository implementations, over SQLite and PostgreSQL through one
//! `MultiConnection`.

pub mod bulk;
pub mod connection;
pub mod error;
pub mod migrations;
pub mod repo;
pub mod schema;
pub mod sql_types;
mod writer;

pub use connection::{Backend, ConfigError, Database, DatabaseUrl, DbConnection, PoolOptions, PoolState};
pub use error::StoreError;

/// The current instant at the precision both backends store (microseconds),
/// so a value returned right after a write equals the one read back later.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
