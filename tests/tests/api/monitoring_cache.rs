//! The monitoring figures served from the cache are the figures computed from
//! scratch, whatever was written and through which instance: a random
//! (seeded) run of writes through the API — check-ins posted and reviewed,
//! activities added, completed and moved, plan transitions, measurements,
//! memberships and mentorships removed and added again, people renamed or
//! moved to another time zone (a new "today"), organisations renamed, the
//! programme's cadence changed — and after each, every viewer's dashboard,
//! delegates table and mentor overview, asked twice of the caching server,
//! must equal what a second instance on the same database with the cache
//! off answers. Writes go to either instance, so invalidation must come
//! through the database. `FOLLOWUP_PROPERTY_SEED` replays a run,
//! `FOLLOWUP_PROPERTY_STEPS` sets its length (default 40).

use chrono::Duration;
use followup_tests::api::{add_member, add_mentorship, admin, create_program, expect_json, id_of, items};
use followup_tests::plans::{new_person, today_at_offset};
use followup_tests::{backend_test, json, TestApp, Value};
use reqwest::Method;

/// splitmix64: a small, seedable generator (the run must replay exactly).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

/// Zones without daylight saving, from UTC+14 to UTC−11: moving a delegate
/// between the two ends always changes their today.
const ZONES: [(&str, i32); 5] = [
    ("Pacific/Kiritimati", 14),
    ("Asia/Jayapura", 9),
    ("Asia/Makassar", 8),
    ("Asia/Jakarta", 7),
    ("Pacific/Pago_Pago", -11),
];

fn offset_of(tz: &str) -> i32 {
    ZONES.iter().find(|(z, _)| *z == tz).map_or(7, |(_, o)| *o)
}

/// Talks to either instance with the same tokens (they share the database
/// and so the signing secret).
struct Wire<'a> {
    app: &'a TestApp,
    other: String,
}

impl Wire<'_> {
    fn base(&self, cached: bool) -> String {
        if cached {
            self.app.address.clone()
        } else {
            self.other.clone()
        }
    }

    async fn call(
        &self,
        cached: bool,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.base(cached));
        let mut request = self.app.client.request(method.clone(), &url).bearer_auth(token);
        if method == Method::PATCH || method == Method::DELETE {
            let read = self.app.client.get(&url).bearer_auth(token).send().await.expect("request failed");
            let etag = read.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or("*").to_owned();
            request = request.header("If-Match", etag);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request failed");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Every row of a table, following the cursor.
    async fn all(&self, cached: bool, path: &str, token: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = format!("{path}{sep}limit=2");
        for _ in 0..100 {
            let (status, page) = self.call(cached, Method::GET, &next, token, None).await;
            assert_eq!(status, 200, "GET {next}: {page}");
            out.extend(items(&page).iter().cloned());
            match page["next_cursor"].as_str() {
                Some(cursor) => next = format!("{path}{sep}limit=2&cursor={cursor}"),
                None => return out,
            }
        }
        panic!("{path}: paging does not end");
    }

    /// What one viewer sees: the dashboard (silent ids in a fixed order),
    /// the delegates table by name, and the mentor overview.
    async fn figures(&self, cached: bool, program: &str, token: &str) -> Value {
        let (status, mut dashboard) =
            self.call(cached, Method::GET, &format!("/programs/{program}/dashboard"), token, None).await;
        if status != 200 {
            return json!({ "status": status });
        }
        if let Some(ids) = dashboard["silent_delegates"]["delegate_ids"].as_array_mut() {
            ids.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
        }
        let delegates = self.all(cached, &format!("/programs/{program}/delegates?sort=name"), token).await;
        let overview = self.all(cached, "/mentor/overview", token).await;
        json!({ "dashboard": dashboard, "delegates": delegates, "overview": overview })
    }
}

#[derive(Debug, Clone)]
struct PlanS {
    id: String,
    status: String,
    activities: Vec<String>,
    indicators: Vec<String>,
    pending: Vec<String>,
}

struct DelegateS {
    id: String,
    token: String,
    tz: &'static str,
    member: bool,
    mentorship: Option<String>,
    plans: Vec<PlanS>,
}

