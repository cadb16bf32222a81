//! Smaller behaviours of plans and what is under them: list filters and
//! sorting, overdue activities in the owner's time zone, indicator progress,
//! `completed_on`, and which statuses allow which edits.

use chrono::{NaiveDate, Timelike, Utc};
use followup_tests::api::{add_member, assert_field_error, expect_empty, expect_json, id_of, item_strings};
use followup_tests::plans::{
    activity_body, all_items, assert_close, cast, create_activity, create_indicator, create_plan, day,
    indicator_body, measurement_body, new_person, owner_today, plan_body, record_measurement,
    today_at_offset, transition_ok, with, Cast, STATUSES,
};
use followup_tests::{assert_problem, backend_test, json, Value};

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn listed(client: &followup_tests::api::Authed<'_>, path: &str) -> Vec<String> {
    sorted(all_items(client, path).await.iter().map(id_of).collect())
}

/// Let plans of the cast's programme run until a year from now.
async fn extend_the_follow_up(cast: &Cast<'_>) {
    let until = day(Utc::now().date_naive(), 400);
    let path = format!("/programs/{}", cast.program_id);
    expect_json(cast.admin.patch(&path, &json!({ "follow_up_until": until })).await, 200).await;
}

backend_test!(
    async fn plan_lists_filter_by_status_programme_owner_and_mentee_and_sort(app) {
        let cast = cast(&app).await;
        let base = plan_body(&cast.program_id);
        let draft = create_plan(&cast.owner, &with(&base, json!({ "ends_on": "2023-11-30" }))).await;
        let submitted = create_plan(&cast.owner, &with(&base, json!({ "ends_on": "2023-09-30" }))).await;
        transition_ok(&cast.owner, &id_of(&submitted), "submit", None).await;
        let active = create_plan(&cast.owner, &with(&base, json!({ "ends_on": "2023-10-31" }))).await;
        transition_ok(&cast.owner, &id_of(&active), "submit", None).await;
        transition_ok(&cast.mentor, &id_of(&active), "approve", None).await;
        let theirs = create_plan(&cast.other_delegate, &with(&base, json!({ "ends_on": "2023-08-31" }))).await;
        transition_ok(&cast.other_delegate, &id_of(&theirs), "submit", None).await;
        let outside = create_plan(&cast.outsider, &plan_body(&cast.other_program_id)).await;
        let [d, s, a, t, o] = [&draft, &submitted, &active, &theirs, &outside].map(id_of);

        let coordinator = &cast.coordinator;
        assert_eq!(listed(coordinator, "/plans?status=submitted").await, sorted(vec![s.clone(), t.clone()]));
        for item in all_items(coordinator, "/plans?status=submitted").await {
            assert_eq!(item["status"], "submitted");
        }
        assert_eq!(listed(coordinator, "/plans?status=draft").await, vec![d.clone()]);
        assert!(listed(&cast.observer, "/plans?status=draft").await.is_empty(), "the observer sees no draft");
        assert_eq!(listed(&cast.observer, "/plans").await, sorted(vec![s.clone(), a.clone(), t.clone()]));

        let in_p = format!("/plans?program_id={}", cast.program_id);
        assert_eq!(listed(&cast.admin, &in_p).await, sorted(vec![d.clone(), s.clone(), a.clone(), t.clone()]));
        let in_q = format!("/plans?program_id={}", cast.other_program_id);
        assert_eq!(listed(&cast.admin, &in_q).await, vec![o.clone()]);
        assert!(listed(coordinator, &in_q).await.is_empty(), "the coordinator of P sees nothing of Q");

        let theirs_filter = format!("/plans?owner_id={}", cast.other_delegate_id);
        assert_eq!(listed(coordinator, &theirs_filter).await, vec![t.clone()]);
        assert!(listed(&cast.mentor, &theirs_filter).await.is_empty(), "a filter does not widen visibility");
        let mine = format!("/plans?owner_id={}", cast.owner_id);
        assert_eq!(listed(&cast.owner, &mine).await, sorted(vec![d.clone(), s.clone(), a.clone()]));

        assert_eq!(listed(&cast.mentor, "/plans?mentee_of=me").await, sorted(vec![d.clone(), s.clone(), a.clone()]));
        assert_eq!(listed(&cast.other_mentor, "/plans?mentee_of=me").await, vec![t.clone()]);
        assert!(listed(coordinator, "/plans?mentee_of=me").await.is_empty(), "the coordinator mentors nobody");
        assert_eq!(listed(&cast.mentor, "/plans?mentee_of=me&status=active").await, vec![a.clone()]);
        let both = format!("/plans?program_id={}&status=submitted&owner_id={}", cast.program_id, cast.owner_id);
        assert_eq!(listed(coordinator, &both).await, vec![s.clone()], "filters combine");

        // Sorting.
        let ids = |items: Vec<Value>| items.iter().map(id_of).collect::<Vec<_>>();
        let by_end = ids(all_items(coordinator, "/plans?sort=ends_on").await);
        assert_eq!(by_end, vec![t.clone(), s.clone(), a.clone(), d.clone()], "sort=ends_on");
        let by_end_desc = ids(all_items(coordinator, "/plans?sort=-ends_on").await);
        assert_eq!(by_end_desc, vec![d.clone(), a.clone(), s.clone(), t.clone()], "sort=-ends_on");

        expect_json(cast.owner.patch(&format!("/plans/{d}"), &json!({ "location": "Oebobo, Kupang" })).await, 200)
            .await;
        let newest_first = all_items(coordinator, "/plans?sort=-updated_at").await;
        assert_eq!(newest_first.first().map(id_of), Some(d.clone()), "the plan just edited comes first");
        let stamps: Vec<String> =
            newest_first.iter().map(|p| p["updated_at"].as_str().unwrap_or_default().to_owned()).collect();
        let mut descending = stamps.clone();
        descending.sort_by(|x, y| y.cmp(x));
        assert_eq!(stamps, descending, "sort=-updated_at is newest first");
        let oldest_first = ids(all_items(coordinator, "/plans?sort=updated_at").await);
        assert_eq!(oldest_first.last(), Some(&d), "sort=updated_at: the plan just edited comes last");
        assert_eq!(oldest_first.len(), 4);

        for (query, field) in [("sort=title", "sort"), ("status=finished", "status")] {
            let response = coordinator.get(&format!("/plans?{query}")).await;
            let status = response.status().as_u16();
            if status != 422 {
                let text = response.text().await.unwrap_or_default();
                panic!("GET /plans?{query}: expected 422 naming `{field}`, got {status}: {text}");
            }
            let problem = assert_problem(response, 422, "validation_failed").await;
            assert_field_error(&problem, field, None);
        }
    }
);

