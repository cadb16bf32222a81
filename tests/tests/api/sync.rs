//! `GET /sync`: an offline client's replica, rebuilt from the change feed,
//! equals what the GET endpoints show it — while others change things under
//! it (updates, deletes, a mentorship moved, a draft submitted) — and it never
//! learns of anything it may not see.

use std::collections::{HashMap, HashSet};

use followup_tests::api::{add_mentorship, expect_empty, expect_json, id_of, items, Authed};
use followup_tests::assert_problem;
use followup_tests::plans::{
    activity_body, all_items, cast, check_in_body, comment_body, create_activity, create_indicator,
    indicator_body, measurement_body, post_check_in, post_comment, record_measurement, transition_ok, Cast,
    Role,
};
use followup_tests::{backend_test, configured_test};
use serde_json::{json, Value};

type Key = (String, String);

/// A client's local copy, built only from the feed.
#[derive(Default)]
struct Replica {
    cursor: Option<String>,
    state: HashMap<Key, Value>,
    /// Every id the feed ever gave this client with data.
    seen: HashSet<String>,
    /// Every tombstone it received.
    tombstones: Vec<Key>,
}

impl Replica {
    /// Pull one page; true if more are waiting.
    async fn pull_page(&mut self, client: &Authed<'_>, limit: u32) -> bool {
        self.pull_page_at(client, &client.app.address, limit).await
    }

    /// Pull one page from the instance at `base`; true if more are waiting.
    async fn pull_page_at(&mut self, client: &Authed<'_>, base: &str, limit: u32) -> bool {
        let path = match &self.cursor {
            Some(c) => format!("/sync?limit={limit}&since={c}"),
            None => format!("/sync?limit={limit}"),
        };
        let response =
            client.app.client.get(format!("{base}/api/v1{path}")).bearer_auth(&client.token).send().await;
        let page = expect_json(response.expect("request failed"), 200).await;
        for item in items(&page) {
            let key = (item["type"].as_str().unwrap().to_owned(), item["id"].as_str().unwrap().to_owned());
            match item["op"].as_str().unwrap() {
                "upsert" => {
                    let data = item["data"].clone();
                    assert_eq!(data["id"], item["id"], "upsert data is the entity: {item}");
                    assert_eq!(item["version"], data.get("version").cloned().unwrap_or(json!(1)), "{item}");
                    self.seen.insert(key.1.clone());
                    self.state.insert(key, data);
                }
                "delete" => {
                    assert!(item.get("data").is_none(), "a tombstone carries no data: {item}");
                    self.state.remove(&key);
                    self.tombstones.push(key);
                }
                other => panic!("unknown op {other}: {item}"),
            }
        }
        let next = page["next_cursor"].as_str().expect("next_cursor is always present").to_owned();
        self.cursor = Some(next);
        page["has_more"].as_bool().expect("has_more")
    }

    /// Pull until the feed is drained.
    async fn pull_all(&mut self, client: &Authed<'_>, limit: u32) {
        for _ in 0..1000 {
            if !self.pull_page(client, limit).await {
                return;
            }
        }
        panic!("the feed never ends");
    }
}

/// What the GET endpoints show `client`: every synced entity, keyed like the feed.
async fn truth(client: &Authed<'_>) -> HashMap<Key, Value> {
    let mut out = HashMap::new();
    let mut put = |kind: &str, v: Value| {
        out.insert((kind.to_owned(), id_of(&v)), v);
    };
    for program in all_items(client, "/programs").await {
        let id = id_of(&program);
        for m in all_items(client, &format!("/programs/{id}/members")).await {
            put("membership", m);
        }
        for m in all_items(client, &format!("/programs/{id}/mentorships")).await {
            put("mentorship", m);
        }
        put("program", program);
    }
    for plan in all_items(client, "/plans").await {
        let id = id_of(&plan);
        for a in all_items(client, &format!("/plans/{id}/activities")).await {
            put("activity", a);
        }
        for i in all_items(client, &format!("/plans/{id}/indicators")).await {
            for m in all_items(client, &format!("/indicators/{}/measurements", id_of(&i))).await {
                put("measurement", m);
            }
            put("indicator", i);
        }
        for c in all_items(client, &format!("/plans/{id}/check-ins")).await {
            put("check_in", c);
        }
        for c in all_items(client, &format!("/plans/{id}/comments")).await {
            put("comment", c);
        }
        put("plan", plan);
    }
    out
}

