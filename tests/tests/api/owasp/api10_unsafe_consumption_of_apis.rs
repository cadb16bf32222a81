//! API10: unsafe consumption of APIs. The server consumes no other API: it
//! calls nothing over the network (evidence links are stored, never fetched:
//! see API7) and takes data from two sources only, its own database and,
//! when `FOLLOWUP_TRUST_PROXY` is set, the reverse proxy's
//! `X-Forwarded-For`. That header is what these tests probe: without trust
//! a forged one is ignored, and with trust a value that is not an address
//! is ignored too, so neither dodges login throttling.

use followup_tests::api::api_url;
use followup_tests::{json, TestApp};

/// A failed login for `email` sent with these extra headers.
async fn failed_login(app: &TestApp, email: &str, headers: &[(&str, String)]) -> reqwest::Response {
    let mut request = app.client.post(api_url(app, "/auth/login"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.json(&json!({ "email": email, "password": "Password123!" })).send().await.unwrap()
}

configured_test!(
    async fn without_trust_a_forged_forwarded_for_does_not_dodge_throttling(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
        cfg.auth.trust_proxy = false;
    }; {
        // Each attempt claims another address and tries another account.
        let mut statuses = Vec::new();
        for i in 0..8 {
            let forged = vec![
                ("x-forwarded-for", format!("203.0.113.{i}")),
                ("forwarded", format!("for=198.51.100.{i}")),
                ("x-real-ip", format!("192.0.2.{i}")),
            ];
            statuses.push(failed_login(&app, &format!("guess{i}@kemensos.go.id"), &forged).await.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429], "forged addresses are not believed");
    }
);

configured_test!(
    async fn with_trust_the_proxys_address_counts(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
        cfg.auth.trust_proxy = true;
    }; {
        // Control: behind a trusted proxy, different client addresses are different clients.
        for i in 0..8 {
            let from = vec![("x-forwarded-for", format!("203.0.113.{i}"))];
            let response = failed_login(&app, &format!("user{i}@kemensos.go.id"), &from).await;
            assert_eq!(response.status(), 401, "client 203.0.113.{i} has failed once");
        }
        // Repeated failures from one forwarded address are throttled.
        let from = vec![("x-forwarded-for", "198.51.100.7".to_owned())];
        let mut statuses = Vec::new();
        for i in 0..6 {
            statuses.push(failed_login(&app, &format!("other{i}@kemensos.go.id"), &from).await.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    }
);

configured_test!(
    async fn with_trust_garbage_forwarded_values_are_ignored_safely(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
        cfg.auth.trust_proxy = true;
    }; {
        // Values that are not an address: each would be a fresh throttling
        // bucket if taken as-is. They fall back to the peer address, one bucket.
        let junk = [
            "not-an-ip".to_owned(),
            "999.1.1.1".to_owned(),
            "<script>alert(1)</script>".to_owned(),
            "1.2.3.4.5".to_owned(),
            "x".repeat(4_000),
            "unknown".to_owned(),
            "::ffff:zzzz".to_owned(),
            "'; DROP TABLE users; --".to_owned(),
        ];
        let mut statuses = Vec::new();
        for (i, value) in junk.iter().enumerate() {
            let response = failed_login(&app, &format!("junk{i}@kemensos.go.id"), &[("x-forwarded-for", value.clone())]).await;
            statuses.push(response.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429], "junk values share the peer's bucket");
        // The server is unharmed and a junk `Forwarded` header is no different.
        let response = failed_login(&app, "late@kemensos.go.id", &[("forwarded", "for=\"[garbage]\";proto=gopher".to_owned())]).await;
        assert_eq!(response.status(), 429);
        assert_eq!(app.get("/health/live").await.status(), 200);
    }
);
