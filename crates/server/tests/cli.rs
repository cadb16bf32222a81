//! The `followup` binary as an operator meets it: start-up with no
//! configuration, clear failures, the OpenAPI drift check, graceful
//! shutdown on SIGTERM (also under concurrent writes), and no lost or
//! half-written write after `kill -9`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use followup_tests::TestDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_followup");

/// The binary with no `FOLLOWUP_*` variables from the caller's environment.
fn followup(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd).env_clear().env("FOLLOWUP_LOG", "info");
    cmd
}

/// A running `followup serve` whose log lines are collected.
struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    port: u16,
}

impl Served {
    fn start(mut cmd: Command) -> Served {
        let mut child = cmd.arg("serve").stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        let port = loop {
            let line =
                lines.recv_timeout(deadline.saturating_duration_since(Instant::now())).unwrap_or_else(|_| {
                    panic!("the server did not log `listening` in time:\n{}", seen.join("\n"))
                });
            let port = line
                .split(" port=")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap().parse().unwrap());
            seen.push(line);
            if let Some(port) = port {
                break port;
            }
        };
        Served { child, lines, seen, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn signal(&self, name: &str) {
        let status =
            Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success());
    }

    fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit within {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&mut self) -> String {
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

/// `followup serve` in `dir` on a free loopback port, with the variables `env`.
fn serve(dir: &Path, env: &[(&str, &str)]) -> Served {
    let mut cmd = followup(dir);
    cmd.env("FOLLOWUP_BIND", "127.0.0.1:0").envs(env.iter().copied());
    Served::start(cmd)
}

/// Run `followup ARGS` in `dir`; asserts it succeeds and returns its standard output.
fn run_ok(dir: &Path, args: &[&str]) -> String {
    let output = followup(dir).args(args).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The URL of a SQLite database `file` in `dir`.
fn sqlite_url(dir: &Path, file: &str) -> String {
    format!("sqlite://{}", dir.join(file).display())
}

/// Run `test` on a SQLite database `file` in a new temporary directory.
fn on_sqlite(file: &str, test: fn(&str)) {
    let dir = tempfile::tempdir().unwrap();
    test(&sqlite_url(dir.path(), file));
}

/// Run `test` on a fresh PostgreSQL database (said skipped when PostgreSQL
/// is not configured).
fn on_postgres(test: fn(&str)) {
    if let Some(db) = postgres() {
        test(&db.url);
    }
}

/// A fresh PostgreSQL database; `None`, said skipped, when PostgreSQL is not configured.
fn postgres() -> Option<TestDatabase> {
    let db = TestDatabase::postgres();
    if db.is_none() {
        followup_tests::skipped(followup_tests::Backend::Postgres);
    }
    db
}

#[test]
fn the_committed_openapi_document_is_what_the_binary_prints() {
    let dir = tempfile::tempdir().unwrap();
    let output = followup(dir.path()).arg("openapi").output().unwrap();
    assert!(output.status.success(), "followup openapi failed: {}", String::from_utf8_lossy(&output.stderr));
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json")).unwrap();
    assert!(
        output.stdout == committed,
        "openapi/openapi.json has drifted from the code; regenerate it with\n  \
         cargo run -p followup-server -- openapi > openapi/openapi.json"
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn serve_with_no_configuration_creates_and_migrates_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    // Only the port is chosen here (0: any free one), everything else is the default.
    let mut served = serve(dir.path(), &[]);
    assert!(dir.path().join("followup.db").is_file(), "the default database file ./followup.db is created");
    let ready = client().get(served.url("/health/ready")).send().unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().unwrap();
    assert_eq!(body["database"], "sqlite");
    assert!(served.log().contains("applied migrations"), "the first start logs the migrations it applied");
}

#[test]
fn migrate_applies_the_schema_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "m.db");
    for _ in 0..2 {
        run_ok(dir.path(), &["migrate", "--database-url", &url]);
    }
    assert!(dir.path().join("m.db").is_file());
}

fn assert_fails_fast(url: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = followup(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", url])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "serve must fail for {url}");
    assert!(elapsed < Duration::from_secs(10), "failed after {elapsed:?}, more than 10 s");
    for needle in expected {
        assert!(stderr.contains(needle), "the message names `{needle}`:\n{stderr}");
    }
    assert!(!stderr.contains("invalid connection url"), "not diesel's generic message:\n{stderr}");
}

#[test]
fn serve_fails_fast_and_clearly_when_the_sqlite_directory_is_missing() {
    assert_fails_fast(
        "sqlite:///nonexistent-followup-dir/sub/followup.db",
        &["/nonexistent-followup-dir/sub", "does not exist"],
    );
}

#[test]
fn serve_fails_fast_and_clearly_when_postgres_is_unreachable() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    assert_fails_fast("postgres://followup@127.0.0.1:1/followup", &["PostgreSQL", "127.0.0.1", "refused"]);
}

#[test]
fn serve_refuses_an_unknown_database_scheme() {
    assert_fails_fast("mysql://root@127.0.0.1/followup", &["unsupported scheme", "sqlite://", "postgres://"]);
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_zero() {
    // A request that takes seconds: a readiness check while PostgreSQL refuses
    // connections waits for the pool's connection timeout before answering.
    let Some(db) = postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path(), &[("FOLLOWUP_DATABASE_URL", &db.url)]);
    assert_eq!(client().get(served.url("/health/ready")).send().unwrap().status(), 200);

    let name = db.pg_name().unwrap().to_owned();
    db.pg_refuse_connections();
    let url = served.url("/health/ready");
    let started = Instant::now();
    let slow = std::thread::spawn(move || client().get(url).send().map(|r| r.status().as_u16()));
    std::thread::sleep(Duration::from_millis(700));
    served.signal("TERM");
    let status = slow.join().unwrap().expect("the in-flight request must complete, not be cut");
    assert_eq!(status, 503, "the slow request got its real answer");
    assert!(started.elapsed() > Duration::from_millis(700), "the request was in flight when SIGTERM arrived");
    let exit = served.wait_exit(Duration::from_secs(20));
    assert!(exit.success(), "exit status after SIGTERM: {exit:?}\n{}", served.log());
    db.pg_admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
}

#[test]
fn sigint_stops_gracefully_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path(), &[]);
    assert_eq!(client().get(served.url("/health/live")).send().unwrap().status(), 200);
    served.signal("INT");
    let exit = served.wait_exit(Duration::from_secs(20));
    assert!(exit.success(), "exit status after SIGINT: {exit:?}");
    assert!(served.log().contains("stopped"), "the shutdown is logged");
}

