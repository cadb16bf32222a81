//! Operational endpoints: health, metrics, the OpenAPI document and the docs page.

use followup_tests::{backend_test, Value};

backend_test!(
    async fn liveness_answers_ok_without_the_database(app) {
        let response = app.get("/health/live").await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
);

backend_test!(
    async fn readiness_checks_the_configured_database(app) {
        let response = app.get("/health/ready").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], app.backend.name(), "readiness names the backend it checked");
    }
);

backend_test!(
    async fn every_response_carries_a_request_id(app) {
        let first = app.get("/health/live").await;
        let second = app.get("/health/live").await;
        let id = |r: &reqwest::Response| r.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
        let (a, b) = (id(&first).expect("x-request-id missing"), id(&second).expect("x-request-id missing"));
        assert_ne!(a, b, "each request gets its own id");
        assert!(uuid::Uuid::parse_str(&a).is_ok(), "request id is a UUID: {a}");
    }
);

backend_test!(
    async fn metrics_count_requests_by_route_and_show_the_pools(app) {
        for _ in 0..3 {
            assert_eq!(app.get("/health/ready").await.status(), 200);
        }
        assert_eq!(app.get("/no/such/route").await.status(), 404);
        let response = app.get("/metrics").await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = response.text().await.unwrap();
        let count_line = text
            .lines()
            .find(|l| {
                l.starts_with("followup_http_requests_total{")
                    && l.contains("endpoint=\"/health/ready\"")
                    && l.contains("status=\"200\"")
            })
            .unwrap_or_else(|| panic!("no request counter for /health/ready in:\n{text}"));
        assert!(count_line.ends_with(" 3"), "three readiness checks counted: {count_line}");
        assert!(
            text.contains("followup_http_requests_duration_seconds_bucket{endpoint=\"/health/ready\""),
            "latency histogram by route"
        );
        assert!(!text.contains("/no/such/route"), "unmatched paths are masked, not one series per URL");
        let pools: &[&str] = match app.backend {
            followup_tests::Backend::Sqlite => &["read", "write"],
            followup_tests::Backend::Postgres => &["main"],
        };
        for pool in pools {
            let gauge = format!("followup_db_pool_max_connections{{pool=\"{pool}\"}}");
            assert!(text.contains(&gauge), "pool gauge {gauge} missing in:\n{text}");
        }
        assert!(text.contains("followup_db_pool_connections{"), "open connections gauge");
    }
);

backend_test!(
    async fn the_served_document_is_openapi_3_1_and_matches_the_code(app) {
        let response = app.get("/api-docs/openapi.json").await;
        assert_eq!(response.status(), 200);
        let served: Value = response.json().await.unwrap();
        assert!(served["openapi"].as_str().unwrap().starts_with("3.1"), "OpenAPI 3.1: {}", served["openapi"]);
        assert_eq!(served["info"]["title"], "Followup API");
        let generated = serde_json::to_value(followup_http::openapi()).unwrap();
        assert_eq!(served, generated, "the server serves the document `followup openapi` prints");
        for path in ["/health/live", "/health/ready", "/metrics"] {
            assert!(served["paths"][path]["get"].is_object(), "{path} documented");
        }
        let ready_503 = &served["paths"]["/health/ready"]["get"]["responses"]["503"];
        assert!(ready_503["content"]["application/problem+json"].is_object(), "503 documented as problem+json");
        assert!(served["components"]["securitySchemes"]["bearer"].is_object(), "bearer scheme declared");
    }
);

backend_test!(
    async fn the_docs_page_and_its_assets_are_served_locally(app) {
        let redirect = app.get("/docs").await;
        assert!(
            redirect.status().is_redirection() || redirect.status() == 200,
            "/docs answers (redirect to /docs/ or the page): {}",
            redirect.status()
        );
        let page = app.get("/docs/").await;
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "Swagger UI page");
        // Every script and stylesheet the page names is served by us, not a CDN.
        let mut assets = Vec::new();
        for attr in ["src=\"", "href=\""] {
            for part in html.split(attr).skip(1) {
                let target = part.split('"').next().unwrap();
                if target.ends_with(".js") || target.ends_with(".css") {
                    assets.push(target.to_owned());
                }
            }
        }
        assert!(assets.len() >= 2, "the page names its scripts and styles: {assets:?}");
        for asset in assets {
            assert!(!asset.starts_with("http"), "asset {asset} would leave the machine");
            let path = if asset.starts_with('/') { asset.clone() } else { format!("/docs/{}", asset.trim_start_matches("./")) };
            let response = app.get(&path).await;
            assert_eq!(response.status(), 200, "asset {path}");
            assert!(!response.bytes().await.unwrap().is_empty(), "asset {path} is empty");
        }
        let initializer = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
        assert!(initializer.contains("/api-docs/openapi.json"), "the UI loads our document");
    }
);

/// Replicas starting together on a fresh PostgreSQL database (SQLite serves
/// one instance): every one starts (one creates the server's secrets, the
/// others read them), and a token one issues is good on the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_started_at_once_on_a_fresh_database_all_start_and_share_their_secrets() {
    for round in 0..3 {
        let backend = followup_tests::Backend::Postgres;
        let Some((app, others)) = followup_tests::TestApp::spawn_together(backend, 3).await else { return };
        eprintln!("round {round}");
        let token = followup_tests::api::admin_token(&app).await;
        for other in &others {
            let me = app.client.get(format!("{}/api/v1/me", other.address)).bearer_auth(&token).send().await;
            assert_eq!(
                me.expect("request failed").status(),
                200,
                "{}: a token from one replica works on {}",
                backend.name(),
                other.address
            );
        }
    }
}