fn ymd(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn plan_dates() -> (String, String) {
    let today = today_at_offset(0);
    (ymd(today - Duration::days(40)), ymd(today + Duration::days(40)))
}

fn plan_body(program: &str) -> Value {
    let (starts_on, ends_on) = plan_dates();
    json!({
        "program_id": program,
        "title": "Peer-support circles for youth workers",
        "problem_statement": "Young people in care wait weeks for a first counselling session.",
        "goal": "Train youth workers to run peer-support circles.",
        "target_group": "Youth workers",
        "location": "Kupang",
        "starts_on": starts_on,
        "ends_on": ends_on,
    })
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

backend_test!(
    async fn cached_figures_equal_figures_from_scratch(app) {
        let seed: u64 = std::env::var("FOLLOWUP_PROPERTY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64));
        let steps: usize =
            std::env::var("FOLLOWUP_PROPERTY_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
        eprintln!("[{}] monitoring cache property: FOLLOWUP_PROPERTY_SEED={seed} ({steps} steps)", app.backend.name());
        let mut rng = Rng(seed);

        let admin = admin(&app).await;
        let token = admin.token.clone();
        let program = id_of(&create_program(&app, &token, "KOICA-ITP-2023").await);
        let other_program = id_of(&create_program(&app, &token, "KOICA-ITP-2024").await);
        let org_body = json!({ "name": "Sentra Efata Kupang", "kind": "technical_unit", "region": "Nusa Tenggara Timur" });
        let org = id_of(&expect_json(admin.post("/organizations", &org_body).await, 201).await);
        let app_ref = &app;
        let person = |email: String, name: String, tz: &'static str| {
            let token = token.clone();
            async move { new_person(app_ref, &token, &email, &name, tz, None).await }
        };
        let (coordinator_id, coordinator) = person("minji.kim@worldvision.or.kr".into(), "Kim Min-ji".into(), "Asia/Seoul").await;
        let (observer_id, observer) = person("soojin.lee@koica.go.kr".into(), "Lee Soo-jin".into(), "Asia/Seoul").await;
        let (mentor_id, mentor) = person("yj.hong@example.org".into(), "Young Joon Hong".into(), "Asia/Seoul").await;
        let (other_mentor_id, other_mentor) = person("haeun.choi@kds.re.kr".into(), "Choi Ha-eun".into(), "Asia/Seoul").await;
        for (user, role) in [(&coordinator_id, "coordinator"), (&observer_id, "observer"), (&mentor_id, "mentor"), (&other_mentor_id, "mentor")] {
            add_member(&app, &token, &program, user, role).await;
        }
        add_member(&app, &token, &other_program, &mentor_id, "mentor").await;
        add_member(&app, &token, &other_program, &coordinator_id, "coordinator").await;
        let other = app.instance(|c| c.monitoring_cache = false).await;
        let wire = Wire { app: &app, other: other.address.clone() };

        // Five delegates in this programme (one in the other), each with an active plan.
        let mut delegates: Vec<DelegateS> = Vec::new();
        for i in 0..6 {
            let tz = ZONES[i % ZONES.len()].0;
            let (id, client) = person(format!("delegate{i}@kemensos.go.id"), format!("Delegate {i}"), tz).await;
            let in_program = if i == 5 { &other_program } else { &program };
            add_member(&app, &token, in_program, &id, "delegate").await;
            let mentorship = if i % 3 != 2 {
                let m = if i % 2 == 0 { &mentor_id } else { &other_mentor_id };
                let m = if i == 5 { &mentor_id } else { m };
                Some(id_of(&add_mentorship(&app, &token, in_program, m, &id).await))
            } else {
                None
            };
            let plan = id_of(&expect_json(client.post("/plans", &plan_body(in_program)).await, 201).await);
            let mut s = PlanS { id: plan.clone(), status: "draft".into(), activities: vec![], indicators: vec![], pending: vec![] };
            for d in [-2, 1] {
                let body = json!({ "title": "Peer-support circle", "due_on": ymd(today_at_offset(0) + Duration::days(d)) });
                s.activities.push(id_of(&expect_json(client.post(&format!("/plans/{plan}/activities"), &body).await, 201).await));
            }
            let body = json!({ "name": "Youth workers trained", "unit": "people", "baseline": 0.0, "target": 20.0, "direction": "increase" });
            s.indicators.push(id_of(&expect_json(client.post(&format!("/plans/{plan}/indicators"), &body).await, 201).await));
            if i != 3 {
                expect_json(client.post(&format!("/plans/{plan}/submit"), &json!({})).await, 200).await;
                expect_json(coordinator.post(&format!("/plans/{plan}/approve"), &json!({})).await, 200).await;
                s.status = "active".into();
            }
            delegates.push(DelegateS { id, token: client.token.clone(), tz, member: true, mentorship, plans: vec![s] });
        }
        let viewers = [
            ("coordinator", coordinator.token.clone()),
            ("observer", observer.token.clone()),
            ("mentor", mentor.token.clone()),
            ("other mentor", other_mentor.token.clone()),
            ("admin", token.clone()),
        ];
        let reviewers = [mentor.token.clone(), other_mentor.token.clone(), coordinator.token.clone()];

        let mut done = 0;
        for step in 0..steps {
            let via_cached = rng.below(2) == 0;
            let d = rng.below(delegates.len());
            let kind = rng.below(13);
            let what: String;
            let ok = {
                let del = &mut delegates[d];
                let in_program = if d == 5 { other_program.clone() } else { program.clone() };
                let owner = del.token.clone();
                match kind {
                    0 => {
                        // A check-in on an active plan, dated up to 20 days back in the owner's today.
                        let Some(plan) = del.plans.iter_mut().find(|p| p.status == "active") else { continue };
                        let on = today_at_offset(offset_of(del.tz)) - Duration::days(rng.below(20) as i64);
                        let progress = ["on_track", "at_risk", "off_track"][rng.below(3)];
                        let body = json!({ "reported_on": ymd(on), "summary": "Circle held.", "progress": progress, "confidence": 6 });
                        what = format!("check-in {progress} on {on}");
                        let (status, c) = wire.call(via_cached, Method::POST, &format!("/plans/{}/check-ins", plan.id), &owner, Some(&body)).await;
                        if status == 201 {
                            plan.pending.push(id_of(&c));
                        }
                        status == 201
                    }
                    1 => {
                        let Some(plan) = del.plans.iter_mut().find(|p| !p.pending.is_empty()) else { continue };
                        let check_in = plan.pending.remove(0);
                        let decision = ["acknowledged", "revision_requested"][rng.below(2)];
                        what = format!("review {decision}");
                        let body = json!({ "decision": decision, "note": "Thank you." });
                        let mut ok = false;
                        for reviewer in &reviewers {
                            let (status, _) = wire.call(via_cached, Method::POST, &format!("/check-ins/{check_in}/review"), reviewer, Some(&body)).await;
                            if status == 200 {
                                ok = true;
                                break;
                            }
                        }
                        ok
                    }
                    2 => {
                        let Some(plan) = del.plans.iter_mut().find(|p| matches!(p.status.as_str(), "draft" | "changes_requested" | "active")) else { continue };
                        let due = today_at_offset(0) + Duration::days(rng.below(5) as i64 - 2);
                        what = format!("activity due {due}");
                        let body = json!({ "title": "Follow-up visit", "due_on": ymd(due) });
                        let (status, a) = wire.call(via_cached, Method::POST, &format!("/plans/{}/activities", plan.id), &owner, Some(&body)).await;
                        if status == 201 {
                            plan.activities.push(id_of(&a));
                        }
                        status == 201
                    }
                    3 => {
                        let Some(plan) = del.plans.iter().find(|p| !p.activities.is_empty() && matches!(p.status.as_str(), "draft" | "changes_requested" | "active")) else { continue };
                        let Some(activity) = rng.pick(&plan.activities).cloned() else { continue };
                        let body = match rng.below(3) {
                            0 => json!({ "status": "done" }),
                            1 => json!({ "status": (["in_progress", "cancelled", "planned", "blocked"][rng.below(4)]) }),
                            _ => json!({ "due_on": ymd(today_at_offset(0) + Duration::days(rng.below(5) as i64 - 2)) }),
                        };
                        what = format!("activity {body}");
                        let (status, _) = wire.call(via_cached, Method::PATCH, &format!("/activities/{activity}"), &owner, Some(&body)).await;
                        status == 200
                    }
                    4 => {
                        let Some(plan) = del.plans.last_mut() else { continue };
                        let (action, by_owner, next) = match plan.status.as_str() {
                            "draft" | "changes_requested" => ("submit", true, "submitted"),
                            "submitted" => if rng.below(3) == 0 { ("request-changes", false, "changes_requested") } else { ("approve", false, "active") },
                            "active" => if rng.below(2) == 0 { ("complete", false, "completed") } else { ("discontinue", false, "discontinued") },
                            _ => continue,
                        };
                        what = format!("plan {action}");
                        let body = if matches!(action, "request-changes" | "discontinue") { json!({ "reason": "Programme review." }) } else { json!({}) };
                        let by = if by_owner { owner.clone() } else { coordinator.token.clone() };
                        let (status, _) = wire.call(via_cached, Method::POST, &format!("/plans/{}/{action}", plan.id), &by, Some(&body)).await;
                        if status == 200 {
                            plan.status = next.into();
                        }
                        status == 200
                    }
                    5 => {
                        what = "new plan".into();
                        let (status, p) = wire.call(via_cached, Method::POST, "/plans", &owner, Some(&plan_body(&in_program))).await;
                        if status == 201 {
                            del.plans.push(PlanS { id: id_of(&p), status: "draft".into(), activities: vec![], indicators: vec![], pending: vec![] });
                        }
                        status == 201
                    }
                    6 => {
                        let Some(plan) = del.plans.iter().find(|p| p.status == "active" && !p.indicators.is_empty()) else { continue };
                        let value = rng.below(25) as f64;
                        let on = today_at_offset(offset_of(del.tz)) - Duration::days(rng.below(5) as i64);
                        what = format!("measurement {value} on {on}");
                        let body = json!({ "value": value, "measured_on": ymd(on) });
                        let (status, _) = wire.call(via_cached, Method::POST, &format!("/indicators/{}/measurements", plan.indicators[0]), &owner, Some(&body)).await;
                        status == 201
                    }
                    7 => {
                        if del.member {
                            what = "membership removed".into();
                            let (status, _) = wire.call(via_cached, Method::DELETE, &format!("/programs/{in_program}/members/{}", del.id), &token, None).await;
                            if status == 204 {
                                del.member = false;
                                del.mentorship = None;
                            }
                            status == 204
                        } else {
                            what = "membership added".into();
                            let body = json!({ "user_id": del.id, "role": "delegate" });
                            let (status, _) = wire.call(via_cached, Method::POST, &format!("/programs/{in_program}/members"), &token, Some(&body)).await;
                            del.member |= status == 201;
                            status == 201
                        }
                    }
                    8 => {
                        if let Some(m) = del.mentorship.clone() {
                            what = "mentorship removed".into();
                            let (status, _) = wire.call(via_cached, Method::DELETE, &format!("/programs/{in_program}/mentorships/{m}"), &token, None).await;
                            if status == 204 {
                                del.mentorship = None;
                            }
                            status == 204
                        } else {
                            what = "mentorship added".into();
                            let m = if rng.below(2) == 0 || d == 5 { &mentor_id } else { &other_mentor_id };
                            let body = json!({ "mentor_id": m, "delegate_id": del.id });
                            let (status, ms) = wire.call(via_cached, Method::POST, &format!("/programs/{in_program}/mentorships"), &token, Some(&body)).await;
                            if status == 201 {
                                del.mentorship = Some(id_of(&ms));
                            }
                            status == 201
                        }
                    }
                    9 => {
                        let name = format!("Delegate {d} v{step}");
                        what = format!("renamed {name}");
                        let (status, _) = wire.call(via_cached, Method::PATCH, &format!("/users/{}", del.id), &token, Some(&json!({ "display_name": name }))).await;
                        status == 200
                    }
                    10 => {
                        let tz = ZONES[rng.below(ZONES.len())].0;
                        what = format!("time zone {tz}");
                        let (status, _) = wire.call(via_cached, Method::PATCH, &format!("/users/{}", del.id), &token, Some(&json!({ "time_zone": tz }))).await;
                        if status == 200 {
                            del.tz = tz;
                        }
                        status == 200
                    }
                    11 => {
                        let (path, body) = if rng.below(2) == 0 {
                            (format!("/organizations/{org}"), json!({ "name": format!("Sentra Efata {step}"), "region": (["Nusa Tenggara Timur", "Papua"][rng.below(2)]) }))
                        } else {
                            (format!("/users/{}", del.id), json!({ "organization_id": if rng.below(2) == 0 { Value::Null } else { json!(org) } }))
                        };
                        what = format!("organisation {body}");
                        let (status, _) = wire.call(via_cached, Method::PATCH, &path, &token, Some(&body)).await;
                        status == 200
                    }
                    _ => {
                        let cadence = 1 + rng.below(20);
                        what = format!("cadence {cadence}");
                        let (status, _) = wire.call(via_cached, Method::PATCH, &format!("/programs/{in_program}"), &token, Some(&json!({ "check_in_cadence_days": cadence }))).await;
                        status == 200
                    }
                }
            };
            done += usize::from(ok);
            // Every viewer, twice from the cache (the second a hit), against the reference.
            for (who, viewer) in &viewers {
                let mut agreed = false;
                for attempt in 0..2 {
                    let first = wire.figures(true, &program, viewer).await;
                    let again = wire.figures(true, &program, viewer).await;
                    let reference = wire.figures(false, &program, viewer).await;
                    if first == reference && again == reference {
                        agreed = true;
                        break;
                    }
                    // A midnight somewhere between the reads may explain one disagreement.
                    assert!(
                        attempt == 0,
                        "seed {seed}, step {step} ({what}, via the {} instance, ok: {ok}): the {who}'s cached figures differ\ncached: {first}\nagain: {again}\nfrom scratch: {reference}",
                        if via_cached { "caching" } else { "other" }
                    );
                }
                assert!(agreed);
            }
        }
        eprintln!("{done} of {steps} writes succeeded");
        assert!(done * 2 >= steps, "seed {seed}: too few writes succeeded ({done} of {steps})");
        let metrics = app.get("/metrics").await.text().await.unwrap();
        let hits = metric(&metrics, "followup_monitoring_cache_hits_total");
        let misses = metric(&metrics, "followup_monitoring_cache_misses_total");
        eprintln!("cache: {hits} hits, {misses} misses");
        assert!(hits >= steps as u64 * viewers.len() as u64, "the cache was hit ({hits} hits, {misses} misses)");
        assert!(misses > 0);
    }
);
