//! People and programmes: the own profile, accounts, organisations and
//! programmes, with validation, concurrency, paging and body limits.

use followup_tests::api::{
    admin, assert_field_error, create_org, create_program, create_user, expect_empty, expect_json, id_of,
    item_strings, items, login, new_member, program_body, Authed, Refusal,
};
use followup_tests::plans::etag;
use followup_tests::{assert_problem, backend_test, json, Value, ADMIN_EMAIL};
use reqwest::Method;

/// Every user the admin can list (one page of up to 200).
async fn all_users(admin: &Authed<'_>) -> Vec<Value> {
    let page = admin.get_ok("/users?limit=200").await;
    assert!(page["next_cursor"].is_null(), "more than 200 users in a test: {page}");
    items(&page).clone()
}

async fn user_emails(admin: &Authed<'_>) -> Vec<String> {
    all_users(admin).await.iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect()
}

/// Every programme code the caller can list.
async fn program_codes(client: &Authed<'_>) -> Vec<String> {
    let mut codes = item_strings(&client.get_ok("/programs?limit=200").await, "code");
    codes.sort();
    codes
}

/// Assert no key of a user object mentions a password.
fn assert_no_password_fields(user: &Value) {
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert!(
        !keys.iter().any(|k| *k != "password_state" && (k.contains("password") || k.contains("hash"))),
        "a user must never carry password material: {user}"
    );
}

backend_test!(
    async fn patch_me_refuses_mass_assignment_and_keeps_the_role(app) {
        let admin = admin(&app).await;
        let email = "yohanes.ndun@kemensos.go.id";
        let (_, me_client) = new_member(&app, &admin.token, email, "Yohanes Ndun").await;
        let before = me_client.get_ok("/me").await;
        assert_eq!(before["system_role"], "member");

        for (field, value) in [
            ("system_role", json!("admin")),
            ("active", json!(false)),
            ("email", json!("root@followup.local")),
        ] {
            let body = json!({ "display_name": "Yohanes N.", field: value });
            let response = me_client.patch("/me", &body).await;
            let problem = assert_problem(response, 422, "validation_failed").await;
            assert_field_error(&problem, field, Some("unknown_field"));
        }

        let after = me_client.get_ok("/me").await;
        assert_eq!(after["system_role"], "member", "the role must not change: {after}");
        assert_eq!(after["active"], true);
        assert_eq!(after["email"], email);
        assert_eq!(after["display_name"], "Yohanes Ndun", "a refused PATCH changes nothing");
        assert_eq!(after["version"], before["version"]);
        // The member still cannot reach admin endpoints.
        assert_problem(me_client.get("/users").await, 403, "forbidden").await;
    }
);

