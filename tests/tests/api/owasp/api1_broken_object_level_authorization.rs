//! API1: broken object level authorisation. Someone who may not see an
//! object must get 404 for it by id, whatever the method, and it must not
//! change; ids must not leak through the sync feed, the CSV export or lists.
//! (`plan_access` checks the role matrix inside one programme; these add
//! the delegate of another programme, writes with a valid `If-Match`, and
//! the read-back that nothing moved.)

use followup_tests::api::id_of;
use followup_tests::plans::{
    activity_body, cast, check_in_body, comment_body, create_activity, create_indicator, day, indicator_body,
    measurement_body, owner_today, post_check_in, post_comment, record_measurement, send, Cast, Role,
};
use followup_tests::{backend_test, json, Value};
use reqwest::Method;

/// A furnished active plan of the owner: its id and the ids and texts under it.
struct Furnished {
    plan: String,
    activity: String,
    indicator: String,
    measurement: String,
    check_in: String,
    shared_comment: String,
    owner_comment: String,
    /// Texts only the plan's readers may ever see.
    secrets: Vec<String>,
}

async fn furnish(cast: &Cast<'_>) -> Furnished {
    let plan = cast.plan_in("active").await;
    let plan_id = id_of(&plan);
    let activity = create_activity(
        &cast.owner,
        &plan_id,
        &activity_body("Adapt the module for Kupang", Some("2023-07-15")),
    )
    .await;
    let indicator = create_indicator(
        &cast.owner,
        &plan_id,
        &indicator_body("Peer-support circles held", "circles", 0.0, 12.0, "increase"),
    )
    .await;
    let measurement =
        record_measurement(&cast.owner, &id_of(&indicator), &measurement_body(2.0, &day(owner_today(), -1)))
            .await;
    let check_in = post_check_in(
        &cast.owner,
        &plan_id,
        &check_in_body(&day(owner_today(), 0), "Kupang circle ledger 7f3a: two circles held"),
    )
    .await;
    let shared_comment =
        post_comment(&cast.mentor, &plan_id, &comment_body("Mentor note 51c2 on the ledger", "shared")).await;
    let owner_comment =
        post_comment(&cast.owner, &plan_id, &comment_body("Owner reply 9d0e about circles", "shared")).await;
    Furnished {
        plan: plan_id,
        activity: id_of(&activity),
        indicator: id_of(&indicator),
        measurement: id_of(&measurement),
        check_in: id_of(&check_in),
        shared_comment: id_of(&shared_comment),
        owner_comment: id_of(&owner_comment),
        secrets: vec![
            "Adapt the module for Kupang".into(),
            "Peer-support circles held".into(),
            "Kupang circle ledger 7f3a".into(),
            "Mentor note 51c2".into(),
            "Owner reply 9d0e".into(),
        ],
    }
}

impl Furnished {
    fn ids(&self) -> Vec<&str> {
        vec![
            &self.plan,
            &self.activity,
            &self.indicator,
            &self.measurement,
            &self.check_in,
            &self.shared_comment,
            &self.owner_comment,
        ]
    }

    /// Every request an attacker could make on these objects by id.
    fn attacks(&self) -> Vec<(Method, String, Option<Value>)> {
        let Furnished { plan, activity, indicator, check_in, shared_comment, owner_comment, .. } = self;
        let mut out: Vec<(Method, String, Option<Value>)> = Vec::new();
        for path in [
            format!("/plans/{plan}"),
            format!("/activities/{activity}"),
            format!("/indicators/{indicator}"),
            format!("/comments/{shared_comment}"),
            format!("/comments/{owner_comment}"),
        ] {
            out.push((Method::GET, path.clone(), None));
            out.push((Method::DELETE, path, None));
        }
        for path in [
            format!("/check-ins/{check_in}"),
            format!("/plans/{plan}/history"),
            format!("/plans/{plan}/activities"),
            format!("/plans/{plan}/indicators"),
            format!("/plans/{plan}/check-ins"),
            format!("/plans/{plan}/comments"),
            format!("/indicators/{indicator}/measurements"),
        ] {
            out.push((Method::GET, path, None));
        }
        out.extend([
            (Method::PATCH, format!("/plans/{plan}"), Some(json!({ "title": "Taken over" }))),
            (Method::PATCH, format!("/activities/{activity}"), Some(json!({ "status": "cancelled" }))),
            (Method::PATCH, format!("/indicators/{indicator}"), Some(json!({ "target": 1.0 }))),
            (Method::PATCH, format!("/comments/{shared_comment}"), Some(json!({ "body": "Taken over" }))),
            (Method::PATCH, format!("/comments/{owner_comment}"), Some(json!({ "body": "Taken over" }))),
            (Method::POST, format!("/plans/{plan}/complete"), Some(json!({}))),
            (Method::POST, format!("/plans/{plan}/discontinue"), Some(json!({ "reason": "Taken over" }))),
            (Method::POST, format!("/plans/{plan}/activities"), Some(activity_body("Planted", None))),
            (Method::POST, format!("/plans/{plan}/comments"), Some(comment_body("Planted", "shared"))),
            (
                Method::POST,
                format!("/indicators/{indicator}/measurements"),
                Some(measurement_body(99.0, "2023-07-01")),
            ),
            (
                Method::POST,
                format!("/check-ins/{check_in}/review"),
                Some(json!({ "decision": "revision_requested", "note": "Taken over" })),
            ),
        ]);
        out
    }
}

