//! Helpers for the action-plan tests: the reference story's cast (one
//! programme with a coordinator, two mentors, two delegates and an observer,
//! plus a delegate of another programme), plan and sub-resource bodies, the
//! workflow, paging through lists and reading the history.
//!
//! Paths are relative to `/api/v1`, as in [`crate::api`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::api::{
    add_member, add_mentorship, admin, api_url, create_org, create_program, expect_json, id_of, items, login,
    Authed, USER_PASSWORD,
};
use crate::TestApp;

/// The reference story's programme.
pub const PROGRAM_CODE: &str = "KOICA-ITP-2023";
/// Another programme, for the outsider.
pub const OTHER_PROGRAM_CODE: &str = "KOICA-ITP-2024";
/// The reference plan's title.
pub const PLAN_TITLE: &str = "Peer-support training for youth workers in Kupang";
/// The owner's time zone (UTC+8 all year, no daylight saving).
pub const OWNER_TIME_ZONE: &str = "Asia/Makassar";
/// The reference plan's period.
pub const PLAN_STARTS_ON: &str = "2023-06-01";
pub const PLAN_ENDS_ON: &str = "2023-11-30";

/// Every plan status word.
pub const STATUSES: [&str; 6] =
    ["draft", "submitted", "changes_requested", "active", "completed", "discontinued"];

/// The actors of the plan tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The delegate who owns the plan (Yohanes Lado).
    Owner,
    /// Another delegate of the same programme.
    OtherDelegate,
    /// The owner's mentor (Young Joon Hong).
    Mentor,
    /// A mentor of the same programme who does not mentor the owner.
    OtherMentor,
    /// The programme's coordinator.
    Coordinator,
    /// The programme's observer (the funder).
    Observer,
    /// The system administrator (not a member of the programme).
    Admin,
    /// No token at all.
    Anonymous,
}

impl Role {
    /// Every role, in the order of the expectation arrays.
    pub const ALL: [Role; 8] = [
        Role::Owner,
        Role::OtherDelegate,
        Role::Mentor,
        Role::OtherMentor,
        Role::Coordinator,
        Role::Observer,
        Role::Admin,
        Role::Anonymous,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::OtherDelegate => "other delegate",
            Role::Mentor => "owner's mentor",
            Role::OtherMentor => "other mentor",
            Role::Coordinator => "coordinator",
            Role::Observer => "observer",
            Role::Admin => "admin",
            Role::Anonymous => "no token",
        }
    }

    /// The position of this role in [`Role::ALL`] and in expectation arrays.
    pub fn index(self) -> usize {
        Role::ALL.iter().position(|r| *r == self).unwrap()
    }
}

/// The people of the reference story and their programmes.
pub struct Cast<'a> {
    pub app: &'a TestApp,
    pub admin: Authed<'a>,
    pub admin_id: String,
    pub program_id: String,
    pub other_program_id: String,
    /// The owner's organisation, Sentra Efata Kupang.
    pub org_id: String,
    pub owner: Authed<'a>,
    pub owner_id: String,
    pub other_delegate: Authed<'a>,
    pub other_delegate_id: String,
    pub mentor: Authed<'a>,
    pub mentor_id: String,
    pub other_mentor: Authed<'a>,
    pub other_mentor_id: String,
    pub coordinator: Authed<'a>,
    pub coordinator_id: String,
    pub observer: Authed<'a>,
    pub observer_id: String,
    /// A delegate of the other programme.
    pub outsider: Authed<'a>,
    pub outsider_id: String,
}

/// Three delegates of Dinas Sosial Papua (e-mail, name): Markus, Agus and Maria.
pub const PAPUA_DELEGATES: [(&str, &str); 3] = [
    ("markus.wenda@dinsos.papua.go.id", "Markus Wenda"),
    ("agus.kogoya@dinsos.papua.go.id", "Agus Kogoya"),
    ("maria.yewi@dinsos.papua.go.id", "Maria Yewi"),
];

