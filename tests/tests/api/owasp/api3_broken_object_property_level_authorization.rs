//! API3: broken object property level authorisation. No answer carries a
//! secret-looking property (except the documented `refresh_token` of a
//! sign-in and the `initial_password` of a new account, once); a delegate or
//! observer never receives a `mentors` comment anywhere; and properties the
//! server owns cannot be set through a body (mass assignment): every such
//! body is refused 422 `unknown_field` and changes nothing.

use followup_tests::api::{
    admin, assert_field_error, create_user, expect_json, id_of, login_response, refresh_response, Authed,
};
use followup_tests::plans::{
    activity_body, cast, check_in_body, comment_body, create_activity, create_indicator, day, indicator_body,
    measurement_body, owner_today, plan_body, post_check_in, post_comment, record_measurement, send, with,
    Cast, Role,
};
use followup_tests::{assert_problem, backend_test, json, Value, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::Method;

use super::keys;

/// Parts of key names that would betray a secret.
const SECRET_WORDS: [&str; 7] = ["password", "hash", "secret", "refresh", "salt", "token", "otp"];

fn secret_keys(value: &Value, allowed: &[&str]) -> Vec<String> {
    keys(value)
        .into_iter()
        .filter(|(path, key)| {
            let key = key.to_ascii_lowercase();
            // `password_state` says how a password stands, never what it is.
            key != "password_state"
                && SECRET_WORDS.iter().any(|w| key.contains(w))
                && !allowed.contains(&path.as_str())
        })
        .map(|(path, _)| path)
        .collect()
}

const PRIVATE_NOTE: &str = "Mentors only 4be1: he may need help with the budget";

/// A furnished active plan; returns the ids to walk and the private comment's id.
async fn story(cast: &Cast<'_>) -> (Vec<String>, String) {
    let plan = id_of(&cast.plan_in("active").await);
    let activity = create_activity(&cast.owner, &plan, &activity_body("Adapt the module", None)).await;
    let indicator = create_indicator(
        &cast.owner,
        &plan,
        &indicator_body("Youth workers trained", "persons", 0.0, 20.0, "increase"),
    )
    .await;
    record_measurement(&cast.owner, &id_of(&indicator), &measurement_body(4.0, &day(owner_today(), -2)))
        .await;
    let check_in =
        post_check_in(&cast.owner, &plan, &check_in_body(&day(owner_today(), 0), "First circle held")).await;
    let check_in = id_of(&check_in);
    expect_json(
        cast.mentor
            .post(&format!("/check-ins/{check_in}/review"), &json!({ "decision": "acknowledged" }))
            .await,
        200,
    )
    .await;
    post_comment(&cast.mentor, &plan, &comment_body("Good start with the circles.", "shared")).await;
    let private = post_comment(&cast.mentor, &plan, &comment_body(PRIVATE_NOTE, "mentors")).await;
    // A mentors-only note on the check-in, and one on the activity, too.
    let on_check_in = json!({ "body": format!("{PRIVATE_NOTE} (check-in)"), "visibility": "mentors", "target_type": "check_in", "target_id": check_in });
    expect_json(cast.mentor.post(&format!("/plans/{plan}/comments"), &on_check_in).await, 201).await;
    let p = &cast.program_id;
    let i = id_of(&indicator);
    let a = id_of(&activity);
    let paths = vec![
        "/me".into(),
        "/programs".into(),
        format!("/programs/{p}"),
        format!("/programs/{p}/members"),
        format!("/programs/{p}/mentorships"),
        "/plans".into(),
        format!("/plans/{plan}"),
        format!("/plans/{plan}/activities"),
        format!("/activities/{a}"),
        format!("/plans/{plan}/indicators"),
        format!("/indicators/{i}"),
        format!("/indicators/{i}/measurements"),
        format!("/plans/{plan}/check-ins"),
        format!("/check-ins/{check_in}"),
        format!("/plans/{plan}/comments"),
        format!("/comments/{}", id_of(&private)),
        format!("/plans/{plan}/history"),
        "/sync?limit=1000".into(),
        format!("/programs/{p}/export.csv"),
        "/users".into(),
        format!("/users/{}", cast.owner_id),
        "/organizations".into(),
        format!("/organizations/{}", cast.org_id),
    ];
    (paths, id_of(&private))
}

backend_test!(
    async fn no_answer_of_a_whole_story_carries_a_secret_or_a_hidden_comment(app) {
        let cast = cast(&app).await;
        let (paths, private_id) = story(&cast).await;
        let mut failures = Vec::new();
        let mut mentors_saw_it = false;
        for role in Role::ALL {
            let client = cast.client(role);
            let barred = matches!(role, Role::Owner | Role::OtherDelegate | Role::Observer | Role::OtherMentor);
            for path in &paths {
                let (status, text) = send(&app, client, Method::GET, path, None).await;
                if status >= 500 {
                    failures.push(format!("{} GET {path}: {status}", role.name()));
                }
                if text.contains("$argon2") {
                    failures.push(format!("{} GET {path}: a password hash in the body", role.name()));
                }
                let saw = text.contains(PRIVATE_NOTE) || text.contains(&private_id);
                if barred && saw {
                    failures.push(format!("{} GET {path} ({status}) receives the mentors-only comment", role.name()));
                }
                if role == Role::Mentor && saw {
                    mentors_saw_it = true;
                }
                if let Ok(json) = serde_json::from_str::<Value>(&text) {
                    for key in secret_keys(&json, &[]) {
                        failures.push(format!("{} GET {path}: property {key}", role.name()));
                    }
                }
            }
        }
        // Control: the owner's mentor does receive the note, so the scan can see it.
        assert!(mentors_saw_it, "the mentor never saw the mentors-only comment");
        assert!(failures.is_empty(), "{}", failures.join("\n  "));
    }
);

backend_test!(
    async fn secrets_appear_only_where_documented_and_only_once(app) {
        let allowed = ["access_token", "refresh_token", "token_type"];
        let response = login_response(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let login = expect_json(response, 200).await;
        assert_eq!(secret_keys(&login, &allowed), Vec::<String>::new(), "login: {login}");
        let refreshed = expect_json(refresh_response(&app, login["refresh_token"].as_str().unwrap()).await, 200).await;
        assert_eq!(secret_keys(&refreshed, &allowed), Vec::<String>::new(), "refresh: {refreshed}");
        let admin = Authed::new(&app, refreshed["access_token"].as_str().unwrap());

        // An account created without a password gets a generated one, shown once.
        let created = expect_json(
            admin.post("/users", &json!({ "email": "eka.putri@kemensos.go.id", "display_name": "Eka Putri" })).await,
            201,
        )
        .await;
        assert_eq!(secret_keys(&created, &["initial_password"]), Vec::<String>::new(), "{created}");
        let initial = created["initial_password"].as_str().expect("initial_password on create").to_owned();
        assert_eq!(login_response(&app, "eka.putri@kemensos.go.id", &initial).await.status(), 200);
        let id = id_of(&created);
        // An invitation and a reset show their one secret, once.
        let invite = json!({ "email": "eka.invited@kemensos.go.id", "display_name": "Eka", "invite": true });
        let invited = expect_json(admin.post("/users", &invite).await, 201).await;
        assert_eq!(secret_keys(&invited, &["invitation_token"]), Vec::<String>::new(), "{invited}");
        let reset = expect_json(admin.post(&format!("/users/{}/password-reset", id_of(&invited)), &json!({})).await, 200).await;
        assert_eq!(secret_keys(&reset, &["reset_token"]), Vec::<String>::new(), "{reset}");
        let temporary = json!({ "method": "temporary_password" });
        let reset = expect_json(admin.post(&format!("/users/{}/password-reset", id_of(&invited)), &temporary).await, 200).await;
        assert_eq!(secret_keys(&reset, &["temporary_password"]), Vec::<String>::new(), "{reset}");
        let invited_id = id_of(&invited);
        for path in [format!("/users/{id}"), format!("/users/{invited_id}"), "/users".to_owned()] {
            let text = admin.get(&path).await.text().await.unwrap();
            assert!(!text.contains(&initial), "{path} repeats the initial password");
            let json: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(secret_keys(&json, &[]), Vec::<String>::new(), "{path}: {json}");
        }
        // A password change answers without echoing anything secret.
        let (_, password) = create_user(&app, &admin.token, "budi.santoso@kemensos.go.id", "Budi Santoso").await;
        let budi = Authed::new(&app, followup_tests::api::login(&app, "budi.santoso@kemensos.go.id", &password).await.access_token);
        let change = json!({ "current_password": password, "new_password": "a-new-long-password-2024" });
        let response = budi.post("/me/password", &change).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!((200..300).contains(&status), "password change: {status} {text}");
        assert!(!text.contains("a-new-long-password-2024") && !text.contains("$argon2"), "{text}");
    }
);

/// Assert a body is refused 422 naming `field` as unknown.
async fn mass_assignment(client: &Authed<'_>, method: Method, path: &str, body: &Value, field: &str) {
    let mut request = client.request(method.clone(), path).json(body);
    if method == Method::PATCH {
        request = request.header("If-Match", "*");
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status != 422 {
        panic!(
            "{method} {path} with `{field}`: expected 422, got {status}: {}",
            response.text().await.unwrap()
        );
    }
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_field_error(&problem, field, Some("unknown_field"));
}

backend_test!(
    async fn server_owned_properties_cannot_be_assigned(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("submitted").await;
        let plan_id = id_of(&plan);
        let path = format!("/plans/{plan_id}");
        let base = plan_body(&cast.program_id);
        let creates = [
            ("owner_id", json!(cast.other_delegate_id)),
            ("status", json!("active")),
            ("version", json!(99)),
            ("created_at", json!("2020-01-01T00:00:00Z")),
            ("updated_at", json!("2020-01-01T00:00:00Z")),
            ("review_status", json!("acknowledged")),
        ];
        for (field, value) in &creates {
            let body = with(&base, json!({ *field: value }));
            mass_assignment(&cast.owner, Method::POST, "/plans", &body, field).await;
            mass_assignment(&cast.owner, Method::PATCH, &path, &json!({ "title": "Retitled", *field: value }), field).await;
        }
        mass_assignment(&cast.owner, Method::PATCH, &path, &json!({ "program_id": cast.other_program_id }), "program_id").await;
        let after = cast.owner.get_ok(&path).await;
        assert_eq!(after, plan, "refused bodies changed the plan");
        let mine = followup_tests::plans::all_items(&cast.owner, "/plans").await;
        assert_eq!(mine.len(), 1, "a refused create made a plan: {mine:?}");

        // Check-ins: the review is the mentor's, not a field of the report.
        let check_in = with(&check_in_body(&day(owner_today(), 0), "Two circles held"), json!({ "review_status": "acknowledged" }));
        mass_assignment(&cast.owner, Method::POST, &format!("/plans/{plan_id}/check-ins"), &check_in, "review_status").await;
        // Comments: the author is the caller; visibility is fixed at creation.
        let comment = with(&comment_body("Looks good.", "shared"), json!({ "author_id": cast.mentor_id }));
        mass_assignment(&cast.owner, Method::POST, &format!("/plans/{plan_id}/comments"), &comment, "author_id").await;
        let note = post_comment(&cast.mentor, &plan_id, &comment_body("Budget worries.", "mentors")).await;
        let note_path = format!("/comments/{}", id_of(&note));
        mass_assignment(&cast.mentor, Method::PATCH, &note_path, &json!({ "body": "Budget worries.", "visibility": "shared" }), "visibility").await;
        assert_eq!(cast.mentor.get_ok(&note_path).await["visibility"], "mentors");
        assert_eq!(send(&app, Some(&cast.owner), Method::GET, &note_path, None).await.0, 404);

        // Accounts: nobody raises their own role or reactivates themselves.
        for (field, value) in [("system_role", json!("admin")), ("active", json!(true)), ("email", json!("admin2@followup.local")), ("id", json!(cast.admin_id))] {
            mass_assignment(&cast.owner, Method::PATCH, "/me", &json!({ field: value }), field).await;
        }
        let me = cast.owner.get_ok("/me").await;
        assert_eq!(me["system_role"], "member", "{me}");
        assert_eq!(me["email"], "yohanes.lado@kemensos.go.id", "{me}");
        let refused = json!({ "name": "Dinas Sosial", "kind": "technical_unit" });
        assert_problem(cast.owner.post("/organizations", &refused).await, 403, "forbidden").await;

        // A coordinator cannot smuggle a system role in through a membership.
        let (extra, _) = create_user(&app, &admin(&app).await.token, "fajar.nugroho@kemensos.go.id", "Fajar Nugroho").await;
        let body = json!({ "user_id": id_of(&extra), "role": "delegate", "system_role": "admin" });
        mass_assignment(&cast.coordinator, Method::POST, &format!("/programs/{}/members", cast.program_id), &body, "system_role").await;
        let user = cast.admin.get_ok(&format!("/users/{}", id_of(&extra))).await;
        assert_eq!(user["system_role"], "member");
    }
);

backend_test!(
    async fn members_e_mails_only_reach_admins_coordinators_the_member_and_their_mentors(app) {
        use followup_tests::plans::all_items;
        let cast = cast(&app).await;
        let members = format!("/programs/{}/members", cast.program_id);
        // Who sees whose e-mail: everyone their own; the mentor also their mentee's.
        let cases: [(Role, &str, &[&str]); 6] = [
            (Role::Admin, "admin", &["*"]),
            (Role::Coordinator, "coordinator", &["*"]),
            (Role::Mentor, "mentor", &[&cast.mentor_id, &cast.owner_id]),
            (Role::Owner, "owner", &[&cast.owner_id]),
            (Role::OtherDelegate, "other delegate", &[&cast.other_delegate_id]),
            (Role::Observer, "observer", &[&cast.observer_id]),
        ];
        for (role, name, allowed) in cases {
            let rows = all_items(cast.as_role(role), &members).await;
            assert!(rows.len() >= 6, "{name} sees the members: {rows:?}");
            for row in &rows {
                let user = row["user_id"].as_str().unwrap_or_default();
                let shown = row.get("email").is_some();
                let expected = allowed.contains(&"*") || allowed.contains(&user);
                assert_eq!(shown, expected, "{name} and the e-mail of {}: {row}", row["display_name"]);
                assert!(row["display_name"].is_string() && row["role"].is_string(), "{row}");
            }
        }

        // The sync feed applies the same rule to memberships.
        let page = cast.observer.get_ok("/sync?limit=1000").await;
        let memberships: Vec<&Value> = page["items"]
            .as_array()
            .map(|items| items.iter().filter(|i| i["type"] == "membership").collect())
            .unwrap_or_default();
        assert!(memberships.len() >= 6, "{page}");
        for item in memberships {
            let own = item["data"]["user_id"] == cast.observer_id.as_str();
            assert_eq!(item["data"].get("email").is_some(), own, "the observer's feed: {item}");
        }

        // The observer's export names delegates without their e-mails.
        let plan = expect_json(cast.owner.post("/plans", &plan_body(&cast.program_id)).await, 201).await;
        followup_tests::plans::transition_ok(&cast.owner, &id_of(&plan), "submit", None).await;
        let csv = cast.observer.get(&format!("/programs/{}/export.csv", cast.program_id)).await;
        assert_eq!(csv.status(), 200);
        let csv = csv.text().await.unwrap_or_default();
        assert_eq!(csv.lines().count(), 2, "a header and the submitted plan: {csv}");
        assert!(!csv.contains('@'), "no e-mail in the observer's export: {csv}");
        let csv = cast.coordinator.get(&format!("/programs/{}/export.csv", cast.program_id)).await;
        assert!(csv.text().await.unwrap_or_default().contains('@'), "the coordinator's export has them");
    }
);
