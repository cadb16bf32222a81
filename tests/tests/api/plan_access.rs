//! Who may do what with a plan and everything under it: every endpoint of
//! the plans issue × {owner, other delegate of the programme, the owner's
//! mentor, another mentor, coordinator, observer, admin, no token}; and no
//! list ever returns a row its single GET would refuse.

use followup_tests::api::{expect_json, id_of, item_strings, Authed};
use followup_tests::plans::{
    activity_body, all_items, cast, check_in_body, comment_body, create_activity, create_indicator,
    create_plan, indicator_body, measurement_body, plan_body, post_check_in, post_comment,
    record_measurement, send, transition_body, transition_ok, with, Cast, Role,
};
use followup_tests::{backend_test, json, Value};
use reqwest::Method;

/// Expected statuses in [`Role::ALL`] order: owner, other delegate, the
/// owner's mentor, other mentor, coordinator, observer, admin, no token.
type Expect = [u16; 8];

/// Reads of a plan past its draft, and of what is under it.
const SEE: Expect = [200, 404, 200, 404, 200, 200, 200, 401];
/// Reads of a draft plan and of what is under it: the observer does not see drafts.
const SEE_DRAFT: Expect = [200, 404, 200, 404, 200, 404, 200, 401];
/// Reads of a `mentors` comment: neither the owner nor the observer.
const SEE_MENTORS_ONLY: Expect = [404, 404, 200, 404, 200, 404, 200, 401];

/// The owner's writes under a non-draft plan: everyone else who sees it gets 403.
const fn owner_writes(ok: u16) -> Expect {
    [ok, 404, 403, 404, 403, 403, 403, 401]
}

/// The owner's writes under a draft plan.
const fn owner_writes_draft(ok: u16) -> Expect {
    [ok, 404, 403, 404, 403, 404, 403, 401]
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

struct Matrix<'c, 'a> {
    cast: &'c Cast<'a>,
    failures: Vec<String>,
    cells: usize,
}

impl<'c, 'a> Matrix<'c, 'a> {
    fn new(cast: &'c Cast<'a>) -> Self {
        Self { cast, failures: Vec::new(), cells: 0 }
    }

    fn record(&mut self, role: Role, what: &str, expected: u16, actual: u16, body: &str) {
        self.cells += 1;
        if expected != actual {
            let body: String = body.chars().take(240).collect();
            self.failures
                .push(format!("{:<15} {what}: expected {expected}, got {actual} {body}", role.name()));
        }
    }

    /// Run one endpoint as every role: the roles expected to be refused
    /// first, then those expected to succeed. Returns the bodies of the
    /// successful answers.
    async fn cell(
        &mut self,
        what: &str,
        method: Method,
        path: &str,
        body: impl Fn(Role) -> Option<Value>,
        expected: Expect,
    ) -> Vec<(Role, Value)> {
        let mut order: Vec<Role> =
            Role::ALL.iter().copied().filter(|r| !is_success(expected[r.index()])).collect();
        order.extend(Role::ALL.iter().copied().filter(|r| is_success(expected[r.index()])));
        let mut successes = Vec::new();
        for role in order {
            let request_body = body(role);
            let (status, text) =
                send(self.cast.app, self.cast.client(role), method.clone(), path, request_body.as_ref())
                    .await;
            self.record(role, what, expected[role.index()], status, &text);
            if is_success(status) && !text.is_empty() {
                successes.push((role, serde_json::from_str(&text).unwrap_or(Value::Null)));
            }
        }
        successes
    }

    async fn read(&mut self, what: &str, path: &str, expected: Expect) {
        self.cell(what, Method::GET, path, |_| None, expected).await;
    }

    /// A transition as every role: the refused roles on one plan in `from`
    /// (whose status must not change), each allowed role on a plan of its own.
    async fn transition(&mut self, action: &str, from: &str, reason: Option<&str>, expected: Expect) {
        let what = format!("POST /plans/{{{from}}}/{action}");
        let allowed: Vec<Role> =
            Role::ALL.iter().copied().filter(|r| is_success(expected[r.index()])).collect();
        let mut plans = Vec::new();
        for _ in 0..allowed.len().max(1) {
            plans.push(id_of(&self.cast.plan_in(from).await));
        }
        let body = transition_body(reason);
        for role in Role::ALL.iter().copied().filter(|r| !is_success(expected[r.index()])) {
            let path = format!("/plans/{}/{action}", plans[0]);
            let (status, text) =
                send(self.cast.app, self.cast.client(role), Method::POST, &path, Some(&body)).await;
            self.record(role, &what, expected[role.index()], status, &text);
        }
        let status = self.cast.admin.get_ok(&format!("/plans/{}", plans[0])).await["status"].clone();
        if status != from {
            self.failures.push(format!("{what}: refused transitions changed the status to {status}"));
        }
        for (role, plan) in allowed.iter().zip(&plans) {
            let path = format!("/plans/{plan}/{action}");
            let (status, text) =
                send(self.cast.app, self.cast.client(*role), Method::POST, &path, Some(&body)).await;
            self.record(*role, &what, expected[role.index()], status, &text);
        }
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} matrix cells are wrong:\n  {}",
            self.failures.len(),
            self.cells,
            self.failures.join("\n  ")
        );
    }
}

