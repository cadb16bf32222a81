//! Programmes. Visibility is applied inside the queries (`ProgramScope`,
//! the caller's membership), through the domain's policy functions, so
//! lists and single reads agree.

use diesel::prelude::*;
use followup_domain::ids::{ProgramId, UserId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::policy::program as policy;
use followup_domain::precondition::Precondition;
use followup_domain::programs::{NewProgram, ProgramChanges, ProgramFields};
use followup_domain::programs::{ProgramWindow, ProgramWithRole};
use followup_domain::values::{ProgramRole, ProgramStatus};
use followup_domain::{Actor, ProgramScope};

use super::rows::ProgramRow;
use super::{audit, check_version, not_found, on_unique, parse_stored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{memberships, programs};
use crate::sql_types::{DbId, DbTime};

const CODE_TAKEN: &str = "A programme with this code already exists.";

/// The role `user` holds in `program`, if any.
pub fn role_of(
    conn: &mut DbConnection,
    program: ProgramId,
    user: UserId,
) -> Result<Option<ProgramRole>, StoreError> {
    let role = memberships::table
        .filter(memberships::program_id.eq(DbId(program.as_uuid())))
        .filter(memberships::user_id.eq(DbId(user.as_uuid())))
        .select(memberships::role)
        .first::<String>(conn)
        .optional()?;
    role.map(|r| parse_stored("memberships.role", &r, ProgramRole::parse)).transpose()
}

/// The window and status of a programme, for the rules of its plans and
/// check-ins.
pub fn window(conn: &mut DbConnection, id: ProgramId) -> Result<ProgramWindow, StoreError> {
    let row = load(conn, id)?.ok_or_else(|| not_found("program"))?;
    Ok(ProgramWindow::of(&row.into_domain()?))
}

fn load(conn: &mut DbConnection, id: ProgramId) -> Result<Option<ProgramRow>, StoreError> {
    Ok(super::find_row!(conn, programs, ProgramRow, id.as_uuid())?)
}

/// Load a programme the actor may see (404 otherwise), with the actor's role.
pub(crate) fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProgramId,
) -> Result<(ProgramRow, Option<ProgramRole>), StoreError> {
    let role = role_of(conn, id, actor.user_id)?;
    policy::require_view(actor, role)?;
    let row = load(conn, id)?.ok_or_else(|| not_found("program"))?;
    Ok((row, role))
}

/// Load a programme the actor may manage: 404 if invisible, 403 if visible but not theirs to manage.
pub(crate) fn managed(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProgramId,
) -> Result<ProgramRow, StoreError> {
    let role = role_of(conn, id, actor.user_id)?;
    policy::require_manage(actor, role)?;
    load(conn, id)?.ok_or_else(|| not_found("program"))
}

/// As [`managed`], for a resource of the programme (`entity`): when the
/// programme is hidden from the actor, the resource is not found either.
pub(crate) fn managed_for(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProgramId,
    entity: &'static str,
) -> Result<ProgramRow, StoreError> {
    managed(conn, actor, id).map_err(|e| match e {
        StoreError::Domain(followup_domain::DomainError::NotFound { .. }) => not_found(entity),
        other => other,
    })
}

fn partners_json(partners: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(partners)
        .map_err(|e| StoreError::Db(diesel::result::Error::SerializationError(Box::new(e))))
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    cmd: &NewProgram,
) -> Result<ProgramWithRole, StoreError> {
    actor.require_admin()?;
    cmd.fields.check()?;
    let now = DbTime(crate::now());
    let f = &cmd.fields;
    let row = ProgramRow {
        id: DbId(cmd.id.as_uuid()),
        code: f.code.clone(),
        title: f.title.clone(),
        theme: f.theme.clone(),
        funder: f.funder.clone(),
        partners: partners_json(&f.partners)?,
        location: f.location.clone(),
        training_starts_on: f.training_starts_on,
        training_ends_on: f.training_ends_on,
        follow_up_until: f.follow_up_until,
        check_in_cadence_days: f.check_in_cadence_days,
        status: f.status.unwrap_or(ProgramStatus::Planned).as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
        status_set: f.status.is_some(),
    };
    diesel::insert_into(programs::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| on_unique(e, "code_taken", CODE_TAKEN))?;
    audit::Event::new(Some(actor), "program", cmd.id.as_uuid(), "create")
        .program(cmd.id.as_uuid())
        .fields(&["code", "title", "training_starts_on", "training_ends_on", "follow_up_until", "status"])
        .record(conn)?;
    Ok(ProgramWithRole { program: row.into_domain()?, my_role: None })
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: ProgramId) -> Result<ProgramWithRole, StoreError> {
    let (row, my_role) = visible(conn, actor, id)?;
    Ok(ProgramWithRole { program: row.into_domain()?, my_role })
}

#[derive(Debug, Clone, Default)]
pub struct ProgramFilter {
    pub status: Option<ProgramStatus>,
}

/// The programmes the actor may see: all for admins, their own for everyone else.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &ProgramFilter,
    page: &PageRequest,
) -> Result<Page<ProgramWithRole>, StoreError> {
    let me = DbId(actor.user_id.as_uuid());
    let mut query = super::created_page!(
        programs::table
            .left_join(
                memberships::table
                    .on(memberships::program_id.eq(programs::id).and(memberships::user_id.eq(me))),
            )
            .select((ProgramRow::as_select(), memberships::role.nullable())),
        programs,
        page
    );
    if let ProgramScope::MemberOf(_) = ProgramScope::for_actor(actor) {
        query = query.filter(memberships::id.is_not_null());
    }
    if let Some(status) = filter.status {
        // The status a coordinator set, or the one the dates give today
        // (UTC), as `status_by_dates` reads them.
        let set = programs::status_set.and(programs::status.eq(status.as_str()));
        let by_dates = programs::status_set.eq(false);
        let today = crate::now().date_naive();
        query = match status {
            ProgramStatus::Planned => {
                query.filter(set.or(by_dates.and(programs::training_starts_on.gt(today))))
            }
            ProgramStatus::Training => query.filter(
                set.or(by_dates
                    .and(programs::training_starts_on.le(today))
                    .and(programs::training_ends_on.ge(today))),
            ),
            ProgramStatus::FollowUp => query.filter(set.or(
                by_dates.and(programs::training_ends_on.lt(today)).and(programs::follow_up_until.ge(today)),
            )),
            ProgramStatus::Closed => query.filter(set.or(by_dates.and(programs::follow_up_until.lt(today)))),
        };
    }
    let rows = query.load::<(ProgramRow, Option<String>)>(conn)?;
    let items = rows
        .into_iter()
        .map(|(row, role)| {
            let my_role =
                role.map(|r| parse_stored("memberships.role", &r, ProgramRole::parse)).transpose()?;
            Ok(ProgramWithRole { program: row.into_domain()?, my_role })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_rows(items, page, |p| Cursor { at: p.program.created_at, id: p.program.id.as_uuid() }))
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProgramId,
    changes: &ProgramChanges,
    if_match: &Precondition,
) -> Result<ProgramWithRole, StoreError> {
    let current = managed(conn, actor, id)?;
    check_version(if_match, current.version)?;
    let my_role = role_of(conn, id, actor.user_id)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return Ok(ProgramWithRole { program: current.into_domain()?, my_role });
    }
    let program = current.clone().into_domain()?;
    let next: ProgramFields = changes.apply(&ProgramFields::of(&program))?;
    let version = current.version + 1;
    let updated_at = DbTime(crate::now());
    let n = diesel::update(super::at_version!(programs, current))
        .set((
            programs::code.eq(&next.code),
            programs::title.eq(&next.title),
            programs::theme.eq(&next.theme),
            programs::funder.eq(&next.funder),
            programs::partners.eq(partners_json(&next.partners)?),
            programs::location.eq(&next.location),
            programs::training_starts_on.eq(next.training_starts_on),
            programs::training_ends_on.eq(next.training_ends_on),
            programs::follow_up_until.eq(next.follow_up_until),
            programs::check_in_cadence_days.eq(next.check_in_cadence_days),
            programs::status.eq(next.status.unwrap_or(ProgramStatus::Planned).as_str()),
            programs::status_set.eq(next.status.is_some()),
            programs::version.eq(version),
            programs::updated_at.eq(updated_at),
        ))
        .execute(conn)
        .map_err(|e| on_unique(e, "code_taken", CODE_TAKEN))?;
    super::require_updated(n, version)?;
    audit::Event::new(Some(actor), "program", id.as_uuid(), "update")
        .program(id.as_uuid())
        .fields(&fields)
        .record(conn)?;
    let row = load(conn, id)?.ok_or_else(|| not_found("program"))?;
    Ok(ProgramWithRole { program: row.into_domain()?, my_role })
}

/// The id of the programme with this code, if any (no visibility check:
/// for operator commands such as `followup seed-demo`).
pub fn id_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<ProgramId>, StoreError> {
    let id = programs::table
        .filter(programs::code.eq(code))
        .select(programs::id)
        .first::<DbId>(conn)
        .optional()?;
    Ok(id.map(|id| ProgramId::from_uuid(id.0)))
}

/// How many programmes exist.
pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(programs::table.count().get_result(conn)?)
}
