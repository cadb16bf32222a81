//! Configuration: every setting is a flag and a `FOLLOWUP_*` environment variable.

use std::time::Duration;

use clap::{Args, ValueEnum};

/// How logs are written (to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Settings shared by every command that opens the database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH` (embedded default) or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    #[arg(
        long,
        env = "FOLLOWUP_DATABASE_URL",
        default_value = "sqlite://followup.db",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Connections in the PostgreSQL pool (or the SQLite read pool).
    #[arg(long, env = "FOLLOWUP_DB_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=512))]
    pub db_pool_size: u32,

    /// Seconds a request waits for a database connection before answering 503.
    #[arg(long, env = "FOLLOWUP_DB_TIMEOUT", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub db_timeout: u64,
}

impl DatabaseArgs {
    pub fn pool_options(&self) -> followup_persistence::PoolOptions {
        followup_persistence::PoolOptions {
            max_connections: self.db_pool_size,
            connection_timeout: Duration::from_secs(self.db_timeout),
        }
    }
}

/// Settings of `followup serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address to listen on (`HOST:PORT`; port 0 picks a free one).
    #[arg(long, env = "FOLLOWUP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "FOLLOWUP_WORKERS")]
    pub workers: Option<usize>,

    /// Seconds that in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "FOLLOWUP_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,

    /// Serve the Swagger UI at /docs and the document at /api-docs/openapi.json.
    #[arg(long, env = "FOLLOWUP_DOCS", default_value_t = true, action = clap::ArgAction::Set)]
    pub docs: bool,
}

impl ServeConfig {
    /// A configuration for tests and tools: the given database, port 0, docs on.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database: DatabaseArgs { database_url: database_url.into(), db_pool_size: 8, db_timeout: 2 },
            bind: "127.0.0.1:0".into(),
            workers: Some(2),
            shutdown_timeout: 10,
            docs: true,
        }
    }
}
