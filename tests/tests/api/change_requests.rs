//! Change requests: a running plan's end date and targets move only through
//! a request its mentor approves; the approved originals stay beside the
//! new values, the history says who asked and who decided, one request is
//! open at a time, and one the plan changed under is refused as stale.

use followup_tests::api::{expect_json, id_of};
use followup_tests::plans::{cast, create_indicator, history, indicator_body, transition_ok};
use followup_tests::{assert_problem, backend_test, json, Value};

backend_test!(
    async fn a_running_plan_changes_through_a_request_its_mentor_approves(app) {
        let cast = cast(&app).await;
        let plan = cast.draft_plan().await;
        let id = id_of(&plan);
        let trained = id_of(&create_indicator(&cast.owner, &id, &indicator_body("Youth workers trained", "people", 0.0, 20.0, "increase")).await);
        transition_ok(&cast.owner, &id, "submit", None).await;
        transition_ok(&cast.mentor, &id, "approve", None).await;
        let requests = format!("/plans/{id}/change-requests");

        // Direct edits of what was approved are refused, pointing here.
        let direct = assert_problem(cast.owner.patch(&format!("/plans/{id}"), &json!({ "ends_on": "2023-12-31" })).await, 409, "change_request_required").await;
        assert!(direct["detail"].as_str().unwrap().contains(&format!("/api/v1/plans/{id}/change-requests")), "{direct}");
        assert_problem(cast.owner.patch(&format!("/indicators/{trained}"), &json!({ "target": 30.0 })).await, 409, "change_request_required").await;

        // The delegate proposes a later end date and a higher target.
        let body = json!({
            "reason": "Kelurahan meminta lokakarya menunggu musim hujan berakhir; dua kelompok lagi ingin ikut.",
            "changes": { "ends_on": "2023-12-31", "indicators": [{ "indicator_id": trained, "target": 30.0 }] }
        });
        let proposed = expect_json(cast.owner.post(&requests, &body).await, 201).await;
        assert_eq!(proposed["status"], "open");
        assert_eq!(proposed["requested_by"], cast.owner_id.as_str());
        assert_eq!(cast.owner.get_ok(&format!("/plans/{id}")).await["ends_on"], plan["ends_on"], "nothing changes before the decision");
        assert_problem(cast.owner.post(&requests, &body).await, 409, "change_request_open").await;
        let request = format!("/change-requests/{}", id_of(&proposed));
        assert_problem(cast.owner.post(&format!("{request}/approve"), &json!({})).await, 403, "forbidden").await;
        assert_eq!(cast.observer.get_ok(&requests).await["items"].as_array().unwrap().len(), 1, "the observer reads it");

        // The mentor approves: both apply, the originals stay beside them.
        let approved = expect_json(cast.mentor.post(&format!("{request}/approve"), &json!({ "reason": "Setuju." })).await, 200).await;
        assert_eq!((approved["status"].as_str(), approved["decided_by"].as_str()), (Some("approved"), Some(cast.mentor_id.as_str())));
        assert_eq!(approved["decision_reason"], "Setuju.");
        let now = cast.mentor.get_ok(&format!("/plans/{id}")).await;
        assert_eq!((now["ends_on"].as_str(), now["approved_original"]["ends_on"].as_str()), (Some("2023-12-31"), plan["ends_on"].as_str()));
        let indicator = cast.mentor.get_ok(&format!("/indicators/{trained}")).await;
        assert_eq!((indicator["target"].as_f64(), indicator["approved_original"]["target"].as_f64()), (Some(30.0), Some(20.0)));

        // The history shows the request, the decision and who made each.
        let events = history(&cast.mentor, &id).await;
        let by = |entity: &str, action: &str| -> Vec<Value> {
            events.iter().filter(|e| e["entity_type"] == entity && e["action"] == action).cloned().collect()
        };
        assert_eq!(by("change_request", "create")[0]["actor_id"], cast.owner_id.as_str());
        let decision = &by("change_request", "approve")[0];
        assert_eq!((decision["actor_id"].as_str(), decision["reason"].as_str()), (Some(cast.mentor_id.as_str()), Some("Setuju.")));
        assert!(by("plan", "update").iter().any(|e| e["fields"] == json!(["ends_on"])), "{events:#?}");

        // A request the indicator changed under is stale; declined, nothing changes.
        let again = json!({ "reason": "Satu kelompok lagi.", "changes": { "indicators": [{ "indicator_id": trained, "target": 35.0 }] } });
        let second = format!("/change-requests/{}", id_of(&expect_json(cast.owner.post(&requests, &again).await, 201).await));
        expect_json(cast.owner.patch(&format!("/indicators/{trained}"), &json!({ "name": "Pekerja muda terlatih" })).await, 200).await;
        assert_problem(cast.mentor.post(&format!("{second}/approve"), &json!({})).await, 409, "change_request_stale").await;
        assert_problem(cast.mentor.post(&format!("{second}/decline"), &json!({})).await, 422, "validation_failed").await;
        let declined = expect_json(cast.mentor.post(&format!("{second}/decline"), &json!({ "reason": "Ajukan lagi dengan nama baru." })).await, 200).await;
        assert_eq!(declined["status"], "declined");
        assert_eq!(cast.owner.get_ok(&format!("/indicators/{trained}")).await["target"].as_f64(), Some(30.0), "a declined request changes nothing");
        assert_problem(cast.mentor.post(&format!("{second}/approve"), &json!({})).await, 409, "invalid_state").await;

        // Clients that sync hear of both requests.
        let feed = cast.owner.get_ok("/sync?limit=500").await;
        let synced: Vec<&Value> = feed["items"].as_array().unwrap().iter().filter(|i| i["type"] == "change_request").collect();
        assert_eq!(synced.len(), 2, "{feed}");
    }
);

backend_test!(
    async fn what_is_not_a_change_a_running_plan_can_take_is_refused(app) {
        let cast = cast(&app).await;
        let draft = id_of(&cast.draft_plan().await);
        let body = json!({ "reason": "Later.", "changes": { "ends_on": "2023-12-31" } });
        assert_problem(cast.owner.post(&format!("/plans/{draft}/change-requests"), &body).await, 409, "invalid_state").await;
        let id = id_of(&cast.plan_in("active").await);
        let requests = format!("/plans/{id}/change-requests");
        assert_problem(cast.mentor.post(&requests, &body).await, 403, "forbidden").await;
        let nothing = json!({ "reason": "Nothing.", "changes": {} });
        assert_problem(cast.owner.post(&requests, &nothing).await, 422, "validation_failed").await;
        let stranger = json!({ "reason": "Not mine.", "changes": { "indicators": [{ "indicator_id": "01939c4e-7a10-7c1d-9e2f-3a4b5c6d7e8f", "target": 3.0 }] } });
        let refused = assert_problem(cast.owner.post(&requests, &stranger).await, 422, "validation_failed").await;
        assert_eq!(refused["errors"][0]["code"], "not_in_plan", "{refused}");
        let outside = json!({ "reason": "Far later.", "changes": { "ends_on": "2099-01-01" } });
        assert_problem(cast.owner.post(&requests, &outside).await, 422, "validation_failed").await;
        assert_eq!(cast.owner.get_ok(&requests).await["items"].as_array().unwrap().len(), 0, "nothing was recorded");
    }
);
