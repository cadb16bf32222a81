//! API keys: created, listed and revoked by a programme's coordinator (or an
//! admin); each key authenticates as its own service account, an observer
//! of the programme, so every visibility rule applies to it unchanged.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use followup_domain::api_keys::{normalise_scopes, ApiKey, NewApiKey};
use followup_domain::ids::{ApiKeyId, ProgramId, UserId};
use followup_domain::members::NewMembership;
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::values::{ApiKeyScope, Locale, PasswordState, ProgramRole, SystemRole};
use followup_domain::Actor;

use super::programs::{managed, managed_for};
use super::sessions::Principal;
use super::{audit, members, not_found, parse_stored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{api_keys, users};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
#[diesel(treat_none_as_default_value = false)]
struct ApiKeyRow {
    id: DbId,
    program_id: DbId,
    user_id: DbId,
    name: String,
    secret_hash: String,
    created_by: Option<DbId>,
    created_at: DbTime,
    last_used_at: Option<DbTime>,
    revoked_at: Option<DbTime>,
    scopes: String,
}

impl ApiKeyRow {
    fn into_domain(self) -> ApiKey {
        ApiKey {
            id: ApiKeyId::from_uuid(self.id.0),
            program_id: ProgramId::from_uuid(self.program_id.0),
            user_id: UserId::from_uuid(self.user_id.0),
            name: self.name,
            scopes: scopes_of(&self.scopes),
            created_by: self.created_by.map(|id| UserId::from_uuid(id.0)),
            created_at: self.created_at.0,
            last_used_at: self.last_used_at.map(|t| t.0),
            revoked_at: self.revoked_at.map(|t| t.0),
        }
    }
}

/// Create a key for a programme (its coordinator or an admin): its service
/// account (`service`, a password nobody knows: `unusable_hash`), that
/// account's observer membership, and the key with only `secret_hash` kept.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    cmd: &NewApiKey,
    secret_hash: &str,
    unusable_hash: &str,
) -> Result<ApiKey, StoreError> {
    managed(conn, actor, cmd.program_id)?;
    let now = DbTime(crate::now());
    let account = UserId::new();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(DbId(account.as_uuid())),
            users::email.eq(format!("api-key-{}@keys.followup.invalid", cmd.id.as_uuid().simple())),
            users::display_name.eq(&cmd.name),
            users::organization_id.eq(None::<DbId>),
            users::position.eq(Some("API key")),
            users::locale.eq(Locale::En.as_str()),
            users::time_zone.eq("UTC"),
            users::system_role.eq(SystemRole::Member.as_str()),
            users::active.eq(true),
            users::password_hash.eq(unusable_hash),
            users::password_changed_at.eq(now),
            users::version.eq(1_i64),
            users::created_at.eq(now),
            users::updated_at.eq(now),
            users::password_state.eq(PasswordState::Set.as_str()),
            users::service.eq(true),
        ))
        .execute(conn)?;
    members::add_member(
        conn,
        actor,
        &NewMembership { program_id: cmd.program_id, user_id: account, role: ProgramRole::Observer },
    )?;
    let row = ApiKeyRow {
        id: DbId(cmd.id.as_uuid()),
        program_id: DbId(cmd.program_id.as_uuid()),
        user_id: DbId(account.as_uuid()),
        name: cmd.name.clone(),
        secret_hash: secret_hash.to_owned(),
        created_by: Some(DbId(actor.user_id.as_uuid())),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
        scopes: scopes_json(&normalise_scopes(&cmd.scopes)),
    };
    diesel::insert_into(api_keys::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "api_key", cmd.id.as_uuid(), "create")
        .program(cmd.program_id.as_uuid())
        .fields(&["name", "scopes"])
        .record(conn)?;
    Ok(row.into_domain())
}

/// A programme's keys, revoked ones included, in creation order (its
/// coordinators and admins).
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    program_id: ProgramId,
    page: &PageRequest,
) -> Result<Page<ApiKey>, StoreError> {
    managed(conn, actor, program_id)?;
    let query = super::created_page!(
        api_keys::table
            .filter(api_keys::program_id.eq(DbId(program_id.as_uuid())))
            .select(ApiKeyRow::as_select()),
        api_keys,
        page
    );
    let items = query.load::<ApiKeyRow>(conn)?.into_iter().map(ApiKeyRow::into_domain).collect();
    Ok(Page::from_rows(items, page, |k: &ApiKey| Cursor { at: k.created_at, id: k.id.as_uuid() }))
}

