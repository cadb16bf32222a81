//! A check-in whose revision a mentor asked for is revised by its author: it
//! goes back to `pending`, the version it replaced is kept, the history and
//! the mentor's figures follow.

use followup_tests::api::{assert_field_error, expect_json, id_of, Authed};
use followup_tests::plans::{cast, check_in_body, day, history, owner_today, post_check_in};
use followup_tests::{assert_problem, backend_test, json, Value};
use reqwest::Method;

async fn revise(client: &Authed<'_>, id: &str, body: &Value) -> reqwest::Response {
    let etag = client.get(&format!("/check-ins/{id}")).await.headers()["etag"].to_str().unwrap().to_owned();
    client
        .request(Method::PATCH, &format!("/check-ins/{id}"))
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn awaiting(client: &Authed<'_>, program_id: &str) -> i64 {
    client.get_ok(&format!("/programs/{program_id}/dashboard")).await["check_ins_awaiting_review"]
        .as_i64()
        .unwrap()
}

backend_test!(
    async fn a_check_in_is_revised_by_its_author_when_a_mentor_asks(app) {
        let cast = cast(&app).await;
        let plan_id = id_of(&cast.plan_in("active").await);
        let posted = post_check_in(&cast.owner, &plan_id, &check_in_body(&day(owner_today(), -2), "Ran the first workshop.")).await;
        let id = id_of(&posted);
        assert_eq!(awaiting(&cast.mentor, &cast.program_id).await, 1);

        // Not before a revision is asked for.
        let early = revise(&cast.owner, &id, &json!({ "summary": "Ran the first workshop, 14 came." })).await;
        assert_problem(early, 409, "invalid_state").await;

        let ask = json!({ "decision": "revision_requested", "note": "Please add the attendance sheet as evidence." });
        let reviewed = expect_json(cast.mentor.post(&format!("/check-ins/{id}/review"), &ask).await, 200).await;
        assert_eq!(reviewed["review_status"], "revision_requested");
        assert_eq!(awaiting(&cast.mentor, &cast.program_id).await, 0, "a reviewed check-in no longer waits");

        // Only its author revises it, and a bad field changes nothing.
        assert_problem(revise(&cast.mentor, &id, &json!({ "summary": "Mine now" })).await, 403, "forbidden").await;
        let bad = revise(&cast.owner, &id, &json!({ "confidence": 11 })).await;
        assert_field_error(&assert_problem(bad, 422, "validation_failed").await, "confidence", None);
        let future = revise(&cast.owner, &id, &json!({ "reported_on": day(owner_today(), 1) })).await;
        assert_field_error(&assert_problem(future, 422, "validation_failed").await, "reported_on", Some("in_the_future"));
        let still = cast.owner.get_ok(&format!("/check-ins/{id}")).await;
        assert_eq!((still["version"].clone(), still["review_status"].clone()), (reviewed["version"].clone(), json!("revision_requested")));

        let revision = json!({
            "summary": "Ran the first workshop with 14 social workers; the attendance sheet is attached.",
            "evidence": [{ "url": "https://drive.example.org/kupang/attendance.pdf", "title": "Attendance sheet" }],
        });
        let revised = expect_json(revise(&cast.owner, &id, &revision).await, 200).await;
        assert_eq!(revised["review_status"], "pending");
        assert_eq!(revised["summary"], revision["summary"]);
        assert_eq!(revised["evidence"][0]["title"], "Attendance sheet");
        assert_eq!(revised["progress"], posted["progress"], "what was not sent stays");
        assert!(revised["review_note"].is_null() && revised["reviewer_id"].is_null());
        assert_eq!(revised["version"].as_i64(), reviewed["version"].as_i64().map(|v| v + 1));
        assert_eq!(awaiting(&cast.mentor, &cast.program_id).await, 1, "the revision awaits review again");
        assert_eq!(awaiting(&cast.coordinator, &cast.program_id).await, 1);

        // Both versions are kept: the earlier one with the review that asked.
        let versions = cast.mentor.get_ok(&format!("/check-ins/{id}/versions")).await;
        let items = versions["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{versions}");
        assert_eq!(items[0]["summary"], posted["summary"]);
        assert_eq!(items[0]["review_status"], "revision_requested");
        assert_eq!(items[0]["review_note"], ask["note"]);
        assert_eq!(items[0]["version"], reviewed["version"]);
        let events = history(&cast.mentor, &plan_id).await;
        let revise_event = events.iter().find(|e| e["action"] == "revise" && e["entity_id"] == id.as_str());
        let fields = revise_event.expect("the revision is in the plan's history")["fields"].clone();
        assert_eq!(fields, json!(["summary", "evidence"]));

        // Revised once, it waits for review: not revised again until asked.
        assert_problem(revise(&cast.owner, &id, &json!({ "summary": "Again" })).await, 409, "invalid_state").await;
        // Another programme's delegate sees neither the check-in nor its versions.
        assert_problem(cast.outsider.get(&format!("/check-ins/{id}/versions")).await, 404, "not_found").await;
        // The phone's feed brings the revised check-in.
        let feed = cast.owner.get_ok("/sync").await;
        let synced = feed["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).cloned();
        assert_eq!(synced.map(|i| i["data"]["version"].clone()), Some(revised["version"].clone()));
    }
);
