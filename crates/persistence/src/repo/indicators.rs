//! Indicators of a plan and their measurements: they have the plan's
//! visibility; changes are the owner's, in the states the workflow allows.

use diesel::prelude::*;
use followup_domain::ids::{IndicatorId, MeasurementId, PlanId};
use followup_domain::indicators::{
    Indicator, IndicatorChanges, Measurement, MeasurementCorrection, MeasurementVersion, NewIndicator,
    NewMeasurement,
};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::plans::{require_active, require_tracking_editable};
use followup_domain::policy::plan as policy;
use followup_domain::precondition::Precondition;
use followup_domain::values::{AttachmentParent, PlanStatus};
use followup_domain::Actor;

use super::plans::{replayed, visible_plan, Created, PlanContext};
use super::rows::{evidence_json, IndicatorRow, MeasurementRow};
use super::{audit, check_version, hide_as, not_found, Unstored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{indicators, measurement_versions, measurements};
use crate::sql_types::{DbId, DbTime};

fn load_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    id: IndicatorId,
) -> Result<(IndicatorRow, PlanContext), StoreError> {
    super::plans::child_of_visible_plan!(conn, actor, indicators, IndicatorRow, id.as_uuid(), "indicator")
}

/// The latest value of each indicator: by `measured_on`, then by recording
/// time, of the measurements not withdrawn.
pub(crate) fn current_values(conn: &mut DbConnection, ids: &[DbId]) -> Result<Vec<(DbId, f64)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(DbId, f64)> = measurements::table
        .filter(measurements::indicator_id.eq_any(ids.to_vec()))
        .filter(measurements::withdrawn_at.is_null())
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
    let query = super::created_page!(
        indicators::table.filter(indicators::plan_id.eq(ctx.row.id)).select(IndicatorRow::as_select()),
        indicators,
        page
    );
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
    if let Some(existing) = super::find_row!(conn, indicators, IndicatorRow, cmd.id.as_uuid())? {
        let same = existing.plan_id == ctx.row.id && existing.fields()? == cmd.fields;
        return replayed(same, "indicator", || get_indicator(conn, actor, cmd.id));
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
        // Added to an approved plan: what it is added with is its original.
        original_baseline: ctx.plan.approved_original.is_some().then_some(f.baseline),
        original_target: ctx.plan.approved_original.is_some().then_some(f.target),
    };
    diesel::insert_into(indicators::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "indicator", cmd.id.as_uuid(), "create")
        .in_plan(&ctx.plan)
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
    let moves_target = changes.baseline.is_some_and(|b| b != row.baseline)
        || changes.target.is_some_and(|t| t != row.target);
    if ctx.plan.status == PlanStatus::Active && moves_target {
        return Err(followup_domain::change_requests::required("indicator", ctx.plan.id).into());
    }
    let fields = changes.fields();
    if fields.is_empty() {
        return get_indicator(conn, actor, id);
    }
    let next = changes.apply(&row.fields()?)?;
    let n = diesel::update(super::at_version!(indicators, row))
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
    super::require_updated(n, row.version + 1)?;
    audit::Event::new(Some(actor), "indicator", id.as_uuid(), "update")
        .in_plan(&ctx.plan)
        .fields(&fields)
        .record(conn)?;
    get_indicator(conn, actor, id)
}

