//! The programme export (`/programs/{id}/export.csv`): the plans, or the
//! activities, of one programme that the actor may see, read in keyset pages
//! so that a caller can stream any number of rows in constant memory.
//!
//! Visibility is the plan policy for a whole programme
//! ([`policy::program_scope`]), written as one SQL condition and applied to
//! every page, exactly as `GET /plans` applies it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use followup_domain::activities::Activity;
use followup_domain::ids::ProgramId;
use followup_domain::indicators::Indicator;
use followup_domain::paging::Cursor;
use followup_domain::policy::plan::{self as policy, ProgramPlanScope};
use followup_domain::values::{ActivityStatus, PlanStatus, ProgramRole};
use followup_domain::Actor;
use uuid::Uuid;

use super::rows::{ActivityRow, IndicatorRow, PlanRow};
use super::{not_found, parse_stored, programs};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    action_plans, activities, attachments, check_ins, indicators, measurements, mentorships, organizations,
    programs as programs_t, users,
};
use crate::sql_types::{DbId, DbTime};
use crate::today_in;

/// The plan policy for one programme as a SQL condition on `action_plans`
/// (usable on any query that has `action_plans` and `mentorships` in scope).
macro_rules! visible_in_program {
    ($scope:expr) => {{
        use crate::schema::{action_plans, mentorships};
        let scope: &followup_domain::policy::plan::ProgramPlanScope = $scope;
        let me = crate::sql_types::DbId(scope.me.as_uuid());
        let mentored = mentorships::table
            .filter(mentorships::mentor_id.eq(me))
            .filter(mentorships::program_id.eq(action_plans::program_id))
            .filter(mentorships::delegate_id.eq(action_plans::owner_id));
        let draft = followup_domain::values::PlanStatus::Draft.as_str();
        scope
            .everything
            .into_sql::<diesel::sql_types::Bool>()
            .or(action_plans::owner_id.eq(me))
            .or(scope.non_drafts.into_sql::<diesel::sql_types::Bool>().and(action_plans::status.ne(draft)))
            .or(scope.mentees.into_sql::<diesel::sql_types::Bool>().and(diesel::dsl::exists(mentored)))
    }};
}
pub(crate) use visible_in_program;

/// What an export (or another programme-wide read) needs before its first
/// page: the programme's code (for the file name) and which of its plans the
/// actor sees. 404 for a programme the actor may not see.
#[derive(Debug, Clone)]
pub struct ExportStart {
    pub program_id: ProgramId,
    pub code: String,
    pub scope: ProgramPlanScope,
    /// Who exports, and their role in the programme (for whose e-mails they see).
    pub actor: Actor,
    pub role: Option<ProgramRole>,
}

pub fn start(conn: &mut DbConnection, actor: &Actor, program: ProgramId) -> Result<ExportStart, StoreError> {
    let role = programs::role_of(conn, program, actor.user_id)?;
    followup_domain::policy::program::require_view(actor, role)?;
    let code = programs_t::table
        .find(DbId(program.as_uuid()))
        .select(programs_t::code)
        .first::<String>(conn)
        .optional()?
        .ok_or_else(|| not_found("program"))?;
    Ok(ExportStart {
        program_id: program,
        code,
        scope: policy::program_scope(actor, role),
        actor: *actor,
        role,
    })
}

/// Keyset paging of a plan's children across plans: rows after key `$k`
/// (an [`ActivityKey`]) in (plan creation, child creation) order.
macro_rules! after_plan_then {
    ($child:ident, $k:expr) => {{
        let (pat, pid) = (DbTime($k.plan.created_at), DbId($k.plan.id));
        let (cat, cid) = (DbTime($k.created_at), DbId($k.id));
        action_plans::created_at
            .gt(pat)
            .or(action_plans::created_at.eq(pat).and(action_plans::id.gt(pid)))
            .or(action_plans::id
                .eq(pid)
                .and($child::created_at.gt(cat).or($child::created_at.eq(cat).and($child::id.gt(cid)))))
    }};
}

