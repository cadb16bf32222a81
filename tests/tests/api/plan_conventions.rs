//! The API conventions on the plan endpoints: optimistic concurrency
//! (`If-Match`, `If-None-Match`), idempotent POSTs, cursor paging while rows
//! are added, client-supplied ids, validation with the field named, and no
//! partial write (nor audit event) from bad input.

use std::time::Duration;

use followup_tests::api::{assert_field_error, expect_empty, expect_json, id_of, item_strings, Refusal};
use followup_tests::plans::{
    activity_body, all_ids, all_items, cast, check_in_body, comment_body, create_activity, create_indicator,
    etag, history, indicator_body, location, measurement_body, plan_body, post_check_in, post_comment,
    post_with_key, record_measurement, transition, transition_ok, with, Answer, Cast, Role, STATUSES,
};
use followup_tests::{assert_problem, backend_test, json, Value};
use reqwest::Method;
use uuid::Uuid;

/// Every history event id of a plan, as the admin sees it.
async fn history_ids(cast: &Cast<'_>, plan_id: &str) -> Vec<String> {
    history(&cast.admin, plan_id).await.iter().map(id_of).collect()
}

/// PATCH with an `If-Match`.
async fn patch_if_match(cast: &Cast<'_>, path: &str, tag: &str, body: &Value) -> reqwest::Response {
    cast.owner.request(Method::PATCH, path).header("if-match", tag).json(body).send().await.unwrap()
}

backend_test!(
    async fn two_patches_with_the_same_if_match_one_wins_the_other_gets_412(app) {
        let cast = cast(&app).await;
        let plan = cast.draft_plan().await;
        let plan_path = format!("/plans/{}", id_of(&plan));
        let activity =
            create_activity(&cast.owner, &id_of(&plan), &activity_body("Adapt the module", Some("2023-06-30"))).await;
        let activity_path = format!("/activities/{}", id_of(&activity));

        for (path, field) in [(&plan_path, "title"), (&activity_path, "title")] {
            for round in 0..4 {
                let response = cast.owner.get(path).await;
                let tag = etag(&response);
                let before = expect_json(response, 200).await;
                assert_eq!(tag, format!("\"{}\"", before["version"]), "the ETag is the quoted version");
                let events_before = history_ids(&cast, &id_of(&plan)).await;
                let first = json!({ field: format!("Round {round}: Yohanes's phone") });
                let second = json!({ field: format!("Round {round}: Yohanes's laptop") });
                let (a, b) = tokio::join!(
                    patch_if_match(&cast, path, &tag, &first),
                    patch_if_match(&cast, path, &tag, &second)
                );
                let (a_status, b_status) = (a.status().as_u16(), b.status().as_u16());
                let mut statuses = [a_status, b_status];
                statuses.sort_unstable();
                assert_eq!(statuses, [200, 412], "{path} round {round}: one PATCH wins, the other is refused");
                let (winner, loser, body) = if a_status == 200 { (a, b, &first) } else { (b, a, &second) };
                let won = expect_json(winner, 200).await;
                assert_problem(loser, 412, "precondition_failed").await;
                let read = cast.owner.get_ok(path).await;
                assert_eq!(read[field], body[field], "{path} round {round}: the stored row holds the winner's change");
                assert_eq!(read, won, "{path} round {round}: the stored row is what the winner was answered");
                assert_eq!(read["version"], before["version"].as_i64().unwrap() + 1, "exactly one write landed");
                let events_after = history_ids(&cast, &id_of(&plan)).await;
                assert_eq!(events_after.len(), events_before.len() + 1, "{path} round {round}: one audit event");
            }
        }

        // A stale If-Match on DELETE is refused too; the current one deletes.
        let response = cast.owner.get(&activity_path).await;
        let current = etag(&response);
        let stale = "\"1\"";
        assert_ne!(current, stale);
        let response = cast.owner.request(Method::DELETE, &activity_path).header("if-match", stale).send().await.unwrap();
        assert_problem(response, 412, "precondition_failed").await;
        cast.owner.get_ok(&activity_path).await;
        let response =
            cast.owner.request(Method::DELETE, &activity_path).header("if-match", &current).send().await.unwrap();
        expect_empty(response, 204).await;
        assert_problem(cast.owner.get(&activity_path).await, 404, "not_found").await;
        let other = cast.draft_plan().await;
        let other_path = format!("/plans/{}", id_of(&other));
        let response = cast.owner.request(Method::DELETE, &other_path).header("if-match", "\"999\"").send().await.unwrap();
        assert_problem(response, 412, "precondition_failed").await;
        cast.owner.get_ok(&other_path).await;
    }
);

backend_test!(
    async fn conditional_gets_answer_304_until_the_resource_changes(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let activity = create_activity(&cast.owner, &plan_id, &activity_body("Train", Some("2023-08-31"))).await;
        let indicator =
            create_indicator(&cast.owner, &plan_id, &indicator_body("Trained", "persons", 0.0, 20.0, "increase")).await;
        let check_in = post_check_in(&cast.owner, &plan_id, &check_in_body("2023-07-31", "First month")).await;
        let comment = post_comment(&cast.mentor, &plan_id, &comment_body("Good plan.", "shared")).await;

        let cases: [(String, Value); 5] = [
            (format!("/activities/{}", id_of(&activity)), json!({ "status": "in_progress" })),
            (format!("/indicators/{}", id_of(&indicator)), json!({ "unit": "youth workers" })),
            (format!("/check-ins/{}", id_of(&check_in)), json!({ "__review": "acknowledged" })),
            (format!("/comments/{}", id_of(&comment)), json!({ "body": "Good plan, well scoped." })),
            // Last: completing the plan closes it to the edits above.
            (format!("/plans/{plan_id}"), json!({ "__transition": "complete" })),
        ];
        for (path, change) in &cases {
            let response = cast.mentor.get(path).await;
            let tag = etag(&response);
            let body = expect_json(response, 200).await;
            assert_eq!(tag, format!("\"{}\"", body["version"]), "{path}: the ETag is the quoted version");
            let response = cast.mentor.request(Method::GET, path).header("if-none-match", &tag).send().await.unwrap();
            expect_empty(response, 304).await;

            // Change it, by whoever may.
            if change.get("__transition").is_some() {
                transition_ok(&cast.owner, &plan_id, "complete", None).await;
            } else if change.get("__review").is_some() {
                let review = json!({ "decision": "acknowledged" });
                expect_json(cast.mentor.post(&format!("{path}/review"), &review).await, 200).await;
            } else if path.starts_with("/comments") {
                expect_json(cast.mentor.patch(path, change).await, 200).await;
            } else {
                expect_json(cast.owner.patch(path, change).await, 200).await;
            }
            let response = cast.mentor.request(Method::GET, path).header("if-none-match", &tag).send().await.unwrap();
            let new_tag = etag(&response);
            let changed = expect_json(response, 200).await;
            assert_ne!(new_tag, tag, "{path}: the ETag changes with the resource");
            assert!(changed["version"].as_i64() > body["version"].as_i64(), "{path}: {changed}");
            let response =
                cast.mentor.request(Method::GET, path).header("if-none-match", &new_tag).send().await.unwrap();
            expect_empty(response, 304).await;
        }
    }
);

