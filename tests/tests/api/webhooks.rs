//! Webhooks: a programme's coordinator subscribes an endpoint; each event
//! after that arrives signed (Standard Webhooks), once, with only what an
//! observer may see; failures are retried, logged and redelivered; an
//! endpoint failing too long is disabled and its owner told by e-mail;
//! private targets are refused.

use base64::Engine;
use followup_persistence::repo::audit::{self, StoredEvent};
use followup_persistence::{Database, DatabaseUrl, PoolOptions};
use followup_tests::api::{expect_empty, expect_json, id_of, item_strings, items};
use followup_tests::plans::{
    cast, check_in_body, comment_body, day, owner_today, post_check_in, post_comment, transition_ok, Cast,
};
use followup_tests::receiver::{Received, Receiver};
use followup_tests::smtp::{spawn_with_mail, Received as SmtpReceived};
use followup_tests::{
    assert_problem, backend_test, configured_test, json, on_both_backends, Backend, TestApp, Value,
};
use hmac::{Hmac, Mac};

/// The worker on, quick, allowed to reach the loopback receiver.
fn quick(cfg: &mut followup_server::ServeConfig) {
    cfg.run_worker = true;
    cfg.worker.worker_interval_ms = 50;
    cfg.worker.webhook_allow_private = true;
    cfg.worker.webhook_retry_schedule = vec![1, 1];
    cfg.worker.webhook_timeout = 5;
}

/// The coordinator subscribes `url` to the programme's `event_types`;
/// asserts 201 and returns the webhook.
async fn subscribe(cast: &Cast<'_>, url: &str, event_types: &[&str]) -> Value {
    let body = json!({ "url": url, "event_types": event_types });
    expect_json(cast.coordinator.post(&format!("/programs/{}/webhooks", cast.program_id), &body).await, 201)
        .await
}

