//! Signing in: login, tokens, refresh rotation and reuse detection, logout,
//! password changes, deactivation and login throttling.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use followup_tests::api::{
    admin, api_url, assert_field_error, create_user, expect_empty, expect_json, id_of, jwt_claims, login,
    login_response, new_member, refresh, refresh_response, Authed, Tokens, USER_PASSWORD,
};
use followup_tests::plans::cast;
use followup_tests::{
    assert_problem, backend_test, configured_test, json, TestApp, Value, ADMIN_EMAIL, ADMIN_PASSWORD,
};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

/// The signing secret the token-forging tests start the server with.
const SECRET: &str = "a-test-secret-that-is-at-least-32-bytes-long";

/// GET /me with an access token.
async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    Authed::new(app, token).get("/me").await
}

/// Assert a 401 problem+json (any code) and return the body.
async fn assert_401(response: reqwest::Response, what: &str) -> Value {
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = response.text().await.unwrap();
    assert_eq!(status, 401, "{what}: expected 401, body: {body}");
    assert_eq!(content_type, "application/problem+json", "{what}: a 401 is problem+json");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], 401, "{what}: {body}");
    body
}

/// Assert GET /me refuses this access token with 401 `unauthorized` and a Bearer challenge.
async fn assert_token_refused(app: &TestApp, token: &str, what: &str) {
    let response = me(app, token).await;
    assert_eq!(response.status(), 401, "{what}: GET /me must answer 401");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what}: no WWW-Authenticate header"))
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{what}: WWW-Authenticate is {challenge:?}");
    assert_problem(response, 401, "unauthorized").await;
    // Most routes check the session together with their own database work
    // (`CallerToken`), not in the extractor: a read and a write there too.
    let authed = Authed::new(app, token);
    assert_401(authed.get("/plans").await, &format!("{what}: GET /plans")).await;
    let renamed = json!({ "display_name": "Written with a dead session" });
    assert_401(authed.patch("/me", &renamed).await, &format!("{what}: PATCH /me")).await;
    // The single-plan GET checks the session in its own statement.
    let anywhere = format!("/plans/{}", uuid::Uuid::new_v4());
    assert_401(authed.get(&anywhere).await, &format!("{what}: GET /plans/{{id}}")).await;
}

backend_test!(
    async fn login_returns_a_bearer_access_token_and_a_refresh_token(app) {
        let response = login_response(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let body = expect_json(response, 200).await;
        let tokens = Tokens::from_body(&body);

        let me_body = expect_json(me(&app, &tokens.access_token).await, 200).await;
        assert_eq!(me_body["email"], ADMIN_EMAIL);
        assert_eq!(me_body["system_role"], "admin");

        let claims = jwt_claims(&tokens.access_token);
        assert_eq!(claims["sub"], me_body["id"], "sub is the user id: {claims}");
        assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()), "sid: {claims}");
        assert_eq!(claims["iss"], "followup", "{claims}");
        assert_eq!(claims["aud"], "followup-api", "{claims}");
        let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
        assert_eq!(exp - iat, 900, "an access token lives 900 s: {claims}");
        assert!(claims["nbf"].as_i64().is_some_and(|nbf| nbf <= iat + 1), "nbf: {claims}");

        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD.decode(tokens.access_token.split('.').next().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "HS256", "{header}");
    }
);

backend_test!(
    async fn wrong_password_and_unknown_email_get_the_same_401(app) {
        let wrong_password = login_response(&app, ADMIN_EMAIL, "not-the-password-at-all").await;
        let wrong_password = assert_problem(wrong_password, 401, "invalid_credentials").await;
        let unknown_email = login_response(&app, "nobody@kemensos.go.id", "not-the-password-at-all").await;
        let unknown_email = assert_problem(unknown_email, 401, "invalid_credentials").await;
        assert_eq!(wrong_password, unknown_email, "the two refusals must not be told apart");
    }
);

