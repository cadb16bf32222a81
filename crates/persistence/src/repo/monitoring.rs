//! Monitoring reads: the programme dashboard, the delegates table and the
//! mentor overview, in three statements whatever the size of the programme:
//! the delegates in scope, the indicators with their current values, and the
//! plans, one row each with its own counts (activities, done, overdue, the
//! latest check-in, reviews pending), streamed and folded into per-delegate
//! tallies by the domain's rules ([`followup_domain::monitoring::Figures`]).
//! Nothing here queries per delegate or per plan, and nothing holds a row per
//! plan, activity or check-in.
//!
//! Visibility is the plan policy in SQL, as in [`super::plans::list`]: a
//! mentor's view covers the plans of his mentees, an observer's leaves drafts
//! out, and the overview covers the plans of the caller's mentees in every
//! programme.
//!
//! With a [`MonitoringCache`], the figures of a scope are computed once and
//! served again while the change feed and the delegates' facts say nothing
//! changed (see [`super::monitoring_cache`]).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use followup_domain::ids::{PlanId, ProgramId, UserId};
use followup_domain::monitoring::{
    self as rules, Dashboard, DelegateFacts, DelegateRow, IndicatorFacts, LatestCheckIn, PlanFacts,
};
use followup_domain::policy::MonitoringScope;
use followup_domain::values::{ActivityStatus, PlanStatus, ProgramRole, Progress, ReviewStatus};
use followup_domain::Actor;
use uuid::Uuid;

use super::monitoring_cache::{FiguresKey, MonitoringCache, ProgramFigures};
use super::{not_found, parse_stored, programs};
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
    /// One programme, as [`MonitoringScope`] says.
    Program(ProgramId, MonitoringScope),
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
    fn key(self) -> FiguresKey {
        match self {
            Scope::Program(program, view) => FiguresKey::Program(program, view),
            Scope::Mentees(mentor) => FiguresKey::Mentees(mentor),
        }
    }

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

/// Run `$query` and hand each row to `$each` as it arrives, without holding
/// the result: SQLite steps through it; PostgreSQL's default would first
/// buffer every row in the client library, so it is read in single-row mode.
macro_rules! for_each_row {
    ($conn:expr, $query:expr, $row:ty, $each:expr) => {
        match $conn {
            DbConnection::Postgres(c) => {
                for row in $query.load_iter::<$row, diesel::pg::PgRowByRowLoadingMode>(c)? {
                    ($each)(row?)?;
                }
            }
            DbConnection::Sqlite(c) => {
                for row in $query.load_iter::<$row, diesel::connection::DefaultLoadingMode>(c)? {
                    ($each)(row?)?;
                }
            }
        }
    };
}

type DelegateTuple =
    (DbId, String, NaiveDate, i32, DbId, String, String, Option<DbId>, Option<String>, Option<String>);

/// The columns of a [`DelegateTuple`]: the programme's id, code, end of
/// training and cadence; the delegate's id, name and time zone; their
/// organisation's id, name and region (when they have one).
macro_rules! delegate_columns {
    () => {
        (
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
        )
    };
}

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
                .select(delegate_columns!())
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
            .select(delegate_columns!())
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

