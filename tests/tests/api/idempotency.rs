//! `Idempotency-Key` on POST: a retry with the same key and body replays the
//! first response; the same key with another body is a 422; keys are per user;
//! the work, the key and the stored answer go together.

use followup_tests::api::{
    admin, expect_json, id_of, item_strings, login, new_member, Authed, USER_PASSWORD,
};
use followup_tests::plans::{
    all_ids, cast, check_in_body, day, history, owner_today, post_with_key, transition_body, Answer,
};
use followup_tests::{assert_problem, backend_test, json, Value};
use futures_util::future::join_all;
use reqwest::{Method, Response};

const KEY: &str = "idempotency-key";
const REPLAYED: &str = "idempotency-replayed";

/// POST a JSON body with an `Idempotency-Key`.
async fn post_keyed(client: &Authed<'_>, path: &str, key: &str, body: &Value) -> Response {
    client.request(Method::POST, path).header(KEY, key).json(body).send().await.expect("request failed")
}

/// Status, `Location`, `ETag`, whether it was a replay, and the JSON body.
async fn outcome(response: Response) -> (u16, Option<String>, Option<String>, bool, Value) {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let location = header("location");
    let etag = header("etag");
    let replayed = header(REPLAYED).is_some_and(|v| v == "true");
    let status = response.status().as_u16();
    let text = response.text().await.expect("cannot read the body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, location, etag, replayed, body)
}

/// How many organisations with this name the caller can list.
async fn orgs_named(client: &Authed<'_>, name: &str) -> usize {
    let page = client.get_ok("/organizations?limit=200").await;
    item_strings(&page, "name").iter().filter(|n| *n == name).count()
}

fn org(name: &str) -> Value {
    json!({ "name": name, "kind": "technical_unit" })
}

backend_test!(
    async fn a_retried_create_replays_the_first_response(app) {
        let admin = admin(&app).await;
        let body = org("Sentra Efata Kupang");
        let first = outcome(post_keyed(&admin, "/organizations", "create-efata-1", &body).await).await;
        let second = outcome(post_keyed(&admin, "/organizations", "create-efata-1", &body).await).await;
        assert_eq!(first.0, 201, "first: {:?}", first.4);
        assert!(!first.3, "the first response is not a replay");
        assert_eq!(second.0, 201, "the replay keeps the status: {:?}", second.4);
        assert!(second.3, "the second response is marked Idempotency-Replayed: true");
        assert_eq!(first.1, second.1, "same Location");
        assert!(first.1.is_some(), "a create has a Location");
        assert_eq!(first.2, second.2, "same ETag");
        assert_eq!(first.4, second.4, "same body");
        assert_eq!(orgs_named(&admin, "Sentra Efata Kupang").await, 1, "created once");

        // Without a key nothing is replayed: the second create is refused as usual.
        expect_json(admin.post("/organizations", &org("Sentra Naibonat")).await, 201).await;
        let again = admin.post("/organizations", &org("Sentra Naibonat")).await;
        assert!(again.headers().get(REPLAYED).is_none());
        assert_problem(again, 409, "name_taken").await;
    }
);

backend_test!(
    async fn concurrent_retries_run_the_request_once(app) {
        let admin = admin(&app).await;
        let body = org("Sentra Handayani");
        let (a, b) = tokio::join!(
            post_keyed(&admin, "/organizations", "create-handayani", &body),
            post_keyed(&admin, "/organizations", "create-handayani", &body),
        );
        let (a, b) = (outcome(a).await, outcome(b).await);
        assert_eq!((a.0, b.0), (201, 201), "both answered 201: {:?} / {:?}", a.4, b.4);
        assert_eq!(a.1, b.1, "same Location");
        assert_eq!(a.4, b.4, "same body");
        assert!(a.3 != b.3, "exactly one of the two is a replay");
        assert_eq!(orgs_named(&admin, "Sentra Handayani").await, 1, "created once");
    }
);

backend_test!(
    async fn a_key_reused_for_another_request_is_refused(app) {
        let admin = admin(&app).await;
        let created = post_keyed(&admin, "/organizations", "reused-key", &org("Sentra Mulya Jaya")).await;
        expect_json(created, 201).await;

        let other_body = post_keyed(&admin, "/organizations", "reused-key", &org("Sentra Paramita")).await;
        assert_problem(other_body, 422, "idempotency_key_reused").await;
        assert_eq!(orgs_named(&admin, "Sentra Paramita").await, 0, "the other request did not run");

        let other_path = post_keyed(&admin, "/users", "reused-key", &org("Sentra Mulya Jaya")).await;
        assert_problem(other_path, 422, "idempotency_key_reused").await;
    }
);

backend_test!(
    async fn keys_belong_to_one_user(app) {
        let admin = admin(&app).await;
        let second = json!({
            "email": "second.admin@followup.local",
            "display_name": "Second Admin",
            "password": USER_PASSWORD,
            "system_role": "admin",
        });
        expect_json(admin.post("/users", &second).await, 201).await;
        let tokens = login(&app, "second.admin@followup.local", USER_PASSWORD).await;
        let other = Authed::new(&app, tokens.access_token);

        let mine = outcome(post_keyed(&admin, "/organizations", "shared-key", &org("Sentra Abiseka")).await).await;
        let theirs =
            outcome(post_keyed(&other, "/organizations", "shared-key", &org("Sentra Budi Luhur")).await).await;
        assert_eq!(mine.0, 201, "{:?}", mine.4);
        assert_eq!(theirs.0, 201, "another user's key is independent: {:?}", theirs.4);
        assert!(!theirs.3, "not a replay of the first user's response");
        assert_ne!(mine.4["id"], theirs.4["id"]);

        // Each user's retry replays their own response.
        let mine_again =
            outcome(post_keyed(&admin, "/organizations", "shared-key", &org("Sentra Abiseka")).await).await;
        let theirs_again =
            outcome(post_keyed(&other, "/organizations", "shared-key", &org("Sentra Budi Luhur")).await).await;
        assert!(mine_again.3 && theirs_again.3);
        assert_eq!(mine_again.4, mine.4);
        assert_eq!(theirs_again.4, theirs.4);
    }
);

backend_test!(
    async fn a_refusal_is_replayed_too(app) {
        let admin = admin(&app).await;
        let before = item_strings(&admin.get_ok("/organizations?limit=200").await, "id");
        let invalid = json!({ "name": "", "kind": "technical_unit" });
        let first = post_keyed(&admin, "/organizations", "invalid-create", &invalid).await;
        assert!(first.headers().get(REPLAYED).is_none());
        let first = assert_problem(first, 422, "validation_failed").await;
        let second = post_keyed(&admin, "/organizations", "invalid-create", &invalid).await;
        assert_eq!(second.headers().get(REPLAYED).and_then(|v| v.to_str().ok()), Some("true"));
        let second = assert_problem(second, 422, "validation_failed").await;
        assert_eq!(first, second, "the same problem");
        let after = item_strings(&admin.get_ok("/organizations?limit=200").await, "id");
        assert_eq!(before, after, "nothing was created");
    }
);

backend_test!(
    async fn malformed_keys_are_refused(app) {
        let admin = admin(&app).await;
        let too_long = "k".repeat(256);
        let response = post_keyed(&admin, "/organizations", &too_long, &org("Sentra Too Long")).await;
        assert_problem(response, 400, "invalid_idempotency_key").await;
        let response = post_keyed(&admin, "/organizations", "two words", &org("Sentra Too Long")).await;
        assert_problem(response, 400, "invalid_idempotency_key").await;
        assert_eq!(orgs_named(&admin, "Sentra Too Long").await, 0);

        let longest = "k".repeat(255);
        expect_json(post_keyed(&admin, "/organizations", &longest, &org("Sentra Longest")).await, 201).await;
    }
);

backend_test!(
    async fn requests_without_a_caller_pass_through(app) {
        // No token: the handler's own 401, never a stored answer.
        let anonymous = app
            .client
            .post(app.url("/api/v1/organizations"))
            .header(KEY, "anonymous")
            .json(&org("Sentra Anonymous"))
            .send()
            .await
            .expect("request failed");
        assert_problem(anonymous, 401, "unauthorized").await;
        // Nor is the key looked at: a malformed one is still the handler's 401.
        let malformed = app
            .client
            .post(app.url("/api/v1/organizations"))
            .header(KEY, "two words")
            .json(&org("Sentra Anonymous"))
            .send()
            .await
            .expect("request failed");
        assert_problem(malformed, 401, "unauthorized").await;

        // Login is not keyed: each call signs in afresh.
        let login_body = json!({ "email": followup_tests::ADMIN_EMAIL, "password": followup_tests::ADMIN_PASSWORD });
        let mut tokens = Vec::new();
        for _ in 0..2 {
            let response = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .header(KEY, "login-key")
                .json(&login_body)
                .send()
                .await
                .expect("request failed");
            assert!(response.headers().get(REPLAYED).is_none());
            tokens.push(expect_json(response, 200).await["refresh_token"].clone());
        }
        assert_ne!(tokens[0], tokens[1], "login is never replayed");
    }
);

backend_test!(
    async fn eight_concurrent_check_ins_with_one_key_store_one(app) {
        let cast = cast(&app).await;
        let plan_id = id_of(&cast.plan_in("active").await);
        let path = format!("/plans/{plan_id}/check-ins");
        let body = check_in_body(&day(owner_today(), 0), "Sent eight times on a slow network");
        let responses =
            join_all((0..8).map(|_| post_with_key(&cast.owner, &path, "kupang-check-in-1", &body))).await;
        let mut replays = 0;
        let mut answers = Vec::new();
        for response in responses {
            replays += usize::from(response.headers().get(REPLAYED).is_some());
            answers.push(Answer::of(response).await);
        }
        assert_eq!(answers[0].status, 201, "{:?}", answers[0]);
        assert!(answers.iter().all(|a| *a == answers[0]), "every answer is the first one: {answers:?}");
        assert_eq!(replays, 7, "all but one are replays");
        let stored = all_ids(&cast.owner, &path).await;
        assert_eq!(stored, vec![id_of(&answers[0].body)], "one check-in stored");
    }
);

backend_test!(
    async fn a_retried_transition_replays_its_answer_and_a_refusal_stays_refused(app) {
        let cast = cast(&app).await;
        let plan_id = id_of(&cast.plan_in("draft").await);
        let submit = format!("/plans/{plan_id}/submit");
        let first = Answer::of(post_with_key(&cast.owner, &submit, "submit-1", &transition_body(None)).await).await;
        assert_eq!(first.status, 200, "{first:?}");
        assert_eq!(first.body["status"], "submitted");
        // Without the key a second submit is refused (409); with it, the
        // first answer comes back and nothing happens twice.
        let retry = post_with_key(&cast.owner, &submit, "submit-1", &transition_body(None)).await;
        assert!(retry.headers().get(REPLAYED).is_some(), "marked as a replay");
        assert_eq!(Answer::of(retry).await, first);
        let events = history(&cast.admin, &plan_id).await;
        let submits = events.iter().filter(|e| e["action"] == "submit").count();
        assert_eq!(submits, 1, "one submission in the history: {events:?}");

        // A refusal decided inside the unit of work (the owner may not
        // approve) is stored too: it stays the answer to that key after the
        // mentor has approved the plan.
        let approve = format!("/plans/{plan_id}/approve");
        let refused = post_with_key(&cast.owner, &approve, "approve-1", &transition_body(None)).await;
        let refused = assert_problem(refused, 403, "forbidden").await;
        expect_json(cast.mentor.post(&approve, &transition_body(None)).await, 200).await;
        let again = post_with_key(&cast.owner, &approve, "approve-1", &transition_body(None)).await;
        assert!(again.headers().get(REPLAYED).is_some(), "marked as a replay");
        assert_eq!(assert_problem(again, 403, "forbidden").await, refused);
    }
);

backend_test!(
    async fn a_retried_password_change_replays_204_after_the_password_changed(app) {
        let admin = admin(&app).await;
        let (_, client) = new_member(&app, &admin.token, "ratna.keyed@followup.local", "Ratna").await;
        let body = json!({ "current_password": USER_PASSWORD, "new_password": "jalan-el-tari-kupang-2024" });
        let send = || client.request(Method::POST, "/me/password").header(KEY, "password-1").json(&body).send();
        let first = send().await.expect("request failed");
        assert_eq!(first.status(), 204);
        // The retry's current password is no longer right: without the key
        // this would be a 422; with it, the first answer.
        let retry = send().await.expect("request failed");
        assert_eq!(retry.status(), 204, "replayed, not refused");
        assert!(retry.headers().get(REPLAYED).is_some(), "marked as a replay");
        // The new password is the one that works.
        login(&app, "ratna.keyed@followup.local", "jalan-el-tari-kupang-2024").await;
    }
);

/// Every stored idempotency row, each column as text.
fn stored_keys(app: &followup_tests::TestApp) -> Vec<(String, String, Option<String>)> {
    use diesel::prelude::*;
    use followup_persistence::schema::idempotency_keys as k;
    use followup_persistence::{Database, DatabaseUrl, PoolOptions};
    let url = DatabaseUrl::parse(&app.db.url).unwrap();
    let db = Database::connect(&url, &PoolOptions::default()).unwrap();
    db.read(|c| {
        Ok(k::table.select((k::request_path, k::request_hash, k::response_body)).load::<(
            String,
            String,
            Option<String>,
        )>(c)?)
    })
    .unwrap()
}

/// The unkeyed SHA-256 fingerprint a reader of the table could compute to test a guess.
fn plain_fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

backend_test!(
    async fn the_key_table_holds_no_secret_and_no_guessable_fingerprint(app) {
        let admin = admin(&app).await;
        // An account with a generated password: shown once, in the first answer.
        let body = json!({ "email": "martha.ndolu@kemensos.go.id", "display_name": "Martha Ndolu" });
        let first = post_keyed(&admin, "/users", "new-account-1", &body).await;
        let (status, _, _, replayed, created) = outcome(first).await;
        assert_eq!((status, replayed), (201, false));
        let password = created["initial_password"].as_str().expect("a generated password").to_owned();
        // The replay says the same but leaves the password out.
        let (status, _, _, replayed, again) = outcome(post_keyed(&admin, "/users", "new-account-1", &body).await).await;
        assert_eq!((status, replayed), (201, true));
        assert_eq!(again["id"], created["id"]);
        assert!(again.get("initial_password").is_none(), "a replay never shows the password again: {again}");
        // An account with a chosen password, sent with a key.
        let chosen = json!({
            "email": "paulus.bria@kemensos.go.id",
            "display_name": "Paulus Bria",
            "password": "sabu-raijua-rote-ndao",
        });
        let raw = serde_json::to_vec(&chosen).unwrap();
        let response = admin
            .request(Method::POST, "/users")
            .header(KEY, "new-account-2")
            .header("content-type", "application/json")
            .body(raw.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);

        let rows = stored_keys(&app);
        assert_eq!(rows.len(), 2, "{rows:?}");
        for (path, hash, stored) in &rows {
            let stored = stored.as_deref().unwrap_or_default();
            assert!(!stored.contains(&password), "the generated password is not stored: {stored}");
            assert!(!stored.contains("sabu-raijua"), "nor a chosen one");
            assert_eq!(hash.len(), 64, "{hash}");
            assert!(!hash.contains("sabu"), "{hash}");
            assert_eq!(path, "/api/v1/users");
        }
        let chosen_hash = &rows.iter().find(|(_, _, b)| b.as_deref().unwrap_or_default().contains("paulus")).unwrap().1;
        assert_ne!(chosen_hash, &plain_fingerprint("POST", "/api/v1/users", &raw), "the fingerprint is keyed");
    }
);
