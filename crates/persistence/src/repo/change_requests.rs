//! Change requests on running plans: proposed by the owner, approved (and
//! applied in the same transaction) or declined by a mentor of the owner or
//! a coordinator. Every step is audited, so the plan's history and the
//! change feed carry it.

use diesel::prelude::*;
use followup_domain::change_requests::{self as rules, ChangeRequest, NewChangeRequest, ProposedChanges};
use followup_domain::ids::{ChangeRequestId, PlanId};
use followup_domain::indicators::IndicatorChanges;
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::plans::{PlanChanges, PlanFields, Transition};
use followup_domain::policy::plan as policy;
use followup_domain::values::ChangeRequestStatus;
use followup_domain::{Actor, DomainError, FieldError};

use super::plans::{replayed, visible_plan, Created, PlanContext};
use super::rows::IndicatorRow;
use super::{audit, on_unique, parse_stored, programs};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{action_plans, change_requests, indicators};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = change_requests)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct ChangeRequestRow {
    pub id: DbId,
    pub plan_id: DbId,
    pub program_id: DbId,
    pub requested_by: Option<DbId>,
    pub reason: String,
    pub changes: String,
    pub status: String,
    pub plan_version: i64,
    pub decided_by: Option<DbId>,
    pub decided_at: Option<DbTime>,
    pub decision_note: Option<String>,
    pub created_at: DbTime,
    pub version: i64,
}

impl ChangeRequestRow {
    pub(crate) fn into_domain(self) -> Result<ChangeRequest, StoreError> {
        let changes: ProposedChanges = serde_json::from_str(&self.changes)
            .map_err(|e| StoreError::internal(format!("change_requests.changes: {e}")))?;
        Ok(ChangeRequest {
            id: ChangeRequestId::from_uuid(self.id.0),
            plan_id: self.plan_id.0.into(),
            program_id: self.program_id.0.into(),
            requested_by: self.requested_by.map(|u| u.0.into()),
            reason: self.reason,
            changes,
            status: parse_stored("change_requests.status", &self.status, ChangeRequestStatus::parse)?,
            plan_version: self.plan_version,
            decided_by: self.decided_by.map(|u| u.0.into()),
            decided_at: self.decided_at.map(|t| t.0),
            decision_note: self.decision_note,
            created_at: self.created_at.0,
            version: self.version,
        })
    }
}

/// A plan's change requests, oldest first (whoever may see the plan).
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    page: &PageRequest,
) -> Result<Page<ChangeRequest>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    let query = super::created_page!(
        change_requests::table
            .filter(change_requests::plan_id.eq(ctx.row.id))
            .select(ChangeRequestRow::as_select()),
        change_requests,
        page
    );
    let items = query
        .load::<ChangeRequestRow>(conn)?
        .into_iter()
        .map(ChangeRequestRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |r: &ChangeRequest| Cursor { at: r.created_at, id: r.id.as_uuid() }))
}

fn load(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ChangeRequestId,
) -> Result<(ChangeRequestRow, PlanContext), StoreError> {
    super::plans::child_of_visible_plan!(
        conn,
        actor,
        change_requests,
        ChangeRequestRow,
        id.as_uuid(),
        "change_request"
    )
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: ChangeRequestId) -> Result<ChangeRequest, StoreError> {
    load(conn, actor, id)?.0.into_domain()
}

/// The plan's fields with the proposed end date and goal, checked against
/// the plan and its programme.
fn next_plan_fields(
    conn: &mut DbConnection,
    ctx: &PlanContext,
    changes: &ProposedChanges,
) -> Result<PlanFields, StoreError> {
    let plan_changes = PlanChanges {
        ends_on: changes.ends_on,
        goal: changes.goal.clone().map(Some),
        ..PlanChanges::default()
    };
    let next = plan_changes.apply(&PlanFields::of(&ctx.plan))?;
    if changes.ends_on.is_some() {
        programs::window(conn, ctx.plan.program_id)?.check_plan_period(next.starts_on, next.ends_on)?;
    }
    Ok(next)
}