pub fn delete_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    id: IndicatorId,
    if_match: &Precondition,
) -> Result<Unstored, StoreError> {
    let (row, ctx) = load_indicator(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    check_version(if_match, row.version)?;
    require_tracking_editable(ctx.plan.status)?;
    super::changes::measurements_deleted(conn, ctx.plan.program_id, ctx.plan.id.as_uuid(), row.id.0)?;
    let measured: Vec<DbId> = measurements::table
        .filter(measurements::indicator_id.eq(row.id))
        .select(measurements::id)
        .load(conn)?;
    let measured: Vec<uuid::Uuid> = measured.into_iter().map(|id| id.0).collect();
    let unstored =
        super::attachments::forget_parents(conn, actor, AttachmentParent::Measurement, &measured, false)?;
    diesel::delete(indicators::table.find(row.id)).execute(conn)?;
    audit::Event::new(Some(actor), "indicator", id.as_uuid(), "delete")
        .version(row.version)
        .in_plan(&ctx.plan)
        .record(conn)?;
    Ok(unstored)
}

// Measurements are recorded, corrected or withdrawn by their author, never
// deleted (but with their indicator); every version replaced is kept.

pub fn list_measurements(
    conn: &mut DbConnection,
    actor: &Actor,
    indicator: IndicatorId,
    page: &PageRequest,
) -> Result<Page<Measurement>, StoreError> {
    let (row, _) = load_indicator(conn, actor, indicator)?;
    let query = super::created_page!(
        measurements::table.filter(measurements::indicator_id.eq(row.id)).select(MeasurementRow::as_select()),
        measurements,
        page
    );
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
    let row = super::find_row!(conn, measurements, MeasurementRow, id.as_uuid())?
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
    if let Some(existing) = super::find_row!(conn, measurements, MeasurementRow, cmd.id.as_uuid())? {
        let same = existing.indicator_id == ind.id
            && existing.value == cmd.value
            && existing.measured_on == cmd.measured_on
            && existing.note == cmd.note
            && existing.evidence == evidence;
        return replayed(same, "measurement", || existing.into_domain());
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
        version: 1,
        updated_at: DbTime(crate::now()),
        withdrawn_at: None,
        withdrawn_reason: None,
    };
    diesel::insert_into(measurements::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "measurement", cmd.id.as_uuid(), "create")
        .in_plan(&ctx.plan)
        .fields(&["value", "measured_on", "note", "evidence"])
        .version(1)
        .record(conn)?;
    Ok(Created::New(row.into_domain()?))
}

/// What its author does to a measurement.
enum Change<'a> {
    Correct(&'a MeasurementCorrection),
    Withdraw(&'a str),
}

/// A change by the measurement's author (the plan's owner, while the plan
/// is active, of a measurement not withdrawn, at the version `if_match`
/// names): the version it replaces is kept with the reason, the change is
/// audited with that reason, and the indicator's current value follows.
fn change_measurement(
    conn: &mut DbConnection,
    actor: &Actor,
    id: MeasurementId,
    change: Change<'_>,
    if_match: &Precondition,
) -> Result<Measurement, StoreError> {
    let row = super::find_row!(conn, measurements, MeasurementRow, id.as_uuid())?
        .ok_or_else(|| not_found("measurement"))?;
    let (_, ctx) = load_indicator(conn, actor, IndicatorId::from_uuid(row.indicator_id.0))
        .map_err(hide_as("measurement"))?;
    policy::require_owner(&ctx.relation)?;
    require_active(ctx.plan.status)?;
    check_version(if_match, row.version)?;
    row.clone().into_domain()?.require_not_withdrawn()?;
    let (action, reason, fields) = match change {
        Change::Correct(c) => {
            c.check(ctx.today)?;
            ("correct", c.reason.as_str(), c.fields())
        }
        Change::Withdraw(reason) => ("withdraw", reason, Vec::new()),
    };
    let now = DbTime(crate::now());
    diesel::insert_into(measurement_versions::table)
        .values(MeasurementVersionRow::of(&row, now, DbId(actor.user_id.as_uuid()), reason))
        .execute(conn)?;
    let current = measurements::table.filter(
        measurements::id
            .eq(row.id)
            .and(measurements::version.eq(row.version))
            .and(measurements::withdrawn_at.is_null()),
    );
    let next = row.version + 1;
    let n = match change {
        Change::Correct(c) => diesel::update(current)
            .set((
                measurements::value.eq(c.value.unwrap_or(row.value)),
                measurements::measured_on.eq(c.measured_on.unwrap_or(row.measured_on)),
                measurements::note.eq(c.note.clone().unwrap_or_else(|| row.note.clone())),
                measurements::evidence.eq(match &c.evidence {
                    Some(e) => evidence_json(e)?,
                    None => row.evidence.clone(),
                }),
                measurements::version.eq(next),
                measurements::updated_at.eq(now),
            ))
            .execute(conn)?,
        Change::Withdraw(reason) => diesel::update(current)
            .set((
                measurements::withdrawn_at.eq(Some(now)),
                measurements::withdrawn_reason.eq(Some(reason)),
                measurements::version.eq(next),
                measurements::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    super::require_updated(n, next)?;
    audit::Event::new(Some(actor), "measurement", id.as_uuid(), action)
        .in_plan(&ctx.plan)
        .fields(&fields)
        .reason(Some(reason))
        .version(next)
        .record(conn)?;
    get_measurement(conn, actor, id)
}

/// Correct a measurement: the fields sent replace the current ones.
pub fn correct_measurement(
    conn: &mut DbConnection,
    actor: &Actor,
    id: MeasurementId,
    correction: &MeasurementCorrection,
    if_match: &Precondition,
) -> Result<Measurement, StoreError> {
    change_measurement(conn, actor, id, Change::Correct(correction), if_match)
}

/// Withdraw a measurement: it stays, marked with when and why, and is no
/// longer its indicator's current value.
pub fn withdraw_measurement(
    conn: &mut DbConnection,
    actor: &Actor,
    id: MeasurementId,
    reason: &str,
    if_match: &Precondition,
) -> Result<Measurement, StoreError> {
    change_measurement(conn, actor, id, Change::Withdraw(reason), if_match)
}

/// A measurement's earlier versions, oldest first, each with when, by whom
/// and why the next one replaced it.
pub fn measurement_versions(
    conn: &mut DbConnection,
    actor: &Actor,
    id: MeasurementId,
) -> Result<Vec<MeasurementVersion>, StoreError> {
    let measurement = get_measurement(conn, actor, id)?;
    measurement_versions::table
        .filter(measurement_versions::measurement_id.eq(DbId(measurement.id.as_uuid())))
        .order(measurement_versions::version.asc())
        .select(MeasurementVersionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(MeasurementVersionRow::into_domain)
        .collect()
}

/// A version of a measurement that a correction or a withdrawal replaced.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = measurement_versions)]
#[diesel(treat_none_as_default_value = false)]
pub struct MeasurementVersionRow {
    pub measurement_id: DbId,
    pub version: i64,
    pub value: f64,
    pub measured_on: chrono::NaiveDate,
    pub note: Option<String>,
    pub evidence: String,
    pub updated_at: DbTime,
    pub replaced_at: DbTime,
    pub replaced_by: Option<DbId>,
    pub reason: String,
}

impl MeasurementVersionRow {
    /// The measurement `current` as it stands, replaced now by `by` for `reason`.
    pub fn of(current: &MeasurementRow, replaced_at: DbTime, by: DbId, reason: &str) -> Self {
        Self {
            measurement_id: current.id,
            version: current.version,
            value: current.value,
            measured_on: current.measured_on,
            note: current.note.clone(),
            evidence: current.evidence.clone(),
            updated_at: current.updated_at,
            replaced_at,
            replaced_by: Some(by),
            reason: reason.to_owned(),
        }
    }

    pub fn into_domain(self) -> Result<followup_domain::indicators::MeasurementVersion, StoreError> {
        Ok(followup_domain::indicators::MeasurementVersion {
            version: self.version,
            value: self.value,
            measured_on: self.measured_on,
            note: self.note,
            evidence: super::rows::evidence_from("measurement_versions.evidence", &self.evidence)?,
            updated_at: self.updated_at.0,
            replaced_at: self.replaced_at.0,
            replaced_by: self.replaced_by.map(|id| id.0.into()),
            reason: self.reason,
        })
    }
}
