//! Wiring: open the database, migrate, bind, build the HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::HttpServer;
use anyhow::Context;
use followup_persistence::{Database, DatabaseUrl};

use crate::config::ServeConfig;
use crate::housekeeping::Housekeeping;
use crate::worker::Worker;

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    db: Database,
    housekeeping: Housekeeping,
    worker: Option<Worker>,
}

/// Open the database named by the configuration and apply pending migrations.
pub fn open_database(args: &crate::config::DatabaseArgs) -> anyhow::Result<Database> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let db = Database::connect(&url, &args.pool_options())?;
    let applied = db.migrate()?;
    if applied.is_empty() {
        tracing::info!(database = %url, "database schema is up to date");
    } else {
        tracing::info!(database = %url, migrations = ?applied, "applied migrations");
    }
    Ok(db)
}

impl Application {
    /// Open and migrate the database, bind the address, build the server.
    /// Blocking work: call before the server starts serving.
    pub fn build(config: &ServeConfig) -> anyhow::Result<Self> {
        let db = open_database(&config.database)?;
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
        let bound = listener.local_addr().context("cannot read the bound address")?;
        let port = bound.port();
        let auth = auth_state(&db, &config.auth, config.worker.smtp_url.is_some())?;
        match crate::bootstrap::ensure_admin(&db, &config.auth)? {
            crate::bootstrap::AdminOutcome::Created { email, generated_password } => {
                tracing::warn!(%email, "no admin existed: created the first admin account");
                if let Some(password) = generated_password {
                    crate::bootstrap::announce_password(&email, &password, "first admin account");
                }
            }
            crate::bootstrap::AdminOutcome::Reset { email, .. } => {
                tracing::warn!(%email, "no active admin existed: made this account an admin");
            }
            crate::bootstrap::AdminOutcome::AlreadyPresent => {}
        }
        let origins = cors_origins(&config.cors_origins)?;
        let files = files(&db, &config.files)?;
        let store = files.store.clone();
        let shared = followup_http::Shared::new(db.clone(), auth, config.docs)
            .map_err(|e| anyhow::anyhow!("cannot set up metrics: {e}"))?
            .with_cors_origins(origins)
            .with_private_webhook_targets(config.worker.webhook_allow_private)
            .with_files(files)
            .with_monitoring_cache(config.monitoring_cache);
        let worker = if config.run_worker {
            Some(Worker::new(db.clone(), config.worker.clone(), Some(&shared.state.registry))?)
        } else {
            tracing::info!(
                "no worker in this process (FOLLOWUP_WORKER=false): webhooks are sent by `followup worker`"
            );
            None
        };
        let client_timeout = Duration::from_secs(config.client_timeout);
        let mut server = HttpServer::new(move || followup_http::app(&shared))
            .shutdown_timeout(config.shutdown_timeout)
            // A client that trickles its request head, or keeps a finished
            // connection half-open, holds a connection slot: cut it off.
            .client_request_timeout(client_timeout)
            .client_disconnect_timeout(client_timeout)
            // Signals are handled by `run_until_stopped` (SIGINT and SIGTERM
            // both stop gracefully; actix's default treats SIGINT as a hard stop).
            .disable_signals()
            // Blocking threads run the database work: more of them than
            // pooled connections would only wait for a connection, each with
            // its own stack and allocator caches.
            .worker_max_blocking_threads(config.database.db_pool_size.max(4) as usize);
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener).context("cannot start the HTTP server")?.run();
        tracing::info!(address = %bound, port, database = %db.url(), "listening");
        let housekeeping = Housekeeping::new(
            db.clone(),
            config.sync_retention_days,
            Duration::from_secs(config.sync_compaction_interval),
            config.worker.webhook_log_days,
        )
        .with_files(store);
        Ok(Self { port, server, db, housekeeping, worker })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// A handle to stop the server (gracefully or not) from elsewhere.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serve until the server is stopped through its handle.
    pub async fn run(self) -> std::io::Result<()> {
        let chores = tokio::spawn(self.housekeeping.run());
        let worker = self.worker.map(|w| tokio::spawn(w.run()));
        let result = self.server.await;
        chores.abort();
        if let Some(worker) = worker {
            worker.abort();
        }
        result
    }

