//! Monitoring: the programme dashboard, the delegates table and the mentor
//! overview. The world is built through the API (delegates in Jakarta,
//! Makassar and Jayapura; plans in several statuses; activities, indicators,
//! measurements and check-ins with every progress word and review state), a
//! model of it is kept alongside, and every figure the API answers is
//! compared with the figure computed from the model with the documented rules.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use followup_tests::api::{
    add_member, add_mentorship, admin, create_program, expect_json, id_of, items, Authed, USER_PASSWORD,
};
use followup_tests::plans::{
    all_items, create_activity, create_indicator, new_person, plan_body, post_check_in, record_measurement,
    today_at_offset, transition_ok, with,
};
use followup_tests::{assert_problem, backend_test, json, TestApp, Value};

const TRAINING_ENDS_ON: &str = "2023-05-19";
const CADENCE: i64 = 14;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The UTC offset (hours) of the zones used here; none has daylight saving.
fn offset_of(tz: &str) -> i32 {
    match tz {
        "Asia/Jakarta" => 7,
        "Asia/Makassar" => 8,
        "Asia/Jayapura" | "Asia/Seoul" => 9,
        other => panic!("no offset for {other}"),
    }
}

// ---- the model ------------------------------------------------------------------

#[derive(Debug, Clone)]
struct CheckInM {
    reported_on: NaiveDate,
    progress: &'static str,
    review: &'static str,
    /// Creation order.
    seq: usize,
}

#[derive(Debug, Clone)]
struct PlanM {
    id: String,
    program: String,
    owner: String,
    status: &'static str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    seq: usize,
    activities: Vec<(&'static str, NaiveDate)>,
    /// (baseline, target, current value)
    indicators: Vec<(f64, f64, Option<f64>)>,
    check_ins: Vec<CheckInM>,
}

#[derive(Debug, Clone)]
struct DelegateM {
    id: String,
    name: &'static str,
    tz: &'static str,
    program: String,
    program_code: &'static str,
    org: Option<(String, String)>,
    region: Option<String>,
    mentor: Option<String>,
}

impl DelegateM {
    fn today(&self) -> NaiveDate {
        today_at_offset(offset_of(self.tz))
    }
}

fn overdue(status: &str, due: NaiveDate, today: NaiveDate) -> bool {
    status != "done" && status != "cancelled" && due < today
}

fn behind(p: &PlanM, today: NaiveDate) -> i64 {
    let total = (p.ends_on - p.starts_on).num_days() as f64;
    let elapsed = ((today - p.starts_on).num_days() as f64 / total).clamp(0.0, 1.0);
    p.indicators
        .iter()
        .filter(|(b, t, c)| {
            let progress = ((c.unwrap_or(*b) - b) / (t - b)).clamp(0.0, 1.0);
            t != b && progress < elapsed
        })
        .count() as i64
}

fn latest(p: &PlanM) -> Option<&CheckInM> {
    p.check_ins.iter().max_by_key(|c| (c.reported_on, c.seq))
}

/// What one viewer sees: which delegates, and whether drafts count.
#[derive(Debug, Clone, Copy)]
struct View<'a> {
    program: Option<&'a str>,
    mentor: Option<&'a str>,
    hide_drafts: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    program_id: String,
    delegate_id: String,
    name: String,
    org: Option<(String, String)>,
    region: Option<String>,
    plan: Option<(String, String)>,
    done_percent: Option<f64>,
    overdue: i64,
    days_since: Option<i64>,
    behind: i64,
    progress: Option<String>,
    open_reviews: i64,
    silent: bool,
}

struct World {
    delegates: Vec<DelegateM>,
    plans: Vec<PlanM>,
}

impl World {
    fn delegates_in(&self, view: View<'_>) -> Vec<&DelegateM> {
        self.delegates
            .iter()
            .filter(|d| view.program.is_none_or(|p| d.program == p))
            .filter(|d| view.mentor.is_none_or(|m| d.mentor.as_deref() == Some(m)))
            .collect()
    }

    fn plans_of(&self, d: &DelegateM, view: View<'_>) -> Vec<&PlanM> {
        self.plans
            .iter()
            .filter(|p| p.owner == d.id && p.program == d.program)
            .filter(|p| !(view.hide_drafts && p.status == "draft"))
            .collect()
    }

