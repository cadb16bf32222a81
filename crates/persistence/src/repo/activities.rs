//! Activities of a plan: they have the plan's visibility; changes are the
//! owner's, in the states the workflow allows.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use followup_domain::activities::{Activity, ActivityChanges, NewActivity};
use followup_domain::ids::{ActivityId, PlanId, ProgramId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::plans::require_tracking_editable;
use followup_domain::policy::plan as policy;
use followup_domain::precondition::Precondition;
use followup_domain::values::{ActivityStatus, AttachmentParent};
use followup_domain::Actor;
use uuid::Uuid;

use super::plans::{replayed, visible_plan, Created, PlanContext};
use super::rows::ActivityRow;
use super::{audit, check_version, Unstored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{action_plans, activities, users};
use crate::sql_types::{DbId, DbTime};

fn load_activity(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ActivityId,
) -> Result<(ActivityRow, PlanContext), StoreError> {
    super::plans::child_of_visible_plan!(conn, actor, activities, ActivityRow, id.as_uuid(), "activity")
}

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub status: Option<ActivityStatus>,
    pub overdue: Option<bool>,
}

pub fn list_activities(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> Result<Page<Activity>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    let mut query = super::created_page!(
        activities::table.filter(activities::plan_id.eq(ctx.row.id)).select(ActivityRow::as_select()),
        activities,
        page
    );
    if let Some(status) = filter.status {
        query = query.filter(activities::status.eq(status.as_str()));
    }
    let open = [ActivityStatus::Done.as_str(), ActivityStatus::Cancelled.as_str()];
    match filter.overdue {
        Some(true) => {
            query = query.filter(activities::due_on.lt(ctx.today)).filter(activities::status.ne_all(open));
        }
        Some(false) => {
            query = query.filter(
                activities::due_on
                    .is_null()
                    .or(activities::due_on.ge(ctx.today))
                    .or(activities::status.eq_any(open)),
            );
        }
        None => {}
    }
    let rows = query.load::<ActivityRow>(conn)?;
    let items = rows.into_iter().map(|r| r.into_domain(ctx.today)).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |a| Cursor { at: a.created_at, id: a.id.as_uuid() }))
}

/// An activity in a programme-wide list, with the plan it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramActivity {
    pub activity: Activity,
    pub plan_title: String,
    pub owner_id: Uuid,
    pub owner_name: String,
}

