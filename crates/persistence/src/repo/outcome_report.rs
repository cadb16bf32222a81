//! The outcome report of a programme: compact facts for
//! [`followup_domain::outcome_report::compute`], in eight statements
//! whatever the size of the programme (the caller's role, the programme, its
//! delegates in scope, then the plans, activities, indicators with their
//! current values, check-in dates and change requests of the plans in
//! scope). Drafts are left out by every query; a mentor's report covers the
//! plans of his mentees, as the monitoring views do. The survey rounds and
//! their answers take two more.

use chrono::NaiveDate;
use diesel::dsl::exists;
use diesel::prelude::*;
use followup_domain::change_requests::ProposedChanges;
use followup_domain::ids::{PlanId, ProgramId, UserId};
use followup_domain::indicators::ApprovedTarget;
use followup_domain::monitoring::today_in;
use followup_domain::outcome_report::{
    ActivityFacts, ChangeRequestFacts, CheckInFacts, DelegateFacts, IndicatorFacts, PlanFacts, ProgramFacts,
    ReportFacts,
};
use followup_domain::policy::MonitoringScope;
use followup_domain::values::{ActivityStatus, ChangeRequestStatus, PlanStatus, ProgramRole};
use followup_domain::Actor;
use uuid::Uuid;

use super::{not_found, parse_stored, programs};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    action_plans, activities, change_requests, check_ins, indicators, measurements, memberships, mentorships,
    programs as programs_t, users,
};
use crate::sql_types::DbId;

/// The plans of the report as bind parameters of one static filter on
/// `action_plans`: `program_id = program AND status <> 'draft' AND
/// (everyone OR the owner is a mentee of mentor in the programme)`.
#[derive(Debug, Clone, Copy)]
struct InScope {
    program: DbId,
    everyone: bool,
    mentor: DbId,
}

macro_rules! in_scope {
    ($s:expr) => {
        action_plans::program_id.eq($s.program).and(action_plans::status.ne(PlanStatus::Draft.as_str())).and(
            $s.everyone.into_sql::<diesel::sql_types::Bool>().or(exists(
                mentorships::table
                    .filter(mentorships::mentor_id.eq($s.mentor))
                    .filter(mentorships::program_id.eq(action_plans::program_id))
                    .filter(mentorships::delegate_id.eq(action_plans::owner_id)),
            )),
        )
    };
}

type ProgramRow = (DbId, String, String, Option<String>, NaiveDate, NaiveDate, i32);
/// Id, owner, status, starts_on, ends_on, original_ends_on.
type PlanRow = (DbId, DbId, String, NaiveDate, NaiveDate, Option<NaiveDate>);
/// Plan, baseline, target, current value, original baseline, original target.
type IndicatorRow = (DbId, f64, f64, Option<f64>, Option<f64>, Option<f64>);

