//! Accounts.

use diesel::prelude::*;
use followup_domain::ids::{OrganizationId, SessionId, UserId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::precondition::Precondition;
use followup_domain::users::User;
use followup_domain::users::{NewUser, UserChanges};
use followup_domain::values::{PasswordState, SystemRole};
use followup_domain::{Actor, DomainError, FieldError};

use super::rows::UserRow;
use super::{audit, check_version, not_found, on_unique, sessions};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{organizations, users};
use crate::sql_types::{DbId, DbTime};

fn require_organization(
    conn: &mut DbConnection,
    id: Option<OrganizationId>,
    field: &str,
) -> Result<(), StoreError> {
    if let Some(id) = id {
        let found: i64 =
            organizations::table.filter(organizations::id.eq(DbId(id.as_uuid()))).count().get_result(conn)?;
        if found == 0 {
            return Err(DomainError::Invalid(vec![FieldError::new(
                field,
                "unknown_organization",
                "no organisation has this id",
            )])
            .into());
        }
    }
    Ok(())
}

/// Create an account. `actor` is `None` for the bootstrap admin.
pub fn create(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    cmd: &NewUser,
    password_hash: &str,
) -> Result<User, StoreError> {
    require_organization(conn, cmd.organization_id, "organization_id")?;
    let now = DbTime(crate::now());
    let row = UserRow {
        id: DbId(cmd.id.as_uuid()),
        email: cmd.email.as_str().to_owned(),
        display_name: cmd.display_name.clone(),
        organization_id: cmd.organization_id.map(|id| DbId(id.as_uuid())),
        position: cmd.position.clone(),
        locale: cmd.locale.as_str().to_owned(),
        time_zone: cmd.time_zone.name().to_owned(),
        system_role: cmd.system_role.as_str().to_owned(),
        active: true,
        password_hash: password_hash.to_owned(),
        password_changed_at: now,
        version: 1,
        created_at: now,
        updated_at: now,
        password_state: cmd.password_state.as_str().to_owned(),
    };
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| on_unique(e, "email_taken", "An account with this e-mail address already exists."))?;
    audit::Event::new(actor, "user", cmd.id.as_uuid(), "create")
        .fields(&[
            "email",
            "display_name",
            "organization_id",
            "position",
            "locale",
            "time_zone",
            "system_role",
        ])
        .record(conn)?;
    row.into_domain()
}

pub fn find(conn: &mut DbConnection, id: UserId) -> Result<Option<User>, StoreError> {
    super::find_row!(conn, users, UserRow, id.as_uuid())?.map(UserRow::into_domain).transpose()
}

pub fn get(conn: &mut DbConnection, id: UserId) -> Result<User, StoreError> {
    find(conn, id)?.ok_or_else(|| not_found("user"))
}

/// Filters of `GET /users`.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub active: Option<bool>,
    pub system_role: Option<SystemRole>,
    pub organization_id: Option<OrganizationId>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<Page<User>, StoreError> {
    let mut query = super::created_page!(users::table.select(UserRow::as_select()), users, page);
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(role) = filter.system_role {
        query = query.filter(users::system_role.eq(role.as_str()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(users::organization_id.eq(DbId(org.as_uuid())));
    }
    let rows = query.load::<UserRow>(conn)?;
    let users = rows.into_iter().map(UserRow::into_domain).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(users, page, |u| Cursor { at: u.created_at, id: u.id.as_uuid() }))
}

/// Apply changes to an account (`If-Match` version optional). Deactivating an
/// account revokes all its sessions in the same transaction.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: UserId,
    changes: &UserChanges,
    if_match: &Precondition,
) -> Result<User, StoreError> {
    let current = super::find_row!(conn, users, UserRow, id.as_uuid())?.ok_or_else(|| not_found("user"))?;
    check_version(if_match, current.version)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return current.into_domain();
    }
    if let Some(org) = changes.organization_id {
        require_organization(conn, org, "organization_id")?;
    }
    let is_active_admin = current.active && current.system_role == SystemRole::Admin.as_str();
    let demoted = changes.system_role == Some(SystemRole::Member);
    let deactivated = changes.active == Some(false);
    if is_active_admin && (demoted || deactivated) && !any_other_active_admin(conn, id)? {
        return Err(DomainError::Conflict {
            code: "last_admin",
            message: "The last active admin can be neither demoted nor deactivated.".into(),
        }
        .into());
    }
    let next = UserRow {
        display_name: changes.display_name.clone().unwrap_or(current.display_name.clone()),
        organization_id: match changes.organization_id {
            Some(v) => v.map(|o| DbId(o.as_uuid())),
            None => current.organization_id,
        },
        position: match &changes.position {
            Some(v) => v.clone(),
            None => current.position.clone(),
        },
        locale: changes.locale.map(|l| l.as_str().to_owned()).unwrap_or(current.locale.clone()),
        time_zone: changes
            .time_zone
            .as_ref()
            .map(|t| t.name().to_owned())
            .unwrap_or(current.time_zone.clone()),
        system_role: changes
            .system_role
            .map(|r| r.as_str().to_owned())
            .unwrap_or(current.system_role.clone()),
        active: changes.active.unwrap_or(current.active),
        version: current.version + 1,
        updated_at: DbTime(crate::now()),
        ..current.clone()
    };
    let updated = diesel::update(super::at_version!(users, current))
        .set((
            users::display_name.eq(&next.display_name),
            users::organization_id.eq(next.organization_id),
            users::position.eq(&next.position),
            users::locale.eq(&next.locale),
            users::time_zone.eq(&next.time_zone),
            users::system_role.eq(&next.system_role),
            users::active.eq(next.active),
            users::version.eq(next.version),
            users::updated_at.eq(next.updated_at),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(DomainError::PreconditionFailed { current: current.version + 1 }.into());
    }
    if current.active && !next.active {
        sessions::revoke_user_sessions(conn, id, None, "deactivated")?;
    }
    audit::Event::new(Some(actor), "user", id.as_uuid(), "update").fields(&fields).record(conn)?;
    next.into_domain()
}

