//! One delegate's action plan in the demo, brought to its place in the
//! story: activities done or overdue and indicators ahead or behind by the
//! delegate's pace, check-ins, reviews and comments by the delegate's story.

use chrono::NaiveDate;
use followup_domain::activities::{ActivityFields, NewActivity};
use followup_domain::change_requests::{IndicatorChange, NewChangeRequest, ProposedChanges};
use followup_domain::check_ins::{CheckInChanges, CheckInReview, Confidence, NewCheckIn};
use followup_domain::comments::NewComment;
use followup_domain::ids::{
    ActivityId, ChangeRequestId, CheckInId, CommentId, IndicatorId, MeasurementId, PlanId, ProgramId,
};
use followup_domain::indicators::{IndicatorFields, MeasurementCorrection, NewIndicator, NewMeasurement};
use followup_domain::plans::{NewPlan, PlanFields, Transition};
use followup_domain::precondition::Precondition;
use followup_domain::values::{
    ActivityStatus, CommentTarget, Direction, Evidence, Progress, ReviewStatus, Visibility,
};
use followup_domain::Actor;
use followup_persistence::repo::{activities, change_requests, check_ins, comments, indicators, plans};
use followup_persistence::{DbConnection, StoreError};

use super::story::{Delegate, Pace, Story};
use super::{day, made};

fn evidence(url: &str, title: &str) -> Vec<Evidence> {
    vec![Evidence { url: url.to_owned(), title: Some(title.to_owned()) }]
}

