//! The database a process uses: its pools (SQLite: a read pool and the
//! single group-committing writer, [`crate::writer`]; PostgreSQL: one pool)
//! and the unit-of-work helpers every repository runs in.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};

use crate::connection::{
    is_connection_loss, Backend, ConfigError, DatabaseUrl, DbConnection, Manager, PoolOptions,
    TracingErrorHandler,
};
use crate::error::StoreError;
use crate::writer::Writer;

/// The state of one pool, for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub name: &'static str,
    pub max_size: u32,
    pub connections: u32,
    pub idle: u32,
}

/// The database: pools plus the unit-of-work helpers every repository uses.
#[derive(Clone)]
pub struct Database {
    url: DatabaseUrl,
    read: Pool<Manager>,
    write: Writes,
    queries: Arc<AtomicU64>,
}

/// Where units of work that write run.
#[derive(Clone)]
enum Writes {
    /// PostgreSQL: the same pool as reads, one transaction per unit.
    Pool(Pool<Manager>),
    /// SQLite: the single writer, committing in groups.
    Group(Arc<Writer>),
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Database {
    /// Connect once (so a bad URL fails now, with the driver's reason), then
    /// build the pools.
    pub fn connect(url: &DatabaseUrl, options: &PoolOptions) -> Result<Self, ConfigError> {
        let queries = Arc::new(AtomicU64::new(0));
        let writer = Manager { url: url.clone(), read_only: false, queries: queries.clone() };
        let first = writer.connect().map_err(|e| ConfigError::Connect(e.0))?;
        let build = |manager: Manager, max: u32| {
            Pool::builder()
                .max_size(max.max(1))
                .min_idle(Some(0))
                .test_on_check_out(false)
                .connection_timeout(options.connection_timeout)
                .error_handler(Box::new(TracingErrorHandler))
                .build_unchecked(manager)
        };
        let (read, write) = match url.backend() {
            Backend::Postgres => {
                let pool = build(writer, options.max_connections);
                (pool.clone(), Writes::Pool(pool))
            }
            Backend::Sqlite => {
                let reader = Manager { url: url.clone(), read_only: true, queries: queries.clone() };
                let single = Writer::new(move || writer.open().map_err(|e| e.0));
                (build(reader, options.max_connections), Writes::Group(Arc::new(single)))
            }
        };
        drop(first);
        Ok(Database { url: url.clone(), read, write, queries })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    fn checkout(pool: &Pool<Manager>) -> Result<PooledConnection<Manager>, StoreError> {
        pool.get().map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    fn run<T, F>(pool: &Pool<Manager>, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError>,
    {
        let mut managed = Self::checkout(pool)?;
        let result = f(&mut managed.conn);
        if let Err(StoreError::Db(e)) = &result {
            // Not every failure on a dead connection says so: diesel's
            // PostgreSQL type lookup answers "Failed to find a type oid" when
            // the server has gone. After any other database error, one
            // round trip tells whether the connection still works.
            if is_connection_loss(e) || managed.conn.batch_execute("SELECT 1").is_err() {
                managed.broken = true;
                return Err(StoreError::Unavailable(e.to_string()));
            }
        }
        result
    }

    /// Run read-only work on a read connection.
    pub fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError>,
    {
        Self::run(&self.read, f)
    }

    /// Run a unit of work that writes, inside one transaction (on SQLite, a
    /// savepoint of a group commit): all of it commits or none of it does,
    /// and it has committed when this returns `Ok`.
    pub fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError>,
    {
        match &self.write {
            Writes::Pool(pool) => Self::run(pool, |conn| conn.transaction(f)),
            // All writes of this process share one connection, so a unit that
            // reads before it writes cannot lose a race to another writer of
            // ours; other processes wait on busy_timeout.
            Writes::Group(writer) => writer.write(f),
        }
    }

    /// One round trip on a fresh or pooled connection. A pooled connection
    /// that has gone stale (e.g. the server restarted) is dropped and the
    /// next one tried, so after a restart the answer comes from a new
    /// connection; when no connection can be had at all, that is the answer.
    pub fn ping(&self) -> Result<(), StoreError> {
        let pooled = self.read.state().connections;
        let mut last = None;
        for _ in 0..=pooled {
            let mut managed = Self::checkout(&self.read)?;
            match managed.conn.batch_execute("SELECT 1") {
                Ok(()) => return Ok(()),
                Err(e) => {
                    managed.broken = true;
                    last = Some(e);
                }
            }
        }
        Err(StoreError::Unavailable(last.map_or_else(String::new, |e| e.to_string())))
    }

    /// Statements the pooled connections have started so far (the
    /// `followup_db_queries_total` counter on `/metrics`).
    pub fn queries_total(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Pool gauges for `/metrics`.
    pub fn pool_states(&self) -> Vec<PoolState> {
        let describe = |name, pool: &Pool<Manager>| {
            let state = pool.state();
            PoolState {
                name,
                max_size: pool.max_size(),
                connections: state.connections,
                idle: state.idle_connections,
            }
        };
        match &self.write {
            Writes::Pool(pool) => vec![describe("main", pool)],
            Writes::Group(writer) => {
                let open = u32::from(writer.is_connected());
                let single = PoolState { name: "write", max_size: 1, connections: open, idle: open };
                vec![describe("read", &self.read), single]
            }
        }
    }

    /// Run the embedded migrations for this backend; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, ConfigError> {
        let fail = |reason: String| ConfigError::Migrate { database: self.url.to_string(), reason };
        match &self.write {
            Writes::Pool(pool) => {
                let mut managed = Self::checkout(pool).map_err(|e| fail(e.to_string()))?;
                crate::migrations::run_pending(&mut managed.conn).map_err(fail)
            }
            Writes::Group(writer) => writer
                .exclusive(crate::migrations::run_pending)
                .map_err(|e| fail(e.to_string()))?
                .map_err(fail),
        }
    }
}
