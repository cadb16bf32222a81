//! A measurement is corrected or withdrawn by its author, never deleted:
//! the versions replaced are kept with who replaced them and why, a
//! withdrawn measurement stays (marked) and is no longer its indicator's
//! current value, and the history and the sync feed follow.

use followup_tests::api::{assert_field_error, expect_json, id_of, Authed};
use followup_tests::plans::{
    cast, create_indicator, day, etag, history, indicator_body, measurement_body, owner_today,
    record_measurement,
};
use followup_tests::{assert_problem, backend_test, json, Value};
use reqwest::Method;

/// Send `body` to `path` with `method` and `If-Match` (none when `None`).
async fn change(
    client: &Authed<'_>,
    method: Method,
    path: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = client.request(method, path).json(body);
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    request.send().await.unwrap()
}

async fn current_value(client: &Authed<'_>, indicator: &str) -> Value {
    client.get_ok(&format!("/indicators/{indicator}")).await["current_value"].clone()
}

backend_test!(
    async fn a_measurement_is_corrected_and_withdrawn_by_its_author_with_its_history(app) {
        let cast = cast(&app).await;
        let plan_id = id_of(&cast.plan_in("active").await);
        let indicator = id_of(
            &create_indicator(&cast.owner, &plan_id, &indicator_body("Youth reached", "people", 0.0, 20.0, "increase")).await,
        );
        let earlier = record_measurement(&cast.owner, &indicator, &measurement_body(6.0, &day(owner_today(), -10))).await;
        let latest = record_measurement(&cast.owner, &indicator, &measurement_body(9.0, &day(owner_today(), -2))).await;
        assert_eq!(latest["version"], 1);
        assert_eq!(current_value(&cast.mentor, &indicator).await, json!(9.0));
        let path = format!("/measurements/{}", id_of(&latest));
        let tag = etag(&cast.owner.get(&path).await);
        let fix = json!({ "value": 12, "reason": "Three more signed on the back of the attendance sheet." });

        // Refused, and nothing changes: no If-Match, not the author, not visible,
        // no reason, nothing to correct, a date after the owner's today.
        assert_problem(change(&cast.owner, Method::PATCH, &path, None, &fix).await, 428, "precondition_required").await;
        assert_problem(change(&cast.mentor, Method::PATCH, &path, Some(&tag), &fix).await, 403, "forbidden").await;
        assert_problem(change(&cast.outsider, Method::PATCH, &path, Some(&tag), &fix).await, 404, "not_found").await;
        let no_reason = change(&cast.owner, Method::PATCH, &path, Some(&tag), &json!({ "value": 12 })).await;
        assert_problem(no_reason, 422, "validation_failed").await;
        let nothing = change(&cast.owner, Method::PATCH, &path, Some(&tag), &json!({ "reason": "Why not" })).await;
        assert_field_error(&assert_problem(nothing, 422, "validation_failed").await, "", Some("nothing_to_correct"));
        let future = json!({ "measured_on": day(owner_today(), 1), "reason": "Typo" });
        let future = change(&cast.owner, Method::PATCH, &path, Some(&tag), &future).await;
        assert_field_error(&assert_problem(future, 422, "validation_failed").await, "measured_on", Some("in_the_future"));
        assert_eq!(cast.owner.get_ok(&path).await, latest, "nothing changed");

        // The author corrects it: the indicator follows, the old version is kept.
        let corrected = expect_json(change(&cast.owner, Method::PATCH, &path, Some(&tag), &fix).await, 200).await;
        assert_eq!((corrected["value"].clone(), corrected["version"].clone()), (json!(12.0), json!(2)));
        assert_eq!(corrected["measured_on"], latest["measured_on"], "what was not sent stays");
        assert_eq!(current_value(&cast.mentor, &indicator).await, json!(12.0));
        let stale = change(&cast.owner, Method::PATCH, &path, Some(&tag), &json!({ "value": 1, "reason": "Again" })).await;
        assert_problem(stale, 412, "precondition_failed").await;

        // Withdrawn: kept and marked, no longer the current value.
        let tag = etag(&cast.owner.get(&path).await);
        let withdraw = format!("{path}/withdraw");
        let why = json!({ "reason": "Recorded against the wrong indicator." });
        assert_problem(change(&cast.owner, Method::POST, &withdraw, None, &why).await, 428, "precondition_required").await;
        let withdrawn = expect_json(change(&cast.owner, Method::POST, &withdraw, Some(&tag), &why).await, 200).await;
        assert_eq!(withdrawn["version"], 3);
        assert!(withdrawn["withdrawn_at"].is_string(), "{withdrawn}");
        assert_eq!(withdrawn["withdrawn_reason"], why["reason"]);
        assert_eq!(current_value(&cast.mentor, &indicator).await, earlier["value"], "the earlier one is current again");
        let listed = cast.mentor.get_ok(&format!("/indicators/{indicator}/measurements")).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2, "a withdrawn measurement is listed, marked");

        // The figures read the same rule: a met indicator whose only
        // measurement is withdrawn is back at its baseline, behind.
        let met = id_of(
            &create_indicator(&cast.owner, &plan_id, &indicator_body("Sessions held", "sessions", 0.0, 10.0, "increase")).await,
        );
        let done = record_measurement(&cast.owner, &met, &measurement_body(10.0, &day(owner_today(), -1))).await;
        let dashboard = format!("/programs/{}/dashboard", cast.program_id);
        let behind_before = cast.mentor.get_ok(&dashboard).await["indicators"]["behind_schedule"].as_i64().unwrap();
        let undo = format!("/measurements/{}/withdraw", id_of(&done));
        expect_json(change(&cast.owner, Method::POST, &undo, Some("*"), &json!({ "reason": "Counted twice" })).await, 200).await;
        let behind_after = cast.mentor.get_ok(&dashboard).await["indicators"]["behind_schedule"].as_i64().unwrap();
        assert_eq!(behind_after, behind_before + 1, "the withdrawn measurement no longer meets the target");

        // A withdrawn measurement takes no further change.
        let tag = etag(&cast.owner.get(&path).await);
        let again = change(&cast.owner, Method::PATCH, &path, Some(&tag), &json!({ "value": 5, "reason": "x" })).await;
        assert_problem(again, 409, "invalid_state").await;
        assert_problem(change(&cast.owner, Method::POST, &withdraw, Some(&tag), &why).await, 409, "invalid_state").await;

        // Its history: each version replaced, with who and why.
        let versions = cast.mentor.get_ok(&format!("{path}/versions")).await;
        let items = versions["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{versions}");
        assert_eq!((items[0]["version"].clone(), items[0]["value"].clone()), (json!(1), json!(9.0)));
        assert_eq!(items[0]["reason"], fix["reason"]);
        assert_eq!(items[0]["replaced_by"], cast.owner_id.as_str());
        assert_eq!((items[1]["version"].clone(), items[1]["value"].clone()), (json!(2), json!(12.0)));
        assert_eq!(items[1]["reason"], why["reason"]);
        assert_problem(cast.outsider.get(&format!("{path}/versions")).await, 404, "not_found").await;

        // The audit and the phone's feed follow.
        let events = history(&cast.mentor, &plan_id).await;
        let id = id_of(&latest);
        let event = |action: &str| events.iter().find(|e| e["action"] == action && e["entity_id"] == id.as_str()).cloned();
        assert_eq!(event("correct").expect("the correction is audited")["fields"], json!(["value"]));
        assert!(event("withdraw").is_some(), "the withdrawal is audited: {events:?}");
        let feed = cast.owner.get_ok("/sync").await;
        let synced = feed["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).cloned();
        assert_eq!(synced.map(|i| (i["data"]["version"].clone(), i["data"]["withdrawn_reason"].clone())), Some((json!(3), why["reason"].clone())));
    }
);

backend_test!(
    async fn a_measurement_is_corrected_only_while_its_plan_is_active(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let indicator = id_of(
            &create_indicator(&cast.owner, &plan_id, &indicator_body("Sessions held", "sessions", 0.0, 10.0, "increase")).await,
        );
        let recorded = record_measurement(&cast.owner, &indicator, &measurement_body(4.0, &day(owner_today(), -1))).await;
        let completed = cast.owner.post(&format!("/plans/{plan_id}/complete"), &json!({})).await;
        expect_json(completed, 200).await;
        let path = format!("/measurements/{}", id_of(&recorded));
        let fix = json!({ "value": 5, "reason": "Miscounted" });
        assert_problem(change(&cast.owner, Method::PATCH, &path, Some("*"), &fix).await, 409, "invalid_state").await;
        let why = json!({ "reason": "Miscounted" });
        assert_problem(change(&cast.owner, Method::POST, &format!("{path}/withdraw"), Some("*"), &why).await, 409, "invalid_state").await;
        assert_eq!(cast.owner.get_ok(&path).await, recorded, "nothing changed");
    }
);