/// One delegate's plan, brought to its place in the story; returns the
/// check-in the delegate reported last, when the story has one to show
/// evidence on.
pub(super) fn plan_story(
    c: &mut DbConnection,
    today: NaiveDate,
    program_id: ProgramId,
    owner: &Actor,
    mentor: &Actor,
    coordinator: &Actor,
    d: &Delegate,
) -> Result<Option<CheckInId>, StoreError> {
    let plan_id = PlanId::new();
    let starts_on = NaiveDate::from_ymd_opt(2023, 6, 1).unwrap_or(today);
    let fields = PlanFields {
        title: d.plan.to_owned(),
        problem_statement: Some(format!(
            "Young people served by {} get little structured follow-up once they leave a rehabilitation programme.",
            d.org
        )),
        goal: Some("Put what was learned in Seoul into practice with colleagues and young people.".to_owned()),
        target_group: Some("Vulnerable youth aged 15–21 and the social workers who serve them".to_owned()),
        location: Some(if d.time_zone == "Asia/Makassar" { "Kupang, Nusa Tenggara Timur" } else { "Jakarta" }.to_owned()),
        starts_on,
        ends_on: day(today, 90),
    };
    plans::create(c, owner, &NewPlan { id: plan_id, program_id, fields })?;
    if d.story == Story::Outline {
        return Ok(None);
    }

    // Activities: which are done follows the delegate's pace, once the plan
    // was approved; before that nothing is done yet.
    let approved =
        !matches!(d.story, Story::Draft | Story::Outline | Story::Submitted | Story::ChangesRequested);
    let done = match (approved, d.pace) {
        (false, _) => 0,
        (true, Pace::Ahead) => 4,
        (true, Pace::OnSchedule) => 3,
        (true, Pace::Behind) => 2,
        (true, Pace::FarBehind) => 1,
    };
    let activities = [
        ("Share the training materials with colleagues", -60),
        ("Run the first workshop with young people", -25),
        ("Hold a session with the young people's families", -4),
        ("Hold a follow-up session with the trained staff", 20),
        ("Write the final report for the mentor", 80),
    ];
    for (position, (title, due_in)) in activities.into_iter().enumerate() {
        let (status, completed_on) = if position < done {
            (ActivityStatus::Done, Some(day(today, due_in.min(0) - 2)))
        } else if approved && due_in < 30 && position == done {
            (ActivityStatus::InProgress, None)
        } else {
            (ActivityStatus::Planned, None)
        };
        let fields = ActivityFields {
            title: title.to_owned(),
            description: None,
            starts_on: None,
            due_on: Some(day(today, due_in)),
            status,
            completed_on,
            position: i32::try_from(position).unwrap_or_default(),
        };
        activities::create_activity(c, owner, plan_id, &NewActivity { id: ActivityId::new(), fields })?;
    }
    // Indicators and, once approved, their measurements (days ago, value):
    // at target when ahead, on course, or short of where the plan's elapsed
    // period says they should be.
    let reached: &[(i64, f64)] = match d.pace {
        Pace::Ahead => &[(45, 22.0), (15, 40.0)],
        Pace::OnSchedule => &[(45, 20.0), (15, 39.0)],
        Pace::Behind => &[(45, 8.0), (15, 17.0)],
        Pace::FarBehind => &[(45, 4.0)],
    };
    let trained: &[(i64, f64)] = match d.pace {
        Pace::Ahead | Pace::Behind => &[(30, 12.0)],
        Pace::OnSchedule => &[],
        Pace::FarBehind => &[(30, 2.0)],
    };
    let mut indicator_list = vec![(
        "Young people reached by the new activities",
        "people",
        40.0,
        reached,
        "https://drive.example.org/demo/attendance.pdf",
        "Attendance sheet",
    )];
    if d.pace != Pace::OnSchedule {
        indicator_list.push((
            "Social workers trained in the new method",
            "social workers",
            12.0,
            trained,
            "https://drive.example.org/demo/training-register.pdf",
            "Training register",
        ));
    }
    let mut measurements = Vec::new();
    let mut indicator_ids = Vec::new();
    for (name, unit, target, values, url, title) in indicator_list {
        let indicator_id = IndicatorId::new();
        indicator_ids.push(indicator_id);
        let fields = IndicatorFields {
            name: name.to_owned(),
            unit: Some(unit.to_owned()),
            baseline: 0.0,
            target,
            direction: Direction::Increase,
        };
        indicators::create_indicator(c, owner, plan_id, &NewIndicator { id: indicator_id, fields })?;
        measurements
            .extend(values.iter().map(|&(days_ago, value)| (indicator_id, days_ago, value, url, title)));
    }

    let transition = |c: &mut DbConnection, who: &Actor, t: Transition, reason: Option<&str>| {
        plans::transition(c, who, plan_id, t, reason).map(|_| ())
    };
    match d.story {
        Story::Draft | Story::Outline => return Ok(None),
        Story::Submitted => return transition(c, owner, Transition::Submit, None).map(|()| None),
        Story::ChangesRequested => {
            transition(c, owner, Transition::Submit, None)?;
            let reason = "Please say how many families you will reach and add a session with the parents.";
            return transition(c, mentor, Transition::RequestChanges, Some(reason)).map(|()| None);
        }
        _ => {
            transition(c, owner, Transition::Submit, None)?;
            transition(c, mentor, Transition::Approve, Some("A clear plan. Good luck!"))?;
        }
    }

    // Active from here on: measurements, check-ins, reviews, comments.
    let mut recorded = Vec::new();
    for (indicator_id, days_ago, value, url, title) in measurements {
        let m = NewMeasurement {
            id: MeasurementId::new(),
            value,
            measured_on: day(today, -days_ago),
            note: None,
            evidence: evidence(url, title),
        };
        recorded.push(made(indicators::record_measurement(c, owner, indicator_id, &m)?));
    }
    // A delegate behind who reports found a miscount in her first figure and
    // corrected it (the version replaced is kept with the reason).
    if d.pace == Pace::Behind && matches!(d.story, Story::ActiveReporting { .. }) {
        if let Some(m) = recorded.first() {
            let correction = MeasurementCorrection {
                value: Some(m.value + 2.0),
                reason: "Two young people signed the attendance sheet on the back; they were not counted."
                    .to_owned(),
                ..MeasurementCorrection::default()
            };
            indicators::correct_measurement(c, owner, m.id, &correction, &Precondition::Unconditional)?;
        }
    }
    // Change requests: Kupang's delegate, ahead, was given a month more for
    // the sub-districts that asked to join; a delegate behind asks for a
    // lower training target, which waits for the mentor's decision.
    if let Story::ActiveReporting { .. } = d.story {
        let proposal = match d.pace {
            Pace::Ahead if d.time_zone == "Asia/Makassar" => Some((
                "Two more sub-districts asked to join the peer groups; the last workshops move a month later.",
                ProposedChanges { ends_on: Some(day(today, 120)), ..ProposedChanges::default() },
                Some("Agreed: the groups that asked to join matter more than the date."),
            )),
            Pace::Behind => indicator_ids.get(1).map(|&trained| {
                (
                    "Two trainers moved to another unit; eight social workers is what the remaining team can train.",
                    ProposedChanges {
                        indicators: vec![IndicatorChange { indicator_id: trained, baseline: None, target: Some(8.0), version: 0 }],
                        ..ProposedChanges::default()
                    },
                    None,
                )
            }),
            _ => None,
        };
        if let Some((reason, changes, decision)) = proposal {
            let cmd = NewChangeRequest { id: ChangeRequestId::new(), reason: reason.to_owned(), changes };
            let request = made(change_requests::create(c, owner, plan_id, &cmd)?);
            if let Some(note) = decision {
                change_requests::decide(c, mentor, request.id, true, Some(note))?;
            }
        }
    }

    let check_in = |c: &mut DbConnection, days_ago: i64, progress: Progress, summary: &str| {
        let cmd = NewCheckIn {
            id: CheckInId::new(),
            reported_on: day(today, -days_ago),
            summary: summary.to_owned(),
            progress,
            confidence: Confidence::parse(match progress {
                Progress::OnTrack => 8,
                Progress::AtRisk => 5,
                Progress::OffTrack => 3,
            })
            .map_err(|e| followup_domain::DomainError::Invalid(vec![e]))?,
            achievements: Some("The materials are shared and the first group is chosen.".to_owned()),
            challenges: (progress != Progress::OnTrack)
                .then(|| "The venue was not available and two colleagues moved to another unit.".to_owned()),
            support_needed: (progress == Progress::OffTrack)
                .then(|| "A letter from the directorate to free staff time for the workshops.".to_owned()),
            next_steps: Some("Run the next workshop and record attendance.".to_owned()),
            evidence: evidence("https://drive.example.org/demo/photos", "Workshop photos"),
        };
        check_ins::create_check_in(c, owner, plan_id, &cmd).map(made)
    };
    let review = |c: &mut DbConnection, id: CheckInId, decision: ReviewStatus, note: &str| {
        let review = CheckInReview::parse(decision, Some(note.to_owned()))?;
        check_ins::review_check_in(c, mentor, id, &review).map(|_| ())
    };
    let comment =
        |c: &mut DbConnection, who: &Actor, body: &str, visibility: Visibility, target: Option<CheckInId>| {
            let cmd = NewComment {
                id: CommentId::new(),
                body: body.to_owned(),
                visibility,
                target: target.map(|id| (CommentTarget::CheckIn, id.as_uuid())),
            };
            comments::create_comment(c, who, plan_id, &cmd).map(|_| ())
        };

    let mut shown = None;
    match d.story {
        Story::ActiveReporting { last_check_in_days_ago, progress } => {
            let first = check_in(
                c,
                last_check_in_days_ago + 14,
                Progress::OnTrack,
                "The first month went as planned.",
            )?;
            // The mentor asks for the attendance sheet; the delegate revises
            // the report (its first version is kept), then it is acknowledged.
            // A delegate off track has two reports waiting instead.
            if progress != Progress::OffTrack {
                review(
                    c,
                    first.id,
                    ReviewStatus::RevisionRequested,
                    "Please add the attendance sheet of the first workshop.",
                )?;
                let revision = CheckInChanges {
                    summary: Some(
                        "The first month went as planned; 14 social workers came to the first workshop."
                            .to_owned(),
                    ),
                    evidence: Some(evidence(
                        "https://drive.example.org/demo/attendance",
                        "Attendance sheet, first workshop",
                    )),
                    ..CheckInChanges::default()
                };
                check_ins::revise_check_in(c, owner, first.id, &revision, &Precondition::Unconditional)?;
                review(c, first.id, ReviewStatus::Acknowledged, "Well done; keep the attendance sheets.")?;
            }
            let last = check_in(c, last_check_in_days_ago, progress, "Workshops have started.")?;
            shown = Some(last.id);
            if d.time_zone == "Asia/Makassar" {
                comment(
                    c,
                    mentor,
                    "The photos show a lively first workshop. Could the young people lead part of the next one?",
                    Visibility::Shared,
                    Some(last.id),
                )?;
                comment(
                    c,
                    mentor,
                    "Kupang has few staff: worth asking the directorate about a second trainer.",
                    Visibility::Mentors,
                    None,
                )?;
            }
        }
        Story::ActiveSilent { last_check_in_days_ago: Some(days) } => {
            let only = check_in(c, days, Progress::AtRisk, "Preparations are slower than planned.")?;
            if days >= 20 {
                review(
                    c,
                    only.id,
                    ReviewStatus::RevisionRequested,
                    "Please add the dates of the workshops.",
                )?;
            } else {
                review(c, only.id, ReviewStatus::Acknowledged, "Thank you. Let me know how I can help.")?;
            }
            comment(
                c,
                coordinator,
                "A reminder: check-ins are due every two weeks.",
                Visibility::Shared,
                None,
            )?;
        }
        Story::ActiveSilent { last_check_in_days_ago: None } => {}
        Story::Completed => {
            let first = check_in(c, 30, Progress::OnTrack, "All sessions are done; the map is printed.")?;
            review(c, first.id, ReviewStatus::Acknowledged, "Excellent work.")?;
            transition(c, owner, Transition::Complete, Some("Every activity is finished."))?;
        }
        Story::Discontinued => {
            transition(
                c,
                mentor,
                Transition::Discontinue,
                Some("The league lost its field; the delegate will join a colleague's plan instead."),
            )?;
        }
        Story::Draft | Story::Outline | Story::Submitted | Story::ChangesRequested => {}
    }
    Ok(shown)
}
