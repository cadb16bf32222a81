//! A programme's dates and status hold: a plan's period lies within the
//! programme (training's first day to the end of follow-up); a closed
//! programme, or one whose follow-up has ended, takes no new plans or
//! check-ins (409 `program_closed`); only a delegate with an active plan can
//! be silent, and only active plans' activities are overdue.

use chrono::Utc;
use followup_tests::api::{assert_field_error, expect_json, id_of};
use followup_tests::plans::{
    activity_body, cast, check_in_body, create_activity, create_plan, day, owner_today, plan_body,
    post_check_in, with,
};
use followup_tests::{assert_problem, backend_test, json, Value};

backend_test!(
    async fn a_plan_lies_within_its_programme(app) {
        let cast = cast(&app).await;
        let program = cast.admin.get_ok(&format!("/programs/{}", cast.program_id)).await;
        let until = program["follow_up_until"].as_str().unwrap().to_owned();
        let base = plan_body(&cast.program_id);
        let before_training = with(&base, json!({ "starts_on": "2023-05-01" }));
        let refused = expect_json(cast.owner.post("/plans", &before_training).await, 422).await;
        assert_field_error(&refused, "starts_on", Some("outside_program"));
        let after_follow_up = with(&base, json!({ "ends_on": day(chrono::NaiveDate::parse_from_str(&until, "%Y-%m-%d").unwrap(), 1) }));
        let refused = expect_json(cast.owner.post("/plans", &after_follow_up).await, 422).await;
        assert_field_error(&refused, "ends_on", Some("outside_program"));
        assert!(refused["errors"][0]["message"].as_str().unwrap().contains(&until), "names the window: {refused}");
        // The last day of follow-up is inside.
        let plan = create_plan(&cast.owner, &with(&base, json!({ "ends_on": until }))).await;
        // A change of dates is held to the same window.
        let path = format!("/plans/{}", id_of(&plan));
        let moved = expect_json(cast.owner.patch(&path, &json!({ "starts_on": "2020-01-01" })).await, 422).await;
        assert_field_error(&moved, "starts_on", Some("outside_program"));
        assert_eq!(cast.owner.get_ok(&path).await["starts_on"], plan["starts_on"], "nothing changed");
        let plans: Value = cast.owner.get_ok("/plans").await;
        assert_eq!(plans["items"].as_array().unwrap().len(), 1, "the refused plans were not written");
    }
);

backend_test!(
    async fn a_closed_programme_takes_no_new_plans_or_check_ins(app) {
        let cast = cast(&app).await;
        let active = cast.plan_in("active").await;
        let plan_id = id_of(&active);
        let today = owner_today().to_string();
        post_check_in(&cast.owner, &plan_id, &check_in_body(&today, "Before the programme closed")).await;

        let path = format!("/programs/{}", cast.program_id);
        expect_json(cast.coordinator.patch(&path, &json!({ "status": "closed" })).await, 200).await;
        let late = cast.owner.post(&format!("/plans/{plan_id}/check-ins"), &check_in_body(&today, "After")).await;
        let problem = assert_problem(late, 409, "program_closed").await;
        assert!(problem["detail"].as_str().unwrap().contains("closed"), "{problem}");
        let new_plan = cast.owner.post("/plans", &plan_body(&cast.program_id)).await;
        assert_problem(new_plan, 409, "program_closed").await;
        let check_ins = cast.owner.get_ok(&format!("/plans/{plan_id}/check-ins")).await;
        assert_eq!(check_ins["items"].as_array().unwrap().len(), 1, "nothing was written");

        // Open again, but with the follow-up ended yesterday: still closed, saying when.
        let yesterday = day(Utc::now().date_naive(), -2);
        expect_json(
            cast.coordinator.patch(&path, &json!({ "status": "follow_up", "follow_up_until": yesterday })).await,
            200,
        )
        .await;
        let late = cast.owner.post(&format!("/plans/{plan_id}/check-ins"), &check_in_body(&today, "After")).await;
        let problem = assert_problem(late, 409, "program_closed").await;
        assert!(problem["detail"].as_str().unwrap().contains(&yesterday), "{problem}");
    }
);

