//! API5: broken function level authorisation. Every admin function and
//! every coordinator function, driven from one table, is refused to each
//! lesser role (403 when the caller sees the resource, 404 when not, 401
//! without a token) and leaves no trace; path and method tricks (a trailing
//! slash, a doubled slash, other letter case, a method-override header) do
//! not reach them either. (`access` proves coordinators' writes succeed
//! and the members/mentorships POST/DELETE matrix; this adds the admin
//! functions, mentorship removal and the tricks.)

use followup_tests::api::{add_member, create_org, create_user, id_of, program_body};
use followup_tests::plans::{cast, Cast};
use followup_tests::{backend_test, json, Value};
use reqwest::Method;

/// A function and who may call it.
struct Function {
    what: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
    /// `true`: admins only; `false`: the programme's coordinator too.
    admin_only: bool,
}

fn table(cast: &Cast<'_>, org: &str, mentorship: &str, candidate: &str) -> Vec<Function> {
    let p = &cast.program_id;
    let f = |what, method, path: String, body: Option<Value>, admin_only| Function {
        what,
        method,
        path,
        body,
        admin_only,
    };
    vec![
        f(
            "create a user",
            Method::POST,
            "/users".into(),
            Some(
                json!({ "email": "planted@followup.local", "display_name": "Planted", "system_role": "admin" }),
            ),
            true,
        ),
        f(
            "promote a user",
            Method::PATCH,
            format!("/users/{}", cast.owner_id),
            Some(json!({ "system_role": "admin" })),
            true,
        ),
        f(
            "deactivate a user",
            Method::PATCH,
            format!("/users/{}", cast.mentor_id),
            Some(json!({ "active": false })),
            true,
        ),
        f(
            "create an organisation",
            Method::POST,
            "/organizations".into(),
            Some(json!({ "name": "Planted", "kind": "technical_unit" })),
            true,
        ),
        f(
            "rename an organisation",
            Method::PATCH,
            format!("/organizations/{org}"),
            Some(json!({ "name": "Renamed" })),
            true,
        ),
        f("delete an organisation", Method::DELETE, format!("/organizations/{org}"), None, true),
        f("create a programme", Method::POST, "/programs".into(), Some(program_body("PLANTED-2025")), true),
        f(
            "change the programme",
            Method::PATCH,
            format!("/programs/{p}"),
            Some(json!({ "title": "Renamed" })),
            false,
        ),
        f(
            "add a member",
            Method::POST,
            format!("/programs/{p}/members"),
            Some(json!({ "user_id": candidate, "role": "coordinator" })),
            false,
        ),
        f(
            "remove a member",
            Method::DELETE,
            format!("/programs/{p}/members/{}", cast.mentor_id),
            None,
            false,
        ),
        f(
            "assign a mentor",
            Method::POST,
            format!("/programs/{p}/mentorships"),
            Some(json!({ "mentor_id": cast.other_mentor_id, "delegate_id": cast.owner_id })),
            false,
        ),
        f(
            "remove a mentorship",
            Method::DELETE,
            format!("/programs/{p}/mentorships/{mentorship}"),
            None,
            false,
        ),
    ]
}

/// What the admin sees of everything the table could change.
async fn state(cast: &Cast<'_>) -> Vec<Value> {
    let p = &cast.program_id;
    let mut out = Vec::new();
    for path in [
        "/users?limit=200".to_owned(),
        "/organizations?limit=200".to_owned(),
        "/programs?limit=200".to_owned(),
        format!("/programs/{p}/members?limit=200"),
        format!("/programs/{p}/mentorships?limit=200"),
    ] {
        let mut page = cast.admin.get_ok(&path).await;
        // `last_login_at`-style fields move as the test logs people in; compare the rest.
        for item in page["items"].as_array_mut().unwrap() {
            if let Some(map) = item.as_object_mut() {
                map.retain(|k, _| !k.starts_with("last_"));
            }
        }
        out.push(page);
    }
    out
}

