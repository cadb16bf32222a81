//! Monitoring reads: the programme dashboard, the delegates table and the
//! mentor overview. A constant number of queries fetches compact, already
//! reduced rows (counts grouped by plan, the latest check-in and measurement
//! per plan or indicator); the domain's rules ([`followup_domain::monitoring`])
//! turn them into figures. Nothing here queries per delegate or per plan.
//!
//! Visibility is the plan policy in SQL, as in [`super::plans::list`]: a
//! mentor's view covers the plans of his mentees, an observer's leaves drafts
//! out, and the overview covers the plans of the caller's mentees in every
//! programme.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use followup_domain::ids::{PlanId, ProgramId, UserId};
use followup_domain::monitoring::{
    self as rules, Dashboard, DelegateFacts, DelegateRow, IndicatorFacts, LatestCheckIn, PlanFacts,
    ProgramView,
};
use followup_domain::values::{ActivityStatus, PlanStatus, ProgramRole, Progress, ReviewStatus};
use followup_domain::Actor;
use uuid::Uuid;

use super::{not_found, programs, word};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    action_plans, activities, check_ins, indicators, measurements, memberships, mentorships, organizations,
    programs as programs_t, users,
};
use crate::sql_types::{DbId, DbTime};

/// Which plans and delegates a monitoring read covers.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// One programme, as [`ProgramView`] says.
    Program(ProgramId, ProgramView),
    /// The mentees of this mentor, in every programme.
    Mentees(UserId),
}

/// The scope as bind parameters of one static filter (boxed queries cannot
/// serve as subqueries on the multi-backend connection):
/// `(program_id = program OR any_program) AND (everyone OR the plan's owner
/// is a mentee of mentor in its programme) AND status <> hidden_status`.
#[derive(Debug, Clone, Copy)]
struct ScopeParams {
    program: DbId,
    any_program: bool,
    everyone: bool,
    mentor: DbId,
    hidden_status: &'static str,
}

impl Scope {
    fn params(self) -> ScopeParams {
        match self {
            Scope::Program(program, view) => ScopeParams {
                program: DbId(program.as_uuid()),
                any_program: false,
                everyone: view.mentees_of.is_none(),
                mentor: DbId(view.mentees_of.map_or(Uuid::nil(), |m| m.as_uuid())),
                // No plan has an empty status: "" hides nothing.
                hidden_status: if view.hide_drafts { PlanStatus::Draft.as_str() } else { "" },
            },
            Scope::Mentees(mentor) => ScopeParams {
                program: DbId(Uuid::nil()),
                any_program: true,
                everyone: false,
                mentor: DbId(mentor.as_uuid()),
                hidden_status: "",
            },
        }
    }
}

/// The scope as a filter on `action_plans`.
macro_rules! in_scope {
    ($p:expr) => {
        action_plans::program_id
            .eq($p.program)
            .or($p.any_program.into_sql::<diesel::sql_types::Bool>())
            .and(
                $p.everyone.into_sql::<diesel::sql_types::Bool>().or(exists(
                    mentorships::table
                        .filter(mentorships::mentor_id.eq($p.mentor))
                        .filter(mentorships::program_id.eq(action_plans::program_id))
                        .filter(mentorships::delegate_id.eq(action_plans::owner_id)),
                )),
            )
            .and(action_plans::status.ne($p.hidden_status))
    };
}

/// The ids of the plans in scope, as a subquery.
macro_rules! plan_ids {
    ($p:expr) => {
        action_plans::table.filter(in_scope!($p)).select(action_plans::id)
    };
}

type DelegateTuple =
    (DbId, String, NaiveDate, i32, DbId, String, String, Option<DbId>, Option<String>, Option<String>);

