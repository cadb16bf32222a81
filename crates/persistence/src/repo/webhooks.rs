//! Webhooks: created, read, changed and removed by a programme's coordinator
//! (or an admin). The signing secret is kept (every message is signed with
//! it) but never read back through the API after the webhook is created.

use diesel::prelude::*;
use followup_domain::ids::{ProgramId, UserId, WebhookId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::precondition::Precondition;
use followup_domain::values::ApiKeyScope;
use followup_domain::webhooks::{NewWebhook, Webhook, WebhookChanges};
use followup_domain::Actor;

use super::api_keys::key_may;
use super::programs::managed_for;
use super::{audit, check_version, not_found};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{webhook_deliveries, webhooks};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct WebhookRow {
    pub id: DbId,
    pub program_id: DbId,
    pub url: String,
    pub description: Option<String>,
    pub event_types: String,
    pub secret: String,
    pub enabled: bool,
    pub disabled_at: Option<DbTime>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DbTime>,
    pub version: i64,
    pub created_by: Option<DbId>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DbTime>,
}

impl WebhookRow {
    fn into_domain(self) -> Webhook {
        Webhook {
            id: WebhookId::from_uuid(self.id.0),
            program_id: ProgramId::from_uuid(self.program_id.0),
            url: self.url,
            description: self.description,
            event_types: serde_json::from_str(&self.event_types).unwrap_or_default(),
            enabled: self.enabled,
            disabled_at: self.disabled_at.map(|t| t.0),
            disabled_reason: self.disabled_reason,
            failing_since: self.failing_since.map(|t| t.0),
            version: self.version,
            created_by: self.created_by.map(|id| UserId::from_uuid(id.0)),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            previous_secret_expires_at: self.previous_secret_until.map(|t| t.0).filter(|t| *t > crate::now()),
        }
    }
}

fn types_json(types: &[String]) -> String {
    serde_json::Value::from(types.to_vec()).to_string()
}

/// Subscribe an endpoint to a programme's events (its coordinator or an
/// admin). `secret` signs every message.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    cmd: &NewWebhook,
    secret: &str,
) -> Result<Webhook, StoreError> {
    webhooks_managed(conn, actor, cmd.program_id, "program")?;
    let now = DbTime(crate::now());
    let row = WebhookRow {
        id: DbId(cmd.id.as_uuid()),
        program_id: DbId(cmd.program_id.as_uuid()),
        url: cmd.url.clone(),
        description: cmd.description.clone(),
        event_types: types_json(&cmd.event_types),
        secret: secret.to_owned(),
        enabled: true,
        disabled_at: None,
        disabled_reason: None,
        failing_since: None,
        version: 1,
        created_by: Some(DbId(actor.user_id.as_uuid())),
        created_at: now,
        updated_at: now,
        previous_secret: None,
        previous_secret_until: None,
    };
    diesel::insert_into(webhooks::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "webhook", cmd.id.as_uuid(), "create")
        .program(cmd.program_id.as_uuid())
        .fields(&["url", "event_types", "description"])
        .version(1)
        .record(conn)?;
    Ok(row.into_domain())
}

/// A programme's webhooks, in creation order (its coordinators and admins).
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    program_id: ProgramId,
    page: &PageRequest,
) -> Result<Page<Webhook>, StoreError> {
    webhooks_managed(conn, actor, program_id, "program")?;
    let query = super::created_page!(
        webhooks::table
            .filter(webhooks::program_id.eq(DbId(program_id.as_uuid())))
            .select(WebhookRow::as_select()),
        webhooks,
        page
    );
    let items = query.load::<WebhookRow>(conn)?.into_iter().map(WebhookRow::into_domain).collect();
    Ok(Page::from_rows(items, page, |w: &Webhook| Cursor { at: w.created_at, id: w.id.as_uuid() }))
}

/// The webhook, when the actor manages its programme (404 otherwise, so a
/// webhook's id tells nothing to others).
pub(crate) fn managed_webhook(
    conn: &mut DbConnection,
    actor: &Actor,
    id: WebhookId,
) -> Result<WebhookRow, StoreError> {
    let row =
        super::find_row!(conn, webhooks, WebhookRow, id.as_uuid())?.ok_or_else(|| not_found("webhook"))?;
    webhooks_managed(conn, actor, ProgramId::from_uuid(row.program_id.0), "webhook")?;
    Ok(row)
}

/// Whether `actor` manages `program`'s webhooks: its coordinators, admins,
/// and its API keys with the `webhooks` scope. Otherwise the refusal
/// `managed_for` words (404 for a resource of a hidden programme, named
/// `entity`; 403 for one the actor sees).
fn webhooks_managed(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    entity: &'static str,
) -> Result<(), StoreError> {
    match managed_for(conn, actor, program, entity) {
        Ok(_) => Ok(()),
        Err(_) if key_may(conn, actor, program, ApiKeyScope::Webhooks)? => Ok(()),
        Err(refused) => Err(refused),
    }
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: WebhookId) -> Result<Webhook, StoreError> {
    Ok(managed_webhook(conn, actor, id)?.into_domain())
}