backend_test!(
    async fn overdue_activities_are_counted_in_the_owners_time_zone(app) {
        let cast = cast(&app).await;
        extend_the_follow_up(&cast).await;
        let today = owner_today();
        let plan = create_plan(&cast.owner, &with(&plan_body(&cast.program_id), json!({ "ends_on": day(today, 365) })))
            .await;
        let plan_id = id_of(&plan);
        // (title, due_on, status, overdue)
        let cases: Vec<(&str, Option<String>, &str, bool)> = vec![
            ("Past, planned", Some("2023-07-01".into()), "planned", true),
            ("Past, in progress", Some("2023-07-15".into()), "in_progress", true),
            ("Past, blocked", Some("2023-08-01".into()), "blocked", true),
            ("Past, done", Some("2023-07-01".into()), "done", false),
            ("Past, cancelled", Some("2023-07-01".into()), "cancelled", false),
            ("Yesterday in Kupang", Some(day(today, -1)), "planned", true),
            ("Today in Kupang", Some(day(today, 0)), "planned", false),
            ("Tomorrow in Kupang", Some(day(today, 1)), "in_progress", false),
            ("No due date", None, "planned", false),
        ];
        let mut expected_overdue = Vec::new();
        let mut by_status: Vec<(String, String)> = Vec::new();
        for (title, due_on, status, overdue) in &cases {
            let body = with(&activity_body(title, due_on.as_deref()), json!({ "status": status }));
            let activity = create_activity(&cast.owner, &plan_id, &body).await;
            assert_eq!(activity["overdue"], *overdue, "{title}: {activity}");
            if *overdue {
                expected_overdue.push(id_of(&activity));
            }
            by_status.push((id_of(&activity), (*status).to_owned()));
        }
        let list = format!("/plans/{plan_id}/activities");
        for activity in all_items(&cast.mentor, &list).await {
            let id = id_of(&activity);
            let expected = expected_overdue.contains(&id);
            assert_eq!(activity["overdue"], expected, "listed with the right flag: {activity}");
            assert_eq!(cast.mentor.get_ok(&format!("/activities/{id}")).await["overdue"], expected);
        }
        let overdue = all_items(&cast.mentor, &format!("{list}?overdue=true")).await;
        assert_eq!(overdue.iter().map(id_of).collect::<Vec<_>>(), expected_overdue, "?overdue=true, in order");
        let planned: Vec<String> =
            by_status.iter().filter(|(_, status)| status == "planned").map(|(id, _)| id.clone()).collect();
        let listed_planned = all_items(&cast.mentor, &format!("{list}?status=planned")).await;
        assert_eq!(listed_planned.iter().map(id_of).collect::<Vec<_>>(), planned, "?status=planned");
        let both = all_items(&cast.mentor, &format!("{list}?status=planned&overdue=true")).await;
        let expected: Vec<String> = planned.iter().filter(|id| expected_overdue.contains(id)).cloned().collect();
        assert_eq!(both.iter().map(id_of).collect::<Vec<_>>(), expected, "?status=planned&overdue=true");

        // Finishing an overdue activity clears the flag.
        let first = &expected_overdue[0];
        let done = expect_json(cast.owner.patch(&format!("/activities/{first}"), &json!({ "status": "done" })).await, 200)
            .await;
        assert_eq!(done["overdue"], false);
        let overdue = all_items(&cast.mentor, &format!("{list}?overdue=true")).await;
        assert!(!overdue.iter().any(|a| id_of(a) == *first), "a done activity is not overdue");

        // A delegate whose date differs from UTC's right now: "today" is hers, not the server's.
        let (offset, zone) = if Utc::now().hour() >= 10 { (14, "Pacific/Kiritimati") } else { (-11, "Pacific/Pago_Pago") };
        let local_today: NaiveDate = today_at_offset(offset);
        assert_ne!(local_today, Utc::now().date_naive(), "the chosen zone's date differs from UTC's");
        let (far_id, far) =
            new_person(&app, &cast.admin.token, "maria.bria@kemensos.go.id", "Maria Bria", zone, None).await;
        add_member(&app, &cast.admin.token, &cast.program_id, &far_id, "delegate").await;
        let far_plan =
            create_plan(&far, &with(&plan_body(&cast.program_id), json!({ "ends_on": day(local_today, 365) }))).await;
        let far_plan_id = id_of(&far_plan);
        let yesterday = create_activity(&far, &far_plan_id, &activity_body("Her yesterday", Some(&day(local_today, -1))))
            .await;
        let today_local = create_activity(&far, &far_plan_id, &activity_body("Her today", Some(&day(local_today, 0))))
            .await;
        assert_eq!(yesterday["overdue"], true, "due on the owner's yesterday ({zone}): {yesterday}");
        assert_eq!(today_local["overdue"], false, "due on the owner's today ({zone}): {today_local}");
        let overdue = all_items(&far, &format!("/plans/{far_plan_id}/activities?overdue=true")).await;
        assert_eq!(overdue.iter().map(id_of).collect::<Vec<_>>(), vec![id_of(&yesterday)], "?overdue=true ({zone})");
    }
);

