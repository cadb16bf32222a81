//! The outcome report for the funder: exact figures for a known programme
//! (a draft that counts nowhere; an active plan with activities done on
//! time, late, open, overdue and cancelled, indicators judged against their
//! original and current targets, check-ins, change requests approved,
//! declined and open; a submitted plan), the same figures in the JSON, the
//! CSV and the HTML page, the page self-contained with its charts, who may
//! read it, and its two languages.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use followup_tests::api::{expect_json, id_of};
use followup_tests::plans::{
    cast, create_activity, create_indicator, create_plan, day, indicator_body, measurement_body, owner_today,
    plan_body, post_check_in, post_comment, record_measurement, today_at_offset, transition_ok, with, Cast,
    PLAN_TITLE,
};
use followup_tests::{assert_problem, backend_test, json, Value};
use reqwest::Method;

const DRAFT_TITLE: &str = "Rahasia draf: pelatihan relawan Sentra Handayani";
const MENTORS_ONLY: &str = "Catatan mentor saja: jangan dibagikan ke donor";
const TRAINING_ENDS_ON: &str = "2023-05-19";

/// The programme of the test: returns the active plan's id.
async fn build(cast: &Cast<'_>) -> String {
    // A draft of the other delegate, with an activity and an indicator: none of it counts.
    let draft = create_plan(
        &cast.other_delegate,
        &with(&plan_body(&cast.program_id), json!({ "title": DRAFT_TITLE })),
    )
    .await;
    let draft = id_of(&draft);
    create_activity(
        &cast.other_delegate,
        &draft,
        &json!({ "title": "Draft activity", "due_on": "2023-08-01" }),
    )
    .await;
    create_indicator(
        &cast.other_delegate,
        &draft,
        &indicator_body("Draft indicator", "people", 0.0, 10.0, "increase"),
    )
    .await;

    // The owner's plan runs from June 2023 to 200 days from now.
    let ends_on = day(owner_today(), 200);
    let plan =
        create_plan(&cast.owner, &with(&plan_body(&cast.program_id), json!({ "ends_on": ends_on }))).await;
    let id = id_of(&plan);
    for body in [
        json!({ "title": "Module drafted", "due_on": "2023-07-01", "status": "done", "completed_on": "2023-06-30" }),
        json!({ "title": "First training day", "due_on": "2023-07-01", "status": "done", "completed_on": "2023-07-15" }),
        json!({ "title": "Peer circles in two kelurahan", "due_on": "2023-09-01" }),
        json!({ "title": "Closing workshop", "due_on": day(owner_today(), 30) }),
        json!({ "title": "Study visit (cancelled)", "due_on": "2023-08-01", "status": "cancelled" }),
    ] {
        create_activity(&cast.owner, &id, &body).await;
    }
    let trained = id_of(
        &create_indicator(
            &cast.owner,
            &id,
            &indicator_body("Youth workers trained", "people", 0.0, 20.0, "increase"),
        )
        .await,
    );
    let circles = id_of(
        &create_indicator(
            &cast.owner,
            &id,
            &indicator_body("Peer circles running", "circles", 0.0, 5.0, "increase"),
        )
        .await,
    );
    let waiting = id_of(
        &create_indicator(
            &cast.owner,
            &id,
            &indicator_body("Days waiting for counselling", "days", 30.0, 10.0, "decrease"),
        )
        .await,
    );
    transition_ok(&cast.owner, &id, "submit", None).await;
    transition_ok(&cast.mentor, &id, "approve", None).await;
    record_measurement(&cast.owner, &trained, &measurement_body(19.0, "2023-10-01")).await;
    record_measurement(&cast.owner, &circles, &measurement_body(5.0, "2023-10-01")).await;
    for reported_on in ["2023-06-05", "2023-06-10", "2023-07-01"] {
        let body = json!({ "reported_on": reported_on, "summary": "Progress", "progress": "on_track", "confidence": 7 });
        post_check_in(&cast.owner, &id, &body).await;
    }
    post_comment(&cast.mentor, &id, &json!({ "body": MENTORS_ONLY, "visibility": "mentors" })).await;

    // Change requests: one approved (end date and a target), one declined, one open.
    let requests = format!("/plans/{id}/change-requests");
    let approved = json!({
        "reason": "Dua kelompok lagi ingin ikut.",
        "changes": { "ends_on": day(owner_today(), 300), "indicators": [{ "indicator_id": trained, "target": 40.0 }] }
    });
    let approved = id_of(&expect_json(cast.owner.post(&requests, &approved).await, 201).await);
    expect_json(cast.mentor.post(&format!("/change-requests/{approved}/approve"), &json!({})).await, 200)
        .await;
    let declined = json!({ "reason": "Lebih sedikit lingkaran.", "changes": { "indicators": [{ "indicator_id": circles, "target": 3.0 }] } });
    let declined = id_of(&expect_json(cast.owner.post(&requests, &declined).await, 201).await);
    expect_json(
        cast.mentor
            .post(&format!("/change-requests/{declined}/decline"), &json!({ "reason": "Tetap lima." }))
            .await,
        200,
    )
    .await;
    let open = json!({ "reason": "Target tunggu lebih realistis.", "changes": { "indicators": [{ "indicator_id": waiting, "target": 15.0 }] } });
    expect_json(cast.owner.post(&requests, &open).await, 201).await;

    // A submitted plan of the owner, with one activity without a due date.
    let submitted = id_of(&create_plan(&cast.owner, &plan_body(&cast.program_id)).await);
    create_activity(&cast.owner, &submitted, &json!({ "title": "Share the module with colleagues" })).await;
    transition_ok(&cast.owner, &submitted, "submit", None).await;

    // A discontinued plan of the owner: its planned activity is unfinished, not overdue.
    let stopped = id_of(&create_plan(&cast.owner, &plan_body(&cast.program_id)).await);
    create_activity(&cast.owner, &stopped, &json!({ "title": "Visit the shelters", "due_on": "2023-08-01" }))
        .await;
    transition_ok(&cast.owner, &stopped, "submit", None).await;
    transition_ok(&cast.mentor, &stopped, "approve", None).await;
    transition_ok(&cast.owner, &stopped, "discontinue", Some("The unit was reorganised.")).await;

    // A follow-up survey round opened two days ago; both delegates answered.
    let opened =
        (chrono::Utc::now().date_naive() - TRAINING_ENDS_ON.parse::<NaiveDate>().unwrap()).num_days() - 2;
    let round = json!({
        "title": { "id": "Survei tindak lanjut", "en": "Follow-up survey" },
        "days_after_training": opened,
        "questions": [
            { "key": "applied", "kind": "scale", "required": true, "prompt": { "id": "Seberapa sering? (1–5)", "en": "How often? (1–5)" } },
            { "key": "shared", "kind": "yes_no", "prompt": { "id": "Sudah berbagi materi?", "en": "Shared the material?" } },
            { "key": "story", "kind": "text", "prompt": { "id": "Satu perubahan?", "en": "One change?" } }
        ]
    });
    let round = id_of(
        &expect_json(
            cast.coordinator.post(&format!("/programs/{}/survey-rounds", cast.program_id), &round).await,
            201,
        )
        .await,
    );
    let response = format!("/survey-rounds/{round}/response");
    for (who, answers) in [
        (&cast.owner, json!({ "applied": 4, "shared": true, "story": SURVEY_STORY })),
        (&cast.other_delegate, json!({ "applied": 2, "shared": false })),
    ] {
        expect_json(
            who.request(Method::PUT, &response).json(&json!({ "answers": answers })).send().await.unwrap(),
            201,
        )
        .await;
    }
    id
}

