//! Who may do what in a programme: the role matrix of the programme,
//! membership and mentorship endpoints, and the rules of memberships and
//! mentorships.

use followup_tests::api::{
    add_member, add_mentorship, admin, assert_field_error, create_program, expect_empty, expect_json, id_of,
    item_strings, items, new_member, Authed, Refusal,
};
use followup_tests::plans::send;
use followup_tests::{assert_problem, backend_test, json, TestApp, Value};
use reqwest::Method;

/// Send a request as `actor`, or without any token when `None`; returns the status.
async fn status_of(
    app: &TestApp,
    actor: Option<&Authed<'_>>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> u16 {
    send(app, actor, method, path, body).await.0
}

/// Record a matrix cell that differs from what is expected.
fn check(failures: &mut Vec<String>, actor: usize, what: &str, expected: u16, actual: u16) {
    if expected != actual {
        failures.push(format!("{} {what}: expected {expected}, got {actual}", ACTORS[actor]));
    }
}

/// The actors of the matrix, in order.
const ACTORS: [&str; 7] = ["admin", "coordinator", "mentor", "delegate", "observer", "outsider", "anonymous"];
/// What each actor gets for a read of programme P.
const READ: [u16; 7] = [200, 200, 200, 200, 200, 404, 401];

/// What each actor gets for a write to programme P that answers `ok` when allowed.
fn write(ok: u16) -> [u16; 7] {
    [ok, ok, 403, 403, 403, 404, 401]
}