backend_test!(
    async fn admin_and_coordinator_functions_are_refused_to_lesser_roles(app) {
        let cast = cast(&app).await;
        let org = id_of(&create_org(&app, &cast.admin.token, "Dinas Sosial Ende", "technical_unit", None).await);
        let mentorships = cast.admin.get_ok(&format!("/programs/{}/mentorships", cast.program_id)).await;
        let mentorship = id_of(&mentorships["items"][0]);
        let (candidate, _) = create_user(&app, &cast.admin.token, "gita.maharani@kemensos.go.id", "Gita Maharani").await;
        let candidate = id_of(&candidate);
        // A coordinator of the other programme: a coordinator, but not of this one.
        let (foreign_id, foreign) = followup_tests::api::new_member(&app, &cast.admin.token, "dedi.kurniawan@kemensos.go.id", "Dedi Kurniawan").await;
        add_member(&app, &cast.admin.token, &cast.other_program_id, &foreign_id, "coordinator").await;

        let before = state(&cast).await;
        let callers = [
            ("delegate", Some(&cast.owner), 403, 403),
            ("mentor", Some(&cast.mentor), 403, 403),
            ("observer", Some(&cast.observer), 403, 403),
            ("coordinator", Some(&cast.coordinator), 403, 0),
            ("coordinator of another programme", Some(&foreign), 403, 404),
            ("delegate of another programme", Some(&cast.outsider), 403, 404),
            ("no token", None, 401, 401),
        ];
        let mut failures = Vec::new();
        for function in table(&cast, &org, &mentorship, &candidate) {
            for (who, client, admin_status, coordinator_status) in &callers {
                let expected = if function.admin_only { *admin_status } else { *coordinator_status };
                if expected == 0 {
                    continue; // allowed: proven by `access`
                }
                let (status, text) = followup_tests::plans::send(&app, *client, function.method.clone(), &function.path, function.body.as_ref()).await;
                // Admin-only reads of a single user may hide the user (404) rather than refuse (403).
                let ok = status == expected || (expected == 403 && status == 404 && function.path.starts_with("/users/"));
                if !ok {
                    failures.push(format!("{who}: {} ({} {}): expected {expected}, got {status} {text}", function.what, function.method, function.path));
                }
            }
        }
        assert!(failures.is_empty(), "function-level refusals:\n  {}", failures.join("\n  "));
        assert_eq!(state(&cast).await, before, "refused calls changed something");
    }
);

backend_test!(
    async fn path_and_method_tricks_do_not_reach_admin_functions(app) {
        let cast = cast(&app).await;
        let before = state(&cast).await;
        let body = json!({ "name": "Planted", "kind": "technical_unit" });
        let mut failures = Vec::new();
        for path in ["/api/v1/organizations/", "/api/v1//organizations", "/API/V1/organizations", "/api/v1/Organizations", "/api/v1/./organizations", "/api/v1/users/../organizations", "/api/v1/organizations%2F", "/api/v1/organizations;x=1"] {
            let response = app.client.post(app.url(path)).bearer_auth(&cast.owner.token).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            if !(403..=405).contains(&status) {
                failures.push(format!("POST {path}: {status} {}", response.text().await.unwrap()));
            }
        }
        // Method overrides are not honoured: a GET stays a GET.
        let plan = id_of(&cast.plan_in("active").await);
        for header in ["x-http-method-override", "x-http-method", "x-method-override"] {
            let response = cast.owner.request(Method::POST, "/organizations").header(header, "GET").json(&body).send().await.unwrap();
            if response.status() != 403 {
                failures.push(format!("POST /organizations with {header}: GET → {}", response.status()));
            }
            let response = cast.observer.request(Method::GET, &format!("/plans/{plan}")).header(header, "DELETE").send().await.unwrap();
            if response.status() != 200 {
                failures.push(format!("GET /plans/{{id}} with {header}: DELETE → {}", response.status()));
            }
        }
        assert_eq!(cast.admin.get_ok(&format!("/plans/{plan}")).await["status"], "active");
        // Verbs nobody serves.
        for method in [Method::PUT, Method::from_bytes(b"PROPFIND").unwrap(), Method::TRACE] {
            let response = cast.admin.request(method.clone(), "/organizations").json(&body).send().await.unwrap();
            if response.status() != 405 {
                failures.push(format!("{method} /organizations: {}", response.status()));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n  "));
        assert_eq!(state(&cast).await, before, "tricks changed something");
    }
);
