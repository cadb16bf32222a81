//! A forgotten password, reset by e-mail: the same answer whether or not
//! an account has the address; a token in the account's language that works
//! once; nothing changes for the account until it is used; throttled; and a
//! clear refusal from a server that sends no e-mail.

use followup_persistence::repo::audit;
use followup_persistence::{Database, DatabaseUrl, PoolOptions};
use followup_tests::api::{admin, api_url, expect_json, login, login_response, Authed, USER_PASSWORD};
use followup_tests::plans::new_person;
use followup_tests::smtp::{spawn_with_mail, Received};
use followup_tests::{assert_problem, backend_test, json, on_both_backends, Backend, TestApp};
use uuid::Uuid;

async fn ask(app: &TestApp, email: &str) -> reqwest::Response {
    app.client
        .post(api_url(app, "/auth/password-reset"))
        .header("Accept-Language", "id")
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap()
}

fn resets(received: &[Received]) -> Vec<Received> {
    received
        .iter()
        .filter(|m| m.header("Subject").contains("kata sandi") || m.header("Subject").contains("password"))
        .cloned()
        .collect()
}

on_both_backends!(
    reset_by_mail:
    a_forgotten_password_is_reset_by_e_mail_sqlite,
    a_forgotten_password_is_reset_by_e_mail_postgres
);

async fn reset_by_mail(backend: Backend) {
    let Some((sink, app)) = spawn_with_mail(backend, |cfg| {
        cfg.run_worker = true;
        cfg.worker.worker_interval_ms = 50;
        cfg.auth.password_reset_url = Some("https://followup.kemensos.example.id/reset?token={token}".into());
    })
    .await
    else {
        return;
    };
    let admin = admin(&app).await;
    let email = "ketut.wirawan@dinsos.ntt.example.id";
    let (ketut_id, ketut) =
        new_person(&app, &admin.token, email, "Ketut Wirawan", "Asia/Makassar", None).await;
    expect_json(ketut.patch("/me", &json!({ "locale": "id" })).await, 200).await;

    // The same empty 202 for his address (in any case) and for nobody's.
    let asked = ask(&app, "Ketut.Wirawan@DINSOS.ntt.example.id").await;
    assert_eq!(asked.status(), 202);
    assert_eq!(asked.text().await.unwrap(), "");
    let nobody = ask(&app, "nobody.here@dinsos.ntt.example.id").await;
    assert_eq!(nobody.status(), 202);
    assert_eq!(nobody.text().await.unwrap(), "");

    // One message, to him, in Indonesian, with a link holding the token.
    let received = sink.wait_for("the reset message", |r| !resets(r).is_empty()).await;
    let message = &resets(&received)[0];
    assert_eq!(message.to, vec![email.to_owned()]);
    assert_eq!(message.header("Subject"), "Atur ulang kata sandi Followup Anda");
    let text = message.text();
    let link = text
        .lines()
        .find(|l| l.starts_with("https://followup.kemensos.example.id/reset?token="))
        .unwrap_or_else(|| panic!("no link: {text}"));
    let token = link.trim_start_matches("https://followup.kemensos.example.id/reset?token=").to_owned();
    assert!(token.len() >= 40, "{token}");
    assert!(text.contains("abaikan email ini"), "says what to do if he did not ask: {text}");
    assert!(text.contains(&format!("<a href=\"{link}\">")), "the HTML links: {text}");

    // Asking changed nothing: his password and his session still work.
    login(&app, email, USER_PASSWORD).await;
    expect_json(ketut.get("/me").await, 200).await;

    // Asking again within a minute sends nothing more.
    assert_eq!(ask(&app, email).await.status(), 202);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let all = resets(&sink.received());
    assert_eq!(all.len(), 1, "one message a minute, none for an unknown address: {all:?}");

    // The token sets a new password once and signs him in; his other
    // sessions and his old password end.
    let set = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(api_url(app, "/auth/password"))
                .json(&json!({ "token": token, "new_password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    let signed_in = expect_json(set(token.clone(), "lingkaran-sebaya-kupang-7").await, 200).await;
    let fresh = Authed::new(&app, signed_in["access_token"].as_str().unwrap());
    expect_json(fresh.get("/me").await, 200).await;
    assert_problem(ketut.get("/me").await, 401, "unauthorized").await;
    assert_problem(login_response(&app, email, USER_PASSWORD).await, 401, "invalid_credentials").await;
    login(&app, email, "lingkaran-sebaya-kupang-7").await;
    let again = set(token, "another-password-entirely-9").await;
    assert_eq!(again.status(), 422, "a token works once");

    let url = DatabaseUrl::parse(&app.db.url).unwrap();
    let db = Database::connect(&url, &PoolOptions::default()).unwrap();
    let id = Uuid::parse_str(&ketut_id).unwrap();
    let actions: Vec<String> =
        db.read(|c| audit::for_entity(c, id)).unwrap().into_iter().map(|e| e.action).collect();
    assert!(
        actions.contains(&"password_reset_request".to_owned())
            && actions.contains(&"password_reset_complete".to_owned()),
        "{actions:?}"
    );
}

backend_test!(
    async fn a_server_without_e_mail_says_so_and_bad_requests_change_nothing(app) {
        assert_problem(ask(&app, "ketut.wirawan@dinsos.ntt.example.id").await, 409, "mail_unavailable").await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_requests_are_throttled_per_address() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((_sink, app)) = spawn_with_mail(backend, |_| {}).await else {
            continue;
        };
        assert_problem(ask(&app, "not an address").await, 422, "validation_failed").await;
        for n in 0..5 {
            assert_eq!(ask(&app, &format!("someone{n}@dinsos.ntt.example.id")).await.status(), 202);
        }
        let refused = ask(&app, "someone5@dinsos.ntt.example.id").await;
        assert!(refused.headers().get("retry-after").is_some(), "{:?}", refused.headers());
        let body = assert_problem(refused, 429, "too_many_reset_requests").await;
        assert!(
            body["detail"].as_str().unwrap().contains("Terlalu banyak permintaan"),
            "in the caller's language: {body}"
        );
    }
}