backend_test!(
    async fn indicator_progress_and_current_value_follow_the_direction(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);

        // Increase: from 0 toward 20 youth workers trained.
        let trained =
            create_indicator(&cast.owner, &plan_id, &indicator_body("Youth workers trained", "persons", 0.0, 20.0, "increase"))
                .await;
        assert_eq!(trained["direction"], "increase");
        assert_close(&trained["baseline"], Some(0.0), "baseline");
        assert_close(&trained["target"], Some(20.0), "target");
        assert_close(&trained["current_value"], None, "no measurement: current_value");
        assert_close(&trained["progress"], None, "no measurement: progress");
        let id = id_of(&trained);
        let path = format!("/indicators/{id}");
        let steps: [(f64, &str, f64, f64); 5] = [
            // (value, measured_on, expected current, expected progress)
            (5.0, "2023-07-31", 5.0, 0.25),
            (12.0, "2023-08-31", 12.0, 0.6),
            // An older measurement recorded later does not become current.
            (30.0, "2023-07-15", 12.0, 0.6),
            // The same day as the current one, recorded later: it wins.
            (16.0, "2023-08-31", 16.0, 0.8),
            // Beyond the target: clamped to 1.
            (25.0, "2023-09-30", 25.0, 1.0),
        ];
        for (value, measured_on, current, progress) in steps {
            let measurement = record_measurement(&cast.owner, &id, &measurement_body(value, measured_on)).await;
            assert_close(&measurement["value"], Some(value), "measurement value");
            assert_eq!(measurement["measured_on"], measured_on);
            let read = cast.mentor.get_ok(&path).await;
            assert_close(&read["current_value"], Some(current), &format!("after {value} on {measured_on}: current"));
            assert_close(&read["progress"], Some(progress), &format!("after {value} on {measured_on}: progress"));
        }
        // Below the baseline: clamped to 0.
        record_measurement(&cast.owner, &id, &measurement_body(-3.0, "2023-10-31")).await;
        let read = cast.mentor.get_ok(&path).await;
        assert_close(&read["progress"], Some(0.0), "below the baseline");
        // Moving the target changes the progress.
        record_measurement(&cast.owner, &id, &measurement_body(12.0, "2023-11-15")).await;
        let raise = json!({ "reason": "Lebih banyak peserta.", "changes": { "indicators": [{ "indicator_id": id, "target": 24.0 }] } });
        let request = expect_json(cast.owner.post(&format!("/plans/{plan_id}/change-requests"), &raise).await, 201).await;
        expect_json(cast.mentor.post(&format!("/change-requests/{}/approve", id_of(&request)), &json!({})).await, 200).await;
        let patched = cast.mentor.get_ok(&path).await;
        assert_close(&patched["progress"], Some(0.5), "12 of 0 → 24");
        let listed = all_items(&cast.mentor, &format!("/plans/{plan_id}/indicators")).await;
        assert_close(&listed[0]["current_value"], Some(12.0), "the list carries current_value");
        assert_close(&listed[0]["progress"], Some(0.5), "the list carries progress");
        assert_eq!(all_items(&cast.mentor, &format!("{path}/measurements")).await.len(), 7, "append-only");

        // Decrease: from 35 young people waiting toward 10.
        let waiting = create_indicator(
            &cast.owner,
            &plan_id,
            &indicator_body("Young people waiting for counselling", "persons", 35.0, 10.0, "decrease"),
        )
        .await;
        let id = id_of(&waiting);
        let path = format!("/indicators/{id}");
        for (value, measured_on, progress) in [
            (35.0, "2023-07-31", 0.0),
            (30.0, "2023-08-31", 0.2),
            (22.5, "2023-09-30", 0.5),
            (41.0, "2023-10-15", 0.0),
            (10.0, "2023-10-31", 1.0),
            (4.0, "2023-11-15", 1.0),
        ] {
            record_measurement(&cast.owner, &id, &measurement_body(value, measured_on)).await;
            let read = cast.observer.get_ok(&path).await;
            assert_close(&read["current_value"], Some(value), &format!("decrease, {value}: current"));
            assert_close(&read["progress"], Some(progress), &format!("decrease, {value}: progress"));
        }

        // Measurements carry their evidence and who recorded them.
        let evidence = json!([{ "url": "https://drive.example.org/waiting-list-nov.pdf", "title": "Waiting list" }]);
        let measurement = record_measurement(
            &cast.owner,
            &id,
            &json!({ "value": 5.0, "measured_on": "2023-11-30", "note": "End of the period", "evidence": evidence }),
        )
        .await;
        for field in ["id", "indicator_id", "value", "measured_on", "note", "evidence", "recorded_by", "created_at"] {
            assert!(measurement.get(field).is_some(), "measurement field {field}: {measurement}");
        }
        assert_eq!(measurement["evidence"], evidence);
        assert_eq!(measurement["recorded_by"], cast.owner_id.as_str());
        assert_eq!(measurement["indicator_id"], id.as_str());
    }
);