impl<'a> Cast<'a> {
    /// The client acting as `role` and its user id; `None` for [`Role::Anonymous`].
    fn person(&self, role: Role) -> Option<(&Authed<'a>, &str)> {
        match role {
            Role::Owner => Some((&self.owner, &self.owner_id)),
            Role::OtherDelegate => Some((&self.other_delegate, &self.other_delegate_id)),
            Role::Mentor => Some((&self.mentor, &self.mentor_id)),
            Role::OtherMentor => Some((&self.other_mentor, &self.other_mentor_id)),
            Role::Coordinator => Some((&self.coordinator, &self.coordinator_id)),
            Role::Observer => Some((&self.observer, &self.observer_id)),
            Role::Admin => Some((&self.admin, &self.admin_id)),
            Role::Anonymous => None,
        }
    }

    /// The client acting as `role`; `None` for [`Role::Anonymous`].
    pub fn client(&self, role: Role) -> Option<&Authed<'a>> {
        self.person(role).map(|(client, _)| client)
    }

    /// The client acting as `role`; panics for [`Role::Anonymous`].
    pub fn as_role(&self, role: Role) -> &Authed<'a> {
        self.client(role).unwrap_or_else(|| panic!("{} has no client", role.name()))
    }

    /// The user id of `role`; `None` for [`Role::Anonymous`].
    pub fn user_id(&self, role: Role) -> Option<&str> {
        self.person(role).map(|(_, id)| id)
    }

    /// A draft plan of the owner with the reference story's content.
    pub async fn draft_plan(&self) -> Value {
        create_plan(&self.owner, &plan_body(&self.program_id)).await
    }

    /// A new plan of the owner brought to `status` by the owner and the mentor.
    pub async fn plan_in(&self, status: &str) -> Value {
        let plan = self.draft_plan().await;
        let id = id_of(&plan);
        let steps: &[(&str, Role, Option<&str>)] = match status {
            "draft" => &[],
            "submitted" => &[("submit", Role::Owner, None)],
            "changes_requested" => &[
                ("submit", Role::Owner, None),
                ("request-changes", Role::Mentor, Some("Please add a follow-up session.")),
            ],
            "active" => &[("submit", Role::Owner, None), ("approve", Role::Mentor, None)],
            "completed" => &[
                ("submit", Role::Owner, None),
                ("approve", Role::Mentor, None),
                ("complete", Role::Owner, None),
            ],
            "discontinued" => &[
                ("submit", Role::Owner, None),
                ("approve", Role::Mentor, None),
                ("discontinue", Role::Owner, Some("The unit was reorganised.")),
            ],
            other => panic!("no such plan status: {other}"),
        };
        let mut plan = plan;
        for (action, role, reason) in steps {
            plan = transition_ok(self.as_role(*role), &id, action, *reason).await;
        }
        assert_eq!(plan["status"], status, "plan_in({status}): {plan}");
        plan
    }

    /// The programme's training (eleven days) ended `days` days before
    /// `today`, as the admin sets it.
    pub async fn training_ended(&self, today: NaiveDate, days: i64) {
        let path = format!("/programs/{}", self.program_id);
        let body =
            json!({ "training_starts_on": day(today, -days - 11), "training_ends_on": day(today, -days) });
        expect_json(self.admin.patch(&path, &body).await, 200).await;
    }

    /// The [`PAPUA_DELEGATES`], created (in Asia/Jayapura) and made delegates
    /// of the programme: their ids and clients, in that order.
    pub async fn papua_delegates(&self) -> Vec<(String, Authed<'a>)> {
        let mut people = Vec::new();
        for (email, name) in PAPUA_DELEGATES {
            let (id, client) =
                new_person(self.app, &self.admin.token, email, name, "Asia/Jayapura", None).await;
            add_member(self.app, &self.admin.token, &self.program_id, &id, "delegate").await;
            people.push((id, client));
        }
        people
    }

    /// A check-in the owner posts, dated today, on a new active plan of
    /// theirs: the plan's id and the check-in's.
    pub async fn check_in_today(&self, summary: &str) -> (String, String) {
        let plan = id_of(&self.plan_in("active").await);
        let check_in =
            id_of(&post_check_in(&self.owner, &plan, &check_in_body(&day(owner_today(), 0), summary)).await);
        (plan, check_in)
    }
}