fn assert_same(role: Role, replica: &Replica, expected: &HashMap<Key, Value>) {
    let mut missing: Vec<&Key> = expected.keys().filter(|k| !replica.state.contains_key(*k)).collect();
    let mut extra: Vec<&Key> = replica.state.keys().filter(|k| !expected.contains_key(*k)).collect();
    missing.sort();
    extra.sort();
    assert!(missing.is_empty(), "{}: the replica lacks {missing:?}", role.name());
    assert!(extra.is_empty(), "{}: the replica holds what the API does not show: {extra:?}", role.name());
    for (key, value) in expected {
        assert_eq!(&replica.state[key], value, "{}: {key:?} differs from its GET", role.name());
    }
}

/// The feed never named these ids to this client: no data, no tombstone.
fn assert_never_named(role: Role, replica: &Replica, ids: &[&str]) {
    for id in ids {
        assert!(!replica.seen.contains(*id), "{}: received {id}", role.name());
        assert!(
            !replica.tombstones.iter().any(|(_, t)| t == id),
            "{}: a tombstone names {id}, which it may never see",
            role.name()
        );
    }
}

/// A plan of `owner` with an activity, an indicator with a measurement, a
/// check-in and comments, brought to `status` ("draft" or "active").
async fn furnished_plan(cast: &Cast<'_>, owner: Role, mentor: Role, status: &str) -> (String, String) {
    let client = cast.as_role(owner);
    let plan =
        expect_json(client.post("/plans", &followup_tests::plans::plan_body(&cast.program_id)).await, 201)
            .await;
    let id = id_of(&plan);
    let activity =
        create_activity(client, &id, &activity_body("Train 10 peer supporters", Some("2023-09-30"))).await;
    create_activity(client, &id, &activity_body("Overdue visit", Some("2023-06-15"))).await;
    let indicator = create_indicator(
        client,
        &id,
        &indicator_body("Trained peer supporters", "people", 0.0, 10.0, "increase"),
    )
    .await;
    if status == "active" {
        transition_ok(client, &id, "submit", None).await;
        transition_ok(cast.as_role(mentor), &id, "approve", None).await;
        record_measurement(client, &id_of(&indicator), &measurement_body(3.0, "2023-08-01")).await;
        post_check_in(client, &id, &check_in_body("2023-08-01", "Two sessions held.")).await;
        post_comment(cast.as_role(mentor), &id, &comment_body("Good progress.", "shared")).await;
        post_comment(cast.as_role(mentor), &id, &comment_body("Watch the budget.", "mentors")).await;
    }
    (id, id_of(&activity))
}