backend_test!(
    async fn the_programme_role_matrix(app) {
        let admin = admin(&app).await;
        let p = create_program(&app, &admin.token, "KOICA-ITP-2023").await;
        let q = create_program(&app, &admin.token, "KOICA-ITP-2024").await;
        let (p_id, q_id) = (id_of(&p), id_of(&q));

        let (coordinator_id, coordinator) =
            new_member(&app, &admin.token, "minji.kim@worldvision.or.kr", "Kim Min-ji").await;
        let (mentor_id, mentor) =
            new_member(&app, &admin.token, "yj.hong@example.org", "Young Joon Hong").await;
        let (delegate_id, delegate) =
            new_member(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let (observer_id, observer) =
            new_member(&app, &admin.token, "soojin.lee@koica.go.kr", "Lee Soo-jin").await;
        let (outsider_id, outsider) =
            new_member(&app, &admin.token, "siti.rahmawati@dinsos.jakarta.go.id", "Siti Rahmawati").await;
        for (user, role) in [
            (&coordinator_id, "coordinator"),
            (&mentor_id, "mentor"),
            (&delegate_id, "delegate"),
            (&observer_id, "observer"),
        ] {
            add_member(&app, &admin.token, &p_id, user, role).await;
        }
        add_member(&app, &admin.token, &q_id, &outsider_id, "delegate").await;
        add_mentorship(&app, &admin.token, &p_id, &mentor_id, &delegate_id).await;

        // One fresh account per actor, for the writes each actor tries.
        let mut extra = Vec::new();
        for (i, name) in [
            "Agus Setiawan",
            "Budi Santoso",
            "Citra Dewi",
            "Dedi Kurniawan",
            "Eka Putri",
            "Fajar Nugroho",
            "Gita Maharani",
        ]
        .iter()
        .enumerate()
        {
            let (id, _) = new_member(&app, &admin.token, &format!("extra{i}@kemensos.go.id"), name).await;
            extra.push(id);
        }

        let actors: [Option<&Authed<'_>>; 7] = [
            Some(&admin),
            Some(&coordinator),
            Some(&mentor),
            Some(&delegate),
            Some(&observer),
            Some(&outsider),
            None,
        ];
        let mut failures: Vec<String> = Vec::new();

        let program = format!("/programs/{p_id}");
        let members = format!("/programs/{p_id}/members");
        let mentorships = format!("/programs/{p_id}/mentorships");

        for (i, actor) in actors.iter().enumerate() {
            let status = status_of(&app, *actor, Method::GET, &program, None).await;
            check(&mut failures, i, "GET /programs/P", READ[i], status);
        }
        for (i, actor) in actors.iter().enumerate() {
            let body = json!({ "location": format!("Seoul ({})", ACTORS[i]) });
            let status = status_of(&app, *actor, Method::PATCH, &program, Some(&body)).await;
            check(&mut failures, i, "PATCH /programs/P", write(200)[i], status);
        }
        for (i, actor) in actors.iter().enumerate() {
            let status = status_of(&app, *actor, Method::GET, &members, None).await;
            check(&mut failures, i, "GET /programs/P/members", READ[i], status);
        }
        for (i, actor) in actors.iter().enumerate() {
            let body = json!({ "user_id": extra[i], "role": "delegate" });
            let status = status_of(&app, *actor, Method::POST, &members, Some(&body)).await;
            check(&mut failures, i, "POST /programs/P/members", write(201)[i], status);
        }
        let member_ids = item_strings(&admin.get_ok(&members).await, "user_id");
        for (i, id) in extra.iter().enumerate() {
            let allowed = i < 2;
            if member_ids.contains(id) != allowed {
                failures.push(format!(
                    "after POST members: {}'s candidate {} a member",
                    ACTORS[i],
                    if allowed { "should be" } else { "must not be" }
                ));
            }
            if !member_ids.contains(id) {
                add_member(&app, &admin.token, &p_id, id, "delegate").await;
            }
        }
        for (i, actor) in actors.iter().enumerate() {
            let status = status_of(&app, *actor, Method::GET, &mentorships, None).await;
            check(&mut failures, i, "GET /programs/P/mentorships", READ[i], status);
        }
        for (i, actor) in actors.iter().enumerate() {
            let body = json!({ "mentor_id": mentor_id, "delegate_id": extra[i] });
            let status = status_of(&app, *actor, Method::POST, &mentorships, Some(&body)).await;
            check(&mut failures, i, "POST /programs/P/mentorships", write(201)[i], status);
        }
        let mut mentees = item_strings(&admin.get_ok(&mentorships).await, "delegate_id");
        mentees.sort();
        let mut expected_mentees = vec![delegate_id.clone(), extra[0].clone(), extra[1].clone()];
        expected_mentees.sort();
        if mentees != expected_mentees {
            failures
                .push(format!("after POST mentorships: mentees {mentees:?}, expected {expected_mentees:?}"));
        }
        for (i, actor) in actors.iter().enumerate() {
            let path = format!("{members}/{}", extra[i]);
            let status = status_of(&app, *actor, Method::DELETE, &path, None).await;
            check(&mut failures, i, "DELETE /programs/P/members/{user}", write(204)[i], status);
        }

        // Every actor's programme list holds exactly their programmes, with their role.
        let expected_lists: [(&[&str], Option<&str>); 6] = [
            (&["KOICA-ITP-2023", "KOICA-ITP-2024"], None),
            (&["KOICA-ITP-2023"], Some("coordinator")),
            (&["KOICA-ITP-2023"], Some("mentor")),
            (&["KOICA-ITP-2023"], Some("delegate")),
            (&["KOICA-ITP-2023"], Some("observer")),
            (&["KOICA-ITP-2024"], Some("delegate")),
        ];
        for (i, (codes, role)) in expected_lists.iter().enumerate() {
            let list = actors[i].unwrap().get_ok("/programs").await;
            let mut listed = item_strings(&list, "code");
            listed.sort();
            if listed != *codes {
                failures.push(format!("{} GET /programs lists {listed:?}, expected {codes:?}", ACTORS[i]));
            }
            for item in items(&list) {
                if item["code"] == "KOICA-ITP-2023" && item["my_role"].as_str() != *role {
                    failures.push(format!(
                        "{} GET /programs: my_role {} expected {role:?}",
                        ACTORS[i], item["my_role"]
                    ));
                }
            }
        }
        let status = status_of(&app, None, Method::GET, "/programs", None).await;
        check(&mut failures, 6, "GET /programs", 401, status);

        assert!(failures.is_empty(), "role matrix violations:\n  {}", failures.join("\n  "));

        // Read back what the allowed writes did.
        let read = admin.get_ok(&program).await;
        assert_eq!(read["location"], "Seoul (coordinator)", "the last allowed PATCH was the coordinator's");
        let member_ids = item_strings(&admin.get_ok(&members).await, "user_id");
        for (i, id) in extra.iter().enumerate() {
            assert_eq!(member_ids.contains(id), i >= 2, "{}'s DELETE of a member", ACTORS[i]);
        }
        let mentees = item_strings(&admin.get_ok(&mentorships).await, "delegate_id");
        assert_eq!(mentees, vec![delegate_id.clone()], "removing a member removes their mentorships");
        let q_members = item_strings(&admin.get_ok(&format!("/programs/{q_id}/members")).await, "user_id");
        assert_eq!(q_members, vec![outsider_id], "programme Q is untouched");
    }
);

backend_test!(
    async fn a_delegate_cannot_see_another_programme_nor_add_members(app) {
        let admin = admin(&app).await;
        let p = id_of(&create_program(&app, &admin.token, "KOICA-ITP-2023").await);
        let q = id_of(&create_program(&app, &admin.token, "KOICA-ITP-2024").await);
        let (delegate_id, delegate) =
            new_member(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let (friend_id, _) = new_member(&app, &admin.token, "maria.bria@kemensos.go.id", "Maria Bria").await;
        add_member(&app, &admin.token, &p, &delegate_id, "delegate").await;

        let p_read = delegate.get_ok(&format!("/programs/{p}")).await;
        assert_eq!(p_read["my_role"], "delegate");
        assert_problem(delegate.get(&format!("/programs/{q}")).await, 404, "not_found").await;
        assert_problem(delegate.get(&format!("/programs/{q}/members")).await, 404, "not_found").await;
        assert_problem(delegate.get(&format!("/programs/{q}/mentorships")).await, 404, "not_found").await;
        // A missing programme and a hidden one are indistinguishable.
        let missing = uuid::Uuid::now_v7();
        let hidden = assert_problem(delegate.get(&format!("/programs/{q}")).await, 404, "not_found").await;
        let absent =
            assert_problem(delegate.get(&format!("/programs/{missing}")).await, 404, "not_found").await;
        assert_eq!(hidden["title"], absent["title"]);

        // Adding members: forbidden in P (visible), not found in Q (hidden), whatever the role asked for.
        for (program, status, code) in [(&p, 403, "forbidden"), (&q, 404, "not_found")] {
            for role in ["delegate", "coordinator"] {
                let path = format!("/programs/{program}/members");
                let response = delegate.post(&path, &json!({ "user_id": friend_id, "role": role })).await;
                assert_problem(response, status, code).await;
            }
        }
        let p_members = item_strings(&admin.get_ok(&format!("/programs/{p}/members")).await, "user_id");
        assert_eq!(p_members, vec![delegate_id.clone()], "the delegate added nobody to P");
        let q_members = admin.get_ok(&format!("/programs/{q}/members")).await;
        assert!(items(&q_members).is_empty(), "the delegate added nobody to Q: {q_members}");
    }
);

backend_test!(
    async fn membership_rules(app) {
        let admin = admin(&app).await;
        let p = id_of(&create_program(&app, &admin.token, "KOICA-ITP-2023").await);
        let (coordinator_id, coordinator) =
            new_member(&app, &admin.token, "minji.kim@worldvision.or.kr", "Kim Min-ji").await;
        add_member(&app, &admin.token, &p, &coordinator_id, "coordinator").await;
        let (delegate_id, delegate) =
            new_member(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let members = format!("/programs/{p}/members");

        // The coordinator adds a delegate; the row describes the person.
        let response =
            coordinator.post(&members, &json!({ "user_id": delegate_id, "role": "delegate" })).await;
        let added = expect_json(response, 201).await;
        assert_eq!(added["program_id"], p.as_str());
        assert_eq!(added["user_id"], delegate_id.as_str());
        assert_eq!(added["role"], "delegate");
        assert_eq!(added["display_name"], "Yohanes Ndun");
        assert_eq!(added["email"], "yohanes.ndun@kemensos.go.id");
        assert!(
            added["id"].is_string() && added["version"].is_i64() && added["created_at"].is_string(),
            "{added}"
        );
        let list = coordinator.get_ok(&members).await;
        assert!(list["next_cursor"].is_null(), "{list}");
        let row = items(&list)
            .iter()
            .find(|m| m["user_id"] == delegate_id.as_str())
            .expect("the new member is listed");
        assert_eq!(row, &added, "the list shows the row POST answered");
        let before = item_strings(&list, "user_id");

        // Refusals, each followed by a read-back.
        let response = coordinator.post(&members, &json!({ "user_id": delegate_id, "role": "mentor" })).await;
        assert_problem(response, 409, "already_member").await;
        let unknown = uuid::Uuid::now_v7().to_string();
        let response = coordinator.post(&members, &json!({ "user_id": unknown, "role": "delegate" })).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_field_error(&problem, "user_id", None);
        let (other_id, _) = new_member(&app, &admin.token, "maria.bria@kemensos.go.id", "Maria Bria").await;
        let response = coordinator.post(&members, &json!({ "user_id": other_id, "role": "sponsor" })).await;
        assert_problem(response, 422, "validation_failed").await;
        let after = coordinator.get_ok(&members).await;
        assert_eq!(item_strings(&after, "user_id"), before, "refused adds write nothing");
        let row = items(&after).iter().find(|m| m["user_id"] == delegate_id.as_str()).unwrap();
        assert_eq!(row["role"], "delegate", "the duplicate add did not change the role");

        // Removing a member: 204, gone from the list, and the programme is hidden from them.
        assert_eq!(delegate.get_ok(&format!("/programs/{p}")).await["my_role"], "delegate");
        expect_empty(coordinator.delete(&format!("{members}/{delegate_id}")).await, 204).await;
        let after = coordinator.get_ok(&members).await;
        assert!(!item_strings(&after, "user_id").contains(&delegate_id), "{after}");
        assert_problem(delegate.get(&format!("/programs/{p}")).await, 404, "not_found").await;
        assert!(items(&delegate.get_ok("/programs").await).is_empty(), "a former member lists no programmes");
        assert_problem(coordinator.delete(&format!("{members}/{delegate_id}")).await, 404, "not_found").await;
    }
);

backend_test!(
    async fn mentorship_rules(app) {
        let admin = admin(&app).await;
        let p = id_of(&create_program(&app, &admin.token, "KOICA-ITP-2023").await);
        let (coordinator_id, coordinator) =
            new_member(&app, &admin.token, "minji.kim@worldvision.or.kr", "Kim Min-ji").await;
        let (mentor_id, mentor) =
            new_member(&app, &admin.token, "yj.hong@example.org", "Young Joon Hong").await;
        let (second_mentor_id, _) =
            new_member(&app, &admin.token, "haeun.choi@kds.re.kr", "Choi Ha-eun").await;
        let (delegate_id, _) =
            new_member(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let (observer_id, _) = new_member(&app, &admin.token, "soojin.lee@koica.go.kr", "Lee Soo-jin").await;
        let (stranger_id, _) =
            new_member(&app, &admin.token, "andi.pratama@dinsos.jakarta.go.id", "Andi Pratama").await;
        for (user, role) in [
            (&coordinator_id, "coordinator"),
            (&mentor_id, "mentor"),
            (&second_mentor_id, "mentor"),
            (&delegate_id, "delegate"),
            (&observer_id, "observer"),
        ] {
            add_member(&app, &admin.token, &p, user, role).await;
        }
        let mentorships = format!("/programs/{p}/mentorships");

        let response = coordinator
            .post(&mentorships, &json!({ "mentor_id": mentor_id, "delegate_id": delegate_id }))
            .await;
        let created = expect_json(response, 201).await;
        assert_eq!(created["program_id"], p.as_str());
        assert_eq!(created["mentor_id"], mentor_id.as_str());
        assert_eq!(created["delegate_id"], delegate_id.as_str());
        assert!(
            created["id"].is_string() && created["version"].is_i64() && created["created_at"].is_string()
        );
        // A delegate may have more than one mentor.
        let second = add_mentorship(&app, &coordinator.token, &p, &second_mentor_id, &delegate_id).await;
        let listed = mentor.get_ok(&mentorships).await;
        let mut ids = item_strings(&listed, "id");
        ids.sort();
        let mut expected = vec![id_of(&created), id_of(&second)];
        expected.sort();
        assert_eq!(ids, expected, "{listed}");

        let cases = [
            Refusal::invalid(
                "the mentor is a delegate",
                json!({ "mentor_id": delegate_id, "delegate_id": delegate_id }),
                "mentor_id",
                Some("not_a_mentor"),
            ),
            Refusal::invalid(
                "the mentor is not a member",
                json!({ "mentor_id": stranger_id, "delegate_id": delegate_id }),
                "mentor_id",
                Some("not_a_mentor"),
            ),
            Refusal::invalid(
                "the delegate is an observer",
                json!({ "mentor_id": mentor_id, "delegate_id": observer_id }),
                "delegate_id",
                Some("not_a_delegate"),
            ),
            Refusal::invalid(
                "the delegate is a mentor",
                json!({ "mentor_id": mentor_id, "delegate_id": second_mentor_id }),
                "delegate_id",
                Some("not_a_delegate"),
            ),
            Refusal::conflict(
                "the same pair again",
                json!({ "mentor_id": mentor_id, "delegate_id": delegate_id }),
                "already_exists",
            ),
        ];
        for refusal in &cases {
            refusal.assert(coordinator.post(&mentorships, &refusal.body).await).await;
            let mut now = item_strings(&admin.get_ok(&mentorships).await, "id");
            now.sort();
            assert_eq!(now, expected, "{}: nothing written", refusal.case);
        }

        // The mentor may read but not remove; the coordinator removes.
        let one = format!("{mentorships}/{}", id_of(&second));
        assert_problem(mentor.delete(&one).await, 403, "forbidden").await;
        expect_empty(coordinator.delete(&one).await, 204).await;
        let left = item_strings(&admin.get_ok(&mentorships).await, "id");
        assert_eq!(left, vec![id_of(&created)]);
        assert_problem(coordinator.delete(&one).await, 404, "not_found").await;
    }
);