const SURVEY_STORY: &str = "Kami mulai kunjungan rumah bersama kader.";

/// The report in a format and language, as `client`: status, headers, body text.
async fn fetch(
    client: &followup_tests::api::Authed<'_>,
    path: &str,
    lang: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = client.request(Method::GET, path);
    if let Some(lang) = lang {
        request = request.header("accept-language", lang);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.headers().clone(), response.text().await.unwrap())
}

/// A JSON value as the CSV and `data-value` write it.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_i64().map_or_else(|| n.as_f64().unwrap().to_string(), |i| i.to_string()),
        other => panic!("not a figure: {other}"),
    }
}

/// Every figure of the JSON body by its key.
fn json_figures(r: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |key: String, v: &Value| {
        assert!(out.insert(key.clone(), text(v)).is_none(), "{key} twice");
    };
    put("delegates".into(), &r["delegates"]);
    put("plans.total".into(), &r["plans"]["total"]);
    for (status, n) in r["plans"]["by_status"].as_object().unwrap() {
        put(format!("plans.{status}"), n);
    }
    for (key, n) in r["activities"].as_object().unwrap() {
        put(format!("activities.{key}"), n);
    }
    let i = &r["indicators"];
    put("indicators.total".into(), &i["total"]);
    put("indicators.target_changed".into(), &i["target_changed"]);
    for (against, prefix) in [("against_original", "original"), ("against_current", "current")] {
        for (key, n) in i[against].as_object().unwrap() {
            put(format!("indicators.{prefix}.{key}"), n);
        }
    }
    for (key, v) in r["check_ins"].as_object().unwrap() {
        if key != "delegates" {
            put(format!("check_ins.{key}"), v);
        }
    }
    for d in r["check_ins"]["delegates"].as_array().unwrap() {
        for (key, v) in d.as_object().unwrap() {
            if key != "user_id" && key != "display_name" {
                put(format!("check_ins.delegate.{}.{key}", d["user_id"].as_str().unwrap()), v);
            }
        }
    }
    for (key, n) in r["change_requests"].as_object().unwrap() {
        put(format!("change_requests.{key}"), n);
    }
    for round in r["surveys"].as_array().unwrap() {
        let prefix = format!("surveys.{}", round["round_id"].as_str().unwrap());
        for key in ["delegates", "responses", "response_rate"] {
            put(format!("{prefix}.{key}"), &round[key]);
        }
        for q in round["questions"].as_array().unwrap() {
            let key = format!("{prefix}.{}", q["key"].as_str().unwrap());
            put(format!("{key}.answered"), &q["answered"]);
            match q["kind"].as_str().unwrap() {
                "scale" => put(format!("{key}.mean"), &q["mean"]),
                "number" => {
                    for m in ["mean", "min", "max"] {
                        put(format!("{key}.{m}"), &q[m]);
                    }
                }
                _ => {}
            }
            for b in q["distribution"].as_array().unwrap() {
                put(format!("{key}.count.{}", b["value"].as_str().unwrap()), &b["count"]);
            }
        }
    }
    out
}

