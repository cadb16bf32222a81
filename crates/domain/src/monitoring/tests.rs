//! The monitoring rules and figures, checked on small hand-made programmes.

use super::*;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_default()
}

#[test]
fn today_flips_at_local_midnight() {
    // Midnight is 15:00 UTC in Jayapura (WIT, +9), 16:00 UTC in Makassar
    // (WITA, +8) and 17:00 UTC in Jakarta (WIB, +7).
    let before_wit = at("2024-03-10T14:59:59Z");
    let wit_midnight = at("2024-03-10T15:00:00Z");
    assert_eq!(today_in("Asia/Jayapura", before_wit), date("2024-03-10"));
    assert_eq!(today_in("Asia/Jayapura", wit_midnight), date("2024-03-11"));
    assert_eq!(today_in("Asia/Makassar", wit_midnight), date("2024-03-10"));
    assert_eq!(today_in("Asia/Makassar", at("2024-03-10T16:00:00Z")), date("2024-03-11"));
    assert_eq!(today_in("Asia/Jakarta", at("2024-03-10T16:59:59Z")), date("2024-03-10"));
    assert_eq!(today_in("Asia/Jakarta", at("2024-03-10T17:00:00Z")), date("2024-03-11"));
    assert_eq!(today_in("Not/AZone", at("2024-03-10T17:00:00Z")), date("2024-03-11"));
}

#[test]
fn overdue_depends_on_the_owners_midnight() {
    // At 15:30 UTC it is already the 11th in Jayapura, still the 10th in Jakarta.
    let now = at("2024-03-10T15:30:00Z");
    let due = Some(date("2024-03-10"));
    assert!(is_overdue(ActivityStatus::Planned, due, today_in("Asia/Jayapura", now)));
    assert!(!is_overdue(ActivityStatus::Planned, due, today_in("Asia/Jakarta", now)));
    assert!(!is_overdue(ActivityStatus::Planned, due, today_in("Asia/Makassar", now)));
    let later = today_in("Asia/Jakarta", at("2024-03-10T17:00:00Z"));
    for status in ActivityStatus::ALL {
        let expected = !matches!(status, ActivityStatus::Done | ActivityStatus::Cancelled);
        assert_eq!(is_overdue(*status, due, later), expected, "{status}");
    }
    assert!(!is_overdue(ActivityStatus::Planned, None, later));
}

#[test]
fn silence_counts_from_the_last_check_in_or_the_end_of_training() {
    let ends = date("2024-01-31");
    assert!(!is_silent(Some(date("2024-03-01")), ends, 14, date("2024-03-15")));
    assert!(is_silent(Some(date("2024-03-01")), ends, 14, date("2024-03-16")));
    assert!(!is_silent(None, ends, 14, date("2024-02-14")));
    assert!(is_silent(None, ends, 14, date("2024-02-15")));
    // Midnight edge: the same instant is another day in Jayapura than in Jakarta.
    let now = at("2024-03-15T15:00:00Z");
    assert!(is_silent(Some(date("2024-03-01")), ends, 14, today_in("Asia/Jayapura", now)));
    assert!(!is_silent(Some(date("2024-03-01")), ends, 14, today_in("Asia/Jakarta", now)));
}

#[test]
fn elapsed_share_is_clamped() {
    let (s, e) = (date("2024-01-01"), date("2024-01-11"));
    assert_eq!(elapsed_share(s, e, date("2023-12-01")), 0.0);
    assert_eq!(elapsed_share(s, e, s), 0.0);
    assert_eq!(elapsed_share(s, e, date("2024-01-06")), 0.5);
    assert_eq!(elapsed_share(s, e, e), 1.0);
    assert_eq!(elapsed_share(s, e, date("2025-01-01")), 1.0);
    assert_eq!(elapsed_share(s, s, date("2023-12-31")), 0.0);
    assert_eq!(elapsed_share(s, s, s), 1.0);
}

