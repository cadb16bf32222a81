//! Webhook deliveries: the worker's queue and the delivery log.
//!
//! A pending delivery is due at `next_attempt_at`. A worker takes due ones
//! ([`claim_due`]) by setting `locked_until` (on PostgreSQL under `FOR
//! UPDATE SKIP LOCKED`, so instances sharing the database take different
//! ones); an instance that dies mid-send releases them when the lease ends.
//! Each attempt is logged ([`finish`]); a success clears the webhook's
//! failures, a failure schedules the next attempt or gives up, and a
//! webhook failing for longer than the operator allows is disabled.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use followup_domain::ids::{DeliveryId, EventId, WebhookId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::values::ProgramRole;
use followup_domain::webhooks::{Attempt, Delivery, DeliveryStatus, RESPONSE_BODY_KEPT};
use followup_domain::{Actor, DomainError, Message};
use uuid::Uuid;

use super::mail::{queue, Mail, Recipient};
use super::webhooks::{disable_failing, fail_pending, managed_webhook, WebhookRow};
use super::{audit, not_found, parse_stored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    memberships, outbox_events, programs, users, webhook_attempts, webhook_deliveries, webhooks,
};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct DeliveryRow {
    pub id: DbId,
    pub webhook_id: DbId,
    pub event_id: DbId,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DbTime>,
    pub locked_until: Option<DbTime>,
    pub created_at: DbTime,
    pub delivered_at: Option<DbTime>,
}

impl DeliveryRow {
    /// A delivery of `event` to `webhook`, due now.
    pub(crate) fn due(webhook: DbId, event: DbId, event_type: &str, now: DbTime) -> Self {
        Self {
            id: DbId(Uuid::now_v7()),
            webhook_id: webhook,
            event_id: event,
            event_type: event_type.to_owned(),
            status: DeliveryStatus::Pending.as_str().to_owned(),
            attempts: 0,
            next_attempt_at: Some(now),
            locked_until: None,
            created_at: now,
            delivered_at: None,
        }
    }

    fn into_domain(self, attempts: Vec<Attempt>) -> Result<Delivery, StoreError> {
        Ok(Delivery {
            id: DeliveryId::from_uuid(self.id.0),
            webhook_id: WebhookId::from_uuid(self.webhook_id.0),
            event_id: EventId::from_uuid(self.event_id.0),
            event_type: self.event_type,
            status: parse_stored("webhook_deliveries.status", &self.status, DeliveryStatus::parse)?,
            attempts,
            next_attempt_at: self.next_attempt_at.map(|t| t.0),
            created_at: self.created_at.0,
            delivered_at: self.delivered_at.map(|t| t.0),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
#[diesel(treat_none_as_default_value = false)]
struct AttemptRow {
    id: DbId,
    delivery_id: DbId,
    attempted_at: DbTime,
    response_status: Option<i32>,
    response_ms: i64,
    error: Option<String>,
    response_body: Option<String>,
}

impl AttemptRow {
    fn into_domain(self) -> Attempt {
        Attempt {
            attempted_at: self.attempted_at.0,
            response_status: self.response_status,
            response_ms: self.response_ms,
            error: self.error,
            response_body: self.response_body,
        }
    }
}

/// Deliveries with their attempts, loaded in one more query.
fn with_attempts(conn: &mut DbConnection, rows: Vec<DeliveryRow>) -> Result<Vec<Delivery>, StoreError> {
    let ids: Vec<DbId> = rows.iter().map(|r| r.id).collect();
    let mut attempts: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(ids))
        .order((webhook_attempts::attempted_at.asc(), webhook_attempts::id.asc()))
        .select(AttemptRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let (mine, rest): (Vec<AttemptRow>, Vec<AttemptRow>) =
                attempts.drain(..).partition(|a| a.delivery_id == row.id);
            attempts = rest;
            row.into_domain(mine.into_iter().map(AttemptRow::into_domain).collect())
        })
        .collect()
}

/// A webhook's deliveries in creation order, optionally of one status
/// (its programme's coordinators and admins).
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    webhook: WebhookId,
    status: Option<DeliveryStatus>,
    page: &PageRequest,
) -> Result<Page<Delivery>, StoreError> {
    let hook = managed_webhook(conn, actor, webhook)?;
    let mut query = super::created_page!(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(hook.id))
            .select(DeliveryRow::as_select()),
        webhook_deliveries,
        page
    );
    if let Some(status) = status {
        query = query.filter(webhook_deliveries::status.eq(status.as_str()));
    }
    let rows = query.load::<DeliveryRow>(conn)?;
    let items = with_attempts(conn, rows)?;
    Ok(Page::from_rows(items, page, |d: &Delivery| Cursor { at: d.created_at, id: d.id.as_uuid() }))
}