/// The delegates in scope with their programme's dates and cadence (one query).
fn delegates(
    conn: &mut DbConnection,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Vec<DelegateFacts>, StoreError> {
    let rows: Vec<DelegateTuple> = match scope {
        Scope::Program(program, view) => {
            let mut query = memberships::table
                .inner_join(programs_t::table)
                .inner_join(users::table.left_join(organizations::table))
                .filter(memberships::program_id.eq(DbId(program.as_uuid())))
                .filter(memberships::role.eq(ProgramRole::Delegate.as_str()))
                .select((
                    programs_t::id,
                    programs_t::code,
                    programs_t::training_ends_on,
                    programs_t::check_in_cadence_days,
                    users::id,
                    users::display_name,
                    users::time_zone,
                    organizations::id.nullable(),
                    organizations::name.nullable(),
                    organizations::region.nullable(),
                ))
                .into_boxed();
            if let Some(mentor) = view.mentees_of {
                query = query.filter(exists(
                    mentorships::table
                        .filter(mentorships::mentor_id.eq(DbId(mentor.as_uuid())))
                        .filter(mentorships::program_id.eq(memberships::program_id))
                        .filter(mentorships::delegate_id.eq(memberships::user_id)),
                ));
            }
            query.load(conn)?
        }
        Scope::Mentees(mentor) => mentorships::table
            .inner_join(programs_t::table)
            .inner_join(users::table.on(users::id.eq(mentorships::delegate_id)))
            .left_join(organizations::table.on(users::organization_id.eq(organizations::id.nullable())))
            .filter(mentorships::mentor_id.eq(DbId(mentor.as_uuid())))
            .select((
                programs_t::id,
                programs_t::code,
                programs_t::training_ends_on,
                programs_t::check_in_cadence_days,
                users::id,
                users::display_name,
                users::time_zone,
                organizations::id.nullable(),
                organizations::name.nullable(),
                organizations::region.nullable(),
            ))
            .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|(program_id, code, training_ends_on, cadence, user_id, name, tz, org_id, org_name, region)| {
            DelegateFacts {
                program_id: ProgramId::from_uuid(program_id.0),
                program_code: code,
                training_ends_on,
                check_in_cadence_days: cadence,
                user_id: UserId::from_uuid(user_id.0),
                display_name: name,
                organization: org_id.zip(org_name).map(|(id, name)| (id.0, name)),
                region,
                today: rules::today_in(&tz, now),
            }
        })
        .collect())
}