backend_test!(
    async fn completed_on_is_set_when_done_and_cleared_when_reopened(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let utc_today = Utc::now().date_naive();
        let plausible = |value: &Value| {
            let date = value.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
            date.is_some_and(|d| (d - utc_today).num_days().abs() <= 1)
        };

        let activity = create_activity(&cast.owner, &plan_id, &activity_body("Train youth workers", Some("2023-08-31")))
            .await;
        assert!(activity["completed_on"].is_null(), "{activity}");
        let path = format!("/activities/{}", id_of(&activity));
        for (status, done) in
            [("in_progress", false), ("done", true), ("in_progress", false), ("done", true), ("cancelled", false), ("done", true), ("blocked", false)]
        {
            let patched = expect_json(cast.owner.patch(&path, &json!({ "status": status })).await, 200).await;
            assert_eq!(patched["status"], status);
            if done {
                assert!(plausible(&patched["completed_on"]), "done: completed_on is today's date: {patched}");
            } else {
                assert!(patched["completed_on"].is_null(), "{status}: completed_on is cleared: {patched}");
            }
            assert_eq!(cast.owner.get_ok(&path).await, patched, "read back after {status}");
        }

        let done_at_once = create_activity(
            &cast.owner,
            &plan_id,
            &with(&activity_body("Print the leaflets", Some("2023-07-01")), json!({ "status": "done" })),
        )
        .await;
        assert!(plausible(&done_at_once["completed_on"]), "created as done: {done_at_once}");
        let edited =
            expect_json(cast.owner.patch(&format!("/activities/{}", id_of(&done_at_once)), &json!({ "title": "Print 500 leaflets" })).await, 200)
                .await;
        assert_eq!(edited["completed_on"], done_at_once["completed_on"], "an edit of a done activity keeps completed_on");
    }
);

