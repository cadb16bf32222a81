//! Sessions (refresh-token families), refresh tokens and server settings.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use followup_domain::ids::{SessionId, UserId};
use followup_domain::users::User;
use followup_domain::values::{Locale, PasswordState, SystemRole};
use uuid::Uuid;

use super::parse_stored;
use super::rows::{RefreshTokenRow, SessionRow, UserRow};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{refresh_tokens, server_settings, sessions, users};
use crate::sql_types::{DbId, DbTime};

/// Read a server-wide setting, creating it with `make()` if absent. Instances
/// starting together on a fresh database agree on whichever insert won.
pub fn setting_or_insert(
    conn: &mut DbConnection,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    let read = |conn: &mut DbConnection| {
        server_settings::table.find(name).select(server_settings::value).first::<String>(conn).optional()
    };
    if let Some(value) = read(conn)? {
        return Ok(value);
    }
    // A losing insert does nothing (it waits for the winner on PostgreSQL),
    // so the transaction stays usable and the read below finds the winner's.
    let row = (
        server_settings::name.eq(name),
        server_settings::value.eq(make()),
        server_settings::created_at.eq(DbTime(crate::now())),
    );
    with_backend_conn!(conn, c => diesel::insert_into(server_settings::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    read(conn)?.ok_or_else(|| StoreError::Db(diesel::result::Error::NotFound))
}

/// Start a session for a user with its first refresh token (stored as a hash).
pub fn start_session(
    conn: &mut DbConnection,
    user_id: UserId,
    refresh_hash: &str,
    lifetime: Duration,
) -> Result<SessionId, StoreError> {
    let now = crate::now();
    let session_id = SessionId::new();
    diesel::insert_into(sessions::table)
        .values(&SessionRow {
            id: DbId(session_id.as_uuid()),
            user_id: DbId(user_id.as_uuid()),
            created_at: DbTime(now),
            last_used_at: DbTime(now),
            expires_at: DbTime(now + lifetime),
            revoked_at: None,
            revoked_reason: None,
        })
        .execute(conn)?;
    insert_token(conn, session_id, refresh_hash, now, now + lifetime)?;
    Ok(session_id)
}

fn insert_token(
    conn: &mut DbConnection,
    session_id: SessionId,
    hash: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(refresh_tokens::table)
        .values(&RefreshTokenRow {
            id: DbId(Uuid::now_v7()),
            session_id: DbId(session_id.as_uuid()),
            token_hash: hash.to_owned(),
            issued_at: DbTime(now),
            expires_at: DbTime(expires),
            rotated_at: None,
        })
        .execute(conn)?;
    Ok(())
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Refreshed {
    /// Rotated: the new token is stored, the old one is spent.
    Rotated { user: User, session_id: SessionId },
    /// The token was already rotated: its whole family is now revoked.
    ReuseDetected,
    /// Unknown, expired, revoked, or the user is deactivated.
    Invalid,
}

/// Rotate a refresh token. The caller commits even on `ReuseDetected`, so the
/// family's revocation sticks.
pub fn rotate(
    conn: &mut DbConnection,
    presented_hash: &str,
    new_hash: &str,
) -> Result<Refreshed, StoreError> {
    let now = crate::now();
    let found = refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::token_hash.eq(presented_hash))
        .select((RefreshTokenRow::as_select(), SessionRow::as_select()))
        .first::<(RefreshTokenRow, SessionRow)>(conn)
        .optional()?;
    let Some((token, session)) = found else { return Ok(Refreshed::Invalid) };
    let session_id = SessionId::from_uuid(session.id.0);
    if session.revoked_at.is_some() || session.expires_at.0 <= now || token.expires_at.0 <= now {
        return Ok(Refreshed::Invalid);
    }
    if token.rotated_at.is_some() {
        revoke_session(conn, session_id, "reuse_detected")?;
        tracing::warn!(session = %session_id, "refresh token reuse detected; session revoked");
        return Ok(Refreshed::ReuseDetected);
    }
    let user = users::table.find(session.user_id).select(UserRow::as_select()).first(conn)?.into_domain()?;
    if !user.active {
        return Ok(Refreshed::Invalid);
    }
    // Spend the presented token; the WHERE makes a concurrent second use lose.
    let spent = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(token.id).and(refresh_tokens::rotated_at.is_null())),
    )
    .set(refresh_tokens::rotated_at.eq(Some(DbTime(now))))
    .execute(conn)?;
    if spent == 0 {
        revoke_session(conn, session_id, "reuse_detected")?;
        return Ok(Refreshed::ReuseDetected);
    }
    insert_token(conn, session_id, new_hash, now, session.expires_at.0)?;
    diesel::update(sessions::table.find(session.id))
        .set(sessions::last_used_at.eq(DbTime(now)))
        .execute(conn)?;
    Ok(Refreshed::Rotated { user, session_id })
}

/// Revoke one session (logout, reuse detected). Revoking twice is harmless.
pub fn revoke_session(
    conn: &mut DbConnection,
    session_id: SessionId,
    reason: &str,
) -> Result<(), StoreError> {
    diesel::update(sessions::table.find(DbId(session_id.as_uuid())).filter(sessions::revoked_at.is_null()))
        .set((sessions::revoked_at.eq(Some(DbTime(crate::now()))), sessions::revoked_reason.eq(Some(reason))))
        .execute(conn)?;
    Ok(())
}

/// Revoke every live session of a user, except `keep`.
pub fn revoke_user_sessions(
    conn: &mut DbConnection,
    user_id: UserId,
    keep: Option<SessionId>,
    reason: &str,
) -> Result<usize, StoreError> {
    let mut query = diesel::update(sessions::table)
        .filter(sessions::user_id.eq(DbId(user_id.as_uuid())).and(sessions::revoked_at.is_null()))
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(sessions::id.ne(DbId(keep.as_uuid())));
    }
    Ok(query
        .set((sessions::revoked_at.eq(Some(DbTime(crate::now()))), sessions::revoked_reason.eq(Some(reason))))
        .execute(conn)?)
}

/// Who is behind a live session: their system role, how their password
/// stands (a `change_required` caller may only change it) and their
/// language, for problem details when a request names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub system_role: SystemRole,
    pub password_state: PasswordState,
    pub locale: Locale,
}

/// The caller behind an access token, if its session is live and the user
/// active: checked on every request so a revoked session or a deactivated
/// user is refused at once.
pub fn principal(
    conn: &mut DbConnection,
    user_id: UserId,
    session_id: SessionId,
) -> Result<Option<Principal>, StoreError> {
    let now = DbTime(crate::now());
    let query = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(DbId(session_id.as_uuid())))
        .filter(sessions::user_id.eq(DbId(user_id.as_uuid())))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((users::system_role, users::password_state, users::locale));
    let found = with_backend_conn!(conn, c => query.first::<(String, String, String)>(c).optional())?;
    found
        .map(|(role, state, locale)| {
            Ok(Principal {
                system_role: parse_stored("users.system_role", &role, SystemRole::parse)?,
                password_state: parse_stored("users.password_state", &state, PasswordState::parse)?,
                locale: parse_stored("users.locale", &locale, Locale::parse)?,
            })
        })
        .transpose()
}
