//! Onboarding and recovery: an invited user chooses their own password; a
//! generated or temporary password holds its user at 403
//! `password_change_required` until they change it; an admin (or the
//! programme's coordinator) resets a forgotten password, which ends every
//! session at once; tokens work once, expire, and are audited.

use followup_persistence::repo::audit::{self, StoredEvent};
use followup_persistence::{Database, DatabaseUrl, PoolOptions};
use followup_tests::api::{
    add_member, admin, assert_field_error, create_program, create_user, expect_empty, expect_json, id_of,
    login, login_response, new_member, Authed, USER_PASSWORD,
};
use followup_tests::{assert_problem, backend_test, configured_test, json, TestApp, Value};
use uuid::Uuid;

fn events(app: &TestApp, id: &str) -> Vec<StoredEvent> {
    let url = DatabaseUrl::parse(&app.db.url).unwrap();
    let db = Database::connect(&url, &PoolOptions::default()).unwrap();
    let id = Uuid::parse_str(id).unwrap();
    db.read(|c| audit::for_entity(c, id)).unwrap()
}

/// Choose a password with a token: the raw answer.
async fn set_password(app: &TestApp, token: &str, new_password: &str) -> reqwest::Response {
    app.client
        .post(followup_tests::api::api_url(app, "/auth/password"))
        .json(&json!({ "token": token, "new_password": new_password }))
        .send()
        .await
        .unwrap()
}

/// Every kind of call a held user might try: each must be 403 `password_change_required`.
async fn assert_held(user: &Authed<'_>, plan_path: &str) {
    assert_problem(user.get("/plans").await, 403, "password_change_required").await;
    assert_problem(user.get("/programs").await, 403, "password_change_required").await;
    assert_problem(user.get(plan_path).await, 403, "password_change_required").await;
    let renamed = json!({ "display_name": "Renamed while held" });
    assert_problem(user.patch("/me", &renamed).await, 403, "password_change_required").await;
}

backend_test!(
    async fn an_invited_user_sets_their_own_password_once_and_signs_in(app) {
        let admin = admin(&app).await;
        let email = "maria.goreti@kemensos.go.id";
        let body = json!({ "email": email, "display_name": "Maria Goreti", "invite": true, "locale": "id" });
        let created = expect_json(admin.post("/users", &body).await, 201).await;
        assert_eq!(created["password_state"], "invited", "{created}");
        assert!(created.get("initial_password").is_none(), "an invitation shows no password: {created}");
        let token = created["invitation_token"].as_str().expect("the invitation token is shown once").to_owned();
        assert!(token.len() >= 40, "a token of 256 random bits: {token}");
        assert!(created["invitation_expires_at"].is_string(), "{created}");
        let id = id_of(&created);
        let read = admin.get_ok(&format!("/users/{id}")).await;
        assert!(read.get("invitation_token").is_none(), "the token is shown only once: {read}");
        assert_eq!(read["password_state"], "invited");

        // Nobody can sign in to an invited account before the invitation is accepted.
        assert_problem(login_response(&app, email, "any-password-at-all").await, 401, "invalid_credentials").await;

        // A weak password is refused and the token stays live.
        let weak = set_password(&app, &token, "password123").await;
        assert_field_error(&expect_json(weak, 422).await, "new_password", None);
        let chosen = "kupang-sentra-efata-2026";
        let tokens = expect_json(set_password(&app, &token, chosen).await, 200).await;
        let access = tokens["access_token"].as_str().expect("signed in").to_owned();
        let me = Authed::new(&app, access).get_ok("/me").await;
        assert_eq!((me["id"].as_str(), me["password_state"].as_str()), (Some(id.as_str()), Some("set")));
        login(&app, email, chosen).await;

        // The token works once.
        let again = expect_json(set_password(&app, &token, "another-password-2026").await, 422).await;
        assert_field_error(&again, "token", Some("invalid_token"));
        login(&app, email, chosen).await;
        let actions: Vec<String> = events(&app, &id).into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["create", "invitation_accept"], "audited");

        // An invitation and a password at once is refused; nothing is written.
        let both = json!({ "email": "x@kemensos.go.id", "display_name": "X", "invite": true, "password": USER_PASSWORD });
        assert_field_error(&expect_json(admin.post("/users", &both).await, 422).await, "invite", Some("conflicts_with_password"));
        let unknown = expect_json(set_password(&app, "no-such-token", chosen).await, 422).await;
        assert_field_error(&unknown, "token", Some("invalid_token"));
    }
);

