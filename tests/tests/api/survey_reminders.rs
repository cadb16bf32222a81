//! A follow-up survey round that is open brings each delegate who has not
//! answered it one reminder, in their morning and language; nothing to one
//! who answered or turned the kind off.

use chrono::{Duration, Timelike, Utc};
use followup_tests::api::{add_member, expect_json, id_of};
use followup_tests::plans::{cast, day, new_person, today_at_offset};
use followup_tests::smtp::{Received, SmtpSink};
use followup_tests::{json, Backend, TestApp};
use reqwest::Method;

fn to(received: &[Received], address: &str) -> Vec<Received> {
    received.iter().filter(|m| m.to.iter().any(|t| t == address)).cloned().collect()
}

/// The next noon in Jayapura (03:00 UTC) from now: the scheduler's clock,
/// a morning for every delegate here whatever the hour the test runs.
fn next_noon_in_jayapura() -> String {
    let now = Utc::now();
    let mut noon = now.date_naive().and_hms_opt(3, 0, 0).unwrap().and_utc();
    if noon < now || now.hour() >= 3 {
        noon += Duration::days(1);
    }
    noon.to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_round_reminds_who_has_not_answered_sqlite() {
    reminded_of_an_open_round(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_round_reminds_who_has_not_answered_postgres() {
    reminded_of_an_open_round(Backend::Postgres).await;
}

async fn reminded_of_an_open_round(backend: Backend) {
    let sink = SmtpSink::start().await;
    let smtp = sink.url.clone();
    let Some(app) = TestApp::spawn_with(backend, move |cfg| {
        cfg.run_worker = true;
        cfg.worker.worker_interval_ms = 50;
        cfg.worker.scheduler_interval = 1;
        cfg.worker.clock = Some(next_noon_in_jayapura());
        cfg.worker.smtp_url = Some(smtp);
        cfg.worker.mail_from = "Followup KOICA <followup@koica.example.org>".into();
    })
    .await
    else {
        return;
    };
    let cast = cast(&app).await;
    // The round opened three days ago in Jayapura and stays open two weeks:
    // open both now and at the scheduler's noon.
    let today = today_at_offset(9);
    let program = format!("/programs/{}", cast.program_id);
    let dates = json!({ "training_starts_on": day(today, -44), "training_ends_on": day(today, -33) });
    expect_json(cast.admin.patch(&program, &dates).await, 200).await;
    let mut people = Vec::new();
    for (email, name) in [
        ("markus.wenda@dinsos.papua.go.id", "Markus Wenda"),
        ("agus.kogoya@dinsos.papua.go.id", "Agus Kogoya"),
        ("maria.yewi@dinsos.papua.go.id", "Maria Yewi"),
    ] {
        let (id, client) = new_person(&app, &cast.admin.token, email, name, "Asia/Jayapura", None).await;
        add_member(&app, &cast.admin.token, &cast.program_id, &id, "delegate").await;
        people.push((email, client));
    }
    expect_json(people[0].1.patch("/me", &json!({ "locale": "id" })).await, 200).await;
    expect_json(people[1].1.patch("/me/notifications", &json!({ "survey_due": false })).await, 200).await;
    let body = json!({
        "title": { "id": "Survei 30 hari", "en": "30-day survey" },
        "days_after_training": 30,
        "open_days": 14,
        "questions": [{ "key": "applied", "kind": "scale", "required": true,
            "prompt": { "id": "Seberapa sering Anda menerapkannya? (1–5)", "en": "How often do you apply it? (1–5)" } }]
    });
    let round = expect_json(
        cast.coordinator.post(&format!("/programs/{}/survey-rounds", cast.program_id), &body).await,
        201,
    )
    .await;
    let answer = json!({ "answers": { "applied": 4 } });
    let path = format!("/survey-rounds/{}/response", id_of(&round));
    expect_json(people[2].1.request(Method::PUT, &path).json(&answer).send().await.unwrap(), 201).await;

    let received = sink.wait_for("Markus's survey reminder", |r| !to(r, people[0].0).is_empty()).await;
    let mail = &to(&received, people[0].0)[0];
    assert_eq!(mail.header("Subject"), "Survei tindak lanjut dibuka: Survei 30 hari");
    let text = mail.text();
    assert!(text.contains("Halo Markus Wenda,"), "{text}");
    assert!(text.contains(&format!("PUT /api/v1{path}")), "says where to answer: {text}");
    assert!(text.contains("{\"survey_due\": false}"), "says how to stop: {text}");
    // Once only; nothing to who turned it off or answered.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let received = sink.received();
    let surveys = |address: &str| {
        to(&received, address)
            .iter()
            .filter(|m| {
                let subject = m.header("Subject");
                subject.starts_with("Survei tindak lanjut dibuka")
                    || subject.starts_with("Follow-up survey open")
            })
            .count()
    };
    assert_eq!(surveys(people[0].0), 1, "one reminder per round");
    assert_eq!(surveys(people[1].0), 0, "Agus turned survey reminders off");
    assert_eq!(surveys(people[2].0), 0, "Maria answered");
    let siti = cast.other_delegate.get_ok("/me").await["email"].as_str().unwrap().to_owned();
    assert_eq!(surveys(&siti), 1, "Siti has not answered: reminded, in English, by her morning");
}