/// The account and its password hash, for login. E-mail is matched
/// case-insensitively; an API key's service account never signs in.
pub fn for_login(conn: &mut DbConnection, email: &str) -> Result<Option<(User, String)>, StoreError> {
    let row = users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .filter(users::service.eq(false))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| {
        let hash = r.password_hash.clone();
        r.into_domain().map(|u| (u, hash))
    })
    .transpose()
}

pub fn password_hash(conn: &mut DbConnection, id: UserId) -> Result<String, StoreError> {
    users::table
        .find(DbId(id.as_uuid()))
        .select(users::password_hash)
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("user"))
}

/// Replace the password hash with one the user chose (their password now
/// stands `set`) and revoke every other session of the user.
pub fn set_password(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    id: UserId,
    new_hash: &str,
    keep_session: Option<SessionId>,
) -> Result<(), StoreError> {
    store_password(conn, id, new_hash, PasswordState::Set)?;
    sessions::revoke_user_sessions(conn, id, keep_session, "password_change")?;
    audit::Event::new(actor, "user", id.as_uuid(), "password_change").fields(&["password"]).record(conn)
}

/// Replace an account's password hash, saying how the password now stands
/// (the one statement every way of changing a password goes through).
pub(crate) fn store_password(
    conn: &mut DbConnection,
    id: UserId,
    hash: &str,
    state: PasswordState,
) -> Result<(), StoreError> {
    let now = DbTime(crate::now());
    let updated = diesel::update(users::table.find(DbId(id.as_uuid())))
        .set((
            users::password_hash.eq(hash),
            users::password_state.eq(state.as_str()),
            users::password_changed_at.eq(now),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(not_found("user"));
    }
    Ok(())
}

fn any_other_active_admin(conn: &mut DbConnection, except: UserId) -> Result<bool, StoreError> {
    let n: i64 = users::table
        .filter(users::system_role.eq(SystemRole::Admin.as_str()).and(users::active.eq(true)))
        .filter(users::id.ne(DbId(except.as_uuid())))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether any active admin exists (bootstrap).
pub fn any_active_admin(conn: &mut DbConnection) -> Result<bool, StoreError> {
    let n: i64 = users::table
        .filter(users::system_role.eq(SystemRole::Admin.as_str()).and(users::active.eq(true)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Make an existing account an active admin with this password (`create-admin` on an existing e-mail).
pub fn reset_admin(conn: &mut DbConnection, id: UserId, new_hash: &str) -> Result<User, StoreError> {
    let now = DbTime(crate::now());
    diesel::update(users::table.find(DbId(id.as_uuid())))
        .set((
            users::system_role.eq(SystemRole::Admin.as_str()),
            users::active.eq(true),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    set_password(conn, None, id, new_hash, None)?;
    get(conn, id)
}

/// The first active admin (oldest account), if any.
pub fn first_active_admin(conn: &mut DbConnection) -> Result<Option<UserId>, StoreError> {
    let id = users::table
        .filter(users::system_role.eq(SystemRole::Admin.as_str()).and(users::active.eq(true)))
        .order((users::created_at.asc(), users::id.asc()))
        .select(users::id)
        .first::<DbId>(conn)
        .optional()?;
    Ok(id.map(|id| UserId::from_uuid(id.0)))
}

/// How many accounts there are, and how many of them are admins.
pub fn count_accounts(conn: &mut DbConnection) -> Result<(i64, i64), StoreError> {
    let all: i64 = users::table.count().get_result(conn)?;
    let admins: i64 =
        users::table.filter(users::system_role.eq(SystemRole::Admin.as_str())).count().get_result(conn)?;
    Ok((all, admins))
}
