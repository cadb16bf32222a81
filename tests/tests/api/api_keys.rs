//! API keys for integrators: a programme's coordinator creates one (shown
//! once, stored as a hash); it reads that programme as an observer does —
//! no drafts, no mentors-only comment, nothing of another programme — writes
//! nothing, never signs in as a person, is not an account (`/me`, sign-out),
//! and stops at once when revoked. With the `webhooks` scope a key manages
//! its programme's webhooks, and its keyed POSTs replay; each key has its
//! own request allowance.

use followup_persistence::repo::api_keys;
use followup_persistence::{Database, DatabaseUrl, PoolOptions};
use followup_tests::api::{expect_json, id_of, Authed};
use followup_tests::plans::{cast, comment_body, post_comment};
use followup_tests::{assert_problem, backend_test, configured_test, json};
use futures_util::FutureExt;
use reqwest::Method;
use sha2::{Digest, Sha256};

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

backend_test!(
    async fn an_api_key_reads_its_programme_as_an_observer_until_revoked(app) {
        let cast = cast(&app).await;
        let active = id_of(&cast.plan_in("active").await);
        let draft = id_of(&cast.draft_plan().await);
        post_comment(&cast.mentor, &active, &comment_body("Shared with the delegate.", "shared")).await;
        post_comment(&cast.mentor, &active, &comment_body("Between mentors only.", "mentors")).await;

        // Only the programme's coordinator (or an admin) creates one.
        let path = format!("/programs/{}/api-keys", cast.program_id);
        let body = json!({ "name": "KOICA M&E system" });
        assert_problem(cast.owner.post(&path, &body).await, 403, "forbidden").await;
        assert_problem(cast.outsider.post(&path, &body).await, 404, "not_found").await;
        assert_problem(cast.coordinator.post(&path, &json!({ "name": " " })).await, 422, "validation_failed").await;
        let response = cast.coordinator.post(&path, &body).await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        let created = expect_json(response, 201).await;
        let secret = created["api_key"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("fuk_"), "{created}");
        assert!(created["last_used_at"].is_null() && created["revoked_at"].is_null());
        let listed = cast.coordinator.get_ok(&path).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        assert!(!listed.to_string().contains(&secret), "a list never shows the secret");
        assert!(listed["items"][0].get("api_key").is_none());

        // It reads the programme as an observer does.
        let key = Authed::new(&app, secret.clone());
        let dashboard = key.get_ok(&format!("/programs/{}/dashboard", cast.program_id)).await;
        assert!(dashboard["delegates"].as_i64().unwrap() >= 1, "{dashboard}");
        assert_eq!(key.get_ok(&format!("/plans/{active}")).await["id"], active.as_str());
        assert_problem(key.get(&format!("/plans/{draft}")).await, 404, "not_found").await;
        let comments = key.get_ok(&format!("/plans/{active}/comments")).await;
        let bodies: Vec<&str> = comments["items"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
        assert_eq!(bodies, ["Shared with the delegate."], "never a mentors-only comment");
        let plans = key.get_ok(&format!("/plans?program_id={}&limit=200", cast.program_id)).await;
        assert!(plans["items"].as_array().unwrap().iter().all(|p| p["status"] != "draft"));
        // Nothing of another programme, nothing of an admin's, no writes.
        assert_problem(key.get(&format!("/programs/{}", cast.other_program_id)).await, 404, "not_found").await;
        assert_problem(key.get("/users").await, 403, "forbidden").await;
        let comment = key.post(&format!("/plans/{active}/comments"), &comment_body("From a machine", "shared")).await;
        assert_problem(comment, 403, "forbidden").await;
        assert_problem(key.post(&path, &json!({ "name": "Another" })).await, 403, "forbidden").await;

        // Its account never signs in as a person, and no reset makes it one.
        let key_id = created["id"].as_str().unwrap().replace('-', "");
        let email = format!("api-key-{key_id}@keys.followup.invalid");
        let login = app.client.post(app.url("/api/v1/auth/login")).json(&json!({ "email": email, "password": "x" })).send().await.unwrap();
        assert_eq!(login.status(), 401);
        let reset = cast.admin.post(&format!("/users/{}/password-reset", created["user_id"].as_str().unwrap()), &json!({})).await;
        assert_problem(reset, 404, "not_found").await;

        // Stored as a hash: the secret itself does not match, its SHA-256 does.
        let url = DatabaseUrl::parse(&app.db.url).unwrap();
        let db = Database::connect(&url, &PoolOptions::default()).unwrap();
        let id = followup_domain::ids::ApiKeyId::from_uuid(created["id"].as_str().unwrap().parse().unwrap());
        let (_, raw) = followup_domain::api_keys::parse_key(&secret).unwrap();
        assert!(db.read(|c| api_keys::principal(c, id, raw)).unwrap().is_none());
        assert!(db.read(|c| api_keys::principal(c, id, &sha256_hex(raw))).unwrap().is_some());
        // Its use is recorded (after the request, at most once a minute).
        let mut used = serde_json::Value::Null;
        for _ in 0..50 {
            used = cast.coordinator.get_ok(&path).await["items"][0]["last_used_at"].clone();
            if used.is_string() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(used.is_string(), "last_used_at is set after use");

        // Revoked: refused at once; a second revoke changes nothing.
        let revoke = format!("/api-keys/{}/revoke", created["id"].as_str().unwrap());
        assert_problem(cast.owner.post(&revoke, &json!({})).await, 403, "forbidden").await;
        assert_problem(cast.outsider.post(&revoke, &json!({})).await, 404, "not_found").await;
        let revoked = expect_json(cast.coordinator.post(&revoke, &json!({})).await, 200).await;
        assert!(revoked["revoked_at"].is_string());
        assert_problem(key.get(&format!("/programs/{}/dashboard", cast.program_id)).await, 401, "unauthorized").await;
        assert_problem(key.get(&format!("/plans/{active}")).await, 401, "unauthorized").await;
        let again = expect_json(cast.coordinator.post(&revoke, &json!({})).await, 200).await;
        assert_eq!(again["revoked_at"], revoked["revoked_at"]);
        // A made-up key is refused like a bad token; on `/me`, as any key is.
        let forged = Authed::new(&app, format!("fuk_{key_id}_{}", "A".repeat(43)));
        assert_problem(forged.get(&format!("/plans/{active}")).await, 401, "unauthorized").await;
        assert_problem(forged.get("/me").await, 401, "not_an_account").await;
    }
);

backend_test!(
    async fn an_api_key_is_not_an_account(app) {
        let cast = cast(&app).await;
        let keys = format!("/programs/{}/api-keys", cast.program_id);
        let created = expect_json(cast.coordinator.post(&keys, &json!({ "name": "SMS gateway" })).await, 201).await;
        let key = Authed::new(&app, created["api_key"].as_str().unwrap());
        let dashboard = format!("/programs/{}/dashboard", cast.program_id);
        key.get_ok(&dashboard).await;
        // The service account as its programme's coordinator and an admin see it.
        let account = format!("/users/{}", created["user_id"].as_str().unwrap());
        let read = cast.admin.get(&account).await;
        let etag = read.headers()["etag"].to_str().unwrap().to_owned();
        let before = expect_json(read, 200).await;
        let members = format!("/programs/{}/members?limit=200", cast.program_id);
        let member = |page: &serde_json::Value| {
            page["items"].as_array().unwrap().iter().find(|m| m["user_id"] == created["user_id"]).cloned().unwrap()
        };
        let member_before = member(&cast.coordinator.get_ok(&members).await);

        // None of the account's own calls takes a key: 401 `not_an_account`,
        // with the Bearer challenge, in the caller's language.
        let me = key.get("/me").await;
        assert!(me.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        assert_problem(me, 401, "not_an_account").await;
        let worded = key.request(Method::GET, "/me").header("accept-language", "id").send().await.unwrap();
        let worded = assert_problem(worded, 401, "not_an_account").await;
        assert_eq!(worded["title"], "Bukan akun", "{worded}");
        let change = json!({ "display_name": "Not the gateway", "locale": "id", "time_zone": "Asia/Makassar", "position": "Anyone" });
        let patch = key.request(Method::PATCH, "/me").header("If-Match", &etag).json(&change).send().await.unwrap();
        assert_problem(patch, 401, "not_an_account").await;
        let patch = key.request(Method::PATCH, "/me").header("If-Match", "*").json(&change).send().await.unwrap();
        assert_problem(patch, 401, "not_an_account").await;
        let password = json!({ "current_password": "anything-at-all", "new_password": "Kupang harbour at dawn 2027" });
        assert_problem(key.post("/me/password", &password).await, 401, "not_an_account").await;
        let logout = key.request(Method::POST, "/auth/logout").send().await.unwrap();
        assert_problem(logout, 401, "not_an_account").await;

        // The service account is as it was, and the key still reads.
        assert_eq!(cast.admin.get_ok(&account).await, before);
        assert_eq!(member(&cast.coordinator.get_ok(&members).await), member_before);
        key.get_ok(&dashboard).await;
        // A person's token still reaches their own account.
        assert_eq!(cast.observer.get_ok("/me").await["id"], cast.observer_id.as_str());
    }
);

configured_test!(
    async fn a_key_with_the_webhooks_scope_manages_its_programmes_webhooks_and_its_retries_replay(app) with |cfg| {
        cfg.worker.webhook_allow_private = true;
    }; {
        let cast = cast(&app).await;
        let keys = format!("/programs/{}/api-keys", cast.program_id);
        let hooks = format!("/programs/{}/webhooks", cast.program_id);
        let bad = json!({ "name": "WhatsApp gateway", "scopes": ["admin"] });
        assert_problem(cast.coordinator.post(&keys, &bad).await, 422, "validation_failed").await;
        let reader = expect_json(cast.coordinator.post(&keys, &json!({ "name": "KOICA M&E system" })).await, 201).await;
        assert_eq!(reader["scopes"], json!(["read"]), "every key reads, by default only that");
        let gateway = json!({ "name": "WhatsApp gateway, Dinas Sosial NTT", "scopes": ["webhooks"] });
        let gateway = expect_json(cast.coordinator.post(&keys, &gateway).await, 201).await;
        assert_eq!(gateway["scopes"], json!(["read", "webhooks"]));
        let listed = cast.coordinator.get_ok(&keys).await;
        assert!(listed["items"].as_array().unwrap().iter().any(|k| k["scopes"] == json!(["read", "webhooks"])), "{listed}");
        let reader = Authed::new(&app, reader["api_key"].as_str().unwrap());
        let key = Authed::new(&app, gateway["api_key"].as_str().unwrap());

        let subscription = json!({ "url": "http://127.0.0.1:9/hooks/followup", "event_types": ["check_in.posted"] });
        assert_problem(reader.post(&hooks, &subscription).await, 403, "forbidden").await;
        assert_problem(reader.get(&hooks).await, 403, "forbidden").await;

        // The scoped key subscribes; a retry with the same Idempotency-Key
        // replays the answer without the secret, and creates nothing more.
        let send = || key.request(Method::POST, &hooks).header("Idempotency-Key", "wa-gateway-subscribe-1").json(&subscription).send().map(Result::unwrap);
        let first = send().await;
        assert!(first.headers().get("idempotency-replayed").is_none());
        let first = expect_json(first, 201).await;
        assert!(first["secret"].as_str().unwrap().starts_with("whsec_"), "{first}");
        let again = send().await;
        assert_eq!(again.headers()["idempotency-replayed"], "true");
        let again = expect_json(again, 201).await;
        assert_eq!(again["id"], first["id"]);
        assert!(again.get("secret").is_none(), "the secret is shown once: {again}");
        let other = key.request(Method::POST, &hooks).header("Idempotency-Key", "wa-gateway-subscribe-1").json(&json!({ "url": "http://127.0.0.1:9/other", "event_types": ["check_in.posted"] })).send().await.unwrap();
        assert_problem(other, 422, "idempotency_key_reused").await;
        let listed = key.get_ok(&hooks).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
        let hook = format!("/webhooks/{}", id_of(&first));
        key.get_ok(&format!("{hook}/deliveries")).await;
        let etag = key.get(&hook).await.headers()["etag"].to_str().unwrap().to_owned();
        let changed = key.request(Method::PATCH, &hook).header("If-Match", etag).json(&json!({ "description": "Pesan WhatsApp ke delegasi" })).send().await.unwrap();
        assert_eq!(expect_json(changed, 200).await["description"], "Pesan WhatsApp ke delegasi");
        // The coordinator sees what the key subscribed.
        assert_eq!(cast.coordinator.get_ok(&hook).await["description"], "Pesan WhatsApp ke delegasi");

        // Nothing beyond: another programme's webhooks, writes elsewhere.
        let elsewhere = format!("/programs/{}/webhooks", cast.other_program_id);
        assert_problem(key.post(&elsewhere, &subscription).await, 404, "not_found").await;
        let active = id_of(&cast.plan_in("active").await);
        assert_problem(key.post(&format!("/plans/{active}/comments"), &comment_body("From a machine", "shared")).await, 403, "forbidden").await;
        assert_problem(key.post(&keys, &json!({ "name": "Another" })).await, 403, "forbidden").await;

        // Revoked: its webhooks stay (the programme's), the key is refused.
        expect_json(cast.coordinator.post(&format!("/api-keys/{}/revoke", id_of(&gateway)), &json!({})).await, 200).await;
        assert_problem(key.get(&hook).await, 401, "unauthorized").await;
        let etag = cast.coordinator.get(&hook).await.headers()["etag"].to_str().unwrap().to_owned();
        let deleted = cast.coordinator.request(Method::DELETE, &hook).header("If-Match", etag).send().await.unwrap();
        assert_eq!(deleted.status(), 204);
    }
);

configured_test!(
    async fn each_key_is_rate_limited_on_its_own(app) with |cfg| {
        cfg.auth.api_key_rate = 5;
    }; {
        let cast = cast(&app).await;
        let keys = format!("/programs/{}/api-keys", cast.program_id);
        let dashboard = format!("/programs/{}/dashboard", cast.program_id);
        let one = expect_json(cast.coordinator.post(&keys, &json!({ "name": "KOICA M&E system" })).await, 201).await;
        let two = expect_json(cast.coordinator.post(&keys, &json!({ "name": "SMS gateway" })).await, 201).await;
        let (one, two) = (Authed::new(&app, one["api_key"].as_str().unwrap()), Authed::new(&app, two["api_key"].as_str().unwrap()));
        for _ in 0..5 {
            one.get_ok(&dashboard).await;
        }
        let refused = one.request(Method::GET, &dashboard).header("accept-language", "id").send().await.unwrap();
        let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=12).contains(&wait), "{wait}");
        let body = assert_problem(refused, 429, "rate_limited").await;
        assert!(body["detail"].as_str().unwrap().contains("Kunci API ini"), "{body}");
        two.get_ok(&dashboard).await;
        for _ in 0..10 {
            cast.coordinator.get_ok(&dashboard).await;
        }
        // The allowance comes back at its pace (5 a minute: one in 12 s).
        tokio::time::sleep(std::time::Duration::from_millis(12_100)).await;
        one.get_ok(&dashboard).await;
    }
);
