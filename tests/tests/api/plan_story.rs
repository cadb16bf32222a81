//! The reference story from draft to completion: Yohanes Lado of Sentra Efata
//! Kupang drafts his action plan, his mentor Young Joon Hong asks for changes,
//! approves the revised plan, follows the measurements and check-ins, reviews
//! and comments; the plan completes and its history tells every step.

use followup_tests::api::{assert_field_error, expect_json, id_of, item_strings, Authed};
use followup_tests::plans::{
    activity_body, assert_close, cast, create_activity, history, indicator_body, location, plan_body,
    post_comment, record_measurement, transition, transition_ok, Cast, OWNER_TIME_ZONE, PLAN_TITLE,
};
use followup_tests::{assert_problem, backend_test, json, Value};

const CHANGES_REASON: &str = "Please add a follow-up session in October with the trained youth workers, \
                              and say how many young people the peer-support circles will reach.";

/// A POST that must answer 201 with a `Location` of `/api/v1/{collection}/{id}`.
async fn created(client: &Authed<'_>, path: &str, body: &Value, collection: &str) -> Value {
    let response = client.post(path, body).await;
    let location = location(&response);
    let resource = expect_json(response, 201).await;
    assert_eq!(
        location,
        Some(format!("/api/v1/{collection}/{}", id_of(&resource))),
        "POST {path}: Location header"
    );
    resource
}