fn login(port: u16, email: &str, password: &str) -> reqwest::blocking::Response {
    client()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .unwrap()
}

fn login_status(port: u16, email: &str, password: &str) -> u16 {
    login(port, email, password).status().as_u16()
}

fn printed_password(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no password printed in:\n{text}"))
        .trim()
        .to_owned()
}

#[test]
fn the_first_start_prints_an_admin_password_that_works_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path(), &[]);
    std::thread::sleep(Duration::from_millis(200));
    let log = served.log();
    let password = printed_password(&log);
    assert!(log.contains("first admin account: admin@followup.local"), "{log}");
    assert_eq!(
        login_status(served.port, "admin@followup.local", &password),
        200,
        "the printed password works"
    );
    assert_eq!(login_status(served.port, "admin@followup.local", "not-the-password"), 401);
    drop(served);

    // A second start on the same database: the admin exists, nothing is printed.
    let mut again = serve(dir.path(), &[]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!again.log().contains("password:"), "the password is printed once only");
    assert_eq!(login_status(again.port, "admin@followup.local", &password), 200);
}

#[test]
fn create_admin_creates_or_resets_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "f.db");
    // Generated password, printed on standard output.
    let stdout =
        run_ok(dir.path(), &["create-admin", "--email", "Hong@Example.AC.KR", "--database-url", &url]);
    assert!(stdout.contains("created admin hong@example.ac.kr"), "{stdout}");
    let generated = printed_password(&stdout);

    // A password from standard input resets the same account.
    let mut child = followup(dir.path())
        .args(["create-admin", "--email", "hong@example.ac.kr", "--password-stdin", "--database-url", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"seoul-mentor-2023\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("reset admin hong@example.ac.kr"));

    // A password that breaks the policy is refused.
    let mut child = followup(dir.path())
        .args(["create-admin", "--email", "hong@example.ac.kr", "--password-stdin", "--database-url", &url])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 10 characters"));

    let mut served = serve(dir.path(), &[("FOLLOWUP_DATABASE_URL", &url)]);
    assert!(!served.log().contains("first admin account"), "an admin exists: no bootstrap admin");
    assert_eq!(login_status(served.port, "hong@example.ac.kr", "seoul-mentor-2023"), 200);
    assert_eq!(login_status(served.port, "hong@example.ac.kr", &generated), 401, "the reset replaced it");
}

#[test]
fn sigterm_lets_a_slow_upload_finish_then_exits_zero() {
    // A client on a weak link: the body of a login arrives over ~1.5 s, and
    // SIGTERM lands in the middle. The request must still get its answer.
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path(), &[("FOLLOWUP_ADMIN_PASSWORD", "admin-password-for-tests")]);
    let body = br#"{"email":"admin@followup.local","password":"admin-password-for-tests"}"#;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", served.port)).unwrap();
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let (first, rest) = body.split_at(10);
    stream.write_all(first).unwrap();
    // Time for the server to read the head and start the request (a machine
    // under load takes longer): only a started request is in flight.
    std::thread::sleep(Duration::from_millis(1500));
    served.signal("TERM");
    for chunk in rest.chunks(20) {
        std::thread::sleep(Duration::from_millis(300));
        if let Err(e) = stream.write_all(chunk) {
            panic!("the connection was cut mid-upload ({e}):\n{}", served.log());
        }
    }
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "the in-flight login completed:\n{response}");
    assert!(response.contains("access_token"));
    let exit = served.wait_exit(Duration::from_secs(20));
    assert!(exit.success(), "exit status after SIGTERM: {exit:?}");
}

