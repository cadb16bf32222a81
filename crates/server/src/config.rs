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

    /// Browser origins allowed to call the API cross-origin, comma-separated
    /// exact origins (`https://app.example.org`). Empty: no CORS headers at all.
    #[arg(long, env = "FOLLOWUP_CORS_ORIGINS", value_delimiter = ',', default_value = "")]
    pub cors_origins: Vec<String>,

    /// Seconds a client gets to send a request's headers, and to close the
    /// connection after the response, before it is cut off.
    #[arg(long, env = "FOLLOWUP_CLIENT_TIMEOUT", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub client_timeout: u64,

    /// Days the change feed (`GET /sync`) keeps a change that a later one
    /// supersedes, and a tombstone. A client whose cursor is older answers
    /// 410 `cursor_expired` and syncs from scratch.
    #[arg(long, env = "FOLLOWUP_SYNC_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub sync_retention_days: u32,

    /// Seconds between two compactions of the change feed.
    #[arg(long, env = "FOLLOWUP_SYNC_COMPACTION_INTERVAL", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub sync_compaction_interval: u64,

    /// Keep the monitoring figures (dashboard, delegates table, mentor
    /// overview) in memory between requests, recomputed when the database
    /// says they changed. Off: computed on every request.
    #[arg(long, env = "FOLLOWUP_MONITORING_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub monitoring_cache: bool,

    /// Run the worker (webhook deliveries) in this process too. Turn it off
    /// where `followup worker` processes do that work instead.
    #[arg(long = "worker", env = "FOLLOWUP_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub run_worker: bool,

    #[command(flatten)]
    pub worker: WorkerArgs,

    #[command(flatten)]
    pub auth: AuthArgs,

    #[command(flatten)]
    pub files: FilesArgs,
}

/// Evidence files: where they are kept and how large they may be.
#[derive(Debug, Clone, Args)]
pub struct FilesArgs {
    /// Where files' bytes are kept: `file://DIR` (created if missing) or
    /// `s3://bucket/prefix` (an S3-compatible store; credentials and region
    /// from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, the
    /// server from `FOLLOWUP_S3_ENDPOINT` for other than AWS).
    #[arg(long, env = "FOLLOWUP_STORAGE_URL", default_value = "file://./followup-files")]
    pub storage_url: String,

    /// The largest file taken, in megabytes (10^6 bytes).
    #[arg(long, env = "FOLLOWUP_FILE_MAX_MB", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub file_max_mb: u64,

    /// What one programme's files may take together, in megabytes.
    #[arg(long, env = "FOLLOWUP_PROGRAM_QUOTA_MB", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub program_quota_mb: u64,

    /// Seconds a signed download link (`download_url`) works.
    #[arg(long, env = "FOLLOWUP_DOWNLOAD_LINK_TTL", default_value_t = 900, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub download_link_ttl: u64,

    /// Seconds an unfinished resumable upload is kept before its bytes are
    /// removed.
    #[arg(long, env = "FOLLOWUP_UPLOAD_TTL", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub upload_ttl: u64,
}

/// The worker: webhook deliveries.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Milliseconds between two rounds of the worker (new events fanned
    /// out, due deliveries sent).
    #[arg(long, env = "FOLLOWUP_WORKER_INTERVAL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub worker_interval_ms: u64,

    /// Seconds between two looks for what days bring (activities gone
    /// overdue, delegates gone silent, in each owner's time zone).
    #[arg(long, env = "FOLLOWUP_SCHEDULER_INTERVAL", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub scheduler_interval: u64,

    /// Seconds a webhook endpoint gets to answer (connecting included).
    #[arg(long, env = "FOLLOWUP_WEBHOOK_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub webhook_timeout: u64,

    /// Seconds between a failed attempt and the next, one per retry,
    /// comma-separated (each moved by up to a fifth at random). The default
    /// makes eight attempts over about a day.
    #[arg(
        long,
        env = "FOLLOWUP_WEBHOOK_RETRY_SCHEDULE",
        value_delimiter = ',',
        default_value = "5,300,1800,7200,18000,36000,36000"
    )]
    pub webhook_retry_schedule: Vec<u64>,

    /// Seconds an endpoint may keep failing (every attempt, across all its
    /// deliveries) before the webhook is disabled (default 5 days).
    #[arg(long, env = "FOLLOWUP_WEBHOOK_DISABLE_AFTER", default_value_t = 432_000, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub webhook_disable_after: u64,

    /// Days a webhook event and its delivery log are kept once every
    /// delivery of it has finished (removed with the change feed's compaction).
    #[arg(long, env = "FOLLOWUP_WEBHOOK_LOG_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub webhook_log_days: u32,

    /// The SMTP server that sends reminders and digests: `smtp://host:port`
    /// (STARTTLS when offered; `?tls=required` to insist) or
    /// `smtps://host:port`, with `user:password@` for a login. Unset: no
    /// e-mail is sent (said once at start).
    #[arg(long, env = "FOLLOWUP_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of every e-mail.
    #[arg(long, env = "FOLLOWUP_MAIL_FROM", default_value = "Followup <followup@localhost>")]
    pub mail_from: String,

    /// Start the scheduler's clock at this instant (RFC 3339) instead of
    /// now; it runs on from there. For tests and demonstrations of what the
    /// days bring (a reminder in a delegate's morning), never in production.
    #[arg(long, env = "FOLLOWUP_CLOCK")]
    pub clock: Option<String>,

    /// Let webhooks reach loopback, private and link-local addresses and
    /// plain `http` (a test bench, an office network). Off: such targets
    /// are refused when a webhook is saved and again at each delivery.
    #[arg(long, env = "FOLLOWUP_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
}

