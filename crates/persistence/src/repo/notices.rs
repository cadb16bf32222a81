//! Time-based events: what becomes true by the passing of days rather than
//! by a change. The scheduler publishes
//!
//! * `activity.overdue` once per activity and due date, when an activity of
//!   an active plan that is neither done nor cancelled was due before its
//!   owner's today (in the owner's time zone);
//! * `delegate.silent` once per delegate, programme and silence, when a
//!   delegate with an active plan has reported nothing for longer than the
//!   programme's check-in cadence (keyed by the date the silence counts
//!   from: a new check-in ends it, and a later silence is told again).
//!
//! Each is recorded in `notices` in the event's own transaction: whichever
//! instance looks first publishes it, the others find it told.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use followup_domain::monitoring::{is_silent, today_in};
use uuid::Uuid;

use super::outbox::{publish, Change};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{action_plans, activities, check_ins, notices, programs, users};
use crate::sql_types::{DbId, DbTime};

/// Record a notice; `true` when it is new (and so to be published).
pub(crate) fn first_time(
    conn: &mut DbConnection,
    kind: &str,
    program: Uuid,
    subject: Uuid,
    on: NaiveDate,
) -> Result<bool, StoreError> {
    let row = (
        notices::kind.eq(kind),
        notices::program_id.eq(DbId(program)),
        notices::subject_id.eq(DbId(subject)),
        notices::on_date.eq(on),
        notices::created_at.eq(DbTime(crate::now())),
    );
    let inserted = with_backend_conn!(&mut *conn, c => diesel::insert_into(notices::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// A time-based event that is due and not yet told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    ActivityOverdue { program: Uuid, plan: Uuid, owner: Uuid, activity: Uuid, due_on: NaiveDate },
    DelegateSilent { program: Uuid, delegate: Uuid, since: NaiveDate, last_reported_on: Option<NaiveDate> },
}

/// What is due at `now` and not yet told, read on a read connection (the
/// scan takes no writer); [`tell`] then publishes each once.
pub fn due(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Notice>, StoreError> {
    let mut due = overdue_activities(conn, now)?;
    due.extend(silent_delegates(conn, now)?);
    Ok(due)
}

/// An activity of an active plan past its due date in its owner's time
/// zone, not yet told under `kind`, with what a message about it says.
#[derive(Debug, Clone)]
pub(crate) struct Overdue {
    pub activity: Uuid,
    pub title: String,
    pub due_on: NaiveDate,
    pub plan: Uuid,
    pub plan_title: String,
    pub program: Uuid,
    pub owner: Uuid,
    pub owner_active: bool,
    pub email: String,
    pub name: String,
    pub locale: String,
    pub time_zone: String,
}

type OverdueRow =
    (DbId, String, Option<NaiveDate>, DbId, String, DbId, DbId, bool, String, String, String, String);

/// The overdue activities at `now` not yet told under `kind`.
pub(crate) fn overdue_not_told(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    kind: &str,
) -> Result<Vec<Overdue>, StoreError> {
    // The latest today anywhere is at most a day after UTC's.
    let latest_today = now.date_naive() + chrono::Duration::days(1);
    let rows: Vec<OverdueRow> = activities::table
        .inner_join(action_plans::table.inner_join(users::table.on(users::id.eq(action_plans::owner_id))))
        .filter(action_plans::status.eq("active"))
        .filter(activities::status.ne_all(["done", "cancelled"]))
        .filter(activities::due_on.lt(latest_today))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            notices::table.filter(
                notices::kind
                    .eq(kind)
                    .and(notices::subject_id.eq(activities::id))
                    .and(notices::on_date.nullable().eq(activities::due_on)),
            ),
        )))
        .select((
            activities::id,
            activities::title,
            activities::due_on,
            action_plans::id,
            action_plans::title,
            action_plans::program_id,
            users::id,
            users::active,
            users::email,
            users::display_name,
            users::locale,
            users::time_zone,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(
                activity,
                title,
                due_on,
                plan,
                plan_title,
                program,
                owner,
                owner_active,
                email,
                name,
                locale,
                time_zone,
            )| {
                let due_on = due_on.filter(|d| *d < today_in(&time_zone, now))?;
                Some(Overdue {
                    activity: activity.0,
                    title,
                    due_on,
                    plan: plan.0,
                    plan_title,
                    program: program.0,
                    owner: owner.0,
                    owner_active,
                    email,
                    name,
                    locale,
                    time_zone,
                })
            },
        )
        .collect())
}

