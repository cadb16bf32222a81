//! The outcome report's rules, checked on a small hand-made programme.

use super::*;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn program() -> ProgramFacts {
    ProgramFacts {
        id: ProgramId::new(),
        code: String::from("ITP-2023-IDN-YOUTH"),
        title: "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia".into(),
        funder: Some("KOICA".into()),
        training_ends_on: date("2023-05-19"),
        follow_up_until: date("2024-05-31"),
        check_in_cadence_days: 14,
    }
}

fn delegate(name: &str, today: &str) -> DelegateFacts {
    DelegateFacts { user_id: UserId::new(), display_name: name.into(), today: date(today) }
}

#[test]
fn activities_are_on_time_late_open_overdue_or_cancelled() {
    let today = date("2023-09-10");
    let a = |status, due: Option<&str>, done: Option<&str>| ActivityFacts {
        plan_id: PlanId::new(),
        status,
        due_on: due.map(date),
        completed_on: done.map(date),
    };
    use ActivityStanding::{DoneLate, DoneOnTime, Open, Overdue};
    use ActivityStatus::{Blocked, Done, InProgress, Planned};
    assert_eq!(
        activity_standing(&a(Done, Some("2023-08-01"), Some("2023-08-01")), PlanStatus::Active, today),
        DoneOnTime
    );
    assert_eq!(
        activity_standing(&a(Done, Some("2023-08-01"), Some("2023-08-02")), PlanStatus::Active, today),
        DoneLate
    );
    assert_eq!(activity_standing(&a(Done, None, Some("2023-08-02")), PlanStatus::Active, today), DoneOnTime);
    assert_eq!(activity_standing(&a(Planned, Some("2023-09-09"), None), PlanStatus::Active, today), Overdue);
    assert_eq!(
        activity_standing(&a(Blocked, Some("2023-09-10"), None), PlanStatus::Active, today),
        Open,
        "due today is not overdue"
    );
    assert_eq!(activity_standing(&a(InProgress, None, None), PlanStatus::Active, today), Open);
    assert_eq!(activity_standing(&a(InProgress, None, None), PlanStatus::Submitted, today), Open);
    // A closed plan's unfinished activities are neither open nor overdue.
    let late = a(Planned, Some("2023-09-09"), None);
    assert_eq!(activity_standing(&late, PlanStatus::Discontinued, today), ActivityStanding::Unfinished);
    assert_eq!(activity_standing(&late, PlanStatus::Completed, today), ActivityStanding::Unfinished);
    let done = a(Done, Some("2023-08-01"), Some("2023-08-02"));
    assert_eq!(activity_standing(&done, PlanStatus::Completed, today), DoneLate);
    assert_eq!(
        activity_standing(&a(ActivityStatus::Cancelled, Some("2023-01-01"), None), PlanStatus::Active, today),
        ActivityStanding::Cancelled
    );
}

#[test]
fn indicators_stand_reached_on_track_or_behind() {
    use IndicatorStanding::*;
    assert_eq!(indicator_standing(0.0, 20.0, Some(20.0), 0.5), Reached);
    assert_eq!(indicator_standing(0.0, 20.0, Some(25.0), 1.0), Reached);
    assert_eq!(indicator_standing(0.0, 20.0, Some(12.0), 0.5), OnTrack);
    assert_eq!(indicator_standing(0.0, 20.0, Some(8.0), 0.5), Behind);
    assert_eq!(indicator_standing(0.0, 20.0, None, 0.5), Behind, "no measurement: the baseline");
    assert_eq!(indicator_standing(0.0, 20.0, None, 0.0), OnTrack);
    // Decreasing: from 30 days' wait down to 10.
    assert_eq!(indicator_standing(30.0, 10.0, Some(10.0), 1.0), Reached);
    assert_eq!(indicator_standing(30.0, 10.0, Some(25.0), 0.5), Behind);
}

#[test]
fn regularity_counts_windows_and_gaps() {
    let p = program();
    // 2023-05-19 + 42 days = 2023-06-30: three whole windows of 14 days.
    let d = delegate("Yohanes Lado", "2023-06-30");
    // Window 0 is days 1–14 (05-20 … 06-02), window 1 days 15–28, window 2 days 29–42.
    let mut dates = vec![date("2023-06-16"), date("2023-05-25"), date("2023-05-30")];
    let r = regularity(&d, &p, &mut dates);
    assert_eq!((r.made, r.expected, r.windows_on_schedule), (3, 3, 2));
    assert_eq!(r.share_on_schedule, Some(0.6667));
    // Gaps: 19→25 (6), 25→30 (5), 30→16 Jun (17), 16 Jun→30 Jun (14).
    assert_eq!(r.longest_gap_days, 17);
    assert_eq!(r.last_reported_on, Some(date("2023-06-16")));

    let silent = regularity(&delegate("Siti", "2023-06-30"), &p, &mut []);
    assert_eq!(
        (silent.made, silent.expected, silent.windows_on_schedule, silent.longest_gap_days),
        (0, 3, 0, 42)
    );
    assert_eq!(silent.share_on_schedule, Some(0.0));

    // Before a whole window has passed nothing is expected; after the
    // follow-up ends nothing more is.
    let early = regularity(&delegate("Early", "2023-05-25"), &p, &mut []);
    assert_eq!((early.expected, early.share_on_schedule), (0, None));
    let late = regularity(&delegate("Late", "2030-01-01"), &p, &mut []);
    assert_eq!(late.expected, (date("2024-05-31") - date("2023-05-19")).num_days() / 14);
}

