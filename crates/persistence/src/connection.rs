//! Connections: the two backends behind one `DbConnection`, the URL that
//! picks one, and the pool's connection manager.
//!
//! The backend is chosen from the URL scheme (`sqlite://PATH`,
//! `postgres://…` or `postgresql://…`) by [`DatabaseUrl::parse`]; we never let
//! diesel guess, because a failed guess hides the driver's real reason.
//!
//! SQLite gets a read pool of `query_only` connections and a single write
//! connection (one writer is ~2.5x faster than several writers fighting over
//! the lock with busy-retry sleeps) that commits concurrent units of work in
//! groups ([`crate::writer`]). PostgreSQL gets one pool that
//! serves both. `test_on_check_out` is off (it costs a round trip per
//! checkout); a connection that fails with a connection-level error is marked
//! broken and dropped by the pool when it is returned instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{PgConnection, SqliteConnection};

/// One connection type over both backends; all query code is written against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A parsed database URL. `Display` never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://followup.db` (relative) or `sqlite:///var/lib/followup/followup.db` (absolute).
    Sqlite { path: PathBuf },
    /// `postgres://user:password@host:port/database?…`
    Postgres { url: String, redacted: String },
}

/// Why a configured database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("{0}")]
    Connect(String),
    #[error("migrations failed on {database}: {reason}")]
    Migrate { database: String, reason: String },
}

impl DatabaseUrl {
    /// Parse a `FOLLOWUP_DATABASE_URL`. Unknown schemes are refused with the
    /// list of supported ones.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        if let Some(rest) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
            if rest.is_empty() {
                return Err(ConfigError::InvalidUrl(
                    "`sqlite://` needs a file path, e.g. sqlite://followup.db".into(),
                ));
            }
            return Ok(DatabaseUrl::Sqlite { path: PathBuf::from(rest) });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let mut parsed = url::Url::parse(raw)
                .map_err(|e| ConfigError::InvalidUrl(format!("malformed PostgreSQL URL: {e}")))?;
            if parsed.host_str().is_none_or(str::is_empty) && !parsed.query_pairs().any(|(k, _)| k == "host")
            {
                return Err(ConfigError::InvalidUrl("PostgreSQL URL has no host".into()));
            }
            // Fail fast on an unreachable host instead of waiting for the OS TCP timeout.
            if !parsed.query_pairs().any(|(k, _)| k == "connect_timeout") {
                parsed.query_pairs_mut().append_pair("connect_timeout", "5");
            }
            let mut redacted = parsed.clone();
            if redacted.password().is_some() {
                let _ = redacted.set_password(Some("***"));
            }
            redacted.set_query(None);
            return Ok(DatabaseUrl::Postgres { url: parsed.to_string(), redacted: redacted.to_string() });
        }
        let scheme = raw.split("://").next().unwrap_or(raw);
        Err(ConfigError::InvalidUrl(format!(
            "unsupported scheme in `{scheme}://…`; use sqlite://PATH or postgres://USER@HOST/DB"
        )))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite { .. } => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres { redacted, .. } => f.write_str(redacted),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Connections in the PostgreSQL pool, or in the SQLite read pool.
    pub max_connections: u32,
    /// How long a request waits for a connection before answering 503.
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self { max_connections: 16, connection_timeout: Duration::from_secs(2) }
    }
}

/// A connection as the pool holds it: the connection and whether it has
/// failed at the connection level (then the pool drops it on return).
pub struct ManagedConnection {
    pub(crate) conn: DbConnection,
    pub(crate) broken: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(pub(crate) String);

#[derive(Debug, Clone)]
pub(crate) struct Manager {
    pub(crate) url: DatabaseUrl,
    pub(crate) read_only: bool,
    pub(crate) queries: Arc<AtomicU64>,
}

/// Counts every statement a pooled connection starts, into the counter its
/// [`crate::Database`] shares between all its connections. A server process holds
/// one `Database`, so this is the process-wide count; keeping it per
/// `Database` lets several servers in one process (the black-box tests)
/// count apart.
///
/// It also times each statement: every one is logged at `debug` on the
/// target `followup::sql` (`FOLLOWUP_LOG=followup::sql=debug`), and one
/// slower than [`SLOW_STATEMENT`] at `warn`, with its SQL (bind values are
/// never logged).
struct QueryCounter(Arc<AtomicU64>, Option<std::time::Instant>);

/// A statement slower than this is logged as a warning.
const SLOW_STATEMENT: Duration = Duration::from_millis(500);

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                self.0.fetch_add(1, Ordering::Relaxed);
                self.1 = Some(std::time::Instant::now());
            }
            InstrumentationEvent::FinishQuery { query, .. } => {
                let Some(started) = self.1.take() else { return };
                let elapsed = started.elapsed();
                let ms = elapsed.as_secs_f64() * 1000.0;
                if elapsed >= SLOW_STATEMENT {
                    tracing::warn!(target: "followup::sql", ms, sql = %query, "slow statement");
                } else {
                    tracing::debug!(target: "followup::sql", ms, sql = %query, "statement");
                }
            }
            _ => {}
        }
    }
}