/// Check a message's signature as the Standard Webhooks specification says.
fn assert_signed(message: &Received, secret: &str) {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    let signed =
        format!("{}.{}.{}", message.header("webhook-id"), message.header("webhook-timestamp"), message.body);
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", engine.encode(mac.finalize().into_bytes()));
    let signatures: Vec<&str> = message.header("webhook-signature").split(' ').collect();
    assert!(
        signatures.contains(&expected.as_str()),
        "signed with {secret}: {signatures:?} for {}",
        message.body
    );
    let sent: i64 = message.header("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent).abs() < 60, "a fresh timestamp");
    assert_eq!(message.header("content-type"), "application/json");
}

fn types(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect()
}

configured_test!(
    async fn each_event_after_subscribing_arrives_signed_once_with_what_an_observer_may_see(app) with quick; {
        let cast = cast(&app).await;
        let active = id_of(&cast.plan_in("active").await);
        let draft = id_of(&cast.draft_plan().await);
        let receiver = Receiver::start().await;
        let path = format!("/programs/{}/webhooks", cast.program_id);
        let body = json!({
            "url": receiver.url,
            "event_types": ["plan.submitted", "plan.approved", "check_in.posted", "comment.added", "plan.submitted"],
            "description": "WhatsApp gateway of Dinas Sosial NTT",
        });
        // Only the programme's coordinator (or an admin) subscribes.
        assert_problem(cast.owner.post(&path, &body).await, 403, "forbidden").await;
        assert_problem(cast.mentor.post(&path, &body).await, 403, "forbidden").await;
        assert_problem(cast.outsider.post(&path, &body).await, 404, "not_found").await;
        let response = cast.coordinator.post(&path, &body).await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(response.headers().contains_key("etag") && response.headers().contains_key("location"));
        let hook = expect_json(response, 201).await;
        let secret = hook["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{hook}");
        assert_eq!(hook["event_types"], json!(["plan.submitted", "plan.approved", "check_in.posted", "comment.added"]));
        assert_eq!(hook["enabled"], true);
        let hook_id = id_of(&hook);
        let read = cast.coordinator.get_ok(&format!("/webhooks/{hook_id}")).await;
        assert!(read.get("secret").is_none() && !read.to_string().contains(&secret), "the secret is shown once");
        assert_eq!(item_strings(&cast.coordinator.get_ok(&path).await, "id"), vec![hook_id.clone()]);
        assert_problem(cast.observer.get(&format!("/webhooks/{hook_id}")).await, 403, "forbidden").await;

        // What happens now: a mentors-only comment (never sent), a draft's
        // change (never sent), a shared comment, a submission, an approval,
        // a check-in, and a membership (not subscribed).
        post_comment(&cast.mentor, &active, &comment_body("Between mentors: watch the budget.", "mentors")).await;
        post_comment(&cast.owner, &draft, &comment_body("Note to self on the draft.", "shared")).await;
        let shared = post_comment(&cast.mentor, &active, &comment_body("Well done on the first circle.", "shared")).await;
        transition_ok(&cast.owner, &draft, "submit", None).await;
        transition_ok(&cast.mentor, &draft, "approve", None).await;
        let check_in = post_check_in(&cast.owner, &active, &check_in_body(&day(owner_today(), -1), "Two circles ran.")).await;

        let received = receiver.wait_for("four messages", |r| r.len() >= 4).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let received = if receiver.received().len() > received.len() { receiver.received() } else { received };
        let mut got = types(&received);
        got.sort();
        assert_eq!(got, ["check_in.posted", "comment.added", "plan.approved", "plan.submitted"], "exactly these, once each");
        for message in &received {
            assert_signed(message, &secret);
            let data = &message.json()["data"];
            assert_eq!(data["program_id"], cast.program_id.as_str());
        }
        let find = |t: &str| received.iter().find(|r| r.json()["type"] == t).unwrap().json();
        let comment = find("comment.added");
        assert_eq!(comment["data"]["entity_id"], id_of(&shared).as_str(), "the shared comment, not the mentors' one");
        assert_eq!(comment["data"]["entity_type"], "comment");
        let approved = find("plan.approved");
        assert_eq!(approved["data"]["plan_id"], draft.as_str());
        assert_eq!(approved["data"]["owner_id"], cast.owner_id.as_str());
        assert_eq!(approved["data"]["actor_id"], cast.mentor_id.as_str());
        assert_eq!(approved["data"]["plan_status"], "active");
        assert_eq!(find("check_in.posted")["data"]["entity_id"], id_of(&check_in).as_str());
        assert!(chrono::DateTime::parse_from_rfc3339(approved["timestamp"].as_str().unwrap()).is_ok());
        assert!(!received.iter().any(|r| r.body.contains("watch the budget") || r.body.contains("Note to self")));

        // The delivery log: one attempt each, answered 204; the webhook-id is the event's id.
        let log = cast.coordinator.get_ok(&format!("/webhooks/{hook_id}/deliveries?status=succeeded")).await;
        assert_eq!(items(&log).len(), 4, "{log}");
        for delivery in items(&log) {
            assert_eq!(delivery["attempts"], 1);
            assert_eq!(delivery["attempt_log"][0]["response_status"], 204);
            assert!(delivery["delivered_at"].is_string());
            assert!(received.iter().any(|r| r.header("webhook-id") == delivery["event_id"].as_str().unwrap()));
        }
        assert!(items(&cast.coordinator.get_ok(&format!("/webhooks/{hook_id}/deliveries?status=failed")).await).is_empty());
        let metrics = app.get("/metrics").await.text().await.unwrap();
        let value = |name: &str| -> f64 {
            metrics.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(-1.0)
        };
        assert!(value("followup_webhook_attempts_total{outcome=\"delivered\"} ") >= 4.0, "{metrics}");
        assert_eq!(value("followup_webhook_pending_deliveries "), 0.0, "nothing waits");
        assert_eq!(value("followup_webhook_oldest_pending_seconds "), 0.0);
        assert_eq!(value("followup_outbox_undispatched_events "), 0.0);

        // A webhook changed to every type gets the next membership change too;
        // deleted, it gets nothing more and is gone.
        let changed = expect_json(cast.coordinator.patch(&format!("/webhooks/{hook_id}"), &json!({ "event_types": [] })).await, 200).await;
        assert_eq!(changed["event_types"], json!([]));
        assert_eq!(changed["version"], 2);
        let (person, _) = followup_tests::plans::new_person(&app, &cast.admin.token, "rina.webhook@dinsos.example.id", "Rina Ndolu", "Asia/Makassar", None).await;
        followup_tests::api::add_member(&app, &cast.admin.token, &cast.program_id, &person, "observer").await;
        let received = receiver.wait_for("the membership", |r| types(r).contains(&"membership.added".to_owned())).await;
        assert_signed(received.last().unwrap(), &secret);
        expect_empty(cast.coordinator.delete(&format!("/webhooks/{hook_id}")).await, 204).await;
        assert_problem(cast.coordinator.get(&format!("/webhooks/{hook_id}")).await, 404, "not_found").await;
        let before = receiver.received().len();
        post_comment(&cast.mentor, &active, &comment_body("After the webhook was removed.", "shared")).await;
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert_eq!(receiver.received().len(), before, "a deleted webhook gets nothing");
    }
);

on_both_backends!(
    failing_endpoint:
    failures_are_retried_logged_redelivered_and_a_failing_endpoint_is_disabled_and_its_owner_told_sqlite,
    failures_are_retried_logged_redelivered_and_a_failing_endpoint_is_disabled_and_its_owner_told_postgres
);

async fn failing_endpoint(backend: Backend) {
    let Some((sink, app)) = spawn_with_mail(backend, |cfg| {
        quick(cfg);
        cfg.worker.webhook_disable_after = 4;
    })
    .await
    else {
        return;
    };
    {
        let cast = cast(&app).await;
        let active = id_of(&cast.plan_in("active").await);
        let receiver = Receiver::start().await;
        let hook = subscribe(&cast, &receiver.url, &["comment.added"]).await;
        let (hook_id, secret) = (id_of(&hook), hook["secret"].as_str().unwrap().to_owned());

        // A 500, then a redirect (not followed), then 204: three attempts, one message id.
        receiver.answer_next(&[(500, None), (302, Some("/elsewhere"))]);
        post_comment(&cast.mentor, &active, &comment_body("First comment.", "shared")).await;
        let received = receiver.wait_for("three attempts", |r| r.len() >= 3).await;
        let ids: Vec<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "the same webhook-id on every attempt: {ids:?}");
        assert!(received.iter().all(|r| r.path == "/hooks/followup"), "the redirect is not followed");
        received.iter().for_each(|r| assert_signed(r, &secret));
        let log = cast.coordinator.get_ok(&format!("/webhooks/{hook_id}/deliveries")).await;
        let mut delivery = items(&log)[0].clone();
        for _ in 0..40 {
            if delivery["status"] == "succeeded" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            delivery =
                items(&cast.coordinator.get_ok(&format!("/webhooks/{hook_id}/deliveries")).await)[0].clone();
        }
        assert_eq!(delivery["status"], "succeeded", "{delivery}");
        let statuses: Vec<Value> = delivery["attempt_log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["response_status"].clone())
            .collect();
        assert_eq!(statuses, [json!(500), json!(302), json!(204)]);
        assert!(
            delivery["attempt_log"][0]["response_body"].as_str().unwrap().contains("maintenance"),
            "the answer is kept"
        );
        assert!(delivery["attempt_log"][1]["error"].as_str().unwrap().contains("redirects are not followed"));
        let webhook = cast.coordinator.get_ok(&format!("/webhooks/{hook_id}")).await;
        assert!(webhook["failing_since"].is_null(), "a success clears the failures: {webhook}");

        // Redelivered by hand: the same message again, a fourth attempt.
        let delivery_id = id_of(&delivery);
        assert_problem(
            cast.owner.post(&format!("/webhook-deliveries/{delivery_id}/redeliver"), &json!({})).await,
            403,
            "forbidden",
        )
        .await;
        let queued = expect_json(
            cast.coordinator.post(&format!("/webhook-deliveries/{delivery_id}/redeliver"), &json!({})).await,
            202,
        )
        .await;
        assert_eq!(queued["status"], "pending");
        let received = receiver.wait_for("the redelivery", |r| r.len() >= 4).await;
        assert_eq!(received[3].header("webhook-id"), ids[0]);
        assert_signed(&received[3], &secret);

        // An endpoint that keeps failing: the schedule runs out (failed), and
        // once it has failed for longer than allowed the webhook is disabled.
        receiver.answer_otherwise(503);
        let before = receiver.received().len();
        post_comment(&cast.mentor, &active, &comment_body("Second comment.", "shared")).await;
        receiver.wait_for("three failed attempts", |r| r.len() >= before + 3).await;
        let failing = cast.coordinator.get_ok(&format!("/webhooks/{hook_id}")).await;
        assert!(failing["failing_since"].is_string() && failing["enabled"] == true, "{failing}");
        let mut gave_up = Value::Null;
        for _ in 0..50 {
            gave_up = cast.coordinator.get_ok(&format!("/webhooks/{hook_id}/deliveries?status=failed")).await;
            if !items(&gave_up).is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(items(&gave_up)[0]["attempts"], 3, "the schedule is spent: {gave_up}");
        tokio::time::sleep(std::time::Duration::from_millis(4200)).await;
        post_comment(&cast.mentor, &active, &comment_body("Third comment.", "shared")).await;
        let mut webhook = Value::Null;
        for _ in 0..60 {
            webhook = cast.coordinator.get_ok(&format!("/webhooks/{hook_id}")).await;
            if webhook["enabled"] == false {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(webhook["enabled"], false, "{webhook}");
        assert!(webhook["disabled_reason"].as_str().unwrap().contains("failed since"), "{webhook}");
        assert!(
            items(&cast.coordinator.get_ok(&format!("/webhooks/{hook_id}/deliveries?status=pending")).await)
                .is_empty(),
            "nothing waits for a disabled webhook"
        );
        let failed_id = id_of(&items(&gave_up)[0]);
        assert_problem(
            cast.coordinator.post(&format!("/webhook-deliveries/{failed_id}/redeliver"), &json!({})).await,
            409,
            "webhook_disabled",
        )
        .await;
        let events = audit_of(&app, &hook_id);
        assert!(
            events.iter().any(|e| e.action == "disable" && e.actor_id.is_none()),
            "the server disabled it: {events:?}"
        );

        // The coordinator who subscribed it is told by e-mail, once, with the
        // way back: the delivery log and the PATCH that turns it on again.
        let coordinator_email = cast.coordinator.get_ok("/me").await["email"].as_str().unwrap().to_owned();
        let notice = |m: &SmtpReceived| m.header("Subject").starts_with("Webhook disabled");
        let mail = sink.wait_for("the owner's notice", |r| r.iter().any(notice)).await;
        let told: Vec<_> = mail.iter().filter(|m| notice(m)).collect();
        assert_eq!(told.len(), 1, "told once, and only the one who subscribed it: {told:?}");
        assert_eq!(told[0].to, vec![coordinator_email.clone()]);
        assert_eq!(told[0].header("Subject"), format!("Webhook disabled: {}", receiver.url));
        let text = told[0].text();
        assert!(
            text.contains("failed since") && text.contains(&format!("/api/v1/webhooks/{hook_id}/deliveries")),
            "{text}"
        );
        assert!(text.contains(r#"{"enabled": true}"#), "{text}");

        // Enabled again by the coordinator: failures forgotten, messages flow.
        receiver.answer_otherwise(204);
        let enabled = expect_json(
            cast.coordinator.patch(&format!("/webhooks/{hook_id}"), &json!({ "enabled": true })).await,
            200,
        )
        .await;
        assert!(
            enabled["enabled"] == true
                && enabled["failing_since"].is_null()
                && enabled["disabled_reason"].is_null(),
            "{enabled}"
        );
        let before = receiver.received().len();
        let back = post_comment(&cast.mentor, &active, &comment_body("Back in business.", "shared")).await;
        let back_id = id_of(&back);
        receiver
            .wait_for("the message after re-enabling", |r| {
                r.len() > before && r.iter().any(|m| m.body.contains(&back_id))
            })
            .await;
    }
    app.stop().await;
}

fn audit_of(app: &TestApp, id: &str) -> Vec<StoredEvent> {
    let url = DatabaseUrl::parse(&app.db.url).unwrap();
    let db = Database::connect(&url, &PoolOptions::default()).unwrap();
    db.read(|c| audit::for_entity(c, id.parse().unwrap())).unwrap()
}

backend_test!(
    async fn targets_must_be_public_https_unless_the_operator_allows_private_ones(app) {
        let cast = cast(&app).await;
        let path = format!("/programs/{}/webhooks", cast.program_id);
        for (url, code) in [
            ("http://hooks.dinsos.example.id/followup", "not_https"),
            ("https://127.0.0.1:9000/hook", "target_refused"),
            ("https://localhost/hook", "target_refused"),
            ("https://169.254.169.254/latest/meta-data", "target_refused"),
            ("https://[::ffff:10.0.0.7]/hook", "target_refused"),
            ("https://user:secret@hooks.dinsos.example.id/", "invalid_url"),
            ("hooks.dinsos.example.id", "invalid_url"),
        ] {
            let problem = expect_json(cast.coordinator.post(&path, &json!({ "url": url })).await, 422).await;
            followup_tests::api::assert_field_error(&problem, "url", Some(code));
        }
        let unknown = cast.coordinator.post(&path, &json!({ "url": "https://hooks.dinsos.example.id/", "event_types": ["plan.created"] })).await;
        assert_eq!(unknown.status(), 422);
        // In Indonesian, for an Indonesian coordinator's client.
        let refused = cast.coordinator.request(reqwest::Method::POST, &path).header("Accept-Language", "id")
            .json(&json!({ "url": "https://10.1.2.3/" })).send().await.unwrap();
        let problem = expect_json(refused, 422).await;
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("tidak boleh menuju alamat"), "{problem}");
        assert!(items(&cast.coordinator.get_ok(&path).await).is_empty(), "nothing was created");

        // A public target is taken; changing it to a private one is refused and changes nothing.
        let hook = expect_json(cast.coordinator.post(&path, &json!({ "url": "https://hooks.dinsos.example.id/followup" })).await, 201).await;
        let hook_path = format!("/webhooks/{}", id_of(&hook));
        let problem = expect_json(cast.coordinator.patch(&hook_path, &json!({ "url": "https://192.168.1.20/" })).await, 422).await;
        followup_tests::api::assert_field_error(&problem, "url", Some("target_refused"));
        let read = cast.coordinator.get_ok(&hook_path).await;
        assert_eq!(read["url"], "https://hooks.dinsos.example.id/followup");
        assert_eq!(read["version"], 1);
    }
);

configured_test!(
    async fn an_event_written_while_no_worker_runs_is_sent_when_one_starts_and_retried_until_it_lands(app) with |cfg| {
        cfg.worker.webhook_allow_private = true;
    }; {
        let cast = cast(&app).await;
        let draft = id_of(&cast.draft_plan().await);
        let receiver = Receiver::start().await;
        let hook = subscribe(&cast, &receiver.url, &["plan.submitted"]).await;
        // The server that takes the submission runs no worker, as if it died
        // right after committing: the event waits in the outbox.
        transition_ok(&cast.owner, &draft, "submit", None).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(receiver.received().is_empty());
        let url = DatabaseUrl::parse(&app.db.url).unwrap();
        let db = Database::connect(&url, &PoolOptions::default()).unwrap();
        let program = cast.program_id.parse().unwrap();
        let events = db.read(|c| followup_persistence::repo::outbox::of_program(c, program)).unwrap();
        let submitted: Vec<_> = events.iter().filter(|e| e.event_type == "plan.submitted").collect();
        assert_eq!(submitted.len(), 1, "written with the change: {events:?}");
        assert_eq!(submitted[0].data["plan_id"], draft.as_str());

        // A worker takes the delivery and dies before sending it: its lease
        // (2 s here) has to run out before another worker sends it.
        assert!(db.write(|c| followup_persistence::repo::outbox::dispatch(c, 50)).unwrap() >= events.len());
        let taken = db.write(|c| followup_persistence::repo::deliveries::claim_due(c, chrono::Duration::seconds(2), 50)).unwrap();
        assert_eq!(taken.len(), 1);
        let lease_ends = chrono::Utc::now() + chrono::Duration::milliseconds(1900);

        // An instance with a worker starts: it sends the event once the
        // lease is over, and the endpoint's three 500s are retried until the
        // fourth attempt lands.
        receiver.answer_next(&[(500, None), (500, None), (500, None)]);
        let _worker = app.instance(|cfg| {
            quick(cfg);
            cfg.worker.webhook_retry_schedule = vec![1, 1, 1];
        }).await;
        let received = receiver.wait_for("four attempts", |r| r.len() >= 4).await;
        assert!(received.iter().all(|r| r.header("webhook-id") == submitted[0].id.to_string()), "one event, four attempts");
        received.iter().for_each(|r| assert_signed(r, hook["secret"].as_str().unwrap()));
        let mut delivery = Value::Null;
        for _ in 0..50 {
            delivery = items(&cast.coordinator.get_ok(&format!("/webhooks/{}/deliveries", id_of(&hook))).await)[0].clone();
            if delivery["status"] == "succeeded" { break; }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let statuses: Vec<Value> = delivery["attempt_log"].as_array().unwrap().iter().map(|a| a["response_status"].clone()).collect();
        assert_eq!(statuses, [json!(500), json!(500), json!(500), json!(204)], "{delivery}");
        let first = chrono::DateTime::parse_from_rfc3339(delivery["attempt_log"][0]["attempted_at"].as_str().unwrap()).unwrap();
        assert!(first >= lease_ends, "not before the dead worker's lease ended: {first} < {lease_ends}");
    }
);

/// Instances share one PostgreSQL (SQLite serves one process: its single
/// writer is the design, not a limit these instances would share).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_send_each_event_once() {
    let Some(db) = followup_tests::TestDatabase::postgres() else {
        followup_tests::skipped(followup_tests::Backend::Postgres);
        return;
    };
    let app = TestApp::spawn_with_database(db, |cfg| {
        quick(cfg);
        cfg.worker.worker_interval_ms = 20;
    })
    .await;
    {
        let cast = cast(&app).await;
        let active = id_of(&cast.plan_in("active").await);
        let other = app
            .instance(|cfg| {
                quick(cfg);
                cfg.worker.worker_interval_ms = 20;
            })
            .await;
        let receiver = Receiver::start().await;
        let hook = subscribe(&cast, &receiver.url, &["comment.added"]).await;
        // 200 comments, half through each instance, ten at a time.
        for batch in 0..20 {
            let posts = (0..10).map(|i| {
                let n = batch * 10 + i;
                let base = if n % 2 == 0 { app.address.clone() } else { other.address.clone() };
                app.client
                    .post(format!("{base}/api/v1/plans/{active}/comments"))
                    .bearer_auth(&cast.mentor.token)
                    .json(&comment_body(&format!("Comment {n} on the circles."), "shared"))
                    .send()
            });
            for response in futures_util::future::join_all(posts).await {
                assert_eq!(response.unwrap().status(), 201);
            }
        }
        receiver.wait_for("200 messages", |r| r.len() >= 200).await;
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        let received = receiver.received();
        let ids: std::collections::HashSet<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
        assert_eq!(ids.len(), 200, "every event");
        assert_eq!(received.len(), 200, "each once");
        let log = followup_tests::plans::all_items(
            &cast.coordinator,
            &format!("/webhooks/{}/deliveries", id_of(&hook)),
        )
        .await;
        assert_eq!(log.len(), 200);
        assert!(log.iter().all(|d| d["status"] == "succeeded" && d["attempts"] == 1));
    }
}

configured_test!(
    async fn an_overdue_activity_and_a_silent_delegate_are_told_once_each(app) with |cfg| {
        quick(cfg);
        cfg.worker.scheduler_interval = 1;
    }; {
        let cast = cast(&app).await;
        let receiver = Receiver::start().await;
        subscribe(&cast, &receiver.url, &["activity.overdue", "delegate.silent"]).await;
        // An active plan whose owner has never reported (training ended in
        // May 2023) with an activity due in November 2023 and one not yet due.
        let plan = id_of(&cast.plan_in("active").await);
        let late = followup_tests::plans::create_activity(&cast.owner, &plan, &followup_tests::plans::activity_body("Train the first ten youth workers", Some("2023-11-15"))).await;
        followup_tests::plans::create_activity(&cast.owner, &plan, &followup_tests::plans::activity_body("Write the closing report", None)).await;
        let of = |r: &[Received], t: &str| -> Vec<Value> { r.iter().map(Received::json).filter(|m| m["type"] == t).collect() };
        let received = receiver.wait_for("both events", |r| !of(r, "activity.overdue").is_empty() && !of(r, "delegate.silent").is_empty()).await;
        let overdue = &of(&received, "activity.overdue")[0];
        assert_eq!(overdue["data"]["entity_id"], id_of(&late).as_str());
        assert_eq!(overdue["data"]["due_on"], "2023-11-15");
        assert_eq!(overdue["data"]["plan_id"], plan.as_str());
        assert_eq!(overdue["data"]["owner_id"], cast.owner_id.as_str());
        assert!(overdue["data"]["actor_id"].is_null(), "the passing of days, not a person");
        let silent = &of(&received, "delegate.silent")[0];
        assert_eq!(silent["data"]["entity_type"], "user");
        assert_eq!(silent["data"]["entity_id"], cast.owner_id.as_str());
        assert_eq!(silent["data"]["silent_since"], "2023-05-19", "the end of training: no check-in yet");

        // Later looks tell nothing again.
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        let received = receiver.received();
        assert_eq!(of(&received, "activity.overdue").len(), 1, "once per due date");
        assert_eq!(of(&received, "delegate.silent").len(), 1, "once per silence");

        // A check-in ends the silence; a new due date that passes is told anew;
        // done, the activity is told nothing more.
        post_check_in(&cast.owner, &plan, &check_in_body(&day(owner_today(), 0), "The first circle met.")).await;
        let activity = format!("/activities/{}", id_of(&late));
        expect_json(cast.owner.patch(&activity, &json!({ "due_on": "2023-11-20" })).await, 200).await;
        let received = receiver.wait_for("the new due date", |r| of(r, "activity.overdue").len() >= 2).await;
        assert_eq!(of(&received, "activity.overdue")[1]["data"]["due_on"], "2023-11-20");
        expect_json(cast.owner.patch(&activity, &json!({ "status": "done", "completed_on": "2023-11-19" })).await, 200).await;
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        let received = receiver.received();
        assert_eq!(of(&received, "activity.overdue").len(), 2);
        assert_eq!(of(&received, "delegate.silent").len(), 1, "reporting ended the silence");
    }
);

configured_test!(
    async fn a_rotated_secret_signs_beside_the_new_one_for_a_day(app) with quick; {
        let cast = cast(&app).await;
        let active = id_of(&cast.plan_in("active").await);
        let receiver = Receiver::start().await;
        let hook = subscribe(&cast, &receiver.url, &["comment.added"]).await;
        let (hook_id, old) = (id_of(&hook), hook["secret"].as_str().unwrap().to_owned());
        let path = format!("/webhooks/{hook_id}/rotate-secret");
        assert_problem(cast.owner.post(&path, &json!({})).await, 403, "forbidden").await;
        let response = cast.coordinator.post(&path, &json!({})).await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        let rotated = expect_json(response, 200).await;
        let new = rotated["secret"].as_str().unwrap().to_owned();
        assert!(new.starts_with("whsec_") && new != old);
        assert_eq!(rotated["version"], 2);
        let until = chrono::DateTime::parse_from_rfc3339(rotated["previous_secret_expires_at"].as_str().unwrap()).unwrap();
        let hours = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
        assert!((23 * 60..=24 * 60).contains(&hours), "a day of overlap: {rotated}");
        assert!(cast.coordinator.get_ok(&format!("/webhooks/{hook_id}")).await.get("secret").is_none());

        post_comment(&cast.mentor, &active, &comment_body("Signed twice.", "shared")).await;
        let received = receiver.wait_for("the message", |r| !r.is_empty()).await;
        assert_eq!(received[0].header("webhook-signature").split(' ').count(), 2, "{:?}", received[0].headers);
        assert_signed(&received[0], &new);
        assert_signed(&received[0], &old);
        let events = audit_of(&app, &hook_id);
        assert!(events.iter().any(|e| e.action == "rotate_secret"), "{events:?}");
        assert!(!events.iter().any(|e| e.changes.contains("whsec_")), "no secret in the audit log");

        // The log is kept for FOLLOWUP_WEBHOOK_LOG_DAYS: past it, a finished
        // event goes with its deliveries and attempts.
        let log_path = format!("/webhooks/{hook_id}/deliveries");
        let mut finished = Value::Null;
        for _ in 0..50 {
            finished = cast.coordinator.get_ok(&log_path).await;
            if items(&finished).iter().all(|d| d["status"] == "succeeded") { break; }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(items(&finished).len(), 1, "{finished}");
        let url = DatabaseUrl::parse(&app.db.url).unwrap();
        let db = Database::connect(&url, &PoolOptions::default()).unwrap();
        let outbox = followup_persistence::repo::outbox::prune;
        assert_eq!(db.write(|c| outbox(c, chrono::Utc::now() - chrono::Duration::days(1))).unwrap(), 0, "kept while young");
        assert!(db.write(|c| outbox(c, chrono::Utc::now() + chrono::Duration::minutes(1))).unwrap() >= 1);
        assert!(items(&cast.coordinator.get_ok(&log_path).await).is_empty(), "the log went with the event");
    }
);