/// The page of `$child` rows (a plan's children, with their plan and its
/// owner joined) of the plans of the export's programme the actor sees,
/// selecting `$select`: plans in creation order, each plan's children in
/// creation order, after key `$after` (an [`ActivityKey`]); boxed.
macro_rules! plan_children_page {
    ($child:ident, $start:expr, $after:expr, $limit:expr, $select:expr) => {{
        let start: &ExportStart = $start;
        let query = $child::table
            .inner_join(action_plans::table.inner_join(users::table))
            .filter(action_plans::program_id.eq(DbId(start.program_id.as_uuid())))
            .filter(visible_in_program!(&start.scope))
            .select($select)
            .order((
                action_plans::created_at.asc(),
                action_plans::id.asc(),
                $child::created_at.asc(),
                $child::id.asc(),
            ))
            .limit(i64::from($limit))
            .into_boxed();
        match $after {
            Some(k) => query.filter(after_plan_then!($child, k)),
            None => query,
        }
    }};
}

/// How many rows of `$query` there are for each value of `$key` (an id
/// column), by that id; an id with none is absent.
macro_rules! count_per {
    ($conn:expr, $query:expr, $key:expr) => {
        $query
            .group_by($key)
            .select(($key, count_star()))
            .load::<(DbId, i64)>($conn)
            .map(|counts| counts.into_iter().map(|(id, n)| (id.0, n)).collect::<HashMap<Uuid, i64>>())
    };
}

/// Where the next page of plans starts: the last plan's (`created_at`, `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanKey {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// One row of the plan-level export.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanLine {
    pub id: Uuid,
    pub owner_name: String,
    pub owner_email: String,
    pub organization: Option<String>,
    pub title: String,
    pub status: PlanStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub activities_total: i64,
    pub activities_done: i64,
    /// Overdue in the owner's time zone, as `GET /plans/{id}/activities` says.
    pub activities_overdue: i64,
    pub latest_check_in_on: Option<NaiveDate>,
    /// `on_track`, `at_risk` or `off_track`.
    pub latest_progress: Option<String>,
    pub indicators: i64,
    /// The plan's indicators with their current values, in creation order.
    pub indicator_figures: Vec<Indicator>,
    /// The display names of the owner's mentors in the programme, sorted.
    pub mentors: Vec<String>,
    /// Evidence files on the plan's check-ins, activities and measurements
    /// (a comment's are not counted: the export holds no comment).
    pub evidence_files: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlanLine {
    pub fn key(&self) -> PlanKey {
        PlanKey { created_at: self.created_at, id: self.id }
    }
}

const OPEN_EXCLUDED: [&str; 2] = ["done", "cancelled"];