/// Fixtures under one plan.
struct Under {
    plan: String,
    activity: String,
    indicator: String,
    shared_comment: String,
    private_comment: String,
}

/// An activity, an indicator and two mentor comments (shared, mentors) under `plan`.
async fn under(cast: &Cast<'_>, plan: &Value) -> Under {
    let plan_id = id_of(plan);
    let activity = create_activity(
        &cast.owner,
        &plan_id,
        &activity_body("Adapt the training module", Some("2023-06-30")),
    )
    .await;
    let indicator = create_indicator(
        &cast.owner,
        &plan_id,
        &indicator_body("Youth workers trained in peer support", "persons", 0.0, 20.0, "increase"),
    )
    .await;
    let shared = post_comment(
        &cast.mentor,
        &plan_id,
        &comment_body("Start with the module, it is the base.", "shared"),
    )
    .await;
    let private =
        post_comment(&cast.mentor, &plan_id, &comment_body("He may need help with the budget.", "mentors"))
            .await;
    Under {
        plan: plan_id,
        activity: id_of(&activity),
        indicator: id_of(&indicator),
        shared_comment: id_of(&shared),
        private_comment: id_of(&private),
    }
}

/// For every role that may list `list`, every row must be readable through
/// `/{single}/{id}` by that role; returns the failures.
async fn leaks(cast: &Cast<'_>, list: &str, single: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for role in Role::ALL {
        let Some(client) = cast.client(role) else { continue };
        let (status, _) = send(cast.app, Some(client), Method::GET, list, None).await;
        if status != 200 {
            continue;
        }
        for row in all_items(client, list).await {
            let path = format!("/{single}/{}", id_of(&row));
            let (status, _) = send(cast.app, Some(client), Method::GET, &path, None).await;
            if status != 200 {
                failures.push(format!(
                    "{} lists {list} with a row whose GET {path} answers {status}",
                    role.name()
                ));
            }
            if (role == Role::Owner || role == Role::Observer) && row["visibility"] == "mentors" {
                failures.push(format!("{} receives a mentors-only comment in {list}: {row}", role.name()));
            }
        }
    }
    failures
}