    fn row(&self, d: &DelegateM, view: View<'_>) -> Row {
        let today = d.today();
        let plans = self.plans_of(d, view);
        let current = plans.iter().filter(|p| p.status != "discontinued").max_by_key(|p| p.seq).copied();
        let last = plans.iter().filter_map(|p| latest(p)).max_by_key(|c| (c.reported_on, c.seq));
        let since = last.map_or(date(TRAINING_ENDS_ON), |c| c.reported_on);
        Row {
            program_id: d.program.clone(),
            delegate_id: d.id.clone(),
            name: d.name.to_owned(),
            org: d.org.clone(),
            region: d.region.clone(),
            plan: current.map(|p| (p.id.clone(), p.status.to_owned())),
            done_percent: current.filter(|p| !p.activities.is_empty()).map(|p| {
                p.activities.iter().filter(|a| a.0 == "done").count() as f64 * 100.0
                    / p.activities.len() as f64
            }),
            // Only an active plan's activities are overdue.
            overdue: current
                .filter(|p| p.status == "active")
                .map_or(0, |p| p.activities.iter().filter(|a| overdue(a.0, a.1, today)).count() as i64),
            days_since: last.map(|c| (today - c.reported_on).num_days()),
            // Only an active plan's indicators are behind.
            behind: current.filter(|p| p.status == "active").map_or(0, |p| behind(p, today)),
            progress: current.and_then(latest).map(|c| c.progress.to_owned()),
            open_reviews: plans
                .iter()
                .map(|p| p.check_ins.iter().filter(|c| c.review == "pending").count() as i64)
                .sum(),
            // Only a delegate with an active plan posts check-ins, so only they are silent.
            silent: plans.iter().any(|p| p.status == "active") && (today - since).num_days() > CADENCE,
        }
    }

    fn dashboard(&self, program: &str, view: View<'_>) -> Value {
        let mut by_status: HashMap<&str, i64> = HashMap::new();
        let (mut active, mut total, mut done, mut late, mut inds, mut behind_n, mut pending) =
            (0, 0, 0, 0, 0, 0, 0);
        let mut progress: HashMap<&str, i64> = HashMap::new();
        let mut silent = Vec::new();
        for d in self.delegates_in(view) {
            let today = d.today();
            for p in self.plans_of(d, view) {
                *by_status.entry(p.status).or_default() += 1;
                pending += p.check_ins.iter().filter(|c| c.review == "pending").count() as i64;
                if p.status == "active" {
                    active += 1;
                    total += p.activities.len() as i64;
                    done += p.activities.iter().filter(|a| a.0 == "done").count() as i64;
                    late += p.activities.iter().filter(|a| overdue(a.0, a.1, today)).count() as i64;
                    inds += p.indicators.len() as i64;
                    behind_n += behind(p, today);
                    *progress.entry(latest(p).map_or("none", |c| c.progress)).or_default() += 1;
                }
            }
            if self.row(d, view).silent {
                silent.push(d.id.clone());
            }
        }
        let share = |word: &str| {
            let n = progress.get(word).copied().unwrap_or(0);
            json!({ "plans": n, "share": if active > 0 { n as f64 / active as f64 } else { 0.0 } })
        };
        silent.sort();
        json!({
            "program_id": program,
            "delegates": self.delegates_in(view).len(),
            "plans_by_status": {
                "draft": by_status.get("draft").copied().unwrap_or(0),
                "submitted": by_status.get("submitted").copied().unwrap_or(0),
                "changes_requested": by_status.get("changes_requested").copied().unwrap_or(0),
                "active": by_status.get("active").copied().unwrap_or(0),
                "completed": by_status.get("completed").copied().unwrap_or(0),
                "discontinued": by_status.get("discontinued").copied().unwrap_or(0),
            },
            "activities": { "total": total, "done": done, "overdue": late },
            "check_ins": {
                "active_plans": active,
                "on_track": share("on_track"),
                "at_risk": share("at_risk"),
                "off_track": share("off_track"),
                "no_check_in": share("none"),
            },
            "silent_delegates": { "count": silent.len(), "delegate_ids": silent },
            "indicators": { "total": inds, "behind_schedule": behind_n },
            "check_ins_awaiting_review": pending,
            // This world defines no survey rounds (tests/api/surveys.rs counts them).
            "surveys_unanswered": 0,
        })
    }
}

fn row_of(v: &Value) -> Row {
    let s = |f: &str| v[f].as_str().map(str::to_owned);
    Row {
        program_id: s("program_id").unwrap(),
        delegate_id: s("delegate_id").unwrap(),
        name: s("display_name").unwrap(),
        org: v["organization"]
            .as_object()
            .map(|o| (o["id"].as_str().unwrap().to_owned(), o["name"].as_str().unwrap().to_owned())),
        region: s("region"),
        plan: v["plan"]
            .as_object()
            .map(|p| (p["id"].as_str().unwrap().to_owned(), p["status"].as_str().unwrap().to_owned())),
        done_percent: v["activities_done_percent"].as_f64(),
        overdue: v["overdue_activities"].as_i64().unwrap(),
        days_since: v["days_since_last_check_in"].as_i64(),
        behind: v["indicators_behind"].as_i64().unwrap(),
        progress: s("latest_progress"),
        open_reviews: v["open_reviews"].as_i64().unwrap(),
        silent: v["silent"].as_bool().unwrap(),
    }
}