backend_test!(
    async fn a_plan_is_deleted_only_as_a_draft_and_edited_only_in_draft_or_changes_requested(app) {
        let cast = cast(&app).await;
        let draft = cast.draft_plan().await;
        let draft_id = id_of(&draft);
        let activity = create_activity(&cast.owner, &draft_id, &activity_body("Adapt the module", Some("2023-06-30")))
            .await;
        let indicator =
            create_indicator(&cast.owner, &draft_id, &indicator_body("Trained", "persons", 0.0, 20.0, "increase")).await;
        expect_empty(cast.owner.delete(&format!("/plans/{draft_id}")).await, 204).await;
        assert_problem(cast.owner.get(&format!("/plans/{draft_id}")).await, 404, "not_found").await;
        assert_problem(cast.mentor.get(&format!("/plans/{draft_id}")).await, 404, "not_found").await;
        assert_problem(cast.owner.get(&format!("/activities/{}", id_of(&activity))).await, 404, "not_found").await;
        assert_problem(cast.owner.get(&format!("/indicators/{}", id_of(&indicator))).await, 404, "not_found").await;
        assert!(all_items(&cast.owner, "/plans").await.is_empty(), "the deleted plan is not listed");
        assert_problem(cast.owner.delete(&format!("/plans/{draft_id}")).await, 404, "not_found").await;

        for status in STATUSES.iter().filter(|s| **s != "draft") {
            let plan = cast.plan_in(status).await;
            let path = format!("/plans/{}", id_of(&plan));
            assert_problem(cast.owner.delete(&path).await, 409, "invalid_state").await;
            assert_eq!(cast.owner.get_ok(&path).await, plan, "{status}: the plan is still there, unchanged");

            // Content edits only in draft or changes_requested.
            let response = cast.owner.patch(&path, &json!({ "location": "Soe, Timor Tengah Selatan" })).await;
            if *status == "changes_requested" {
                let edited = expect_json(response, 200).await;
                assert_eq!(edited["location"], "Soe, Timor Tengah Selatan");
                assert_eq!(edited["status"], "changes_requested", "an edit does not change the status");
            } else {
                assert_problem(response, 409, "invalid_state").await;
                assert_eq!(cast.owner.get_ok(&path).await, plan, "{status}: a refused edit changes nothing");
            }

            // Activities and indicators: not while under review nor once closed.
            let open = matches!(*status, "changes_requested" | "active");
            let response = cast
                .owner
                .post(&format!("{path}/activities"), &activity_body("Circle in Oebobo", Some("2023-09-15")))
                .await;
            if open {
                expect_json(response, 201).await;
            } else {
                assert_problem(response, 409, "invalid_state").await;
            }
            let response = cast
                .owner
                .post(&format!("{path}/indicators"), &indicator_body("Circles held", "circles", 0.0, 6.0, "increase"))
                .await;
            if open {
                expect_json(response, 201).await;
            } else {
                assert_problem(response, 409, "invalid_state").await;
            }
            let activities = all_items(&cast.owner, &format!("{path}/activities")).await;
            assert_eq!(activities.len(), usize::from(open), "{status}: activities written only when open");
        }

        // Existing activities and indicators follow the same rule.
        let plan = cast.plan_in("draft").await;
        let plan_id = id_of(&plan);
        let activity = create_activity(&cast.owner, &plan_id, &activity_body("Adapt the module", Some("2023-06-30")))
            .await;
        let indicator =
            create_indicator(&cast.owner, &plan_id, &indicator_body("Trained", "persons", 0.0, 20.0, "increase")).await;
        transition_ok(&cast.owner, &plan_id, "submit", None).await;
        let activity_path = format!("/activities/{}", id_of(&activity));
        let indicator_path = format!("/indicators/{}", id_of(&indicator));
        assert_problem(cast.owner.patch(&activity_path, &json!({ "title": "Renamed" })).await, 409, "invalid_state").await;
        assert_problem(cast.owner.delete(&activity_path).await, 409, "invalid_state").await;
        assert_problem(cast.owner.patch(&indicator_path, &json!({ "name": "Renamed" })).await, 409, "invalid_state").await;
        assert_problem(cast.owner.delete(&indicator_path).await, 409, "invalid_state").await;
        assert_eq!(cast.owner.get_ok(&activity_path).await, activity, "the activity is unchanged under review");
        assert_eq!(cast.owner.get_ok(&indicator_path).await, indicator, "the indicator is unchanged under review");
        transition_ok(&cast.mentor, &plan_id, "approve", None).await;
        let renamed = expect_json(cast.owner.patch(&activity_path, &json!({ "title": "Renamed" })).await, 200).await;
        assert_eq!(renamed["title"], "Renamed", "editable again once active");
        expect_empty(cast.owner.delete(&indicator_path).await, 204).await;
        assert_problem(cast.owner.get(&indicator_path).await, 404, "not_found").await;
        let listed = item_strings(&cast.owner.get_ok(&format!("/plans/{plan_id}/indicators")).await, "id");
        assert!(listed.is_empty(), "a deleted indicator is not listed");
    }
);

