//! API6: unrestricted access to sensitive business flows. Signing in is the
//! flow worth automating against: one address trying one password on many
//! accounts (credential stuffing) is throttled by address, not only per
//! account. Creating plans and recording results is the other: a client
//! firing the same keyed create several times at once gets one resource.

use followup_tests::api::{create_user, id_of, login_response};
use followup_tests::plans::{
    all_items, cast, create_indicator, day, indicator_body, measurement_body, owner_today, plan_body,
    post_with_key, Answer,
};
use followup_tests::{assert_problem, backend_test, ADMIN_EMAIL, ADMIN_PASSWORD};

configured_test!(
    async fn one_address_trying_many_accounts_is_throttled(app) with |cfg| {
        cfg.auth.login_max_failures = 5;
    }; {
        let admin = followup_tests::api::admin(&app).await;
        let mut emails = Vec::new();
        for i in 0..8 {
            let email = format!("delegate{i}@kemensos.go.id");
            create_user(&app, &admin.token, &email, &format!("Delegate {i}")).await;
            emails.push(email);
        }
        // One attempt per account: no account reaches its own limit.
        for email in emails.iter().take(5) {
            assert_problem(login_response(&app, email, "Password123!").await, 401, "invalid_credentials").await;
        }
        let mut throttled = 0;
        for email in emails.iter().skip(5) {
            let response = login_response(&app, email, "Password123!").await;
            if response.status() == 429 {
                assert!(response.headers().contains_key("retry-after"));
                throttled += 1;
            }
        }
        assert_eq!(throttled, 3, "every attempt past the fifth from this address is throttled");
        // Unknown accounts count too: the attacker learns nothing by probing them.
        assert_eq!(login_response(&app, "nobody@kemensos.go.id", "Password123!").await.status(), 429);
        // The address is held off even with a right password, until the window passes.
        assert_eq!(login_response(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 429);
    }
);

backend_test!(
    async fn a_keyed_create_fired_five_times_at_once_creates_one_resource(app) {
        let cast = cast(&app).await;
        let body = plan_body(&cast.program_id);
        let fired = (0..5).map(|_| post_with_key(&cast.owner, "/plans", "plan-kupang-2023", &body));
        let answers: Vec<Answer> = futures_util::future::join_all(fired.map(|f| async { Answer::of(f.await).await })).await;
        for answer in &answers {
            assert_eq!(answer.status, 201, "{answer:?}");
            assert_eq!(answer, &answers[0], "every copy answers as the first");
        }
        let plans = all_items(&cast.owner, "/plans").await;
        assert_eq!(plans.len(), 1, "five copies made {} plans", plans.len());

        // Results are recorded on an active plan.
        let active = cast.plan_in("active").await;
        let indicator = create_indicator(
            &cast.owner,
            &id_of(&active),
            &indicator_body("Youth workers trained", "persons", 0.0, 20.0, "increase"),
        )
        .await;
        let path = format!("/indicators/{}/measurements", id_of(&indicator));
        let body = measurement_body(5.0, &day(owner_today(), -1));
        let fired = (0..5).map(|_| post_with_key(&cast.owner, &path, "measure-5", &body));
        let answers: Vec<Answer> = futures_util::future::join_all(fired.map(|f| async { Answer::of(f.await).await })).await;
        assert!(answers.iter().all(|a| a.status == 201 && a == &answers[0]), "{answers:?}");
        let recorded = all_items(&cast.owner, &path).await;
        assert_eq!(recorded.len(), 1, "five copies recorded {recorded:?}");
    }
);