/// Change a webhook. Enabling it again forgets its failures; the deliveries
/// it missed while disabled stay failed (redeliver them one by one).
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: WebhookId,
    changes: &WebhookChanges,
    if_match: &Precondition,
) -> Result<Webhook, StoreError> {
    let current = managed_webhook(conn, actor, id)?;
    check_version(if_match, current.version)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return Ok(current.into_domain());
    }
    let now = DbTime(crate::now());
    let enabled = changes.enabled.unwrap_or(current.enabled);
    let mut next = WebhookRow {
        url: changes.url.clone().unwrap_or(current.url.clone()),
        description: match &changes.description {
            Some(d) => d.clone(),
            None => current.description.clone(),
        },
        event_types: changes.event_types.as_deref().map(types_json).unwrap_or(current.event_types.clone()),
        enabled,
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    if enabled && !current.enabled {
        next.disabled_at = None;
        next.disabled_reason = None;
        next.failing_since = None;
    } else if !enabled && current.enabled {
        next.disabled_at = Some(now);
        next.disabled_reason = Some("disabled by a coordinator".into());
    }
    let n = diesel::update(super::at_version!(webhooks, current))
        .set((
            webhooks::url.eq(&next.url),
            webhooks::description.eq(&next.description),
            webhooks::event_types.eq(&next.event_types),
            webhooks::enabled.eq(next.enabled),
            webhooks::disabled_at.eq(next.disabled_at),
            webhooks::disabled_reason.eq(&next.disabled_reason),
            webhooks::failing_since.eq(next.failing_since),
            webhooks::version.eq(next.version),
            webhooks::updated_at.eq(now),
        ))
        .execute(conn)?;
    super::require_updated(n, current.version + 1)?;
    if !enabled && current.enabled {
        fail_pending(conn, current.id)?;
    }
    audit::Event::new(Some(actor), "webhook", id.as_uuid(), "update")
        .program(current.program_id.0)
        .fields(&fields)
        .version(next.version)
        .record(conn)?;
    Ok(next.into_domain())
}

/// Give a webhook a new signing secret. The one it replaces keeps signing
/// beside it for `overlap` (each message then carries both signatures), so
/// the receiver can switch without refusing a message.
pub fn rotate_secret(
    conn: &mut DbConnection,
    actor: &Actor,
    id: WebhookId,
    secret: &str,
    overlap: chrono::Duration,
) -> Result<Webhook, StoreError> {
    let current = managed_webhook(conn, actor, id)?;
    let now = DbTime(crate::now());
    let next = WebhookRow {
        secret: secret.to_owned(),
        previous_secret: Some(current.secret.clone()),
        previous_secret_until: Some(DbTime(now.0 + overlap)),
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    diesel::update(webhooks::table.find(current.id))
        .set((
            webhooks::secret.eq(&next.secret),
            webhooks::previous_secret.eq(&next.previous_secret),
            webhooks::previous_secret_until.eq(next.previous_secret_until),
            webhooks::version.eq(next.version),
            webhooks::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::Event::new(Some(actor), "webhook", id.as_uuid(), "rotate_secret")
        .program(current.program_id.0)
        .fields(&["secret"])
        .version(next.version)
        .record(conn)?;
    Ok(next.into_domain())
}

/// Remove a webhook and its delivery log.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: WebhookId,
    if_match: &Precondition,
) -> Result<(), StoreError> {
    let current = managed_webhook(conn, actor, id)?;
    check_version(if_match, current.version)?;
    diesel::delete(webhooks::table.find(current.id)).execute(conn)?;
    audit::Event::new(Some(actor), "webhook", id.as_uuid(), "delete")
        .program(current.program_id.0)
        .version(current.version)
        .record(conn)
}

/// Disable a webhook whose endpoint has failed since `failing_since`, saying
/// why; the system does it, so the audit event has no actor.
pub(crate) fn disable_failing(
    conn: &mut DbConnection,
    row: &WebhookRow,
    reason: &str,
) -> Result<(), StoreError> {
    let now = DbTime(crate::now());
    diesel::update(webhooks::table.find(row.id))
        .set((
            webhooks::enabled.eq(false),
            webhooks::disabled_at.eq(Some(now)),
            webhooks::disabled_reason.eq(Some(reason)),
            webhooks::version.eq(webhooks::version + 1),
            webhooks::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::Event::new(None, "webhook", row.id.0, "disable")
        .program(row.program_id.0)
        .fields(&["enabled"])
        .reason(Some(reason))
        .record(conn)
}

/// A disabled webhook's pending deliveries fail: nothing is sent to it.
pub(crate) fn fail_pending(conn: &mut DbConnection, webhook: DbId) -> Result<usize, StoreError> {
    Ok(diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(webhook).and(webhook_deliveries::status.eq("pending"))),
    )
    .set((
        webhook_deliveries::status.eq("failed"),
        webhook_deliveries::next_attempt_at.eq(None::<DbTime>),
        webhook_deliveries::locked_until.eq(None::<DbTime>),
    ))
    .execute(conn)?)
}
