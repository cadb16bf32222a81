//! Indicators of a plan and their measurements: they have the plan's
//! visibility; changes are the owner's, in the states the workflow allows.

use diesel::prelude::*;
use followup_domain::ids::{IndicatorId, MeasurementId, PlanId};
use followup_domain::indicators::{Indicator, IndicatorChanges, Measurement, NewIndicator, NewMeasurement};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::plans::{require_active, require_tracking_editable};
use followup_domain::policy::plan as policy;
use followup_domain::precondition::Precondition;
use followup_domain::{Actor, DomainError};

use super::plans::{id_conflict, plan_of, visible_plan, Created, PlanContext};
use super::rows::{evidence_json, IndicatorRow, MeasurementRow};
use super::{audit, check_version, hide_as, not_found};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{indicators, measurements};
use crate::sql_types::{DbId, DbTime};

fn load_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    id: IndicatorId,
) -> Result<(IndicatorRow, PlanContext), StoreError> {
    let row = indicators::table
        .find(DbId(id.as_uuid()))
        .select(IndicatorRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("indicator"))?;
    let ctx = visible_plan(conn, actor, plan_of(row.plan_id.0)).map_err(hide_as("indicator"))?;
    Ok((row, ctx))
}

/// The latest value of each indicator: by `measured_on`, then by recording time.
pub(crate) fn current_values(conn: &mut DbConnection, ids: &[DbId]) -> Result<Vec<(DbId, f64)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(DbId, f64)> = measurements::table
        .filter(measurements::indicator_id.eq_any(ids.to_vec()))
        .order((
            measurements::indicator_id.asc(),
            measurements::measured_on.desc(),
            measurements::created_at.desc(),
            measurements::id.desc(),
        ))
        .select((measurements::indicator_id, measurements::value))
        .load(conn)?;
    let mut latest: Vec<(DbId, f64)> = Vec::new();
    for (id, value) in rows {
        if latest.last().is_none_or(|(last, _)| *last != id) {
            latest.push((id, value));
        }
    }
    Ok(latest)
}

fn with_values(conn: &mut DbConnection, rows: Vec<IndicatorRow>) -> Result<Vec<Indicator>, StoreError> {
    let ids: Vec<DbId> = rows.iter().map(|r| r.id).collect();
    let values = current_values(conn, &ids)?;
    rows.into_iter()
        .map(|r| {
            let current = values.iter().find(|(id, _)| *id == r.id).map(|(_, v)| *v);
            r.into_domain(current)
        })
        .collect()
}

pub fn list_indicators(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    page: &PageRequest,
) -> Result<Page<Indicator>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    let mut query = indicators::table
        .filter(indicators::plan_id.eq(ctx.row.id))
        .select(IndicatorRow::as_select())
        .order((indicators::created_at.asc(), indicators::id.asc()))
        .limit(page.fetch())
        .into_boxed();
    query = super::after_created!(query, indicators, page.after);
    let rows = query.load::<IndicatorRow>(conn)?;
    let items = with_values(conn, rows)?;
    Ok(Page::from_rows(items, page, |i| Cursor { at: i.created_at, id: i.id.as_uuid() }))
}

pub fn get_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    id: IndicatorId,
) -> Result<Indicator, StoreError> {
    let (row, _) = load_indicator(conn, actor, id)?;
    with_values(conn, vec![row])?.pop().ok_or_else(|| not_found("indicator"))
}

pub fn create_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    cmd: &NewIndicator,
) -> Result<Created<Indicator>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    policy::require_owner(&ctx.relation)?;
    require_tracking_editable(ctx.plan.status)?;
    cmd.fields.check()?;
    if let Some(existing) = indicators::table
        .find(DbId(cmd.id.as_uuid()))
        .select(IndicatorRow::as_select())
        .first(conn)
        .optional()?
    {
        let same = existing.plan_id == ctx.row.id && existing.fields()? == cmd.fields;
        return if same {
            Ok(Created::Existing(get_indicator(conn, actor, cmd.id)?))
        } else {
            Err(id_conflict("indicator"))
        };
    }
    let now = DbTime(crate::now());
    let f = &cmd.fields;
    let row = IndicatorRow {
        id: DbId(cmd.id.as_uuid()),
        plan_id: ctx.row.id,
        name: f.name.clone(),
        unit: f.unit.clone(),
        baseline: f.baseline,
        target: f.target,
        direction: f.direction.as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(indicators::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "indicator", cmd.id.as_uuid(), "create")
        .program(ctx.plan.program_id.as_uuid())
        .plan(plan.as_uuid())
        .fields(&["name", "unit", "baseline", "target", "direction"])
        .record(conn)?;
    Ok(Created::New(row.into_domain(None)?))
}