impl Default for WorkerArgs {
    fn default() -> Self {
        Self {
            worker_interval_ms: 1000,
            scheduler_interval: 300,
            webhook_timeout: 10,
            webhook_retry_schedule: followup_domain::webhooks::DEFAULT_RETRY_SCHEDULE.to_vec(),
            webhook_disable_after: 432_000,
            webhook_log_days: 30,
            smtp_url: None,
            mail_from: "Followup <followup@localhost>".into(),
            clock: None,
            webhook_allow_private: false,
        }
    }
}

/// Settings of `followup worker`.
#[derive(Debug, Clone, Args)]
pub struct WorkerConfig {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub worker: WorkerArgs,

    /// Do one look for time-based events and one round of deliveries, then
    /// exit (from cron, or to time the scheduler: `bench/monitoring`).
    #[arg(long)]
    pub once: bool,
}

/// Tokens, sign-in and the first admin.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// HS256 signing secret for access tokens, at least 32 bytes. Unset: one is
    /// generated once and kept in the database, so restarts and other instances agree.
    #[arg(long, env = "FOLLOWUP_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "FOLLOWUP_ACCESS_TOKEN_TTL", default_value_t = 900, value_parser = clap::value_parser!(u64).range(30..=86_400))]
    pub access_token_ttl: u64,

    /// Lifetime of a login session (its refresh tokens), in days.
    #[arg(long, env = "FOLLOWUP_SESSION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=365))]
    pub session_days: u64,

    /// Seconds an invitation token stays valid (default 7 days).
    #[arg(long, env = "FOLLOWUP_INVITATION_TTL", default_value_t = 604_800, value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub invitation_ttl: u64,

    /// Seconds a password-reset token stays valid (default 24 hours).
    #[arg(long, env = "FOLLOWUP_PASSWORD_RESET_TTL", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub password_reset_ttl: u64,

    /// Requests a minute each API key may make (it may burst up to that,
    /// then goes at that pace), per instance; past it, 429 `rate_limited`.
    /// 0: no limit.
    #[arg(long, env = "FOLLOWUP_API_KEY_RATE", default_value_t = 600)]
    pub api_key_rate: u32,

    /// The client's page that takes a reset token, with `{token}` where it
    /// goes (`https://app.example.org/reset-password?token={token}`): the
    /// reset e-mail links to it. Unset: the e-mail gives the token to enter
    /// in the app.
    #[arg(long, env = "FOLLOWUP_PASSWORD_RESET_URL", value_parser = reset_url)]
    pub password_reset_url: Option<String>,

    /// Failed current-password checks (sign-in, password change) per minute
    /// per client address before 429; an account's ceiling is ten times that,
    /// for addresses that never signed in to it.
    #[arg(long, env = "FOLLOWUP_LOGIN_MAX_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub login_max_failures: u32,

    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy such as the compose file's nginx).
    #[arg(long, env = "FOLLOWUP_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_proxy: bool,

    /// E-mail of the admin created on first start when the database has none.
    #[arg(long, env = "FOLLOWUP_ADMIN_EMAIL", default_value = "admin@followup.local")]
    pub admin_email: String,

    /// Password of that first admin; unset, a random one is generated and printed once.
    #[arg(long, env = "FOLLOWUP_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
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
            cors_origins: Vec::new(),
            client_timeout: 5,
            sync_retention_days: 90,
            sync_compaction_interval: 3600,
            monitoring_cache: true,
            run_worker: true,
            worker: WorkerArgs::default(),
            auth: AuthArgs {
                jwt_secret: None,
                access_token_ttl: 900,
                session_days: 30,
                invitation_ttl: 604_800,
                password_reset_ttl: 86_400,
                password_reset_url: None,
                api_key_rate: 600,
                login_max_failures: 5,
                trust_proxy: false,
                admin_email: "admin@followup.local".into(),
                admin_password: None,
            },
            files: FilesArgs {
                storage_url: "memory://".into(),
                file_max_mb: 25,
                program_quota_mb: 5_000,
                download_link_ttl: 900,
                upload_ttl: 86_400,
            },
        }
    }
}

/// A reset page's address: `http(s)://…` holding `{token}`.
fn reset_url(raw: &str) -> Result<String, String> {
    let parsed =
        url::Url::parse(&raw.replace("{token}", "token")).map_err(|e| format!("not an absolute URL: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") || !raw.contains("{token}") {
        return Err("must be an http(s) URL with {token} where the reset token goes".into());
    }
    Ok(raw.to_owned())
}