/// Create an account with a time zone and organisation (as an admin) and log it in.
pub async fn new_person<'a>(
    app: &'a TestApp,
    admin_token: &str,
    email: &str,
    display_name: &str,
    time_zone: &str,
    organization_id: Option<&str>,
) -> (String, Authed<'a>) {
    let body = json!({
        "email": email,
        "display_name": display_name,
        "password": USER_PASSWORD,
        "time_zone": time_zone,
        "organization_id": organization_id,
    });
    let user = expect_json(Authed::new(app, admin_token).post("/users", &body).await, 201).await;
    let tokens = login(app, email, USER_PASSWORD).await;
    (id_of(&user), Authed::new(app, tokens.access_token))
}

/// Set up the reference story's programmes and people.
pub async fn cast(app: &TestApp) -> Cast<'_> {
    let admin = admin(app).await;
    let admin_id = id_of(&admin.get_ok("/me").await);
    let token = admin.token.clone();
    let program_id = id_of(&create_program(app, &token, PROGRAM_CODE).await);
    let other_program_id = id_of(&create_program(app, &token, OTHER_PROGRAM_CODE).await);
    let org_id = id_of(&create_org(app, &token, "Sentra Efata Kupang", "technical_unit", None).await);

    let (owner_id, owner) = new_person(
        app,
        &token,
        "yohanes.lado@kemensos.go.id",
        "Yohanes Lado",
        OWNER_TIME_ZONE,
        Some(&org_id),
    )
    .await;
    let (other_delegate_id, other_delegate) = new_person(
        app,
        &token,
        "siti.rahmawati@dinsos.jakarta.go.id",
        "Siti Rahmawati",
        "Asia/Jakarta",
        None,
    )
    .await;
    let (mentor_id, mentor) =
        new_person(app, &token, "yj.hong@example.org", "Young Joon Hong", "Asia/Seoul", None).await;
    let (other_mentor_id, other_mentor) =
        new_person(app, &token, "haeun.choi@kds.re.kr", "Choi Ha-eun", "Asia/Seoul", None).await;
    let (coordinator_id, coordinator) =
        new_person(app, &token, "minji.kim@worldvision.or.kr", "Kim Min-ji", "Asia/Seoul", None).await;
    let (observer_id, observer) =
        new_person(app, &token, "soojin.lee@koica.go.kr", "Lee Soo-jin", "Asia/Seoul", None).await;
    let (outsider_id, outsider) =
        new_person(app, &token, "andi.pratama@dinsos.jakarta.go.id", "Andi Pratama", "Asia/Jakarta", None)
            .await;

    for (user, role) in [
        (&owner_id, "delegate"),
        (&other_delegate_id, "delegate"),
        (&mentor_id, "mentor"),
        (&other_mentor_id, "mentor"),
        (&coordinator_id, "coordinator"),
        (&observer_id, "observer"),
    ] {
        add_member(app, &token, &program_id, user, role).await;
    }
    add_member(app, &token, &other_program_id, &outsider_id, "delegate").await;
    add_mentorship(app, &token, &program_id, &mentor_id, &owner_id).await;
    add_mentorship(app, &token, &program_id, &other_mentor_id, &other_delegate_id).await;

    Cast {
        app,
        admin,
        admin_id,
        program_id,
        other_program_id,
        org_id,
        owner,
        owner_id,
        other_delegate,
        other_delegate_id,
        mentor,
        mentor_id,
        other_mentor,
        other_mentor_id,
        coordinator,
        coordinator_id,
        observer,
        observer_id,
        outsider,
        outsider_id,
    }
}