/// Normalise a dashboard for comparison: silent ids sorted, shares rounded.
fn normalised(mut v: Value) -> Value {
    if let Some(ids) = v["silent_delegates"]["delegate_ids"].as_array_mut() {
        ids.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    for word in ["on_track", "at_risk", "off_track", "no_check_in"] {
        let share = v["check_ins"][word]["share"].as_f64().unwrap_or(-1.0);
        v["check_ins"][word]["share"] = json!((share * 1e9).round() / 1e9);
    }
    v
}

// ---- building the world through the API ---------------------------------------

/// An indicator to create: baseline, target and its measurements as (value, measured_on).
type IndicatorSpec = (f64, f64, Vec<(f64, NaiveDate)>);

struct PlanSpec {
    status: &'static str,
    activities: Vec<(&'static str, NaiveDate)>,
    indicators: Vec<IndicatorSpec>,
    check_ins: Vec<(NaiveDate, &'static str, &'static str)>,
}

struct Builder<'a> {
    coordinator: Authed<'a>,
    seq: usize,
    plans: Vec<PlanM>,
}

impl<'a> Builder<'a> {
    /// Create a plan of `owner` and bring it to `spec.status`, adding what it tracks on the way.
    async fn plan(
        &mut self,
        owner: &Authed<'a>,
        mentor: Option<&Authed<'a>>,
        d: &DelegateM,
        spec: PlanSpec,
    ) -> String {
        let today = today_at_offset(0);
        let (starts_on, ends_on) = (today - Duration::days(40), today + Duration::days(40));
        let body =
            with(&plan_body(&d.program), json!({ "starts_on": ymd(starts_on), "ends_on": ymd(ends_on) }));
        let plan = expect_json(owner.post("/plans", &body).await, 201).await;
        let id = id_of(&plan);
        for (i, (status, due)) in spec.activities.iter().enumerate() {
            let body = json!({ "title": format!("Activity {i}"), "due_on": ymd(*due), "status": status });
            create_activity(owner, &id, &body).await;
        }
        let mut indicator_ids = Vec::new();
        for (i, (baseline, target, _)) in spec.indicators.iter().enumerate() {
            let direction = if target >= baseline { "increase" } else { "decrease" };
            let body = json!({ "name": format!("Indicator {i}"), "unit": "people",
                               "baseline": baseline, "target": target, "direction": direction });
            indicator_ids.push(id_of(&create_indicator(owner, &id, &body).await));
        }
        let status = spec.status;
        if status != "draft" {
            transition_ok(owner, &id, "submit", None).await;
        }
        if status == "changes_requested" {
            transition_ok(&self.coordinator, &id, "request-changes", Some("Add a follow-up session.")).await;
        }
        let mut check_ins = Vec::new();
        let mut current = Vec::new();
        if matches!(status, "active" | "completed" | "discontinued") {
            transition_ok(&self.coordinator, &id, "approve", None).await;
            for ((_, _, ms), indicator) in spec.indicators.iter().zip(&indicator_ids) {
                for (value, on) in ms {
                    let body = json!({ "value": value, "measured_on": ymd(*on) });
                    record_measurement(owner, indicator, &body).await;
                }
            }
            for (reported_on, progress, review) in &spec.check_ins {
                let body = json!({ "reported_on": ymd(*reported_on), "summary": "Peer-support circle held.",
                                   "progress": progress, "confidence": 6 });
                let check_in = post_check_in(owner, &id, &body).await;
                if *review != "pending" {
                    let mentor = mentor.expect("a reviewed check-in needs a mentor");
                    let path = format!("/check-ins/{}/review", id_of(&check_in));
                    let body = json!({ "decision": review, "note": "Thank you." });
                    expect_json(mentor.post(&path, &body).await, 200).await;
                }
                self.seq += 1;
                check_ins.push(CheckInM { reported_on: *reported_on, progress, review, seq: self.seq });
            }
            if status == "completed" {
                transition_ok(owner, &id, "complete", None).await;
            }
            if status == "discontinued" {
                transition_ok(owner, &id, "discontinue", Some("The unit was reorganised.")).await;
            }
        }
        for (baseline, target, ms) in &spec.indicators {
            // The current value: the latest measurement (by date, then recording order).
            let value = ms.iter().enumerate().max_by_key(|(i, (_, on))| (*on, *i)).map(|(_, (v, _))| *v);
            let recorded = matches!(status, "active" | "completed" | "discontinued");
            current.push((*baseline, *target, if recorded { value } else { None }));
        }
        self.seq += 1;
        self.plans.push(PlanM {
            id: id.clone(),
            program: d.program.clone(),
            owner: d.id.clone(),
            status,
            starts_on,
            ends_on,
            seq: self.seq,
            activities: spec.activities,
            indicators: current,
            check_ins,
        });
        id
    }
}

struct Setup<'a> {
    program: String,
    other_program: String,
    world: World,
    coordinator: Authed<'a>,
    observer: Authed<'a>,
    mentor: Authed<'a>,
    mentor_id: String,
    other_mentor: Authed<'a>,
    other_mentor_id: String,
    lonely_mentor: Authed<'a>,
    delegate: Authed<'a>,
    outsider: Authed<'a>,
    admin: Authed<'a>,
}

