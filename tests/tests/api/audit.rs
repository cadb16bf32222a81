//! The audit log: every change above writes an event in the same transaction
//! (who, what, which fields); a refused change writes none; no password, hash
//! or token ever appears in it. Read straight from the database, since the
//! audit log of people has no endpoint of its own.

use followup_persistence::repo::audit::{self, StoredEvent};
use followup_persistence::{Database, DatabaseUrl, PoolOptions};
use followup_tests::api::{admin, create_org, expect_json, login, new_member, program_body, USER_PASSWORD};
use followup_tests::{backend_test, json, TestApp, ADMIN_PASSWORD};
use uuid::Uuid;

fn events(app: &TestApp, id: &str) -> Vec<StoredEvent> {
    let url = DatabaseUrl::parse(&app.db.url).unwrap();
    let db = Database::connect(&url, &PoolOptions::default()).unwrap();
    let id = Uuid::parse_str(id).unwrap();
    db.read(|c| audit::for_entity(c, id)).unwrap()
}

fn all_changes(app: &TestApp) -> String {
    use diesel::prelude::*;
    use followup_persistence::schema::audit_events;
    let url = DatabaseUrl::parse(&app.db.url).unwrap();
    let db = Database::connect(&url, &PoolOptions::default()).unwrap();
    db.read(|c| {
        let rows: Vec<(String, Option<String>)> =
            audit_events::table.select((audit_events::changes, audit_events::reason)).load(c)?;
        Ok(rows
            .into_iter()
            .map(|(a, b)| format!("{a} {}", b.unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n"))
    })
    .unwrap()
}

backend_test!(
    async fn changes_are_audited_with_actor_and_fields_and_never_secrets(app) {
        let admin = admin(&app).await;
        let admin_id = expect_json(admin.get("/me").await, 200).await["id"].as_str().unwrap().to_owned();

        let (delegate_id, delegate) = new_member(&app, &admin.token, "maria.bere@kemensos.go.id", "Maria Bere").await;
        let created = events(&app, &delegate_id);
        assert_eq!(created.len(), 1, "one event for the creation: {created:?}");
        assert_eq!(created[0].action, "create");
        assert_eq!(created[0].entity_type, "user");
        assert_eq!(created[0].actor_id.map(|a| a.to_string()), Some(admin_id.clone()), "the actor is recorded");

        // The delegate changes their profile and password.
        expect_json(delegate.patch("/me", &json!({"position": "Pekerja sosial, Sentra Efata Kupang"})).await, 200).await;
        let new_password = "flores-timur-2023-baru";
        let response = delegate
            .post("/me/password", &json!({"current_password": USER_PASSWORD, "new_password": new_password}))
            .await;
        assert_eq!(response.status(), 204);
        let history = events(&app, &delegate_id);
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["create", "update", "password_change"]);
        assert!(history[1].changes.contains("position"), "the changed field is named: {}", history[1].changes);
        assert_eq!(history[1].actor_id.map(|a| a.to_string()), Some(delegate_id.clone()));

        // A refused change writes nothing.
        let refused = delegate.patch("/me", &json!({"time_zone": "Mars/Olympus"})).await;
        assert_eq!(refused.status(), 422);
        assert_eq!(events(&app, &delegate_id).len(), 3, "a refused change is not audited");

        // Organisations and programmes too.
        let org = create_org(&app, &admin.token, "Sentra Efata Kupang", "technical_unit", None).await;
        let org_id = org["id"].as_str().unwrap();
        assert_eq!(events(&app, org_id).len(), 1);
        let program = expect_json(admin.post("/programs", &program_body("KOICA-ITP-2023")).await, 201).await;
        let program_id = program["id"].as_str().unwrap().to_owned();
        expect_json(admin.patch(&format!("/programs/{program_id}"), &json!({"check_in_cadence_days": 7})).await, 200)
            .await;
        let program_events = events(&app, &program_id);
        assert_eq!(program_events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["create", "update"]);
        assert!(program_events[1].changes.contains("check_in_cadence_days"));

        // Nothing secret anywhere in the log.
        let tokens = login(&app, "maria.bere@kemensos.go.id", new_password).await;
        let everything = all_changes(&app);
        for secret in [USER_PASSWORD, new_password, ADMIN_PASSWORD, "$argon2", &tokens.refresh_token, &tokens.access_token] {
            assert!(!everything.contains(secret), "the audit log contains a secret ({secret})");
        }
    }
);