backend_test!(
    async fn login_with_a_missing_field_or_invalid_json_is_refused(app) {
        let response = app
            .client
            .post(api_url(&app, "/auth/login"))
            .json(&json!({ "email": ADMIN_EMAIL }))
            .send()
            .await
            .unwrap();
        assert_problem(response, 422, "validation_failed").await;

        let response = app
            .client
            .post(api_url(&app, "/auth/login"))
            .header("content-type", "application/json")
            .body(r#"{"email": "admin@followup.local", "password": "#)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "malformed_json").await;
    }
);

/// Sign `claims` with `algorithm` and `secret`.
fn forge(algorithm: Algorithm, secret: &str, claims: &Value) -> String {
    encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// The claims of `real` with some replaced.
fn claims_with(real: &Value, changes: &Value) -> Value {
    let mut claims = real.clone();
    for (key, value) in changes.as_object().unwrap() {
        claims[key] = value.clone();
    }
    claims
}

configured_test!(
    async fn every_kind_of_bad_token_is_refused_with_401(app) with |cfg| {
        cfg.auth.jwt_secret = Some(SECRET.into());
    }; {
        let tokens = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let real = jwt_claims(&tokens.access_token);
        let now = chrono::Utc::now().timestamp();
        let fresh = json!({ "iat": now - 10, "nbf": now - 10, "exp": now + 600 });
        let valid = claims_with(&real, &fresh);

        // Control: a token forged with the right secret and right claims is accepted,
        // so each refusal below is caused by the one thing that case changes.
        let control = forge(Algorithm::HS256, SECRET, &valid);
        expect_json(me(&app, &control).await, 200).await;

        // Missing header.
        let response = app.client.get(api_url(&app, "/me")).send().await.unwrap();
        let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        assert!(
            challenge.as_deref().is_some_and(|c| c.starts_with("Bearer")),
            "missing header: WWW-Authenticate is {challenge:?}"
        );
        assert_problem(response, 401, "unauthorized").await;

        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let alg_none = format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT" })), b64(&valid));
        let cases: Vec<(&str, String)> = vec![
            ("malformed", "abc".to_owned()),
            ("wrong signature", forge(Algorithm::HS256, "another-secret-that-is-also-32-bytes-long", &valid)),
            ("alg none", alg_none),
            ("HS512 with the right secret", forge(Algorithm::HS512, SECRET, &valid)),
            (
                "expired",
                forge(
                    Algorithm::HS256,
                    SECRET,
                    &claims_with(&real, &json!({ "iat": now - 4000, "nbf": now - 4000, "exp": now - 3100 })),
                ),
            ),
            (
                "not yet valid",
                forge(
                    Algorithm::HS256,
                    SECRET,
                    &claims_with(&real, &json!({ "iat": now, "nbf": now + 3600, "exp": now + 4500 })),
                ),
            ),
            (
                "wrong issuer",
                forge(Algorithm::HS256, SECRET, &claims_with(&valid, &json!({ "iss": "evil" }))),
            ),
            (
                "wrong audience",
                forge(Algorithm::HS256, SECRET, &claims_with(&valid, &json!({ "aud": "another-api" }))),
            ),
        ];
        for (what, token) in &cases {
            assert_token_refused(&app, token, what).await;
        }
    }
);

backend_test!(
    async fn refresh_rotates_the_refresh_token(app) {
        let first = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let second = refresh(&app, &first.refresh_token).await;
        assert_ne!(second.refresh_token, first.refresh_token, "refresh must issue a new refresh token");
        assert_eq!(
            jwt_claims(&second.access_token)["sid"],
            jwt_claims(&first.access_token)["sid"],
            "a refresh stays in the same session"
        );
        let me_body = expect_json(me(&app, &second.access_token).await, 200).await;
        assert_eq!(me_body["email"], ADMIN_EMAIL);

        let third = refresh(&app, &second.refresh_token).await;
        assert_ne!(third.refresh_token, second.refresh_token);
        expect_json(me(&app, &third.access_token).await, 200).await;

        let garbage = assert_401(refresh_response(&app, "not-a-refresh-token").await, "unknown token").await;
        assert_eq!(garbage["code"], "invalid_refresh_token", "{garbage}");
    }
);

backend_test!(
    async fn reusing_a_rotated_refresh_token_revokes_the_whole_session(app) {
        let other_session = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let first = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let second = refresh(&app, &first.refresh_token).await;

        // The stolen, already-rotated token is presented again.
        let reuse = refresh_response(&app, &first.refresh_token).await;
        assert_problem(reuse, 401, "invalid_refresh_token").await;

        // The legitimate holder's newest token is now refused too...
        assert_401(refresh_response(&app, &second.refresh_token).await, "newest token of a revoked family")
            .await;
        // ...and so are the session's access tokens, at once.
        assert_token_refused(&app, &first.access_token, "access token of the revoked session").await;
        assert_token_refused(&app, &second.access_token, "rotated access token of the revoked session").await;

        // Another session of the same user is untouched.
        expect_json(me(&app, &other_session.access_token).await, 200).await;
        refresh(&app, &other_session.refresh_token).await;
    }
);

backend_test!(
    async fn logout_revokes_that_session_only(app) {
        let kept = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let leaving = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

        let no_token = app.client.post(api_url(&app, "/auth/logout")).send().await.unwrap();
        assert_problem(no_token, 401, "unauthorized").await;

        let response = Authed::new(&app, &leaving.access_token)
            .request(reqwest::Method::POST, "/auth/logout")
            .send()
            .await
            .unwrap();
        expect_empty(response, 204).await;

        assert_token_refused(&app, &leaving.access_token, "access token after logout").await;
        assert_401(refresh_response(&app, &leaving.refresh_token).await, "refresh token after logout").await;

        let still = expect_json(me(&app, &kept.access_token).await, 200).await;
        assert_ne!(still["display_name"], "Written with a dead session", "the refused PATCH wrote nothing");
        refresh(&app, &kept.refresh_token).await;
    }
);

backend_test!(
    async fn a_password_change_signs_out_the_other_sessions_and_keeps_this_one(app) {
        let admin = admin(&app).await;
        let email = "yohanes.ndun@kemensos.go.id";
        let (_, old_password) = create_user(&app, &admin.token, email, "Yohanes Ndun").await;
        let phone = login(&app, email, &old_password).await;
        let laptop = login(&app, email, &old_password).await;

        let new_password = "sentra-efata-kupang-2023";
        let response = Authed::new(&app, &laptop.access_token)
            .post("/me/password", &json!({ "current_password": old_password, "new_password": new_password }))
            .await;
        expect_empty(response, 204).await;

        assert_token_refused(&app, &phone.access_token, "other session after a password change").await;
        assert_401(refresh_response(&app, &phone.refresh_token).await, "other session's refresh token").await;

        let me_body = expect_json(me(&app, &laptop.access_token).await, 200).await;
        assert_eq!(me_body["email"], email);
        refresh(&app, &laptop.refresh_token).await;

        login(&app, email, new_password).await;
        assert_problem(login_response(&app, email, &old_password).await, 401, "invalid_credentials").await;
    }
);

backend_test!(
    async fn a_refused_password_change_changes_nothing(app) {
        let admin = admin(&app).await;
        let email = "maria.bria@kemensos.go.id";
        let (_, password) = create_user(&app, &admin.token, email, "Maria Bria").await;
        let tokens = login(&app, email, &password).await;
        let me_client = Authed::new(&app, &tokens.access_token);

        let wrong_current = me_client
            .post(
                "/me/password",
                &json!({ "current_password": "not-my-password", "new_password": "a-long-new-password" }),
            )
            .await;
        let problem = assert_problem(wrong_current, 422, "validation_failed").await;
        assert_field_error(&problem, "current_password", None);

        let too_short = me_client
            .post("/me/password", &json!({ "current_password": password, "new_password": "short" }))
            .await;
        let problem = assert_problem(too_short, 422, "validation_failed").await;
        assert_field_error(&problem, "new_password", Some("too_short"));

        // Nothing changed: the session still works and the old password still logs in.
        expect_json(me_client.get("/me").await, 200).await;
        login(&app, email, &password).await;
        assert_problem(login_response(&app, email, "a-long-new-password").await, 401, "invalid_credentials")
            .await;
    }
);

backend_test!(
    async fn a_deactivated_user_is_refused_at_once(app) {
        let admin = admin(&app).await;
        let email = "andi.pratama@dinsos.jakarta.go.id";
        let (user, password) = create_user(&app, &admin.token, email, "Andi Pratama").await;
        let tokens = login(&app, email, &password).await;
        expect_json(me(&app, &tokens.access_token).await, 200).await;

        let updated = expect_json(
            admin.patch(&format!("/users/{}", id_of(&user)), &json!({ "active": false })).await,
            200,
        )
        .await;
        assert_eq!(updated["active"], false);

        assert_token_refused(&app, &tokens.access_token, "access token of a deactivated user").await;
        assert_401(refresh_response(&app, &tokens.refresh_token).await, "refresh of a deactivated user")
            .await;
        assert_401(login_response(&app, email, &password).await, "login of a deactivated user").await;
    }
);

configured_test!(
    async fn the_sixth_failed_login_within_a_minute_is_429_with_retry_after(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
    }; {
        for attempt in 1..=5 {
            let response = login_response(&app, ADMIN_EMAIL, "guessing-the-password").await;
            assert_eq!(response.status(), 401, "failed attempt {attempt} is still a 401");
            assert_problem(response, 401, "invalid_credentials").await;
        }
        let response = login_response(&app, ADMIN_EMAIL, "guessing-the-password").await;
        assert_eq!(response.status(), 429, "the sixth failed attempt is throttled");
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .expect("a 429 carries Retry-After")
            .to_owned();
        let seconds: u64 = retry_after
            .parse()
            .unwrap_or_else(|_| panic!("Retry-After is whole seconds, got {retry_after:?}"));
        assert!(seconds > 0, "Retry-After must be positive, got {seconds}");
        assert_problem(response, 429, "too_many_attempts").await;
    }
);

configured_test!(
    async fn successful_logins_are_never_throttled(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
    }; {
        for attempt in 1..=10 {
            let response = login_response(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
            assert_eq!(response.status(), 200, "successful login {attempt} of 10");
        }
        // Four failures, then successes: the successes do not count as failures,
        // so a fifth failure is still a plain 401.
        for _ in 1..=4 {
            let response = login_response(&app, ADMIN_EMAIL, "guessing-the-password").await;
            assert_problem(response, 401, "invalid_credentials").await;
        }
        for attempt in 1..=10 {
            let response = login_response(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
            assert_eq!(response.status(), 200, "successful login {attempt} after four failures");
        }
        let response = login_response(&app, ADMIN_EMAIL, "guessing-the-password").await;
        assert_problem(response, 401, "invalid_credentials").await;
    }
);

backend_test!(
    async fn a_plan_read_after_logout_is_401_not_the_plan(app) {
        let cast = cast(&app).await;
        let path = format!("/plans/{}", id_of(&cast.plan_in("submitted").await));
        expect_json(cast.owner.get(&path).await, 200).await;
        let response = cast.owner.request(reqwest::Method::POST, "/auth/logout").send().await.unwrap();
        expect_empty(response, 204).await;
        let refused = assert_401(cast.owner.get(&path).await, "the owner's own plan after logout").await;
        assert!(refused.get("title").is_some() && refused.get("goal").is_none(), "nothing of the plan: {refused}");
        // The mentor's session is untouched: the plan is still there for him.
        expect_json(cast.mentor.get(&path).await, 200).await;
    }
);

/// A sign-in from a client address, behind the trusted proxy.
async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(api_url(app, "/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

configured_test!(
    async fn failures_from_other_addresses_never_lock_the_owner_out(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
        cfg.auth.trust_proxy = true;
    }; {
        // The admin signed in from the office before.
        assert_eq!(login_from(&app, "198.51.100.10", ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
        // An attacker guesses from one address: five tries, then that address waits.
        for _ in 0..5 {
            let response = login_from(&app, "203.0.113.66", ADMIN_EMAIL, "guessing-the-password").await;
            assert_problem(response, 401, "invalid_credentials").await;
        }
        assert_problem(login_from(&app, "203.0.113.66", ADMIN_EMAIL, ADMIN_PASSWORD).await, 429, "too_many_attempts").await;
        // The owner, from the office and from a new address, still signs in.
        assert_eq!(login_from(&app, "198.51.100.10", ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
        assert_eq!(login_from(&app, "198.51.100.11", ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
        // A distributed guess (five tries from each of ten addresses) meets the
        // account's ceiling for new addresses, never for the owner's own.
        for host in 1..=10 {
            for _ in 0..5 {
                login_from(&app, &format!("192.0.2.{host}"), ADMIN_EMAIL, "guessing-the-password").await;
            }
        }
        let response = login_from(&app, "192.0.2.200", ADMIN_EMAIL, "guessing-the-password").await;
        assert_problem(response, 429, "too_many_attempts").await;
        assert_eq!(login_from(&app, "198.51.100.10", ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    }
);

configured_test!(
    async fn guessing_the_current_password_is_throttled_like_a_sign_in(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
    }; {
        let admin = admin(&app).await;
        let (_, delegate) = new_member(&app, &admin.token, "yosef.tefa@kemensos.go.id", "Yosef Tefa").await;
        for attempt in 1..=5 {
            let body = json!({ "current_password": format!("guess-number-{attempt}"), "new_password": "sabu-raijua-rote-ndao" });
            let problem = assert_problem(delegate.post("/me/password", &body).await, 422, "validation_failed").await;
            assert_field_error(&problem, "current_password", Some("incorrect"));
        }
        // The sixth guess, even the right password, waits.
        let body = json!({ "current_password": USER_PASSWORD, "new_password": "sabu-raijua-rote-ndao" });
        let response = delegate.post("/me/password", &body).await;
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_problem(response, 429, "too_many_attempts").await;
        assert!(retry_after.and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| (1..=60).contains(&s)));
    }
);