/// Run `followup seed-demo` on `url` with extra arguments; returns (success, stdout, stderr).
fn seed_demo(cwd: &Path, url: &str, extra: &[&str]) -> (bool, String, String) {
    let output = followup(cwd).args(["seed-demo", "--database-url", url]).args(extra).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What a user of the seeded server sees: (programmes, delegates of the
/// demo programme, plans, organisations, evidence files); `files`: the
/// file store seed-demo wrote to.
fn demo_inventory(url: &str, password: &str, files: &Path) -> (usize, usize, usize, usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("file://{}", files.display());
    let served = serve(dir.path(), &[("FOLLOWUP_DATABASE_URL", url), ("FOLLOWUP_STORAGE_URL", &store)]);
    let token = token(served.port, "admin@followup.demo", password);
    let get = |path: &str| -> serde_json::Value {
        client().get(served.url(path)).bearer_auth(&token).send().unwrap().json().unwrap()
    };
    let programs = get("/api/v1/programs?limit=200");
    let program = programs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "ITP-2023-IDN-YOUTH")
        .expect("the demo programme")
        .clone();
    let id = program["id"].as_str().unwrap();
    let delegates = get(&format!("/api/v1/programs/{id}/members?role=delegate&limit=200"));
    let plans = get(&format!("/api/v1/plans?program_id={id}&limit=200"));
    let orgs = get("/api/v1/organizations?limit=200");
    let count = |v: &serde_json::Value| v["items"].as_array().unwrap().len();
    delegates_tell_apart(&get, id);
    // The follow-up survey is open; those whose plans run answered, but Yohanes.
    let rounds = get(&format!("/api/v1/programs/{id}/survey-rounds"));
    assert_eq!(count(&rounds), 1, "{rounds}");
    let round = &rounds["items"][0];
    assert_eq!(round["state"], "open", "{round}");
    let results = get(&format!("/api/v1/survey-rounds/{}/results", round["id"].as_str().unwrap()));
    let answered = results["responses"].as_i64().unwrap();
    assert!((8..15).contains(&answered), "{results}");
    assert_eq!(round["responses"].as_i64(), Some(answered));
    let applied = &results["questions"][0];
    assert_eq!(applied["answered"].as_i64(), Some(answered));
    let dashboard = get(&format!("/api/v1/programs/{id}/dashboard"));
    assert_eq!(dashboard["surveys_unanswered"].as_i64(), Some(15 - answered), "{dashboard}");
    // The province's WhatsApp gateway is subscribed, and nothing has been sent yet.
    let hooks = get(&format!("/api/v1/programs/{id}/webhooks"));
    assert_eq!(count(&hooks), 1, "{hooks}");
    let gateway = &hooks["items"][0];
    assert_eq!(gateway["event_types"], serde_json::json!(["check_in.reviewed", "plan.changes_requested"]));
    assert_eq!(gateway["enabled"], true);
    let sent = get(&format!("/api/v1/webhooks/{}/deliveries", gateway["id"].as_str().unwrap()));
    assert_eq!(count(&sent), 0, "events of the seeding came before the webhook: {sent}");
    // Kupang's photo of its first workshop and the attendance list hang on
    // the check-in the mentor comments on; the photo has a preview.
    let kupang = plans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Peer-support training for youth workers in Kupang")
        .expect("Kupang's plan");
    let check_ins = get(&format!("/api/v1/plans/{}/check-ins?limit=100", kupang["id"].as_str().unwrap()));
    let mut files = Vec::new();
    for check_in in check_ins["items"].as_array().unwrap() {
        let listed = get(&format!("/api/v1/check-ins/{}/attachments", check_in["id"].as_str().unwrap()));
        files.extend(listed["items"].as_array().unwrap().iter().cloned());
    }
    let kinds: Vec<&str> = files.iter().map(|f| f["content_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["image/jpeg", "application/pdf"], "{files:#?}");
    assert_eq!((files[0]["width"].as_i64(), files[0]["height"].as_i64()), (Some(1280), Some(960)));
    for (file, link) in [(&files[0], "download_url"), (&files[0], "preview_url"), (&files[1], "download_url")]
    {
        let got = client().get(served.url(file[link].as_str().unwrap())).send().unwrap();
        assert_eq!(got.status(), 200, "{link} of {}", file["file_name"]);
        let bytes = got.bytes().unwrap();
        if link == "download_url" {
            assert_eq!(bytes.len() as i64, file["size_bytes"].as_i64().unwrap(), "{}", file["file_name"]);
        }
    }
    (count(&programs), count(&delegates), count(&plans), count(&orgs), files.len())
}

/// What a mentor compares in a delegates-table row: every column but the
/// delegate's name and ids.
fn profile(row: &serde_json::Value) -> String {
    [
        "region",
        "activities_done_percent",
        "overdue_activities",
        "days_since_last_check_in",
        "indicators_behind",
        "latest_progress",
        "open_reviews",
        "silent",
    ]
    .iter()
    .map(|column| row[column].to_string())
    .chain([row["plan"]["status"].to_string()])
    .collect::<Vec<_>>()
    .join("|")
}

/// The demo's delegates stand at different points: sorted by any column,
/// either way, the first page's first five rows show at least four different
/// profiles, and the story's people are there (one ahead, one silent for
/// weeks, one with a check-in awaiting review, one behind on an indicator,
/// one completed).
fn delegates_tell_apart(get: &dyn Fn(&str) -> serde_json::Value, program: &str) {
    let columns = [
        "name",
        "organization",
        "region",
        "plan_status",
        "done_percent",
        "overdue",
        "days_since_check_in",
        "indicators_behind",
        "progress",
        "open_reviews",
        "silent",
    ];
    for column in columns {
        for sort in [column.to_owned(), format!("-{column}")] {
            let table = get(&format!("/api/v1/programs/{program}/delegates?sort={sort}&limit=5"));
            let rows = table["items"].as_array().unwrap();
            assert_eq!(rows.len(), 5, "sort={sort}: {table}");
            let distinct: std::collections::BTreeSet<String> = rows.iter().map(profile).collect();
            assert!(
                distinct.len() >= 4,
                "sort={sort}: only {} different rows: {distinct:#?}",
                distinct.len()
            );
        }
    }
    let table = get(&format!("/api/v1/programs/{program}/delegates?limit=100"));
    let rows = table["items"].as_array().unwrap();
    let some = |what: &str, test: &dyn Fn(&serde_json::Value) -> bool| {
        assert!(rows.iter().any(test), "no delegate {what}: {table:#}");
    };
    some("ahead", &|r| {
        r["plan"]["status"] == "active"
            && r["activities_done_percent"].as_f64() >= Some(80.0)
            && r["overdue_activities"] == 0
            && r["indicators_behind"] == 0
    });
    some("silent for weeks", &|r| r["silent"] == true && r["days_since_last_check_in"].as_i64() >= Some(28));
    some("with a check-in awaiting review", &|r| r["open_reviews"].as_i64() >= Some(1));
    some("behind on an indicator", &|r| r["indicators_behind"].as_i64() >= Some(1));
    some("with a completed plan", &|r| r["plan"]["status"] == "completed");
    let overdue: std::collections::BTreeSet<i64> =
        rows.iter().filter_map(|r| r["overdue_activities"].as_i64()).collect();
    assert!(overdue.len() >= 3, "overdue counts differ: {overdue:?}");
}

fn seed_demo_story(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let password = "demo-password-2023";
    let (ok, stdout, stderr) = seed_demo(dir.path(), url, &["--password", password]);
    assert!(ok, "seed-demo failed: {stderr}");
    assert!(stdout.contains("loaded the demo programme ITP-2023-IDN-YOUTH"), "{stdout}");
    assert!(stdout.contains("yj.hong@followup.demo"), "the mentor's account is printed: {stdout}");
    assert!(
        stdout.contains("API key \"KOICA M&E system\"") && stdout.contains(": fuk_"),
        "the funder's key: {stdout}"
    );
    let files = dir.path().join("followup-files");
    let first = demo_inventory(url, password, &files);
    assert_eq!(first.0, 1, "one programme");
    assert_eq!(first.1, 15, "15 delegates");
    assert_eq!(first.2, 15, "one plan per delegate");
    assert_eq!(first.4, 2, "the workshop photo and the attendance list");
    assert!(stdout.contains("evidence files: 2"), "{stdout}");

    let (ok, stdout, stderr) = seed_demo(dir.path(), url, &[]);
    assert!(ok, "a second run succeeds: {stderr}");
    assert!(stdout.contains("already loaded") && stdout.contains("nothing changed"), "{stdout}");
    assert!(!stdout.contains("password:"), "no new password: {stdout}");
    assert_eq!(demo_inventory(url, password, &files), first, "the second run changed nothing");
}

#[test]
fn seed_demo_loads_the_story_once_on_sqlite() {
    on_sqlite("demo.db", seed_demo_story);
}

#[test]
fn seed_demo_loads_the_story_once_on_postgres() {
    on_postgres(seed_demo_story);
}

#[test]
fn seed_demo_refuses_a_database_with_other_data_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "busy.db");
    for email in ["first@example.org", "second@example.org"] {
        run_ok(dir.path(), &["create-admin", "--email", email, "--database-url", &url]);
    }
    let (ok, stdout, stderr) = seed_demo(dir.path(), &url, &[]);
    assert!(!ok, "refused: {stdout}");
    assert!(stderr.contains("already holds data") && stderr.contains("--force"), "{stderr}");

    let (ok, stdout, stderr) = seed_demo(dir.path(), &url, &["--force"]);
    assert!(ok, "--force loads it anyway: {stderr}");
    let password = printed_password(&stdout);
    assert!(!stdout.contains("admin@followup.demo"), "an admin exists: no demo admin is made: {stdout}");
    // The demo's people sign in with the printed password.
    let served = serve(dir.path(), &[("FOLLOWUP_DATABASE_URL", &url)]);
    assert_eq!(login_status(served.port, "yj.hong@followup.demo", &password), 200);
}

// ---------------------------------------------------------------------------
// Crash safety: `kill -9` in the middle of a stream of writes, then a restart
// on the same database. What a client was told is stored must be there, as it
// was told; nothing a client did not send may appear; and every stored write
// carries its audit event and its change-feed entry (the same transaction).
//
// What this cannot do: make the operating system lose data. A write that
// SQLite or PostgreSQL acknowledged lives in the OS page cache even with
// `synchronous = OFF`, so a killed process alone never loses it; only a power
// cut would. The test therefore relies on its design rather than on provoking
// such a loss: it records every 2xx answer and checks each one after the
// restart, so a configuration that acknowledged writes before making them
// durable would fail here as soon as the platform lost one.
// ---------------------------------------------------------------------------

const CRASH_ADMIN_PASSWORD: &str = "crash-admin-password";
const CRASH_PASSWORD: &str = "crash-delegate-password";

/// `followup serve` on `url` with a known admin password.
fn serve_on(dir: &Path, url: &str) -> Served {
    serve(dir, &[("FOLLOWUP_DATABASE_URL", url), ("FOLLOWUP_ADMIN_PASSWORD", CRASH_ADMIN_PASSWORD)])
}

fn token(port: u16, email: &str, password: &str) -> String {
    let body: serde_json::Value = login(port, email, password).json().unwrap();
    body["access_token"].as_str().unwrap_or_else(|| panic!("{email} cannot sign in: {body}")).to_owned()
}

/// POST as `token`; the created resource, asserting `201`.
fn create(served: &Served, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let response = client().post(served.url(path)).bearer_auth(token).json(&body).send().unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(status, 201, "POST {path}: {body}");
    body
}

/// A programme with a delegate and a draft plan of theirs, set up through the
/// API: (delegate's e-mail, plan id).
fn programme_with_a_plan(served: &Served) -> (String, String) {
    let admin = token(served.port, "admin@followup.local", CRASH_ADMIN_PASSWORD);
    let email = "yohanes.lado@example.org".to_owned();
    let user = create(
        served,
        &admin,
        "/api/v1/users",
        serde_json::json!({ "email": email, "display_name": "Yohanes Lado", "password": CRASH_PASSWORD }),
    );
    let program = create(
        served,
        &admin,
        "/api/v1/programs",
        serde_json::json!({
            "code": "KOICA-ITP-2023",
            "title": "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia",
            "training_starts_on": "2023-05-08",
            "training_ends_on": "2023-05-19",
            "follow_up_until": (chrono::Utc::now().date_naive() + chrono::Duration::days(400)).to_string(),
        }),
    );
    let program_id = program["id"].as_str().unwrap();
    create(
        served,
        &admin,
        &format!("/api/v1/programs/{program_id}/members"),
        serde_json::json!({ "user_id": user["id"], "role": "delegate" }),
    );
    let delegate = token(served.port, &email, CRASH_PASSWORD);
    let plan = create(
        served,
        &delegate,
        "/api/v1/plans",
        serde_json::json!({
            "program_id": program_id,
            "title": "Peer-support training for youth workers in Kupang",
            "goal": "Train 20 youth workers in Kupang to run peer-support circles.",
            "starts_on": "2023-06-01",
            "ends_on": "2023-11-30",
        }),
    );
    (email, plan["id"].as_str().unwrap().to_owned())
}

/// Every item of a paged list (`items` + `next_cursor`).
fn all_pages(served: &Served, token: &str, path: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client().get(served.url(path)).bearer_auth(token).query(&[("limit", "200")]);
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c)]);
        }
        let page: serde_json::Value = request.send().unwrap().json().unwrap();
        items
            .extend(page["items"].as_array().unwrap_or_else(|| panic!("GET {path}: {page}")).iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// Every item of the change feed, from the beginning.
fn full_sync(served: &Served, token: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut since: Option<String> = None;
    loop {
        let mut request =
            client().get(served.url("/api/v1/sync")).bearer_auth(token).query(&[("limit", "1000")]);
        if let Some(s) = &since {
            request = request.query(&[("since", s)]);
        }
        let page: serde_json::Value = request.send().unwrap().json().unwrap();
        items.extend(page["items"].as_array().unwrap_or_else(|| panic!("GET /sync: {page}")).iter().cloned());
        if page["has_more"] != true {
            return items;
        }
        since = Some(page["next_cursor"].as_str().unwrap().to_owned());
    }
}

/// What the writers saw: ids sent, and the 2xx answers by id.
#[derive(Default)]
struct Ledger {
    sent: std::collections::HashSet<String>,
    acknowledged: std::collections::HashMap<String, serde_json::Value>,
    other_answers: Vec<(u16, String)>,
    /// When each 2xx answer arrived.
    answered_at: Vec<Instant>,
}

/// `writers` threads POST activities with client-chosen ids as fast as the
/// server answers, until a request fails at the transport level (the server
/// is gone) or `stop` is set. `fresh_connections`: one connection per
/// request, so that a refused connection is told apart from a cut request.
fn stream_writes(
    fresh_connections: bool,
    port: u16,
    token: &str,
    plan_id: &str,
    writers: usize,
    ledger: &std::sync::Arc<std::sync::Mutex<Ledger>>,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<std::thread::JoinHandle<bool>> {
    (0..writers)
        .map(|writer| {
            let (token, ledger, stop) = (token.to_owned(), ledger.clone(), stop.clone());
            let url = format!("http://127.0.0.1:{port}/api/v1/plans/{plan_id}/activities");
            std::thread::spawn(move || {
                let mut http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30));
                if fresh_connections {
                    http = http.pool_max_idle_per_host(0);
                }
                let http = http.build().unwrap();
                for n in 0.. {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        return false;
                    }
                    let id = uuid::Uuid::new_v4().to_string();
                    ledger.lock().unwrap().sent.insert(id.clone());
                    let body = serde_json::json!({
                        "id": id,
                        "title": format!("Workshop {writer}-{n}"),
                        "description": "Peer-support circle with the youth workers of one unit.",
                        "due_on": "2023-09-30",
                        "position": n,
                    });
                    let Ok(response) = http.post(&url).bearer_auth(&token).json(&body).send() else {
                        return true;
                    };
                    let status = response.status().as_u16();
                    let Ok(text) = response.text() else {
                        return true;
                    };
                    let mut ledger = ledger.lock().unwrap();
                    if (200..300).contains(&status) {
                        ledger.acknowledged.insert(id, serde_json::from_str(&text).unwrap());
                        ledger.answered_at.push(Instant::now());
                    } else {
                        ledger.other_answers.push((status, text));
                    }
                }
                false
            })
        })
        .collect()
}