/// Every page of `path` at one item a page, following the cursor.
async fn one_by_one(client: &followup_tests::api::Authed<'_>, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = followup_tests::plans::with_param(path, "limit=1");
    for _ in 0..50 {
        let page = client.get_ok(&next).await;
        assert!(page["items"].as_array().unwrap().len() <= 1, "{page}");
        out.extend(page["items"].as_array().unwrap().iter().map(|i| id_of(&i["activity"])));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                next = followup_tests::plans::with_param(path, &format!("limit=1&cursor={cursor}"))
            }
            None => return out,
        }
    }
    panic!("{path}: paging does not end");
}

backend_test!(
    async fn the_programme_overdue_list_holds_what_each_may_see_in_each_owners_time_zone(app) {
        let cast = cast(&app).await;
        extend_the_follow_up(&cast).await;
        let today = owner_today();
        let long = |from: NaiveDate| with(&plan_body(&cast.program_id), json!({ "ends_on": day(from, 365) }));
        // Yohanes (Asia/Makassar): one overdue, one done, one due today.
        let owner_plan = id_of(&create_plan(&cast.owner, &long(today)).await);
        let a = create_activity(&cast.owner, &owner_plan, &activity_body("Train the first group", Some("2023-07-01"))).await;
        let done = with(&activity_body("Print the module", Some("2023-07-01")), json!({ "status": "done" }));
        create_activity(&cast.owner, &owner_plan, &done).await;
        create_activity(&cast.owner, &owner_plan, &activity_body("Visit the shelter", Some(&day(today, 0)))).await;
        transition_ok(&cast.owner, &owner_plan, "submit", None).await;
        // The other delegate (mentored by the other mentor): one overdue, in a draft.
        let other_plan = id_of(&create_plan(&cast.other_delegate, &long(today)).await);
        let d = create_activity(&cast.other_delegate, &other_plan, &activity_body("Map the districts", Some("2023-08-01"))).await;
        // A delegate whose date differs from UTC's: her yesterday is overdue, her today is not.
        let (offset, zone) = if Utc::now().hour() >= 10 { (14, "Pacific/Kiritimati") } else { (-11, "Pacific/Pago_Pago") };
        let local = today_at_offset(offset);
        let (far_id, far) = new_person(&app, &cast.admin.token, "maria.bria@kemensos.go.id", "Maria Bria", zone, None).await;
        add_member(&app, &cast.admin.token, &cast.program_id, &far_id, "delegate").await;
        let far_plan = id_of(&create_plan(&far, &long(local)).await);
        let f = create_activity(&far, &far_plan, &activity_body("Her yesterday", Some(&day(local, -1)))).await;
        create_activity(&far, &far_plan, &activity_body("Her today", Some(&day(local, 0)))).await;

        let list = format!("/programs/{}/activities", cast.program_id);
        let overdue = format!("{list}?overdue=true");
        let ids = |xs: &[&Value]| xs.iter().map(|x| id_of(x)).collect::<Vec<_>>();
        // The coordinator: every plan's overdue activities, in creation order, paged.
        assert_eq!(one_by_one(&cast.coordinator, &overdue).await, ids(&[&a, &d, &f]), "coordinator");
        let page = cast.coordinator.get_ok(&overdue).await;
        let first = &page["items"][0];
        assert_eq!((first["plan_title"].as_str(), first["owner_name"].as_str()), (Some(followup_tests::plans::PLAN_TITLE), Some("Yohanes Lado")), "{first}");
        assert_eq!(first["activity"]["overdue"], true);
        // Mentors: their mentees' only; the observer: all but drafts; a delegate: their own.
        assert_eq!(one_by_one(&cast.mentor, &overdue).await, ids(&[&a]), "mentor of Yohanes");
        assert_eq!(one_by_one(&cast.other_mentor, &overdue).await, ids(&[&d]), "the other mentor");
        assert_eq!(one_by_one(&cast.observer, &overdue).await, ids(&[&a]), "observer: no drafts");
        assert_eq!(one_by_one(&far, &overdue).await, ids(&[&f]), "a delegate sees her own");
        // `overdue=false` is everything else; `status` filters as on a plan's list.
        let all = one_by_one(&cast.coordinator, &list).await;
        let not_overdue = one_by_one(&cast.coordinator, &format!("{list}?overdue=false")).await;
        assert_eq!(all.len(), 6);
        assert_eq!(not_overdue.len(), 3);
        assert!(not_overdue.iter().all(|id| ![id_of(&a), id_of(&d), id_of(&f)].contains(id)));
        assert_eq!(one_by_one(&cast.coordinator, &format!("{list}?status=done")).await.len(), 1);
        // Another programme's delegate sees nothing of it.
        assert_problem(cast.outsider.get(&overdue).await, 404, "not_found").await;
    }
);

