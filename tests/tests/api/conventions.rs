//! Conventions every endpoint shares: problem+json errors.

use followup_tests::{assert_problem, backend_test};

backend_test!(
    async fn an_unknown_route_is_a_problem_json_404(app) {
        let body = assert_problem(app.get("/api/v1/no-such-thing").await, 404, "not_found").await;
        assert_eq!(body["type"], "/problems/not_found");
        assert!(body["detail"].as_str().unwrap().contains("/api/v1/no-such-thing"));
    }
);

backend_test!(
    async fn a_wrong_method_on_a_served_path_is_405_with_allow(app) {
        let response = app.client.post(app.url("/health/ready")).send().await.unwrap();
        assert_eq!(response.headers()["allow"], "GET");
        assert_problem(response, 405, "method_not_allowed").await;
    }
);

backend_test!(
    async fn every_answer_carries_the_security_headers(app) {
        for path in ["/health/live", "/api/v1/no-such-thing", "/api/v1/me", "/api-docs/openapi.json", "/docs/"] {
            let response = app.get(path).await;
            let h = response.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            if path.starts_with("/docs") {
                assert!(csp.contains("script-src 'self'"), "the docs page may run its own scripts only: {csp}");
            } else {
                assert!(csp.starts_with("default-src 'none'"), "{path}: API answers allow nothing: {csp}");
            }
        }
    }
);
