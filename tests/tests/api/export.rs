//! The programme export for funders (`GET /programs/{id}/export.csv`): read
//! back with a real CSV reader, it holds exactly the plans (or activities)
//! the caller may see through the API, neutralises spreadsheet formulas,
//! keeps any text intact and streams every row, however many pages it takes.

use std::collections::BTreeSet;

use followup_tests::api::{assert_field_error, expect_json, id_of, Authed};
use followup_tests::files::{attach, pdf};
use followup_tests::plans::{
    activity_body, all_ids, all_items, cast, check_in_body, comment_body, create_activity, create_indicator,
    create_plan, day, indicator_body, measurement_body, owner_today, plan_body, post_check_in, post_comment,
    transition_ok, with, Cast, Role, PROGRAM_CODE,
};
use followup_tests::{assert_problem, backend_test, json};

const PLAN_HEADER: [&str; 20] = [
    "program_code",
    "plan_id",
    "delegate_name",
    "delegate_email",
    "organization",
    "plan_title",
    "status",
    "starts_on",
    "ends_on",
    "activities_total",
    "activities_done",
    "activities_overdue",
    "latest_check_in_on",
    "latest_check_in_progress",
    "indicators",
    "indicators_detail",
    "evidence_files",
    "mentors",
    "created_at",
    "updated_at",
];

const ACTIVITY_HEADER: [&str; 11] = [
    "program_code",
    "plan_id",
    "plan_title",
    "delegate_name",
    "activity_id",
    "activity_title",
    "status",
    "due_on",
    "completed_on",
    "overdue",
    "evidence_files",
];

/// A parsed export: the header and the records, as a user's spreadsheet would see them.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn column(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
    }

    fn values(&self, name: &str) -> Vec<String> {
        let i = self.column(name);
        self.rows.iter().map(|r| r[i].clone()).collect()
    }

    /// The row whose `plan_id` (or `activity_id`) is `id`.
    fn row(&self, key: &str, id: &str) -> &Vec<String> {
        let i = self.column(key);
        self.rows.iter().find(|r| r[i] == id).unwrap_or_else(|| panic!("no row with {key} {id}"))
    }

    fn cell(&self, row: &[String], name: &str) -> String {
        row[self.column(name)].clone()
    }
}

/// GET the export as `client`; asserts 200 and the CSV headers, parses the body strictly.
async fn export(client: &Authed<'_>, program_id: &str, query: &str) -> (Csv, String) {
    let response = client.get(&format!("/programs/{program_id}/export.csv{query}")).await;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "export: {text}");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(!text.starts_with('\u{feff}'), "no byte-order mark");
    assert!(text.ends_with("\r\n"), "records end with CRLF");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let header_row: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<String>>())
        .collect::<Vec<_>>();
    (Csv { header: header_row, rows }, disposition)
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