backend_test!(
    async fn a_generated_password_holds_its_user_until_they_change_it(app) {
        let admin = admin(&app).await;
        let email = "agustinus.lay@kemensos.go.id";
        let body = json!({ "email": email, "display_name": "Agustinus Lay" });
        let created = expect_json(admin.post("/users", &body).await, 201).await;
        assert_eq!(created["password_state"], "change_required");
        let generated = created["initial_password"].as_str().unwrap().to_owned();

        let user = Authed::new(&app, login(&app, email, &generated).await.access_token);
        let me = user.get_ok("/me").await;
        assert_eq!(me["password_state"], "change_required", "/me says so: {me}");
        assert_held(&user, &format!("/plans/{}", Uuid::new_v4())).await;

        let change = json!({ "current_password": generated, "new_password": "atambua-belu-2026" });
        expect_empty(user.post("/me/password", &change).await, 204).await;
        assert_eq!(user.get_ok("/me").await["password_state"], "set");
        expect_json(user.get("/plans").await, 200).await;
        expect_json(user.get("/programs").await, 200).await;
        // Signing out is allowed at any time (checked on a fresh held account).
        let other = expect_json(
            admin.post("/users", &json!({ "email": "held@kemensos.go.id", "display_name": "Held" })).await,
            201,
        )
        .await;
        let held = login(&app, "held@kemensos.go.id", other["initial_password"].as_str().unwrap()).await;
        let held = Authed::new(&app, held.access_token);
        expect_empty(held.post("/auth/logout", &json!({})).await, 204).await;
        assert_problem(held.get("/me").await, 401, "unauthorized").await;
    }
);

backend_test!(
    async fn an_admin_resets_a_password_and_every_session_ends_at_once(app) {
        let admin = admin(&app).await;
        let email = "yohanes.lado@kemensos.go.id";
        let (id, first) = new_member(&app, &admin.token, email, "Yohanes Lado").await;
        let second = Authed::new(&app, login(&app, email, USER_PASSWORD).await.access_token);
        expect_json(first.get("/me").await, 200).await;

        let reset =
            expect_json(admin.post(&format!("/users/{id}/password-reset"), &json!({ "method": "token" })).await, 200)
                .await;
        assert_eq!((reset["method"].as_str(), reset["purpose"].as_str()), (Some("token"), Some("password_reset")));
        let token = reset["reset_token"].as_str().expect("the token is shown once").to_owned();
        assert!(reset["expires_at"].is_string(), "{reset}");
        // Both old sessions stop at once; the old password no longer works.
        for session in [&first, &second] {
            assert_problem(session.get("/me").await, 401, "unauthorized").await;
            assert_problem(session.get("/plans").await, 401, "unauthorized").await;
        }
        assert_problem(login_response(&app, email, USER_PASSWORD).await, 401, "invalid_credentials").await;

        let chosen = "oesapa-kupang-2026";
        let tokens = expect_json(set_password(&app, &token, chosen).await, 200).await;
        expect_json(Authed::new(&app, tokens["access_token"].as_str().unwrap()).get("/plans").await, 200).await;
        let spent = expect_json(set_password(&app, &token, "a-second-use-2026").await, 422).await;
        assert_field_error(&spent, "token", Some("invalid_token"));
        login(&app, email, chosen).await;

        // A temporary password: signed in, but held until changed.
        let reset = expect_json(
            admin.post(&format!("/users/{id}/password-reset"), &json!({ "method": "temporary_password" })).await,
            200,
        )
        .await;
        assert!(reset.get("reset_token").is_none(), "{reset}");
        let temporary = reset["temporary_password"].as_str().unwrap().to_owned();
        assert_problem(login_response(&app, email, chosen).await, 401, "invalid_credentials").await;
        let held = Authed::new(&app, login(&app, email, &temporary).await.access_token);
        assert_eq!(held.get_ok("/me").await["password_state"], "change_required");
        assert_held(&held, &format!("/plans/{}", Uuid::new_v4())).await;

        // A new reset withdraws the last token, even unused.
        let one = expect_json(admin.post(&format!("/users/{id}/password-reset"), &json!({})).await, 200).await;
        let two = expect_json(admin.post(&format!("/users/{id}/password-reset"), &json!({})).await, 200).await;
        let withdrawn = set_password(&app, one["reset_token"].as_str().unwrap(), "withdrawn-token-2026").await;
        assert_field_error(&expect_json(withdrawn, 422).await, "token", Some("invalid_token"));
        expect_json(set_password(&app, two["reset_token"].as_str().unwrap(), "latest-token-2026").await, 200).await;

        let events = events(&app, &id);
        let resets: Vec<Option<String>> =
            events.iter().filter(|e| e.action == "password_reset").map(|e| e.reason.clone()).collect();
        let token_method = Some("token".to_owned());
        assert_eq!(resets, [token_method.clone(), Some("temporary_password".to_owned()), token_method.clone(), token_method]);
        let admin_id = admin.get_ok("/me").await["id"].as_str().unwrap().to_owned();
        // One's own password is changed, not reset: a reset would end this session too.
        let own = admin.post(&format!("/users/{admin_id}/password-reset"), &json!({})).await;
        assert_problem(own, 403, "forbidden").await;
        expect_json(admin.get("/me").await, 200).await;
        assert!(events
            .iter()
            .filter(|e| e.action == "password_reset")
            .all(|e| e.actor_id.map(|a| a.to_string()) == Some(admin_id.clone())));
        assert_eq!(events.iter().filter(|e| e.action == "password_reset_complete").count(), 2);
        let text = format!("{events:?}");
        assert!(!text.contains(&token) && !text.contains(&temporary), "no secret in the audit");
    }
);