fn overdue_activities(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Notice>, StoreError> {
    Ok(overdue_not_told(conn, now, "activity.overdue")?
        .into_iter()
        .map(|o| Notice::ActivityOverdue {
            program: o.program,
            plan: o.plan,
            owner: o.owner,
            activity: o.activity,
            due_on: o.due_on,
        })
        .collect())
}

fn silent_delegates(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Notice>, StoreError> {
    let active: Vec<(DbId, DbId, String, NaiveDate, i32)> = action_plans::table
        .inner_join(programs::table)
        .inner_join(users::table.on(users::id.eq(action_plans::owner_id)))
        .filter(action_plans::status.eq("active"))
        .select((
            action_plans::program_id,
            action_plans::owner_id,
            users::time_zone,
            programs::training_ends_on,
            programs::check_in_cadence_days,
        ))
        .distinct()
        .load(conn)?;
    if active.is_empty() {
        return Ok(Vec::new());
    }
    let owners: Vec<DbId> = active.iter().map(|(_, owner, ..)| *owner).collect();
    let latest = latest_reports(conn, owners)?;
    let told = told(conn, "delegate.silent")?;
    Ok(active
        .into_iter()
        .filter_map(|(program, owner, time_zone, training_ends_on, cadence)| {
            let last = latest.get(&(program, owner)).copied();
            if !is_silent(last, training_ends_on, cadence, today_in(&time_zone, now)) {
                return None;
            }
            let since = last.unwrap_or(training_ends_on);
            if told.contains(&(program, owner, since)) {
                return None;
            }
            Some(Notice::DelegateSilent {
                program: program.0,
                delegate: owner.0,
                since,
                last_reported_on: last,
            })
        })
        .collect())
}

/// Publish a notice unless another instance already has; `true` when this
/// call published it.
pub fn tell(conn: &mut DbConnection, notice: &Notice) -> Result<bool, StoreError> {
    match *notice {
        Notice::ActivityOverdue { program, plan, owner, activity, due_on } => {
            if !first_time(conn, "activity.overdue", program, activity, due_on)? {
                return Ok(false);
            }
            publish(
                conn,
                &Change {
                    event_type: "activity.overdue",
                    program_id: program,
                    entity_type: "activity",
                    entity_id: activity,
                    actor_id: None,
                    plan: Some((plan, Some((owner, "active")))),
                    reason: None,
                    version: None,
                    dates: &[("due_on", due_on)],
                },
            )?;
        }
        Notice::DelegateSilent { program, delegate, since, last_reported_on } => {
            if !first_time(conn, "delegate.silent", program, delegate, since)? {
                return Ok(false);
            }
            let mut dates = vec![("silent_since", since)];
            dates.extend(last_reported_on.map(|d| ("last_reported_on", d)));
            publish(
                conn,
                &Change {
                    event_type: "delegate.silent",
                    program_id: program,
                    entity_type: "user",
                    entity_id: delegate,
                    actor_id: None,
                    plan: None,
                    reason: None,
                    version: None,
                    dates: &dates,
                },
            )?;
        }
    }
    Ok(true)
}

/// The date of each (programme, owner)'s latest check-in, for `owners`.
pub(crate) fn latest_reports(
    conn: &mut DbConnection,
    owners: Vec<DbId>,
) -> Result<HashMap<(DbId, DbId), NaiveDate>, StoreError> {
    let latest: Vec<(DbId, DbId, Option<NaiveDate>)> = check_ins::table
        .inner_join(action_plans::table)
        .filter(action_plans::owner_id.eq_any(owners))
        .group_by((action_plans::program_id, action_plans::owner_id))
        .select((action_plans::program_id, action_plans::owner_id, diesel::dsl::max(check_ins::reported_on)))
        .load(conn)?;
    Ok(latest.into_iter().filter_map(|(p, o, d)| d.map(|d| ((p, o), d))).collect())
}

/// What was already told under `kind`: (programme, subject, date).
pub(crate) fn told(
    conn: &mut DbConnection,
    kind: &str,
) -> Result<std::collections::HashSet<(DbId, DbId, NaiveDate)>, StoreError> {
    let rows: Vec<(DbId, DbId, NaiveDate)> = notices::table
        .filter(notices::kind.eq(kind))
        .select((notices::program_id, notices::subject_id, notices::on_date))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