/// The history events about one entity, oldest first, as (action, actor).
fn steps_of(events: &[Value], entity_id: &str) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["entity_id"] == entity_id)
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["actor_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    steps.reverse();
    steps
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn plan_status(cast: &Cast<'_>, plan_id: &str) -> Value {
    cast.owner.get_ok(&format!("/plans/{plan_id}")).await
}

backend_test!(
    async fn a_delegate_carries_out_his_action_plan_with_his_mentor(app) {
        let cast = cast(&app).await;
        let me = cast.owner.get_ok("/me").await;
        assert_eq!(me["time_zone"], OWNER_TIME_ZONE);
        assert_eq!(me["organization_id"], cast.org_id.as_str());
        let (owner, mentor) = (&cast.owner, &cast.mentor);

        // 1. Yohanes drafts his plan.
        let body = plan_body(&cast.program_id);
        let response = owner.post("/plans", &body).await;
        let plan_location = location(&response);
        let plan = expect_json(response, 201).await;
        let plan_id = id_of(&plan);
        assert_eq!(plan_location, Some(format!("/api/v1/plans/{plan_id}")), "Location header");
        for field in
            ["program_id", "title", "problem_statement", "goal", "target_group", "location", "starts_on", "ends_on"]
        {
            assert_eq!(plan[field], body[field], "{field}: {plan}");
        }
        assert_eq!(plan["owner_id"], cast.owner_id.as_str(), "the caller owns the plan");
        assert_eq!(plan["status"], "draft");
        for field in ["status_reason", "submitted_at", "approved_at", "closed_at"] {
            assert!(plan[field].is_null(), "{field} is null on a new draft: {plan}");
        }
        assert!(plan["version"].is_i64() && plan["created_at"].is_string() && plan["updated_at"].is_string());
        assert_eq!(owner.get_ok(&format!("/plans/{plan_id}")).await, plan, "GET answers what POST created");

        let mut activities = Vec::new();
        for (title, due_on) in [
            ("Adapt the peer-support training module to Kupang", "2023-06-30"),
            ("Train 20 youth workers at Sentra Efata Kupang", "2023-08-31"),
            ("Monthly peer-support circles with young people", "2023-11-15"),
        ] {
            let path = format!("/plans/{plan_id}/activities");
            let activity = created(owner, &path, &activity_body(title, Some(due_on)), "activities").await;
            assert_eq!(activity["plan_id"], plan_id.as_str());
            assert_eq!(activity["title"], title);
            assert_eq!(activity["due_on"], due_on);
            assert_eq!(activity["status"], "planned", "the default status: {activity}");
            assert!(activity["completed_on"].is_null());
            activities.push(activity);
        }
        let trained = created(
            owner,
            &format!("/plans/{plan_id}/indicators"),
            &indicator_body("Youth workers trained in peer support", "persons", 0.0, 20.0, "increase"),
            "indicators",
        )
        .await;
        let waiting = created(
            owner,
            &format!("/plans/{plan_id}/indicators"),
            &indicator_body("Young people waiting for a first counselling session", "persons", 35.0, 10.0, "decrease"),
            "indicators",
        )
        .await;
        for indicator in [&trained, &waiting] {
            assert!(indicator["current_value"].is_null(), "no measurement yet: {indicator}");
            assert!(indicator["progress"].is_null(), "no measurement yet: {indicator}");
        }

        // The mentor helps with the draft; the observer does not see it yet.
        let mentees = mentor.get_ok("/plans?mentee_of=me").await;
        assert_eq!(item_strings(&mentees, "id"), vec![plan_id.clone()], "the mentor sees the draft");
        assert_problem(cast.observer.get(&format!("/plans/{plan_id}")).await, 404, "not_found").await;

        // 2. He submits it.
        let submitted = transition_ok(owner, &plan_id, "submit", None).await;
        assert_eq!(submitted["status"], "submitted");
        assert!(submitted["submitted_at"].is_string(), "{submitted}");
        cast.observer.get_ok(&format!("/plans/{plan_id}")).await;
        // Under review, the content and the activities are frozen.
        let response = owner.patch(&format!("/plans/{plan_id}"), &json!({ "goal": "Something else" })).await;
        assert_problem(response, 409, "invalid_state").await;
        let response = owner
            .post(&format!("/plans/{plan_id}/activities"), &activity_body("Late addition", Some("2023-09-01")))
            .await;
        assert_problem(response, 409, "invalid_state").await;

        // 3. The mentor asks for changes, with a reason.
        let problem =
            assert_problem(transition(mentor, &plan_id, "request-changes", None).await, 422, "validation_failed")
                .await;
        assert_field_error(&problem, "reason", None);
        let changes = transition_ok(mentor, &plan_id, "request-changes", Some(CHANGES_REASON)).await;
        assert_eq!(changes["status"], "changes_requested");
        assert_eq!(changes["status_reason"], CHANGES_REASON);

        // 4. Yohanes edits the plan and adds the follow-up session, then resubmits.
        let new_goal = "Train 20 youth workers in Kupang who then run monthly peer-support circles \
                        reaching 60 young people.";
        let edited = expect_json(owner.patch(&format!("/plans/{plan_id}"), &json!({ "goal": new_goal })).await, 200)
            .await;
        assert_eq!(edited["goal"], new_goal);
        assert_eq!(edited["status"], "changes_requested");
        assert!(edited["version"].as_i64() > changes["version"].as_i64(), "the version grows: {edited}");
        let follow_up = create_activity(
            owner,
            &plan_id,
            &activity_body("Follow-up session with the trained youth workers", Some("2023-10-20")),
        )
        .await;
        activities.push(follow_up);
        let resubmitted = transition_ok(owner, &plan_id, "submit", None).await;
        assert_eq!(resubmitted["status"], "submitted");

        // 5. The mentor approves.
        let approved = transition_ok(mentor, &plan_id, "approve", None).await;
        assert_eq!(approved["status"], "active");
        assert!(approved["approved_at"].is_string(), "{approved}");
        assert_eq!(approved["goal"], new_goal);

        // 6. Measurements, with evidence.
        let evidence = json!([{ "url": "https://drive.example.org/sentra-efata/attendance-august.pdf",
                                "title": "Attendance list, training day 2" }]);
        let trained_id = id_of(&trained);
        let first = record_measurement(
            owner,
            &trained_id,
            &json!({ "value": 8.0, "measured_on": "2023-07-31", "note": "First training day" }),
        )
        .await;
        assert_eq!(first["indicator_id"], trained_id.as_str());
        assert_eq!(first["recorded_by"], cast.owner_id.as_str());
        let second = record_measurement(
            owner,
            &trained_id,
            &json!({ "value": 20.0, "measured_on": "2023-08-31", "note": "Second training day",
                     "evidence": evidence }),
        )
        .await;
        assert_eq!(second["evidence"], evidence);
        let waiting_id = id_of(&waiting);
        record_measurement(owner, &waiting_id, &json!({ "value": 28.0, "measured_on": "2023-08-31" })).await;
        record_measurement(owner, &waiting_id, &json!({ "value": 12.0, "measured_on": "2023-10-31" })).await;
        let trained_now = mentor.get_ok(&format!("/indicators/{trained_id}")).await;
        assert_close(&trained_now["current_value"], Some(20.0), "trained: current value");
        assert_close(&trained_now["progress"], Some(1.0), "trained: progress");
        let waiting_now = mentor.get_ok(&format!("/indicators/{waiting_id}")).await;
        assert_close(&waiting_now["current_value"], Some(12.0), "waiting: current value");
        assert_close(&waiting_now["progress"], Some(23.0 / 25.0), "waiting: progress (35 → 12 of 35 → 10)");
        let measured = mentor.get_ok(&format!("/indicators/{trained_id}/measurements")).await;
        assert_eq!(sorted(item_strings(&measured, "id")), sorted(vec![id_of(&first), id_of(&second)]));

        // 7. The activities are done.
        for activity in &activities {
            let path = format!("/activities/{}", id_of(activity));
            let done = expect_json(owner.patch(&path, &json!({ "status": "done" })).await, 200).await;
            assert_eq!(done["status"], "done");
            assert!(done["completed_on"].is_string(), "completed_on is set when done: {done}");
            assert_eq!(done["overdue"], false, "a done activity is not overdue: {done}");
        }

        // 8. Two check-ins with evidence.
        let first_check_in = created(
            owner,
            &format!("/plans/{plan_id}/check-ins"),
            &json!({
                "reported_on": "2023-07-31",
                "summary": "The module is adapted and the first training day was held with 8 youth workers.",
                "progress": "on_track",
                "confidence": 8,
                "achievements": "Module translated into Bahasa Indonesia; 8 youth workers trained.",
                "challenges": "The hall at Sentra Efata is booked on Fridays.",
                "support_needed": "Examples of peer-support circle agendas.",
                "next_steps": "Second training day on 31 August.",
                "evidence": [
                    { "url": "https://drive.example.org/sentra-efata/module-v2.pdf", "title": "Training module" },
                    { "url": "http://photos.example.org/kupang/training-day-1", "title": "Photos, day 1" },
                ],
            }),
            "check-ins",
        )
        .await;
        assert_eq!(first_check_in["author_id"], cast.owner_id.as_str());
        assert_eq!(first_check_in["review_status"], "pending");
        assert!(first_check_in["reviewer_id"].is_null() && first_check_in["reviewed_at"].is_null());
        assert_eq!(first_check_in["evidence"].as_array().map(Vec::len), Some(2), "{first_check_in}");
        let second_check_in = created(
            owner,
            &format!("/plans/{plan_id}/check-ins"),
            &json!({
                "reported_on": "2023-09-30",
                "summary": "All 20 youth workers are trained; two circles have met.",
                "progress": "at_risk",
                "confidence": 6,
                "challenges": "Attendance of young people at the circles is low.",
                "support_needed": "Ideas to reach young people outside the Sentra.",
                "evidence": [{ "url": "https://drive.example.org/sentra-efata/circles-september.xlsx",
                               "title": "Circle attendance" }],
            }),
            "check-ins",
        )
        .await;
        assert_eq!(second_check_in["progress"], "at_risk");

        // 9. The mentor reviews both.
        let first_id = id_of(&first_check_in);
        let reviewed = expect_json(
            mentor
                .post(
                    &format!("/check-ins/{first_id}/review"),
                    &json!({ "decision": "acknowledged", "note": "Good start, well documented." }),
                )
                .await,
            200,
        )
        .await;
        assert_eq!(reviewed["review_status"], "acknowledged");
        assert_eq!(reviewed["reviewer_id"], cast.mentor_id.as_str());
        assert!(reviewed["reviewed_at"].is_string(), "{reviewed}");
        let second_id = id_of(&second_check_in);
        let response =
            mentor.post(&format!("/check-ins/{second_id}/review"), &json!({ "decision": "revision_requested" })).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_field_error(&problem, "note", None);
        let revision_note = "Please add the number of young people who attended each circle.";
        let reviewed = expect_json(
            mentor
                .post(
                    &format!("/check-ins/{second_id}/review"),
                    &json!({ "decision": "revision_requested", "note": revision_note }),
                )
                .await,
            200,
        )
        .await;
        assert_eq!(reviewed["review_status"], "revision_requested");
        assert_eq!(reviewed["review_note"], revision_note);
        let read = owner.get_ok(&format!("/check-ins/{second_id}")).await;
        assert_eq!(read["review_status"], "revision_requested", "the owner reads the review");
        assert_eq!(read["reviewer_id"], cast.mentor_id.as_str());

        // 10. The mentor comments: once for Yohanes, once for mentors only.
        let shared = created(
            mentor,
            &format!("/plans/{plan_id}/comments"),
            &json!({
                "body": "Try holding a circle at the youth centre in Oebobo to reach more young people.",
                "target_type": "check_in",
                "target_id": second_id,
            }),
            "comments",
        )
        .await;
        assert_eq!(shared["visibility"], "shared", "the default visibility: {shared}");
        assert_eq!(shared["author_id"], cast.mentor_id.as_str());
        assert_eq!(shared["target_type"], "check_in");
        assert_eq!(shared["target_id"], second_id.as_str());
        let private = post_comment(
            mentor,
            &plan_id,
            &json!({ "body": "Attendance may stay low; worth discussing with the coordinator.",
                     "visibility": "mentors" }),
        )
        .await;
        assert_eq!(private["visibility"], "mentors");
        let (shared_id, private_id) = (id_of(&shared), id_of(&private));

        let owner_view = item_strings(&owner.get_ok(&format!("/plans/{plan_id}/comments")).await, "id");
        assert_eq!(owner_view, vec![shared_id.clone()], "the owner's list lacks the mentors-only comment");
        assert_problem(owner.get(&format!("/comments/{private_id}")).await, 404, "not_found").await;
        owner.get_ok(&format!("/comments/{shared_id}")).await;
        let both = sorted(vec![shared_id.clone(), private_id.clone()]);
        let mentor_view = item_strings(&mentor.get_ok(&format!("/plans/{plan_id}/comments")).await, "id");
        assert_eq!(sorted(mentor_view), both, "the mentor sees both");
        let coordinator_view =
            item_strings(&cast.coordinator.get_ok(&format!("/plans/{plan_id}/comments")).await, "id");
        assert_eq!(sorted(coordinator_view), both, "the coordinator sees both");
        let reply = post_comment(
            owner,
            &plan_id,
            &json!({ "body": "Thank you, I will contact the youth centre in Oebobo.", "visibility": "shared" }),
        )
        .await;

        // 11. The plan completes.
        let completed = transition_ok(owner, &plan_id, "complete", None).await;
        assert_eq!(completed["status"], "completed");
        assert!(completed["closed_at"].is_string(), "{completed}");
        assert_eq!(plan_status(&cast, &plan_id).await["status"], "completed");
        assert_eq!(completed["title"], PLAN_TITLE);

        // 12. The history tells every step with its actor, newest first.
        let events = history(mentor, &plan_id).await;
        for event in &events {
            for field in ["id", "occurred_at", "entity_type", "entity_id", "action"] {
                assert!(!event[field].is_null(), "history event without {field}: {event}");
            }
        }
        let times: Vec<&str> = events.iter().map(|e| e["occurred_at"].as_str().unwrap_or_default()).collect();
        let mut newest_first = times.clone();
        newest_first.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, newest_first, "history is newest first");

        let owner_id = cast.owner_id.clone();
        let mentor_id = cast.mentor_id.clone();
        let plan_steps = steps_of(&events, &plan_id);
        let expected: Vec<(String, String)> = [
            ("create", &owner_id),
            ("submit", &owner_id),
            ("request_changes", &mentor_id),
            ("update", &owner_id),
            ("submit", &owner_id),
            ("approve", &mentor_id),
            ("complete", &owner_id),
        ]
        .iter()
        .map(|(a, who)| ((*a).to_owned(), (*who).clone()))
        .collect();
        assert_eq!(plan_steps, expected, "the plan's steps and actors, oldest first");
        let request_changes = events
            .iter()
            .find(|e| e["entity_id"] == plan_id.as_str() && e["action"] == "request_changes")
            .unwrap();
        assert_eq!(request_changes["reason"], CHANGES_REASON, "the reason is in the history");
        let update = events.iter().find(|e| e["entity_id"] == plan_id.as_str() && e["action"] == "update").unwrap();
        assert!(update["fields"].to_string().contains("goal"), "the update names the goal: {update}");

        for activity in &activities {
            let id = id_of(activity);
            let steps = steps_of(&events, &id);
            assert_eq!(steps.first(), Some(&("create".to_owned(), owner_id.clone())), "activity {id}: {steps:?}");
            let done = events
                .iter()
                .find(|e| e["entity_id"] == id.as_str() && e["action"] == "update")
                .unwrap_or_else(|| panic!("activity {id}: no update event for `done`"));
            assert_eq!(done["actor_id"], owner_id.as_str());
            assert!(done["fields"].to_string().contains("status"), "the update names the status: {done}");
        }
        for (entity, author) in [
            (id_of(&trained), &owner_id),
            (id_of(&waiting), &owner_id),
            (id_of(&first), &owner_id),
            (id_of(&second), &owner_id),
            (first_id.clone(), &owner_id),
            (second_id.clone(), &owner_id),
            (shared_id.clone(), &mentor_id),
            (private_id.clone(), &mentor_id),
            (id_of(&reply), &owner_id),
        ] {
            let steps = steps_of(&events, &entity);
            assert_eq!(steps.first(), Some(&("create".to_owned(), author.clone())), "{entity}: {steps:?}");
        }
        for check_in in [&first_id, &second_id] {
            let by_mentor = events.iter().any(|e| e["entity_id"] == check_in.as_str() && e["actor_id"] == mentor_id);
            assert!(by_mentor, "the mentor's review of check-in {check_in} is in the history");
        }

        // Paging the history with small pages gives the same sequence.
        let mut paged = Vec::new();
        let mut path = format!("/plans/{plan_id}/history?limit=7");
        for _ in 0..50 {
            let page = mentor.get_ok(&path).await;
            paged.extend(item_strings(&page, "id"));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/plans/{plan_id}/history?limit=7&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(paged, events.iter().map(id_of).collect::<Vec<_>>(), "history pages of 7");
        // The owner reads the same history of his plan's steps.
        let owner_events = history(owner, &plan_id).await;
        assert_eq!(steps_of(&owner_events, &plan_id), expected, "the owner's view of the steps");
    }
);

backend_test!(
    async fn a_mentor_or_coordinator_can_discontinue_with_a_reason(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let problem = assert_problem(
            transition(&cast.coordinator, &plan_id, "discontinue", Some("   ")).await,
            422,
            "validation_failed",
        )
        .await;
        assert_field_error(&problem, "reason", None);
        assert_eq!(plan_status(&cast, &plan_id).await["status"], "active", "a refused transition changes nothing");
        let reason = "Yohanes was transferred to Sentra Handayani in Jakarta.";
        let closed = transition_ok(&cast.coordinator, &plan_id, "discontinue", Some(reason)).await;
        assert_eq!(closed["status"], "discontinued");
        assert_eq!(closed["status_reason"], reason);
        assert!(closed["closed_at"].is_string(), "{closed}");
        let events = history(&cast.owner, &plan_id).await;
        let newest = events.first().expect("the history has events");
        assert_eq!(newest["action"], "discontinue");
        assert_eq!(newest["actor_id"], cast.coordinator_id.as_str());
        assert_eq!(newest["reason"], reason);
        // Nothing more can be added to a closed plan.
        let response = cast
            .owner
            .post(&format!("/plans/{plan_id}/activities"), &activity_body("One more", Some("2023-10-01")))
            .await;
        assert_problem(response, 409, "invalid_state").await;
    }
);