/// Which plans `role` may see, by the rules of the contract.
fn may_see(cast: &Cast<'_>, role: Role, plan: &Value) -> bool {
    let owner = plan["owner_id"].as_str().unwrap_or_default();
    let in_program = plan["program_id"] == cast.program_id.as_str();
    match role {
        Role::Owner | Role::Mentor => owner == cast.owner_id,
        Role::OtherDelegate | Role::OtherMentor => owner == cast.other_delegate_id,
        Role::Coordinator => in_program,
        Role::Observer => in_program && plan["status"] != "draft",
        Role::Admin => true,
        Role::Anonymous => false,
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

backend_test!(
    async fn every_plan_endpoint_answers_each_role_as_the_contract_says(app) {
        let cast = cast(&app).await;
        let draft = cast.draft_plan().await;
        let active = cast.plan_in("active").await;
        let doomed = cast.draft_plan().await;
        let d = under(&cast, &draft).await;
        let a = under(&cast, &active).await;
        let doomed_activity =
            create_activity(&cast.owner, &a.plan, &activity_body("Cancelled idea", Some("2023-07-01"))).await;
        let doomed_indicator = create_indicator(
            &cast.owner,
            &a.plan,
            &indicator_body("Leaflets printed", "copies", 0.0, 500.0, "increase"),
        )
        .await;
        record_measurement(&cast.owner, &a.indicator, &measurement_body(8.0, "2023-07-31")).await;
        let check_in = post_check_in(&cast.owner, &a.plan, &check_in_body("2023-07-31", "First month")).await;
        let owner_comment =
            post_comment(&cast.owner, &a.plan, &comment_body("I will send the module on Friday.", "shared")).await;
        let doomed_private =
            post_comment(&cast.mentor, &a.plan, &comment_body("Remove me later.", "mentors")).await;
        // The other delegate has plans of his own; the outsider has one in another programme.
        let theirs_draft = create_plan(&cast.other_delegate, &plan_body(&cast.program_id)).await;
        let theirs_submitted = create_plan(&cast.other_delegate, &plan_body(&cast.program_id)).await;
        transition_ok(&cast.other_delegate, &id_of(&theirs_submitted), "submit", None).await;
        let outside = create_plan(&cast.outsider, &plan_body(&cast.other_program_id)).await;

        let mut m = Matrix::new(&cast);
        let none = |_: Role| None;

        // Plans.
        let program_id = cast.program_id.clone();
        m.cell(
            "POST /plans",
            Method::POST,
            "/plans",
            |role| Some(with(&plan_body(&program_id), json!({ "title": format!("Plan of the {}", role.name()) }))),
            [201, 201, 403, 403, 403, 403, 403, 401],
        )
        .await;
        m.read("GET /plans", "/plans", [200, 200, 200, 200, 200, 200, 200, 401]).await;
        m.read("GET /plans/{draft}", &format!("/plans/{}", d.plan), SEE_DRAFT).await;
        m.read("GET /plans/{active}", &format!("/plans/{}", a.plan), SEE).await;
        m.cell(
            "PATCH /plans/{draft}",
            Method::PATCH,
            &format!("/plans/{}", d.plan),
            |role| Some(json!({ "location": format!("Kupang ({})", role.name()) })),
            owner_writes_draft(200),
        )
        .await;
        m.cell(
            "PATCH /plans/{active}",
            Method::PATCH,
            &format!("/plans/{}", a.plan),
            |_| Some(json!({ "location": "Atambua" })),
            owner_writes(409),
        )
        .await;
        m.cell("DELETE /plans/{active}", Method::DELETE, &format!("/plans/{}", a.plan), none, owner_writes(409))
            .await;
        m.cell(
            "DELETE /plans/{draft}",
            Method::DELETE,
            &format!("/plans/{}", id_of(&doomed)),
            none,
            owner_writes_draft(204),
        )
        .await;

        // Transitions.
        m.transition("submit", "draft", None, [200, 404, 403, 404, 403, 404, 403, 401]).await;
        m.transition("submit", "changes_requested", None, [200, 404, 403, 404, 403, 403, 403, 401]).await;
        let review = [403, 404, 200, 404, 200, 403, 403, 401];
        m.transition("approve", "submitted", None, review).await;
        m.transition("request-changes", "submitted", Some("Please add a follow-up session."), review).await;
        let close = [200, 404, 200, 404, 200, 403, 403, 401];
        m.transition("complete", "active", None, close).await;
        m.transition("discontinue", "active", Some("The unit was reorganised."), close).await;
        m.transition("discontinue", "submitted", Some("Withdrawn."), close).await;

        // Activities.
        for (plan, reads, writes, label) in
            [(&d, SEE_DRAFT, owner_writes_draft(201), "draft"), (&a, SEE, owner_writes(201), "active")]
        {
            let list = format!("/plans/{}/activities", plan.plan);
            m.read(&format!("GET /plans/{{{label}}}/activities"), &list, reads).await;
            m.cell(
                &format!("POST /plans/{{{label}}}/activities"),
                Method::POST,
                &list,
                |role| Some(activity_body(&format!("Activity of the {}", role.name()), Some("2023-09-15"))),
                writes,
            )
            .await;
            m.read(&format!("GET /activities/{{{label}}}"), &format!("/activities/{}", plan.activity), reads).await;
        }
        let activity = format!("/activities/{}", a.activity);
        m.cell(
            "PATCH /activities/{id}",
            Method::PATCH,
            &activity,
            |role| Some(json!({ "title": format!("Adapted by the {}", role.name()) })),
            owner_writes(200),
        )
        .await;
        m.cell(
            "DELETE /activities/{id}",
            Method::DELETE,
            &format!("/activities/{}", id_of(&doomed_activity)),
            none,
            owner_writes(204),
        )
        .await;

        // Indicators and measurements.
        for (plan, reads, writes, label) in
            [(&d, SEE_DRAFT, owner_writes_draft(201), "draft"), (&a, SEE, owner_writes(201), "active")]
        {
            let list = format!("/plans/{}/indicators", plan.plan);
            m.read(&format!("GET /plans/{{{label}}}/indicators"), &list, reads).await;
            m.cell(
                &format!("POST /plans/{{{label}}}/indicators"),
                Method::POST,
                &list,
                |role| Some(indicator_body(&format!("Circles run ({})", role.name()), "circles", 0.0, 6.0, "increase")),
                writes,
            )
            .await;
            m.read(&format!("GET /indicators/{{{label}}}"), &format!("/indicators/{}", plan.indicator), reads).await;
            m.read(
                &format!("GET /indicators/{{{label}}}/measurements"),
                &format!("/indicators/{}/measurements", plan.indicator),
                reads,
            )
            .await;
        }
        let indicator = format!("/indicators/{}", a.indicator);
        m.cell(
            "PATCH /indicators/{id}",
            Method::PATCH,
            &indicator,
            |role| Some(json!({ "name": format!("Trained ({})", role.name()) })),
            owner_writes(200),
        )
        .await;
        m.cell(
            "DELETE /indicators/{id}",
            Method::DELETE,
            &format!("/indicators/{}", id_of(&doomed_indicator)),
            none,
            owner_writes(204),
        )
        .await;
        let measurements = format!("/indicators/{}/measurements", a.indicator);
        m.cell(
            "POST /indicators/{id}/measurements",
            Method::POST,
            &measurements,
            |_| Some(measurement_body(12.0, "2023-08-31")),
            owner_writes(201),
        )
        .await;
        for method in [Method::PATCH, Method::DELETE] {
            let (status, text) = send(&app, Some(&cast.owner), method.clone(), &measurements, Some(&json!({}))).await;
            m.record(Role::Owner, &format!("{method} /indicators/{{id}}/measurements (append-only)"), 405, status, &text);
        }

        // Check-ins.
        m.read("GET /plans/{draft}/check-ins", &format!("/plans/{}/check-ins", d.plan), SEE_DRAFT).await;
        m.read("GET /plans/{active}/check-ins", &format!("/plans/{}/check-ins", a.plan), SEE).await;
        m.cell(
            "POST /plans/{active}/check-ins",
            Method::POST,
            &format!("/plans/{}/check-ins", a.plan),
            |role| Some(check_in_body("2023-08-31", &format!("Second month ({})", role.name()))),
            owner_writes(201),
        )
        .await;
        let check_in_path = format!("/check-ins/{}", id_of(&check_in));
        m.read("GET /check-ins/{id}", &check_in_path, SEE).await;
        m.cell(
            "POST /check-ins/{id}/review",
            Method::POST,
            &format!("{check_in_path}/review"),
            |role| Some(json!({ "decision": "acknowledged", "note": format!("Seen by the {}", role.name()) })),
            [403, 404, 200, 404, 403, 403, 403, 401],
        )
        .await;

        // Comments.
        m.read("GET /plans/{draft}/comments", &format!("/plans/{}/comments", d.plan), SEE_DRAFT).await;
        m.read("GET /plans/{active}/comments", &format!("/plans/{}/comments", a.plan), SEE).await;
        let comments = format!("/plans/{}/comments", a.plan);
        m.cell(
            "POST /plans/{active}/comments (shared)",
            Method::POST,
            &comments,
            |role| Some(comment_body(&format!("Shared note by the {}", role.name()), "shared")),
            [201, 404, 201, 404, 201, 403, 403, 401],
        )
        .await;
        m.cell(
            "POST /plans/{active}/comments (mentors)",
            Method::POST,
            &comments,
            |role| Some(comment_body(&format!("Mentors' note by the {}", role.name()), "mentors")),
            [403, 404, 201, 404, 201, 403, 403, 401],
        )
        .await;
        m.read("GET /comments/{shared}", &format!("/comments/{}", a.shared_comment), SEE).await;
        m.read("GET /comments/{mentors}", &format!("/comments/{}", a.private_comment), SEE_MENTORS_ONLY).await;
        m.read("GET /comments/{draft, shared}", &format!("/comments/{}", d.shared_comment), SEE_DRAFT).await;
        m.read(
            "GET /comments/{draft, mentors}",
            &format!("/comments/{}", d.private_comment),
            [404, 404, 200, 404, 200, 404, 200, 401],
        )
        .await;
        m.cell(
            "PATCH /comments/{mentor's shared}",
            Method::PATCH,
            &format!("/comments/{}", a.shared_comment),
            |role| Some(json!({ "body": format!("Edited by the {}", role.name()) })),
            [403, 404, 200, 404, 403, 403, 403, 401],
        )
        .await;
        m.cell(
            "PATCH /comments/{mentor's mentors-only}",
            Method::PATCH,
            &format!("/comments/{}", a.private_comment),
            |role| Some(json!({ "body": format!("Edited by the {}", role.name()) })),
            [404, 404, 200, 404, 403, 404, 403, 401],
        )
        .await;
        m.cell(
            "DELETE /comments/{owner's}",
            Method::DELETE,
            &format!("/comments/{}", id_of(&owner_comment)),
            none,
            owner_writes(204),
        )
        .await;
        m.cell(
            "DELETE /comments/{mentor's mentors-only}",
            Method::DELETE,
            &format!("/comments/{}", id_of(&doomed_private)),
            none,
            [404, 404, 204, 404, 403, 404, 403, 401],
        )
        .await;

        // History.
        m.read("GET /plans/{draft}/history", &format!("/plans/{}/history", d.plan), SEE_DRAFT).await;
        m.read("GET /plans/{active}/history", &format!("/plans/{}/history", a.plan), SEE).await;

        // The delegate of another programme sees nothing of programme P.
        let outsider = Some(&cast.outsider);
        for (what, method, path, body, expected) in [
            ("POST /plans (programme P)", Method::POST, "/plans".to_owned(), Some(plan_body(&cast.program_id)), 404),
            ("GET /plans/{active}", Method::GET, format!("/plans/{}", a.plan), None, 404),
            ("GET /activities/{id}", Method::GET, activity.clone(), None, 404),
            ("GET /plans/{active}/comments", Method::GET, comments.clone(), None, 404),
            ("GET /plans/{active}/history", Method::GET, format!("/plans/{}/history", a.plan), None, 404),
        ] {
            let (status, text) = send(&app, outsider, method, &path, body.as_ref()).await;
            if status != expected {
                m.failures.push(format!("outsider        {what}: expected {expected}, got {status} {text}"));
            }
        }
        m.finish();

        // What the allowed writes left, and that no refused one landed.
        let read = cast.admin.get_ok(&format!("/plans/{}", d.plan)).await;
        assert_eq!(read["location"], "Kupang (owner)", "only the owner's PATCH of the draft landed");
        let read = cast.admin.get_ok(&activity).await;
        assert_eq!(read["title"], "Adapted by the owner", "only the owner's PATCH of the activity landed");
        let read = cast.admin.get_ok(&indicator).await;
        assert_eq!(read["name"], "Trained (owner)");
        let read = cast.admin.get_ok(&format!("/comments/{}", a.shared_comment)).await;
        assert_eq!(read["body"], "Edited by the owner's mentor");
        let read = cast.admin.get_ok(&check_in_path).await;
        assert_eq!(read["reviewer_id"], cast.mentor_id.as_str(), "only the mentor's review landed");
        assert_eq!(read["review_note"], "Seen by the owner's mentor");
        let titles = item_strings(&cast.admin.get_ok(&format!("/plans/{}/activities", a.plan)).await, "title");
        assert_eq!(titles, vec!["Adapted by the owner", "Activity of the owner"], "activities of the active plan");
        let bodies = sorted(item_strings(&cast.admin.get_ok(&comments).await, "body"));
        let expected = sorted(
            [
                "Edited by the owner's mentor",
                "Edited by the owner's mentor",
                "Shared note by the owner",
                "Shared note by the owner's mentor",
                "Shared note by the coordinator",
                "Mentors' note by the owner's mentor",
                "Mentors' note by the coordinator",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        );
        assert_eq!(bodies, expected, "comments of the active plan after the matrix");
        let measured = all_items(&cast.admin, &measurements).await;
        assert_eq!(measured.len(), 2, "one fixture measurement and the owner's: {measured:?}");
        let check_ins = all_items(&cast.admin, &format!("/plans/{}/check-ins", a.plan)).await;
        assert_eq!(check_ins.len(), 2, "one fixture check-in and the owner's");

        // Every plan list holds exactly what its reader may see.
        let everything = all_items(&cast.admin, "/plans").await;
        let everything_ids: Vec<String> = everything.iter().map(id_of).collect();
        for plan in [&draft, &active, &theirs_draft, &theirs_submitted, &outside] {
            assert!(everything_ids.contains(&id_of(plan)), "the admin lists every plan: {} missing", id_of(plan));
        }
        assert!(!everything_ids.contains(&id_of(&doomed)), "a deleted plan is not listed");
        let mut failures = Vec::new();
        for role in Role::ALL {
            let Some(client) = cast.client(role) else { continue };
            let listed = sorted(all_items(client, "/plans").await.iter().map(id_of).collect());
            let expected = sorted(everything.iter().filter(|p| may_see(&cast, role, p)).map(id_of).collect());
            if listed != expected {
                failures.push(format!("{} lists {} plans, expected {}", role.name(), listed.len(), expected.len()));
            }
        }
        let listed: Vec<String> = all_items(&cast.outsider, "/plans").await.iter().map(id_of).collect();
        if listed != vec![id_of(&outside)] {
            failures.push(format!("the outsider lists {listed:?}"));
        }

        // No list returns a row that its single GET refuses.
        failures.extend(leaks(&cast, "/plans", "plans").await);
        for plan in [&d.plan, &a.plan, &id_of(&theirs_submitted)] {
            failures.extend(leaks(&cast, &format!("/plans/{plan}/activities"), "activities").await);
            failures.extend(leaks(&cast, &format!("/plans/{plan}/indicators"), "indicators").await);
            failures.extend(leaks(&cast, &format!("/plans/{plan}/check-ins"), "check-ins").await);
            failures.extend(leaks(&cast, &format!("/plans/{plan}/comments"), "comments").await);
        }
        assert!(failures.is_empty(), "lists and single reads disagree:\n  {}", failures.join("\n  "));

        // The mentors-only comments reach exactly the mentor, the coordinator and the admin.
        for role in [Role::Mentor, Role::Coordinator, Role::Admin, Role::Owner, Role::Observer] {
            let client: &Authed<'_> = cast.as_role(role);
            let rows = all_items(client, &comments).await;
            let private = rows.iter().filter(|c| c["visibility"] == "mentors").count();
            let expected = if matches!(role, Role::Owner | Role::Observer) { 0 } else { 3 };
            assert_eq!(private, expected, "{} receives {private} mentors-only comments", role.name());
        }
        let shared = expect_json(cast.owner.get(&format!("/comments/{}", a.shared_comment)).await, 200).await;
        assert_eq!(shared["visibility"], "shared");
    }
);