/// The activities of every plan of a programme that the actor sees (the
/// plan policy for the whole programme, as `GET /plans` applies it), in
/// creation order, with a plan's list filters. `overdue` is each owner's own:
/// the owners' time zones are grouped by their today (at most three dates
/// at any instant), so the filter is exact in SQL and paging stays keyset.
pub fn list_program_activities(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> Result<Page<ProgramActivity>, StoreError> {
    let start = super::export::start(conn, actor, program)?;
    let program_id = DbId(program.as_uuid());
    let zones: Vec<String> = action_plans::table
        .inner_join(users::table)
        .filter(action_plans::program_id.eq(program_id))
        .select(users::time_zone)
        .distinct()
        .load(conn)?;
    let mut todays: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for zone in zones {
        todays.entry(crate::today_in(&zone)).or_default().push(zone);
    }
    // UTC offsets span 26 hours, so the owners' todays are at most three
    // dates; a zone past a third date (impossible) joins the third. Unused
    // groups match no zone (their date is any one both backends store).
    let any_date = todays.keys().next().copied().unwrap_or_else(|| crate::now().date_naive());
    let mut groups = [(any_date, Vec::new()), (any_date, Vec::new()), (any_date, Vec::new())];
    for (i, (date, zones)) in todays.into_iter().enumerate() {
        if let Some(group) = groups.get_mut(i.min(2)) {
            group.0 = if i > 2 { group.0.min(date) } else { date };
            group.1.extend(zones);
        }
    }
    let [(d0, z0), (d1, z1), (d2, z2)] = groups;
    let before_owners_today = activities::due_on
        .lt(d0)
        .and(users::time_zone.eq_any(z0))
        .or(activities::due_on.lt(d1).and(users::time_zone.eq_any(z1)))
        .or(activities::due_on.lt(d2).and(users::time_zone.eq_any(z2)));
    let closed = [ActivityStatus::Done.as_str(), ActivityStatus::Cancelled.as_str()];

    let mut query = super::created_page!(
        activities::table
            .inner_join(action_plans::table.inner_join(users::table))
            .filter(action_plans::program_id.eq(program_id))
            .filter(super::export::visible_in_program!(&start.scope))
            .select((
                ActivityRow::as_select(),
                action_plans::title,
                action_plans::owner_id,
                users::display_name,
                users::time_zone,
            )),
        activities,
        page
    );
    if let Some(status) = filter.status {
        query = query.filter(activities::status.eq(status.as_str()));
    }
    match filter.overdue {
        Some(true) => {
            query = query.filter(activities::status.ne_all(closed)).filter(before_owners_today.clone())
        }
        Some(false) => {
            query = query.filter(
                activities::status
                    .eq_any(closed)
                    .or(activities::due_on.is_null())
                    .or(diesel::dsl::not(before_owners_today)),
            )
        }
        None => {}
    }
    let rows = query.load::<(ActivityRow, String, DbId, String, String)>(conn)?;
    let items = rows
        .into_iter()
        .map(|(row, plan_title, owner_id, owner_name, zone)| {
            Ok(ProgramActivity {
                activity: row.into_domain(crate::today_in(&zone))?,
                plan_title,
                owner_id: owner_id.0,
                owner_name,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_rows(items, page, |a| Cursor { at: a.activity.created_at, id: a.activity.id.as_uuid() }))
}

pub fn get_activity(conn: &mut DbConnection, actor: &Actor, id: ActivityId) -> Result<Activity, StoreError> {
    let (row, ctx) = load_activity(conn, actor, id)?;
    row.into_domain(ctx.today)
}

pub fn create_activity(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    cmd: &NewActivity,
) -> Result<Created<Activity>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    policy::require_owner(&ctx.relation)?;
    require_tracking_editable(ctx.plan.status)?;
    let mut fields = cmd.fields.clone();
    if fields.status == ActivityStatus::Done && fields.completed_on.is_none() {
        fields.completed_on = Some(ctx.today);
    }
    fields.check(ctx.plan.starts_on, ctx.plan.ends_on)?;
    if let Some(existing) = super::find_row!(conn, activities, ActivityRow, cmd.id.as_uuid())? {
        let same = existing.plan_id == ctx.row.id && existing.fields()? == fields;
        return replayed(same, "activity", || existing.into_domain(ctx.today));
    }
    let now = DbTime(crate::now());
    let row = ActivityRow {
        id: DbId(cmd.id.as_uuid()),
        plan_id: ctx.row.id,
        title: fields.title,
        description: fields.description,
        starts_on: fields.starts_on,
        due_on: fields.due_on,
        status: fields.status.as_str().to_owned(),
        completed_on: fields.completed_on,
        position: fields.position,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(activities::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "activity", cmd.id.as_uuid(), "create")
        .in_plan(&ctx.plan)
        .fields(&["title", "description", "starts_on", "due_on", "status", "position"])
        .record(conn)?;
    Ok(Created::New(row.into_domain(ctx.today)?))
}

pub fn update_activity(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ActivityId,
    changes: &ActivityChanges,
    if_match: &Precondition,
) -> Result<Activity, StoreError> {
    let (row, ctx) = load_activity(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    check_version(if_match, row.version)?;
    require_tracking_editable(ctx.plan.status)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return row.into_domain(ctx.today);
    }
    let next = changes.apply(&row.fields()?, ctx.today);
    next.check(ctx.plan.starts_on, ctx.plan.ends_on)?;
    let n = diesel::update(super::at_version!(activities, row))
        .set((
            activities::title.eq(&next.title),
            activities::description.eq(&next.description),
            activities::starts_on.eq(next.starts_on),
            activities::due_on.eq(next.due_on),
            activities::status.eq(next.status.as_str()),
            activities::completed_on.eq(next.completed_on),
            activities::position.eq(next.position),
            activities::version.eq(row.version + 1),
            activities::updated_at.eq(DbTime(crate::now())),
        ))
        .execute(conn)?;
    super::require_updated(n, row.version + 1)?;
    audit::Event::new(Some(actor), "activity", id.as_uuid(), "update")
        .in_plan(&ctx.plan)
        .fields(&fields)
        .record(conn)?;
    get_activity(conn, actor, id)
}

pub fn delete_activity(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ActivityId,
    if_match: &Precondition,
) -> Result<Unstored, StoreError> {
    let (row, ctx) = load_activity(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    check_version(if_match, row.version)?;
    require_tracking_editable(ctx.plan.status)?;
    let unstored =
        super::attachments::forget_parents(conn, actor, AttachmentParent::Activity, &[row.id.0], false)?;
    diesel::delete(activities::table.find(row.id)).execute(conn)?;
    audit::Event::new(Some(actor), "activity", id.as_uuid(), "delete")
        .version(row.version)
        .in_plan(&ctx.plan)
        .record(conn)?;
    Ok(unstored)
}