/// Send a delivery again, now, with the same `webhook-id` (receivers that
/// deduplicate see the same message). A pending delivery is already on its
/// way and is left as it is; a disabled webhook sends nothing (409).
pub fn redeliver(conn: &mut DbConnection, actor: &Actor, id: DeliveryId) -> Result<Delivery, StoreError> {
    let row = super::find_row!(conn, webhook_deliveries, DeliveryRow, id.as_uuid())?
        .ok_or_else(|| not_found("webhook_delivery"))?;
    let hook = managed_webhook(conn, actor, WebhookId::from_uuid(row.webhook_id.0)).map_err(|e| match e {
        StoreError::Domain(DomainError::NotFound { .. }) => not_found("webhook_delivery"),
        other => other,
    })?;
    if !hook.enabled {
        return Err(DomainError::StateConflict {
            code: "webhook_disabled",
            message: Message::new("webhook_disabled"),
        }
        .into());
    }
    let row = if row.status == DeliveryStatus::Pending.as_str() {
        row
    } else {
        let now = DbTime(crate::now());
        diesel::update(webhook_deliveries::table.find(row.id))
            .set((
                webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
                webhook_deliveries::next_attempt_at.eq(Some(now)),
                webhook_deliveries::locked_until.eq(None::<DbTime>),
            ))
            .execute(conn)?;
        audit::Event::new(Some(actor), "webhook_delivery", id.as_uuid(), "redeliver")
            .program(hook.program_id.0)
            .record(conn)?;
        DeliveryRow {
            status: DeliveryStatus::Pending.as_str().to_owned(),
            next_attempt_at: Some(now),
            locked_until: None,
            ..row
        }
    };
    with_attempts(conn, vec![row])?.pop().ok_or_else(|| not_found("webhook_delivery"))
}

/// A delivery a worker has taken: what to send, where, signed with what.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery_id: Uuid,
    /// Attempts made before this one.
    pub attempts_made: i32,
    pub event_id: Uuid,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    /// The event's `data`, as JSON text.
    pub data: String,
    pub webhook_id: Uuid,
    pub url: String,
    /// The secrets that sign: the current one, and the one a rotation
    /// replaced while it still signs.
    pub secrets: Vec<String>,
}

/// A due delivery as [`claim_due`] reads it: the delivery's id and
/// attempts, the event's id, type, time and data, the webhook's id, URL,
/// secret, and the secret a rotation replaced with the time it stops signing.
type DueRow = (DbId, i32, DbId, String, DbTime, String, DbId, String, String, Option<String>, Option<DbTime>);

/// Take up to `limit` due deliveries of enabled webhooks for `lease`
/// (no other worker takes them meanwhile), oldest due first.
pub fn claim_due(conn: &mut DbConnection, lease: Duration, limit: i64) -> Result<Vec<Due>, StoreError> {
    let now = crate::now();
    let ids =
        super::lease_due!(conn, webhook_deliveries, DeliveryStatus::Pending.as_str(), now, lease, limit)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<DueRow> = webhook_deliveries::table
        .inner_join(outbox_events::table)
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq_any(ids))
        .select((
            webhook_deliveries::id,
            webhook_deliveries::attempts,
            outbox_events::id,
            outbox_events::event_type,
            outbox_events::occurred_at,
            outbox_events::data,
            webhooks::id,
            webhooks::url,
            webhooks::secret,
            webhooks::previous_secret,
            webhooks::previous_secret_until,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, attempts, event, event_type, at, data, hook, url, secret, previous, until)| Due {
            delivery_id: id.0,
            attempts_made: attempts,
            event_id: event.0,
            event_type,
            occurred_at: at.0,
            data,
            webhook_id: hook.0,
            url,
            secrets: std::iter::once(secret)
                .chain(previous.filter(|_| until.is_some_and(|u| u.0 > now)))
                .collect(),
        })
        .collect())
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempted_at: DateTime<Utc>,
    pub response_status: Option<i32>,
    pub response_ms: i64,
    pub error: Option<String>,
    pub response_body: Option<String>,
    pub succeeded: bool,
    /// When to try again after a failure; `None`: the schedule is spent.
    pub retry_at: Option<DateTime<Utc>>,
}

/// What [`finish`] did beyond logging the attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    Delivered,
    WillRetry,
    GaveUp,
    /// Failed, and the webhook has failed for too long: it is now disabled,
    /// and those told of it were.
    WebhookDisabled(Disabled),
}

/// A webhook the server disabled, and who is told: the person who
/// subscribed it, or the programme's coordinators when that person no
/// longer can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disabled {
    pub webhook_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub program_title: String,
    pub reason: String,
    pub owners: Vec<Recipient>,
}

