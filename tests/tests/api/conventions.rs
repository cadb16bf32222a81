//! Conventions every endpoint shares: problem+json errors.

use followup_tests::{assert_problem, backend_test, json, Value};

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

backend_test!(
    async fn every_authenticated_answer_is_no_store(app) {
        use followup_tests::api::{expect_json, id_of};
        use followup_tests::plans::{activity_body, cast, create_activity, plan_body};

        let cast = cast(&app).await;
        let plan = expect_json(cast.owner.post("/plans", &plan_body(&cast.program_id)).await, 201).await;
        let plan_id = id_of(&plan);
        let activity =
            create_activity(&cast.owner, &plan_id, &activity_body("Peer-support workshop", Some("2023-09-30"))).await;
        let program = &cast.program_id;
        let reads = [
            (&cast.owner, "/me".to_owned()),
            (&cast.admin, "/users".to_owned()),
            (&cast.admin, "/organizations".to_owned()),
            (&cast.owner, "/programs".to_owned()),
            (&cast.owner, format!("/programs/{program}")),
            (&cast.coordinator, format!("/programs/{program}/members")),
            (&cast.coordinator, format!("/programs/{program}/mentorships")),
            (&cast.coordinator, format!("/programs/{program}/dashboard")),
            (&cast.coordinator, format!("/programs/{program}/delegates")),
            (&cast.mentor, "/mentor/overview".to_owned()),
            (&cast.owner, "/plans".to_owned()),
            (&cast.owner, format!("/plans/{plan_id}")),
            (&cast.owner, format!("/plans/{plan_id}/activities")),
            (&cast.owner, format!("/activities/{}", id_of(&activity))),
            (&cast.owner, format!("/plans/{plan_id}/indicators")),
            (&cast.owner, format!("/plans/{plan_id}/check-ins")),
            (&cast.owner, format!("/plans/{plan_id}/comments")),
            (&cast.owner, format!("/plans/{plan_id}/history")),
            (&cast.owner, "/sync".to_owned()),
        ];
        for (client, path) in reads {
            let response = client.get(&path).await;
            assert_eq!(response.status(), 200, "{path}");
            let cache = response.headers().get("cache-control").map(|v| v.to_str().unwrap_or_default().to_owned());
            assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
        }
        // Writes and a not-modified answer too.
        let created = cast.owner.post(&format!("/plans/{plan_id}/activities"), &activity_body("Home visits", None)).await;
        assert_eq!(created.status(), 201);
        assert_eq!(created.headers()["cache-control"], "no-store", "a 201");
        let etag = plan["version"].to_string();
        let not_modified = cast
            .owner
            .request(reqwest::Method::GET, &format!("/plans/{plan_id}"))
            .header("if-none-match", format!("\"{etag}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(not_modified.status(), 304);
        assert_eq!(not_modified.headers()["cache-control"], "no-store", "a 304");
    }
);

backend_test!(
    async fn header_fields_over_the_limit_answer_431_problem_json(app) {
        let big = "a".repeat(20 * 1024);
        let response = app.client.get(app.url("/api/v1/me")).header("x-padding", &big).send().await.unwrap();
        let body = assert_problem(response, 431, "headers_too_large").await;
        assert!(body["detail"].as_str().unwrap_or_default().contains("16384"), "{body}");
        // In Indonesian too, and a request just under the limit is served.
        let response = app
            .client
            .get(app.url("/health/live"))
            .header("accept-language", "id")
            .header("x-padding", &big)
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, 431, "headers_too_large").await;
        assert!(body["detail"].as_str().unwrap_or_default().contains("bita"), "{body}");
        let response = app.client.get(app.url("/health/live")).header("x-padding", "a".repeat(8 * 1024)).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
);

backend_test!(
    async fn a_whole_number_written_5_0_is_an_integer_and_no_message_names_a_rust_type(app) {
        use followup_tests::api::{expect_json, id_of};
        use followup_tests::plans::{cast, check_in_body};

        let cast = cast(&app).await;
        let plan_id = id_of(&cast.plan_in("active").await);
        let path = format!("/plans/{plan_id}/check-ins");
        let mut body = check_in_body("2023-08-31", "First workshop held.");
        body["confidence"] = serde_json::json!(7.0);
        let created = expect_json(cast.owner.post(&path, &body).await, 201).await;
        assert_eq!(created["confidence"], 7);

        for (value, field) in [(serde_json::json!(7.5), "confidence"), (serde_json::json!("seven"), "confidence")] {
            let mut body = check_in_body("2023-09-30", "Second workshop held.");
            body[field] = value.clone();
            let problem = assert_problem(cast.owner.post(&path, &body).await, 422, "validation_failed").await;
            let text = problem.to_string();
            for rust in ["i32", "i64", "u32", "u64", "f64", "usize"] {
                assert!(!text.contains(rust), "{value}: the answer names `{rust}`: {problem}");
            }
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        let problem = assert_problem(cast.owner.get("/plans?limit=-1").await, 422, "validation_failed").await;
        assert!(!problem.to_string().contains("i64"), "{problem}");
    }
);

backend_test!(
    async fn a_query_parameter_an_endpoint_does_not_take_is_refused_by_name(app) {
        let cast = followup_tests::plans::cast(&app).await;
        let plan_id = followup_tests::api::id_of(&cast.plan_in("active").await);
        let indicator = followup_tests::plans::create_indicator(
            &cast.owner,
            &plan_id,
            &followup_tests::plans::indicator_body("Youth workers trained", "people", 0.0, 40.0, "increase"),
        )
        .await;
        let indicator_id = followup_tests::api::id_of(&indicator);

        // The misspelt filter of the report: nothing, rather than every plan.
        let typo = assert_problem(cast.owner.get("/plans?overdue=true").await, 400, "unknown_parameter").await;
        assert_eq!(typo["errors"][0]["field"], "overdue", "{typo}");
        assert!(typo["detail"].as_str().unwrap().contains("status"), "the detail lists what it takes: {typo}");

        let webhook = cast
            .coordinator
            .post(&format!("/programs/{}/webhooks", cast.program_id), &json!({ "url": "https://hooks.dinsos.example.id/followup" }))
            .await;
        let webhook_id = followup_tests::api::id_of(&followup_tests::api::expect_json(webhook, 201).await);

        // A file on each kind of parent, for the attachment lists, the download and the preview.
        use followup_tests::plans as p;
        let today = p::day(p::owner_today(), 0);
        let check_in = followup_tests::api::id_of(&p::post_check_in(&cast.owner, &plan_id, &p::check_in_body(&today, "Two circles ran.")).await);
        let activity = followup_tests::api::id_of(&p::create_activity(&cast.owner, &plan_id, &p::activity_body("Train ten youth workers", None)).await);
        let measurement = followup_tests::api::id_of(&p::record_measurement(&cast.owner, &indicator_id, &p::measurement_body(4.0, &today)).await);
        let comment = followup_tests::api::id_of(&p::post_comment(&cast.owner, &plan_id, &p::comment_body("Photos attached.", "shared")).await);
        let attached = cast.owner.request(reqwest::Method::POST, &format!("/check-ins/{check_in}/attachments?file_name=foto.png")).body(followup_tests::files::png(40, 30)).send().await.unwrap();
        let attachment = followup_tests::api::id_of(&followup_tests::api::expect_json(attached, 201).await);

        // Every GET that takes query parameters, as the document lists them.
        let document: Value = app.get("/api-docs/openapi.json").await.json().await.unwrap();
        let mut checked = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            let Some(get) = item.get("get") else { continue };
            let takes_query = get["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            if !takes_query {
                continue;
            }
            let id = if path.starts_with("/api/v1/programs/") {
                cast.program_id.as_str()
            } else if path.starts_with("/api/v1/plans/") {
                plan_id.as_str()
            } else if path.starts_with("/api/v1/webhooks/") {
                webhook_id.as_str()
            } else if path.starts_with("/api/v1/check-ins/") {
                check_in.as_str()
            } else if path.starts_with("/api/v1/activities/") {
                activity.as_str()
            } else if path.starts_with("/api/v1/measurements/") {
                measurement.as_str()
            } else if path.starts_with("/api/v1/comments/") {
                comment.as_str()
            } else if path.starts_with("/api/v1/attachments/") {
                attachment.as_str()
            } else {
                indicator_id.as_str()
            };
            let url = path.trim_start_matches("/api/v1").replace("{id}", id);
            let client = if path.contains("/users") { &cast.admin } else { &cast.coordinator };
            let response = client.get(&format!("{url}?sort_by_typo=1")).await;
            let problem = assert_problem(response, 400, "unknown_parameter").await;
            assert_eq!(problem["errors"][0]["field"], "sort_by_typo", "{path}: {problem}");
            assert_eq!(client.get(&url).await.status(), 200, "{path} without the typo");
            checked += 1;
        }
        assert!(checked >= 15, "lists checked: {checked}");
    }
);