/// The reference plan's body in programme `program_id`.
pub fn plan_body(program_id: &str) -> Value {
    json!({
        "program_id": program_id,
        "title": PLAN_TITLE,
        "problem_statement": "Youth workers at Sentra Efata Kupang have had no training in peer support, \
                              and young people in care wait weeks for a first counselling session.",
        "goal": "Train 20 youth workers in Kupang to run peer-support circles with young people.",
        "target_group": "Youth workers and young people at Sentra Efata Kupang",
        "location": "Kupang, Nusa Tenggara Timur",
        "starts_on": PLAN_STARTS_ON,
        "ends_on": PLAN_ENDS_ON,
    })
}

/// `base` with the fields of `changes` replaced.
pub fn with(base: &Value, changes: Value) -> Value {
    let mut body = base.clone();
    for (k, v) in changes.as_object().expect("changes must be an object") {
        body[k] = v.clone();
    }
    body
}

/// Create a plan; asserts 201 and returns it.
pub async fn create_plan(client: &Authed<'_>, body: &Value) -> Value {
    expect_json(client.post("/plans", body).await, 201).await
}

/// The body of a transition: `{ "reason" }` when given, `{}` otherwise.
pub fn transition_body(reason: Option<&str>) -> Value {
    match reason {
        Some(reason) => json!({ "reason": reason }),
        None => json!({}),
    }
}

/// `POST /plans/{id}/{action}` (`submit`, `approve`, `request-changes`, `complete`, `discontinue`).
pub async fn transition(client: &Authed<'_>, plan_id: &str, action: &str, reason: Option<&str>) -> Response {
    client.post(&format!("/plans/{plan_id}/{action}"), &transition_body(reason)).await
}

/// A transition that must succeed; returns the plan.
pub async fn transition_ok(client: &Authed<'_>, plan_id: &str, action: &str, reason: Option<&str>) -> Value {
    expect_json(transition(client, plan_id, action, reason).await, 200).await
}

/// An activity body.
pub fn activity_body(title: &str, due_on: Option<&str>) -> Value {
    json!({ "title": title, "due_on": due_on })
}

/// Add an activity; asserts 201.
pub async fn create_activity(client: &Authed<'_>, plan_id: &str, body: &Value) -> Value {
    expect_json(client.post(&format!("/plans/{plan_id}/activities"), body).await, 201).await
}

/// An indicator body.
pub fn indicator_body(name: &str, unit: &str, baseline: f64, target: f64, direction: &str) -> Value {
    json!({ "name": name, "unit": unit, "baseline": baseline, "target": target, "direction": direction })
}

/// Add an indicator; asserts 201.
pub async fn create_indicator(client: &Authed<'_>, plan_id: &str, body: &Value) -> Value {
    expect_json(client.post(&format!("/plans/{plan_id}/indicators"), body).await, 201).await
}

/// A measurement body.
pub fn measurement_body(value: f64, measured_on: &str) -> Value {
    json!({ "value": value, "measured_on": measured_on })
}

/// Record a measurement; asserts 201.
pub async fn record_measurement(client: &Authed<'_>, indicator_id: &str, body: &Value) -> Value {
    expect_json(client.post(&format!("/indicators/{indicator_id}/measurements"), body).await, 201).await
}

/// A check-in body with one piece of evidence.
pub fn check_in_body(reported_on: &str, summary: &str) -> Value {
    json!({
        "reported_on": reported_on,
        "summary": summary,
        "progress": "on_track",
        "confidence": 7,
        "achievements": "The training module is drafted.",
        "challenges": "Two youth workers are on leave.",
        "support_needed": "Feedback on the module.",
        "next_steps": "Run the first training day.",
        "evidence": [{ "url": "https://drive.example.org/sentra-efata/module-v1.pdf", "title": "Module draft" }],
    })
}