backend_test!(
    async fn the_export_holds_exactly_the_plans_each_caller_may_see(app) {
        let cast = cast(&app).await;
        let pid = cast.program_id.clone();
        let owner_draft = id_of(&cast.draft_plan().await);
        let owner_active = id_of(&cast.plan_in("active").await);
        let other_draft = id_of(&create_plan(&cast.other_delegate, &plan_body(&pid)).await);
        let other_submitted = id_of(&create_plan(&cast.other_delegate, &plan_body(&pid)).await);
        transition_ok(&cast.other_delegate, &other_submitted, "submit", None).await;
        // A plan of another programme never appears.
        create_plan(&cast.outsider, &plan_body(&cast.other_program_id)).await;
        let secret = "Mentors only: watch the workload of this unit";
        post_comment(&cast.mentor, &owner_active, &comment_body(secret, "mentors")).await;

        let all = set(&[&owner_draft, &owner_active, &other_draft, &other_submitted]);
        let expected: [(Role, BTreeSet<String>); 6] = [
            (Role::Coordinator, all.clone()),
            (Role::Admin, all),
            (Role::Mentor, set(&[&owner_draft, &owner_active])),
            (Role::OtherMentor, set(&[&other_draft, &other_submitted])),
            (Role::Observer, set(&[&owner_active, &other_submitted])),
            (Role::Owner, set(&[&owner_draft, &owner_active])),
        ];
        for (role, ids) in expected {
            let client = cast.as_role(role);
            let (csv, disposition) = export(client, &pid, "").await;
            assert_eq!(csv.header, PLAN_HEADER, "{}: header", role.name());
            assert_eq!(disposition, format!("attachment; filename=\"{PROGRAM_CODE}-plans.csv\""));
            let exported: Vec<String> = csv.values("plan_id");
            assert_eq!(exported.iter().cloned().collect::<BTreeSet<_>>(), ids, "{}: the rows", role.name());
            assert_eq!(exported.len(), ids.len(), "{}: one row per plan", role.name());
            // The same plans, in the same (creation) order, as the API lists.
            let listed = all_ids(client, &format!("/plans?program_id={pid}")).await;
            assert_eq!(exported, listed, "{}: the export agrees with GET /plans", role.name());
            assert!(csv.values("program_code").iter().all(|c| c == PROGRAM_CODE));
            let body = csv.rows.concat().join(",");
            assert!(!body.contains(secret), "{}: no comment is ever exported", role.name());
        }

        // The activity level follows the same rule.
        create_activity(&cast.owner, &owner_draft, &activity_body("Draft-plan activity", None)).await;
        create_activity(&cast.other_delegate, &other_draft, &activity_body("Other draft activity", None)).await;
        let (csv, disposition) = export(&cast.observer, &pid, "?level=activity").await;
        assert_eq!(csv.header, ACTIVITY_HEADER);
        assert_eq!(disposition, format!("attachment; filename=\"{PROGRAM_CODE}-activities.csv\""));
        assert!(csv.rows.is_empty(), "the observer sees no activity of a draft: {:?}", csv.rows);
        let (csv, _) = export(&cast.mentor, &pid, "?level=activity").await;
        assert_eq!(csv.values("activity_title"), ["Draft-plan activity"], "the mentor: his mentee's only");

        // Outsiders get 404, no token 401, a bad level 422 naming it.
        let response = cast.outsider.get(&format!("/programs/{pid}/export.csv")).await;
        assert_problem(response, 404, "not_found").await;
        let response = app.client.get(app.url(&format!("/api/v1/programs/{pid}/export.csv"))).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let response = cast.coordinator.get(&format!("/programs/{pid}/export.csv?level=measurement")).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_field_error(&problem, "level", None);
    }
);