/// The figures of everything in scope, in three statements whatever the
/// number of delegates, plans and check-ins: the delegates, the indicators
/// (with their current values), and the plans streamed one row at a time,
/// each row carrying its own counts. Each plan is folded into its owner's
/// tally as it arrives ([`rules::Figures`]), so the memory held grows with
/// the delegates and the indicators, not with the plans and their activities
/// and check-ins.
fn figures(
    conn: &mut DbConnection,
    scope: Scope,
    delegates: &[DelegateFacts],
) -> Result<(Vec<DelegateRow>, Dashboard), StoreError> {
    let sp = scope.params();
    let (Some(min_today), Some(max_today)) =
        (delegates.iter().map(|d| d.today).min(), delegates.iter().map(|d| d.today).max())
    else {
        return Ok(rules::figures(delegates, &[]));
    };
    let indicators = indicators_in_scope(conn, sp)?;
    let mut figures = rules::Figures::new(delegates);

    // Overdue activities (the rule of `is_overdue`) depend on the owner's
    // today. Every owner's today lies in [min_today, max_today], and local
    // dates on Earth span at most three days at any instant (UTC−12 to
    // UTC+14), so three counts per plan decide it for every owner: open
    // activities due before min_today (overdue for all), due on min_today
    // (overdue once today is later) and due the day after.
    let day_after = min_today.succ_opt().unwrap_or(min_today);
    debug_assert!((max_today - min_today).num_days() <= 2, "local dates span at most three days");
    let closed = [ActivityStatus::Done.as_str(), ActivityStatus::Cancelled.as_str()];

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
    let activities_of = activities::table.filter(activities::plan_id.eq(action_plans::id));
    let open_of = activities_of.filter(activities::status.ne_all(closed));
    let done = ActivityStatus::Done.as_str();
    let pending = ReviewStatus::Pending.as_str();
    let awaiting = diesel::alias!(check_ins as awaiting);
    // A LEFT JOIN: PostgreSQL plans the INNER JOIN form as a join over all
    // check-ins (about 100 times slower on a large programme).
    let rows = action_plans::table
        .left_join(check_ins::table.on(check_ins::id.nullable().eq(latest_check_in)))
        .filter(in_scope!(sp))
        .select((
            (
                action_plans::id,
                action_plans::program_id,
                action_plans::owner_id,
                action_plans::status,
                action_plans::starts_on,
                action_plans::ends_on,
                action_plans::created_at,
            ),
            (
                check_ins::reported_on.nullable(),
                check_ins::created_at.nullable(),
                check_ins::id.nullable(),
                check_ins::progress.nullable(),
            ),
            (
                activities_of.select(count_star()).single_value(),
                activities_of.filter(activities::status.eq(done)).select(count_star()).single_value(),
                open_of.clone().filter(activities::due_on.lt(min_today)).select(count_star()).single_value(),
                open_of.clone().filter(activities::due_on.eq(min_today)).select(count_star()).single_value(),
                open_of.filter(activities::due_on.eq(day_after)).select(count_star()).single_value(),
                awaiting
                    .filter(awaiting.field(check_ins::plan_id).eq(action_plans::id))
                    .filter(awaiting.field(check_ins::review_status).eq(pending))
                    .select(count_star())
                    .single_value(),
            ),
        ));
    let mut fold = |row: PlanRow| -> Result<(), StoreError> {
        let ((id, program_id, owner_id, status, starts_on, ends_on, created_at), latest, counts) = row;
        let (program_id, owner_id) = (ProgramId::from_uuid(program_id.0), UserId::from_uuid(owner_id.0));
        let Some(today) = figures.today_of(program_id, owner_id) else {
            return Ok(()); // the owner is no longer a delegate in scope
        };
        let (total, done, before_min, on_min, on_day_after, pending) = counts;
        let overdue_from = |n: Option<i64>, due: NaiveDate| if due < today { n.unwrap_or(0) } else { 0 };
        let latest_check_in = match latest {
            (Some(reported_on), Some(created_at), Some(id), Some(progress)) => Some(LatestCheckIn {
                reported_on,
                created_at: created_at.0,
                id: id.0,
                progress: parse_stored("check_ins.progress", &progress, Progress::parse)?,
            }),
            _ => None, // no check-in yet
        };
        figures.add(&PlanFacts {
            id: PlanId::from_uuid(id.0),
            program_id,
            owner_id,
            status: parse_stored("action_plans.status", &status, PlanStatus::parse)?,
            starts_on,
            ends_on,
            created_at: created_at.0,
            activities_total: total.unwrap_or(0),
            activities_done: done.unwrap_or(0),
            activities_overdue: before_min.unwrap_or(0)
                + overdue_from(on_min, min_today)
                + overdue_from(on_day_after, day_after),
            indicators: of_plan(&indicators, id.0),
            latest_check_in,
            pending_reviews: pending.unwrap_or(0),
        });
        Ok(())
    };
    for_each_row!(conn, rows, PlanRow, fold);
    Ok(figures.finish())
}

/// One streamed row of [`figures`]: the plan; its latest check-in; its
/// activities, done ones, open ones due before the earliest today, on it and
/// the day after; its check-ins awaiting review.
type PlanRow = (
    (DbId, DbId, DbId, String, NaiveDate, NaiveDate, DbTime),
    (Option<NaiveDate>, Option<DbTime>, Option<DbId>, Option<String>),
    (Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>),
);