#[test]
fn drafts_and_strangers_count_nowhere() {
    let owner = delegate("Yohanes Lado", "2023-11-01");
    let other = delegate("Siti Rahmawati", "2023-11-01");
    let plan = |owner: UserId, status| PlanFacts {
        id: PlanId::new(),
        owner_id: owner,
        status,
        starts_on: date("2023-06-01"),
        ends_on: date("2023-12-31"),
        original_ends_on: Some(date("2023-11-30")),
    };
    let active = plan(owner.user_id, PlanStatus::Active);
    let draft = plan(other.user_id, PlanStatus::Draft);
    let stranger = plan(UserId::new(), PlanStatus::Active);
    let activity = |p: &PlanFacts, status, due: &str, done: Option<&str>| ActivityFacts {
        plan_id: p.id,
        status,
        due_on: Some(date(due)),
        completed_on: done.map(date),
    };
    let indicator = |p: &PlanFacts, target, current, original: Option<f64>| IndicatorFacts {
        plan_id: p.id,
        baseline: 0.0,
        target,
        current,
        original: original.map(|t| ApprovedTarget { baseline: 0.0, target: t }),
    };
    let request = |p: &PlanFacts, status, moves_end_date, changes_target| ChangeRequestFacts {
        plan_id: p.id,
        status,
        moves_end_date,
        changes_target,
    };
    let facts = ReportFacts {
        program: program(),
        mentees_only: false,
        delegates: vec![owner.clone(), other.clone()],
        plans: vec![active, draft, stranger],
        surveys: vec![],
        activities: vec![
            activity(&active, ActivityStatus::Done, "2023-07-01", Some("2023-06-30")),
            activity(&active, ActivityStatus::Done, "2023-07-01", Some("2023-07-15")),
            activity(&active, ActivityStatus::Planned, "2023-10-01", None),
            activity(&active, ActivityStatus::InProgress, "2023-12-01", None),
            activity(&draft, ActivityStatus::Planned, "2023-10-01", None),
            activity(&stranger, ActivityStatus::Planned, "2023-10-01", None),
        ],
        indicators: vec![
            // Raised from 20 to 30 by a change request; measured 22.
            indicator(&active, 30.0, Some(22.0), Some(20.0)),
            indicator(&active, 10.0, Some(10.0), Some(10.0)),
            indicator(&draft, 10.0, None, None),
        ],
        check_ins: vec![
            CheckInFacts { plan_id: active.id, reported_on: date("2023-06-01") },
            CheckInFacts { plan_id: draft.id, reported_on: date("2023-06-01") },
        ],
        change_requests: vec![
            request(&active, ChangeRequestStatus::Approved, true, true),
            request(&active, ChangeRequestStatus::Declined, false, true),
            request(&draft, ChangeRequestStatus::Open, true, false),
        ],
        generated_at: Utc::now(),
    };
    let r = compute(&facts);
    let s = &r.sections;
    assert_eq!(
        (s.plans.total, s.plans.count(PlanStatus::Active), s.plans.count(PlanStatus::Draft)),
        (1, 1, 0)
    );
    assert_eq!(s.plans.by_status.len(), 5, "no draft entry");
    assert_eq!(
        s.activities,
        ActivityFigures {
            total: 4,
            done_on_time: 1,
            done_late: 1,
            open: 1,
            overdue: 1,
            cancelled: 0,
            unfinished: 0
        }
    );
    assert_eq!(s.indicators.total, 2);
    assert_eq!(s.indicators.against_original, Standing { reached: 2, on_track: 0, behind: 0 });
    // 22 of 30 is 0.73 of the way, with 153 of 213 days (0.72) gone: on track.
    assert_eq!(s.indicators.against_current, Standing { reached: 1, on_track: 1, behind: 0 });
    assert_eq!(s.indicators.target_changed, 1);
    assert_eq!(s.check_ins.made, 1);
    assert_eq!(s.check_ins.delegates.len(), 2);
    let first = s.check_ins.delegates.first().map(|d| (d.display_name.as_str(), d.made));
    assert_eq!(first, Some(("Siti Rahmawati", 0)), "name order; a draft's check-ins do not count");
    assert_eq!(
        s.change_requests,
        ChangeRequestFigures {
            total: 2,
            approved: 1,
            declined: 1,
            open: 0,
            moved_end_date: 1,
            changed_target: 1
        }
    );
}