async fn setup(app: &TestApp) -> Setup<'_> {
    let admin = admin(app).await;
    let token = admin.token.clone();
    let program = id_of(&create_program(app, &token, "KOICA-ITP-2023").await);
    let other_program = id_of(&create_program(app, &token, "KOICA-ITP-2024").await);
    let org_body =
        json!({ "name": "Sentra Efata Kupang", "kind": "technical_unit", "region": "Nusa Tenggara Timur" });
    let org = expect_json(admin.post("/organizations", &org_body).await, 201).await;
    let org_id = id_of(&org);

    let person = |email: &'static str, name: &'static str, tz: &'static str, org: Option<String>| {
        let token = token.clone();
        async move { new_person(app, &token, email, name, tz, org.as_deref()).await }
    };
    let (coordinator_id, coordinator) =
        person("minji.kim@worldvision.or.kr", "Kim Min-ji", "Asia/Seoul", None).await;
    let (observer_id, observer) = person("soojin.lee@koica.go.kr", "Lee Soo-jin", "Asia/Seoul", None).await;
    let (mentor_id, mentor) = person("yj.hong@example.org", "Young Joon Hong", "Asia/Seoul", None).await;
    let (other_mentor_id, other_mentor) =
        person("haeun.choi@kds.re.kr", "Choi Ha-eun", "Asia/Seoul", None).await;
    let (lonely_mentor_id, lonely_mentor) =
        person("sangwoo.park@rebach.org", "Park Sang-woo", "Asia/Seoul", None).await;
    let people = [
        ("yohanes.lado@kemensos.go.id", "Yohanes Lado", "Asia/Makassar", Some(org_id.clone())),
        ("siti.rahmawati@dinsos.jakarta.go.id", "Siti Rahmawati", "Asia/Jakarta", None),
        ("markus.wenda@dinsos.papua.go.id", "Markus Wenda", "Asia/Jayapura", None),
        ("dewi.lestari@dinsos.jakarta.go.id", "Dewi Lestari", "Asia/Jakarta", None),
        ("agus.kogoya@dinsos.papua.go.id", "Agus Kogoya", "Asia/Jayapura", None),
    ];
    for (user, role) in [
        (&coordinator_id, "coordinator"),
        (&observer_id, "observer"),
        (&mentor_id, "mentor"),
        (&other_mentor_id, "mentor"),
        (&lonely_mentor_id, "mentor"),
    ] {
        add_member(app, &token, &program, user, role).await;
    }
    add_member(app, &token, &other_program, &mentor_id, "mentor").await;
    add_member(app, &token, &other_program, &coordinator_id, "coordinator").await;
    let mut clients = Vec::new();
    let mut delegates = Vec::new();
    for (i, (email, name, tz, org)) in people.into_iter().enumerate() {
        let (id, client) = person(email, name, tz, org.clone()).await;
        let (program_id, code, mentor) = match i {
            0 | 1 => (program.clone(), "KOICA-ITP-2023", Some(mentor_id.clone())),
            2 => (program.clone(), "KOICA-ITP-2023", Some(other_mentor_id.clone())),
            3 => (program.clone(), "KOICA-ITP-2023", None),
            _ => (other_program.clone(), "KOICA-ITP-2024", Some(mentor_id.clone())),
        };
        add_member(app, &token, &program_id, &id, "delegate").await;
        if let Some(m) = &mentor {
            add_mentorship(app, &token, &program_id, m, &id).await;
        }
        delegates.push(DelegateM {
            id,
            name,
            tz,
            program: program_id,
            program_code: code,
            org: org.map(|o| (o, "Sentra Efata Kupang".to_owned())),
            region: if i == 0 { Some("Nusa Tenggara Timur".into()) } else { None },
            mentor,
        });
        clients.push(client);
    }

    let today = today_at_offset(0);
    let d = |n: i64| today + Duration::days(n);
    // Due the day before today in Jayapura: overdue there, and in Jakarta
    // only once Jakarta has reached that same date (the rule decides; see
    // `time_zones_decide_what_is_overdue` for the explicit comparison).
    let jayapura_yesterday = today_at_offset(9) - Duration::days(1);
    let mut b =
        Builder { coordinator: Authed::new(app, coordinator.token.clone()), seq: 0, plans: Vec::new() };
    let (c0, c1, c2, c3, c4) = (&clients[0], &clients[1], &clients[2], &clients[3], &clients[4]);
    let (d0, d1, d2, d3, d4) = (&delegates[0], &delegates[1], &delegates[2], &delegates[3], &delegates[4]);

    // Yohanes: a completed plan, then an active one, then a discontinued one.
    b.plan(
        c0,
        Some(&mentor),
        d0,
        PlanSpec {
            status: "completed",
            activities: vec![("done", d(-20)), ("planned", d(-15))],
            indicators: vec![(0.0, 10.0, vec![(10.0, d(-5))])],
            check_ins: vec![(d(-30), "at_risk", "acknowledged")],
        },
    )
    .await;
    b.plan(
        c0,
        Some(&mentor),
        d0,
        PlanSpec {
            status: "active",
            activities: vec![
                ("done", d(-10)),
                ("planned", d(-10)),
                ("in_progress", d(-1)),
                ("blocked", d(-3)),
                ("cancelled", d(-5)),
                ("planned", d(10)),
                ("done", d(5)),
                ("in_progress", jayapura_yesterday),
            ],
            indicators: vec![
                (0.0, 20.0, vec![(4.0, d(-10)), (15.0, d(-2)), (12.0, d(-2))]),
                (40.0, 20.0, vec![(38.0, d(-3))]),
                (5.0, 8.0, vec![(8.0, d(-1))]),
            ],
            check_ins: vec![
                (d(-10), "on_track", "acknowledged"),
                (d(-3), "at_risk", "pending"),
                (d(-3), "off_track", "revision_requested"),
            ],
        },
    )
    .await;
    b.plan(
        c0,
        Some(&mentor),
        d0,
        PlanSpec {
            status: "discontinued",
            activities: vec![("planned", d(-30))],
            indicators: vec![],
            check_ins: vec![(d(-1), "on_track", "pending")],
        },
    )
    .await;
    // Siti (Jakarta): an active plan with an old check-in (silent), and one under review.
    b.plan(
        c1,
        Some(&mentor),
        d1,
        PlanSpec {
            status: "active",
            activities: vec![("planned", jayapura_yesterday), ("done", d(-2)), ("planned", d(-25))],
            indicators: vec![(0.0, 100.0, vec![])],
            check_ins: vec![(d(-20), "on_track", "pending")],
        },
    )
    .await;
    b.plan(
        c1,
        Some(&mentor),
        d1,
        PlanSpec {
            status: "submitted",
            activities: vec![("planned", d(-4))],
            indicators: vec![],
            check_ins: vec![],
        },
    )
    .await;
    // Markus (Jayapura): an active plan without check-ins, then a newer draft.
    b.plan(
        c2,
        Some(&other_mentor),
        d2,
        PlanSpec {
            status: "active",
            activities: vec![("planned", jayapura_yesterday), ("blocked", d(-6))],
            indicators: vec![(10.0, 30.0, vec![(30.0, d(-1))])],
            check_ins: vec![],
        },
    )
    .await;
    b.plan(
        c2,
        Some(&other_mentor),
        d2,
        PlanSpec {
            status: "draft",
            activities: vec![("planned", d(-2)), ("done", d(-1))],
            indicators: vec![(0.0, 5.0, vec![])],
            check_ins: vec![],
        },
    )
    .await;
    // Dewi: a plan sent back for changes.
    b.plan(
        c3,
        None,
        d3,
        PlanSpec {
            status: "changes_requested",
            activities: vec![("planned", d(-8))],
            indicators: vec![],
            check_ins: vec![],
        },
    )
    .await;
    // Agus, in the other programme, mentored by the same mentor.
    b.plan(
        c4,
        Some(&mentor),
        d4,
        PlanSpec {
            status: "active",
            activities: vec![("planned", d(-9)), ("planned", d(-8)), ("done", d(-7))],
            indicators: vec![],
            check_ins: vec![(d(-2), "off_track", "pending"), (d(-1), "at_risk", "acknowledged")],
        },
    )
    .await;

    let delegate = Authed::new(app, clients[0].token.clone());
    let outsider = Authed::new(app, clients[4].token.clone());
    let world = World { delegates, plans: b.plans };
    Setup {
        program,
        other_program,
        world,
        coordinator,
        observer,
        mentor,
        mentor_id,
        other_mentor,
        other_mentor_id,
        lonely_mentor,
        delegate,
        outsider,
        admin,
    }
}

