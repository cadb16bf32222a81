//! The black-box test harness: start the real server on a random port
//! against a fresh database, talk to it over HTTP.
//!
//! * SQLite: a new file in a temporary directory, always.
//! * PostgreSQL: a new database created through `FOLLOWUP_TEST_POSTGRES_URL`
//!   (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) and dropped when the
//!   test ends. Unset: the PostgreSQL half of each test says it was skipped,
//!   except when `CI=true`, where it fails — CI never skips silently.
//!
//! Logs are quiet unless `TEST_LOG` is set (then it is the log filter).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Once;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

pub use serde_json::{json, Value};

pub mod api;
pub mod files;
pub mod plans;
pub mod receiver;
pub mod smtp;

/// The first admin every test server starts with.
pub const ADMIN_EMAIL: &str = "admin@followup.local";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// The environment variable that names the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "FOLLOWUP_TEST_POSTGRES_URL";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The PostgreSQL admin URL, or `None` when PostgreSQL tests are not configured
/// (which fails under CI).
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if in_ci() => {
            panic!("CI=true but {POSTGRES_URL_VAR} is not set: the PostgreSQL tests must run in CI")
        }
        _ => None,
    }
}

/// Replace the database name (the URL path) of a PostgreSQL URL.
pub fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("FOLLOWUP_TEST_POSTGRES_URL is not a valid URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub backend: Backend,
    /// The URL the server is given.
    pub url: String,
    sqlite_dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>, // (admin URL, database name)
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("followup.db").display());
        Self { backend: Backend::Sqlite, url, sqlite_dir: Some(dir), pg: None }
    }

    /// A freshly created PostgreSQL database; `None` when not configured outside CI.
    pub fn postgres() -> Option<Self> {
        let admin = postgres_admin_url()?;
        let name = format!("followup_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
        conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("cannot create the test database");
        let url = with_database(&admin, &name);
        Some(Self { backend: Backend::Postgres, url, sqlite_dir: None, pg: Some((admin, name)) })
    }

    pub fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres(),
        }
    }

    /// The SQLite file's directory (SQLite only).
    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        self.sqlite_dir.as_ref().map(|d| d.path())
    }

    /// Run SQL as the PostgreSQL administrator (PostgreSQL only).
    pub fn pg_admin_execute(&self, sql: &str) {
        let (admin, _) = self.pg.as_ref().expect("not a PostgreSQL test database");
        let mut conn = PgConnection::establish(admin).expect("cannot connect as administrator");
        conn.batch_execute(sql).expect("administrator SQL failed");
    }

    /// An outage (PostgreSQL only): the database refuses new connections and
    /// every open one is cut. A terminated backend exits a moment after
    /// `pg_terminate_backend` returns, and a connection being opened at that
    /// moment can still arrive: terminate in a loop (up to 10 s) until none is left.
    pub fn pg_refuse_connections(&self) {
        let name = self.pg_name().expect("not a PostgreSQL test database").to_owned();
        // The refusal is committed on its own first: sent with the loop below
        // it would share one implicit transaction, so connections opened while
        // the loop ran would still be let in.
        self.pg_admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
        self.pg_admin_execute(&format!(
            "DO $$ BEGIN \
               FOR i IN 1..200 LOOP \
                 PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'; \
                 PERFORM pg_stat_clear_snapshot(); \
                 EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '{name}'); \
                 PERFORM pg_sleep(0.05); \
               END LOOP; \
             END $$;"
        ));
    }

    /// The PostgreSQL database name (PostgreSQL only).
    pub fn pg_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, name)| name.as_str())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            followup_server::telemetry::init(&filter, followup_server::config::LogFormat::Text);
        }
    });
}

/// A running server and a client for it.
pub struct TestApp {
    pub backend: Backend,
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    handle: ServerHandle,
}

/// How many PostgreSQL halves this test process skipped.
static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static REPORT_AT_EXIT: Once = Once::new();

/// Say that a test's half on `backend` is skipped, and count it: the process
/// ends with one line saying how many were skipped and how to run them
/// (libtest captures what a test prints; an exit hook is not captured).
pub fn skipped(backend: Backend) {
    eprintln!("[{}] skipped: {POSTGRES_URL_VAR} is not set", backend.name());
    SKIPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    REPORT_AT_EXIT.call_once(|| {
        // SAFETY: registers a function with no arguments that only reads an
        // atomic and writes to standard error, which stays usable at exit.
        #[allow(unsafe_code)]
        unsafe {
            libc::atexit(report_skipped);
        }
    });
}

extern "C" fn report_skipped() {
    let n = SKIPPED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "\n{n} PostgreSQL tests skipped: run them with {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres"
    );
}