/// Everything in scope, as delegate facts and plan facts: eight queries at
/// most, whatever the number of delegates, plans and check-ins.
fn facts(conn: &mut DbConnection, scope: Scope) -> Result<(Vec<DelegateFacts>, Vec<PlanFacts>), StoreError> {
    let now = crate::now();
    let delegates = delegates(conn, scope, now)?;
    let sp = scope.params();
    let today_of: HashMap<(Uuid, Uuid), NaiveDate> =
        delegates.iter().map(|d| ((d.program_id.as_uuid(), d.user_id.as_uuid()), d.today)).collect();
    let (Some(min_today), Some(max_today)) =
        (delegates.iter().map(|d| d.today).min(), delegates.iter().map(|d| d.today).max())
    else {
        return Ok((delegates, Vec::new()));
    };

    // Plans (visible ones only), each with its owner's today.
    let plan_rows: Vec<(DbId, DbId, DbId, String, NaiveDate, NaiveDate, DbTime)> = action_plans::table
        .filter(in_scope!(sp))
        .select((
            action_plans::id,
            action_plans::program_id,
            action_plans::owner_id,
            action_plans::status,
            action_plans::starts_on,
            action_plans::ends_on,
            action_plans::created_at,
        ))
        .load(conn)?;
    let mut plans: Vec<(PlanFacts, NaiveDate)> = Vec::with_capacity(plan_rows.len());
    for (id, program_id, owner_id, status, starts_on, ends_on, created_at) in plan_rows {
        let Some(today) = today_of.get(&(program_id.0, owner_id.0)).copied() else {
            continue; // the owner is no longer a delegate in scope
        };
        plans.push((
            PlanFacts {
                id: PlanId::from_uuid(id.0),
                program_id: ProgramId::from_uuid(program_id.0),
                owner_id: UserId::from_uuid(owner_id.0),
                status: word("action_plans.status", &status, PlanStatus::parse)?,
                starts_on,
                ends_on,
                created_at: created_at.0,
                activities_total: 0,
                activities_done: 0,
                activities_overdue: 0,
                indicators: Vec::new(),
                latest_check_in: None,
                pending_reviews: 0,
            },
            today,
        ));
    }
    let index: HashMap<Uuid, usize> =
        plans.iter().enumerate().map(|(i, (p, _))| (p.id.as_uuid(), i)).collect();

    // Activities: counts by plan and status.
    let by_status: Vec<(DbId, String, i64)> = activities::table
        .filter(activities::plan_id.eq_any(plan_ids!(sp)))
        .group_by((activities::plan_id, activities::status))
        .select((activities::plan_id, activities::status, count_star()))
        .load(conn)?;
    for (plan, status, n) in by_status {
        if let Some((p, _)) = at(&mut plans, &index, plan) {
            p.activities_total += n;
            if word("activities.status", &status, ActivityStatus::parse)? == ActivityStatus::Done {
                p.activities_done += n;
            }
        }
    }
    // Overdue: open activities due before the earliest "today" of all owners
    // are overdue for every owner (the rule of `is_overdue`, in SQL)…
    let closed = [ActivityStatus::Done.as_str(), ActivityStatus::Cancelled.as_str()];
    let surely: Vec<(DbId, i64)> = activities::table
        .filter(activities::plan_id.eq_any(plan_ids!(sp)))
        .filter(activities::status.ne_all(closed))
        .filter(activities::due_on.lt(min_today))
        .group_by(activities::plan_id)
        .select((activities::plan_id, count_star()))
        .load(conn)?;
    for (plan, n) in surely {
        if let Some((p, _)) = at(&mut plans, &index, plan) {
            p.activities_overdue += n;
        }
    }
    // …and those due between the earliest and the latest "today" depend on
    // the owner's time zone: the rule decides each (plan, status, due date).
    if min_today < max_today {
        let window: Vec<(DbId, String, Option<NaiveDate>, i64)> = activities::table
            .filter(activities::plan_id.eq_any(plan_ids!(sp)))
            .filter(activities::status.ne_all(closed))
            .filter(activities::due_on.ge(min_today))
            .filter(activities::due_on.lt(max_today))
            .group_by((activities::plan_id, activities::status, activities::due_on))
            .select((activities::plan_id, activities::status, activities::due_on, count_star()))
            .load(conn)?;
        for (plan, status, due_on, n) in window {
            if let Some((p, today)) = at(&mut plans, &index, plan) {
                let status = word("activities.status", &status, ActivityStatus::parse)?;
                if rules::is_overdue(status, due_on, today) {
                    p.activities_overdue += n;
                }
            }
        }
    }

    // Indicators with their current value: the latest measurement (by
    // date, then recording time and id, as everywhere else), found per
    // indicator through the (indicator, date, time, id) index.
    let later_m = diesel::alias!(measurements as later_m);
    let latest_measurement = later_m
        .filter(later_m.field(measurements::indicator_id).eq(indicators::id))
        .order((
            later_m.field(measurements::measured_on).desc(),
            later_m.field(measurements::created_at).desc(),
            later_m.field(measurements::id).desc(),
        ))
        .select(later_m.field(measurements::id))
        .limit(1)
        .single_value();
    let indicator_rows: Vec<(DbId, f64, f64, Option<f64>)> = indicators::table
        .left_join(measurements::table.on(measurements::id.nullable().eq(latest_measurement)))
        .filter(indicators::plan_id.eq_any(plan_ids!(sp)))
        .select((
            indicators::plan_id,
            indicators::baseline,
            indicators::target,
            measurements::value.nullable(),
        ))
        .load(conn)?;
    for (plan, baseline, target, current) in indicator_rows {
        if let Some((p, _)) = at(&mut plans, &index, plan) {
            p.indicators.push(IndicatorFacts { baseline, target, current });
        }
    }

    // The latest check-in of each plan: latest `reported_on`, ties by
    // `created_at`, then id; one index probe per plan.
    let later_c = diesel::alias!(check_ins as later_c);
    let latest_check_in = later_c
        .filter(later_c.field(check_ins::plan_id).eq(action_plans::id))
        .order((
            later_c.field(check_ins::reported_on).desc(),
            later_c.field(check_ins::created_at).desc(),
            later_c.field(check_ins::id).desc(),
        ))
        .select(later_c.field(check_ins::id))
        .limit(1)
        .single_value();
    // A LEFT JOIN: PostgreSQL plans the INNER JOIN form as a join over all
    // check-ins (about 100 times slower on a large programme).
    type LatestRow = (DbId, Option<NaiveDate>, Option<DbTime>, Option<DbId>, Option<String>);
    let latest: Vec<LatestRow> = action_plans::table
        .left_join(check_ins::table.on(check_ins::id.nullable().eq(latest_check_in)))
        .filter(in_scope!(sp))
        .select((
            action_plans::id,
            check_ins::reported_on.nullable(),
            check_ins::created_at.nullable(),
            check_ins::id.nullable(),
            check_ins::progress.nullable(),
        ))
        .load(conn)?;
    for row in latest {
        let (plan, Some(reported_on), Some(created_at), Some(id), Some(progress)) = row else {
            continue; // no check-in yet
        };
        if let Some((p, _)) = at(&mut plans, &index, plan) {
            p.latest_check_in = Some(LatestCheckIn {
                reported_on,
                created_at: created_at.0,
                id: id.0,
                progress: word("check_ins.progress", &progress, Progress::parse)?,
            });
        }
    }
    // Check-ins awaiting review.
    let pending: Vec<(DbId, i64)> = check_ins::table
        .filter(check_ins::plan_id.eq_any(plan_ids!(sp)))
        .filter(check_ins::review_status.eq(ReviewStatus::Pending.as_str()))
        .group_by(check_ins::plan_id)
        .select((check_ins::plan_id, count_star()))
        .load(conn)?;
    for (plan, n) in pending {
        if let Some((p, _)) = at(&mut plans, &index, plan) {
            p.pending_reviews += n;
        }
    }
    Ok((delegates, plans.into_iter().map(|(p, _)| p).collect()))
}

