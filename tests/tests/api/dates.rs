//! Dates of what has happened: a check-in's `reported_on` and a measurement's
//! `measured_on` may be the plan owner's today, in the owner's own time zone,
//! but not later, whatever the date is in UTC.

use followup_tests::api::{assert_field_error, expect_json, id_of};
use followup_tests::plans::{
    cast, check_in_body, create_indicator, day, indicator_body, measurement_body, today_at_offset,
};
use followup_tests::{assert_problem, backend_test, json};

backend_test!(
    async fn reports_and_measurements_are_not_dated_after_the_owners_today(app) {
        let cast = cast(&app).await;
        let plan_id = id_of(&cast.plan_in("active").await);
        let indicator = create_indicator(
            &cast.owner,
            &plan_id,
            &indicator_body("Youth workers trained", "people", 0.0, 40.0, "increase"),
        )
        .await;
        let indicator_id = id_of(&indicator);
        // Zones without daylight saving time: Jayapura (UTC+9), Kiritimati
        // (UTC+14) and Pago Pago (UTC-11). At any instant at least one of them
        // is on another date than UTC.
        let zones = [("Asia/Jayapura", 9), ("Pacific/Kiritimati", 14), ("Pacific/Pago_Pago", -11)];
        let utc_today = today_at_offset(0);
        assert!(zones.iter().any(|(_, offset)| today_at_offset(*offset) != utc_today));
        for (n, (zone, offset)) in zones.into_iter().enumerate() {
            let me = cast.owner.get("/me").await;
            let etag = me.headers()["etag"].to_str().unwrap().to_owned();
            let moved = cast
                .owner
                .request(reqwest::Method::PATCH, "/me")
                .header("If-Match", etag)
                .json(&json!({ "time_zone": zone }))
                .send()
                .await
                .unwrap();
            expect_json(moved, 200).await;
            let today = today_at_offset(offset);

            let tomorrow = check_in_body(&day(today, 1), "Planned the next workshop.");
            let refused = assert_problem(
                cast.owner.post(&format!("/plans/{plan_id}/check-ins"), &tomorrow).await,
                422,
                "validation_failed",
            )
            .await;
            assert_field_error(&refused, "reported_on", Some("in_the_future"));
            let on_today = check_in_body(&day(today, 0), &format!("Workshop {n} held today in {zone}."));
            let posted = expect_json(cast.owner.post(&format!("/plans/{plan_id}/check-ins"), &on_today).await, 201).await;
            assert_eq!(posted["reported_on"], day(today, 0), "{zone}");

            let path = format!("/indicators/{indicator_id}/measurements");
            let early = measurement_body(12.0, &day(today, 1));
            let refused = assert_problem(cast.owner.post(&path, &early).await, 422, "validation_failed").await;
            assert_field_error(&refused, "measured_on", Some("in_the_future"));
            expect_json(cast.owner.post(&path, &measurement_body(12.0 + n as f64, &day(today, 0))).await, 201).await;
        }
        // Nothing refused was stored.
        let check_ins = cast.owner.get_ok(&format!("/plans/{plan_id}/check-ins")).await;
        assert_eq!(check_ins["items"].as_array().unwrap().len(), 3, "{check_ins}");
        // The current value is the latest measurement by date: Kiritimati's
        // today is never before the others' (on a tie, the later one counts).
        let indicator = cast.owner.get_ok(&format!("/indicators/{indicator_id}")).await;
        assert_eq!(indicator["current_value"], 13.0, "{indicator}");
    }
);