/// One page of the plans of the programme the actor sees, in creation order.
pub fn plan_page(
    conn: &mut DbConnection,
    start: &ExportStart,
    after: Option<PlanKey>,
    limit: u32,
) -> Result<Vec<PlanLine>, StoreError> {
    let query = action_plans::table
        .inner_join(users::table.left_join(organizations::table))
        .filter(action_plans::program_id.eq(DbId(start.program_id.as_uuid())))
        .filter(visible_in_program!(&start.scope))
        .select((
            PlanRow::as_select(),
            users::display_name,
            users::email,
            users::time_zone,
            organizations::name.nullable(),
        ))
        .order((action_plans::created_at.asc(), action_plans::id.asc()))
        .limit(i64::from(limit))
        .into_boxed();
    let query =
        super::after_created!(query, action_plans, after.map(|k| Cursor { at: k.created_at, id: k.id }));
    let rows = query.load::<(PlanRow, String, String, String, Option<String>)>(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<DbId> = rows.iter().map(|(p, ..)| p.id).collect();

    let totals = count_per!(
        conn,
        activities::table.filter(activities::plan_id.eq_any(ids.clone())),
        activities::plan_id
    )?;
    let done = count_per!(
        conn,
        activities::table
            .filter(activities::plan_id.eq_any(ids.clone()))
            .filter(activities::status.eq(ActivityStatus::Done.as_str())),
        activities::plan_id
    )?;
    // "Today" differs per owner but is within a day of UTC's today
    // everywhere: count open activities by due date up to the latest
    // possible today, then keep those before each owner's today.
    let latest_today = crate::now().date_naive() + chrono::Duration::days(1);
    let mut open_by_due: HashMap<Uuid, Vec<(NaiveDate, i64)>> = HashMap::new();
    for (id, due, n) in activities::table
        .filter(activities::plan_id.eq_any(ids.clone()))
        .filter(activities::status.ne_all(OPEN_EXCLUDED))
        .filter(activities::due_on.lt(latest_today))
        .group_by((activities::plan_id, activities::due_on))
        .select((activities::plan_id, activities::due_on, count_star()))
        .load::<(DbId, Option<NaiveDate>, i64)>(conn)?
    {
        if let Some(due) = due {
            open_by_due.entry(id.0).or_default().push((due, n));
        }
    }
    let files = count_per!(
        conn,
        attachments::table
            .filter(attachments::plan_id.eq_any(ids.clone()))
            .filter(attachments::parent_type.ne("comment")),
        attachments::plan_id
    )?;
    let indicator_counts = count_per!(
        conn,
        indicators::table.filter(indicators::plan_id.eq_any(ids.clone())),
        indicators::plan_id
    )?;
    // The latest check-in of each plan: the newest `reported_on`, ties broken
    // by creation (the same order as `GET /plans/{id}/check-ins` read backwards).
    let mut latest: HashMap<Uuid, (NaiveDate, String)> = HashMap::new();
    for (id, on, progress) in check_ins::table
        .filter(check_ins::plan_id.eq_any(ids.clone()))
        .select((check_ins::plan_id, check_ins::reported_on, check_ins::progress))
        .order((
            check_ins::plan_id.asc(),
            check_ins::reported_on.asc(),
            check_ins::created_at.asc(),
            check_ins::id.asc(),
        ))
        .load::<(DbId, NaiveDate, String)>(conn)?
    {
        latest.insert(id.0, (on, progress));
    }

    let owners: Vec<DbId> = rows.iter().map(|(p, ..)| p.owner_id).collect();
    let mentors = mentors_of(conn, start.program_id, &owners)?;
    let mut figures = indicators_of(conn, &ids)?;

    let mut todays: HashMap<String, NaiveDate> = HashMap::new();
    rows.into_iter()
        .map(|(plan, owner_name, owner_email, time_zone, organization)| {
            let id = plan.id.0;
            // A mentor's scope holds their mentees' plans only (and their own).
            let sees_email = followup_domain::policy::program::sees_email(
                &start.actor,
                start.role,
                plan.owner_id.0.into(),
                start.scope.mentees,
            );
            let owner_email = if sees_email { owner_email } else { String::new() };
            let today = *todays.entry(time_zone).or_insert_with_key(|tz| today_in(tz));
            let overdue = open_by_due
                .get(&id)
                .map(|v| v.iter().filter(|(due, _)| *due < today).map(|(_, n)| n).sum())
                .unwrap_or(0);
            let (latest_check_in_on, latest_progress) = match latest.remove(&id) {
                Some((on, progress)) => (Some(on), Some(progress)),
                None => (None, None),
            };
            Ok(PlanLine {
                id,
                owner_name,
                owner_email,
                organization,
                status: parse_stored("action_plans.status", &plan.status, PlanStatus::parse)?,
                title: plan.title,
                starts_on: plan.starts_on,
                ends_on: plan.ends_on,
                activities_total: totals.get(&id).copied().unwrap_or(0),
                activities_done: done.get(&id).copied().unwrap_or(0),
                activities_overdue: overdue,
                latest_check_in_on,
                latest_progress,
                indicators: indicator_counts.get(&id).copied().unwrap_or(0),
                indicator_figures: figures.remove(&id).unwrap_or_default(),
                mentors: mentors.get(&plan.owner_id.0).cloned().unwrap_or_default(),
                evidence_files: files.get(&id).copied().unwrap_or(0),
                created_at: plan.created_at.0,
                updated_at: plan.updated_at.0,
            })
        })
        .collect()
}

/// How many evidence files hang on each of `parents` (of one kind), by parent.
fn files_on(conn: &mut DbConnection, kind: &str, parents: &[DbId]) -> Result<HashMap<Uuid, i64>, StoreError> {
    Ok(count_per!(
        conn,
        attachments::table
            .filter(attachments::parent_type.eq(kind))
            .filter(attachments::parent_id.eq_any(parents.to_vec())),
        attachments::parent_id
    )?)
}

/// The display names of each owner's mentors in the programme, sorted.
fn mentors_of(
    conn: &mut DbConnection,
    program: ProgramId,
    owners: &[DbId],
) -> Result<HashMap<Uuid, Vec<String>>, StoreError> {
    let pairs: Vec<(DbId, DbId)> = mentorships::table
        .filter(mentorships::program_id.eq(DbId(program.as_uuid())))
        .filter(mentorships::delegate_id.eq_any(owners.to_vec()))
        .select((mentorships::delegate_id, mentorships::mentor_id))
        .load(conn)?;
    let mentor_ids: Vec<DbId> = pairs.iter().map(|(_, m)| *m).collect();
    let names: HashMap<Uuid, String> = users::table
        .filter(users::id.eq_any(mentor_ids))
        .select((users::id, users::display_name))
        .load::<(DbId, String)>(conn)?
        .into_iter()
        .map(|(id, name)| (id.0, name))
        .collect();
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (delegate, mentor) in pairs {
        if let Some(name) = names.get(&mentor.0) {
            out.entry(delegate.0).or_default().push(name.clone());
        }
    }
    out.values_mut().for_each(|names| names.sort());
    Ok(out)
}

/// Each plan's indicators with their current values, in creation order.
fn indicators_of(
    conn: &mut DbConnection,
    plans: &[DbId],
) -> Result<HashMap<Uuid, Vec<Indicator>>, StoreError> {
    let rows: Vec<IndicatorRow> = indicators::table
        .filter(indicators::plan_id.eq_any(plans.to_vec()))
        .select(IndicatorRow::as_select())
        .order((indicators::created_at.asc(), indicators::id.asc()))
        .load(conn)?;
    let ids: Vec<DbId> = rows.iter().map(|r| r.id).collect();
    let values: HashMap<DbId, f64> = super::indicators::current_values(conn, &ids)?.into_iter().collect();
    let mut out: HashMap<Uuid, Vec<Indicator>> = HashMap::new();
    for row in rows {
        let (plan, current) = (row.plan_id.0, values.get(&row.id).copied());
        out.entry(plan).or_default().push(row.into_domain(current)?);
    }
    Ok(out)
}

/// One row of the indicator-level export.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorLine {
    pub plan_id: Uuid,
    pub plan_title: String,
    pub owner_name: String,
    pub mentors: Vec<String>,
    pub indicator: Indicator,
    /// Evidence files on the indicator's measurements.
    pub evidence_files: i64,
    pub plan_created_at: DateTime<Utc>,
}

