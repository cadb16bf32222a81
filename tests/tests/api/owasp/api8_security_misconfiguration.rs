//! API8: security misconfiguration. The security headers are on every kind
//! of answer (`conventions` checks a few paths; this covers each status
//! class, 304 and 405 included); CORS answers only the configured origins;
//! error bodies never show internals; and the docs can be switched off.

use followup_tests::api::{admin, api_url, id_of, login_response, Authed};
use followup_tests::plans::{cast, etag};
use followup_tests::{assert_problem, backend_test, json, TestApp, ADMIN_EMAIL};
use reqwest::{Method, Response};

fn assert_security_headers(response: &Response, what: &str) {
    let h = response.headers();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        assert_eq!(h.get(name).and_then(|v| v.to_str().ok()), Some(value), "{what}: {name}");
    }
    let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: CSP {csp:?}");
    assert!(h.contains_key("x-request-id"), "{what}: X-Request-Id");
}

backend_test!(
    async fn every_kind_of_answer_carries_the_security_headers(app) {
        let admin = admin(&app).await;
        let org = admin.post("/organizations", &json!({ "name": "Sentra Efata", "kind": "technical_unit" })).await;
        assert_eq!(org.status(), 201);
        assert_security_headers(&org, "201");
        let org: serde_json::Value = org.json().await.unwrap();
        let path = format!("/organizations/{}", id_of(&org));
        let ok = admin.get(&path).await;
        assert_eq!(ok.status(), 200);
        assert_security_headers(&ok, "200");
        let tag = etag(&ok);
        let not_modified = admin.request(Method::GET, &path).header("if-none-match", &tag).send().await.unwrap();
        assert_eq!(not_modified.status(), 304);
        assert_security_headers(&not_modified, "304");
        let cases: Vec<(u16, Response)> = vec![
            (400, admin.request(Method::PATCH, &path).header("if-match", "3").json(&json!({ "name": "x" })).send().await.unwrap()),
            (401, app.client.get(api_url(&app, "/me")).send().await.unwrap()),
            (404, admin.get("/no-such-route").await),
            (405, app.client.put(app.url("/health/live")).send().await.unwrap()),
            (412, admin.request(Method::PATCH, &path).header("if-match", "\"999\"").json(&json!({ "name": "x" })).send().await.unwrap()),
            (413, admin.post("/organizations", &json!({ "name": "x".repeat(300_000) })).await),
            (415, admin.request(Method::POST, "/organizations").header("content-type", "text/plain").body("{}").send().await.unwrap()),
            (422, admin.post("/organizations", &json!({ "name": "" })).await),
            (204, admin.delete(&path).await),
        ];
        for (status, response) in &cases {
            assert_eq!(response.status().as_u16(), *status, "{}", response.url());
            assert_security_headers(response, &status.to_string());
        }
        for _ in 0..6 {
            login_response(&app, ADMIN_EMAIL, "guessing").await;
        }
        let throttled = login_response(&app, ADMIN_EMAIL, "guessing").await;
        assert_eq!(throttled.status(), 429);
        assert_security_headers(&throttled, "429");
        // 5xx cannot be provoked from outside (the outage test covers 503 with the database down).
    }
);

const ALLOWED: &str = "https://app.followup.example";