/// The plan with this id and its owner's today.
fn at<'a>(
    plans: &'a mut [(PlanFacts, NaiveDate)],
    index: &HashMap<Uuid, usize>,
    id: DbId,
) -> Option<(&'a mut PlanFacts, NaiveDate)> {
    let i = index.get(&id.0).copied()?;
    plans.get_mut(i).map(|(p, t)| (p, *t))
}

/// The programme's view for the actor: 404 when invisible, 403 for its delegates.
fn program_scope(conn: &mut DbConnection, actor: &Actor, program: ProgramId) -> Result<Scope, StoreError> {
    let role = programs::role_of(conn, program, actor.user_id)?;
    let view = rules::program_view(actor, role)?;
    let exists: i64 =
        programs_t::table.filter(programs_t::id.eq(DbId(program.as_uuid()))).count().get_result(conn)?;
    if exists == 0 {
        return Err(not_found("program"));
    }
    Ok(Scope::Program(program, view))
}

/// The delegates rows (in name order) and the dashboard of a programme, as
/// the actor may see them.
pub fn program_figures(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
) -> Result<(Vec<DelegateRow>, Dashboard), StoreError> {
    let scope = program_scope(conn, actor, program)?;
    let (delegates, plans) = facts(conn, scope)?;
    Ok(rules::figures(&delegates, &plans))
}

/// One row per (programme, delegate) the actor mentors; empty for a caller
/// who mentors no one.
pub fn mentor_overview(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<DelegateRow>, StoreError> {
    let (delegates, plans) = facts(conn, Scope::Mentees(actor.user_id))?;
    Ok(rules::figures(&delegates, &plans).0)
}