/// Revoke a key (its programme's coordinator or an admin): it stops working
/// at once. Revoking a revoked key changes nothing.
pub fn revoke(conn: &mut DbConnection, actor: &Actor, id: ApiKeyId) -> Result<ApiKey, StoreError> {
    let row =
        super::find_row!(conn, api_keys, ApiKeyRow, id.as_uuid())?.ok_or_else(|| not_found("api_key"))?;
    managed_for(conn, actor, ProgramId::from_uuid(row.program_id.0), "api_key")?;
    if row.revoked_at.is_some() {
        return Ok(row.into_domain());
    }
    let now = DbTime(crate::now());
    diesel::update(api_keys::table.find(row.id)).set(api_keys::revoked_at.eq(Some(now))).execute(conn)?;
    audit::Event::new(Some(actor), "api_key", id.as_uuid(), "revoke")
        .program(row.program_id.0)
        .record(conn)?;
    Ok(ApiKeyRow { revoked_at: Some(now), ..row }.into_domain())
}

/// Who a live key acts as.
#[derive(Debug, Clone)]
pub struct KeyPrincipal {
    /// The key's service account.
    pub user_id: UserId,
    pub principal: Principal,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Who a key acts as, when it is live (not revoked, its account active)
/// and `secret_hash` is its secret's.
pub fn principal(
    conn: &mut DbConnection,
    id: ApiKeyId,
    secret_hash: &str,
) -> Result<Option<KeyPrincipal>, StoreError> {
    let found = api_keys::table
        .inner_join(users::table)
        .filter(api_keys::id.eq(DbId(id.as_uuid())))
        .filter(api_keys::secret_hash.eq(secret_hash))
        .filter(api_keys::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select((api_keys::user_id, users::system_role, api_keys::last_used_at))
        .first::<(DbId, String, Option<DbTime>)>(conn)
        .optional()?;
    found
        .map(|(user, role, used)| {
            let principal = Principal {
                system_role: parse_stored("users.system_role", &role, SystemRole::parse)?,
                password_state: PasswordState::Set,
                locale: Locale::En,
            };
            Ok(KeyPrincipal {
                user_id: UserId::from_uuid(user.0),
                principal,
                last_used_at: used.map(|t| t.0),
            })
        })
        .transpose()
}

/// Whether a key last used at `last_used_at` should be marked used now: at
/// most once a minute, so reads do not each write.
pub fn due_for_touch(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|t| now - t >= Duration::minutes(1))
}

/// Mark a key used now.
pub fn touch(conn: &mut DbConnection, id: ApiKeyId) -> Result<(), StoreError> {
    diesel::update(api_keys::table.find(DbId(id.as_uuid())))
        .set(api_keys::last_used_at.eq(Some(DbTime(crate::now()))))
        .execute(conn)?;
    Ok(())
}

fn scopes_json(scopes: &[ApiKeyScope]) -> String {
    let words: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    serde_json::to_string(&words).unwrap_or_else(|_| r#"["read"]"#.to_owned())
}

/// The stored scopes; a word this build does not know is left out (it
/// grants nothing), and `read` is always there.
fn scopes_of(stored: &str) -> Vec<ApiKeyScope> {
    let words: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
    normalise_scopes(&words.iter().filter_map(|w| ApiKeyScope::parse(w)).collect::<Vec<_>>())
}

/// Whether `actor` is a live API key of `program` holding `scope` (a key
/// acts in the session named by its own id).
pub(crate) fn key_may(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    scope: ApiKeyScope,
) -> Result<bool, StoreError> {
    let stored: Option<String> = api_keys::table
        .filter(api_keys::id.eq(DbId(actor.session_id.as_uuid())))
        .filter(api_keys::user_id.eq(DbId(actor.user_id.as_uuid())))
        .filter(api_keys::program_id.eq(DbId(program.as_uuid())))
        .filter(api_keys::revoked_at.is_null())
        .select(api_keys::scopes)
        .first(conn)
        .optional()?;
    Ok(stored.is_some_and(|s| scopes_of(&s).contains(&scope)))
}

/// The service account of a live key whose secret hashes to `secret_hash`:
/// who an `Idempotency-Key` of the key's requests belongs to.
pub fn account_of(
    conn: &mut DbConnection,
    id: ApiKeyId,
    secret_hash: &str,
) -> Result<Option<UserId>, StoreError> {
    Ok(principal(conn, id, secret_hash)?.map(|k| k.user_id))
}