/// One CSV record's fields (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The CSV's figures by key, and its labels by key.
fn csv_figures(csv: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("section,key,label,value,delegate_id,delegate_name"));
    let (mut values, mut labels) = (BTreeMap::new(), BTreeMap::new());
    for line in lines {
        let f = csv_fields(line);
        assert_eq!(f.len(), 6, "{line}");
        assert!(values.insert(f[1].clone(), f[3].clone()).is_none(), "{} twice", f[1]);
        labels.insert(f[1].clone(), f[2].clone());
    }
    (values, labels)
}

/// The page's `data-figure` cells: key → `data-value`.
fn html_figures(html: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for piece in html.split("data-figure=\"").skip(1) {
        let (key, rest) = piece.split_once('"').unwrap();
        let value = rest.split_once("data-value=\"").unwrap().1.split_once('"').unwrap().0;
        assert!(out.insert(key.to_owned(), value.to_owned()).is_none(), "{key} twice");
    }
    out
}

fn days(from: &str, to: NaiveDate) -> i64 {
    (to - from.parse::<NaiveDate>().unwrap()).num_days()
}

fn share(part: i64, whole: i64) -> f64 {
    (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
}

backend_test!(
    async fn the_funder_reads_the_same_exact_figures_in_json_csv_and_html(app) {
        let cast = cast(&app).await;
        build(&cast).await;
        let path = format!("/programs/{}/outcome-report", cast.program_id);
        let (status, headers, body) = fetch(&cast.observer, &path, Some("en")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["content-language"], "en");
        let r: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(r["scope"], "programme");
        assert_eq!(r["program"]["funder"], "KOICA");
        assert_eq!(r["delegates"], 2);
        assert_eq!(r["plans"], json!({ "total": 3, "by_status": { "submitted": 1, "changes_requested": 0, "active": 1, "completed": 0, "discontinued": 1 } }));
        assert_eq!(r["activities"], json!({ "total": 7, "done_on_time": 1, "done_late": 1, "open": 2, "overdue": 1, "cancelled": 1, "unfinished": 1 }));
        // Trained: 19 of the original 20 with ~86% of the original period gone is on track,
        // 19 of the current 40 is behind; circles reached 5 of 5; waiting days not measured: behind.
        assert_eq!(r["indicators"], json!({
            "total": 3,
            "against_original": { "reached": 1, "on_track": 1, "behind": 1 },
            "against_current": { "reached": 1, "on_track": 0, "behind": 2 },
            "target_changed": 1
        }));
        assert_eq!(r["change_requests"], json!({ "total": 3, "approved": 1, "declined": 1, "open": 1, "moved_end_date": 1, "changed_target": 1 }));

        // Check-ins: 5 Jun (day 17, period 2), 10 Jun (day 22, period 2), 1 Jul (day 43, period 4).
        let follow_up_until: NaiveDate = r["program"]["follow_up_until"].as_str().unwrap().parse().unwrap();
        let owner_end = owner_today().min(follow_up_until);
        let expected = days(TRAINING_ENDS_ON, owner_end) / 14;
        let siti_end = today_at_offset(7).min(follow_up_until);
        let siti_expected = days(TRAINING_ENDS_ON, siti_end) / 14;
        let c = &r["check_ins"];
        assert_eq!((c["cadence_days"].as_i64(), c["made"].as_i64()), (Some(14), Some(3)));
        assert_eq!(c["expected"].as_i64(), Some(expected + siti_expected));
        assert_eq!(c["windows_on_schedule"], 2);
        let delegates = c["delegates"].as_array().unwrap();
        assert_eq!(delegates.len(), 2);
        // By name: Siti Rahmawati (only a draft: nothing made), then Yohanes Lado.
        assert_eq!(delegates[0], json!({
            "user_id": cast.other_delegate_id, "display_name": "Siti Rahmawati", "made": 0, "expected": siti_expected,
            "windows_on_schedule": 0, "share_on_schedule": 0.0, "longest_gap_days": days(TRAINING_ENDS_ON, siti_end),
            "last_reported_on": null
        }));
        assert_eq!(delegates[1], json!({
            "user_id": cast.owner_id, "display_name": "Yohanes Lado", "made": 3, "expected": expected,
            "windows_on_schedule": 2, "share_on_schedule": share(2, expected),
            "longest_gap_days": days("2023-07-01", owner_end), "last_reported_on": "2023-07-01"
        }));
        assert_eq!(r["labels"]["plans.active"], "Active");
        // The survey: both delegates answered; the free text stays out.
        let survey = &r["surveys"][0];
        assert_eq!((survey["delegates"].as_i64(), survey["responses"].as_i64(), survey["response_rate"].as_f64()), (Some(2), Some(2), Some(1.0)));
        let applied = &survey["questions"][0];
        assert_eq!((applied["answered"].as_i64(), applied["mean"].as_f64()), (Some(2), Some(3.0)));
        let counts: Vec<i64> = applied["distribution"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).collect();
        assert_eq!(counts, [0, 1, 0, 1, 0]);
        assert_eq!(survey["questions"][1]["distribution"], json!([{ "value": "yes", "label": "Yes", "count": 1 }, { "value": "no", "label": "No", "count": 1 }]));
        assert_eq!(survey["questions"][2]["answered"].as_i64(), Some(1));

        // The CSV and the page carry exactly the JSON's figures.
        let figures = json_figures(&r);
        assert_eq!(figures.len(), 7 + 7 + 8 + 5 + 6 + 12 + (3 + 7 + 3 + 1), "{figures:#?}");
        let (status, csv_headers, csv) = fetch(&cast.observer, &format!("{path}.csv"), Some("en")).await;
        assert_eq!(status, 200, "{csv}");
        assert_eq!(csv_headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(csv_headers["content-language"], "en");
        let (csv_values, csv_labels) = csv_figures(&csv);
        assert_eq!(csv_values, figures, "CSV against JSON");
        assert_eq!(csv_labels["activities.done_late"], "Done late");
        assert!(csv.contains(&format!("check_ins.delegate.{}.made,Check-ins made,3,{},Yohanes Lado", cast.owner_id, cast.owner_id)), "{csv}");
        let (status, html_headers, html) = fetch(&cast.observer, &format!("{path}.html"), Some("en")).await;
        assert_eq!(status, 200, "{html}");
        assert_eq!(html_headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(html_headers["content-language"], "en");
        assert_eq!(html_figures(&html), figures, "HTML against JSON");

        // The page is self-contained: charts inline, nothing to run or load.
        let csp = html_headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'") && csp.contains("style-src 'unsafe-inline'") && !csp.contains("script-src"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(html.matches("<svg").count() >= 4, "at least four charts");
        assert!(html.contains("id=\"chart-survey-1\""), "the survey's chart");
        assert_eq!(html.matches("role=\"img\"").count(), html.matches("<svg").count(), "every chart is labelled");
        assert!(html.contains("<title>Plans by status</title>"));
        for banned in ["<script", "http://", "https://", "<link", "<img", "@import", "url("] {
            assert!(!html.contains(banned), "the page holds {banned}");
        }
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));

        // Nothing of a draft, no comment, no plan text, in any format.
        for (format, content) in [("json", &body), ("csv", &csv), ("html", &html)] {
            for secret in [DRAFT_TITLE, MENTORS_ONLY, PLAN_TITLE, "Draft indicator", "Dua kelompok lagi", SURVEY_STORY] {
                assert!(!content.contains(secret), "{format} holds {secret:?}");
            }
        }
    }
);

backend_test!(
    async fn who_may_read_the_outcome_report(app) {
        let cast = cast(&app).await;
        build(&cast).await;
        let path = format!("/programs/{}/outcome-report", cast.program_id);
        for suffix in ["", ".csv", ".html"] {
            let path = format!("{path}{suffix}");
            for client in [&cast.observer, &cast.coordinator, &cast.admin, &cast.mentor] {
                assert_eq!(client.get(&path).await.status(), 200, "{path}");
            }
            assert_problem(cast.owner.get(&path).await, 403, "forbidden").await;
            assert_problem(cast.other_delegate.get(&path).await, 403, "forbidden").await;
            assert_problem(cast.outsider.get(&path).await, 404, "not_found").await;
            let missing = format!("/programs/01939c4e-7a10-7c1d-9e2f-3a4b5c6d7e8f/outcome-report{suffix}");
            assert_problem(cast.admin.get(&missing).await, 404, "not_found").await;
            let anonymous = app.client.get(app.url(&format!("/api/v1{path}"))).send().await.unwrap();
            assert_eq!(anonymous.status(), 401, "{path}");
        }
        // A mentor's report covers his mentees only.
        let mine = cast.mentor.get_ok(&path).await;
        assert_eq!((mine["scope"].as_str(), mine["delegates"].as_i64()), (Some("mentees"), Some(1)));
        assert_eq!(mine["plans"]["total"], 3);
        let other = cast.other_mentor.get_ok(&path).await;
        assert_eq!((other["delegates"].as_i64(), other["plans"]["total"].as_i64()), (Some(1), Some(0)), "the other mentor's mentee has a draft only");
        assert_eq!(cast.coordinator.get_ok(&path).await["plans"]["total"], 3, "not even a coordinator sees the draft here");
    }
);

backend_test!(
    async fn the_report_speaks_indonesian_or_english(app) {
        let cast = cast(&app).await;
        build(&cast).await;
        let path = format!("/programs/{}/outcome-report", cast.program_id);
        let (_, en_headers, en) = fetch(&cast.observer, &format!("{path}.html"), Some("en")).await;
        let (_, id_headers, id) = fetch(&cast.observer, &format!("{path}.html"), Some("id-ID, en;q=0.5")).await;
        assert_eq!((en_headers["content-language"].to_str().unwrap(), id_headers["content-language"].to_str().unwrap()), ("en", "id"));
        assert!(en.contains("<title>Plans by status</title>") && !en.contains("Rencana aksi menurut status"));
        assert!(id.contains("<title>Rencana aksi menurut status</title>") && !id.contains("Plans by status"));
        assert!(id.starts_with("<!DOCTYPE html><html lang=\"id\">"));
        assert_eq!(html_figures(&en), html_figures(&id), "the same figures");

        let (_, _, en_csv) = fetch(&cast.observer, &format!("{path}.csv"), Some("en")).await;
        let (_, _, id_csv) = fetch(&cast.observer, &format!("{path}.csv"), Some("id")).await;
        let (en_values, en_labels) = csv_figures(&en_csv);
        let (id_values, id_labels) = csv_figures(&id_csv);
        assert_eq!(en_values, id_values);
        assert_eq!((en_labels["plans.active"].as_str(), id_labels["plans.active"].as_str()), ("Active", "Aktif"));
        assert_eq!(id_labels["activities.open"], "Berjalan, belum jatuh tempo");

        let (_, id_json_headers, id_json) = fetch(&cast.observer, &path, Some("id")).await;
        let id_json: Value = serde_json::from_str(&id_json).unwrap();
        assert_eq!(id_json_headers["content-language"], "id");
        assert_eq!((id_json["language"].as_str(), id_json["labels"]["plans.active"].as_str()), (Some("id"), Some("Aktif")));
        assert!(id_json["plans"]["by_status"]["active"].is_number(), "keys stay the same");

        // Without Accept-Language the caller's own language is used.
        expect_json(cast.observer.patch("/me", &json!({ "locale": "id" })).await, 200).await;
        let (_, own_headers, own) = fetch(&cast.observer, &format!("{path}.csv"), None).await;
        assert_eq!(own_headers["content-language"], "id");
        assert!(own.contains(",Aktif,"), "{own}");
    }
);