backend_test!(
    async fn a_plan_row_sums_up_the_plan_as_the_api_shows_it(app) {
        let cast = cast(&app).await;
        let plan = cast.plan_in("active").await;
        let id = id_of(&plan);
        let overdue = create_activity(&cast.owner, &id, &activity_body("Train the first group", Some("2023-07-01"))).await;
        let done = json!({ "title": "Translate the module", "due_on": "2023-06-15", "status": "done", "completed_on": "2023-06-14" });
        create_activity(&cast.owner, &id, &done).await;
        create_activity(&cast.owner, &id, &activity_body("Share the results", None)).await;
        let trained = create_indicator(&cast.owner, &id, &indicator_body("Youth workers trained", "people", 0.0, 20.0, "increase")).await;
        create_indicator(&cast.owner, &id, &indicator_body("Weeks to a first counselling session", "weeks", 6.0, 2.0, "decrease")).await;
        let today = owner_today();
        let measurements = format!("/indicators/{}/measurements", id_of(&trained));
        expect_json(cast.owner.post(&measurements, &measurement_body(7.0, &day(today, -3))).await, 201).await;
        // The owner gets a second mentor: both are named, sorted.
        followup_tests::api::add_mentorship(&app, &cast.admin.token, &cast.program_id, &cast.other_mentor_id, &cast.owner_id).await;
        let first = post_check_in(&cast.owner, &id, &check_in_body(&day(today, -20), "First month")).await;
        let mut late = check_in_body(&day(today, -1), "Second month");
        late["progress"] = json!("at_risk");
        post_check_in(&cast.owner, &id, &late).await;
        // Evidence: two files on a check-in, one on an activity, one on a
        // measurement count; a comment's file does not (no comment is exported).
        let check_in = format!("/check-ins/{}", id_of(&first));
        attach(&cast.owner, &check_in, "foto-kegiatan.pdf", pdf(2_000)).await;
        attach(&cast.owner, &check_in, "daftar-hadir.pdf", pdf(3_000)).await;
        attach(&cast.owner, &format!("/activities/{}", id_of(&overdue)), "undangan.pdf", pdf(1_000)).await;
        let measured = all_items(&cast.owner, &measurements).await;
        attach(&cast.owner, &format!("/measurements/{}", id_of(&measured[0])), "rekap.pdf", pdf(1_000)).await;
        let note = post_comment(&cast.mentor, &id, &comment_body("Catatan untuk para mentor.", "mentors")).await;
        attach(&cast.mentor, &format!("/comments/{}", id_of(&note)), "catatan.pdf", pdf(1_000)).await;

        let (csv, _) = export(&cast.coordinator, &cast.program_id, "").await;
        let row = csv.row("plan_id", &id);
        let api_overdue = all_items(&cast.coordinator, &format!("/plans/{id}/activities?overdue=true")).await;
        assert_eq!(api_overdue.len(), 1);
        assert_eq!(id_of(&api_overdue[0]), id_of(&overdue));
        let fresh = cast.coordinator.get_ok(&format!("/plans/{id}")).await;
        let expected = [
            ("delegate_name", "Yohanes Lado".to_owned()),
            ("delegate_email", "yohanes.lado@kemensos.go.id".to_owned()),
            ("organization", "Sentra Efata Kupang".to_owned()),
            ("plan_title", plan["title"].as_str().unwrap().to_owned()),
            ("status", "active".to_owned()),
            ("starts_on", "2023-06-01".to_owned()),
            ("ends_on", "2023-11-30".to_owned()),
            ("activities_total", "3".to_owned()),
            ("activities_done", "1".to_owned()),
            ("activities_overdue", api_overdue.len().to_string()),
            ("latest_check_in_on", day(today, -1)),
            ("latest_check_in_progress", "at_risk".to_owned()),
            ("indicators", "2".to_owned()),
            (
                "indicators_detail",
                "Youth workers trained (people): baseline 0, target 20, current 7, progress 35%; \
                 Weeks to a first counselling session (weeks): baseline 6, target 2, current none, progress n/a"
                    .to_owned(),
            ),
            ("evidence_files", "4".to_owned()),
            ("mentors", "Choi Ha-eun; Young Joon Hong".to_owned()),
        ];
        for (column, value) in expected {
            assert_eq!(csv.cell(row, column), value, "column {column}");
        }
        let (activities, _) = export(&cast.coordinator, &cast.program_id, "?level=activity").await;
        let files: Vec<(String, String)> = activities
            .values("activity_id")
            .into_iter()
            .zip(activities.values("evidence_files"))
            .filter(|(_, n)| n != "0")
            .collect();
        assert_eq!(files, [(id_of(&overdue), "1".to_owned())], "files per activity");
        let (indicators, _) = export(&cast.coordinator, &cast.program_id, "?level=indicator").await;
        let trained_row = indicators.row("indicator_id", &id_of(&trained));
        assert_eq!(indicators.cell(trained_row, "evidence_files"), "1", "files on the indicator's measurements");
        for column in ["created_at", "updated_at"] {
            let cell = csv.cell(row, column);
            let parsed = chrono::DateTime::parse_from_rfc3339(&cell).unwrap_or_else(|e| panic!("{column} {cell}: {e}"));
            assert!(cell.ends_with('Z'), "{column} is UTC: {cell}");
            let api = chrono::DateTime::parse_from_rfc3339(fresh[column].as_str().unwrap()).unwrap();
            assert_eq!(parsed.timestamp(), api.timestamp(), "{column} is the plan's, to the second");
        }

        // A plan without activities, indicators or check-ins: zeros and empty cells.
        let empty = id_of(&cast.draft_plan().await);
        let (csv, _) = export(&cast.coordinator, &cast.program_id, "").await;
        let row = csv.row("plan_id", &empty);
        for (column, value) in [("activities_total", "0"), ("activities_overdue", "0"), ("indicators", "0"), ("indicators_detail", ""), ("evidence_files", "0"), ("latest_check_in_on", ""), ("latest_check_in_progress", "")] {
            assert_eq!(csv.cell(row, column), value, "empty plan, column {column}");
        }
    }
);