/// A server on `url` (run in `dir`) with a delegate's plan, and four
/// writers streaming activities into it (see [`stream_writes`]) that have
/// had `answers` 2xx answers.
struct Streaming {
    served: Served,
    email: String,
    plan_id: String,
    ledger: std::sync::Arc<std::sync::Mutex<Ledger>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    writers: Vec<std::thread::JoinHandle<bool>>,
}

fn streaming(dir: &Path, url: &str, fresh_connections: bool, answers: usize) -> Streaming {
    let served = serve_on(dir, url);
    let (email, plan_id) = programme_with_a_plan(&served);
    let delegate = token(served.port, &email, CRASH_PASSWORD);

    let ledger = std::sync::Arc::new(std::sync::Mutex::new(Ledger::default()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers = stream_writes(fresh_connections, served.port, &delegate, &plan_id, 4, &ledger, &stop);
    let deadline = Instant::now() + Duration::from_secs(60);
    while ledger.lock().unwrap().acknowledged.len() < answers {
        assert!(Instant::now() < deadline, "the writers got fewer than {answers} answers in 60 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    Streaming { served, email, plan_id, ledger, stop, writers }
}

fn writes_survive_kill_9(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let Streaming { mut served, email, plan_id, ledger, stop, writers } =
        streaming(dir.path(), url, false, 40);
    // SIGKILL, mid-stream: no shutdown code runs.
    served.child.kill().unwrap();
    served.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let cut_off: Vec<bool> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert!(cut_off.iter().all(|c| *c), "every writer was still writing when the server was killed");
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(
        ledger.other_answers.is_empty(),
        "every answer before the kill was 2xx: {:?}",
        ledger.other_answers
    );
    drop(served);

    let served = serve_on(dir.path(), url);
    let delegate = token(served.port, &email, CRASH_PASSWORD);
    for (id, answered) in &ledger.acknowledged {
        let response = client()
            .get(served.url(&format!("/api/v1/activities/{id}")))
            .bearer_auth(&delegate)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "activity {id} was answered 2xx before the kill and is lost");
        let stored: serde_json::Value = response.json().unwrap();
        assert_eq!(&stored, answered, "activity {id} is stored as the 2xx answer showed it");
    }

    let listed = all_pages(&served, &delegate, &format!("/api/v1/plans/{plan_id}/activities"));
    let listed: Vec<String> = listed.iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
    assert!(listed.len() >= ledger.acknowledged.len());
    let created_events: std::collections::HashSet<String> =
        all_pages(&served, &delegate, &format!("/api/v1/plans/{plan_id}/history"))
            .iter()
            .filter(|e| e["entity_type"] == "activity" && e["action"] == "create")
            .map(|e| e["entity_id"].as_str().unwrap().to_owned())
            .collect();
    let synced: std::collections::HashMap<String, serde_json::Value> = full_sync(&served, &delegate)
        .into_iter()
        .filter(|i| i["type"] == "activity" && i["op"] == "upsert")
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i["data"].clone()))
        .collect();
    for id in &listed {
        assert!(ledger.sent.contains(id), "activity {id} exists but no client sent it");
        assert!(created_events.contains(id), "activity {id} exists without its audit event");
        let stored: serde_json::Value = client()
            .get(served.url(&format!("/api/v1/activities/{id}")))
            .bearer_auth(&delegate)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(synced.get(id), Some(&stored), "activity {id} is in the change feed as stored");
    }
    assert_eq!(created_events.len(), listed.len(), "no audit event for an activity that is not there");
    eprintln!(
        "kill -9 on {}: {} sent, {} answered 2xx, {} stored",
        url.split(':').next().unwrap_or_default(),
        ledger.sent.len(),
        ledger.acknowledged.len(),
        listed.len()
    );
}

#[test]
fn writes_answered_2xx_survive_kill_9_on_sqlite() {
    on_sqlite("crash.db", writes_survive_kill_9);
}

#[test]
fn writes_answered_2xx_survive_kill_9_on_postgres() {
    on_postgres(writes_survive_kill_9);
}

#[test]
fn sigterm_under_concurrent_writes_answers_every_request_it_took() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "drain.db");
    let Streaming { mut served, email, plan_id, ledger, stop, writers } =
        streaming(dir.path(), &url, true, 20);
    let signalled = Instant::now();
    served.signal("TERM");
    let exit = served.wait_exit(Duration::from_secs(20));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    assert!(exit.success(), "exit status after SIGTERM under load: {exit:?}\n{}", served.log());
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(
        ledger.other_answers.is_empty(),
        "every answer, during the drain too, was 2xx: {:?}",
        ledger.other_answers
    );
    let after = ledger.answered_at.iter().filter(|t| **t > signalled).count();
    assert!(after > 0, "some requests were in flight when SIGTERM arrived and were answered after it");

    // Every write the server took was answered: what is stored is exactly
    // what the clients were told (a request cut mid-way would be stored and
    // unanswered).
    let served = serve_on(dir.path(), &url);
    let delegate = token(served.port, &email, CRASH_PASSWORD);
    let stored: std::collections::HashSet<String> =
        all_pages(&served, &delegate, &format!("/api/v1/plans/{plan_id}/activities"))
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
    let answered: std::collections::HashSet<String> = ledger.acknowledged.keys().cloned().collect();
    assert_eq!(stored, answered, "the writes stored are the writes answered 2xx");
    eprintln!("SIGTERM under load: {} answered, {after} of them after the signal", answered.len());
}

