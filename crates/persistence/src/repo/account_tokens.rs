//! Single-use, expiring tokens with which a user chooses their own password:
//! an invitation (an account created without one) or a password reset. Only
//! a token's SHA-256 is stored; issuing a new token for a user withdraws the
//! older ones, and a token is spent by the statement that uses it, so two
//! concurrent uses cannot both succeed.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use followup_domain::ids::{SessionId, UserId};
use followup_domain::users::User;
use followup_domain::values::{AccountTokenPurpose, PasswordState, ProgramRole, SystemRole};
use followup_domain::{Actor, DomainError, Message};
use uuid::Uuid;

use super::mail::{queue, Mail, Recipient};
use super::rows::UserRow;
use super::{audit, not_found, sessions};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{account_tokens, memberships, users};
use crate::sql_types::{DbId, DbTime};

/// Issue a token for `user`, withdrawing every open token of theirs. The
/// caller words the audit event (an invitation is part of the account's
/// creation; a reset has its own).
pub fn issue(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    user: UserId,
    purpose: AccountTokenPurpose,
    token_hash: &str,
    lifetime: Duration,
) -> Result<DateTime<Utc>, StoreError> {
    let now = crate::now();
    withdraw_open(conn, user, now)?;
    let expires_at = now + lifetime;
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::id.eq(DbId(Uuid::now_v7())),
            account_tokens::user_id.eq(DbId(user.as_uuid())),
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::token_hash.eq(token_hash),
            account_tokens::issued_by.eq(actor.map(|a| DbId(a.user_id.as_uuid()))),
            account_tokens::created_at.eq(DbTime(now)),
            account_tokens::expires_at.eq(DbTime(expires_at)),
            account_tokens::used_at.eq(None::<DbTime>),
            account_tokens::withdrawn.eq(false),
        ))
        .execute(conn)?;
    Ok(expires_at)
}

fn withdraw_open(conn: &mut DbConnection, user: UserId, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::user_id.eq(DbId(user.as_uuid())))
            .filter(account_tokens::used_at.is_null()),
    )
    .set((account_tokens::used_at.eq(Some(DbTime(now))), account_tokens::withdrawn.eq(true)))
    .execute(conn)?;
    Ok(())
}

/// How a reset lets the user back in.
#[derive(Debug, Clone)]
pub enum ResetMethod {
    /// A single-use token (its hash here) with which the user chooses a new
    /// password; the old one stops working at once (`unusable_hash` replaces it).
    Token { token_hash: String, unusable_hash: String },
    /// A temporary password (its hash here) to be changed at the next sign-in.
    TemporaryPassword { password_hash: String },
}

/// What a reset did.
#[derive(Debug, Clone)]
pub struct Reset {
    pub user: User,
    /// `invitation` when the account had not accepted its invitation yet
    /// (the new token is a new invitation), else `password_reset`.
    pub purpose: AccountTokenPurpose,
    /// When the token expires (token method only).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Whether `actor` may reset `target`'s password: never their own; an admin any account; a
/// coordinator the delegates and observers of a programme they coordinate
/// (never an admin). Others learn nothing: 404 for an account they may not
/// manage, 403 when they can see it in a programme but may not reset it.
fn require_may_reset(conn: &mut DbConnection, actor: &Actor, target: &User) -> Result<(), StoreError> {
    if target.id == actor.user_id {
        // A reset ends every session, this one too: one's own password is
        // changed at `POST /me/password`.
        return Err(DomainError::NotAllowed(Message::new("forbidden.reset_own_password")).into());
    }
    // An API key's service account has no password to reset: revoke the key.
    let service: bool = users::table.find(DbId(target.id.as_uuid())).select(users::service).first(conn)?;
    if service {
        return Err(not_found("user"));
    }
    if actor.system_role == SystemRole::Admin {
        return Ok(());
    }
    let theirs = diesel::alias!(memberships as theirs);
    let shared: Vec<(String, String)> = memberships::table
        .inner_join(
            theirs.on(theirs
                .field(memberships::program_id)
                .eq(memberships::program_id)
                .and(theirs.field(memberships::user_id).eq(DbId(target.id.as_uuid())))),
        )
        .filter(memberships::user_id.eq(DbId(actor.user_id.as_uuid())))
        .select((memberships::role, theirs.field(memberships::role)))
        .load(conn)?;
    if shared.is_empty() {
        return Err(not_found("user"));
    }
    let manages = shared.iter().any(|(mine, theirs)| {
        mine == ProgramRole::Coordinator.as_str()
            && (theirs == ProgramRole::Delegate.as_str() || theirs == ProgramRole::Observer.as_str())
    });
    if !manages || target.system_role == SystemRole::Admin {
        return Err(DomainError::NotAllowed(Message::new("forbidden.reset_password")).into());
    }
    Ok(())
}

/// Reset `user`'s password: every session of theirs ends at once, their open
/// tokens are withdrawn, and the old password stops working; audited as
/// `password_reset` (the method is the event's reason).
pub fn reset_password(
    conn: &mut DbConnection,
    actor: &Actor,
    user: UserId,
    method: &ResetMethod,
    lifetime: Duration,
) -> Result<Reset, StoreError> {
    let target = super::users::get(conn, user)?;
    require_may_reset(conn, actor, &target)?;
    let invited = target.password_state == PasswordState::Invited;
    let (hash, state) = match method {
        ResetMethod::Token { unusable_hash, .. } => (unusable_hash.as_str(), target.password_state),
        ResetMethod::TemporaryPassword { password_hash } => {
            (password_hash.as_str(), PasswordState::ChangeRequired)
        }
    };
    super::users::store_password(conn, user, hash, state)?;
    sessions::revoke_user_sessions(conn, user, None, "admin")?;
    let purpose = if invited { AccountTokenPurpose::Invitation } else { AccountTokenPurpose::PasswordReset };
    let (expires_at, reason) = match method {
        ResetMethod::Token { token_hash, .. } => {
            (Some(issue(conn, Some(actor), user, purpose, token_hash, lifetime)?), "token")
        }
        ResetMethod::TemporaryPassword { .. } => {
            withdraw_open(conn, user, crate::now())?;
            (None, "temporary_password")
        }
    };
    audit::Event::new(Some(actor), "user", user.as_uuid(), "password_reset")
        .fields(&["password"])
        .reason(Some(reason))
        .record(conn)?;
    Ok(Reset { user: super::users::get(conn, user)?, purpose, expires_at })
}

/// The account a live token (not spent, withdrawn or expired, its account
/// active) lets its holder set a password for, and what the token is for.
pub fn holder(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<(User, AccountTokenPurpose)>, StoreError> {
    let now = DbTime(crate::now());
    let found = account_tokens::table
        .inner_join(users::table)
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), account_tokens::purpose))
        .first::<(UserRow, String)>(conn)
        .optional()?;
    found
        .map(|(row, purpose)| {
            let purpose =
                super::parse_stored("account_tokens.purpose", &purpose, AccountTokenPurpose::parse)?;
            Ok((row.into_domain()?, purpose))
        })
        .transpose()
}

