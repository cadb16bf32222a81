//! E-mail reminders and digests over SMTP: a delegate's check-in reminder
//! in their morning and language, a mentor's Monday digest naming the silent
//! delegate, each once, and nothing of a kind its recipient turned off.

use followup_tests::api::{add_member, add_mentorship, expect_json, id_of};
use followup_tests::plans::{
    cast, check_in_body, create_plan, new_person, plan_body, post_check_in, transition_ok,
};
use followup_tests::smtp::{scheduled_mail, spawn_with_mail, to, SmtpSink};
use followup_tests::{json, on_both_backends, Backend, TestApp};

/// Monday 7 December 2026, 06:59:40 in Makassar (22:59:40 UTC on Sunday):
/// the scheduler's clock starts there, and the morning (07:00) comes twenty
/// seconds later.
const JUST_BEFORE_MORNING_IN_MAKASSAR: &str = "2026-12-06T22:59:40Z";

on_both_backends!(
    reminded_in_their_morning:
    a_delegate_is_reminded_in_their_morning_and_language_and_the_mentor_gets_a_digest_sqlite,
    a_delegate_is_reminded_in_their_morning_and_language_and_the_mentor_gets_a_digest_postgres
);

async fn reminded_in_their_morning(backend: Backend) {
    let Some((sink, app)) =
        spawn_with_mail(backend, |cfg| scheduled_mail(cfg, JUST_BEFORE_MORNING_IN_MAKASSAR.into())).await
    else {
        return;
    };
    let started = std::time::Instant::now();
    {
        let cast = cast(&app).await;
        // Ketut, in Makassar, reads Indonesian; his plan is active and he has
        // never reported (training ended in May 2023): his check-in is due.
        let email = "ketut.wirawan@dinsos.ntt.example.id";
        let (ketut_id, ketut) =
            new_person(&app, &cast.admin.token, email, "Ketut Wirawan", "Asia/Makassar", None).await;
        expect_json(ketut.patch("/me", &json!({ "locale": "id" })).await, 200).await;
        add_member(&app, &cast.admin.token, &cast.program_id, &ketut_id, "delegate").await;
        // His mentor works from Makassar too.
        let mentor_email = "made.suarta@unud.example.ac.id";
        let (mentor_id, mentor) =
            new_person(&app, &cast.admin.token, mentor_email, "Made Suarta", "Asia/Makassar", None).await;
        add_member(&app, &cast.admin.token, &cast.program_id, &mentor_id, "mentor").await;
        add_mentorship(&app, &cast.admin.token, &cast.program_id, &mentor_id, &ketut_id).await;
        let plan = id_of(&create_plan(&ketut, &plan_body(&cast.program_id)).await);
        transition_ok(&ketut, &plan, "submit", None).await;
        transition_ok(&mentor, &plan, "approve", None).await;

        // Before his morning nothing is sent to him.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert!(started.elapsed().as_secs() < 18, "the set-up took too long to see the morning come");
        assert!(to(&sink.received(), email).is_empty(), "06:59 in Makassar is not yet morning");

        // In his morning: one reminder, in Indonesian; the mentor's digest names him.
        let received = sink
            .wait_for("the reminder and the digest", |r| {
                !to(r, email).is_empty() && !to(r, mentor_email).is_empty()
            })
            .await;
        assert!(started.elapsed().as_secs() >= 19, "sent in his morning only");
        let reminder = &to(&received, email)[0];
        assert_eq!(reminder.header("Subject"), "Pengingat: laporan kemajuan jatuh tempo 2 Juni 2023");
        assert!(reminder.header("From").contains("followup@koica.example.org"), "{}", reminder.raw);
        assert!(reminder.header("Content-Type").starts_with("multipart/alternative"), "plain text and HTML");
        let text = reminder.text();
        assert!(text.contains("Halo Ketut Wirawan,"), "{text}");
        assert!(text.contains("Anda belum mengirim laporan kemajuan."), "{text}");
        assert!(text.contains("text/html") && text.contains("<p>Halo Ketut Wirawan,</p>"), "{text}");
        assert!(
            text.contains("PATCH /api/v1/me/notifications {\"check_in_due\": false}"),
            "says how to stop: {text}"
        );
        let digest = to(&received, mentor_email)
            .into_iter()
            .find(|m| {
                m.header("Subject").contains("Weekly digest")
                    || m.header("Subject").contains("Ringkasan mingguan")
            })
            .expect("the mentor's digest");
        let digest_text = digest.text();
        assert!(digest_text.contains("- Ketut Wirawan ("), "names the silent delegate: {digest_text}");
        assert!(digest_text.contains("weekly_digest"), "says how to stop: {digest_text}");

        // Ketut turns check-in reminders off, then reports (his next check-in
        // falls due on 15 November 2026, before this Monday): no reminder
        // comes, while the owner's plan, approved after, brings hers.
        let off =
            expect_json(ketut.patch("/me/notifications", &json!({ "check_in_due": false })).await, 200).await;
        assert_eq!(off["check_in_due"], false);
        assert_eq!(off["weekly_digest"], true);
        post_check_in(
            &ketut,
            &plan,
            &check_in_body("2026-11-01", "Dua lingkaran dukungan sebaya sudah berjalan."),
        )
        .await;
        let owner_email = cast.owner.get_ok("/me").await["email"].as_str().unwrap().to_owned();
        let owners = id_of(&cast.plan_in("active").await);
        assert!(!owners.is_empty());
        sink.wait_for("the owner's reminder", |r| !to(r, &owner_email).is_empty()).await;
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let received = sink.received();
        assert_eq!(to(&received, email).len(), 1, "only the first reminder, before he turned them off");
        let digests = to(&received, mentor_email).len();
        assert_eq!(digests, 1, "one digest a week");
    }
}