#[test]
fn behind_schedule_follows_direction() {
    // Increase 10 -> 30, half the period gone.
    assert!(is_behind_schedule(10.0, 30.0, Some(19.0), 0.5));
    assert!(!is_behind_schedule(10.0, 30.0, Some(20.0), 0.5));
    // Without a measurement the baseline counts: behind as soon as time passes.
    assert!(is_behind_schedule(10.0, 30.0, None, 0.1));
    assert!(!is_behind_schedule(10.0, 30.0, None, 0.0));
    // Decrease 40 -> 20.
    assert!(!is_behind_schedule(40.0, 20.0, Some(25.0), 0.5));
    assert!(is_behind_schedule(40.0, 20.0, Some(35.0), 0.5));
    // Moving the wrong way counts as no progress.
    assert_eq!(crate::indicators::progress(40.0, 20.0, 50.0), Some(0.0));
    // Target equal to baseline: never behind.
    assert!(!is_behind_schedule(5.0, 5.0, None, 1.0));
}

fn delegate(name: &str, today: NaiveDate) -> DelegateFacts {
    DelegateFacts {
        program_id: ProgramId::from_uuid(Uuid::nil()),
        program_code: "P".into(),
        training_ends_on: date("2024-01-31"),
        check_in_cadence_days: 14,
        user_id: UserId::new(),
        display_name: name.into(),
        organization: None,
        region: None,
        today,
    }
}

fn plan(owner: &DelegateFacts, status: PlanStatus, created: &str) -> PlanFacts {
    PlanFacts {
        id: PlanId::new(),
        program_id: owner.program_id,
        owner_id: owner.user_id,
        status,
        starts_on: date("2024-01-01"),
        ends_on: date("2024-12-31"),
        created_at: at(created),
        activities_total: 4,
        activities_done: 1,
        activities_overdue: 2,
        indicators: vec![IndicatorFacts { baseline: 0.0, target: 10.0, current: None }],
        latest_check_in: None,
        pending_reviews: 1,
    }
}

#[test]
fn figures_per_delegate_and_for_the_programme() {
    let today = date("2024-03-01");
    let a = delegate("Ani", today);
    let b = delegate("Budi", today);
    let old = plan(&a, PlanStatus::Completed, "2024-01-01T00:00:00Z");
    let mut current = plan(&a, PlanStatus::Active, "2024-02-01T00:00:00Z");
    current.latest_check_in = Some(LatestCheckIn {
        reported_on: date("2024-02-25"),
        created_at: at("2024-02-25T01:00:00Z"),
        id: Uuid::now_v7(),
        progress: Progress::AtRisk,
    });
    let dropped = plan(&a, PlanStatus::Discontinued, "2024-02-15T00:00:00Z");
    // Cita has only a draft, Dodi an active plan without a check-in.
    let c = delegate("Cita", today);
    let d = delegate("Dodi", today);
    let draft = plan(&c, PlanStatus::Draft, "2024-02-01T00:00:00Z");
    let quiet = plan(&d, PlanStatus::Active, "2024-02-01T00:00:00Z");
    let (rows, dash) = figures(
        &[a.clone(), b.clone(), c.clone(), d.clone()],
        &[old, current.clone(), dropped, draft, quiet],
    );
    let row = rows.first().cloned().unwrap_or_else(|| panic!("no row"));
    assert_eq!(row.plan, Some((current.id, PlanStatus::Active)));
    assert_eq!(row.activities_done_percent, Some(25.0));
    assert_eq!(row.overdue_activities, 2);
    assert_eq!(row.days_since_last_check_in, Some(5));
    assert_eq!(row.indicators_behind, 1);
    assert_eq!(row.latest_progress, Some(Progress::AtRisk));
    assert_eq!(row.open_reviews, 3);
    assert!(!row.silent);
    let other = rows.get(1).cloned().unwrap_or_else(|| panic!("no row"));
    assert_eq!(other.plan, None);
    assert_eq!(other.activities_done_percent, None);
    assert!(!other.silent, "no plan, no check-ins to post: not silent");
    let drafting = rows.get(2).cloned().unwrap_or_else(|| panic!("no row"));
    assert!(!drafting.silent, "a draft takes no check-ins: not silent");
    assert_eq!(drafting.overdue_activities, 0, "a draft's activities are not overdue");
    assert!(rows.get(3).is_some_and(|r| r.silent && r.overdue_activities == 2), "{rows:?}");
    assert_eq!(dash.silent_delegate_ids, vec![d.user_id]);
    assert_eq!(dash.active_plans, 2);
    assert_eq!(dash.activities_total, 8);
    assert_eq!(dash.activities_overdue, 4);
    assert_eq!(dash.check_ins_awaiting_review, 5);
    assert_eq!(dash.active_plans_without_check_in, 1);
    let at_risk = dash.latest_progress.iter().find(|s| s.progress == Progress::AtRisk).map(|s| s.share);
    assert_eq!(at_risk, Some(0.5));
    let completed = dash.plans_by_status.iter().find(|(s, _)| *s == PlanStatus::Completed).map(|x| x.1);
    assert_eq!(completed, Some(1));
    assert_eq!(dash.plans_by_status.len(), PlanStatus::ALL.len());

    let mut sorted = rows.clone();
    sorted.sort_by(|x, y| DelegateSort { key: SortKey::Overdue, descending: true }.compare(x, y));
    let most_overdue: Vec<UserId> = sorted.iter().take(2).map(|r| r.user_id).collect();
    assert!(most_overdue.contains(&a.user_id) && most_overdue.contains(&d.user_id), "{sorted:?}");
    sorted.sort_by(attention_order);
    assert_eq!(sorted.first().map(|r| r.user_id), Some(d.user_id), "the silent delegate first");
}