async fn table(client: &Authed<'_>, program: &str, sort: &str) -> Vec<Row> {
    all_items(client, &format!("/programs/{program}/delegates?sort={sort}"))
        .await
        .iter()
        .map(row_of)
        .collect()
}

fn assert_rows(actual: &[Row], expected: &[Row], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: number of rows");
    for (a, e) in actual.iter().zip(expected) {
        let (mut a, mut e) = (a.clone(), e.clone());
        let close = match (a.done_percent, e.done_percent) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            (x, y) => x == y,
        };
        assert!(close, "{what}: done % of {}: {:?} vs {:?}", e.name, a.done_percent, e.done_percent);
        a.done_percent = None;
        e.done_percent = None;
        assert_eq!(a, e, "{what}: row of {}", e.name);
    }
}

backend_test!(
    async fn dashboard_delegates_and_overview_match_the_rules(app) {
        let s = setup(&app).await;
        let program = s.program.as_str();
        let whole = View { program: Some(program), mentor: None, hide_drafts: false };
        let observed = View { hide_drafts: true, ..whole };
        let mentored = View { mentor: Some(s.mentor_id.as_str()), ..whole };
        let other_mentored = View { mentor: Some(s.other_mentor_id.as_str()), ..whole };

        // The dashboard, for each kind of viewer.
        for (client, view, who) in [
            (&s.coordinator, whole, "coordinator"),
            (&s.admin, whole, "admin"),
            (&s.observer, observed, "observer"),
            (&s.mentor, mentored, "mentor"),
            (&s.other_mentor, other_mentored, "other mentor"),
        ] {
            let actual = client.get_ok(&format!("/programs/{program}/dashboard")).await;
            assert_eq!(normalised(actual), normalised(s.world.dashboard(program, view)), "dashboard for the {who}");
        }
        // The observer's figures leave the draft out; the coordinator's do not.
        let coord = s.coordinator.get_ok(&format!("/programs/{program}/dashboard")).await;
        let obs = s.observer.get_ok(&format!("/programs/{program}/dashboard")).await;
        assert_eq!(coord["plans_by_status"]["draft"], 1);
        assert_eq!(obs["plans_by_status"]["draft"], 0);

        // The delegates table, by name and by other columns.
        for (client, view, who) in [
            (&s.coordinator, whole, "coordinator"),
            (&s.observer, observed, "observer"),
            (&s.mentor, mentored, "mentor"),
            (&s.other_mentor, other_mentored, "other mentor"),
        ] {
            let mut expected: Vec<Row> = s.world.delegates_in(view).iter().map(|d| s.world.row(d, view)).collect();
            expected.sort_by(|a, b| a.name.cmp(&b.name));
            assert_rows(&table(client, program, "name").await, &expected, who);
            expected.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
            assert_rows(&table(client, program, "-overdue").await, &expected, who);
            expected.sort_by(|a, b| a.days_since.cmp(&b.days_since).then(a.name.cmp(&b.name)));
            assert_rows(&table(client, program, "days_since_check_in").await, &expected, who);
        }
        // The observer never sees Markus's newer draft as his current plan.
        let markus = |rows: &[Row]| rows.iter().find(|r| r.name == "Markus Wenda").and_then(|r| r.plan.clone());
        assert_eq!(markus(&table(&s.coordinator, program, "name").await).map(|p| p.1), Some("draft".into()));
        assert_eq!(markus(&table(&s.observer, program, "name").await).map(|p| p.1), Some("active".into()));

        // Paging: small pages in the same order, with a Link header.
        let first = s.coordinator.get(&format!("/programs/{program}/delegates?sort=-name&limit=3")).await;
        assert!(first.headers().get("link").is_some(), "a next page is linked");
        let first = expect_json(first, 200).await;
        assert_eq!(items(&first).len(), 3);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let second = s
            .coordinator
            .get_ok(&format!("/programs/{program}/delegates?sort=-name&limit=3&cursor={cursor}"))
            .await;
        assert!(second["next_cursor"].is_null());
        let names: Vec<&str> =
            items(&first).iter().chain(items(&second)).map(|r| r["display_name"].as_str().unwrap()).collect();
        let mut expected: Vec<&str> = s.world.delegates_in(whole).iter().map(|d| d.name).collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(names, expected);
        // A cursor of another sort, a garbled cursor and an unknown sort are refused.
        let other_sort = s
            .coordinator
            .get(&format!("/programs/{program}/delegates?sort=overdue&limit=3&cursor={cursor}"))
            .await;
        assert_problem(other_sort, 400, "invalid_cursor").await;
        assert_problem(s.coordinator.get(&format!("/programs/{program}/delegates?cursor=%%%")).await, 400, "invalid_cursor").await;
        let bad = assert_problem(s.coordinator.get(&format!("/programs/{program}/delegates?sort=shoe_size")).await, 422, "validation_failed").await;
        assert_eq!(bad["errors"][0]["field"], "sort");

        // The mentor overview: his mentees in both programmes, most in need first.
        let overview: Vec<Row> = all_items(&s.mentor, "/mentor/overview").await.iter().map(row_of).collect();
        let mine = View { program: None, mentor: Some(s.mentor_id.as_str()), hide_drafts: false };
        let mut expected: Vec<Row> = s.world.delegates_in(mine).iter().map(|d| s.world.row(d, mine)).collect();
        expected.sort_by(|a, b| {
            let days = |r: &Row| r.days_since.unwrap_or(i64::MAX);
            b.silent
                .cmp(&a.silent)
                .then(b.overdue.cmp(&a.overdue))
                .then(b.open_reviews.cmp(&a.open_reviews))
                .then(days(b).cmp(&days(a)))
                .then(b.behind.cmp(&a.behind))
                .then(a.name.cmp(&b.name))
        });
        assert_eq!(expected.len(), 3, "two mentees here, one in the other programme");
        assert!(expected.iter().any(|r| r.program_id == s.other_program));
        assert_rows(&overview, &expected, "overview");
        // Each row names its programme.
        for item in all_items(&s.mentor, "/mentor/overview").await {
            let d = s.world.delegates.iter().find(|d| d.id == item["delegate_id"].as_str().unwrap()).unwrap();
            assert_eq!(item["program_code"], d.program_code, "programme code of {}", d.name);
        }
        // A caller who mentors no one gets an empty list.
        let empty = s.lonely_mentor.get_ok("/mentor/overview").await;
        assert!(items(&empty).is_empty() && empty["next_cursor"].is_null());
    }
);