/// Each named indicator of the plan with its proposed values applied (and
/// checked), in the order named; `None` for one not of this plan.
fn next_indicators(
    conn: &mut DbConnection,
    ctx: &PlanContext,
    changes: &ProposedChanges,
) -> Result<Vec<Option<(IndicatorRow, followup_domain::indicators::IndicatorFields)>>, StoreError> {
    let named: Vec<DbId> = changes.indicators.iter().map(|c| DbId(c.indicator_id.as_uuid())).collect();
    let mut rows: std::collections::HashMap<DbId, IndicatorRow> = indicators::table
        .filter(indicators::id.eq_any(named))
        .filter(indicators::plan_id.eq(ctx.row.id))
        .select(IndicatorRow::as_select())
        .load::<IndicatorRow>(conn)?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut out = Vec::with_capacity(changes.indicators.len());
    for change in &changes.indicators {
        let Some(row) = rows.remove(&DbId(change.indicator_id.as_uuid())) else {
            out.push(None);
            continue;
        };
        let edit = IndicatorChanges {
            baseline: change.baseline,
            target: change.target,
            ..IndicatorChanges::default()
        };
        let next = edit.apply(&row.fields()?)?;
        out.push(Some((row, next)));
    }
    Ok(out)
}

/// Propose a change to a running plan (its owner); one open at a time.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    cmd: &NewChangeRequest,
) -> Result<Created<ChangeRequest>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    let existing: Option<ChangeRequestRow> =
        super::find_row!(conn, change_requests, ChangeRequestRow, cmd.id.as_uuid())?;
    if let Some(existing) = existing {
        let mine = existing.plan_id == ctx.row.id && existing.reason == cmd.reason;
        let same = mine
            && existing.clone().into_domain().is_ok_and(|r| {
                // The stored request also holds each indicator's version then.
                let unversioned: Vec<_> = r
                    .changes
                    .indicators
                    .iter()
                    .map(|c| followup_domain::change_requests::IndicatorChange { version: 0, ..c.clone() })
                    .collect();
                r.changes.ends_on == cmd.changes.ends_on
                    && r.changes.goal == cmd.changes.goal
                    && unversioned == cmd.changes.indicators
            });
        return replayed(same, "change_request", || existing.into_domain());
    }
    policy::require_owner(&ctx.relation)?;
    rules::require_active(ctx.plan.status)?;
    cmd.changes.check()?;
    let open: i64 = change_requests::table
        .filter(change_requests::plan_id.eq(ctx.row.id))
        .filter(change_requests::status.eq(ChangeRequestStatus::Open.as_str()))
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Err(rules::already_open().into());
    }
    next_plan_fields(conn, &ctx, &cmd.changes)?;
    let mut changes = cmd.changes.clone();
    let mut unknown = Vec::new();
    for (i, (change, found)) in
        changes.indicators.iter_mut().zip(next_indicators(conn, &ctx, &cmd.changes)?).enumerate()
    {
        match found {
            Some((row, _)) => change.version = row.version,
            None => unknown.push(FieldError::new(
                format!("changes.indicators[{i}].indicator_id"),
                "not_in_plan",
                "is not an indicator of this plan",
            )),
        }
    }
    if !unknown.is_empty() {
        return Err(DomainError::Invalid(unknown).into());
    }
    let json = serde_json::to_string(&changes).map_err(|e| StoreError::internal(e.to_string()))?;
    let row = ChangeRequestRow {
        id: DbId(cmd.id.as_uuid()),
        plan_id: ctx.row.id,
        program_id: DbId(ctx.plan.program_id.as_uuid()),
        requested_by: Some(DbId(actor.user_id.as_uuid())),
        reason: cmd.reason.clone(),
        changes: json,
        status: ChangeRequestStatus::Open.as_str().to_owned(),
        plan_version: ctx.plan.version,
        decided_by: None,
        decided_at: None,
        decision_note: None,
        created_at: DbTime(crate::now()),
        version: 1,
    };
    diesel::insert_into(change_requests::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| on_unique(e, "change_request_open", "a change request is already open"))?;
    audit::Event::new(Some(actor), "change_request", cmd.id.as_uuid(), "create")
        .in_plan(&ctx.plan)
        .reason(Some(&cmd.reason))
        .record(conn)?;
    Ok(Created::New(row.into_domain()?))
}