backend_test!(
    async fn a_coordinator_resets_only_their_programmes_delegates(app) {
        let admin = admin(&app).await;
        let program = create_program(&app, &admin.token, "KSPI-RESET").await;
        let program_id = id_of(&program);
        let (coordinator_id, coordinator) =
            new_member(&app, &admin.token, "dewi.coordinator@kemensos.go.id", "Dewi").await;
        let (delegate, _) = create_user(&app, &admin.token, "rina.delegate@kemensos.go.id", "Rina").await;
        let (mentor, _) = create_user(&app, &admin.token, "hong.mentor@example.ac.kr", "Hong").await;
        let (stranger, _) = create_user(&app, &admin.token, "stranger@kemensos.go.id", "Stranger").await;
        add_member(&app, &admin.token, &program_id, &coordinator_id, "coordinator").await;
        add_member(&app, &admin.token, &program_id, &id_of(&delegate), "delegate").await;
        add_member(&app, &admin.token, &program_id, &id_of(&mentor), "mentor").await;

        let reset = |id: &str| format!("/users/{id}/password-reset");
        let done = expect_json(coordinator.post(&reset(&id_of(&delegate)), &json!({})).await, 200).await;
        assert!(done["reset_token"].is_string());
        assert_problem(coordinator.post(&reset(&id_of(&mentor)), &json!({})).await, 403, "forbidden").await;
        assert_problem(coordinator.post(&reset(&id_of(&stranger)), &json!({})).await, 404, "not_found").await;
        // The mentor and the stranger still sign in with their own passwords.
        login(&app, "hong.mentor@example.ac.kr", USER_PASSWORD).await;
        login(&app, "stranger@kemensos.go.id", USER_PASSWORD).await;
        let bad: Value = expect_json(admin.post(&reset(&id_of(&stranger)), &json!({"method": "email"})).await, 422).await;
        assert_eq!(bad["code"], "validation_failed");
        login(&app, "stranger@kemensos.go.id", USER_PASSWORD).await;
    }
);

configured_test!(
    async fn invitation_and_reset_tokens_expire(app) with |cfg| {
        cfg.auth.invitation_ttl = 1;
        cfg.auth.password_reset_ttl = 2;
    }; {
        let admin = admin(&app).await;
        let body = json!({ "email": "late@kemensos.go.id", "display_name": "Late", "invite": true });
        let invited = expect_json(admin.post("/users", &body).await, 201).await;
        let (user, _) = create_user(&app, &admin.token, "forgetful@kemensos.go.id", "Forgetful").await;
        let reset = expect_json(admin.post(&format!("/users/{}/password-reset", id_of(&user)), &json!({})).await, 200).await;
        tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
        for token in [&invited["invitation_token"], &reset["reset_token"]] {
            let late = set_password(&app, token.as_str().unwrap(), "too-late-for-this-2026").await;
            assert_field_error(&expect_json(late, 422).await, "token", Some("invalid_token"));
        }
        // The invited account can be invited again: a reset issues a new invitation.
        let again = expect_json(admin.post(&format!("/users/{}/password-reset", id_of(&invited)), &json!({})).await, 200).await;
        assert_eq!(again["purpose"], "invitation");
        expect_json(set_password(&app, again["reset_token"].as_str().unwrap(), "just-in-time-2026").await, 200).await;
    }
);