backend_test!(
    async fn monitoring_access(app) {
        let s = setup(&app).await;
        let program = s.program.as_str();
        for path in [format!("/programs/{program}/dashboard"), format!("/programs/{program}/delegates")] {
            // A delegate sees the programme but not its aggregates.
            assert_eq!(s.delegate.get(&format!("/programs/{program}")).await.status(), 200);
            assert_problem(s.delegate.get(&path).await, 403, "forbidden").await;
            // Someone outside the programme (or an unknown one) is told it does not exist.
            assert_problem(s.outsider.get(&path).await, 404, "not_found").await;
            let unknown = path.replace(program, &uuid::Uuid::now_v7().to_string());
            assert_problem(s.coordinator.get(&unknown).await, 404, "not_found").await;
            assert_eq!(app.client.get(followup_tests::api::api_url(&app, &path)).send().await.unwrap().status(), 401);
        }
        // A mentor sees only his mentees.
        let mine: Vec<String> = table(&s.other_mentor, program, "name").await.into_iter().map(|r| r.name).collect();
        assert_eq!(mine, vec!["Markus Wenda".to_owned()]);
        let dash = s.other_mentor.get_ok(&format!("/programs/{program}/dashboard")).await;
        assert_eq!(dash["delegates"], 1);
        // The overview of a delegate (who mentors no one) is empty, not an error.
        assert!(items(&s.delegate.get_ok("/mentor/overview").await).is_empty());
    }
);