/// Approve (apply the changes, in this transaction) or decline an open
/// request: a mentor of the owner or a coordinator. 409 when the plan or a
/// named indicator changed since the request was made.
pub fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ChangeRequestId,
    approve: bool,
    note: Option<&str>,
) -> Result<ChangeRequest, StoreError> {
    let (row, ctx) = load(conn, actor, id)?;
    policy::require_transition(&ctx.relation, Transition::Approve)?;
    let request = row.clone().into_domain()?;
    rules::require_open(request.status)?;
    let now = DbTime(crate::now());
    if approve {
        rules::require_active(ctx.plan.status)?;
        if ctx.plan.version != request.plan_version {
            return Err(rules::stale().into());
        }
        let indicators = next_indicators(conn, &ctx, &request.changes)?;
        for (change, found) in request.changes.indicators.iter().zip(&indicators) {
            if found.as_ref().is_none_or(|(row, _)| row.version != change.version) {
                return Err(rules::stale().into());
            }
        }
        let plan_fields: &[&str] = match (request.changes.ends_on.is_some(), request.changes.goal.is_some()) {
            (true, true) => &["ends_on", "goal"],
            (true, false) => &["ends_on"],
            (false, true) => &["goal"],
            (false, false) => &[],
        };
        if !plan_fields.is_empty() {
            let next = next_plan_fields(conn, &ctx, &request.changes)?;
            diesel::update(action_plans::table.find(ctx.row.id))
                .set((
                    action_plans::ends_on.eq(next.ends_on),
                    action_plans::goal.eq(&next.goal),
                    action_plans::version.eq(ctx.row.version + 1),
                    action_plans::updated_at.eq(now),
                ))
                .execute(conn)?;
            audit::Event::new(Some(actor), "plan", ctx.plan.id.as_uuid(), "update")
                .in_plan(&ctx.plan)
                .fields(plan_fields)
                .reason(Some(&request.reason))
                .record(conn)?;
        }
        for (row, next) in indicators.into_iter().flatten() {
            diesel::update(indicators::table.find(row.id))
                .set((
                    indicators::baseline.eq(next.baseline),
                    indicators::target.eq(next.target),
                    indicators::version.eq(row.version + 1),
                    indicators::updated_at.eq(now),
                ))
                .execute(conn)?;
            audit::Event::new(Some(actor), "indicator", row.id.0, "update")
                .version(row.version + 1)
                .in_plan(&ctx.plan)
                .fields(&["baseline", "target"])
                .reason(Some(&request.reason))
                .record(conn)?;
        }
    }
    let status = if approve { ChangeRequestStatus::Approved } else { ChangeRequestStatus::Declined };
    // Decided once: a decision racing this one finds the version moved, and
    // this transaction (with anything it applied) is rolled back.
    let decided = diesel::update(super::at_version!(change_requests, row))
        .set((
            change_requests::status.eq(status.as_str()),
            change_requests::decided_by.eq(Some(DbId(actor.user_id.as_uuid()))),
            change_requests::decided_at.eq(Some(now)),
            change_requests::decision_note.eq(note),
            change_requests::version.eq(row.version + 1),
        ))
        .execute(conn)?;
    if decided == 0 {
        return Err(rules::stale().into());
    }
    audit::Event::new(
        Some(actor),
        "change_request",
        id.as_uuid(),
        if approve { "approve" } else { "decline" },
    )
    .version(row.version + 1)
    .in_plan(&ctx.plan)
    .reason(note)
    .record(conn)?;
    get(conn, actor, id)
}

/// The change requests with these ids (for the change feed).
pub(crate) fn by_ids(conn: &mut DbConnection, ids: &[DbId]) -> Result<Vec<ChangeRequest>, StoreError> {
    super::rows_by_ids!(conn, change_requests, ChangeRequestRow, ids)?
        .into_iter()
        .map(ChangeRequestRow::into_domain)
        .collect()
}
