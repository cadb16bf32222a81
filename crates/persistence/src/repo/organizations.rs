//! Organisations: ministries' directorates, regional agencies, technical
//! units, partners, universities. Reference data every signed-in user reads;
//! admins change it.

use diesel::prelude::*;
use followup_domain::ids::OrganizationId;
use followup_domain::organizations::Organization;
use followup_domain::organizations::{NewOrganization, OrganizationChanges};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::precondition::Precondition;
use followup_domain::values::OrganizationKind;
use followup_domain::{Actor, DomainError, FieldError, Message};

use super::rows::OrganizationRow;
use super::{audit, check_version, not_found, on_unique};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{organizations, users};
use crate::sql_types::{DbId, DbTime};

const NAME_TAKEN: &str = "An organisation with this name already exists.";

fn load(conn: &mut DbConnection, id: OrganizationId) -> Result<Option<OrganizationRow>, StoreError> {
    Ok(super::find_row!(conn, organizations, OrganizationRow, id.as_uuid())?)
}

/// Refuse a parent that does not exist or that would close a cycle.
fn check_parent(
    conn: &mut DbConnection,
    id: OrganizationId,
    parent: Option<OrganizationId>,
) -> Result<(), StoreError> {
    let Some(mut cursor) = parent else { return Ok(()) };
    let invalid = |code: &str, message: &str| {
        StoreError::Domain(DomainError::Invalid(vec![FieldError::new("parent_id", code, message)]))
    };
    // Walk up from the proposed parent; meeting `id` means a cycle. The walk
    // is bounded so corrupt data cannot loop forever.
    for _ in 0..64 {
        if cursor == id {
            return Err(invalid("cycle", "would make the organisation its own ancestor"));
        }
        let row = load(conn, cursor)?
            .ok_or_else(|| invalid("unknown_organization", "no organisation has this id"))?;
        match row.parent_id {
            Some(next) => cursor = OrganizationId::from_uuid(next.0),
            None => return Ok(()),
        }
    }
    Err(invalid("too_deep", "the hierarchy is deeper than 64 levels"))
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    cmd: &NewOrganization,
) -> Result<Organization, StoreError> {
    check_parent(conn, cmd.id, cmd.parent_id)?;
    let now = DbTime(crate::now());
    let row = OrganizationRow {
        id: DbId(cmd.id.as_uuid()),
        name: cmd.name.clone(),
        kind: cmd.kind.as_str().to_owned(),
        parent_id: cmd.parent_id.map(|p| DbId(p.as_uuid())),
        region: cmd.region.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(organizations::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| on_unique(e, "name_taken", NAME_TAKEN))?;
    audit::Event::new(Some(actor), "organization", cmd.id.as_uuid(), "create")
        .fields(&["name", "kind", "parent_id", "region"])
        .record(conn)?;
    row.into_domain()
}

pub fn get(conn: &mut DbConnection, id: OrganizationId) -> Result<Organization, StoreError> {
    load(conn, id)?.ok_or_else(|| not_found("organization"))?.into_domain()
}

#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    pub kind: Option<OrganizationKind>,
    pub parent_id: Option<OrganizationId>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OrganizationFilter,
    page: &PageRequest,
) -> Result<Page<Organization>, StoreError> {
    let mut query =
        super::created_page!(organizations::table.select(OrganizationRow::as_select()), organizations, page);
    if let Some(kind) = filter.kind {
        query = query.filter(organizations::kind.eq(kind.as_str()));
    }
    if let Some(parent) = filter.parent_id {
        query = query.filter(organizations::parent_id.eq(DbId(parent.as_uuid())));
    }
    let rows = query.load::<OrganizationRow>(conn)?;
    let items = rows.into_iter().map(OrganizationRow::into_domain).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |o| Cursor { at: o.created_at, id: o.id.as_uuid() }))
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: OrganizationId,
    changes: &OrganizationChanges,
    if_match: &Precondition,
) -> Result<Organization, StoreError> {
    let current = load(conn, id)?.ok_or_else(|| not_found("organization"))?;
    check_version(if_match, current.version)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return current.into_domain();
    }
    if let Some(parent) = changes.parent_id {
        check_parent(conn, id, parent)?;
    }
    let next = OrganizationRow {
        name: changes.name.clone().unwrap_or(current.name.clone()),
        kind: changes.kind.map(|k| k.as_str().to_owned()).unwrap_or(current.kind.clone()),
        parent_id: match changes.parent_id {
            Some(p) => p.map(|p| DbId(p.as_uuid())),
            None => current.parent_id,
        },
        region: match &changes.region {
            Some(r) => r.clone(),
            None => current.region.clone(),
        },
        version: current.version + 1,
        updated_at: DbTime(crate::now()),
        ..current.clone()
    };
    let n = diesel::update(super::at_version!(organizations, current))
        .set((
            organizations::name.eq(&next.name),
            organizations::kind.eq(&next.kind),
            organizations::parent_id.eq(next.parent_id),
            organizations::region.eq(&next.region),
            organizations::version.eq(next.version),
            organizations::updated_at.eq(next.updated_at),
        ))
        .execute(conn)
        .map_err(|e| on_unique(e, "name_taken", NAME_TAKEN))?;
    super::require_updated(n, current.version + 1)?;
    audit::Event::new(Some(actor), "organization", id.as_uuid(), "update").fields(&fields).record(conn)?;
    next.into_domain()
}

/// Delete an organisation nobody refers to; otherwise 409 naming what refers to it.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: OrganizationId,
    if_match: &Precondition,
) -> Result<(), StoreError> {
    let current = load(conn, id)?.ok_or_else(|| not_found("organization"))?;
    check_version(if_match, current.version)?;
    let key = DbId(id.as_uuid());
    let people: i64 = users::table.filter(users::organization_id.eq(key)).count().get_result(conn)?;
    let children: i64 =
        organizations::table.filter(organizations::parent_id.eq(key)).count().get_result(conn)?;
    if people > 0 || children > 0 {
        return Err(DomainError::StateConflict {
            code: "still_referenced",
            message: Message::new("still_referenced.counts")
                .with("people", people)
                .with("children", children),
        }
        .into());
    }
    diesel::delete(organizations::table.find(key)).execute(conn).map_err(|e| match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ForeignKeyViolation, _) => {
            StoreError::Domain(DomainError::Conflict {
                code: "still_referenced",
                message: "The organisation is still referenced.".into(),
            })
        }
        other => StoreError::Db(other),
    })?;
    audit::Event::new(Some(actor), "organization", id.as_uuid(), "delete").record(conn)
}

/// How many organisations exist.
pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(organizations::table.count().get_result(conn)?)
}
