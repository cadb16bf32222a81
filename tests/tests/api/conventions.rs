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
