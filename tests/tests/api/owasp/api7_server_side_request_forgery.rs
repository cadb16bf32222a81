//! API7: server-side request forgery. The only URLs the API takes are
//! evidence links, and it never fetches them: a listener the test opens on
//! this machine receives no connection while check-ins and measurements
//! pointing at it are created, read, listed, synced and exported. Links
//! that are not http(s) are refused outright.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use followup_tests::api::{assert_field_error, id_of};
use followup_tests::plans::{
    cast, check_in_body, create_indicator, day, indicator_body, measurement_body, owner_today, with,
};
use followup_tests::{assert_problem, backend_test, json};

/// A TCP listener on 127.0.0.1 that counts the connections it receives.
async fn trap() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((_stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, hits)
}

backend_test!(
    async fn evidence_links_to_internal_addresses_are_never_fetched(app) {
        let (port, hits) = trap().await;
        // Control: the trap does count connections.
        drop(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(hits.swap(0, Ordering::SeqCst), 1, "the trap counts connections");

        let cast = cast(&app).await;
        let plan = id_of(&cast.plan_in("active").await);
        let links = [
            format!("http://127.0.0.1:{port}/latest/meta-data/"),
            format!("http://localhost:{port}/admin"),
            format!("http://127.0.0.1:{port}/redirect?to=file:///etc/passwd"),
            format!("https://127.0.0.1:{port}/report.pdf"),
        ];
        let evidence: Vec<_> = links.iter().map(|url| json!({ "url": url, "title": "Report" })).collect();
        let check_in = with(&check_in_body(&day(owner_today(), 0), "Circles held"), json!({ "evidence": evidence }));
        let created = followup_tests::plans::post_check_in(&cast.owner, &plan, &check_in).await;
        let indicator = create_indicator(&cast.owner, &plan, &indicator_body("Circles held", "circles", 0.0, 12.0, "increase")).await;
        let measurement = with(&measurement_body(3.0, &day(owner_today(), -1)), json!({ "evidence": evidence }));
        let path = format!("/indicators/{}/measurements", id_of(&indicator));
        followup_tests::api::expect_json(cast.owner.post(&path, &measurement).await, 201).await;
        expect_review(&cast, &id_of(&created)).await;

        // Everything that shows the links, as the people who see them.
        for client in [&cast.owner, &cast.mentor, &cast.coordinator, &cast.observer] {
            for read in [
                format!("/check-ins/{}", id_of(&created)),
                format!("/plans/{plan}/check-ins"),
                path.clone(),
                "/sync?limit=1000".to_owned(),
                format!("/programs/{}/export.csv", cast.program_id),
                format!("/plans/{plan}/history"),
            ] {
                let response = client.get(&read).await;
                assert!(response.status().as_u16() < 500, "GET {read}: {}", response.status());
            }
        }
        let shown = cast.owner.get_ok(&format!("/check-ins/{}", id_of(&created))).await;
        assert_eq!(shown["evidence"][0]["url"], links[0].as_str(), "the link is stored as given, not resolved");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(hits.load(Ordering::SeqCst), 0, "the server connected to an evidence link");
    }
);

async fn expect_review(cast: &followup_tests::plans::Cast<'_>, check_in: &str) {
    let review = json!({ "decision": "acknowledged" });
    followup_tests::api::expect_json(
        cast.mentor.post(&format!("/check-ins/{check_in}/review"), &review).await,
        200,
    )
    .await;
}

backend_test!(
    async fn links_that_are_not_http_are_refused(app) {
        let cast = cast(&app).await;
        let plan = id_of(&cast.plan_in("active").await);
        let indicator = create_indicator(&cast.owner, &plan, &indicator_body("Circles held", "circles", 0.0, 12.0, "increase")).await;
        let measurements = format!("/indicators/{}/measurements", id_of(&indicator));
        let check_ins = format!("/plans/{plan}/check-ins");
        for url in [
            "file:///etc/passwd",
            "gopher://127.0.0.1:6379/_FLUSHALL",
            "javascript:alert(document.cookie)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://127.0.0.1/",
            "dict://127.0.0.1:11211/stats",
            "//127.0.0.1/evidence",
            " javascript:alert(1)",
        ] {
            let evidence = json!([{ "url": url, "title": "Report" }]);
            let body = with(&check_in_body(&day(owner_today(), 0), "Circles held"), json!({ "evidence": evidence }));
            let problem = assert_problem(cast.owner.post(&check_ins, &body).await, 422, "validation_failed").await;
            assert_field_error(&problem, "evidence[0].url", None);
            let body = with(&measurement_body(3.0, &day(owner_today(), -1)), json!({ "evidence": evidence }));
            let problem = assert_problem(cast.owner.post(&measurements, &body).await, 422, "validation_failed").await;
            assert_field_error(&problem, "evidence[0].url", None);
        }
        assert_eq!(cast.owner.get_ok(&check_ins).await["items"], json!([]), "nothing was recorded");
        assert_eq!(cast.owner.get_ok(&measurements).await["items"], json!([]), "nothing was recorded");
    }
);