backend_test!(
    async fn time_zones_decide_what_is_overdue(app) {
        // Two delegates with the same due date: the day before today in
        // Jayapura (UTC+9). Whether it is overdue in Jakarta (UTC+7) depends
        // on the instant: between 15:00 and 17:00 UTC Jayapura is already a
        // day ahead. The expectation is computed for the instant the test runs.
        let admin = admin(&app).await;
        let token = admin.token.clone();
        let program = id_of(&create_program(&app, &token, "KOICA-ITP-2023").await);
        let (mentor_id, mentor) = new_person(&app, &token, "yj.hong@example.org", "Young Joon Hong", "Asia/Seoul", None).await;
        add_member(&app, &token, &program, &mentor_id, "mentor").await;
        let due = today_at_offset(9) - Duration::days(1);
        let today = today_at_offset(0);
        let mut expected = HashMap::new();
        for (email, name, tz) in [
            ("markus.wenda@dinsos.papua.go.id", "Markus Wenda", "Asia/Jayapura"),
            ("siti.rahmawati@dinsos.jakarta.go.id", "Siti Rahmawati", "Asia/Jakarta"),
        ] {
            let (id, client) = new_person(&app, &token, email, name, tz, None).await;
            add_member(&app, &token, &program, &id, "delegate").await;
            add_mentorship(&app, &token, &program, &mentor_id, &id).await;
            let body = with(&plan_body(&program), json!({
                "starts_on": ymd(today - Duration::days(10)), "ends_on": ymd(today + Duration::days(10)) }));
            let plan = expect_json(client.post("/plans", &body).await, 201).await;
            create_activity(&client, &id_of(&plan), &json!({ "title": "Train the youth workers", "due_on": ymd(due) })).await;
            transition_ok(&client, &id_of(&plan), "submit", None).await;
            transition_ok(&mentor, &id_of(&plan), "approve", None).await;
            let local_today = today_at_offset(offset_of(tz));
            expected.insert(name, i64::from(due < local_today));
        }
        let rows = table(&mentor, &program, "name").await;
        for row in &rows {
            assert_eq!(row.overdue, expected[row.name.as_str()], "overdue for {} (due {due})", row.name);
        }
        // Jayapura is never behind Jakarta: whatever is overdue in Jakarta is overdue in Jayapura.
        assert!(expected["Markus Wenda"] >= expected["Siti Rahmawati"]);
        assert_eq!(expected["Markus Wenda"], 1, "due yesterday in Jayapura is overdue there");
        let dash = mentor.get_ok(&format!("/programs/{program}/dashboard")).await;
        assert_eq!(dash["activities"]["overdue"], expected.values().sum::<i64>());
    }
);

// ---- query counting -----------------------------------------------------------

fn queries_in(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("followup_db_queries_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no followup_db_queries_total in /metrics")) as u64
}

