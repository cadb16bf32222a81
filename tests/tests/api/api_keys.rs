//! API keys for integrators: a programme's coordinator creates one (shown
//! once, stored as a hash); it reads that programme as an observer does —
//! no drafts, no mentors-only comment, nothing of another programme — writes
//! nothing, never signs in as a person, and stops at once when revoked.

use followup_persistence::repo::api_keys;
use followup_persistence::{Database, DatabaseUrl, PoolOptions};
use followup_tests::api::{expect_json, id_of, Authed};
use followup_tests::plans::{cast, comment_body, post_comment};
use followup_tests::{assert_problem, backend_test, json};
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
        // A made-up key is refused like a bad token.
        let forged = Authed::new(&app, format!("fuk_{key_id}_{}", "A".repeat(43)));
        assert_problem(forged.get("/me").await, 401, "unauthorized").await;
    }
);