backend_test!(
    async fn formulas_are_neutralised_and_any_text_round_trips(app) {
        let cast = cast(&app).await;
        let pid = cast.program_id.clone();
        let formulas = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)"];
        let plain = [
            "Pelatihan \"dukungan sebaya\", Kupang",
            "Baris satu\nbaris dua",
            "사회복지 재활 지원 — Rehabilitasi sosial anak",
            "a=b, 1+1 and -3 inside are harmless",
        ];
        let mut titles = Vec::new();
        for title in formulas.iter().chain(plain.iter()) {
            let plan = create_plan(&cast.owner, &with(&plan_body(&pid), json!({ "title": title }))).await;
            assert_eq!(plan["title"], *title, "the API keeps the title as typed");
            titles.push((id_of(&plan), *title));
        }
        let (csv, _) = export(&cast.owner, &pid, "").await;
        for (id, title) in &titles {
            let cell = csv.cell(csv.row("plan_id", id), "plan_title");
            if formulas.contains(title) {
                assert_eq!(cell, format!("'{title}"), "a formula is shown as text");
            } else {
                assert_eq!(cell, *title, "text round-trips unchanged");
            }
        }
        // Numbers the server writes stay numbers.
        assert!(csv.values("activities_total").iter().all(|n| n.parse::<u64>().is_ok()));

        // The same on the activity level, in activity titles.
        let plan_id = &titles[0].0;
        for title in formulas.iter().chain(plain.iter()) {
            create_activity(&cast.owner, plan_id, &activity_body(title, None)).await;
        }
        let (csv, _) = export(&cast.owner, &pid, "?level=activity").await;
        let got = csv.values("activity_title");
        let want: Vec<String> = formulas
            .iter()
            .map(|f| format!("'{f}"))
            .chain(plain.iter().map(|p| (*p).to_owned()))
            .collect();
        assert_eq!(got, want);
        assert!(csv.values("plan_title").iter().all(|t| t == "'=HYPERLINK(\"http://x\")"));
    }
);

/// More activities than one internal page of the export (500 rows).
const MANY: usize = 520;