impl TestApp {
    /// Start the server on `backend`; `None` when that backend is not configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let Some(db) = TestDatabase::create(backend) else {
            skipped(backend);
            return None;
        };
        Some(Self::spawn_on(db).await)
    }

    /// Start the server on `backend` with a changed configuration.
    pub async fn spawn_with(
        backend: Backend,
        configure: impl FnOnce(&mut followup_server::ServeConfig),
    ) -> Option<Self> {
        let Some(db) = TestDatabase::create(backend) else {
            skipped(backend);
            return None;
        };
        Some(Self::spawn_configured(db, configure).await)
    }

    /// Start the server, configured, on an existing test database.
    pub async fn spawn_with_database(
        db: TestDatabase,
        configure: impl FnOnce(&mut followup_server::ServeConfig),
    ) -> Self {
        Self::spawn_configured(db, configure).await
    }

    /// Start the server on an existing test database.
    pub async fn spawn_on(db: TestDatabase) -> Self {
        Self::spawn_configured(db, |_| {}).await
    }

    async fn spawn_configured(
        db: TestDatabase,
        configure: impl FnOnce(&mut followup_server::ServeConfig),
    ) -> Self {
        init_logs();
        let (address, handle) = start(&db.url, configure).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("cannot build the HTTP client");
        eprintln!("[{}] server at {address}", db.backend.name());
        Self { backend: db.backend, address, client, db, handle }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request failed")
    }

    /// Stop the server, letting in-flight requests finish.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// `1 + others` servers started at the same moment on a fresh database,
    /// as a deployment's replicas start: the first, and the others.
    pub async fn spawn_together(backend: Backend, others: usize) -> Option<(Self, Vec<Instance>)> {
        let Some(db) = TestDatabase::create(backend) else {
            skipped(backend);
            return None;
        };
        init_logs();
        let tasks: Vec<_> = (0..=others)
            .map(|_| {
                let url = db.url.clone();
                tokio::spawn(async move { start(&url, |_| {}).await })
            })
            .collect();
        let mut started = Vec::with_capacity(tasks.len());
        for task in tasks {
            started.push(task.await.expect("a server's start panicked"));
        }
        let mut started = started.into_iter();
        let (address, handle) = started.next().expect("one server at least");
        let client =
            reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client");
        let app = Self { backend, address, client, db, handle };
        Some((app, started.map(|(address, handle)| Instance { address, handle }).collect()))
    }

    /// Another instance of the server on this test's database, as a
    /// deployment runs several behind a load balancer.
    pub async fn instance(&self, configure: impl FnOnce(&mut followup_server::ServeConfig)) -> Instance {
        let (address, handle) = start(&self.db.url, configure).await;
        Instance { address, handle }
    }
}

/// Build and run the server on `url` with the tests' admin, no worker unless
/// `configure` turns it on, and port 0; its address and handle.
async fn start(
    url: &str,
    configure: impl FnOnce(&mut followup_server::ServeConfig),
) -> (String, ServerHandle) {
    let mut config = followup_server::ServeConfig::for_database(url);
    config.auth.admin_email = ADMIN_EMAIL.into();
    config.auth.admin_password = Some(ADMIN_PASSWORD.into());
    // The worker's polling would show in statement counts; the tests of
    // what it does turn it on.
    config.run_worker = false;
    configure(&mut config);
    let app = tokio::task::spawn_blocking(move || followup_server::Application::build(&config))
        .await
        .expect("build task panicked")
        .unwrap_or_else(|e| panic!("server failed to start: {e:#}"));
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run());
    (address, handle)
}

/// Another instance of the server on a test's database; stopped when dropped.
pub struct Instance {
    pub address: String,
    handle: ServerHandle,
}

impl Instance {
    /// Stop it at once, without letting in-flight requests finish.
    pub async fn kill(&self) {
        self.handle.stop(false).await;
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop without waiting: the database guard drops right after.
        drop(handle.stop(false));
    }
}

/// Wait (up to 20 s) until `done` holds for what `seen` returns; that, or a
/// panic naming `what` and showing what was seen.
pub async fn eventually<T: std::fmt::Debug>(
    what: &str,
    seen: impl Fn() -> Vec<T>,
    done: impl Fn(&[T]) -> bool,
) -> Vec<T> {
    for _ in 0..400 {
        let now = seen();
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never saw {what}: {:#?}", seen());
}

/// Assert a response is RFC 9457 problem+json with this status and code; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/problem+json", "problem responses use application/problem+json");
    let body: Value = response.json().await.expect("problem body is not JSON");
    assert_eq!(body["status"], status, "status field: {body}");
    assert_eq!(body["code"], code, "code field: {body}");
    for field in ["type", "title", "detail"] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "problem field `{field}` missing: {body}"
        );
    }
    body
}

/// Define a black-box test that runs once per backend, as `NAME::sqlite` and
/// `NAME::postgres`:
///
/// ```ignore
/// backend_test!(async fn live_answers_ok(app) { assert_eq!(app.get("/health/live").await.status(), 200); });
/// ```
#[macro_export]
macro_rules! backend_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::TestApp::spawn($crate::Backend::Sqlite).await {
                    body(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::TestApp::spawn($crate::Backend::Postgres).await {
                    body(app).await;
                }
            }
        }
    };
}

/// The two tests of a case that starts its own server(s) from a backend:
/// `$sqlite` runs `$run(Backend::Sqlite)`, `$postgres` runs
/// `$run(Backend::Postgres)`.
///
/// ```ignore
/// on_both_backends!(resumes: an_upload_resumes_sqlite, an_upload_resumes_postgres);
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($run:ident: $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $run($crate::Backend::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $run($crate::Backend::Postgres).await;
        }
    };
}

/// Like `backend_test!`, for a server started with a changed configuration:
/// `configured_test!(async fn name(app) with |cfg| { ... }; { body });`
#[macro_export]
macro_rules! configured_test {
    (async fn $name:ident($app:ident) with $configure:expr; $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::TestApp::spawn_with($crate::Backend::Sqlite, $configure).await {
                    body(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::TestApp::spawn_with($crate::Backend::Postgres, $configure).await {
                    body(app).await;
                }
            }
        }
    };
}
