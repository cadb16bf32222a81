//! Follow-up surveys: a coordinator's 30-day round opens on its day in each
//! delegate's own time zone (Jayapura here) and not a day earlier; delegates
//! answer once and may change their answers with If-Match; the results add
//! up for a fixed set of answers; observers see the aggregates but no free
//! text unless the round allows it; mentors see their mentees' answers.

use followup_tests::api::{add_member, add_mentorship, assert_field_error, expect_json, id_of};
use followup_tests::plans::{cast, day, etag, new_person, today_at_offset};
use followup_tests::{assert_problem, backend_test, json, TestApp, Value};
use reqwest::Method;

/// The example of a new round the server documents (`CreateSurveyRoundBody`
/// in /api-docs/openapi.json): five questions, one of each kind.
async fn round_example(app: &TestApp) -> Value {
    let document: Value = app.get("/api-docs/openapi.json").await.json().await.unwrap();
    let example = document["components"]["schemas"]["CreateSurveyRoundBody"]["example"].clone();
    let kinds: Vec<&str> =
        example["questions"].as_array().unwrap().iter().map(|q| q["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["scale", "number", "yes_no", "choice", "text"], "the documented example: {example}");
    example
}

/// The documented example, `days` days after the training, titled `title_en`.
fn round_body(example: &Value, days: i64, title_en: &str) -> Value {
    let mut body = example.clone();
    body["title"] = json!({ "id": "Survei tindak lanjut", "en": title_en });
    body["days_after_training"] = json!(days);
    body
}

fn question<'a>(results: &'a Value, key: &str) -> &'a Value {
    results["questions"].as_array().unwrap().iter().find(|q| q["key"] == key).unwrap()
}

fn counts(q: &Value) -> Vec<i64> {
    q["distribution"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).collect()
}