backend_test!(
    async fn a_recorded_measurement_is_where_its_location_points(app) {
        let cast = cast(&app).await;
        let plan = id_of(&cast.plan_in("active").await);
        let indicator =
            create_indicator(&cast.owner, &plan, &indicator_body("Youth workers trained", "persons", 0.0, 20.0, "increase")).await;
        let path = format!("/indicators/{}/measurements", id_of(&indicator));
        let body = measurement_body(6.0, &owner_today().to_string());
        let response = cast.owner.post(&path, &body).await;
        let location = followup_tests::plans::location(&response).expect("a Location header");
        let recorded = expect_json(response, 201).await;
        assert_eq!(location, format!("/api/v1/measurements/{}", id_of(&recorded)));
        let read = cast.mentor.get(location.trim_start_matches("/api/v1")).await;
        let etag = followup_tests::plans::etag(&read);
        assert_eq!(expect_json(read, 200).await, recorded, "the mentor reads what was recorded");
        let again = cast
            .mentor
            .request(reqwest::Method::GET, location.trim_start_matches("/api/v1"))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        let hidden = cast.outsider.get(location.trim_start_matches("/api/v1")).await;
        assert_problem(hidden, 404, "not_found").await;
        let unknown = cast.owner.get(&format!("/measurements/{}", uuid::Uuid::new_v4())).await;
        assert_problem(unknown, 404, "not_found").await;
    }
);