fn allow_origin(response: &Response) -> Option<String> {
    response.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn preflight(app: &TestApp, origin: &str, method: &str, headers: &str) -> Response {
    app.client
        .request(Method::OPTIONS, api_url(app, "/plans"))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

configured_test!(
    async fn cors_answers_the_allowed_origins_only(app) with |cfg| {
        cfg.cors_origins = vec![ALLOWED.into(), "http://localhost:5173".into()];
    }; {
        let admin = admin(&app).await;
        // Allowed: the origin is echoed, never `*`, and the client may read the headers it needs.
        let response = admin.request(Method::GET, "/me").header("origin", ALLOWED).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(allow_origin(&response).as_deref(), Some(ALLOWED));
        let exposed = response.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
        for name in ["etag", "location", "link", "retry-after", "x-request-id", "idempotency-replayed"] {
            assert!(exposed.contains(name), "{name} not exposed: {exposed}");
        }
        assert!(response.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("origin")), "Vary: Origin");
        assert!(response.headers().get("access-control-allow-credentials").is_none());
        // Errors carry it too, so a browser client can read the problem.
        let response = app.client.get(api_url(&app, "/me")).header("origin", "http://localhost:5173").send().await.unwrap();
        assert_eq!(allow_origin(&response).as_deref(), Some("http://localhost:5173"));
        assert_problem(response, 401, "unauthorized").await;

        let preflight_ok = preflight(&app, ALLOWED, "PATCH", "authorization, content-type, if-match, idempotency-key, accept-language").await;
        assert!(preflight_ok.status().is_success(), "preflight: {}", preflight_ok.status());
        assert_eq!(allow_origin(&preflight_ok).as_deref(), Some(ALLOWED));
        let methods = preflight_ok.headers()["access-control-allow-methods"].to_str().unwrap().to_owned();
        for m in ["GET", "POST", "PATCH", "DELETE"] {
            assert!(methods.contains(m), "{m} not in {methods}");
        }
        let allowed_headers = preflight_ok.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
        for h in ["authorization", "content-type", "if-match", "if-none-match", "idempotency-key", "accept-language"] {
            assert!(allowed_headers.contains(h), "{h} not in {allowed_headers}");
        }
        assert_security_headers(&preflight_ok, "preflight");

        // Everyone else: no Access-Control-Allow-Origin at all.
        for origin in [
            "https://evil.example",
            "null",
            "https://app.followup.example.evil.example",
            "https://evil.example/https://app.followup.example",
            "http://app.followup.example",
            "https://app.followup.example:8443",
            "HTTPS://APP.FOLLOWUP.EXAMPLE.",
        ] {
            let response = admin.request(Method::GET, "/me").header("origin", origin).send().await.unwrap();
            assert_eq!(allow_origin(&response), None, "GET from {origin}");
            assert_eq!(response.status(), 200, "the request itself is served; the browser withholds it");
            let response = preflight(&app, origin, "DELETE", "authorization").await;
            assert_eq!(allow_origin(&response), None, "preflight from {origin}");
            assert_problem(response, 403, "forbidden").await;
        }
        // An allowed origin asking for a method or header outside the list gets no approval.
        for (method, headers) in [("PUT", "authorization"), ("GET", "x-forwarded-for")] {
            let response = preflight(&app, ALLOWED, method, headers).await;
            assert_eq!(allow_origin(&response), None, "{method} {headers}");
            assert_problem(response, 403, "forbidden").await;
        }
    }
);

backend_test!(
    async fn without_an_allow_list_there_are_no_cors_headers(app) {
        let admin = admin(&app).await;
        let response = admin.request(Method::GET, "/me").header("origin", ALLOWED).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(allow_origin(&response), None);
        let response = preflight(&app, ALLOWED, "GET", "authorization").await;
        assert_eq!(allow_origin(&response), None);
        assert_problem(response, 405, "method_not_allowed").await;
    }
);

/// Words that would betray the server's insides in an error body.
const INTERNALS: [&str; 11] = [
    "diesel",
    "src/",
    ".rs:",
    "panicked",
    "backtrace",
    "SELECT",
    "sqlite",
    "postgres",
    "r2d2",
    "tokio",
    "actix",
];

backend_test!(
    async fn error_bodies_never_show_internals(app) {
        let cast = cast(&app).await;
        let plan = id_of(&cast.plan_in("active").await);
        let owner: &Authed<'_> = &cast.owner;
        let garbage: Vec<(&str, &str)> = vec![
            ("application/json", "{"),
            ("application/json", "{\"title\": 5}"),
            ("application/json", "[1,2,3]"),
            ("application/json", "\"' OR '1'='1\""),
            ("application/json", "{\"program_id\": \"' OR 1=1 --\", \"title\": \"x\", \"starts_on\": \"2023-13-45\", \"ends_on\": \"yesterday\"}"),
            ("application/json", "{\"title\": \"\\u0000\\ud800\"}"),
            ("application/json", "{\"confidence\": 1e400, \"value\": -1e400}"),
            ("application/json", "{\"id\": \"00000000-0000-0000-0000-000000000000\", \"title\": \"x\"}"),
            ("application/x-www-form-urlencoded", "title=x&program_id=1"),
            ("application/json", "\u{feff}{}"),
        ];
        let paths = [
            "/plans".to_owned(),
            format!("/plans/{plan}"),
            format!("/plans/{plan}/activities"),
            format!("/plans/{plan}/indicators"),
            format!("/plans/{plan}/check-ins"),
            format!("/plans/{plan}/comments"),
            format!("/plans/{plan}/submit"),
            "/organizations".to_owned(),
            "/programs".to_owned(),
            "/me".to_owned(),
            "/me/password".to_owned(),
            "/auth/login".to_owned(),
            "/auth/refresh".to_owned(),
        ];
        let mut failures = Vec::new();
        let mut checked = 0;
        let mut check = |what: String, status: u16, body: &str| {
            if status >= 500 {
                failures.push(format!("{what}: {status} {body}"));
            }
            if status >= 400 {
                checked += 1;
                for word in INTERNALS {
                    if body.to_ascii_lowercase().contains(&word.to_ascii_lowercase()) {
                        failures.push(format!("{what}: {status} mentions {word:?}: {body}"));
                    }
                }
            }
        };
        for path in &paths {
            for method in [Method::POST, Method::PATCH] {
                for (content_type, body) in &garbage {
                    let response = owner.request(method.clone(), path).header("content-type", *content_type).body(body.to_string()).send().await.unwrap();
                    let status = response.status().as_u16();
                    check(format!("{method} {path} {body:?}"), status, &response.text().await.unwrap());
                }
            }
        }
        // Bad ids, bad queries, bad headers.
        for path in [
            "/plans/not-a-uuid",
            "/plans/00000000-0000-0000-0000-000000000000",
            "/plans/%27%20OR%201%3D1--",
            "/plans?status=%27%3B%20DROP%20TABLE%20plans%3B--",
            "/plans?owner_id=1%20OR%201%3D1",
            "/plans?sort=id;drop",
            "/plans?limit=abc",
            "/plans?cursor=%00%01%02",
            "/sync?since=%FF%FE",
            "/programs/zzz/export.csv",
        ] {
            let response = owner.get(path).await;
            let status = response.status().as_u16();
            check(format!("GET {path}"), status, &response.text().await.unwrap());
        }
        let headers: [(&str, &[u8]); 5] = [
            ("if-match", b"\"' OR 1=1\""),
            ("if-none-match", b"W/\"\xff\xfe\""),
            ("idempotency-key", b"\xff\xfe"),
            ("accept-language", b";;;q=2"),
            ("authorization", b"Bearer \xff"),
        ];
        for (name, value) in headers {
            let value = reqwest::header::HeaderValue::from_bytes(value).unwrap();
            let response = owner.request(Method::PATCH, &format!("/plans/{plan}")).header(name, value.clone()).json(&json!({ "title": "x" })).send().await.unwrap();
            let status = response.status().as_u16();
            check(format!("PATCH with {name}: {value:?}"), status, &response.text().await.unwrap());
        }
        assert!(checked > 200, "only {checked} error answers were checked");
        assert!(failures.is_empty(), "{} error bodies:\n  {}", failures.len(), failures.join("\n  "));
    }
);

configured_test!(
    async fn docs_switched_off_answer_404(app) with |cfg| {
        cfg.docs = false;
    }; {
        for path in ["/docs", "/docs/", "/docs/index.html", "/api-docs/openapi.json"] {
            let response = app.get(path).await;
            assert_security_headers(&response, path);
            assert_problem(response, 404, "not_found").await;
        }
        // The API itself is unaffected.
        assert_eq!(app.get("/health/live").await.status(), 200);
    }
);

backend_test!(
    async fn docs_are_served_when_on(app) {
        // Control for the test above: the same paths answer when the docs are on.
        assert_eq!(app.get("/api-docs/openapi.json").await.status(), 200);
        assert_eq!(app.get("/docs/").await.status(), 200);
    }
);
