//! The database goes away and comes back: readiness follows it, the process
//! stays up, and no restart is needed.
//!
//! PostgreSQL only: an embedded SQLite file cannot become "unreachable" while
//! the process holds it open, so there is no SQLite half to this test.

use std::time::{Duration, Instant};

use followup_tests::{assert_problem, Backend, TestApp, TestDatabase};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_503_while_postgres_refuses_and_recovers_by_itself() {
    let Some(db) = TestDatabase::postgres() else {
        followup_tests::skipped(followup_tests::Backend::Postgres);
        return;
    };
    let app = TestApp::spawn_on(db).await;
    assert_eq!(app.backend, Backend::Postgres);
    assert_eq!(app.get("/health/ready").await.status(), 200);
    let name = app.db.pg_name().unwrap().to_owned();

    // Outage: refuse new connections and cut the open ones.
    app.db.pg_refuse_connections();
    let started = Instant::now();
    let response = app.get("/health/ready").await;
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    assert_problem(response, 503, "service_unavailable").await;
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok()), "503 carries Retry-After");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the outage is reported quickly: {:?}",
        started.elapsed()
    );
    assert_eq!(app.get("/health/live").await.status(), 200, "the process stays up");
    let indonesian =
        app.client.get(app.url("/health/ready")).header("accept-language", "id").send().await.unwrap();
    assert_eq!(indonesian.headers()["content-language"], "id");
    let indonesian = assert_problem(indonesian, 503, "service_unavailable").await;
    assert_eq!(
        indonesian["title"], "Layanan tidak tersedia",
        "the 503 follows Accept-Language: {indonesian}"
    );

    // Recovery: same process, no restart.
    app.db.pg_admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.get("/health/ready").await.status();
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "readiness did not recover within 10 s (last {status})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_postgres_connections_are_replaced_without_a_failed_check() {
    let Some(db) = TestDatabase::postgres() else {
        followup_tests::skipped(followup_tests::Backend::Postgres);
        return;
    };
    let app = TestApp::spawn_on(db).await;
    for _ in 0..4 {
        assert_eq!(app.get("/health/ready").await.status(), 200);
    }
    let name = app.db.pg_name().unwrap().to_owned();
    // As after a PostgreSQL restart: every pooled connection is dead.
    app.db.pg_admin_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
    ));
    assert_eq!(app.get("/health/ready").await.status(), 200, "a dead pooled connection is replaced at once");
}