backend_test!(
    async fn a_post_with_an_idempotency_key_takes_effect_once(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let activities = format!("/plans/{plan_id}/activities");

        // Sequential retry: the first answer is replayed, one row.
        let body = activity_body("Train 20 youth workers", Some("2023-08-31"));
        let first = Answer::of(post_with_key(&cast.owner, &activities, "rtl-kupang-0001", &body).await).await;
        assert_eq!(first.status, 201, "{first:?}");
        assert_eq!(first.location, Some(format!("/api/v1/activities/{}", id_of(&first.body))));
        let retry = Answer::of(post_with_key(&cast.owner, &activities, "rtl-kupang-0001", &body).await).await;
        assert_eq!(retry, first, "a retry with the same key replays the first answer");
        assert_eq!(all_ids(&cast.owner, &activities).await, vec![id_of(&first.body)], "one row");

        // The same key with another body.
        let other = activity_body("Something else entirely", Some("2023-09-30"));
        let response = post_with_key(&cast.owner, &activities, "rtl-kupang-0001", &other).await;
        assert_problem(response, 422, "idempotency_key_reused").await;
        assert_eq!(all_ids(&cast.owner, &activities).await, vec![id_of(&first.body)], "nothing more written");

        // Concurrent requests with one key: once, identical answers.
        let body = activity_body("Monthly peer-support circles", Some("2023-11-15"));
        let (a, b) = tokio::join!(
            post_with_key(&cast.owner, &activities, "rtl-kupang-0002", &body),
            post_with_key(&cast.owner, &activities, "rtl-kupang-0002", &body)
        );
        let (a, b) = (Answer::of(a).await, Answer::of(b).await);
        assert_eq!(a.status, 201, "{a:?}");
        assert_eq!(a, b, "two concurrent requests with one key get identical answers");
        let ids = all_ids(&cast.owner, &activities).await;
        assert_eq!(ids, vec![id_of(&first.body), id_of(&a.body)], "the concurrent pair wrote one row");

        // The other POSTs of the issue: a plan, a transition, a measurement, a check-in, a comment.
        let plans_before = all_ids(&cast.owner, "/plans").await.len();
        let body = with(&plan_body(&cast.program_id), json!({ "title": "Peer support in Atambua" }));
        let (a, b) = tokio::join!(
            post_with_key(&cast.owner, "/plans", "rtl-plan-atambua", &body),
            post_with_key(&cast.owner, "/plans", "rtl-plan-atambua", &body)
        );
        let (a, b) = (Answer::of(a).await, Answer::of(b).await);
        assert_eq!(a.status, 201, "{a:?}");
        assert_eq!(a, b, "POST /plans: identical answers");
        let retry = Answer::of(post_with_key(&cast.owner, "/plans", "rtl-plan-atambua", &body).await).await;
        assert_eq!(retry, a, "POST /plans: a later retry replays");
        assert_eq!(all_ids(&cast.owner, "/plans").await.len(), plans_before + 1, "one plan created");

        let atambua = id_of(&a.body);
        let submit = format!("/plans/{atambua}/submit");
        let empty = json!({});
        let (a, b) = tokio::join!(
            post_with_key(&cast.owner, &submit, "rtl-submit-atambua", &empty),
            post_with_key(&cast.owner, &submit, "rtl-submit-atambua", &empty)
        );
        let (a, b) = (Answer::of(a).await, Answer::of(b).await);
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.body["status"], "submitted");
        assert_eq!(a, b, "a transition retried with its key replays instead of answering 409");
        let retry = Answer::of(post_with_key(&cast.owner, &submit, "rtl-submit-atambua", &json!({})).await).await;
        assert_eq!(retry, a);
        let submits = history(&cast.owner, &atambua).await.iter().filter(|e| e["action"] == "submit").count();
        assert_eq!(submits, 1, "the plan was submitted once");

        let indicator =
            create_indicator(&cast.owner, &plan_id, &indicator_body("Trained", "persons", 0.0, 20.0, "increase")).await;
        let measurements = format!("/indicators/{}/measurements", id_of(&indicator));
        let body = measurement_body(8.0, "2023-07-31");
        let (a, b) = tokio::join!(
            post_with_key(&cast.owner, &measurements, "rtl-measure-1", &body),
            post_with_key(&cast.owner, &measurements, "rtl-measure-1", &body)
        );
        let (a, b) = (Answer::of(a).await, Answer::of(b).await);
        assert_eq!(a.status, 201, "{a:?}");
        assert_eq!(a, b, "measurement: identical answers");
        assert_eq!(all_ids(&cast.owner, &measurements).await.len(), 1, "one measurement");

        let check_ins = format!("/plans/{plan_id}/check-ins");
        let body = check_in_body("2023-07-31", "First month");
        let (a, b) = tokio::join!(
            post_with_key(&cast.owner, &check_ins, "rtl-check-in-1", &body),
            post_with_key(&cast.owner, &check_ins, "rtl-check-in-1", &body)
        );
        let (a, b) = (Answer::of(a).await, Answer::of(b).await);
        assert_eq!(a.status, 201, "{a:?}");
        assert_eq!(a, b, "check-in: identical answers");
        assert_eq!(all_ids(&cast.owner, &check_ins).await.len(), 1, "one check-in");

        let review = format!("/check-ins/{}/review", id_of(&a.body));
        let body = json!({ "decision": "acknowledged", "note": "Thanks." });
        let first = Answer::of(post_with_key(&cast.mentor, &review, "rtl-review-1", &body).await).await;
        assert_eq!(first.status, 200, "{first:?}");
        let retry = Answer::of(post_with_key(&cast.mentor, &review, "rtl-review-1", &body).await).await;
        assert_eq!(retry, first, "a review retried with its key replays");

        // Keys are per caller: the owner and the mentor may use the same key.
        let comments = format!("/plans/{plan_id}/comments");
        let from_owner = comment_body("I have sent the module.", "shared");
        let from_mentor = comment_body("Received, I will read it this week.", "shared");
        let a = Answer::of(post_with_key(&cast.owner, &comments, "rtl-comment-1", &from_owner).await).await;
        let b = Answer::of(post_with_key(&cast.mentor, &comments, "rtl-comment-1", &from_mentor).await).await;
        assert_eq!((a.status, b.status), (201, 201), "{a:?} {b:?}");
        assert_ne!(id_of(&a.body), id_of(&b.body));
        assert_eq!(b.body["author_id"], cast.mentor_id.as_str());
        assert_eq!(all_ids(&cast.owner, &comments).await.len(), 2, "two comments");

        // A key longer than 255 characters is refused and writes nothing.
        let before = all_ids(&cast.owner, &activities).await;
        let long_key = "k".repeat(256);
        let response = post_with_key(&cast.owner, &activities, &long_key, &activity_body("Long key", None)).await;
        // The contract fixes the key's length, not the status of a bad key: a 400 or a 422.
        assert!([400, 422].contains(&response.status().as_u16()), "an over-long Idempotency-Key: {}", response.status());
        assert_eq!(
            response.headers().get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        assert_eq!(all_ids(&cast.owner, &activities).await, before, "nothing written");
        let key_255 = "k".repeat(255);
        let response = post_with_key(&cast.owner, &activities, &key_255, &activity_body("Longest key", None)).await;
        assert_eq!(response.status(), 201, "a 255-character key is fine");
    }
);

