//! API4: unrestricted resource consumption. Bodies past the limit are 413,
//! page sizes past the maximum 422, failed logins are throttled (even the
//! right password waits), a client that trickles its request head is cut
//! off while others are served, and oversized headers and cursors get a
//! clean 4xx.

use std::time::{Duration, Instant};

use followup_tests::api::{admin, api_url, login_response};
use followup_tests::plans::{cast, plan_body, with};
use followup_tests::{assert_problem, backend_test, json, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

backend_test!(
    async fn a_body_over_the_limit_is_413_and_creates_nothing(app) {
        let cast = cast(&app).await;
        let limit = followup_http::JSON_BODY_LIMIT;
        let big = "x".repeat(limit + 1);
        let body = with(&plan_body(&cast.program_id), json!({ "problem_statement": big }));
        let problem = assert_problem(cast.owner.post("/plans", &body).await, 413, "payload_too_large").await;
        assert!(problem["detail"].as_str().unwrap().contains(&limit.to_string()), "{problem}");
        // Many small fields add up the same way.
        let mut wide = plan_body(&cast.program_id);
        for i in 0..20_000 {
            wide[format!("field_{i:05}")] = json!("padding-padding");
        }
        assert_problem(cast.owner.post("/plans", &wide).await, 413, "payload_too_large").await;
        // Deeply nested JSON under the limit is refused without exhausting the stack.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let response = cast
            .owner
            .request(reqwest::Method::POST, "/plans")
            .header("content-type", "application/json")
            .body(deep)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "nested JSON: {status}");
        assert_eq!(cast.owner.get_ok("/plans").await["items"], json!([]), "nothing was created");
    }
);

backend_test!(
    async fn page_sizes_past_the_maximum_are_422(app) {
        let cast = cast(&app).await;
        let plan = followup_tests::api::id_of(&cast.draft_plan().await);
        let mut failures = Vec::new();
        for list in [
            "/plans".to_owned(),
            "/programs".to_owned(),
            "/users".to_owned(),
            "/organizations".to_owned(),
            format!("/programs/{}/members", cast.program_id),
            format!("/plans/{plan}/activities"),
            format!("/plans/{plan}/comments"),
            format!("/plans/{plan}/history"),
            "/sync".to_owned(),
        ] {
            for limit in ["100000", "-1", "0", "99999999999999999999", "1e9", "NaN"] {
                let path = format!("{list}?limit={limit}");
                let response = cast.admin.get(&path).await;
                let status = response.status().as_u16();
                if status != 422 {
                    failures.push(format!("GET {path}: {status}"));
                    continue;
                }
                let problem = assert_problem(response, 422, "validation_failed").await;
                followup_tests::api::assert_field_error(&problem, "limit", None);
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n  "));
    }
);

configured_test!(
    async fn while_throttled_even_the_right_password_waits(app) with |cfg| {
        cfg.auth.login_max_failures = 3;
    }; {
        for _ in 0..3 {
            assert_problem(login_response(&app, ADMIN_EMAIL, "guess").await, 401, "invalid_credentials").await;
        }
        let response = login_response(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        assert_problem(response, 429, "too_many_attempts").await;
    }
);

configured_test!(
    async fn a_client_trickling_its_headers_is_cut_off_while_others_are_served(app) with |cfg| {
        cfg.client_timeout = 1;
    }; {
        let address = app.address.trim_start_matches("http://").to_owned();
        let started = Instant::now();
        let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let trickle = tokio::spawn(async move {
            let head = format!("GET /health/live HTTP/1.1\r\nHost: {address}\r\nX-Slow: {}", "a".repeat(200));
            for byte in head.bytes() {
                if writer.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        // Meanwhile another client is served at once.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let quick = Instant::now();
        assert_eq!(app.get("/health/live").await.status(), 200);
        assert!(quick.elapsed() < Duration::from_secs(3), "the other client waited {:?}", quick.elapsed());

        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(8), reader.read_to_end(&mut answer)).await;
        let elapsed = started.elapsed();
        trickle.abort();
        assert!(read.is_ok(), "the trickling client was still connected after 8 s");
        // The head would take 11 s to send; a 1 s limit ends it well before.
        assert!(elapsed < Duration::from_secs(5), "cut off after {elapsed:?}");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "answer to the slow client: {answer}");
        assert_eq!(app.get("/health/live").await.status(), 200, "the server still serves");
    }
);

backend_test!(
    async fn oversized_language_headers_and_cursors_get_a_clean_4xx(app) {
        let admin = admin(&app).await;
        // A long but well-formed Accept-Language is read, and the answer is still localised.
        let long = std::iter::repeat_n("xx-YY;q=0.1", 600).collect::<Vec<_>>().join(", ") + ", id;q=0.9";
        let response = app.client.get(api_url(&app, "/no-such-thing")).header("accept-language", &long).send().await.unwrap();
        assert_eq!(response.headers()["content-language"], "id");
        assert_problem(response, 404, "not_found").await;
        for path in ["/plans?cursor=", "/organizations?cursor=", "/sync?since="] {
            let path = format!("{path}{}", "QUFB".repeat(1_000));
            let response = admin.get(&path).await;
            let status = response.status().as_u16();
            assert_eq!(status, 400, "GET {path}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(body["code"].as_str().is_some_and(|c| c.starts_with("invalid_")), "{body}");
        }
        // Oversized requests go on connections of their own: the server may
        // close one after its 431, and no later request should share it.
        let once = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        // A header block past what the server reads is refused, not served.
        let huge = "en;q=0.5, ".repeat(20_000);
        match once.get(api_url(&app, "/me")).header("accept-language", &huge).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                assert!((400..500).contains(&status), "a 200 KB header: {status}");
            }
            // The server may close the connection after its 431.
            Err(e) => assert!(!e.is_timeout(), "a 200 KB header hung the request: {e}"),
        }
        // A request line past what the server reads is refused or cut, never served.
        let url = api_url(&app, &format!("/plans?cursor={}", "QUFB".repeat(20_000)));
        match once.get(url).bearer_auth(&admin.token).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                assert!((400..500).contains(&status), "an 80 KB URL: {status}");
            }
            Err(e) => assert!(!e.is_timeout(), "an 80 KB URL hung the request: {e}"),
        }
        assert_eq!(app.get("/health/live").await.status(), 200, "the server still serves");
    }
);