impl Manager {
    pub(crate) fn open(&self) -> Result<DbConnection, ConnectError> {
        let mut conn = self.open_uncounted()?;
        conn.set_instrumentation(QueryCounter(self.queries.clone(), None));
        Ok(conn)
    }

    fn open_uncounted(&self) -> Result<DbConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Postgres { url, redacted } => {
                let mut conn = PgConnection::establish(url).map_err(|e| {
                    ConnectError(format!(
                        "cannot connect to PostgreSQL at {redacted}: {}",
                        connect_reason(&e)
                    ))
                })?;
                // No JIT: PostgreSQL compiles any statement it estimates as
                // expensive, a programme's monitoring reads among them, and
                // the compiling (about 200 ms each time, never reused) cost
                // more than the statements themselves.
                conn.batch_execute("SET jit = off").map_err(|e| {
                    ConnectError(format!("cannot configure the PostgreSQL session at {redacted}: {e}"))
                })?;
                Ok(DbConnection::Postgres(conn))
            }
            DatabaseUrl::Sqlite { path } => {
                let mut conn = open_sqlite(path)?;
                // busy_timeout first: the pragmas after it may already need the lock.
                // temp_store: the savepoint journals of group commits (and
                // any temporary b-tree) stay in memory instead of temp files.
                // A read connection keeps a 512 KiB page cache instead of
                // SQLite's 2 MiB: the pool has up to FOLLOWUP_DB_POOL_SIZE of
                // them, their caches filled up to 32 MiB of private copies of
                // pages the kernel's page cache holds anyway (a 5-minute soak
                // grew the RSS by 23%, most of it this).
                let pragmas = format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA query_only = {}; \
                     PRAGMA cache_size = {};",
                    if self.read_only { "ON" } else { "OFF" },
                    if self.read_only { -512 } else { -2000 }
                );
                conn.batch_execute(&pragmas).map_err(|e| {
                    ConnectError(format!("cannot configure SQLite database {}: {e}", path.display()))
                })?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

fn connect_reason(e: &ConnectionError) -> String {
    match e {
        ConnectionError::BadConnection(msg) => msg.trim().replace('\n', " "),
        other => other.to_string(),
    }
}

fn open_sqlite(path: &Path) -> Result<SqliteConnection, ConnectError> {
    let shown = path.display();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(ConnectError(format!(
                "cannot open SQLite database {shown}: directory {} does not exist",
                dir.display()
            )));
        }
    }
    if path.is_dir() {
        return Err(ConnectError(format!("cannot open SQLite database {shown}: it is a directory")));
    }
    let as_str = path
        .to_str()
        .ok_or_else(|| ConnectError(format!("cannot open SQLite database {shown}: path is not UTF-8")))?;
    SqliteConnection::establish(as_str)
        .map_err(|e| ConnectError(format!("cannot open SQLite database {shown}: {}", connect_reason(&e))))
}

impl ManageConnection for Manager {
    type Connection = ManagedConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<ManagedConnection, ConnectError> {
        self.open().map(|conn| ManagedConnection { conn, broken: false })
    }

    fn is_valid(&self, conn: &mut ManagedConnection) -> Result<(), ConnectError> {
        conn.conn.batch_execute("SELECT 1").map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut ManagedConnection) -> bool {
        conn.broken || std::thread::panicking()
    }
}

#[derive(Debug)]
pub(crate) struct TracingErrorHandler;

impl r2d2::HandleError<ConnectError> for TracingErrorHandler {
    fn handle_error(&self, error: ConnectError) {
        tracing::warn!(%error, "database connection failed");
    }
}

/// True when an error means the connection itself is gone.
pub(crate) fn is_connection_loss(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | DieselError::BrokenTransactionManager
    )
}