pub fn update_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    id: IndicatorId,
    changes: &IndicatorChanges,
    if_match: &Precondition,
) -> Result<Indicator, StoreError> {
    let (row, ctx) = load_indicator(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    check_version(if_match, row.version)?;
    require_tracking_editable(ctx.plan.status)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return get_indicator(conn, actor, id);
    }
    let next = changes.apply(&row.fields()?)?;
    let n = diesel::update(
        indicators::table.filter(indicators::id.eq(row.id).and(indicators::version.eq(row.version))),
    )
    .set((
        indicators::name.eq(&next.name),
        indicators::unit.eq(&next.unit),
        indicators::baseline.eq(next.baseline),
        indicators::target.eq(next.target),
        indicators::direction.eq(next.direction.as_str()),
        indicators::version.eq(row.version + 1),
        indicators::updated_at.eq(DbTime(crate::now())),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(DomainError::PreconditionFailed { current: row.version + 1 }.into());
    }
    audit::Event::new(Some(actor), "indicator", id.as_uuid(), "update")
        .program(ctx.plan.program_id.as_uuid())
        .plan(ctx.plan.id.as_uuid())
        .fields(&fields)
        .record(conn)?;
    get_indicator(conn, actor, id)
}

pub fn delete_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    id: IndicatorId,
    if_match: &Precondition,
) -> Result<(), StoreError> {
    let (row, ctx) = load_indicator(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    check_version(if_match, row.version)?;
    require_tracking_editable(ctx.plan.status)?;
    super::changes::measurements_deleted(conn, ctx.plan.program_id, ctx.plan.id.as_uuid(), row.id.0)?;
    diesel::delete(indicators::table.find(row.id)).execute(conn)?;
    audit::Event::new(Some(actor), "indicator", id.as_uuid(), "delete")
        .version(row.version)
        .program(ctx.plan.program_id.as_uuid())
        .plan(ctx.plan.id.as_uuid())
        .record(conn)
}

// Measurements are append-only: recorded, never changed.

pub fn list_measurements(
    conn: &mut DbConnection,
    actor: &Actor,
    indicator: IndicatorId,
    page: &PageRequest,
) -> Result<Page<Measurement>, StoreError> {
    let (row, _) = load_indicator(conn, actor, indicator)?;
    let mut query = measurements::table
        .filter(measurements::indicator_id.eq(row.id))
        .select(MeasurementRow::as_select())
        .order((measurements::created_at.asc(), measurements::id.asc()))
        .limit(page.fetch())
        .into_boxed();
    query = super::after_created!(query, measurements, page.after);
    let rows = query.load::<MeasurementRow>(conn)?;
    let items = rows.into_iter().map(MeasurementRow::into_domain).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |m| Cursor { at: m.created_at, id: m.id.as_uuid() }))
}

/// One measurement, seen as its plan is (404 otherwise: ids do not leak).
pub fn get_measurement(
    conn: &mut DbConnection,
    actor: &Actor,
    id: MeasurementId,
) -> Result<Measurement, StoreError> {
    let row = measurements::table
        .find(DbId(id.as_uuid()))
        .select(MeasurementRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("measurement"))?;
    load_indicator(conn, actor, IndicatorId::from_uuid(row.indicator_id.0))
        .map_err(hide_as("measurement"))?;
    row.into_domain()
}

pub fn record_measurement(
    conn: &mut DbConnection,
    actor: &Actor,
    indicator: IndicatorId,
    cmd: &NewMeasurement,
) -> Result<Created<Measurement>, StoreError> {
    let (ind, ctx) = load_indicator(conn, actor, indicator)?;
    policy::require_owner(&ctx.relation)?;
    require_active(ctx.plan.status)?;
    cmd.check(ctx.today)?;
    let evidence = evidence_json(&cmd.evidence)?;
    if let Some(existing) = measurements::table
        .find(DbId(cmd.id.as_uuid()))
        .select(MeasurementRow::as_select())
        .first(conn)
        .optional()?
    {
        let same = existing.indicator_id == ind.id
            && existing.value == cmd.value
            && existing.measured_on == cmd.measured_on
            && existing.note == cmd.note
            && existing.evidence == evidence;
        return if same {
            Ok(Created::Existing(existing.into_domain()?))
        } else {
            Err(id_conflict("measurement"))
        };
    }
    let row = MeasurementRow {
        id: DbId(cmd.id.as_uuid()),
        indicator_id: ind.id,
        value: cmd.value,
        measured_on: cmd.measured_on,
        note: cmd.note.clone(),
        evidence,
        recorded_by: DbId(actor.user_id.as_uuid()),
        created_at: DbTime(crate::now()),
    };
    diesel::insert_into(measurements::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "measurement", cmd.id.as_uuid(), "create")
        .program(ctx.plan.program_id.as_uuid())
        .plan(ctx.plan.id.as_uuid())
        .fields(&["value", "measured_on", "note", "evidence"])
        .record(conn)?;
    Ok(Created::New(row.into_domain()?))
}