/// Post a check-in; asserts 201.
pub async fn post_check_in(client: &Authed<'_>, plan_id: &str, body: &Value) -> Value {
    expect_json(client.post(&format!("/plans/{plan_id}/check-ins"), body).await, 201).await
}

/// A comment body.
pub fn comment_body(text: &str, visibility: &str) -> Value {
    json!({ "body": text, "visibility": visibility })
}

/// Post a comment; asserts 201.
pub async fn post_comment(client: &Authed<'_>, plan_id: &str, body: &Value) -> Value {
    expect_json(client.post(&format!("/plans/{plan_id}/comments"), body).await, 201).await
}

/// Append a query parameter to a path that may already have a query.
pub fn with_param(path: &str, param: &str) -> String {
    if path.contains('?') {
        format!("{path}&{param}")
    } else {
        format!("{path}?{param}")
    }
}

/// Every item of a list, following `next_cursor` (pages of 200).
pub async fn all_items(client: &Authed<'_>, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = with_param(path, "limit=200");
    for _ in 0..100 {
        let page = client.get_ok(&next).await;
        out.extend(items(&page).iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => next = with_param(path, &format!("limit=200&cursor={cursor}")),
            None => return out,
        }
    }
    panic!("{path}: paging does not end");
}

/// The ids of every item of a list.
pub async fn all_ids(client: &Authed<'_>, path: &str) -> Vec<String> {
    all_items(client, path).await.iter().map(id_of).collect()
}

/// The plan's history, newest first, every page.
pub async fn history(client: &Authed<'_>, plan_id: &str) -> Vec<Value> {
    all_items(client, &format!("/plans/{plan_id}/history")).await
}

/// The `ETag` header of a response.
pub fn etag(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{}: no ETag header", response.url().path()))
        .to_owned()
}

/// The `Location` header of a response, if any.
pub fn location(response: &Response) -> Option<String> {
    response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Today's date at a fixed UTC offset in hours.
pub fn today_at_offset(hours: i32) -> NaiveDate {
    let offset = FixedOffset::east_opt(hours * 3600).expect("offset in range");
    Utc::now().with_timezone(&offset).date_naive()
}

/// Today's date for the owner (Asia/Makassar, UTC+8).
pub fn owner_today() -> NaiveDate {
    today_at_offset(8)
}

/// `date` plus `days`, as `YYYY-MM-DD`.
pub fn day(date: NaiveDate, days: i64) -> String {
    (date + Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// Send a request as `client` (no token when `None`) with an optional JSON
/// body; returns the status and the body text.
pub async fn send(
    app: &TestApp,
    client: Option<&Authed<'_>>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, String) {
    let conditional = method == Method::PATCH || method == Method::DELETE;
    let mut request = match client {
        Some(client) => client.request(method, path),
        None => app.client.request(method, api_url(app, path)),
    };
    if conditional {
        // Whichever version is current: these calls test who may write.
        request = request.header("If-Match", "*");
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request failed");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// POST with an `Idempotency-Key`.
pub async fn post_with_key(client: &Authed<'_>, path: &str, key: &str, body: &Value) -> Response {
    client
        .request(Method::POST, path)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("request failed")
}

/// What a client sees of a response: for comparing replays.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: Value,
}

impl Answer {
    pub async fn of(response: Response) -> Self {
        let status = response.status().as_u16();
        let location = location(&response);
        let text = response.text().await.expect("cannot read the body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self { status, location, body }
    }
}

/// Assert two floating-point JSON values are equal within 1e-9 (`null` equals `null`).
pub fn assert_close(actual: &Value, expected: Option<f64>, what: &str) {
    match expected {
        None => assert!(actual.is_null(), "{what}: expected null, got {actual}"),
        Some(expected) => {
            let value =
                actual.as_f64().unwrap_or_else(|| panic!("{what}: expected {expected}, got {actual}"));
            assert!((value - expected).abs() < 1e-9, "{what}: expected {expected}, got {value}");
        }
    }
}