#[test]
fn a_clients_malformed_requests_are_warnings_never_errors() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path(), &[]);
    let raw = |request: &[u8]| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", served.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = stream.write_all(request);
        let mut answer = [0u8; 64];
        let n = stream.read(&mut answer).unwrap_or(0);
        String::from_utf8_lossy(&answer[..n]).into_owned()
    };
    assert!(raw(b"GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400"));
    let huge = [b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ".as_slice(), &[b'a'; 200_000], b"\r\n\r\n"]
        .concat();
    assert!(raw(&huge).starts_with("HTTP/1.1 431"));
    let http = client();
    let bad_json = http
        .post(served.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let no_token = http.get(served.url("/api/v1/me")).send().unwrap();
    assert_eq!(no_token.status(), 401);
    let bad_path = http.get(served.url("/api/v1/plans/not-a-uuid")).send().unwrap();
    assert_eq!(bad_path.status(), 401);
    std::thread::sleep(Duration::from_millis(300));
    let log = served.log();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(errors.is_empty(), "a client's fault is never logged as an error:\n{}", errors.join("\n"));
    assert!(
        log.contains("WARN") && log.contains("could not read"),
        "the unreadable requests are logged as warnings:\n{log}"
    );
}

#[test]
fn a_refused_request_is_one_short_info_line_with_its_code_and_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path(), &[]);
    let response = client().get(served.url("/api/v1/plans")).send().unwrap();
    assert_eq!(response.status(), 401);
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    let line = loop {
        let log = served.log();
        if let Some(line) = log.lines().find(|l| l.contains(&request_id) && l.contains("request refused")) {
            break line.to_owned();
        }
        assert!(Instant::now() < deadline, "no `request refused` line for {request_id}:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    for part in ["INFO", "method=\"GET\"", "route=\"/api/v1/plans\"", "status=401", "code=\"unauthorized\""] {
        assert!(line.contains(part), "the line names {part}: {line}");
    }
    assert!(line.len() < 400, "one short line ({} bytes): {line}", line.len());
    let log = served.log();
    let about_it: Vec<&str> = log.lines().filter(|l| l.contains(&request_id)).collect();
    assert_eq!(about_it.len(), 1, "one line about the request:\n{log}");
    assert!(!log.lines().any(|l| l.contains("WARN") && l.contains("/api/v1/plans")), "no warning:\n{log}");
    assert!(!log.contains("Error encountered"), "the error is not repeated:\n{log}");
}