backend_test!(
    async fn patch_me_changes_the_profile_and_checks_the_time_zone(app) {
        let admin = admin(&app).await;
        let org = create_org(&app, &admin.token, "Sentra Efata Kupang", "technical_unit", None).await;
        let (_, me_client) =
            new_member(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let before = me_client.get_ok("/me").await;

        let changes = json!({
            "display_name": "Yohanes Ndun, S.Sos",
            "position": "Pekerja Sosial",
            "locale": "id",
            "time_zone": "Asia/Makassar",
            "organization_id": id_of(&org),
        });
        let updated = expect_json(me_client.patch("/me", &changes).await, 200).await;
        let read_back = me_client.get_ok("/me").await;
        for me_body in [&updated, &read_back] {
            for field in ["display_name", "position", "locale", "time_zone", "organization_id"] {
                assert_eq!(me_body[field], changes[field], "{field}: {me_body}");
            }
            assert_eq!(me_body["version"], before["version"].as_i64().unwrap() + 1);
        }

        let problem = assert_problem(
            me_client.patch("/me", &json!({ "time_zone": "Mars/Olympus" })).await,
            422,
            "validation_failed",
        )
        .await;
        assert_field_error(&problem, "time_zone", None);
        assert_eq!(me_client.get_ok("/me").await["time_zone"], "Asia/Makassar");
    }
);

backend_test!(
    async fn admins_create_read_and_update_users(app) {
        let admin = admin(&app).await;
        let org = create_org(&app, &admin.token, "Dinas Sosial DKI Jakarta", "regional_agency", None).await;
        let body = json!({
            "email": "Siti.Rahmawati@dinsos.jakarta.go.id",
            "display_name": "Siti Rahmawati",
            "password": "panti-sosial-jakarta-2023",
            "organization_id": id_of(&org),
            "position": "Penyuluh Sosial",
            "locale": "id",
            "time_zone": "Asia/Jakarta",
        });
        let response = admin.post("/users", &body).await;
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let created = expect_json(response, 201).await;
        let id = id_of(&created);
        assert_eq!(location.as_deref(), Some(format!("/api/v1/users/{id}").as_str()), "Location header");
        assert_eq!(created["email"], "siti.rahmawati@dinsos.jakarta.go.id", "e-mails are stored lower-cased");
        for field in ["display_name", "organization_id", "position", "locale", "time_zone"] {
            assert_eq!(created[field], body[field], "{field}: {created}");
        }
        assert_eq!(created["system_role"], "member", "the default role is member");
        assert_eq!(created["active"], true);
        assert!(created["version"].is_i64() && created["created_at"].is_string(), "{created}");
        assert!(created.get("initial_password").is_none(), "a given password is not echoed: {created}");
        assert_no_password_fields(&created);

        let read = admin.get_ok(&format!("/users/{id}")).await;
        assert_eq!(read, created, "GET answers what POST created");
        login(&app, "siti.rahmawati@dinsos.jakarta.go.id", "panti-sosial-jakarta-2023").await;

        let patched = expect_json(
            admin
                .patch(
                    &format!("/users/{id}"),
                    &json!({ "position": "Pekerja Sosial Ahli", "organization_id": null }),
                )
                .await,
            200,
        )
        .await;
        assert_eq!(patched["position"], "Pekerja Sosial Ahli");
        assert!(patched["organization_id"].is_null(), "null clears the organisation: {patched}");
        assert_eq!(patched["version"], created["version"].as_i64().unwrap() + 1);
        assert_eq!(admin.get_ok(&format!("/users/{id}")).await, patched, "read back after PATCH");

        // Without a password, one is generated and returned once; it works.
        let generated = expect_json(
            admin
                .post(
                    "/users",
                    &json!({ "email": "young.joon.hong@example.org", "display_name": "Young Joon Hong" }),
                )
                .await,
            201,
        )
        .await;
        let initial =
            generated["initial_password"].as_str().expect("initial_password is returned").to_owned();
        login(&app, "young.joon.hong@example.org", &initial).await;
        let read = admin.get_ok(&format!("/users/{}", id_of(&generated))).await;
        assert!(read.get("initial_password").is_none(), "the generated password is shown only once: {read}");

        // Members may not manage accounts.
        let (_, member) = new_member(&app, &admin.token, "dewi.lestari@kemensos.go.id", "Dewi Lestari").await;
        assert_problem(member.get("/users").await, 403, "forbidden").await;
        assert_problem(member.get(&format!("/users/{id}")).await, 403, "forbidden").await;
        let response = member
            .post("/users", &json!({ "email": "intruder@example.org", "display_name": "Intruder" }))
            .await;
        assert_problem(response, 403, "forbidden").await;
        let response = member.patch(&format!("/users/{id}"), &json!({ "display_name": "Hacked" })).await;
        assert_problem(response, 403, "forbidden").await;
        assert!(!user_emails(&admin).await.contains(&"intruder@example.org".to_owned()));
        assert_eq!(admin.get_ok(&format!("/users/{id}")).await["display_name"], "Siti Rahmawati");
    }
);

backend_test!(
    async fn invalid_users_are_refused_and_nothing_is_written(app) {
        let admin = admin(&app).await;
        create_user(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let before = user_emails(&admin).await;

        let base = |changes: Value| {
            let mut body = json!({
                "email": "new.delegate@kemensos.go.id",
                "display_name": "Rina Simanjuntak",
                "password": "a-good-long-password",
            });
            for (k, v) in changes.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let unknown_org = uuid::Uuid::now_v7().to_string();
        let cases = [
            Refusal::conflict(
                "duplicate e-mail in upper case",
                base(json!({ "email": "YOHANES.NDUN@KEMENSOS.GO.ID" })),
                "email_taken",
            ),
            Refusal::invalid("invalid e-mail", base(json!({ "email": "not-an-email" })), "email", None),
            Refusal::invalid(
                "short password",
                base(json!({ "password": "short" })),
                "password",
                Some("too_short"),
            ),
            Refusal::invalid(
                "password equal to the e-mail",
                base(json!({ "password": "new.delegate@kemensos.go.id" })),
                "password",
                None,
            ),
            Refusal::invalid(
                "unknown organisation",
                base(json!({ "organization_id": unknown_org })),
                "organization_id",
                None,
            ),
            Refusal::invalid_body("unknown locale", base(json!({ "locale": "fr" }))),
            Refusal::invalid_body("unknown system role", base(json!({ "system_role": "root" }))),
            Refusal::invalid(
                "invalid time zone",
                base(json!({ "time_zone": "Asia/Kupang" })),
                "time_zone",
                None,
            ),
        ];
        for refusal in &cases {
            refusal.assert(admin.post("/users", &refusal.body).await).await;
            assert_eq!(user_emails(&admin).await, before, "{}: no user may be written", refusal.case);
        }
    }
);

backend_test!(
    async fn etags_make_reads_conditional_and_writes_safe(app) {
        let admin = admin(&app).await;
        let (user, _) = create_user(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let path = format!("/users/{}", id_of(&user));

        let response = admin.get(&path).await;
        let first_etag = etag(&response);
        let body = expect_json(response, 200).await;
        assert_eq!(first_etag, format!("\"{}\"", body["version"]), "the ETag is the quoted version");

        let not_modified =
            admin.request(Method::GET, &path).header("if-none-match", &first_etag).send().await.unwrap();
        expect_empty(not_modified, 304).await;

        let response = admin
            .request(Method::PATCH, &path)
            .header("if-match", &first_etag)
            .json(&json!({ "position": "Pekerja Sosial" }))
            .send()
            .await
            .unwrap();
        let second_etag = etag(&response);
        let updated = expect_json(response, 200).await;
        assert_eq!(updated["version"], body["version"].as_i64().unwrap() + 1);
        assert_eq!(second_etag, format!("\"{}\"", updated["version"]));

        // A second writer still holding the old version is stopped.
        let stale = admin
            .request(Method::PATCH, &path)
            .header("if-match", &first_etag)
            .json(&json!({ "position": "Kepala Seksi" }))
            .send()
            .await
            .unwrap();
        assert_problem(stale, 412, "precondition_failed").await;
        let read = admin.get_ok(&path).await;
        assert_eq!(read["position"], "Pekerja Sosial", "the stale write must not land");
        assert_eq!(read["version"], updated["version"]);

        // The old ETag no longer matches, so a conditional GET answers the body.
        let changed =
            admin.request(Method::GET, &path).header("if-none-match", &first_etag).send().await.unwrap();
        expect_json(changed, 200).await;
        let unchanged =
            admin.request(Method::GET, &path).header("if-none-match", &second_etag).send().await.unwrap();
        expect_empty(unchanged, 304).await;

        // GET /me carries an ETag too.
        let response = admin.get("/me").await;
        let me_etag = etag(&response);
        let me_body = expect_json(response, 200).await;
        assert_eq!(me_etag, format!("\"{}\"", me_body["version"]));
    }
);

backend_test!(
    async fn users_are_paged_with_a_cursor_and_a_link_header(app) {
        let admin = admin(&app).await;
        let names = ["Yohanes Ndun", "Maria Bria", "Siti Rahmawati", "Andi Pratama", "Dewi Lestari"];
        let mut created = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let (user, _) =
                create_user(&app, &admin.token, &format!("delegate{i}@kemensos.go.id"), name).await;
            created.push(id_of(&user));
        }

        let mut seen: Vec<String> = Vec::new();
        let mut path = "/users?limit=2".to_owned();
        let mut pages = 0;
        loop {
            pages += 1;
            assert!(pages <= 10, "paging does not end");
            let response = admin.get(&path).await;
            let link = response.headers().get("link").map(|v| v.to_str().unwrap().to_owned());
            let page = expect_json(response, 200).await;
            let page_items = items(&page);
            assert!(page_items.len() <= 2, "limit=2 answers at most 2 items: {page}");
            for user in page_items {
                assert_no_password_fields(user);
                seen.push(id_of(user));
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => {
                    assert_eq!(page_items.len(), 2, "a page with a next page is full");
                    let link =
                        link.unwrap_or_else(|| panic!("page {pages} has a next page but no Link header"));
                    assert!(link.contains("rel=\"next\""), "Link: {link}");
                    let target = link
                        .split(['<', '>'])
                        .nth(1)
                        .unwrap_or_else(|| panic!("Link has no <target>: {link}"))
                        .to_owned();
                    assert!(target.contains("cursor="), "the next link carries the cursor: {link}");
                    // Following the Link answers the same page as following next_cursor.
                    let via_link = if target.starts_with("http") { target.clone() } else { app.url(&target) };
                    let linked = app.client.get(&via_link).bearer_auth(&admin.token).send().await.unwrap();
                    let linked = expect_json(linked, 200).await;
                    path = format!("/users?limit=2&cursor={cursor}");
                    let by_cursor = admin.get_ok(&path).await;
                    assert_eq!(item_strings(&linked, "id"), item_strings(&by_cursor, "id"), "Link vs cursor");
                }
                None => {
                    assert!(page["next_cursor"].is_null(), "next_cursor is a string or null: {page}");
                    assert!(
                        link.as_deref().is_none_or(|l| !l.contains("rel=\"next\"")),
                        "the last page has no next link: {link:?}"
                    );
                    break;
                }
            }
        }
        assert_eq!(pages, 3, "6 users at 2 a page are 3 pages");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no user appears twice: {seen:?}");
        assert_eq!(seen.len(), 6, "the admin and the 5 created users: {seen:?}");
        for id in &created {
            assert!(seen.contains(id), "user {id} missing from the pages");
        }
    }
);

backend_test!(
    async fn organisations_form_a_tree_without_cycles_and_are_not_deleted_while_referenced(app) {
        let admin = admin(&app).await;
        let ministry =
            create_org(&app, &admin.token, "Kementerian Sosial", "ministry_directorate", None).await;
        let directorate = create_org(
            &app,
            &admin.token,
            "Direktorat Rehabilitasi Sosial Anak",
            "ministry_directorate",
            Some(&id_of(&ministry)),
        )
        .await;
        let response = admin
            .post(
                "/organizations",
                &json!({
                    "name": "Sentra Efata Kupang",
                    "kind": "technical_unit",
                    "parent_id": id_of(&directorate),
                    "region": "Nusa Tenggara Timur",
                }),
            )
            .await;
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let sentra = expect_json(response, 201).await;
        assert_eq!(location, Some(format!("/api/v1/organizations/{}", id_of(&sentra))));
        assert_eq!(sentra["name"], "Sentra Efata Kupang");
        assert_eq!(sentra["kind"], "technical_unit");
        assert_eq!(sentra["region"], "Nusa Tenggara Timur");
        assert_eq!(sentra["parent_id"], directorate["id"]);
        let dinsos =
            create_org(&app, &admin.token, "Dinas Sosial DKI Jakarta", "regional_agency", None).await;

        // Any signed-in user can list; only admins change.
        let (_, member) = new_member(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let names = item_strings(&member.get_ok("/organizations").await, "name");
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names.contains(&"Sentra Efata Kupang".to_owned()));
        let response =
            member.post("/organizations", &json!({ "name": "Sentra Baru", "kind": "technical_unit" })).await;
        assert_problem(response, 403, "forbidden").await;
        let response =
            member.patch(&format!("/organizations/{}", id_of(&dinsos)), &json!({ "region": "Bali" })).await;
        assert_problem(response, 403, "forbidden").await;
        assert_problem(member.delete(&format!("/organizations/{}", id_of(&dinsos))).await, 403, "forbidden")
            .await;

        // Duplicate names, in any case.
        let response = admin
            .post("/organizations", &json!({ "name": "SENTRA EFATA KUPANG", "kind": "technical_unit" }))
            .await;
        assert_problem(response, 409, "name_taken").await;
        let response =
            admin.post("/organizations", &json!({ "name": "Sentra X", "kind": "spaceship" })).await;
        assert_problem(response, 422, "validation_failed").await;
        assert_eq!(item_strings(&admin.get_ok("/organizations").await, "name").len(), 4, "nothing written");

        // Cycles: the ministry under its own grandchild, or under itself.
        let ministry_path = format!("/organizations/{}", id_of(&ministry));
        for (case, parent) in [("grandchild", id_of(&sentra)), ("itself", id_of(&ministry))] {
            let response = admin.patch(&ministry_path, &json!({ "parent_id": parent })).await;
            let problem = assert_problem(response, 422, "validation_failed").await;
            assert_field_error(&problem, "parent_id", Some("cycle"));
            assert!(admin.get_ok(&ministry_path).await["parent_id"].is_null(), "{case}: parent unchanged");
        }

        // Still referenced: by a child organisation, by a user.
        let directorate_path = format!("/organizations/{}", id_of(&directorate));
        assert_problem(admin.delete(&directorate_path).await, 409, "still_referenced").await;
        let (user, _) = create_user(&app, &admin.token, "maria.bria@kemensos.go.id", "Maria Bria").await;
        let user_path = format!("/users/{}", id_of(&user));
        expect_json(admin.patch(&user_path, &json!({ "organization_id": id_of(&sentra) })).await, 200).await;
        let sentra_path = format!("/organizations/{}", id_of(&sentra));
        assert_problem(admin.delete(&sentra_path).await, 409, "still_referenced").await;
        admin.get_ok(&sentra_path).await;

        // Once nothing refers to them, they go.
        expect_json(admin.patch(&user_path, &json!({ "organization_id": null })).await, 200).await;
        expect_empty(admin.delete(&sentra_path).await, 204).await;
        assert_problem(admin.get(&sentra_path).await, 404, "not_found").await;
        expect_empty(admin.delete(&directorate_path).await, 204).await;
        expect_empty(admin.delete(&format!("/organizations/{}", id_of(&dinsos))).await, 204).await;
        assert_eq!(item_strings(&admin.get_ok("/organizations").await, "name"), vec!["Kementerian Sosial"]);
    }
);

backend_test!(
    async fn programmes_are_created_with_all_their_fields(app) {
        let admin = admin(&app).await;
        let body = program_body("KOICA-ITP-2023");
        let response = admin.post("/programs", &body).await;
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let created = expect_json(response, 201).await;
        assert_eq!(location, Some(format!("/api/v1/programs/{}", id_of(&created))));
        for field in [
            "code",
            "title",
            "theme",
            "funder",
            "partners",
            "location",
            "training_starts_on",
            "training_ends_on",
            "follow_up_until",
            "check_in_cadence_days",
        ] {
            assert_eq!(created[field], body[field], "{field}: {created}");
        }
        assert!(
            ["planned", "training", "follow_up", "closed"]
                .contains(&created["status"].as_str().unwrap_or_default()),
            "status: {created}"
        );
        assert!(created["my_role"].is_null(), "the admin is not a member: {created}");
        for field in ["version", "created_at", "updated_at"] {
            assert!(!created[field].is_null(), "{field}: {created}");
        }
        assert_eq!(admin.get_ok(&format!("/programs/{}", id_of(&created))).await, created);

        // The cadence bounds are inclusive.
        for (code, days) in [("KOICA-CADENCE-1", 1), ("KOICA-CADENCE-90", 90)] {
            let mut body = program_body(code);
            body["check_in_cadence_days"] = json!(days);
            let created = expect_json(admin.post("/programs", &body).await, 201).await;
            assert_eq!(created["check_in_cadence_days"], days);
        }
        assert_eq!(
            program_codes(&admin).await,
            vec!["KOICA-CADENCE-1", "KOICA-CADENCE-90", "KOICA-ITP-2023"]
        );
    }
);

backend_test!(
    async fn invalid_programmes_are_refused_and_nothing_is_written(app) {
        let admin = admin(&app).await;
        let existing = create_program(&app, &admin.token, "KOICA-ITP-2023").await;
        let with = |changes: Value| {
            let mut body = program_body("KOICA-ITP-2024");
            for (k, v) in changes.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let cases = [
            Refusal::invalid(
                "training ends before it starts",
                with(json!({ "training_ends_on": "2023-05-07" })),
                "training_ends_on",
                None,
            ),
            Refusal::invalid(
                "follow-up ends before training",
                with(json!({ "follow_up_until": "2023-05-18" })),
                "follow_up_until",
                None,
            ),
            Refusal::invalid(
                "cadence 0",
                with(json!({ "check_in_cadence_days": 0 })),
                "check_in_cadence_days",
                None,
            ),
            Refusal::invalid(
                "cadence 91",
                with(json!({ "check_in_cadence_days": 91 })),
                "check_in_cadence_days",
                None,
            ),
            Refusal::conflict("duplicate code", with(json!({ "code": "KOICA-ITP-2023" })), "code_taken"),
        ];
        for refusal in &cases {
            refusal.assert(admin.post("/programs", &refusal.body).await).await;
            let case = refusal.case;
            assert_eq!(program_codes(&admin).await, vec!["KOICA-ITP-2023"], "{case}: nothing written");
            let read = admin.get_ok(&format!("/programs/{}", id_of(&existing))).await;
            assert_eq!(read, existing, "{case}: the existing programme is untouched");
        }

        // A member who is not an admin cannot create programmes.
        let (_, member) =
            new_member(&app, &admin.token, "young.joon.hong@example.org", "Young Joon Hong").await;
        assert_problem(member.post("/programs", &program_body("KOICA-ITP-2025")).await, 403, "forbidden")
            .await;
        assert_eq!(program_codes(&admin).await, vec!["KOICA-ITP-2023"], "non-admin create: nothing written");

        // The same rules hold for a PATCH, checked against the stored fields.
        let path = format!("/programs/{}", id_of(&existing));
        let patches = [
            (json!({ "training_ends_on": "2023-05-01" }), "training_ends_on"),
            (json!({ "follow_up_until": "2023-05-10" }), "follow_up_until"),
            (json!({ "check_in_cadence_days": 91 }), "check_in_cadence_days"),
        ];
        for (patch, field) in patches {
            let problem = assert_problem(admin.patch(&path, &patch).await, 422, "validation_failed").await;
            assert_field_error(&problem, field, None);
            assert_eq!(admin.get_ok(&path).await, existing, "PATCH {patch}: nothing written");
        }
        let other = create_program(&app, &admin.token, "KOICA-ITP-2024").await;
        let response =
            admin.patch(&format!("/programs/{}", id_of(&other)), &json!({ "code": "KOICA-ITP-2023" })).await;
        assert_problem(response, 409, "code_taken").await;
        assert_eq!(program_codes(&admin).await, vec!["KOICA-ITP-2023", "KOICA-ITP-2024"]);
    }
);

backend_test!(
    async fn oversized_wrongly_typed_and_malformed_bodies_are_refused(app) {
        let admin = admin(&app).await;
        let before = user_emails(&admin).await;

        let huge = json!({
            "email": "huge@kemensos.go.id",
            "display_name": "x".repeat(300 * 1024),
            "password": "a-good-long-password",
        });
        assert_problem(admin.post("/users", &huge).await, 413, "payload_too_large").await;

        let valid = json!({
            "email": "typed@kemensos.go.id",
            "display_name": "Typed",
            "password": "a-good-long-password",
        });
        let response = admin
            .request(Method::POST, "/users")
            .header("content-type", "text/plain")
            .body(valid.to_string())
            .send()
            .await
            .unwrap();
        assert_problem(response, 415, "unsupported_media_type").await;

        let response = admin
            .request(Method::POST, "/users")
            .header("content-type", "application/json")
            .body(r#"{"email": "broken@kemensos.go.id", "display_name": "#)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "malformed_json").await;

        assert_eq!(user_emails(&admin).await, before, "no refused body may create a user");
        assert!(!before.iter().any(|e| e != ADMIN_EMAIL), "only the admin exists: {before:?}");
    }
);

/// The `too_guessable` error on `field`.
fn password_error(problem: &Value, field: &str) -> Value {
    problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == field && e["code"] == "too_guessable"))
        .cloned()
        .unwrap_or_else(|| panic!("no too_guessable error on {field}: {problem}"))
}

backend_test!(
    async fn common_and_personal_passwords_are_refused_with_the_reason_in_both_languages(app) {
        let admin = admin(&app).await;
        let before = user_emails(&admin).await;
        for (password, key_word) in [
            ("password12", "common"),
            ("1234567890", "common"),
            ("          ", "repeated"),
            ("rahmawati-2023", "name"),
        ] {
            let body = json!({
                "email": "siti.rahmawati@dinsos.jakarta.go.id",
                "display_name": "Siti Rahmawati",
                "password": password,
            });
            let problem = assert_problem(admin.post("/users", &body).await, 422, "validation_failed").await;
            let error = password_error(&problem, "password");
            assert!(error["message"].as_str().unwrap_or_default().contains(key_word), "{password:?}: {error}");
            let indonesian = admin
                .request(reqwest::Method::POST, "/users")
                .header("accept-language", "id")
                .json(&body)
                .send()
                .await
                .unwrap();
            let problem = assert_problem(indonesian, 422, "validation_failed").await;
            let error = password_error(&problem, "password");
            assert!(error["message"].as_str().unwrap_or_default().contains("ditebak")
                || error["message"].as_str().unwrap_or_default().contains("umum"), "{error}");
        }
        assert_eq!(user_emails(&admin).await, before, "no account was written");

        // Changing one's own password follows the same rule.
        let (_, me) = new_member(&app, &admin.token, "yohanes.ndun@kemensos.go.id", "Yohanes Ndun").await;
        let change = json!({ "current_password": followup_tests::api::USER_PASSWORD, "new_password": "YohanesNdun1" });
        let problem = assert_problem(me.post("/me/password", &change).await, 422, "validation_failed").await;
        assert_field_error(&problem, "new_password", Some("too_guessable"));
    }
);
