//! API9: improper inventory management. The routes served are exactly the
//! documented ones: every path and method of `/api-docs/openapi.json`
//! reaches a handler (an unknown id may still be a 404, but never the
//! unknown-route 404), plausible undocumented paths reach nothing, and every
//! documented method is in the `Allow` of a 405 for the other methods.

use followup_tests::api::admin;
use followup_tests::{backend_test, Value};
use reqwest::Method;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Whether a response is the answer for a route that does not exist.
async fn unknown_route(response: reqwest::Response) -> (u16, bool, String) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let unknown = status == 404
        && body["code"] == "not_found"
        && body["detail"].as_str().is_some_and(|d| d.starts_with("No route for"));
    (status, unknown, text)
}

/// The documented paths with the methods each one serves.
async fn documented(app: &followup_tests::TestApp) -> Vec<(String, Vec<String>)> {
    let spec: Value = app.get("/api-docs/openapi.json").await.json().await.unwrap();
    let mut out: Vec<(String, Vec<String>)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(m.to_ascii_lowercase()).is_some())
                .map(|m| m.to_string())
                .collect();
            (path.clone(), methods)
        })
        .collect();
    // Signing out ends the session the other requests use: last.
    out.sort_by_key(|(path, _)| path.ends_with("/logout"));
    out
}

/// A concrete path for a template: every `{param}` a fresh id.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { uuid::Uuid::new_v4().to_string() } else { s.to_owned() })
        .collect::<Vec<_>>()
        .join("/")
}

backend_test!(
    async fn every_documented_route_is_served_and_nothing_else(app) {
        let admin = admin(&app).await;
        let routes = documented(&app).await;
        assert!(routes.len() >= 30, "the document lists {} paths", routes.len());
        let mut failures = Vec::new();
        let mut requests = 0;
        for (template, methods) in &routes {
            let path = concrete(template);
            for method in methods {
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                let mut request = app.client.request(method.clone(), app.url(&path)).bearer_auth(&admin.token);
                if method == Method::POST || method == Method::PATCH {
                    request = request.json(&serde_json::json!({}));
                }
                let (status, unknown, text) = unknown_route(request.send().await.unwrap()).await;
                requests += 1;
                if unknown || status == 405 || status >= 500 {
                    failures.push(format!("{method} {template}: {status} {text}"));
                }
            }
            // Every other method: 405 naming all the documented ones.
            for other in METHODS.iter().filter(|m| !methods.iter().any(|d| d == *m)) {
                let method = Method::from_bytes(other.as_bytes()).unwrap();
                let response = app.client.request(method, app.url(&path)).bearer_auth(&admin.token).send().await.unwrap();
                let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let status = response.status().as_u16();
                if status != 405 {
                    failures.push(format!("{other} {template}: expected 405, got {status}"));
                    continue;
                }
                let allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
                for documented in methods {
                    if !allowed.contains(&documented.as_str()) {
                        failures.push(format!("{other} {template}: Allow {allow:?} lacks {documented}"));
                    }
                }
            }
        }
        assert!(requests >= 60, "only {requests} documented operations were tried");
        assert!(failures.is_empty(), "inventory drift:\n  {}", failures.join("\n  "));
    }
);

backend_test!(
    async fn plausible_undocumented_paths_are_unknown_routes(app) {
        let admin = admin(&app).await;
        let documented: Vec<String> = documented(&app).await.into_iter().map(|(p, _)| p).collect();
        let mut failures = Vec::new();
        for path in [
            "/api/v1/admin",
            "/api/v1/admin/users",
            "/api/v2/plans",
            "/api/v0/plans",
            "/api/plans",
            "/api/v1/plans.json",
            "/api/v1/plans/export.csv/x",
            "/api/v1/users/me/sessions",
            "/api/v1/sessions",
            "/api/v1/tokens",
            "/api/v1/auth/register",
            "/api/v1/auth/reset-password",
            "/api/v1/internal",
            "/api/v1/debug",
            "/api/v1/graphql",
            "/api/v1/openapi.json",
            "/api/v1/swagger.json",
            "/debug",
            "/debug/pprof",
            "/graphql",
            "/actuator/health",
            "/server-status",
            "/.env",
            "/.git/config",
            "/health",
            "/v1/plans",
        ] {
            assert!(!documented.iter().any(|d| d == path), "{path} is documented");
            for method in [Method::GET, Method::POST] {
                let response = app.client.request(method.clone(), app.url(path)).bearer_auth(&admin.token).send().await.unwrap();
                let (status, unknown, text) = unknown_route(response).await;
                if !unknown {
                    failures.push(format!("{method} {path}: {status} {text}"));
                }
            }
        }
        assert!(failures.is_empty(), "undocumented paths answer:\n  {}", failures.join("\n  "));
    }
);