backend_test!(
    async fn a_round_opens_on_its_day_in_jayapura_and_its_results_add_up(app) {
        let cast = cast(&app).await;
        let example = round_example(&app).await;
        let jayapura_today = today_at_offset(9);
        cast.training_ended(jayapura_today, 30).await;
        let papua = cast.papua_delegates().await;
        // Far behind Jayapura: 20 hours earlier, the previous day until 11:00 UTC.
        let (samoa_id, samoa) = new_person(&app, &cast.admin.token, "tavita.leota@example.ws", "Tavita Leota", "Pacific/Pago_Pago", None).await;
        add_member(&app, &cast.admin.token, &cast.program_id, &samoa_id, "delegate").await;
        add_mentorship(&app, &cast.admin.token, &cast.program_id, &cast.mentor_id, &papua[0].0).await;

        let rounds = format!("/programs/{}/survey-rounds", cast.program_id);
        assert_problem(cast.owner.post(&rounds, &round_body(&example, 30, "30-day survey")).await, 403, "forbidden").await;
        assert_problem(cast.observer.post(&rounds, &round_body(&example, 30, "30-day survey")).await, 403, "forbidden").await;
        assert_problem(cast.outsider.post(&rounds, &round_body(&example, 30, "30-day survey")).await, 404, "not_found").await;
        let day30 = expect_json(cast.coordinator.post(&rounds, &round_body(&example, 30, "30-day survey")).await, 201).await;
        let day31 = expect_json(cast.coordinator.post(&rounds, &round_body(&example, 31, "31-day survey")).await, 201).await;
        let (r30, r31) = (format!("/survey-rounds/{}", id_of(&day30)), format!("/survey-rounds/{}", id_of(&day31)));
        assert_eq!(day30["opens_on"], jayapura_today.to_string());
        assert_eq!(day30["closes_on"], day(jayapura_today, 13));

        // Open on its day in Jayapura; the 31-day round not a day earlier.
        let (markus, agus, maria) = (&papua[0].1, &papua[1].1, &papua[2].1);
        let seen = markus.get_ok(&r30).await;
        assert_eq!((seen["state"].as_str(), seen["answered"].as_bool()), (Some("open"), Some(false)));
        assert_eq!(markus.get_ok(&r31).await["state"], "upcoming");
        let answers = |applied: i64, families: Option<i64>, shared: bool, setting: &str, story: Option<&str>| {
            let mut a = json!({ "applied": applied, "shared": shared, "setting": setting });
            if let Some(f) = families { a["families"] = json!(f); }
            if let Some(s) = story { a["story"] = json!(s); }
            json!({ "answers": a })
        };
        let put = |who: &followup_tests::api::Authed<'_>, path: String, body: Value| {
            let request = who.request(Method::PUT, &path).json(&body);
            async move { request.send().await.unwrap() }
        };
        let early = answers(4, Some(12), true, "field", None);
        assert_problem(put(markus, format!("{r31}/response"), early.clone()).await, 409, "survey_round_not_open").await;
        // Samoa's date is Jayapura's or the day before: the round follows it.
        let samoa_today = today_at_offset(-11);
        let expected = if samoa_today < jayapura_today { "upcoming" } else { "open" };
        assert_eq!(samoa.get_ok(&r30).await["state"], expected, "Samoa's today is {samoa_today}");
        if expected == "upcoming" {
            assert_problem(put(&samoa, format!("{r30}/response"), early.clone()).await, 409, "survey_round_not_open").await;
        }
        assert_problem(put(&cast.mentor, format!("{r30}/response"), early.clone()).await, 403, "forbidden").await;

        // Answers that do not fit change nothing.
        for (bad, field) in [
            (answers(6, None, true, "field", None), "answers.applied"),
            (answers(4, None, true, "garden", None), "answers.setting"),
            (json!({ "answers": { "shared": true } }), "answers.applied"),
            (json!({ "answers": { "applied": 4, "shared": true, "mood": "good" } }), "answers.mood"),
        ] {
            let problem = assert_problem(put(markus, format!("{r30}/response"), bad).await, 422, "validation_failed").await;
            assert_field_error(&problem, field, None);
        }
        assert_problem(markus.get(&format!("{r30}/response")).await, 404, "not_found").await;

        // Three Papuan delegates answer: a fixed set of answers.
        let first = put(markus, format!("{r30}/response"), early.clone()).await;
        let markus_etag = etag(&first);
        let first = expect_json(first, 201).await;
        assert_eq!(first["answers"]["families"].as_f64(), Some(12.0));
        expect_json(put(agus, format!("{r30}/response"), answers(5, None, true, "both", Some("Kami mulai kunjungan rumah bersama kader PKK."))).await, 201).await;
        expect_json(put(maria, format!("{r30}/response"), answers(3, Some(30), false, "field", Some("Belum ada anggaran transportasi."))).await, 201).await;

        // Answered once; changed with If-Match only.
        assert_problem(put(markus, format!("{r30}/response"), early.clone()).await, 428, "precondition_required").await;
        let stale = markus.request(Method::PUT, &format!("{r30}/response")).header("If-Match", "\"9\"").json(&early).send().await.unwrap();
        assert_problem(stale, 412, "precondition_failed").await;
        let changed = answers(4, Some(14), true, "field", None);
        let changed = markus.request(Method::PUT, &format!("{r30}/response")).header("If-Match", markus_etag).json(&changed).send().await.unwrap();
        let changed = expect_json(changed, 200).await;
        assert_eq!((changed["version"].as_i64(), changed["answers"]["families"].as_f64()), (Some(2), Some(14.0)));
        assert_eq!(markus.get_ok(&format!("{r30}/response")).await["answers"]["families"].as_f64(), Some(14.0));

        // The aggregate for the whole programme (coordinator).
        let results = cast.coordinator.get_ok(&format!("{r30}/results")).await;
        assert_eq!((results["delegates"].as_i64(), results["responses"].as_i64()), (Some(6), Some(3)));
        let applied = question(&results, "applied");
        assert_eq!((applied["answered"].as_i64(), applied["mean"].as_f64()), (Some(3), Some(4.0)));
        assert_eq!(counts(applied), [0, 0, 1, 1, 1]);
        let families = question(&results, "families");
        assert_eq!((families["answered"].as_i64(), families["mean"].as_f64()), (Some(2), Some(22.0)));
        assert_eq!((families["min"].as_f64(), families["max"].as_f64()), (Some(14.0), Some(30.0)));
        assert_eq!(counts(question(&results, "shared")), [2, 1]);
        assert_eq!(counts(question(&results, "setting")), [0, 2, 1]);
        let story = question(&results, "story");
        assert_eq!(story["answered"].as_i64(), Some(2));
        assert_eq!(story["texts"].as_array().map(Vec::len), Some(2));

        // The observer: the same figures, no free text until the round allows it.
        let observed = cast.observer.get_ok(&format!("{r30}/results")).await;
        assert_eq!(question(&observed, "applied")["mean"].as_f64(), Some(4.0));
        assert!(question(&observed, "story")["texts"].is_null(), "{observed}");
        assert!(!observed.to_string().contains("anggaran"), "no free text reaches the observer");
        assert_problem(cast.observer.get(&format!("{r30}/responses")).await, 403, "forbidden").await;
        assert_problem(markus.get(&format!("{r30}/results")).await, 403, "forbidden").await;
        expect_json(cast.coordinator.patch(&r30, &json!({ "observers_see_text": true })).await, 200).await;
        let observed = cast.observer.get_ok(&format!("{r30}/results")).await;
        assert_eq!(question(&observed, "story")["texts"].as_array().map(Vec::len), Some(2));

        // Who answered: the coordinator sees everyone, the mentor his mentee.
        let roster = cast.coordinator.get_ok(&format!("{r30}/responses")).await;
        let answered: Vec<&str> = roster["items"].as_array().unwrap().iter().filter(|e| e["answered"] == true).map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(answered, ["Agus Kogoya", "Maria Yewi", "Markus Wenda"]);
        assert_eq!(roster["items"].as_array().unwrap().len(), 6);
        let mentees = cast.mentor.get_ok(&format!("{r30}/responses")).await;
        let names: Vec<&str> = mentees["items"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Markus Wenda", "Yohanes Lado"]);
        assert_eq!(mentees["items"][0]["response"]["answers"]["applied"].as_f64(), Some(4.0));
        assert_eq!(cast.mentor.get_ok(&format!("{r30}/results")).await["responses"].as_i64(), Some(1));
        // Yohanes (Makassar, an hour behind Jayapura) has not answered the open round.
        let open_for_yohanes = i64::from(today_at_offset(8) >= jayapura_today);
        let overview = cast.mentor.get_ok("/mentor/overview").await;
        let row = |id: &str| overview["items"].as_array().unwrap().iter().find(|r| r["delegate_id"] == id).cloned().unwrap();
        assert_eq!(row(&cast.owner_id)["surveys_unanswered"].as_i64(), Some(open_for_yohanes), "{overview}");
        assert_eq!(row(&papua[0].0)["surveys_unanswered"].as_i64(), Some(0), "Markus answered");
        let dashboard = cast.coordinator.get_ok(&format!("/programs/{}/dashboard", cast.program_id)).await;
        let open_for_samoa = i64::from(samoa_today >= jayapura_today);
        let open_for_jakarta = i64::from(today_at_offset(7) >= jayapura_today);
        assert_eq!(dashboard["surveys_unanswered"].as_i64(), Some(open_for_yohanes + open_for_jakarta + open_for_samoa), "{dashboard}");

        // Answered questions stay; an answered round stays.
        let reworded = json!({ "questions": example["questions"].as_array().unwrap()[..1] });
        assert_problem(cast.coordinator.patch(&r30, &reworded).await, 409, "survey_round_answered").await;
        assert_problem(cast.coordinator.delete(&r30).await, 409, "survey_round_answered").await;
        expect_json(cast.coordinator.patch(&r31, &reworded).await, 200).await;

        // The change feed: rounds for every member, a response for its delegate and mentor only.
        let synced = |feed: &Value, kind: &str| feed["items"].as_array().unwrap().iter().filter(|i| i["type"] == kind).count();
        let feed = markus.get_ok("/sync?limit=500").await;
        assert_eq!((synced(&feed, "survey_round"), synced(&feed, "survey_response")), (2, 1), "{feed}");
        let feed = cast.observer.get_ok("/sync?limit=500").await;
        assert_eq!((synced(&feed, "survey_round"), synced(&feed, "survey_response")), (2, 0));
        let feed = cast.mentor.get_ok("/sync?limit=500").await;
        assert_eq!(synced(&feed, "survey_response"), 1);
        let feed = cast.other_delegate.get_ok("/sync?limit=500").await;
        assert_eq!(synced(&feed, "survey_response"), 0);

        // A round nobody answered can go.
        expect_json(cast.coordinator.get(&r31).await, 200).await;
        assert_eq!(cast.coordinator.delete(&r31).await.status(), 204);
        assert_problem(cast.coordinator.get(&r31).await, 404, "not_found").await;
    }
);

backend_test!(
    async fn a_round_that_cannot_be_answered_is_refused(app) {
        let cast = cast(&app).await;
        let example = round_example(&app).await;
        let rounds = format!("/programs/{}/survey-rounds", cast.program_id);
        let mut bad = round_body(&example, 30, "30-day survey");
        bad["questions"][1]["key"] = json!("applied");
        bad["questions"][0]["choices"] = json!([{ "key": "a", "label": { "id": "A", "en": "A" } }]);
        bad["questions"][3]["choices"] = json!([{ "key": "office", "label": { "id": "Kantor", "en": "Office" } }]);
        bad["title"]["en"] = json!("  ");
        bad["days_after_training"] = json!(4000);
        let problem = assert_problem(cast.coordinator.post(&rounds, &bad).await, 422, "validation_failed").await;
        for field in ["questions[1].key", "questions[0].choices", "questions[3].choices", "title.en", "days_after_training"] {
            assert_field_error(&problem, field, None);
        }
        assert!(cast.coordinator.get_ok(&rounds).await["items"].as_array().unwrap().is_empty(), "nothing was defined");
        assert_problem(cast.outsider.get(&rounds).await, 404, "not_found").await;
    }
);