backend_test!(
    async fn the_approved_end_date_goal_and_targets_stay_beside_the_current_ones(app) {
        let cast = cast(&app).await;
        let plan = cast.draft_plan().await;
        let id = id_of(&plan);
        let trained = id_of(&create_indicator(&cast.owner, &id, &indicator_body("Youth workers trained", "people", 0.0, 20.0, "increase")).await);
        assert_eq!(cast.owner.get_ok(&format!("/plans/{id}")).await["approved_original"], Value::Null, "a draft has no approved original");
        assert_eq!(cast.owner.get_ok(&format!("/indicators/{trained}")).await["approved_original"], Value::Null);

        // Approved: what the mentor approved is kept.
        transition_ok(&cast.owner, &id, "submit", None).await;
        transition_ok(&cast.mentor, &id, "approve", None).await;
        let approved = json!({ "ends_on": plan["ends_on"], "goal": plan["goal"] });
        assert_eq!(cast.mentor.get_ok(&format!("/plans/{id}")).await["approved_original"], approved);
        assert_eq!(cast.mentor.get_ok(&format!("/indicators/{trained}")).await["approved_original"], json!({ "baseline": 0.0, "target": 20.0 }));

        // A running plan's content is frozen; an indicator's target moves
        // through an approved change request: the original stays beside it.
        let frozen = cast.owner.patch(&format!("/plans/{id}"), &json!({ "ends_on": "2023-12-31" })).await;
        assert_problem(frozen, 409, "change_request_required").await;
        let raise = json!({ "reason": "Dua kelompok lagi.", "changes": { "indicators": [{ "indicator_id": trained, "target": 30.0 }] } });
        let request = expect_json(cast.owner.post(&format!("/plans/{id}/change-requests"), &raise).await, 201).await;
        expect_json(cast.mentor.post(&format!("/change-requests/{}/approve", id_of(&request)), &json!({})).await, 200).await;
        let raised = cast.owner.get_ok(&format!("/indicators/{trained}")).await;
        assert_eq!((raised["target"].as_f64(), raised["approved_original"]["target"].as_f64()), (Some(30.0), Some(20.0)));

        // An indicator added to the running plan: what it was added with.
        let added = create_indicator(&cast.owner, &id, &indicator_body("Families reached", "families", 5.0, 10.0, "increase")).await;
        assert_eq!(added["approved_original"], json!({ "baseline": 5.0, "target": 10.0 }));

        // Every reader sees the same: the list, the observer, the change feed.
        let listed = all_items(&cast.observer, &format!("/plans/{id}/indicators")).await;
        let originals: Vec<Value> = listed.iter().map(|i| i["approved_original"].clone()).collect();
        assert_eq!(originals, [json!({ "baseline": 0.0, "target": 20.0 }), json!({ "baseline": 5.0, "target": 10.0 })]);
        let feed = cast.mentor.get_ok("/sync?limit=500").await;
        let synced = feed["items"].as_array().unwrap().iter().find(|i| i["type"] == "plan" && i["id"] == id.as_str()).expect("the plan is in the feed");
        assert_eq!(synced["data"]["approved_original"], approved);
    }
);