#[test]
fn figures_do_not_depend_on_the_order_plans_arrive_in() {
    let today = date("2024-03-01");
    let a = delegate("Ani", today);
    let b = delegate("Budi", today);
    let mut plans = vec![
        plan(&a, PlanStatus::Completed, "2024-01-01T00:00:00Z"),
        plan(&a, PlanStatus::Active, "2024-02-01T00:00:00Z"),
        plan(&a, PlanStatus::Discontinued, "2024-02-15T00:00:00Z"),
        plan(&b, PlanStatus::Draft, "2024-02-20T00:00:00Z"),
        plan(&b, PlanStatus::Active, "2024-01-20T00:00:00Z"),
    ];
    let reports = [
        ("2024-02-10", Progress::OnTrack),
        ("2024-02-25", Progress::AtRisk),
        ("2024-02-28", Progress::OffTrack),
    ];
    for (p, (reported, progress)) in plans.iter_mut().zip(reports) {
        p.latest_check_in = Some(LatestCheckIn {
            reported_on: date(reported),
            created_at: at("2024-02-28T01:00:00Z"),
            id: Uuid::now_v7(),
            progress,
        });
    }
    // A plan of someone who is no longer a delegate counts nowhere.
    let gone = delegate("Gone", today);
    plans.push(plan(&gone, PlanStatus::Active, "2024-02-01T00:00:00Z"));
    let delegates = [a, b];
    let forward = figures(&delegates, &plans);
    plans.reverse();
    assert_eq!(figures(&delegates, &plans), forward);
    plans.rotate_left(2);
    assert_eq!(figures(&delegates, &plans), forward);
    let (rows, dash) = forward;
    assert_eq!(dash.active_plans, 2);
    assert_eq!(dash.plans_by_status.iter().map(|(_, n)| n).sum::<i64>(), 5);
    // Ani's current plan is the active one (the discontinued one is newer);
    // her latest check-in is the discontinued plan's, the latest of all.
    let ani = rows.first().cloned().unwrap_or_else(|| panic!("no row"));
    assert_eq!(ani.latest_progress, Some(Progress::AtRisk));
    assert_eq!(ani.days_since_last_check_in, Some(2));
    assert_eq!(ani.open_reviews, 3);
    // Budi's current plan is the newer draft.
    let budi = rows.get(1).cloned().unwrap_or_else(|| panic!("no row"));
    assert_eq!(budi.plan.map(|p| p.1), Some(PlanStatus::Draft));
}

#[test]
fn sort_words_round_trip() {
    for (key, word) in SortKey::ALL {
        assert_eq!(DelegateSort::parse(word), Some(DelegateSort { key, descending: false }));
        let desc = DelegateSort { key, descending: true };
        assert_eq!(DelegateSort::parse(&desc.as_param()), Some(desc));
    }
    assert_eq!(DelegateSort::parse("shoe_size"), None);
}