backend_test!(
    async fn a_replica_rebuilt_from_the_feed_equals_the_api_despite_concurrent_changes(app) {
    let cast = cast(&app).await;
    let (plan_a, activity_a) = furnished_plan(&cast, Role::Owner, Role::Mentor, "active").await;
    let (plan_draft, draft_activity) = furnished_plan(&cast, Role::Owner, Role::Mentor, "draft").await;
    let (plan_b, _) = furnished_plan(&cast, Role::OtherDelegate, Role::OtherMentor, "active").await;

    let roles: Vec<Role> = Role::ALL.into_iter().filter(|role| *role != Role::Anonymous).collect();
    let mut replicas: Vec<Replica> = roles.iter().map(|_| Replica::default()).collect();

    // Hong syncs fully; everyone else starts in small pages and stops half-way.
    for (role, replica) in roles.iter().zip(replicas.iter_mut()) {
        if *role == Role::Mentor {
            replica.pull_all(cast.as_role(*role), 5).await;
            assert!(replica.state.contains_key(&("plan".to_owned(), plan_draft.clone())), "Hong holds the draft");
        } else {
            replica.pull_page(cast.as_role(*role), 5).await;
            replica.pull_page(cast.as_role(*role), 5).await;
        }
    }

    // Meanwhile, others change things.
    let owner = &cast.owner;
    let a2 = create_activity(owner, &plan_a, &activity_body("Share the module with colleagues", None)).await;
    let patched = expect_json(
        owner.patch(&format!("/activities/{activity_a}"), &json!({ "status": "in_progress" })).await,
        200,
    )
    .await;
    assert_eq!(patched["status"], "in_progress");
    expect_empty(owner.delete(&format!("/activities/{}", id_of(&a2))).await, 204).await;
    // The owner deletes a draft the mentor and coordinator have seen.
    expect_empty(owner.delete(&format!("/plans/{plan_draft}")).await, 204).await;
    // A mentors-only comment written and deleted, one kept.
    let note = post_comment(&cast.mentor, &plan_a, &comment_body("Draft note", "mentors")).await;
    expect_empty(cast.mentor.delete(&format!("/comments/{}", id_of(&note))).await, 204).await;
    post_comment(&cast.mentor, &plan_a, &comment_body("Please add photos next time.", "shared")).await;
    // A new draft with content, then submitted: the observer may now see it and all under it.
    let (plan_c, _) = furnished_plan(&cast, Role::Owner, Role::Mentor, "draft").await;
    transition_ok(owner, &plan_c, "submit", None).await;
    // The owner's mentor changes: Hong stops, Choi takes over.
    let mentorships = all_items(&cast.coordinator, &format!("/programs/{}/mentorships", cast.program_id)).await;
    let hong = mentorships
        .iter()
        .find(|m| m["mentor_id"] == cast.mentor_id.as_str() && m["delegate_id"] == cast.owner_id.as_str())
        .expect("Hong mentors the owner");
    expect_empty(cast.coordinator.delete(&format!("/programs/{}/mentorships/{}", cast.program_id, id_of(hong))).await, 204).await;
    add_mentorship(&app, &cast.admin.token, &cast.program_id, &cast.other_mentor_id, &cast.owner_id).await;
    // The other delegate posts a check-in after all that.
    post_check_in(&cast.other_delegate, &plan_b, &check_in_body("2023-09-01", "Third session held.")).await;

    // Everyone drains the feed; the replica must equal the API.
    for (role, replica) in roles.iter().zip(replicas.iter_mut()) {
        replica.pull_all(cast.as_role(*role), 7).await;
        let expected = truth(cast.as_role(*role)).await;
        assert_same(*role, replica, &expected);
    }

    // What each may never learn of: mentors-only comments (owner, other
    // delegate, observer), the deleted draft (observer, other delegate, and
    // Choi, who mentored the owner only after it was gone).
    let mentors_only: Vec<String> = all_items(&cast.coordinator, &format!("/plans/{plan_a}/comments"))
        .await
        .iter()
        .filter(|c| c["visibility"] == "mentors")
        .map(id_of)
        .chain([id_of(&note)])
        .collect();
    assert_eq!(mentors_only.len(), 2, "one mentors-only comment kept, one deleted");
    let mut hidden: Vec<&str> = mentors_only.iter().map(String::as_str).collect();
    hidden.extend([plan_draft.as_str(), draft_activity.as_str()]);
    assert_never_named(Role::Observer, &replicas[5], &hidden);
    assert_never_named(Role::OtherDelegate, &replicas[1], &hidden);
    assert_never_named(Role::Owner, &replicas[0], &hidden[..2]);
    assert_never_named(Role::OtherMentor, &replicas[3], &hidden[2..]);

    // The specific promises, spelled out.
    let mentor = &replicas[2];
    assert!(
        mentor.tombstones.iter().any(|(k, id)| k == "plan" && *id == plan_a),
        "Hong, no longer the owner's mentor, is told to forget plan A"
    );
    assert!(
        mentor.tombstones.iter().any(|(k, id)| k == "plan" && *id == plan_draft),
        "the deleted draft is deleted for Hong"
    );
    let other_mentor = &replicas[3];
    assert!(
        other_mentor.state.contains_key(&("plan".to_owned(), plan_a.clone())),
        "Choi, the new mentor, receives the owner's plans"
    );
    let observer = &replicas[5];
    assert!(
        !observer.seen.contains(&plan_draft),
        "the observer never hears of a draft, not even its deletion"
    );
    assert!(observer.state.contains_key(&("plan".to_owned(), plan_c.clone())), "a submitted draft reaches the observer");
    let owner_replica = &replicas[0];
    assert!(
        !owner_replica.state.keys().any(|(k, _)| k == "comment")
            || owner_replica.state.iter().filter(|((k, _), _)| k == "comment").all(|(_, c)| c["visibility"] == "shared"),
        "the owner never receives a mentors-only comment"
    );
    assert!(
        !owner_replica.seen.contains(&id_of(&note)),
        "nor a tombstone for one"
    );

    // A full resync from scratch gives the same state. Its tombstones (for
    // what was deleted while its pages went by) never name what exists.
    for (role, _) in roles.iter().zip(replicas.iter()) {
        let mut fresh = Replica::default();
        fresh.pull_all(cast.as_role(*role), 50).await;
        let expected = truth(cast.as_role(*role)).await;
        assert!(
            fresh.tombstones.iter().all(|k| !expected.contains_key(k)),
            "{}: a tombstone for something that exists",
            role.name()
        );
        assert_same(*role, &fresh, &expected);
    }
    }
);