/// Statements the server ran to answer one request (a scrape of `/metrics`
/// reads the worker's backlog: what two scrapes in a row cost is taken off).
async fn queries_for(app: &TestApp, client: &Authed<'_>, path: &str) -> u64 {
    let scrape = || async { queries_in(&app.get("/metrics").await.text().await.unwrap()) };
    let first = scrape().await;
    let before = scrape().await;
    expect_json(client.get(path).await, 200).await;
    let after = scrape().await;
    (after - before) - (before - first)
}

backend_test!(
    async fn monitoring_queries_do_not_grow_with_the_programme(app) {
        let hash = followup_http::auth::passwords::hash(USER_PASSWORD).unwrap();
        let url = followup_persistence::DatabaseUrl::parse(&app.db.url).unwrap();
        let db = followup_persistence::Database::connect(&url, &followup_persistence::PoolOptions::default()).unwrap();
        let seed = |code: &str, n: usize| {
            let spec = followup_persistence::bulk::BulkSpec::new(code, n, hash.clone());
            db.write(move |c| followup_persistence::bulk::seed_program(c, &spec)).unwrap()
        };
        let small = seed("SMALL", 10);
        let large = seed("LARGE", 1000);
        assert_eq!(large.delegate_ids.len(), 1000);
        let mut counts = Vec::new();
        for seeded in [&small, &large] {
            let mentor = Authed::new(&app, followup_tests::api::login(&app, &seeded.mentor_email, USER_PASSWORD).await.access_token);
            let coordinator = Authed::new(&app, followup_tests::api::login(&app, &seeded.coordinator_email, USER_PASSWORD).await.access_token);
            let program = seeded.program_id;
            let page = mentor.get_ok(&format!("/programs/{program}/delegates?limit=200")).await;
            assert_eq!(items(&page).len(), seeded.delegate_ids.len().min(200));
            counts.push([
                queries_for(&app, &coordinator, &format!("/programs/{program}/dashboard")).await,
                queries_for(&app, &mentor, &format!("/programs/{program}/dashboard")).await,
                queries_for(&app, &mentor, &format!("/programs/{program}/delegates?limit=50&sort=-overdue")).await,
                queries_for(&app, &mentor, "/mentor/overview").await,
            ]);
        }
        assert!(counts[0].iter().all(|n| *n > 0), "the counter counts: {counts:?}");
        assert_eq!(counts[0], counts[1], "queries per request, 10 vs 1,000 delegates");
    }
);

backend_test!(
    async fn the_delegates_table_pages_by_keyset_so_no_row_shifts_between_pages(app) {
        let admin = admin(&app).await;
        let program = id_of(&create_program(&app, &admin.token, "ITP-2023-KEYSET").await);
        let mut ids = HashMap::new();
        for (n, name) in ["Benediktus Ully", "Clara Manafe", "Daniel Kana", "Elisabeth Ndoen"].iter().enumerate() {
            let (id, _) = new_person(&app, &admin.token, &format!("keyset{n}@kemensos.go.id"), name, "Asia/Makassar", None).await;
            add_member(&app, &admin.token, &program, &id, "delegate").await;
            ids.insert(*name, id);
        }
        let path = format!("/programs/{program}/delegates?sort=name&limit=2");
        let names = |page: &Value| -> Vec<String> {
            items(page).iter().map(|r| r["display_name"].as_str().unwrap_or_default().to_owned()).collect()
        };
        let first = admin.get_ok(&path).await;
        assert_eq!(names(&first), ["Benediktus Ully", "Clara Manafe"]);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();

        // A delegate who sorts first joins while the coordinator is on page
        // one: page two still starts right after Clara (offset paging would
        // show Clara again).
        let (newcomer, _) =
            new_person(&app, &admin.token, "keyset-a@kemensos.go.id", "Agustina Lay", "Asia/Makassar", None).await;
        add_member(&app, &admin.token, &program, &newcomer, "delegate").await;
        let second = admin.get_ok(&format!("{path}&cursor={cursor}")).await;
        assert_eq!(names(&second), ["Daniel Kana", "Elisabeth Ndoen"], "no row repeated");
        assert!(second["next_cursor"].is_null());

        // Backwards, and a row on page one leaves: page two still starts
        // right after Daniel (offset paging would skip Clara).
        let path = format!("/programs/{program}/delegates?sort=-name&limit=2");
        let first = admin.get_ok(&path).await;
        assert_eq!(names(&first), ["Elisabeth Ndoen", "Daniel Kana"]);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let leaving = format!("/programs/{program}/members/{}", ids["Elisabeth Ndoen"]);
        assert_eq!(admin.delete(&leaving).await.status(), 204);
        let second = admin.get_ok(&format!("{path}&cursor={cursor}")).await;
        assert_eq!(names(&second), ["Clara Manafe", "Benediktus Ully"], "none skipped");

        // A delegates-table cursor means nothing to the mentor overview.
        let response = admin.get(&format!("/mentor/overview?cursor={cursor}")).await;
        assert_problem(response, 400, "invalid_cursor").await;
    }
);