/// The indicators of the plans in scope with their current value (the
/// latest measurement not withdrawn, by date, then recording time and id, as everywhere
/// else, found per indicator through the (indicator, date, time, id) index),
/// sorted by plan.
fn indicators_in_scope(
    conn: &mut DbConnection,
    sp: ScopeParams,
) -> Result<Vec<(Uuid, IndicatorFacts)>, StoreError> {
    let latest_measurement = super::latest_measurement!();
    let mut all = Vec::new();
    // Joined to the plans rather than `plan_id IN (plans in scope)`, which
    // SQLite would first materialise as a temporary index of every plan id.
    let query = indicators::table
        .inner_join(action_plans::table)
        .left_join(measurements::table.on(measurements::id.nullable().eq(latest_measurement)))
        .filter(in_scope!(sp))
        .select((
            indicators::plan_id,
            indicators::baseline,
            indicators::target,
            measurements::value.nullable(),
        ));
    let mut keep =
        |(plan, baseline, target, current): (DbId, f64, f64, Option<f64>)| -> Result<(), StoreError> {
            all.push((plan.0, IndicatorFacts { baseline, target, current }));
            Ok(())
        };
    for_each_row!(conn, query, (DbId, f64, f64, Option<f64>), keep);
    all.sort_unstable_by_key(|(plan, _)| *plan);
    all.shrink_to_fit();
    Ok(all)
}

/// The indicators of one plan, from the list sorted by plan.
fn of_plan(sorted: &[(Uuid, IndicatorFacts)], plan: Uuid) -> Vec<IndicatorFacts> {
    let start = sorted.partition_point(|(p, _)| *p < plan);
    sorted.get(start..).unwrap_or_default().iter().take_while(|(p, _)| *p == plan).map(|(_, i)| *i).collect()
}

/// The programme's view for the actor: 404 when invisible, 403 for its delegates.
fn program_scope(conn: &mut DbConnection, actor: &Actor, program: ProgramId) -> Result<Scope, StoreError> {
    let role = programs::role_of(conn, program, actor.user_id)?;
    let view = followup_domain::policy::monitoring_scope(actor, role)?;
    let exists: i64 =
        programs_t::table.filter(programs_t::id.eq(DbId(program.as_uuid()))).count().get_result(conn)?;
    if exists == 0 {
        return Err(not_found("program"));
    }
    Ok(Scope::Program(program, view))
}

/// The delegates rows and the dashboard of a programme, as the actor may
/// see them; from `cache` when it holds them still valid.
pub fn program_figures(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    cache: Option<&MonitoringCache>,
) -> Result<Arc<ProgramFigures>, StoreError> {
    let scope = program_scope(conn, actor, program)?;
    scoped_figures(conn, scope, cache)
}

/// The figures of `scope`, cached or computed: the delegates in scope,
/// their plans folded into the figures, and the open survey rounds each
/// has not answered.
fn scoped_figures(
    conn: &mut DbConnection,
    scope: Scope,
    cache: Option<&MonitoringCache>,
) -> Result<Arc<ProgramFigures>, StoreError> {
    let compute = |conn: &mut DbConnection, delegates: &[DelegateFacts]| {
        let (mut rows, mut dashboard) = figures(conn, scope, delegates)?;
        dashboard.surveys_unanswered = count_surveys(conn, &mut rows)?;
        Ok(ProgramFigures { rows, dashboard })
    };
    let facts = |conn: &mut DbConnection| delegates(conn, scope, crate::now());
    match cache {
        Some(cache) => cache.figures(conn, scope.key(), facts, compute),
        None => {
            let delegates = facts(conn)?;
            Ok(Arc::new(compute(conn, &delegates)?))
        }
    }
}

/// Fill in each row's open survey rounds its delegate has not answered;
/// returns their sum. A few queries per programme among the rows.
fn count_surveys(conn: &mut DbConnection, rows: &mut [DelegateRow]) -> Result<i64, StoreError> {
    let mut programs: Vec<ProgramId> = rows.iter().map(|r| r.program_id).collect();
    programs.sort_unstable_by_key(|p| p.as_uuid());
    programs.dedup();
    let mut due = std::collections::HashMap::new();
    for program in programs {
        let ends: NaiveDate = programs_t::table
            .find(DbId(program.as_uuid()))
            .select(programs_t::training_ends_on)
            .first(conn)?;
        for (user, n) in super::survey_responses::unanswered_open(conn, DbId(program.as_uuid()), ends, None)?
        {
            due.insert((program.as_uuid(), user), n);
        }
    }
    let mut total = 0;
    for row in rows {
        row.surveys_unanswered =
            due.get(&(row.program_id.as_uuid(), row.user_id.as_uuid())).copied().unwrap_or(0);
        total += row.surveys_unanswered;
    }
    Ok(total)
}

/// One row per (programme, delegate) the actor mentors; empty for a caller
/// who mentors no one.
pub fn mentor_overview(
    conn: &mut DbConnection,
    actor: &Actor,
    cache: Option<&MonitoringCache>,
) -> Result<Arc<ProgramFigures>, StoreError> {
    scoped_figures(conn, Scope::Mentees(actor.user_id), cache)
}