backend_test!(
    async fn an_outsider_gets_nothing_of_a_programme_and_a_new_member_gets_all_of_it(app) {
    let cast = cast(&app).await;
    furnished_plan(&cast, Role::Owner, Role::Mentor, "active").await;
    let mut outsider = Replica::default();
    outsider.pull_all(&cast.outsider, 200).await;
    let leaked: Vec<&Key> = outsider
        .state
        .iter()
        .filter(|(_, v)| {
            v.get("program_id").and_then(Value::as_str) == Some(cast.program_id.as_str())
                || v["id"] == cast.program_id.as_str()
        })
        .map(|(k, _)| k)
        .collect();
    assert!(leaked.is_empty(), "the outsider's feed shows another programme: {leaked:?}");
    assert_same(Role::OtherDelegate, &outsider, &truth(&cast.outsider).await);

    // Made a coordinator of the programme, the outsider's next sync brings all of it.
    followup_tests::api::add_member(&app, &cast.admin.token, &cast.program_id, &cast.outsider_id, "coordinator")
        .await;
    outsider.pull_all(&cast.outsider, 200).await;
    let expected = truth(&cast.outsider).await;
    assert!(expected.keys().any(|(k, _)| k == "activity"), "the coordinator sees activities");
    assert_same(Role::Coordinator, &outsider, &expected);

    // Removed again: tombstones for all of it, and nothing of it remains.
    let path = format!("/programs/{}/members/{}", cast.program_id, cast.outsider_id);
    expect_empty(cast.admin.delete(&path).await, 204).await;
    outsider.pull_all(&cast.outsider, 200).await;
    assert_same(Role::OtherDelegate, &outsider, &truth(&cast.outsider).await);
    assert!(outsider.tombstones.iter().any(|(k, _)| k == "activity"), "the activities are withdrawn");
    }
);

backend_test!(
    async fn a_bad_cursor_or_limit_is_refused_and_changes_nothing(app) {
    let cast = cast(&app).await;
    let response = cast.owner.get("/sync?since=not-a-cursor").await;
    assert_problem(response, 400, "invalid_cursor").await;
    let problem = assert_problem(cast.owner.get("/sync?limit=0").await, 422, "validation_failed").await;
    followup_tests::api::assert_field_error(&problem, "limit", Some("out_of_range"));
    let problem = assert_problem(cast.owner.get("/sync?limit=1001").await, 422, "validation_failed").await;
    followup_tests::api::assert_field_error(&problem, "limit", Some("out_of_range"));
    let anonymous = app.client.get(followup_tests::api::api_url(&app, "/sync")).send().await.unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
    // The cursor is the last change covered: an empty feed hands back a cursor that still works.
    let mut replica = Replica::default();
    replica.pull_all(&cast.owner, 200).await;
    let cursor = replica.cursor.clone().unwrap();
    let page = cast.owner.get_ok(&format!("/sync?since={cursor}")).await;
    assert!(items(&page).is_empty(), "nothing changed: {page}");
    assert_eq!(page["next_cursor"], cursor.as_str());
    assert_eq!(page["has_more"], false);
    }
);

