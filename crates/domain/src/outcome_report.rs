//! The outcome report of a programme, for the funder: plans by status,
//! activities done on time or late, indicators against their approved
//! original and current targets, check-in regularity per delegate and change
//! requests. Pure: the persistence layer fetches compact facts with a
//! constant number of queries and hands them to [`compute`].
//!
//! Definitions (the OpenAPI descriptions repeat them):
//! * Drafts count nowhere: only plans that were at least submitted are
//!   facts here, and the activities, indicators, check-ins and change
//!   requests of those plans only.
//! * *today* of a plan is its owner's ([`crate::monitoring::today_in`]).
//! * An activity is *done on time* when it is `done` and its `completed_on`
//!   is on or before its `due_on` (or either is unset); *done late* when it
//!   is `done` and `completed_on` is after `due_on`; *overdue* by
//!   [`crate::monitoring::is_overdue`] (neither done nor cancelled, due
//!   before today); *open* when neither done nor cancelled and not overdue
//!   (due today or later, or without a due date); *cancelled* otherwise. On
//!   a plan that is completed or discontinued, an activity neither done nor
//!   cancelled is *unfinished* (neither open nor overdue: nobody works on it
//!   any more), as the dashboard counts overdue activities of active plans only.
//! * An indicator is judged twice: against its current baseline and target
//!   with the plan's current end date, and against the baseline and target
//!   it was approved with with the plan's approved end date (a plan not yet
//!   approved has no original: its current values stand in). It has
//!   *reached* its target when its current value (the latest measurement)
//!   has gone all the way from baseline to target; it is *behind* when
//!   [`crate::indicators::is_behind_schedule`] says so (progress below the
//!   elapsed share of the plan period); *on track* otherwise.
//! * Check-in regularity of a delegate: the follow-up so far runs from the
//!   programme's `training_ends_on` to the delegate's today or the
//!   programme's `follow_up_until`, whichever is earlier. It splits into
//!   windows of `check_in_cadence_days` days (the first is the days 1 to
//!   cadence after the end of training); *expected* is the number of whole
//!   windows so far, *windows on schedule* those holding at least one
//!   check-in, *share on schedule* their ratio (none while nothing is
//!   expected), *longest gap* the most days between two consecutive dates
//!   among the end of training, the check-ins' `reported_on` and the end of
//!   the period so far.
//! * Change requests: counted by status; *moved end date* and *changed
//!   target* count the approved requests that changed the plan's end date or
//!   at least one indicator's target.
//! * Follow-up surveys: each round's results over the delegates in scope, as
//!   [`crate::survey_results::aggregate`] counts them, with means rounded to
//!   2 decimals; free-text answers are never part of the report.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{PlanId, ProgramId, SurveyRoundId, UserId};
use crate::indicators::{is_behind_schedule, progress, ApprovedTarget};
use crate::monitoring::{elapsed_share, is_overdue};
use crate::survey_results::{aggregate, QuestionResult};
use crate::surveys::{Answers, Localized, Question, SurveyRound, Window};
use crate::values::{ActivityStatus, ChangeRequestStatus, PlanStatus};

// ---- facts in -----------------------------------------------------------------------

/// The programme the report is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramFacts {
    pub id: ProgramId,
    pub code: String,
    pub title: String,
    pub funder: Option<String>,
    pub training_ends_on: NaiveDate,
    pub follow_up_until: NaiveDate,
    pub check_in_cadence_days: i32,
}

/// A delegate in the report's scope.
#[derive(Debug, Clone, PartialEq)]
pub struct DelegateFacts {
    pub user_id: UserId,
    pub display_name: String,
    /// Today in the delegate's time zone.
    pub today: NaiveDate,
}

