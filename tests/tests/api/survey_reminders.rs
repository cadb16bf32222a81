//! A follow-up survey round that is open brings each delegate who has not
//! answered it one reminder, in their morning and language; nothing to one
//! who answered or turned the kind off.

use chrono::{Duration, Timelike, Utc};
use followup_tests::api::{expect_json, id_of};
use followup_tests::plans::{cast, today_at_offset, PAPUA_DELEGATES};
use followup_tests::smtp::{scheduled_mail, spawn_with_mail, to};
use followup_tests::{json, on_both_backends, Backend};
use reqwest::Method;

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

on_both_backends!(
    reminded_of_an_open_round:
    an_open_round_reminds_who_has_not_answered_sqlite,
    an_open_round_reminds_who_has_not_answered_postgres
);

async fn reminded_of_an_open_round(backend: Backend) {
    let Some((sink, app)) =
        spawn_with_mail(backend, |cfg| scheduled_mail(cfg, next_noon_in_jayapura())).await
    else {
        return;
    };
    let cast = cast(&app).await;
    // The round opened three days ago in Jayapura and stays open two weeks:
    // open both now and at the scheduler's noon.
    let today = today_at_offset(9);
    cast.training_ended(today, 33).await;
    let people = cast.papua_delegates().await;
    let [markus, agus, maria] = PAPUA_DELEGATES.map(|(email, _)| email);
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

    let received = sink.wait_for("Markus's survey reminder", |r| !to(r, markus).is_empty()).await;
    let mail = &to(&received, markus)[0];
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
    assert_eq!(surveys(markus), 1, "one reminder per round");
    assert_eq!(surveys(agus), 0, "Agus turned survey reminders off");
    assert_eq!(surveys(maria), 0, "Maria answered");
    let siti = cast.other_delegate.get_ok("/me").await["email"].as_str().unwrap().to_owned();
    assert_eq!(surveys(&siti), 1, "Siti has not answered: reminded, in English, by her morning");
}