backend_test!(
    async fn only_a_delegate_with_an_active_plan_is_silent_or_overdue(app) {
        let cast = cast(&app).await;
        // The programme trained in May 2023 with a 14-day cadence: anyone who
        // could post check-ins and has none is long silent.
        let long_ago = "2023-06-15";
        let draft = cast.draft_plan().await;
        create_activity(&cast.owner, &id_of(&draft), &activity_body("Overdue in a draft", Some(long_ago))).await;
        let theirs = create_plan(&cast.other_delegate, &plan_body(&cast.program_id)).await;
        let theirs_id = id_of(&theirs);
        create_activity(&cast.other_delegate, &theirs_id, &activity_body("Overdue", Some(long_ago))).await;
        followup_tests::plans::transition_ok(&cast.other_delegate, &theirs_id, "submit", None).await;
        followup_tests::plans::transition_ok(&cast.other_mentor, &theirs_id, "approve", None).await;

        let dashboard = cast.coordinator.get_ok(&format!("/programs/{}/dashboard", cast.program_id)).await;
        let silent: Vec<&str> =
            dashboard["silent_delegates"]["delegate_ids"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(silent, [cast.other_delegate_id.as_str()], "{dashboard}");
        assert_eq!(dashboard["activities"]["overdue"], 1, "{dashboard}");
        let table = cast.coordinator.get_ok(&format!("/programs/{}/delegates", cast.program_id)).await;
        let row = |id: &str| {
            table["items"].as_array().unwrap().iter().find(|r| r["delegate_id"] == id).cloned().unwrap()
        };
        let drafting = row(&cast.owner_id);
        assert_eq!((drafting["silent"].as_bool(), drafting["overdue_activities"].as_i64()), (Some(false), Some(0)));
        let quiet = row(&cast.other_delegate_id);
        assert_eq!((quiet["silent"].as_bool(), quiet["overdue_activities"].as_i64()), (Some(true), Some(1)));
    }
);

backend_test!(
    async fn a_programme_status_follows_its_dates_unless_a_coordinator_sets_it(app) {
        let cast = cast(&app).await;
        let today = Utc::now().date_naive();
        let programme = |code: &str, starts: i64, ends: i64, until: i64, status: Option<&str>| {
            let mut body = followup_tests::api::program_body(code);
            body["training_starts_on"] = json!(day(today, starts));
            body["training_ends_on"] = json!(day(today, ends));
            body["follow_up_until"] = json!(day(today, until));
            if let Some(status) = status {
                body["status"] = json!(status);
            }
            body
        };
        let admin = &cast.admin;
        let create = |body: Value| async move { expect_json(admin.post("/programs", &body).await, 201).await };
        let coming = create(programme("ITP-2027-IDN", 10, 20, 400, None)).await;
        let running = create(programme("ITP-2026-IDN", -20, -5, 300, None)).await;
        let ended = create(programme("ITP-2024-IDN", -800, -790, -10, None)).await;
        let held = create(programme("ITP-2026-PHL", -20, -5, 300, Some("training"))).await;
        let status = |p: &Value| (p["status"].as_str().unwrap().to_owned(), p["status_follows_dates"].as_bool().unwrap());
        assert_eq!(status(&coming), ("planned".into(), true));
        assert_eq!(status(&running), ("follow_up".into(), true));
        assert_eq!(status(&ended), ("closed".into(), true));
        assert_eq!(status(&held), ("training".into(), false), "a status set at creation holds");

        let listed = |status: &'static str| async move {
            let page = admin.get_ok(&format!("/programs?status={status}&limit=200")).await;
            page["items"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        let ours = |codes: Vec<String>| codes.into_iter().filter(|c| c.starts_with("ITP-20")).collect::<Vec<_>>();
        assert_eq!(ours(listed("planned").await), ["ITP-2027-IDN"]);
        assert_eq!(ours(listed("training").await), ["ITP-2026-PHL"]);
        assert_eq!(ours(listed("follow_up").await), ["ITP-2026-IDN"]);
        assert_eq!(ours(listed("closed").await), ["ITP-2024-IDN"]);

        // A coordinator closes the running one early: it holds, whatever the dates say.
        let path = format!("/programs/{}", id_of(&running));
        let closed = expect_json(cast.admin.patch(&path, &json!({ "status": "closed" })).await, 200).await;
        assert_eq!(status(&closed), ("closed".into(), false));
        assert_eq!(ours(listed("closed").await), ["ITP-2026-IDN", "ITP-2024-IDN"]);
        assert!(ours(listed("follow_up").await).is_empty());
        // A change of dates leaves a set status alone.
        let moved = expect_json(cast.admin.patch(&path, &json!({ "follow_up_until": day(today, 350) })).await, 200).await;
        assert_eq!(status(&moved), ("closed".into(), false));
        // `null`: it follows the dates again.
        let again = expect_json(cast.admin.patch(&path, &json!({ "status": null })).await, 200).await;
        assert_eq!(status(&again), ("follow_up".into(), true));
        assert_eq!(cast.admin.get_ok(&path).await["status"], "follow_up");
        assert_eq!(ours(listed("follow_up").await), ["ITP-2026-IDN"]);
    }
);