/// Log an attempt and move the delivery on; disable the webhook when every
/// attempt has failed for longer than `disable_after`, queueing in the same
/// transaction the message `tell` writes to each owner (none when it
/// answers `None`: no e-mail is sent).
pub fn finish(
    conn: &mut DbConnection,
    delivery: Uuid,
    outcome: &Outcome,
    disable_after: Duration,
    tell: &dyn Fn(&Disabled, &Recipient) -> Option<Mail>,
) -> Result<Finished, StoreError> {
    let kept = outcome.response_body.as_deref().map(|b| truncate(b, RESPONSE_BODY_KEPT));
    let attempt = AttemptRow {
        id: DbId(Uuid::now_v7()),
        delivery_id: DbId(delivery),
        attempted_at: DbTime(outcome.attempted_at),
        response_status: outcome.response_status,
        response_ms: outcome.response_ms,
        error: outcome.error.clone(),
        response_body: kept,
    };
    with_backend_conn!(&mut *conn, c => diesel::insert_into(webhook_attempts::table).values(&attempt).execute(c))?;
    let row: DeliveryRow =
        webhook_deliveries::table.find(DbId(delivery)).select(DeliveryRow::as_select()).first(conn)?;
    let (status, next, delivered, finished) = match (outcome.succeeded, outcome.retry_at) {
        (true, _) => {
            (DeliveryStatus::Succeeded, None, Some(DbTime(outcome.attempted_at)), Finished::Delivered)
        }
        (false, Some(at)) => (DeliveryStatus::Pending, Some(DbTime(at)), None, Finished::WillRetry),
        (false, None) => (DeliveryStatus::Failed, None, None, Finished::GaveUp),
    };
    diesel::update(webhook_deliveries::table.find(row.id))
        .set((
            webhook_deliveries::status.eq(status.as_str()),
            webhook_deliveries::attempts.eq(row.attempts + 1),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::locked_until.eq(None::<DbTime>),
            webhook_deliveries::delivered_at.eq(delivered),
        ))
        .execute(conn)?;
    let hook: WebhookRow =
        webhooks::table.find(row.webhook_id).select(WebhookRow::as_select()).first(conn)?;
    if outcome.succeeded {
        if hook.failing_since.is_some() {
            diesel::update(webhooks::table.find(hook.id))
                .set(webhooks::failing_since.eq(None::<DbTime>))
                .execute(conn)?;
        }
        return Ok(finished);
    }
    let since = match hook.failing_since {
        Some(since) => since,
        None => {
            let since = DbTime(outcome.attempted_at);
            diesel::update(webhooks::table.find(hook.id))
                .set(webhooks::failing_since.eq(Some(since)))
                .execute(conn)?;
            since
        }
    };
    if hook.enabled && outcome.attempted_at - since.0 >= disable_after {
        let reason = format!(
            "every delivery has failed since {} (the last: {})",
            since.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            outcome.error.as_deref().unwrap_or("no 2xx answer")
        );
        disable_failing(conn, &hook, &reason)?;
        fail_pending(conn, hook.id)?;
        let disabled = Disabled {
            webhook_id: hook.id.0,
            program_title: programs::table.find(hook.program_id).select(programs::title).first(conn)?,
            owners: owners(conn, &hook)?,
            url: hook.url,
            description: hook.description,
            reason,
        };
        for owner in &disabled.owners {
            if let Some(mail) = tell(&disabled, owner) {
                queue(conn, &mail)?;
            }
        }
        return Ok(Finished::WebhookDisabled(disabled));
    }
    Ok(finished)
}

/// Who is told about a webhook: whoever subscribed it while they are an
/// active person; otherwise the programme's active coordinators.
fn owners(conn: &mut DbConnection, hook: &WebhookRow) -> Result<Vec<Recipient>, StoreError> {
    type Row = (DbId, String, String, String);
    let person = (users::id, users::email, users::display_name, users::locale);
    let live = users::active.eq(true).and(users::service.eq(false));
    let mut found: Vec<Row> = match hook.created_by {
        Some(creator) => users::table.find(creator).filter(live).select(person).load(conn)?,
        None => Vec::new(),
    };
    if found.is_empty() {
        found = memberships::table
            .inner_join(users::table)
            .filter(memberships::program_id.eq(hook.program_id))
            .filter(memberships::role.eq(ProgramRole::Coordinator.as_str()))
            .filter(live)
            .order(users::email.asc())
            .select(person)
            .load(conn)?;
    }
    Ok(found
        .into_iter()
        .map(|(id, email, name, locale)| Recipient { user_id: id.0, email, name, locale })
        .collect())
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}