/// A plan in scope (never a draft).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanFacts {
    pub id: PlanId,
    pub owner_id: UserId,
    pub status: PlanStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The end date as approved; `None` before approval.
    pub original_ends_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivityFacts {
    pub plan_id: PlanId,
    pub status: ActivityStatus,
    pub due_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorFacts {
    pub plan_id: PlanId,
    pub baseline: f64,
    pub target: f64,
    /// The latest measurement not withdrawn.
    pub current: Option<f64>,
    pub original: Option<ApprovedTarget>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckInFacts {
    pub plan_id: PlanId,
    pub reported_on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeRequestFacts {
    pub plan_id: PlanId,
    pub status: ChangeRequestStatus,
    /// It proposes a new end date.
    pub moves_end_date: bool,
    /// It proposes a new target for at least one indicator.
    pub changes_target: bool,
}

/// Everything [`compute`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFacts {
    pub program: ProgramFacts,
    /// The whole programme, or only a mentor's mentees.
    pub mentees_only: bool,
    pub delegates: Vec<DelegateFacts>,
    pub plans: Vec<PlanFacts>,
    pub activities: Vec<ActivityFacts>,
    pub indicators: Vec<IndicatorFacts>,
    pub check_ins: Vec<CheckInFacts>,
    pub change_requests: Vec<ChangeRequestFacts>,
    pub surveys: Vec<SurveyFacts>,
    pub generated_at: DateTime<Utc>,
}

/// A survey round of the programme with every delegate's answers.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyFacts {
    pub round: SurveyRound,
    pub window: Window,
    pub answers: Vec<(UserId, Answers)>,
}

// ---- figures out --------------------------------------------------------------------

/// The statuses a plan in the report can have (drafts never count).
pub const REPORTED_STATUSES: [PlanStatus; 5] = [
    PlanStatus::Submitted,
    PlanStatus::ChangesRequested,
    PlanStatus::Active,
    PlanStatus::Completed,
    PlanStatus::Discontinued,
];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanFigures {
    pub total: i64,
    /// One entry per status of [`REPORTED_STATUSES`], in that order.
    pub by_status: Vec<(PlanStatus, i64)>,
}

impl PlanFigures {
    pub fn count(&self, status: PlanStatus) -> i64 {
        self.by_status.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActivityFigures {
    pub total: i64,
    pub done_on_time: i64,
    pub done_late: i64,
    pub open: i64,
    pub overdue: i64,
    pub cancelled: i64,
    /// Neither done nor cancelled, on a completed or discontinued plan.
    pub unfinished: i64,
}

/// Indicators by how they stand against one set of targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    pub reached: i64,
    pub on_track: i64,
    pub behind: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndicatorFigures {
    pub total: i64,
    pub against_original: Standing,
    pub against_current: Standing,
    /// Indicators whose current target differs from the approved original.
    pub target_changed: i64,
}

/// One delegate's check-in regularity.
#[derive(Debug, Clone, PartialEq)]
pub struct DelegateRegularity {
    pub user_id: UserId,
    pub display_name: String,
    pub made: i64,
    pub expected: i64,
    pub windows_on_schedule: i64,
    /// `windows_on_schedule / expected`, rounded to 4 decimals; `None` while nothing is expected.
    pub share_on_schedule: Option<f64>,
    pub longest_gap_days: i64,
    pub last_reported_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckInFigures {
    pub cadence_days: i32,
    pub made: i64,
    pub expected: i64,
    pub windows_on_schedule: i64,
    pub share_on_schedule: Option<f64>,
    /// In the delegates' name order.
    pub delegates: Vec<DelegateRegularity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeRequestFigures {
    pub total: i64,
    pub approved: i64,
    pub declined: i64,
    pub open: i64,
    pub moved_end_date: i64,
    pub changed_target: i64,
}

/// One survey round's results over the delegates in scope.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRoundFigures {
    pub round_id: SurveyRoundId,
    pub title: Localized,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub delegates: i64,
    pub responses: i64,
    /// `responses / delegates`, rounded to 4 decimals.
    pub response_rate: Option<f64>,
    /// Each question with its results (means to 2 decimals, no texts).
    pub questions: Vec<(Question, QuestionResult)>,
}

/// The report's sections, one field each; a new section is a new field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sections {
    pub plans: PlanFigures,
    pub activities: ActivityFigures,
    pub indicators: IndicatorFigures,
    pub check_ins: CheckInFigures,
    pub change_requests: ChangeRequestFigures,
    /// In the rounds' opening order.
    pub surveys: Vec<SurveyRoundFigures>,
}

/// The results of each round over the delegates in scope.
fn survey_figures(facts: &ReportFacts) -> Vec<SurveyRoundFigures> {
    let mut rounds: Vec<&SurveyFacts> = facts.surveys.iter().collect();
    rounds.sort_by_key(|s| (s.window.opens_on, s.round.created_at));
    let in_scope = |user: &UserId| facts.delegates.iter().any(|d| d.user_id == *user);
    let delegates = facts.delegates.len() as i64;
    rounds
        .into_iter()
        .map(|s| {
            let answers: Vec<Answers> =
                s.answers.iter().filter(|(u, _)| in_scope(u)).map(|(_, a)| a.clone()).collect();
            let results = aggregate(&s.round.fields.questions, &answers, false);
            let round2 = |v: Option<f64>| v.map(|m| (m * 100.0).round() / 100.0);
            SurveyRoundFigures {
                round_id: s.round.id,
                title: s.round.fields.title.clone(),
                opens_on: s.window.opens_on,
                closes_on: s.window.closes_on,
                delegates,
                responses: answers.len() as i64,
                response_rate: share(answers.len() as i64, delegates),
                questions: s
                    .round
                    .fields
                    .questions
                    .iter()
                    .cloned()
                    .zip(results)
                    .map(|(q, r)| (q, QuestionResult { mean: round2(r.mean), ..r }))
                    .collect(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeReport {
    pub program: ProgramFacts,
    pub mentees_only: bool,
    pub delegates: i64,
    pub generated_at: DateTime<Utc>,
    pub sections: Sections,
}

// ---- the rules ------------------------------------------------------------------------

/// A ratio rounded to 4 decimals, so every format shows the same number.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// Where one activity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityStanding {
    DoneOnTime,
    DoneLate,
    Open,
    Overdue,
    Cancelled,
    Unfinished,
}

/// Where an activity stands at `today` (the plan owner's) on a plan with
/// status `plan`.
pub fn activity_standing(a: &ActivityFacts, plan: PlanStatus, today: NaiveDate) -> ActivityStanding {
    let closed = matches!(plan, PlanStatus::Completed | PlanStatus::Discontinued);
    match a.status {
        ActivityStatus::Done => match (a.completed_on, a.due_on) {
            (Some(done), Some(due)) if done > due => ActivityStanding::DoneLate,
            _ => ActivityStanding::DoneOnTime,
        },
        ActivityStatus::Cancelled => ActivityStanding::Cancelled,
        _ if closed => ActivityStanding::Unfinished,
        status if is_overdue(status, a.due_on, today) => ActivityStanding::Overdue,
        _ => ActivityStanding::Open,
    }
}

/// Where one indicator stands against `baseline` and `target` when
/// `elapsed` of the plan period has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorStanding {
    Reached,
    OnTrack,
    Behind,
}

pub fn indicator_standing(
    baseline: f64,
    target: f64,
    current: Option<f64>,
    elapsed: f64,
) -> IndicatorStanding {
    let reached = current.and_then(|c| progress(baseline, target, c)).is_some_and(|p| p >= 1.0);
    if reached {
        IndicatorStanding::Reached
    } else if is_behind_schedule(baseline, target, current, elapsed) {
        IndicatorStanding::Behind
    } else {
        IndicatorStanding::OnTrack
    }
}

impl Standing {
    fn add(&mut self, s: IndicatorStanding) {
        match s {
            IndicatorStanding::Reached => self.reached += 1,
            IndicatorStanding::OnTrack => self.on_track += 1,
            IndicatorStanding::Behind => self.behind += 1,
        }
    }
}

/// The regularity of one delegate's check-ins (see the module docs).
pub fn regularity(
    delegate: &DelegateFacts,
    program: &ProgramFacts,
    reported: &mut [NaiveDate],
) -> DelegateRegularity {
    let start = program.training_ends_on;
    let end = delegate.today.min(program.follow_up_until).max(start);
    let cadence = i64::from(program.check_in_cadence_days.max(1));
    let expected = (end - start).num_days() / cadence;
    reported.sort_unstable();
    let mut windows: Vec<i64> = reported
        .iter()
        .map(|d| (*d - start).num_days())
        .filter(|d| *d >= 1)
        .map(|d| (d - 1) / cadence)
        .filter(|w| *w < expected)
        .collect();
    windows.dedup();
    let on_schedule = windows.len() as i64;
    let mut longest = 0;
    let mut previous = start;
    for day in reported.iter().map(|d| (*d).clamp(start, end)).chain([end]) {
        longest = longest.max((day - previous).num_days());
        previous = day;
    }
    DelegateRegularity {
        user_id: delegate.user_id,
        display_name: delegate.display_name.clone(),
        made: reported.len() as i64,
        expected,
        windows_on_schedule: on_schedule,
        share_on_schedule: share(on_schedule, expected),
        longest_gap_days: longest,
        last_reported_on: reported.last().copied(),
    }
}

// ---- facts to figures -------------------------------------------------------------------

/// The report from its facts. Facts of plans not in `plans` (drafts, plans
/// out of scope) and plans whose owner is not one of `delegates` count nowhere.
pub fn compute(facts: &ReportFacts) -> OutcomeReport {
    let today_of: HashMap<UserId, NaiveDate> = facts.delegates.iter().map(|d| (d.user_id, d.today)).collect();
    let plans: HashMap<PlanId, (PlanFacts, NaiveDate)> = facts
        .plans
        .iter()
        .filter(|p| p.status != PlanStatus::Draft)
        .filter_map(|p| today_of.get(&p.owner_id).map(|t| (p.id, (*p, *t))))
        .collect();

    let mut plan_figures =
        PlanFigures { total: 0, by_status: REPORTED_STATUSES.iter().map(|s| (*s, 0)).collect() };
    for (p, _) in plans.values() {
        plan_figures.total += 1;
        if let Some((_, n)) = plan_figures.by_status.iter_mut().find(|(s, _)| *s == p.status) {
            *n += 1;
        }
    }

    let mut activities = ActivityFigures::default();
    for a in &facts.activities {
        let Some((p, today)) = plans.get(&a.plan_id) else { continue };
        activities.total += 1;
        match activity_standing(a, p.status, *today) {
            ActivityStanding::DoneOnTime => activities.done_on_time += 1,
            ActivityStanding::DoneLate => activities.done_late += 1,
            ActivityStanding::Open => activities.open += 1,
            ActivityStanding::Overdue => activities.overdue += 1,
            ActivityStanding::Cancelled => activities.cancelled += 1,
            ActivityStanding::Unfinished => activities.unfinished += 1,
        }
    }

    let mut indicators = IndicatorFigures::default();
    for i in &facts.indicators {
        let Some((p, today)) = plans.get(&i.plan_id) else { continue };
        indicators.total += 1;
        let elapsed = elapsed_share(p.starts_on, p.ends_on, *today);
        indicators.against_current.add(indicator_standing(i.baseline, i.target, i.current, elapsed));
        let original = i.original.unwrap_or(ApprovedTarget { baseline: i.baseline, target: i.target });
        let original_elapsed = elapsed_share(p.starts_on, p.original_ends_on.unwrap_or(p.ends_on), *today);
        indicators.against_original.add(indicator_standing(
            original.baseline,
            original.target,
            i.current,
            original_elapsed,
        ));
        if original.target != i.target {
            indicators.target_changed += 1;
        }
    }

    let mut reported: HashMap<UserId, Vec<NaiveDate>> = HashMap::new();
    for c in &facts.check_ins {
        if let Some((p, _)) = plans.get(&c.plan_id) {
            reported.entry(p.owner_id).or_default().push(c.reported_on);
        }
    }
    let mut delegates: Vec<&DelegateFacts> = facts.delegates.iter().collect();
    delegates.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.user_id.cmp(&b.user_id)));
    let rows: Vec<DelegateRegularity> = delegates
        .iter()
        .map(|d| {
            let mut dates = reported.remove(&d.user_id).unwrap_or_default();
            regularity(d, &facts.program, &mut dates)
        })
        .collect();
    let (made, expected, on_schedule) =
        rows.iter().fold((0, 0, 0), |(m, e, w), r| (m + r.made, e + r.expected, w + r.windows_on_schedule));
    let check_ins = CheckInFigures {
        cadence_days: facts.program.check_in_cadence_days,
        made,
        expected,
        windows_on_schedule: on_schedule,
        share_on_schedule: share(on_schedule, expected),
        delegates: rows,
    };

    let mut change_requests = ChangeRequestFigures::default();
    for r in facts.change_requests.iter().filter(|r| plans.contains_key(&r.plan_id)) {
        change_requests.total += 1;
        match r.status {
            ChangeRequestStatus::Open => change_requests.open += 1,
            ChangeRequestStatus::Declined => change_requests.declined += 1,
            ChangeRequestStatus::Approved => {
                change_requests.approved += 1;
                change_requests.moved_end_date += i64::from(r.moves_end_date);
                change_requests.changed_target += i64::from(r.changes_target);
            }
        }
    }

    OutcomeReport {
        program: facts.program.clone(),
        mentees_only: facts.mentees_only,
        delegates: facts.delegates.len() as i64,
        generated_at: facts.generated_at,
        sections: Sections {
            plans: plan_figures,
            activities,
            indicators,
            check_ins,
            change_requests,
            surveys: survey_figures(facts),
        },
    }
}

#[cfg(test)]
mod tests;
