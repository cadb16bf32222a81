//! The embedded migrations, one tree per backend with the same version names.

use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::connection::DbConnection;

pub const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Key of the PostgreSQL advisory lock that serialises concurrent start-ups
/// (two replicas starting together must not both migrate).
const MIGRATION_LOCK: i64 = 0x466f_6c6c_6f77_7570; // "Followup"

/// Apply every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    fn names(applied: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
        applied.into_iter().map(|v| v.to_string()).collect()
    }
    match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map(names).map_err(|e| e.to_string()),
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| e.to_string())?;
            let result = c.run_pending_migrations(POSTGRES).map(names).map_err(|e| e.to_string());
            let unlock = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            let applied = result?;
            unlock.map_err(|e| e.to_string())?;
            Ok(applied)
        }
    }
}