impl IndicatorLine {
    pub fn key(&self) -> ActivityKey {
        ActivityKey {
            plan: PlanKey { created_at: self.plan_created_at, id: self.plan_id },
            created_at: self.indicator.created_at,
            id: self.indicator.id.as_uuid(),
        }
    }
}

/// One page of the indicators of the plans the actor sees, with their
/// current values: plans in creation order, each plan's indicators in
/// creation order (as its list shows them).
pub fn indicator_page(
    conn: &mut DbConnection,
    start: &ExportStart,
    after: Option<ActivityKey>,
    limit: u32,
) -> Result<Vec<IndicatorLine>, StoreError> {
    let query = plan_children_page!(
        indicators,
        start,
        after,
        limit,
        (
            IndicatorRow::as_select(),
            action_plans::title,
            action_plans::created_at,
            action_plans::owner_id,
            users::display_name,
        )
    );
    let rows = query.load::<(IndicatorRow, String, DbTime, DbId, String)>(conn)?;
    let ids: Vec<DbId> = rows.iter().map(|(r, ..)| r.id).collect();
    let values: HashMap<DbId, f64> = super::indicators::current_values(conn, &ids)?.into_iter().collect();
    let owners: Vec<DbId> = rows.iter().map(|(_, _, _, owner, _)| *owner).collect();
    let mentors = mentors_of(conn, start.program_id, &owners)?;
    let measured: Vec<(DbId, DbId)> = measurements::table
        .filter(measurements::indicator_id.eq_any(ids.clone()))
        .select((measurements::id, measurements::indicator_id))
        .load(conn)?;
    let measurement_ids: Vec<DbId> = measured.iter().map(|(m, _)| *m).collect();
    let per_measurement = files_on(conn, "measurement", &measurement_ids)?;
    let mut files: HashMap<DbId, i64> = HashMap::new();
    for (measurement, indicator) in &measured {
        *files.entry(*indicator).or_default() += per_measurement.get(&measurement.0).copied().unwrap_or(0);
    }
    rows.into_iter()
        .map(|(row, plan_title, plan_created_at, owner, owner_name)| {
            let current = values.get(&row.id).copied();
            let evidence_files = files.get(&row.id).copied().unwrap_or(0);
            Ok(IndicatorLine {
                plan_id: row.plan_id.0,
                plan_title,
                owner_name,
                mentors: mentors.get(&owner.0).cloned().unwrap_or_default(),
                evidence_files,
                plan_created_at: plan_created_at.0,
                indicator: row.into_domain(current)?,
            })
        })
        .collect()
}