backend_test!(
    async fn what_a_phone_created_and_another_device_deleted_comes_back_as_a_tombstone(app) {
    let cast = cast(&app).await;
    let (plan, _) = furnished_plan(&cast, Role::Owner, Role::Mentor, "active").await;
    let mut phone = Replica::default();
    phone.pull_all(&cast.owner, 200).await;
    let before = phone.cursor.clone();

    // The phone posts a comment and keeps the answer; the delegate deletes it
    // from the web before the phone syncs again.
    let comment = post_comment(&cast.owner, &plan, &comment_body("Sent from the phone.", "shared")).await;
    let id = id_of(&comment);
    phone.state.insert(("comment".to_owned(), id.clone()), comment);
    expect_empty(cast.owner.delete(&format!("/comments/{id}")).await, 204).await;

    phone.cursor = before;
    phone.pull_all(&cast.owner, 200).await;
    assert!(
        phone.tombstones.contains(&("comment".to_owned(), id.clone())),
        "the deleted comment comes back as a tombstone: {:?}",
        phone.tombstones
    );
    assert_same(Role::Owner, &phone, &truth(&cast.owner).await);

    // A mentor's shared comment the delegate read through GET, then deleted by
    // the mentor: a tombstone too, and a full resync carries no ghost either.
    let shared = post_comment(&cast.mentor, &plan, &comment_body("Read on the phone.", "shared")).await;
    let shared_id = id_of(&shared);
    let before = phone.cursor.clone();
    cast.owner.get_ok(&format!("/comments/{shared_id}")).await;
    phone.state.insert(("comment".to_owned(), shared_id.clone()), shared);
    expect_empty(cast.mentor.delete(&format!("/comments/{shared_id}")).await, 204).await;
    phone.cursor = before;
    phone.pull_all(&cast.owner, 200).await;
    assert!(phone.tombstones.contains(&("comment".to_owned(), shared_id)), "the mentor's deletion reaches the phone");
    assert_same(Role::Owner, &phone, &truth(&cast.owner).await);
    }
);