    /// Serve until SIGINT or SIGTERM, then stop accepting connections, let
    /// in-flight requests finish (up to the shutdown timeout) and return.
    pub async fn run_until_signalled(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let server = tokio::spawn(self.server);
        let chores = tokio::spawn(self.housekeeping.run());
        let worker = self.worker.map(|w| tokio::spawn(w.run()));
        wait_for_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        chores.abort();
        if let Some(worker) = worker {
            worker.abort();
        }
        handle.stop(true).await;
        server.await.context("server task failed")?.context("server failed")?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The allowed CORS origins: exact `scheme://host[:port]` values, blanks dropped.
fn cors_origins(raw: &[String]) -> anyhow::Result<Vec<String>> {
    let mut origins = Vec::new();
    for origin in raw.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        let valid = rest.is_some_and(|host| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        });
        if !valid {
            anyhow::bail!(
                "FOLLOWUP_CORS_ORIGINS: {origin:?} is not an origin such as https://app.example.org (no path, no wildcard)"
            );
        }
        origins.push(origin.to_owned());
    }
    Ok(origins)
}

fn auth_state(
    db: &Database,
    args: &crate::config::AuthArgs,
    sends_mail: bool,
) -> anyhow::Result<followup_http::auth::AuthState> {
    use followup_http::auth::{passwords, rate, throttle, tokens, AuthState, ResetByMail};
    let secret = crate::bootstrap::jwt_secret(db, args)?;
    let ttl = i64::try_from(args.access_token_ttl).context("access token TTL out of range")?;
    let days = i64::try_from(args.session_days).context("session lifetime out of range")?;
    Ok(AuthState {
        keys: tokens::TokenKeys::new(&secret, ttl).map_err(|e| anyhow::anyhow!(e))?,
        throttle: throttle::LoginThrottle::new(args.login_max_failures),
        dummy_hash: passwords::DummyHash::new().map_err(|e| anyhow::anyhow!(e))?,
        session_lifetime: chrono::Duration::days(days),
        invitation_lifetime: seconds(args.invitation_ttl)?,
        reset_lifetime: seconds(args.password_reset_ttl)?,
        trust_proxy: args.trust_proxy,
        request_hash_key: followup_http::idempotency::RequestHashKey::from_secret(
            &crate::bootstrap::request_hash_secret(db)?,
        ),
        key_rate: rate::KeyRate::new(args.api_key_rate),
        reset_by_mail: sends_mail.then(|| ResetByMail {
            link: args.password_reset_url.clone(),
            throttle: throttle::LoginThrottle::new(args.login_max_failures),
        }),
    })
}

/// The file store and its limits; said at start.
fn files(db: &Database, args: &crate::config::FilesArgs) -> anyhow::Result<followup_http::files::Files> {
    let store =
        followup_http::files::store::FileStore::from_url(&args.storage_url).map_err(anyhow::Error::msg)?;
    tracing::info!(store = %store.described, max_file_mb = args.file_max_mb, program_quota_mb = args.program_quota_mb, "evidence files");
    Ok(followup_http::files::Files::new(
        store,
        args.file_max_mb.saturating_mul(1_000_000),
        i64::try_from(args.program_quota_mb.saturating_mul(1_000_000)).unwrap_or(i64::MAX),
        seconds(args.download_link_ttl)?,
        &crate::bootstrap::request_hash_secret(db)?,
    )
    .with_upload_ttl(seconds(args.upload_ttl)?))
}

fn seconds(secs: u64) -> anyhow::Result<chrono::Duration> {
    let secs = i64::try_from(secs).context("duration out of range")?;
    Ok(chrono::Duration::seconds(secs))
}

pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::cors_origins;

    #[test]
    fn cors_origins_are_exact_origins() {
        let ok =
            cors_origins(&["".into(), " https://app.example.org ".into(), "http://localhost:5173".into()]);
        assert_eq!(
            ok.ok(),
            Some(vec!["https://app.example.org".to_owned(), "http://localhost:5173".to_owned()])
        );
        for bad in ["*", "app.example.org", "https://app.example.org/", "https://*.example.org", "ftp://x"] {
            assert!(cors_origins(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