/// Where the next page of activities starts: the plan order, then the
/// activity order within the plan (both creation order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityKey {
    pub plan: PlanKey,
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// One row of the activity-level export.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityLine {
    pub plan_id: Uuid,
    pub plan_title: String,
    pub owner_name: String,
    /// The activity, with `overdue` in the owner's time zone.
    pub activity: Activity,
    /// Evidence files on the activity.
    pub evidence_files: i64,
    pub plan_created_at: DateTime<Utc>,
}

impl ActivityLine {
    pub fn key(&self) -> ActivityKey {
        ActivityKey {
            plan: PlanKey { created_at: self.plan_created_at, id: self.plan_id },
            created_at: self.activity.created_at,
            id: self.activity.id.as_uuid(),
        }
    }
}

/// One page of the activities of the plans the actor sees: plans in creation
/// order, each plan's activities in creation order (as its list shows them).
pub fn activity_page(
    conn: &mut DbConnection,
    start: &ExportStart,
    after: Option<ActivityKey>,
    limit: u32,
) -> Result<Vec<ActivityLine>, StoreError> {
    let query = plan_children_page!(
        activities,
        start,
        after,
        limit,
        (
            ActivityRow::as_select(),
            action_plans::title,
            action_plans::created_at,
            users::display_name,
            users::time_zone
        )
    );
    let rows = query.load::<(ActivityRow, String, DbTime, String, String)>(conn)?;
    let ids: Vec<DbId> = rows.iter().map(|(r, ..)| r.id).collect();
    let files = files_on(conn, "activity", &ids)?;
    let mut todays: HashMap<String, NaiveDate> = HashMap::new();
    rows.into_iter()
        .map(|(row, plan_title, plan_created_at, owner_name, time_zone)| {
            let today = *todays.entry(time_zone).or_insert_with_key(|tz| today_in(tz));
            Ok(ActivityLine {
                plan_id: row.plan_id.0,
                plan_title,
                owner_name,
                plan_created_at: plan_created_at.0,
                evidence_files: files.get(&row.id.0).copied().unwrap_or(0),
                activity: row.into_domain(today)?,
            })
        })
        .collect()
}