configured_test!(
    async fn a_cursor_older_than_the_kept_changes_answers_410_and_a_fresh_sync_is_whole(app) with |cfg| {
        // Keep nothing superseded, and compact every second.
        cfg.sync_retention_days = 0;
        cfg.sync_compaction_interval = 1;
    }; {
    let cast = cast(&app).await;
    let (plan, activity) = furnished_plan(&cast, Role::Owner, Role::Mentor, "draft").await;
    let mut phone = Replica::default();
    phone.pull_all(&cast.owner, 200).await;
    let before = phone.cursor.clone().unwrap();

    // Two changes to one activity after the phone's cursor: compaction drops
    // the first, which the phone never received.
    let path = format!("/activities/{activity}");
    expect_json(cast.owner.patch(&path, &json!({ "title": "Train 12 peer supporters" })).await, 200).await;
    expect_json(cast.owner.patch(&path, &json!({ "title": "Train 15 peer supporters" })).await, 200).await;
    let mut expired = None;
    for _ in 0..100 {
        let response = cast.owner.get(&format!("/sync?since={before}")).await;
        if response.status() == 410 {
            expired = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let response = expired.expect("the old cursor expires once the feed is compacted");
    let problem = assert_problem(response, 410, "cursor_expired").await;
    assert!(problem["detail"].as_str().unwrap_or_default().contains("since"), "{problem}");

    // Starting again from scratch brings everything as the API shows it,
    // the plan included, although its own changes were compacted.
    let mut fresh = Replica::default();
    fresh.pull_all(&cast.owner, 200).await;
    let expected = truth(&cast.owner).await;
    assert!(expected.contains_key(&("plan".to_owned(), plan.clone())));
    assert_same(Role::Owner, &fresh, &expected);
    // …and the new cursor keeps working.
    let cursor = fresh.cursor.clone().unwrap();
    let page = cast.owner.get_ok(&format!("/sync?since={cursor}")).await;
    assert!(items(&page).is_empty(), "{page}");
    }
);

/// A request to the instance at `base`, as `client`.
fn at(client: &Authed<'_>, base: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    client.app.client.request(method, format!("{base}/api/v1{path}")).bearer_auth(&client.token)
}

/// The ETag `base` gives `path` now.
async fn etag_at(client: &Authed<'_>, base: &str, path: &str) -> String {
    let response = at(client, base, reqwest::Method::GET, path).send().await.expect("request failed");
    assert_eq!(response.status(), 200, "GET {path}");
    response.headers()["etag"].to_str().expect("an ETag").to_owned()
}

/// One delegate's day of edits on their plan, each request to the next
/// instance in turn: activities added, renamed and removed.
async fn edit_plan(client: &Authed<'_>, bases: &[String], plan: &str, writer: usize, edits: usize) {
    let mut kept: Vec<String> = Vec::new();
    for i in 0..edits {
        let base = &bases[(writer + i) % bases.len()];
        let body = activity_body(&format!("Home visit {writer}-{i}"), None);
        let created = at(client, base, reqwest::Method::POST, &format!("/plans/{plan}/activities"))
            .json(&body)
            .send()
            .await;
        kept.push(id_of(&expect_json(created.expect("request failed"), 201).await));
        if i % 3 == 2 {
            let path = format!("/activities/{}", kept[kept.len() - 2]);
            let etag = etag_at(client, base, &path).await;
            let renamed = at(client, base, reqwest::Method::PATCH, &path)
                .header("If-Match", etag)
                .json(&json!({ "title": format!("Home visit {writer}-{i}, with the village head") }))
                .send()
                .await;
            expect_json(renamed.expect("request failed"), 200).await;
        }
        if i % 5 == 4 {
            let path = format!("/activities/{}", kept.remove(0));
            let etag = etag_at(client, base, &path).await;
            let removed =
                at(client, base, reqwest::Method::DELETE, &path).header("If-Match", etag).send().await;
            expect_empty(removed.expect("request failed"), 204).await;
        }
    }
}

/// A mentor's comments on two plans, each to the next instance in turn.
async fn comment_on(client: &Authed<'_>, bases: &[String], plans: [&str; 2], edits: usize) {
    for i in 0..edits {
        let base = &bases[i % bases.len()];
        let body = comment_body(
            &format!("Note {i}: keep the attendance lists."),
            if i % 2 == 0 { "shared" } else { "mentors" },
        );
        let posted = at(client, base, reqwest::Method::POST, &format!("/plans/{}/comments", plans[i % 2]))
            .json(&body)
            .send()
            .await;
        expect_json(posted.expect("request failed"), 201).await;
    }
}

backend_test!(
    /// Many writers on every instance (two on PostgreSQL; SQLite has one
    /// writer) while a reader syncs in small pages from each in turn: what
    /// the reader assembled equals a sync from scratch and the API, round
    /// after round. A change that committed behind the reader's cursor would
    /// be missing from its copy.
    async fn a_reader_syncing_through_concurrent_writers_on_every_instance_misses_nothing(app) {
    let cast = cast(&app).await;
    let (plan_a, _) = furnished_plan(&cast, Role::Owner, Role::Mentor, "active").await;
    let (plan_b, _) = furnished_plan(&cast, Role::OtherDelegate, Role::OtherMentor, "active").await;
    let second = match app.backend {
        followup_tests::Backend::Postgres => Some(app.instance(|_| {}).await),
        followup_tests::Backend::Sqlite => None,
    };
    let mut bases = vec![app.address.clone()];
    bases.extend(second.iter().map(|i| i.address.clone()));

    let mut reader = Replica::default();
    for round in 0..3 {
        let done = std::sync::atomic::AtomicBool::new(false);
        let writers = async {
            tokio::join!(
                edit_plan(&cast.owner, &bases, &plan_a, 0, 24),
                edit_plan(&cast.owner, &bases, &plan_a, 1, 24),
                edit_plan(&cast.other_delegate, &bases, &plan_b, 2, 24),
                edit_plan(&cast.other_delegate, &bases, &plan_b, 3, 24),
                comment_on(&cast.mentor, &bases, [plan_a.as_str(), plan_a.as_str()], 16),
                comment_on(&cast.other_mentor, &bases, [plan_b.as_str(), plan_b.as_str()], 16),
            );
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        };
        let syncing = async {
            let mut pages = 0usize;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                reader.pull_page_at(&cast.admin, &bases[pages % bases.len()], 3).await;
                pages += 1;
            }
            pages
        };
        let ((), pages) = tokio::join!(writers, syncing);
        assert!(pages > 5, "round {round}: the reader synced while the writers wrote ({pages} pages)");
        reader.pull_all(&cast.admin, 50).await;
        let mut fresh = Replica::default();
        fresh.pull_all(&cast.admin, 200).await;
        assert_eq!(
            reader.state.keys().collect::<HashSet<_>>(),
            fresh.state.keys().collect::<HashSet<_>>(),
            "round {round}: the reader's copy holds what a sync from scratch does"
        );
        for (key, value) in &fresh.state {
            assert_eq!(&reader.state[key], value, "round {round}: {key:?} is stale in the reader's copy");
        }
        assert_same(Role::Admin, &reader, &truth(&cast.admin).await);
    }
    }
);