backend_test!(
    async fn every_activity_arrives_in_order_across_internal_pages(app) {
        let cast: Cast<'_> = cast(&app).await;
        let pid = cast.program_id.clone();
        let first = id_of(&cast.draft_plan().await);
        let second = id_of(&cast.draft_plan().await);
        create_activity(&cast.owner, &second, &activity_body("Evaluate with the youth", Some("2023-11-20"))).await;
        for i in 0..MANY {
            let due = if i % 2 == 0 { Some("2023-08-01") } else { None };
            create_activity(&cast.owner, &first, &activity_body(&format!("Kegiatan {i:03}"), due)).await;
        }
        let (csv, _) = export(&cast.mentor, &pid, "?level=activity").await;
        assert_eq!(csv.rows.len(), MANY + 1);

        // Plans in creation order, each plan's activities as its list shows them.
        let mut expected_ids = Vec::new();
        let mut expected_overdue = Vec::new();
        for plan in [&first, &second] {
            for a in all_items(&cast.mentor, &format!("/plans/{plan}/activities")).await {
                expected_ids.push(id_of(&a));
                expected_overdue.push(a["overdue"].as_bool().unwrap().to_string());
            }
        }
        assert_eq!(csv.values("activity_id"), expected_ids);
        assert_eq!(csv.values("overdue"), expected_overdue, "overdue as the API computes it");
        let plan_ids = csv.values("plan_id");
        assert!(plan_ids[..MANY].iter().all(|p| *p == first) && plan_ids[MANY] == second);
        let due = csv.values("due_on");
        assert_eq!(due[0], "2023-08-01");
        assert_eq!(due[1], "", "no due date: an empty cell");
    }
);

backend_test!(
    async fn the_indicator_export_gives_each_indicators_figures_as_the_api_does(app) {
        let cast = cast(&app).await;
        let plan = id_of(&cast.plan_in("active").await);
        let trained = create_indicator(&cast.owner, &plan, &indicator_body("Youth workers trained", "people", 0.0, 40.0, "increase")).await;
        let waiting = create_indicator(&cast.owner, &plan, &indicator_body("Weeks to a first counselling session", "weeks", 6.0, 2.0, "decrease")).await;
        let today = owner_today();
        for (indicator, value, days_ago) in [(&trained, 10.0, 9), (&trained, 14.0, 2), (&waiting, 3.0, 1)] {
            let path = format!("/indicators/{}/measurements", id_of(indicator));
            expect_json(cast.owner.post(&path, &measurement_body(value, &day(today, -days_ago))).await, 201).await;
        }
        // Another delegate's plan, which the owner's mentor does not see.
        let other = create_plan(&cast.other_delegate, &plan_body(&cast.program_id)).await;
        create_indicator(&cast.other_delegate, &id_of(&other), &indicator_body("Districts mapped", "districts", 0.0, 5.0, "increase")).await;

        let (csv, disposition) = export(&cast.coordinator, &cast.program_id, "?level=indicator").await;
        assert!(disposition.contains("-indicators.csv"), "{disposition}");
        assert_eq!(csv.rows.len(), 3, "the coordinator sees every plan's indicators");
        for indicator in [&trained, &waiting] {
            let api = cast.coordinator.get_ok(&format!("/indicators/{}", id_of(indicator))).await;
            let row = csv.row("indicator_id", &id_of(indicator));
            assert_eq!(csv.cell(row, "plan_id"), plan);
            assert_eq!(csv.cell(row, "delegate_name"), "Yohanes Lado");
            assert_eq!(csv.cell(row, "mentors"), "Young Joon Hong");
            assert_eq!(csv.cell(row, "indicator_name"), api["name"].as_str().unwrap());
            assert_eq!(csv.cell(row, "direction"), api["direction"].as_str().unwrap());
            for column in ["baseline", "target", "current_value", "progress"] {
                let cell: f64 = csv.cell(row, column).parse().unwrap_or_else(|e| panic!("{column}: {e}"));
                assert_eq!(cell, api[column].as_f64().unwrap(), "{column} as the API says: {api}");
            }
        }
        let row = csv.row("indicator_id", &id_of(&trained));
        assert_eq!((csv.cell(row, "current_value"), csv.cell(row, "progress")), ("14".to_owned(), "0.35".to_owned()));
        // The mentor of Yohanes: his indicators only; the other delegate's stays out.
        let (csv, _) = export(&cast.mentor, &cast.program_id, "?level=indicator").await;
        assert_eq!(csv.rows.len(), 2);
        assert!(csv.rows.iter().all(|r| csv.cell(r, "plan_id") == plan));
    }
);