/// Monday 7 December 2026, mid-morning in every Indonesian time zone (10:00
/// WIB, 11:00 WITA, 12:00 WIT).
const MONDAY_MORNING_EVERYWHERE: &str = "2026-12-07T03:00:00Z";

/// Two instances on one PostgreSQL, each with its scheduler and SMTP: a
/// programme of two hundred delegates (check-ins due, activities overdue, a
/// mentor's digest) gets every reminder once. SQLite serves one process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_send_each_reminder_once() {
    let Some(db) = followup_tests::TestDatabase::postgres() else {
        followup_tests::skipped(Backend::Postgres);
        return;
    };
    let app = TestApp::spawn_with_database(db, |_| {}).await;
    let url = followup_persistence::DatabaseUrl::parse(&app.db.url).unwrap();
    let store = followup_persistence::Database::connect(&url, &Default::default()).unwrap();
    let spec =
        followup_persistence::bulk::BulkSpec::new("KSP-TWO-INSTANCES", 200, "$argon2id$unusable".into());
    store.write(|c| followup_persistence::bulk::seed_program(c, &spec)).unwrap();
    let at =
        chrono::DateTime::parse_from_rfc3339(MONDAY_MORNING_EVERYWHERE).unwrap().with_timezone(&chrono::Utc);
    let due = store.read(|c| followup_persistence::repo::reminders::due(c, at)).unwrap();
    let mut expected: Vec<(String, String)> = due
        .iter()
        .map(|r| {
            let mail = followup_server::worker::mail::compose(r, &[]);
            (mail.to, mail.subject)
        })
        .collect();
    expected.sort();
    assert!(expected.len() >= 100, "a real morning's work: {}", expected.len());
    assert!(
        expected.iter().any(|(_, s)| s.starts_with("Ringkasan mingguan")),
        "the mentor's digest: {expected:?}"
    );

    let sink = SmtpSink::start().await;
    let configure = |smtp: String| {
        move |cfg: &mut followup_server::ServeConfig| {
            cfg.run_worker = true;
            cfg.worker.worker_interval_ms = 20;
            cfg.worker.scheduler_interval = 1;
            cfg.worker.clock = Some(MONDAY_MORNING_EVERYWHERE.into());
            cfg.worker.smtp_url = Some(smtp);
        }
    };
    let _one = app.instance(configure(sink.url.clone())).await;
    let _two = app.instance(configure(sink.url.clone())).await;
    sink.wait_for("every reminder", |r| r.len() >= expected.len()).await;
    // Both schedulers look again each second: nothing more may come.
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    let mut received: Vec<(String, String)> =
        sink.received().iter().map(|m| (m.to.join(","), m.header("Subject"))).collect();
    received.sort();
    assert_eq!(received.len(), expected.len(), "each reminder once");
    assert_eq!(received, expected);
}