/// Everything the owner sees of the plan, to compare before and after the attacks.
async fn snapshot(cast: &Cast<'_>, f: &Furnished) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/plans/{}", f.plan),
        format!("/activities/{}", f.activity),
        format!("/indicators/{}", f.indicator),
        format!("/check-ins/{}", f.check_in),
        format!("/comments/{}", f.shared_comment),
        format!("/comments/{}", f.owner_comment),
        format!("/plans/{}/activities", f.plan),
        format!("/plans/{}/comments", f.plan),
        format!("/plans/{}/check-ins", f.plan),
        format!("/indicators/{}/measurements", f.indicator),
    ] {
        out.push(cast.owner.get_ok(&path).await);
    }
    out
}

backend_test!(
    async fn strangers_get_404_for_every_object_by_id_and_change_nothing(app) {
        let cast = cast(&app).await;
        let f = furnish(&cast).await;
        let before = snapshot(&cast, &f).await;
        let mut failures = Vec::new();
        // Another delegate and another mentor of the same programme, and a
        // delegate of another programme.
        for (who, client) in [
            ("other delegate", cast.as_role(Role::OtherDelegate)),
            ("other mentor", cast.as_role(Role::OtherMentor)),
            ("outsider", &cast.outsider),
        ] {
            for (method, path, body) in f.attacks() {
                // A valid If-Match, so a refusal cannot be blamed on a stale version.
                let mut request = client.request(method.clone(), &path).header("if-match", "*");
                if let Some(body) = &body {
                    request = request.json(body);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                if status != 404 {
                    failures.push(format!("{who} {method} {path}: {status} {text}"));
                } else if f.secrets.iter().any(|s| text.contains(s.as_str())) {
                    failures.push(format!("{who} {method} {path}: the 404 quotes the object: {text}"));
                }
            }
        }
        assert!(failures.is_empty(), "object-level refusals:\n  {}", failures.join("\n  "));
        assert_eq!(snapshot(&cast, &f).await, before, "refused requests changed the plan");
    }
);

backend_test!(
    async fn ids_never_leak_through_sync_export_or_filtered_lists(app) {
        let cast = cast(&app).await;
        let f = furnish(&cast).await;
        // Control: the owner's own feed does carry them, so the checks below can fail.
        let (_, own_feed) = send(&app, Some(&cast.owner), Method::GET, "/sync?limit=1000", None).await;
        for id in f.ids() {
            assert!(own_feed.contains(id), "the owner's feed lacks {id}");
        }

        let program = cast.program_id.clone();
        let owner = cast.owner_id.clone();
        let mut failures = Vec::new();
        for (who, client, stranger_to_programme) in [
            ("other delegate", cast.as_role(Role::OtherDelegate), false),
            ("outsider", &cast.outsider, true),
        ] {
            let mut seen: Vec<(String, String)> = Vec::new();
            let mut since: Option<String> = None;
            for _ in 0..50 {
                let path = match &since {
                    Some(cursor) => format!("/sync?limit=1000&since={cursor}"),
                    None => "/sync?limit=1000".to_owned(),
                };
                let page = client.get_ok(&path).await;
                seen.push((path, page.to_string()));
                since = page["next_cursor"].as_str().map(str::to_owned);
                if page["has_more"] != true {
                    break;
                }
            }
            for path in [
                format!("/plans?program_id={program}"),
                format!("/plans?owner_id={owner}"),
                format!("/plans?program_id={program}&owner_id={owner}&status=active"),
                "/plans?mentee_of=me".to_owned(),
                "/plans".to_owned(),
                "/programs".to_owned(),
                format!("/programs/{}/export.csv", cast.other_program_id),
                format!("/programs/{program}/export.csv"),
            ] {
                let (status, text) = send(&app, Some(client), Method::GET, &path, None).await;
                if stranger_to_programme && path.contains(&program) && status != 404 && !path.starts_with("/plans?") {
                    failures.push(format!("{who} GET {path}: {status}, expected 404"));
                }
                if status >= 500 {
                    failures.push(format!("{who} GET {path}: {status}"));
                }
                seen.push((path, text));
            }
            for (path, text) in &seen {
                let mut hidden: Vec<&str> = f.ids();
                hidden.extend(f.secrets.iter().map(String::as_str));
                if stranger_to_programme {
                    hidden.push(&program);
                    hidden.push(&owner);
                }
                for needle in hidden {
                    if text.contains(needle) {
                        failures.push(format!("{who} GET {path} reveals {needle}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "leaks:\n  {}", failures.join("\n  "));
    }
);