backend_test!(
    async fn paging_through_250_activities_while_rows_are_added(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let list = format!("/plans/{plan_id}/activities");

        // 250 activities; every tenth with a client-supplied random id, so the
        // creation order is not the order of the ids.
        let mut originals = Vec::new();
        for i in 0..250 {
            let mut body = activity_body(&format!("Peer-support circle {:03}", i + 1), Some("2023-10-31"));
            if i % 10 == 3 {
                body["id"] = json!(Uuid::new_v4().to_string());
            }
            originals.push(id_of(&create_activity(&cast.owner, &plan_id, &body).await));
        }

        let pager = async {
            let mut pages: Vec<Vec<String>> = Vec::new();
            let mut path = format!("{list}?limit=100");
            for _ in 0..20 {
                let response = cast.owner.get(&path).await;
                let link = response.headers().get("link").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let page = expect_json(response, 200).await;
                pages.push(item_strings(&page, "id"));
                match page["next_cursor"].as_str() {
                    Some(cursor) => {
                        let link = link.unwrap_or_else(|| panic!("page {} has a next page but no Link", pages.len()));
                        assert!(link.contains("rel=\"next\"") && link.contains("cursor="), "Link: {link}");
                        path = format!("{list}?limit=100&cursor={cursor}");
                    }
                    None => return pages,
                }
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            panic!("paging does not end");
        };
        let adder = async {
            let mut added = Vec::new();
            for j in 0..24 {
                let mut body = activity_body(&format!("Added while paging {j:02}"), Some("2023-11-15"));
                match j % 3 {
                    // An offline-created row whose time-ordered id is older than every other row.
                    0 => {
                        let ts = uuid::Timestamp::from_unix(uuid::NoContext, 1_685_577_600 + j, 0);
                        body["id"] = json!(Uuid::new_v7(ts).to_string());
                    }
                    1 => body["id"] = json!(Uuid::new_v4().to_string()),
                    _ => {}
                }
                added.push(id_of(&create_activity(&cast.owner, &plan_id, &body).await));
                tokio::time::sleep(Duration::from_millis(8)).await;
            }
            added
        };
        let (pages, added) = tokio::join!(pager, adder);

        assert_eq!(pages.first().map(Vec::len), Some(100), "limit=100: the first page is full");
        for (i, page) in pages.iter().enumerate() {
            assert!(page.len() <= 100, "page {i} has {} items", page.len());
        }
        let seen: Vec<String> = pages.concat();
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no row is seen twice");
        let seen_originals: Vec<String> = seen.iter().filter(|id| originals.contains(id)).cloned().collect();
        assert_eq!(seen_originals.len(), 250, "every original row is seen");
        if let Some(i) = seen_originals.iter().zip(&originals).position(|(seen, created)| seen != created) {
            let created_at = originals.iter().position(|id| *id == seen_originals[i]).unwrap();
            panic!(
                "the original rows are not listed in creation order: position {i} holds {} (created as row {created_at}), \
                 expected {} (a client-supplied id: {})",
                seen_originals[i],
                originals[i],
                Uuid::parse_str(&originals[i]).unwrap().get_version_num() == 4
            );
        }
        let last_original = seen.iter().rposition(|id| originals.contains(id)).unwrap();
        let first_added = seen.iter().position(|id| added.contains(id));
        if let Some(first_added) = first_added {
            assert!(first_added > last_original, "rows added during paging appear after the original rows");
        }
        let seen_added: Vec<String> = seen.iter().filter(|id| added.contains(id)).cloned().collect();
        assert_eq!(seen_added, added[..seen_added.len()].to_vec(), "added rows appear in creation order");

        // Afterwards, one full walk holds everything in creation order.
        let everything = all_ids(&cast.owner, &list).await;
        assert_eq!(everything, [originals.clone(), added.clone()].concat(), "the full list after the additions");
        let mut walked = Vec::new();
        let mut path = format!("{list}?limit=100");
        for _ in 0..10 {
            let page = cast.owner.get_ok(&path).await;
            walked.extend(item_strings(&page, "id"));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("{list}?limit=100&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(walked, everything, "pages of 100 give the same list");
        let default_page = cast.owner.get_ok(&list).await;
        assert_eq!(item_strings(&default_page, "id").len(), 50, "the default limit is 50");

        for limit in ["0", "201"] {
            let response = cast.owner.get(&format!("{list}?limit={limit}")).await;
            let problem = assert_problem(response, 422, "validation_failed").await;
            assert_field_error(&problem, "limit", None);
        }
        let page = cast.owner.get_ok(&format!("{list}?limit=200")).await;
        assert_eq!(item_strings(&page, "id").len(), 200, "limit=200 is allowed");
    }
);

backend_test!(
    async fn bad_input_never_leaves_a_partial_write_nor_an_audit_event(app) {
        let cast = cast(&app).await;

        // An invalid transition.
        let draft = cast.draft_plan().await;
        let draft_id = id_of(&draft);
        let activity =
            create_activity(&cast.owner, &draft_id, &activity_body("Adapt the module", Some("2023-06-30"))).await;
        let indicator =
            create_indicator(&cast.owner, &draft_id, &indicator_body("Trained", "persons", 0.0, 20.0, "increase"))
                .await;
        let events = history_ids(&cast, &draft_id).await;
        let problem = assert_problem(transition(&cast.mentor, &draft_id, "approve", None).await, 409, "invalid_transition")
            .await;
        assert!(problem["detail"].as_str().unwrap_or_default().contains("draft"), "the detail names the status: {problem}");
        assert_eq!(cast.owner.get_ok(&format!("/plans/{draft_id}")).await, draft, "approve on a draft: nothing changed");
        assert_eq!(history_ids(&cast, &draft_id).await, events, "approve on a draft: no audit event");

        // A PATCH with one valid and one invalid field.
        let refusals = [
            (format!("/plans/{draft_id}"), json!({ "title": "A new title", "ends_on": "2023-05-01" }), "ends_on"),
            (format!("/plans/{draft_id}"), json!({ "goal": "A new goal", "status": "active" }), "status"),
            (format!("/plans/{draft_id}"), json!({ "title": "A new title", "owner_id": cast.other_delegate_id }), "owner_id"),
            (format!("/activities/{}", id_of(&activity)), json!({ "title": "Renamed", "due_on": "2024-01-15" }), "due_on"),
            (format!("/activities/{}", id_of(&activity)), json!({ "title": "Renamed", "status": "finished" }), "status"),
            (format!("/indicators/{}", id_of(&indicator)), json!({ "name": "Renamed", "target": -5.0 }), "target"),
            (
                format!("/indicators/{}", id_of(&indicator)),
                json!({ "name": "Renamed", "direction": "decrease" }),
                "target",
            ),
        ];
        for (path, body, field) in &refusals {
            let before = cast.owner.get_ok(path).await;
            let problem = assert_problem(cast.owner.patch(path, body).await, 422, "validation_failed").await;
            assert_field_error(&problem, field, None);
            assert_eq!(cast.owner.get_ok(path).await, before, "PATCH {path} {body}: nothing changed");
            assert_eq!(history_ids(&cast, &draft_id).await, events, "PATCH {path} {body}: no audit event");
        }

        // A measurement on an indicator of a completed plan.
        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let indicator =
            create_indicator(&cast.owner, &plan_id, &indicator_body("Trained", "persons", 0.0, 20.0, "increase")).await;
        let indicator_path = format!("/indicators/{}", id_of(&indicator));
        record_measurement(&cast.owner, &id_of(&indicator), &measurement_body(8.0, "2023-07-31")).await;
        let completed = transition_ok(&cast.owner, &plan_id, "complete", None).await;
        let indicator_before = cast.owner.get_ok(&indicator_path).await;
        let measurements_before = all_items(&cast.owner, &format!("{indicator_path}/measurements")).await;
        let events = history_ids(&cast, &plan_id).await;
        let response = cast
            .owner
            .post(&format!("{indicator_path}/measurements"), &measurement_body(20.0, "2023-08-31"))
            .await;
        assert_problem(response, 409, "invalid_state").await;
        let response = cast
            .owner
            .post(&format!("/plans/{plan_id}/check-ins"), &check_in_body("2023-08-31", "After the end"))
            .await;
        assert_problem(response, 409, "invalid_state").await;
        let response = cast
            .owner
            .post(&format!("/plans/{plan_id}/activities"), &activity_body("After the end", Some("2023-11-01")))
            .await;
        assert_problem(response, 409, "invalid_state").await;
        let response = cast.owner.patch(&indicator_path, &json!({ "name": "Renamed after the end" })).await;
        assert_problem(response, 409, "invalid_state").await;
        let problem =
            assert_problem(transition(&cast.owner, &plan_id, "complete", None).await, 409, "invalid_transition").await;
        assert!(problem["detail"].as_str().unwrap_or_default().contains("completed"), "{problem}");
        assert_eq!(cast.owner.get_ok(&indicator_path).await, indicator_before, "the indicator is unchanged");
        assert_eq!(
            all_items(&cast.owner, &format!("{indicator_path}/measurements")).await,
            measurements_before,
            "no measurement was added"
        );
        assert_eq!(cast.owner.get_ok(&format!("/plans/{plan_id}")).await, completed, "the plan is unchanged");
        assert!(all_items(&cast.owner, &format!("/plans/{plan_id}/check-ins")).await.is_empty());
        assert_eq!(history_ids(&cast, &plan_id).await, events, "no audit event for refused writes");
    }
);

backend_test!(
    async fn a_transition_not_allowed_from_the_current_status_names_it(app) {
        let cast = cast(&app).await;
        // (action, the statuses it leaves from, who performs it, reason)
        let actions: [(&str, &[&str], Role, Option<&str>); 5] = [
            ("submit", &["draft", "changes_requested"], Role::Owner, None),
            ("approve", &["submitted"], Role::Mentor, None),
            ("request-changes", &["submitted"], Role::Coordinator, Some("Please add a budget.")),
            ("complete", &["active"], Role::Owner, None),
            ("discontinue", &["submitted", "changes_requested", "active"], Role::Mentor, Some("Transferred.")),
        ];
        for status in STATUSES {
            let plan = cast.plan_in(status).await;
            let plan_id = id_of(&plan);
            let events = history_ids(&cast, &plan_id).await;
            for (action, from, role, reason) in &actions {
                if from.contains(&status) {
                    continue;
                }
                let response = transition(cast.as_role(*role), &plan_id, action, *reason).await;
                let actual = response.status().as_u16();
                if actual != 409 {
                    let text = response.text().await.unwrap_or_default();
                    panic!("{action} from {status} by the {}: expected 409, got {actual}: {text}", role.name());
                }
                let problem = assert_problem(response, 409, "invalid_transition").await;
                let detail = problem["detail"].as_str().unwrap_or_default();
                assert!(detail.contains(status), "{action} from {status}: the detail names the status: {detail}");
            }
            assert_eq!(cast.owner.get_ok(&format!("/plans/{plan_id}")).await, plan, "{status}: nothing changed");
            assert_eq!(history_ids(&cast, &plan_id).await, events, "{status}: no audit event");
        }
        // Admins see every plan but are not plan actors.
        let submitted = cast.plan_in("submitted").await;
        for action in ["approve", "request-changes", "discontinue"] {
            let response = transition(&cast.admin, &id_of(&submitted), action, Some("Admin override")).await;
            assert_problem(response, 403, "forbidden").await;
        }
        assert_eq!(cast.admin.get_ok(&format!("/plans/{}", id_of(&submitted))).await["status"], "submitted");
    }
);

backend_test!(
    async fn a_client_supplied_id_is_kept_and_a_resend_is_not_a_duplicate(app) {
        let cast = cast(&app).await;
        let plan_id = Uuid::now_v7().to_string();
        let body = with(&plan_body(&cast.program_id), json!({ "id": plan_id }));
        let response = cast.owner.post("/plans", &body).await;
        assert_eq!(location(&response), Some(format!("/api/v1/plans/{plan_id}")));
        let created = expect_json(response, 201).await;
        assert_eq!(created["id"], plan_id.as_str(), "the client's id is kept");
        let again = expect_json(cast.owner.post("/plans", &body).await, 200).await;
        assert_eq!(again, created, "the same create again answers the existing plan");
        let other = with(&body, json!({ "title": "Another plan with the same id" }));
        assert_problem(cast.owner.post("/plans", &other).await, 409, "id_conflict").await;
        assert_eq!(all_ids(&cast.owner, "/plans").await, vec![plan_id.clone()], "one plan");
        assert_eq!(cast.owner.get_ok(&format!("/plans/{plan_id}")).await, created, "unchanged");

        // Under the plan (active, so that everything may be added).
        transition_ok(&cast.owner, &plan_id, "submit", None).await;
        transition_ok(&cast.mentor, &plan_id, "approve", None).await;
        let indicator_id = Uuid::now_v7().to_string();
        let cases: Vec<(String, Value, &str, &str, &str)> = vec![
            (
                format!("/plans/{plan_id}/activities"),
                with(&activity_body("Train youth workers", Some("2023-08-31")), json!({ "id": Uuid::now_v7().to_string() })),
                "title",
                "activities",
                "activities",
            ),
            (
                format!("/plans/{plan_id}/indicators"),
                with(&indicator_body("Trained", "persons", 0.0, 20.0, "increase"), json!({ "id": indicator_id })),
                "name",
                "indicators",
                "indicators",
            ),
            (
                format!("/indicators/{indicator_id}/measurements"),
                with(&measurement_body(8.0, "2023-07-31"), json!({ "id": Uuid::now_v7().to_string() })),
                "note",
                "measurements",
                "",
            ),
            (
                format!("/plans/{plan_id}/check-ins"),
                with(&check_in_body("2023-07-31", "First month"), json!({ "id": Uuid::now_v7().to_string() })),
                "summary",
                "check-ins",
                "check-ins",
            ),
            (
                format!("/plans/{plan_id}/comments"),
                with(&comment_body("Written offline in Kupang.", "shared"), json!({ "id": Uuid::now_v7().to_string() })),
                "body",
                "comments",
                "comments",
            ),
        ];
        for (path, body, field, what, single) in &cases {
            let created = expect_json(cast.owner.post(path, body).await, 201).await;
            assert_eq!(created["id"], body["id"], "{what}: the client's id is kept");
            let again = expect_json(cast.owner.post(path, body).await, 200).await;
            assert_eq!(again, created, "{what}: the same create again answers the existing row");
            let other = with(body, json!({ *field: "Different content" }));
            assert_problem(cast.owner.post(path, &other).await, 409, "id_conflict").await;
            assert_eq!(all_ids(&cast.owner, path).await, vec![id_of(&created)], "{what}: one row");
            if !single.is_empty() {
                let read = cast.owner.get_ok(&format!("/{single}/{}", id_of(&created))).await;
                assert_eq!(read, created, "{what}: unchanged after the conflicting create");
            }
        }
    }
);

backend_test!(
    async fn invalid_input_is_refused_with_the_field_named_and_writes_nothing(app) {
        let cast = cast(&app).await;
        let owner = &cast.owner;

        // Plans.
        let base = plan_body(&cast.program_id);
        let cases = [
            Refusal::invalid("ends before it starts", with(&base, json!({ "ends_on": "2023-05-31" })), "ends_on", None),
            Refusal::invalid("an unknown field", with(&base, json!({ "budget_idr": 5_000_000 })), "budget_idr", None),
            Refusal::invalid("the owner is the caller", with(&base, json!({ "owner_id": cast.other_delegate_id })), "owner_id", None),
            Refusal::invalid("the status is not the caller's", with(&base, json!({ "status": "active" })), "status", None),
            Refusal::invalid("an empty title", with(&base, json!({ "title": "  " })), "title", None),
            Refusal::invalid("a title of 10 000 characters", with(&base, json!({ "title": "x".repeat(10_000) })), "title", None),
            Refusal::invalid("not a date", with(&base, json!({ "starts_on": "01/06/2023" })), "starts_on", None),
        ];
        for refusal in &cases {
            refusal.assert(owner.post("/plans", &refusal.body).await).await;
            assert!(all_ids(owner, "/plans").await.is_empty(), "{}: no plan written", refusal.case);
        }
        let response = owner.post("/plans", &with(&base, json!({ "program_id": cast.other_program_id }))).await;
        assert_problem(response, 404, "not_found").await;
        let response = cast.mentor.post("/plans", &base).await;
        assert_problem(response, 403, "forbidden").await;
        assert!(all_ids(&cast.admin, "/plans").await.is_empty(), "no plan written at all");

        let plan = cast.plan_in("active").await;
        let plan_id = id_of(&plan);
        let activities = format!("/plans/{plan_id}/activities");
        let indicators = format!("/plans/{plan_id}/indicators");
        let check_ins = format!("/plans/{plan_id}/check-ins");
        let comments = format!("/plans/{plan_id}/comments");

        // Activities: the due date inside the plan's period (2023-06-01 – 2023-11-30).
        let cases = [
            Refusal::invalid("due before the plan starts", activity_body("Early", Some("2023-05-31")), "due_on", None),
            Refusal::invalid("due after the plan ends", activity_body("Late", Some("2023-12-01")), "due_on", None),
            Refusal::invalid("an unknown status", with(&activity_body("X", None), json!({ "status": "finished" })), "status", None),
            Refusal::invalid("an unknown field", with(&activity_body("X", None), json!({ "priority": "high" })), "priority", None),
            Refusal::invalid("no title", json!({ "due_on": "2023-07-01" }), "title", None),
        ];
        for refusal in &cases {
            refusal.assert(owner.post(&activities, &refusal.body).await).await;
            assert!(all_ids(owner, &activities).await.is_empty(), "{}: no activity written", refusal.case);
        }
        for due_on in ["2023-06-01", "2023-11-30"] {
            create_activity(owner, &plan_id, &activity_body("On the boundary", Some(due_on))).await;
        }

        // Indicators: the target lies in the direction of change.
        let cases = [
            Refusal::invalid("increase to a lower target", indicator_body("A", "persons", 10.0, 5.0, "increase"), "target", None),
            Refusal::invalid("increase to the baseline", indicator_body("A", "persons", 10.0, 10.0, "increase"), "target", None),
            Refusal::invalid("decrease to a higher target", indicator_body("A", "persons", 35.0, 40.0, "decrease"), "target", None),
            Refusal::invalid("decrease to the baseline", indicator_body("A", "persons", 35.0, 35.0, "decrease"), "target", None),
            Refusal::invalid("an unknown direction", indicator_body("A", "persons", 0.0, 5.0, "sideways"), "direction", None),
        ];
        for refusal in &cases {
            refusal.assert(owner.post(&indicators, &refusal.body).await).await;
            assert!(all_ids(owner, &indicators).await.is_empty(), "{}: no indicator written", refusal.case);
        }
        let indicator =
            create_indicator(owner, &plan_id, &indicator_body("Trained", "persons", 0.0, 20.0, "increase")).await;
        let measurements = format!("/indicators/{}/measurements", id_of(&indicator));
        let bad_evidence = with(
            &measurement_body(8.0, "2023-07-31"),
            json!({ "evidence": [{ "url": "javascript:alert(1)", "title": "Photos" }] }),
        );
        let refusal = Refusal::invalid("measurement evidence", bad_evidence, "evidence[0].url", None);
        refusal.assert(owner.post(&measurements, &refusal.body).await).await;
        let refusal = Refusal::invalid("measurement without a value", json!({ "measured_on": "2023-07-31" }), "value", None);
        refusal.assert(owner.post(&measurements, &refusal.body).await).await;
        assert!(all_ids(owner, &measurements).await.is_empty(), "no measurement written");

        // Check-ins: confidence 0–10, http(s) evidence only.
        let base = check_in_body("2023-07-31", "First month");
        let cases = [
            Refusal::invalid("confidence 11", with(&base, json!({ "confidence": 11 })), "confidence", None),
            Refusal::invalid("confidence -1", with(&base, json!({ "confidence": -1 })), "confidence", None),
            Refusal::invalid(
                "a javascript: evidence link",
                with(&base, json!({ "evidence": [{ "url": "javascript:alert(1)", "title": "Photos" }] })),
                "evidence[0].url",
                None,
            ),
            Refusal::invalid(
                "an ftp evidence link",
                with(&base, json!({ "evidence": [{ "url": "ftp://x", "title": "Files" }] })),
                "evidence[0].url",
                None,
            ),
            Refusal::invalid(
                "the second evidence link is bad",
                with(
                    &base,
                    json!({ "evidence": [
                        { "url": "https://drive.example.org/ok.pdf", "title": "Fine" },
                        { "url": "data:text/html,<script>alert(1)</script>", "title": "Bad" },
                    ] }),
                ),
                "evidence[1].url",
                None,
            ),
            Refusal::invalid("an unknown progress", with(&base, json!({ "progress": "great" })), "progress", None),
            Refusal::invalid("an unknown field", with(&base, json!({ "mood": "happy" })), "mood", None),
            Refusal::invalid("the author is the caller", with(&base, json!({ "author_id": cast.mentor_id })), "author_id", None),
        ];
        for refusal in &cases {
            refusal.assert(owner.post(&check_ins, &refusal.body).await).await;
            assert!(all_ids(owner, &check_ins).await.is_empty(), "{}: no check-in written", refusal.case);
        }
        for confidence in [0, 10] {
            let check_in = post_check_in(owner, &plan_id, &with(&base, json!({ "confidence": confidence }))).await;
            assert_eq!(check_in["confidence"], confidence);
        }
        let check_in = id_of(&all_items(owner, &check_ins).await[0]);
        let review = format!("/check-ins/{check_in}/review");
        let cases = [
            Refusal::invalid("revision without a note", json!({ "decision": "revision_requested" }), "note", None),
            Refusal::invalid(
                "revision with a blank note",
                json!({ "decision": "revision_requested", "note": "  " }),
                "note",
                None,
            ),
            Refusal::invalid("an unknown decision", json!({ "decision": "rejected", "note": "No." }), "decision", None),
        ];
        for refusal in &cases {
            refusal.assert(cast.mentor.post(&review, &refusal.body).await).await;
            let read = owner.get_ok(&format!("/check-ins/{check_in}")).await;
            assert_eq!(read["review_status"], "pending", "{}: the review did not land", refusal.case);
        }

        // Comments: the target belongs to this plan.
        let other_plan = cast.plan_in("active").await;
        let foreign = create_activity(owner, &id_of(&other_plan), &activity_body("Elsewhere", None)).await;
        let own = all_ids(owner, &activities).await;
        let cases = [
            Refusal::invalid(
                "a target of another plan",
                json!({ "body": "See this", "target_type": "activity", "target_id": id_of(&foreign) }),
                "target_id",
                None,
            ),
            Refusal::invalid(
                "a target of the wrong type",
                json!({ "body": "See this", "target_type": "indicator", "target_id": own[0] }),
                "target_id",
                None,
            ),
            Refusal::invalid(
                "a target that does not exist",
                json!({ "body": "See this", "target_type": "check_in", "target_id": Uuid::now_v7().to_string() }),
                "target_id",
                None,
            ),
            Refusal::invalid("an unknown visibility", comment_body("Hidden", "private"), "visibility", None),
            Refusal::invalid("an empty body", comment_body("", "shared"), "body", None),
        ];
        for refusal in &cases {
            refusal.assert(cast.mentor.post(&comments, &refusal.body).await).await;
            assert!(all_ids(&cast.mentor, &comments).await.is_empty(), "{}: no comment written", refusal.case);
        }
        let response = owner.post(&comments, &comment_body("Only for mentors", "mentors")).await;
        assert_problem(response, 403, "forbidden").await;
        assert!(all_ids(&cast.mentor, &comments).await.is_empty(), "the owner cannot write a mentors comment");

        // Transitions: a reason where one is required.
        let submitted = cast.plan_in("submitted").await;
        let submitted_id = id_of(&submitted);
        let events = history_ids(&cast, &submitted_id).await;
        for (action, body) in [
            ("request-changes", json!({})),
            ("request-changes", json!({ "reason": "" })),
            ("request-changes", json!({ "reason": "   " })),
            ("discontinue", json!({})),
            ("discontinue", json!({ "reason": null })),
        ] {
            let response = cast.mentor.post(&format!("/plans/{submitted_id}/{action}"), &body).await;
            let problem = assert_problem(response, 422, "validation_failed").await;
            assert_field_error(&problem, "reason", None);
        }
        assert_eq!(cast.owner.get_ok(&format!("/plans/{submitted_id}")).await, submitted, "nothing changed");
        assert_eq!(history_ids(&cast, &submitted_id).await, events, "no audit event");
    }
);

backend_test!(
    async fn if_match_follows_rfc_9110_lists_strong_comparison_and_412_for_any_other_tag(app) {
        let cast = cast(&app).await;
        let plan = cast.draft_plan().await;
        let path = format!("/plans/{}", id_of(&plan));
        let version = plan["version"].as_i64().unwrap();
        let title = |n: u32| json!({ "title": format!("Peer support in Kupang, take {n}") });

        // Well-formed tags that are not current — stale, weak, foreign — are
        // 412 and change nothing.
        for (n, tag) in [
            "\"999\"".to_owned(),
            format!("W/\"{version}\""),
            "\"not-a-version\"".to_owned(),
            format!("W/\"{version}\", \"abc\""),
        ]
        .iter()
        .enumerate()
        {
            let response = patch_if_match(&cast, &path, tag, &title(n as u32)).await;
            assert_problem(response, 412, "precondition_failed").await;
        }
        assert_eq!(cast.owner.get_ok(&path).await, plan, "nothing changed");

        // A list matches if any strong tag is current.
        let response = patch_if_match(&cast, &path, &format!("\"998\", \"{version}\""), &title(10)).await;
        let changed = expect_json(response, 200).await;
        assert_eq!(changed["version"], version + 1);

        // Not an entity-tag list at all: 400.
        for bad in ["3", "\"unterminated", "W/3"] {
            let response = patch_if_match(&cast, &path, bad, &title(11)).await;
            assert_problem(response, 400, "invalid_if_match").await;
        }

        // If-None-Match uses the weak comparison: W/"n" of the current version is 304.
        let current = changed["version"].as_i64().unwrap();
        let response = cast
            .owner
            .request(Method::GET, &path)
            .header("if-none-match", format!("W/\"{current}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 304);
    }
);

backend_test!(
    async fn every_patch_and_delete_of_a_versioned_resource_requires_if_match(app) {
        let cast = followup_tests::plans::cast(&app).await;
        let plan_id = id_of(&cast.draft_plan().await);
        let activity = followup_tests::plans::create_activity(
            &cast.owner,
            &plan_id,
            &followup_tests::plans::activity_body("Peer-support workshop", None),
        )
        .await;
        let indicator = followup_tests::plans::create_indicator(
            &cast.owner,
            &plan_id,
            &followup_tests::plans::indicator_body("Youth workers trained", "people", 0.0, 40.0, "increase"),
        )
        .await;
        let comment = followup_tests::plans::post_comment(
            &cast.owner,
            &plan_id,
            &followup_tests::plans::comment_body("Draft ready for a first look.", "shared"),
        )
        .await;
        let active = id_of(&cast.plan_in("active").await);
        let measured = followup_tests::plans::create_indicator(
            &cast.owner,
            &active,
            &followup_tests::plans::indicator_body("Sessions held", "sessions", 0.0, 10.0, "increase"),
        )
        .await;
        let measurement = followup_tests::plans::record_measurement(
            &cast.owner,
            &id_of(&measured),
            &followup_tests::plans::measurement_body(3.0, "2023-08-31"),
        )
        .await;
        let check_in = followup_tests::plans::post_check_in(
            &cast.owner,
            &active,
            &followup_tests::plans::check_in_body("2023-08-31", "Ran the first workshop."),
        )
        .await;
        let attached = cast
            .owner
            .request(Method::POST, &format!("/check-ins/{}/attachments?file_name=daftar.pdf", id_of(&check_in)))
            .body(followup_tests::files::pdf(2000))
            .send()
            .await
            .unwrap();
        let attachment = expect_json(attached, 201).await;
        let org = followup_tests::api::create_org(&app, &cast.admin.token, "Dinas Sosial Ende", "technical_unit", None).await;
        let (user, _) = followup_tests::api::create_user(&app, &cast.admin.token, "gita.maharani@kemensos.go.id", "Gita Maharani").await;
        let webhook = expect_json(
            cast.coordinator
                .post(&format!("/programs/{}/webhooks", cast.program_id), &json!({ "url": "https://hooks.dinsos.example.id/followup" }))
                .await,
            201,
        )
        .await;
        let round = json!({
            "title": { "id": "Survei 30 hari", "en": "30-day survey" },
            "days_after_training": 30,
            "questions": [{ "key": "applied", "kind": "scale", "prompt": { "id": "Seberapa sering? (1–5)", "en": "How often? (1–5)" } }]
        });
        let round = expect_json(cast.coordinator.post(&format!("/programs/{}/survey-rounds", cast.program_id), &round).await, 201).await;
        let resource = |path: &str| -> (String, &followup_tests::api::Authed<'_>) {
            let (id, client) = match path {
                "/api/v1/plans/{id}" => (plan_id.clone(), &cast.owner),
                "/api/v1/activities/{id}" => (id_of(&activity), &cast.owner),
                "/api/v1/indicators/{id}" => (id_of(&indicator), &cast.owner),
                "/api/v1/comments/{id}" => (id_of(&comment), &cast.owner),
                "/api/v1/check-ins/{id}" => (id_of(&check_in), &cast.owner),
                "/api/v1/measurements/{id}" => (id_of(&measurement), &cast.owner),
                "/api/v1/organizations/{id}" => (id_of(&org), &cast.admin),
                "/api/v1/programs/{id}" => (cast.program_id.clone(), &cast.coordinator),
                "/api/v1/users/{id}" => (id_of(&user), &cast.admin),
                "/api/v1/me" | "/api/v1/me/notifications" => (String::new(), &cast.owner),
                "/api/v1/webhooks/{id}" => (id_of(&webhook), &cast.coordinator),
                "/api/v1/attachments/{id}" => (id_of(&attachment), &cast.owner),
                "/api/v1/survey-rounds/{id}" => (id_of(&round), &cast.coordinator),
                other => panic!("no resource for {other}: add it to this test"),
            };
            (path.trim_start_matches("/api/v1").replace("{id}", &id), client)
        };

        // Every PATCH and DELETE the document says takes If-Match.
        let document: Value = app.get("/api-docs/openapi.json").await.json().await.unwrap();
        let mut checked = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in ["patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let if_match = op["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == "If-Match"));
                let Some(if_match) = if_match else { continue };
                assert_eq!(if_match["required"], true, "{method} {path}: If-Match is required");
                assert!(op["responses"]["428"].is_object(), "{method} {path} documents 428");
                let (url, client) = resource(path);
                let before = client.get(&url).await;
                let etag = before.headers()["etag"].to_str().unwrap().to_owned();
                let m = if method == "patch" { Method::PATCH } else { Method::DELETE };
                let request = client.request(m, &url);
                let request = if method == "patch" { request.json(&json!({})) } else { request };
                let refused = request.send().await.unwrap();
                assert_eq!(refused.status(), 428, "{method} {path}");
                let problem = assert_problem(refused, 428, "precondition_required").await;
                let detail = problem["detail"].as_str().unwrap();
                assert!(detail.contains(&format!("GET /api/v1{url}")), "{method} {path}: says which ETag: {detail}");
                let after = client.get(&url).await;
                assert_eq!(after.status(), 200, "{method} {path}: nothing was deleted");
                assert_eq!(after.headers()["etag"].to_str().unwrap(), etag, "{method} {path}: nothing changed");
                checked.push(format!("{method} {path}"));
            }
        }
        assert_eq!(checked.len(), 21, "checked: {checked:?}");

        // With the ETag of the last read, the edit goes through.
        let path = format!("/activities/{}", id_of(&activity));
        let etag = cast.owner.get(&path).await.headers()["etag"].to_str().unwrap().to_owned();
        let renamed = cast.owner.request(Method::PATCH, &path).header("If-Match", etag).json(&json!({ "title": "Peer-support workshop, Soe" })).send().await.unwrap();
        assert_eq!(expect_json(renamed, 200).await["title"], "Peer-support workshop, Soe");
    }
);

backend_test!(
    async fn a_transition_body_may_be_left_out_but_not_malformed(app) {
        let cast = followup_tests::plans::cast(&app).await;
        let plan_id = id_of(&cast.draft_plan().await);
        let path = format!("/plans/{plan_id}/submit");
        // Bytes that are not JSON are refused, not taken for "no body".
        let garbled = cast
            .owner
            .request(Method::POST, &path)
            .header("content-type", "application/json")
            .body(&b"5[\xd0\x9d"[..])
            .send()
            .await
            .unwrap();
        assert_problem(garbled, 400, "malformed_json").await;
        let plan = cast.owner.get_ok(&format!("/plans/{plan_id}")).await;
        assert_eq!(plan["status"], "draft", "nothing happened: {plan}");
        // No body at all is a submit without a note.
        let submitted = cast.owner.request(Method::POST, &path).send().await.unwrap();
        let plan = expect_json(submitted, 200).await;
        assert_eq!((plan["status"].as_str(), plan["status_reason"].as_str()), (Some("submitted"), None));
        // A reason is still required where the transition needs one.
        let bare = cast.mentor.request(Method::POST, &format!("/plans/{plan_id}/request-changes")).send().await.unwrap();
        let problem = assert_problem(bare, 422, "validation_failed").await;
        assert_field_error(&problem, "reason", Some("required"));
    }
);