/// Spend a live token of `user` and give them the password `new_hash` (their
/// own: it stands `set`), end every session of theirs and start a new one
/// with its first refresh token. `None` when the token is no longer live
/// (spent meanwhile, withdrawn, expired): nothing changes then.
pub fn redeem(
    conn: &mut DbConnection,
    token_hash: &str,
    user: UserId,
    new_hash: &str,
    refresh_hash: &str,
    session_lifetime: Duration,
) -> Result<Option<SessionId>, StoreError> {
    let Some((holder, purpose)) = holder(conn, token_hash)? else { return Ok(None) };
    if holder.id != user {
        return Ok(None);
    }
    let now = DbTime(crate::now());
    let spent = diesel::update(
        account_tokens::table
            .filter(account_tokens::token_hash.eq(token_hash))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(now)),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    if spent == 0 {
        return Ok(None);
    }
    super::users::store_password(conn, user, new_hash, PasswordState::Set)?;
    sessions::revoke_user_sessions(conn, user, None, "password_change")?;
    let session = sessions::start_session(conn, user, refresh_hash, session_lifetime)?;
    let actor = Actor { user_id: user, system_role: holder.system_role, session_id: session };
    let action = match purpose {
        AccountTokenPurpose::Invitation => "invitation_accept",
        AccountTokenPurpose::PasswordReset => "password_reset_complete",
    };
    audit::Event::new(Some(&actor), "user", user.as_uuid(), action).fields(&["password"]).record(conn)?;
    Ok(Some(session))
}

/// How long after a reset e-mail another is not sent to the same account,
/// so nobody can flood a mailbox through the form.
pub const RESET_MAIL_INTERVAL_SECONDS: i64 = 60;

/// Someone asks for a password reset by e-mail for `email`. When it names
/// an active person's account (never an API key's), and no reset e-mail
/// went to it in the last [`RESET_MAIL_INTERVAL_SECONDS`], a reset token is
/// issued (withdrawing their open ones) and `compose` writes the message,
/// queued in the same transaction; audited as `password_reset_request`.
/// Nothing else changes: the password still works and no session ends
/// until the token is used, so a stranger asking cannot lock anyone out.
/// Returns whom a message was queued for; the caller answers the same
/// either way.
pub fn request_reset(
    conn: &mut DbConnection,
    email: &str,
    token_hash: &str,
    lifetime: Duration,
    compose: &dyn Fn(&Recipient, DateTime<Utc>) -> Mail,
) -> Result<Option<UserId>, StoreError> {
    let found: Option<(DbId, String, String, String)> = users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .filter(users::service.eq(false))
        .filter(users::active.eq(true))
        .select((users::id, users::email, users::display_name, users::locale))
        .first(conn)
        .optional()?;
    let Some((id, email, name, locale)) = found else { return Ok(None) };
    let user = UserId::from_uuid(id.0);
    let now = crate::now();
    let recent = diesel::select(diesel::dsl::exists(
        account_tokens::table
            .filter(account_tokens::user_id.eq(id))
            .filter(account_tokens::purpose.eq(AccountTokenPurpose::PasswordReset.as_str()))
            .filter(account_tokens::issued_by.is_null())
            .filter(
                account_tokens::created_at.gt(DbTime(now - Duration::seconds(RESET_MAIL_INTERVAL_SECONDS))),
            ),
    ))
    .get_result::<bool>(conn)?;
    if recent {
        return Ok(None);
    }
    let expires_at = issue(conn, None, user, AccountTokenPurpose::PasswordReset, token_hash, lifetime)?;
    let to = Recipient { user_id: id.0, email, name, locale };
    queue(conn, &compose(&to, expires_at))?;
    audit::Event::new(None, "user", id.0, "password_reset_request").record(conn)?;
    Ok(Some(user))
}