/// The facts of the programme's outcome report as the actor may see it:
/// 404 when the programme is invisible, 403 for its delegates.
pub fn facts(conn: &mut DbConnection, actor: &Actor, program: ProgramId) -> Result<ReportFacts, StoreError> {
    let role = programs::role_of(conn, program, actor.user_id)?;
    let view: MonitoringScope = followup_domain::policy::outcome_report_scope(actor, role)?;
    let row: Option<ProgramRow> = programs_t::table
        .filter(programs_t::id.eq(DbId(program.as_uuid())))
        .select((
            programs_t::id,
            programs_t::code,
            programs_t::title,
            programs_t::funder,
            programs_t::training_ends_on,
            programs_t::follow_up_until,
            programs_t::check_in_cadence_days,
        ))
        .first(conn)
        .optional()?;
    let (id, code, title, funder, training_ends_on, follow_up_until, cadence) =
        row.ok_or_else(|| not_found("program"))?;
    let now = crate::now();
    let scope = InScope {
        program: id,
        everyone: view.mentees_of.is_none(),
        mentor: DbId(view.mentees_of.map_or(Uuid::nil(), |m| m.as_uuid())),
    };

    let mut delegates_query = memberships::table
        .inner_join(users::table)
        .filter(memberships::program_id.eq(id))
        .filter(memberships::role.eq(ProgramRole::Delegate.as_str()))
        .select((users::id, users::display_name, users::time_zone))
        .into_boxed();
    if let Some(mentor) = view.mentees_of {
        delegates_query = delegates_query.filter(exists(
            mentorships::table
                .filter(mentorships::mentor_id.eq(DbId(mentor.as_uuid())))
                .filter(mentorships::program_id.eq(memberships::program_id))
                .filter(mentorships::delegate_id.eq(memberships::user_id)),
        ));
    }
    let delegates: Vec<(DbId, String, String)> = delegates_query.load(conn)?;
    let delegates = delegates
        .into_iter()
        .map(|(user, name, tz)| DelegateFacts {
            user_id: UserId::from_uuid(user.0),
            display_name: name,
            today: today_in(&tz, now),
        })
        .collect();

    let plans: Vec<PlanRow> = action_plans::table
        .filter(in_scope!(scope))
        .select((
            action_plans::id,
            action_plans::owner_id,
            action_plans::status,
            action_plans::starts_on,
            action_plans::ends_on,
            action_plans::original_ends_on,
        ))
        .load(conn)?;
    let plans = plans
        .into_iter()
        .map(|(id, owner, status, starts_on, ends_on, original_ends_on)| {
            Ok(PlanFacts {
                id: plan_id(id),
                owner_id: UserId::from_uuid(owner.0),
                status: parse_stored("action_plans.status", &status, PlanStatus::parse)?,
                starts_on,
                ends_on,
                original_ends_on,
            })
        })
        .collect::<Result<_, StoreError>>()?;

    let activity_rows: Vec<(DbId, String, Option<NaiveDate>, Option<NaiveDate>)> = activities::table
        .inner_join(action_plans::table)
        .filter(in_scope!(scope))
        .select((activities::plan_id, activities::status, activities::due_on, activities::completed_on))
        .load(conn)?;
    let activities = activity_rows
        .into_iter()
        .map(|(plan, status, due_on, completed_on)| {
            Ok(ActivityFacts {
                plan_id: plan_id(plan),
                status: parse_stored("activities.status", &status, ActivityStatus::parse)?,
                due_on,
                completed_on,
            })
        })
        .collect::<Result<_, StoreError>>()?;

    // The current value: the latest measurement not withdrawn (by date, then
    // recording time and id), as everywhere else.
    let latest_measurement = super::latest_measurement!();
    let indicator_rows: Vec<IndicatorRow> = indicators::table
        .inner_join(action_plans::table)
        .left_join(measurements::table.on(measurements::id.nullable().eq(latest_measurement)))
        .filter(in_scope!(scope))
        .select((
            indicators::plan_id,
            indicators::baseline,
            indicators::target,
            measurements::value.nullable(),
            indicators::original_baseline,
            indicators::original_target,
        ))
        .load(conn)?;
    let indicators = indicator_rows
        .into_iter()
        .map(|(plan, baseline, target, current, original_baseline, original_target)| IndicatorFacts {
            plan_id: plan_id(plan),
            baseline,
            target,
            current,
            original: original_baseline
                .zip(original_target)
                .map(|(baseline, target)| ApprovedTarget { baseline, target }),
        })
        .collect();

    let check_in_rows: Vec<(DbId, NaiveDate)> = check_ins::table
        .inner_join(action_plans::table)
        .filter(in_scope!(scope))
        .select((check_ins::plan_id, check_ins::reported_on))
        .load(conn)?;
    let check_ins = check_in_rows
        .into_iter()
        .map(|(plan, reported_on)| CheckInFacts { plan_id: plan_id(plan), reported_on })
        .collect();

    let request_rows: Vec<(DbId, String, String)> = change_requests::table
        .inner_join(action_plans::table.on(action_plans::id.eq(change_requests::plan_id)))
        .filter(in_scope!(scope))
        .select((change_requests::plan_id, change_requests::status, change_requests::changes))
        .load(conn)?;
    let change_requests = request_rows
        .into_iter()
        .map(|(plan, status, changes)| {
            let changes: ProposedChanges = serde_json::from_str(&changes)
                .map_err(|e| StoreError::internal(format!("change_requests.changes: {e}")))?;
            Ok(ChangeRequestFacts {
                plan_id: plan_id(plan),
                status: parse_stored("change_requests.status", &status, ChangeRequestStatus::parse)?,
                moves_end_date: changes.ends_on.is_some(),
                changes_target: changes.indicators.iter().any(|i| i.target.is_some()),
            })
        })
        .collect::<Result<_, StoreError>>()?;

    Ok(ReportFacts {
        program: ProgramFacts {
            id: ProgramId::from_uuid(id.0),
            code,
            title,
            funder,
            training_ends_on,
            follow_up_until,
            check_in_cadence_days: cadence,
        },
        mentees_only: view.mentees_of.is_some(),
        delegates,
        plans,
        activities,
        indicators,
        check_ins,
        change_requests,
        surveys: super::survey_responses::report_facts(conn, id, training_ends_on)?,
        generated_at: now,
    })
}

fn plan_id(id: DbId) -> PlanId {
    PlanId::from_uuid(id.0)
}
