//! A mentor's review queue (`GET /mentor/check-ins`): exactly the check-ins
//! awaiting their review from the delegates they mentor, across plans and
//! programmes, oldest first and paged; a reviewed check-in leaves it.

use followup_tests::api::{add_member, add_mentorship, expect_json, id_of};
use followup_tests::plans::{all_ids, cast, check_in_body, owner_today, post_check_in, transition_ok};
use followup_tests::{assert_problem, backend_test, json};

backend_test!(
    async fn a_mentors_queue_holds_exactly_their_delegates_pending_check_ins(app) {
        let cast = cast(&app).await;
        let token = cast.admin.token.clone();
        // The mentor also mentors the outsider, in the other programme.
        add_member(&app, &token, &cast.other_program_id, &cast.mentor_id, "mentor").await;
        add_mentorship(&app, &token, &cast.other_program_id, &cast.mentor_id, &cast.outsider_id).await;
        let today = owner_today().to_string();

        let first = id_of(&cast.plan_in("active").await);
        let second = id_of(&cast.plan_in("active").await);
        let mut expected = Vec::new();
        for (plan, summary) in [(&first, "First plan, week 2"), (&second, "Second plan, week 2"), (&first, "First plan, week 4")] {
            expected.push(id_of(&post_check_in(&cast.owner, plan, &check_in_body(&today, summary)).await));
        }
        let outsiders = expect_json(
            cast.outsider.post("/plans", &followup_tests::plans::plan_body(&cast.other_program_id)).await,
            201,
        )
        .await;
        let outsiders = id_of(&outsiders);
        transition_ok(&cast.outsider, &outsiders, "submit", None).await;
        transition_ok(&cast.mentor, &outsiders, "approve", None).await;
        // The outsider and the other delegate live in Jakarta (UTC+7).
        let outsider_today = followup_tests::plans::today_at_offset(7).to_string();
        expected.push(id_of(
            &post_check_in(&cast.outsider, &outsiders, &check_in_body(&outsider_today, "Jakarta, month 1")).await,
        ));
        // Not the mentor's: the other delegate's check-in, mentored by another.
        let theirs = expect_json(cast.other_delegate.post("/plans", &followup_tests::plans::plan_body(&cast.program_id)).await, 201).await;
        let theirs = id_of(&theirs);
        transition_ok(&cast.other_delegate, &theirs, "submit", None).await;
        transition_ok(&cast.other_mentor, &theirs, "approve", None).await;
        let other = id_of(&post_check_in(&cast.other_delegate, &theirs, &check_in_body(&outsider_today, "Not yours")).await);

        // Paged two at a time, oldest first, exactly the four.
        assert_eq!(all_ids(&cast.mentor, "/mentor/check-ins").await, expected);
        let page = cast.mentor.get_ok("/mentor/check-ins?limit=2").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let cursor = page["next_cursor"].as_str().expect("a second page").to_owned();
        let rest = cast.mentor.get_ok(&format!("/mentor/check-ins?limit=2&cursor={cursor}")).await;
        let ids: Vec<String> = rest["items"].as_array().unwrap().iter().map(id_of).collect();
        assert_eq!(ids, expected[2..].to_vec(), "the second page");
        assert!(rest["next_cursor"].is_null(), "{rest}");
        assert_eq!(all_ids(&cast.other_mentor, "/mentor/check-ins").await, [other]);
        assert!(all_ids(&cast.coordinator, "/mentor/check-ins").await.is_empty(), "mentors no one");
        assert!(all_ids(&cast.owner, "/mentor/check-ins").await.is_empty());
        let one_programme = format!("/mentor/check-ins?program_id={}", cast.other_program_id);
        assert_eq!(all_ids(&cast.mentor, &one_programme).await, [expected[3].clone()]);

        // Reviewed, a check-in leaves the queue and shows under its decision.
        let review = json!({ "decision": "acknowledged", "note": "Good progress." });
        expect_json(cast.mentor.post(&format!("/check-ins/{}/review", expected[0]), &review).await, 200).await;
        assert_eq!(all_ids(&cast.mentor, "/mentor/check-ins").await, expected[1..].to_vec());
        assert_eq!(all_ids(&cast.mentor, "/mentor/check-ins?review_status=acknowledged").await, [expected[0].clone()]);
        // A typo in a filter is refused, not ignored.
        assert_problem(cast.mentor.get("/mentor/check-ins?status=pending").await, 400, "unknown_parameter").await;
    }
);

backend_test!(
    async fn members_rows_carry_each_members_time_zone_and_position(app) {
        let cast = cast(&app).await;
        let path = format!("/users/{}", cast.owner_id);
        let position = json!({ "position": "Pekerja Sosial Ahli Muda, Sentra Efata Kupang" });
        expect_json(cast.admin.patch(&path, &position).await, 200).await;
        let members = followup_tests::plans::all_items(&cast.mentor, &format!("/programs/{}/members", cast.program_id)).await;
        let row = |id: &str| members.iter().find(|m| m["user_id"] == id).cloned().unwrap();
        let owner = row(&cast.owner_id);
        assert_eq!(owner["time_zone"], followup_tests::plans::OWNER_TIME_ZONE, "{owner}");
        assert_eq!(owner["position"], "Pekerja Sosial Ahli Muda, Sentra Efata Kupang");
        assert_eq!(row(&cast.mentor_id)["time_zone"], "Asia/Seoul");
        assert!(row(&cast.other_delegate_id)["position"].is_null());
    }
);
