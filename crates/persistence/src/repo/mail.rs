//! E-mail: each person's notification settings, and the queue of messages
//! the worker sends over SMTP (taken under `SKIP LOCKED` and a lease like
//! webhook deliveries, retried with backoff, then given up).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use followup_domain::notifications::{NotificationChanges, NotificationSettings};
use followup_domain::precondition::Precondition;
use followup_domain::{Actor, DomainError};
use uuid::Uuid;

use super::{audit, check_version};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{mail_messages, notification_settings};
use crate::sql_types::{DbId, DbTime};

type SettingsRow = (bool, bool, bool, bool, i64, DbTime);

/// A person's settings (everything on until they change it).
pub fn settings(conn: &mut DbConnection, user: Uuid) -> Result<NotificationSettings, StoreError> {
    let row: Option<SettingsRow> = notification_settings::table
        .find(DbId(user))
        .select((
            notification_settings::check_in_due,
            notification_settings::activity_overdue,
            notification_settings::weekly_digest,
            notification_settings::survey_due,
            notification_settings::version,
            notification_settings::updated_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map_or_else(
        NotificationSettings::default,
        |(check_in_due, activity_overdue, weekly_digest, survey_due, version, at)| NotificationSettings {
            check_in_due,
            activity_overdue,
            weekly_digest,
            survey_due,
            version,
            updated_at: Some(at.0),
        },
    ))
}

/// The caller's settings.
pub fn my_settings(conn: &mut DbConnection, actor: &Actor) -> Result<NotificationSettings, StoreError> {
    settings(conn, actor.user_id.as_uuid())
}

/// Change the caller's settings when `if_match` holds.
pub fn change_settings(
    conn: &mut DbConnection,
    actor: &Actor,
    changes: &NotificationChanges,
    if_match: &Precondition,
) -> Result<NotificationSettings, StoreError> {
    let user = actor.user_id.as_uuid();
    let current = settings(conn, user)?;
    check_version(if_match, current.version)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return Ok(current);
    }
    let now = crate::now();
    let next = NotificationSettings {
        check_in_due: changes.check_in_due.unwrap_or(current.check_in_due),
        activity_overdue: changes.activity_overdue.unwrap_or(current.activity_overdue),
        weekly_digest: changes.weekly_digest.unwrap_or(current.weekly_digest),
        survey_due: changes.survey_due.unwrap_or(current.survey_due),
        version: current.version + 1,
        updated_at: Some(now),
    };
    let values = (
        notification_settings::user_id.eq(DbId(user)),
        notification_settings::check_in_due.eq(next.check_in_due),
        notification_settings::activity_overdue.eq(next.activity_overdue),
        notification_settings::weekly_digest.eq(next.weekly_digest),
        notification_settings::survey_due.eq(next.survey_due),
        notification_settings::version.eq(next.version),
        notification_settings::updated_at.eq(DbTime(now)),
    );
    let written = if current.version == 0 {
        with_backend_conn!(&mut *conn, c => diesel::insert_into(notification_settings::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c))?
    } else {
        diesel::update(
            notification_settings::table
                .filter(notification_settings::user_id.eq(DbId(user)))
                .filter(notification_settings::version.eq(current.version)),
        )
        .set(values)
        .execute(conn)?
    };
    if written == 0 {
        return Err(DomainError::PreconditionFailed { current: current.version + 1 }.into());
    }
    audit::Event::new(Some(actor), "notification_settings", user, "update")
        .fields(&fields)
        .version(next.version)
        .record(conn)?;
    Ok(next)
}

/// Who gets a message, in which language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub locale: String,
}

/// The kind of the message that carries a password-reset token.
pub const PASSWORD_RESET: &str = "password_reset";

/// A message to send.
#[derive(Debug, Clone)]
pub struct Mail {
    pub user_id: Uuid,
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Queue a message, due now.
pub(crate) fn queue(conn: &mut DbConnection, mail: &Mail) -> Result<(), StoreError> {
    let now = DbTime(crate::now());
    let row = (
        mail_messages::id.eq(DbId(Uuid::now_v7())),
        mail_messages::user_id.eq(DbId(mail.user_id)),
        mail_messages::kind.eq(mail.kind),
        mail_messages::to_address.eq(&mail.to),
        mail_messages::subject.eq(&mail.subject),
        mail_messages::text_body.eq(&mail.text),
        mail_messages::html_body.eq(&mail.html),
        mail_messages::status.eq("pending"),
        mail_messages::attempts.eq(0),
        mail_messages::next_attempt_at.eq(Some(now)),
        mail_messages::locked_until.eq(None::<DbTime>),
        mail_messages::last_error.eq(None::<String>),
        mail_messages::created_at.eq(now),
        mail_messages::sent_at.eq(None::<DbTime>),
    );
    with_backend_conn!(&mut *conn, c => diesel::insert_into(mail_messages::table).values(row).execute(c))?;
    Ok(())
}

/// Whether a message is due (read on a read connection, so an idle worker
/// never takes the writer).
pub fn has_due(conn: &mut DbConnection) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(
        mail_messages::table
            .filter(mail_messages::status.eq("pending"))
            .filter(mail_messages::next_attempt_at.le(DbTime(crate::now()))),
    ))
    .get_result(conn)?)
}

/// A message a worker has taken.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: Uuid,
    pub attempts_made: i32,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

type OutgoingRow = (DbId, i32, String, String, String, String, String);

/// Take up to `limit` due messages for `lease`, oldest due first.
pub fn claim_due(conn: &mut DbConnection, lease: Duration, limit: i64) -> Result<Vec<Outgoing>, StoreError> {
    let now = crate::now();
    let ids = super::lease_due!(conn, mail_messages, "pending", now, lease, limit)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<OutgoingRow> = mail_messages::table
        .filter(mail_messages::id.eq_any(ids))
        .select((
            mail_messages::id,
            mail_messages::attempts,
            mail_messages::kind,
            mail_messages::to_address,
            mail_messages::subject,
            mail_messages::text_body,
            mail_messages::html_body,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, attempts_made, kind, to, subject, text, html)| Outgoing {
            id: id.0,
            attempts_made,
            kind,
            to,
            subject,
            text,
            html,
        })
        .collect())
}

/// Record a sending attempt: sent, to be retried at `retry_at`, or given up.
pub fn finish(
    conn: &mut DbConnection,
    id: Uuid,
    error: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let now = DbTime(crate::now());
    let (status, next, sent) = match (error, retry_at) {
        (None, _) => ("sent", None, Some(now)),
        (Some(_), Some(at)) => ("pending", Some(DbTime(at)), None),
        (Some(_), None) => ("failed", None, None),
    };
    if error.is_none() {
        // A sent reset message held a live token: its words are not kept.
        diesel::update(mail_messages::table.find(DbId(id)).filter(mail_messages::kind.eq(PASSWORD_RESET)))
            .set((mail_messages::text_body.eq(""), mail_messages::html_body.eq("")))
            .execute(conn)?;
    }
    diesel::update(mail_messages::table.find(DbId(id)))
        .set((
            mail_messages::status.eq(status),
            mail_messages::attempts.eq(mail_messages::attempts + 1),
            mail_messages::next_attempt_at.eq(next),
            mail_messages::locked_until.eq(None::<DbTime>),
            mail_messages::last_error.eq(error),
            mail_messages::sent_at.eq(sent),
        ))
        .execute(conn)?;
    Ok(())
}
