//! The outbox: each change that others are told of (a plan submitted, a
//! check-in posted, someone joining a programme…) becomes a domain event,
//! written by the audit hook in the change's own transaction. The worker
//! then fans each event out to the webhooks that want it ([`dispatch`]),
//! once, whichever instance gets there first.

use diesel::prelude::*;
use followup_domain::webhooks::Audience;
use serde_json::json;
use uuid::Uuid;

use super::deliveries::DeliveryRow;
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{outbox_events, webhook_attempts, webhook_deliveries, webhooks};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox_events)]
pub(crate) struct OutboxRow {
    pub id: DbId,
    pub occurred_at: DbTime,
    pub program_id: DbId,
    pub event_type: String,
    pub audience: String,
    pub data: String,
    pub dispatched_at: Option<DbTime>,
}

/// What an audited change that others are told of says about itself.
pub(crate) struct Change<'a> {
    pub event_type: &'a str,
    pub program_id: Uuid,
    /// As the audit log names it (`mentor_comment` for a mentors-only comment).
    pub entity_type: &'a str,
    pub entity_id: Uuid,
    pub actor_id: Option<Uuid>,
    /// The plan, with its owner and status after the change when known.
    pub plan: Option<(Uuid, Option<(Uuid, &'a str)>)>,
    pub reason: Option<&'a str>,
    pub version: Option<i64>,
    /// Dates a time-based event states (`due_on`, `silent_since`…).
    pub dates: &'a [(&'a str, chrono::NaiveDate)],
}

/// Write the domain event of an audited change: what happened, to what, in
/// which programme and plan, by whom. It names things by id (the receiver
/// reads them through the API with its own rights) and says nothing a
/// programme observer may not know of an event meant for them.
pub(crate) fn publish(conn: &mut DbConnection, change: &Change<'_>) -> Result<(), StoreError> {
    let scope = change.plan.and_then(|(_, scope)| scope);
    let audience = Audience::of(change.entity_type, scope.map(|(_, status)| status));
    let entity_type = if change.entity_type == "mentor_comment" { "comment" } else { change.entity_type };
    let mut data = json!({
        "program_id": change.program_id,
        "entity_type": entity_type,
        "entity_id": change.entity_id,
        "actor_id": change.actor_id,
    });
    if let (Some(fields), Some((plan_id, _))) = (data.as_object_mut(), change.plan) {
        fields.insert("plan_id".into(), json!(plan_id));
        if let Some((owner, status)) = scope {
            fields.insert("owner_id".into(), json!(owner));
            fields.insert("plan_status".into(), json!(status));
        }
        if entity_type == "plan" || entity_type == "change_request" {
            fields.insert("reason".into(), json!(change.reason));
        }
    }
    if let (Some(fields), Some(version)) = (data.as_object_mut(), change.version) {
        fields.insert("version".into(), json!(version));
    }
    if let Some(fields) = data.as_object_mut() {
        for (name, date) in change.dates {
            fields.insert((*name).into(), json!(date));
        }
    }
    let row = OutboxRow {
        id: DbId(Uuid::now_v7()),
        occurred_at: DbTime(crate::now()),
        program_id: DbId(change.program_id),
        event_type: change.event_type.to_owned(),
        audience: audience.as_str().to_owned(),
        data: data.to_string(),
        dispatched_at: None,
    };
    with_backend_conn!(conn, c => diesel::insert_into(outbox_events::table).values(&row).execute(c))?;
    Ok(())
}

/// Fan out up to `limit` undispatched events, oldest first: a pending
/// delivery for each enabled webhook of the event's programme that wants
/// its type (a webhook gets only what a programme observer may see). Each
/// event is dispatched once: on PostgreSQL the events are locked with
/// `SKIP LOCKED`, so instances sharing the database take different ones;
/// SQLite has one writer. Returns how many events were dispatched.
pub fn dispatch(conn: &mut DbConnection, limit: i64) -> Result<usize, StoreError> {
    macro_rules! pending {
        () => {
            outbox_events::table
                .filter(outbox_events::dispatched_at.is_null())
                .order(outbox_events::id.asc())
                .limit(limit)
                .select(OutboxRow::as_select())
        };
    }
    let events: Vec<OutboxRow> = match conn {
        DbConnection::Postgres(c) => pending!().for_update().skip_locked().load(c)?,
        DbConnection::Sqlite(c) => pending!().load(c)?,
    };
    if events.is_empty() {
        return Ok(0);
    }
    let now = DbTime(crate::now());
    let programs: Vec<DbId> = events.iter().map(|e| e.program_id).collect();
    let hooks: Vec<(DbId, DbId, String, DbTime)> = webhooks::table
        .filter(webhooks::program_id.eq_any(programs).and(webhooks::enabled.eq(true)))
        .select((webhooks::id, webhooks::program_id, webhooks::event_types, webhooks::created_at))
        .load(conn)?;
    let mut deliveries = Vec::new();
    for event in &events {
        if Audience::parse(&event.audience) != Some(Audience::Programme) {
            continue;
        }
        // A webhook gets the events that happened after it was created.
        for (hook, program, types, since) in &hooks {
            let wanted: Vec<String> = serde_json::from_str(types).unwrap_or_default();
            if *program == event.program_id
                && event.occurred_at.0 >= since.0
                && (wanted.is_empty() || wanted.contains(&event.event_type))
            {
                deliveries.push(DeliveryRow::due(*hook, event.id, &event.event_type, now));
            }
        }
    }
    for chunk in deliveries.chunks(500) {
        with_backend_conn!(&mut *conn, c => diesel::insert_into(webhook_deliveries::table).values(chunk).execute(c))?;
    }
    let ids: Vec<DbId> = events.iter().map(|e| e.id).collect();
    diesel::update(outbox_events::table.filter(outbox_events::id.eq_any(ids)))
        .set(outbox_events::dispatched_at.eq(Some(now)))
        .execute(conn)?;
    Ok(events.len())
}

/// Whether the worker has anything to do: an undispatched event, or a
/// pending delivery that is due. Read on a read connection, so an idle
/// worker never takes the writer.
pub fn has_work(conn: &mut DbConnection) -> Result<bool, StoreError> {
    let now = DbTime(crate::now());
    let events: bool = diesel::select(diesel::dsl::exists(
        outbox_events::table.filter(outbox_events::dispatched_at.is_null()),
    ))
    .get_result(conn)?;
    if events {
        return Ok(true);
    }
    Ok(diesel::select(diesel::dsl::exists(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.eq("pending"))
            .filter(webhook_deliveries::next_attempt_at.le(now)),
    ))
    .get_result(conn)?)
}

/// Forget events dispatched before `cutoff` whose deliveries are all
/// finished (succeeded or failed), with their deliveries and attempt logs;
/// an event still waiting for a delivery is kept. Returns how many events.
pub fn prune(conn: &mut DbConnection, cutoff: chrono::DateTime<chrono::Utc>) -> Result<usize, StoreError> {
    let waiting = diesel::dsl::exists(
        webhook_deliveries::table
            .filter(webhook_deliveries::event_id.eq(outbox_events::id))
            .filter(webhook_deliveries::status.eq("pending")),
    );
    let doomed: Vec<DbId> = outbox_events::table
        .filter(outbox_events::dispatched_at.lt(DbTime(cutoff)))
        .filter(diesel::dsl::not(waiting))
        .select(outbox_events::id)
        .limit(10_000)
        .load(conn)?;
    if doomed.is_empty() {
        return Ok(0);
    }
    // Deliveries (and their attempts) go with their event.
    let deliveries: Vec<DbId> = webhook_deliveries::table
        .filter(webhook_deliveries::event_id.eq_any(doomed.clone()))
        .select(webhook_deliveries::id)
        .load(conn)?;
    for chunk in deliveries.chunks(1000) {
        diesel::delete(webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(chunk.to_vec())))
            .execute(conn)?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(chunk.to_vec())))
            .execute(conn)?;
    }
    let mut removed = 0;
    for chunk in doomed.chunks(1000) {
        removed += diesel::delete(outbox_events::table.filter(outbox_events::id.eq_any(chunk.to_vec())))
            .execute(conn)?;
    }
    Ok(removed)
}

/// What waits for the worker, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Backlog {
    /// Events not yet fanned out to webhooks.
    pub undispatched: i64,
    /// Deliveries waiting for an attempt (due or not).
    pub pending: i64,
    /// When the oldest waiting delivery was created.
    pub oldest_pending: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn backlog(conn: &mut DbConnection) -> Result<Backlog, StoreError> {
    let undispatched: i64 =
        outbox_events::table.filter(outbox_events::dispatched_at.is_null()).count().get_result(conn)?;
    let pending_rows = webhook_deliveries::table.filter(webhook_deliveries::status.eq("pending"));
    let pending: i64 = pending_rows.count().get_result(conn)?;
    let oldest: Option<DbTime> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .order(webhook_deliveries::created_at.asc())
        .select(webhook_deliveries::created_at)
        .first(conn)
        .optional()?;
    Ok(Backlog { undispatched, pending, oldest_pending: oldest.map(|t| t.0) })
}

/// A published event, for tests and the demo.
#[derive(Debug, Clone)]
pub struct PublishedEvent {
    pub id: Uuid,
    pub event_type: String,
    pub audience: String,
    pub data: serde_json::Value,
}

/// A programme's events, oldest first.
pub fn of_program(conn: &mut DbConnection, program: Uuid) -> Result<Vec<PublishedEvent>, StoreError> {
    let rows: Vec<OutboxRow> = outbox_events::table
        .filter(outbox_events::program_id.eq(DbId(program)))
        .order(outbox_events::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| PublishedEvent {
            id: r.id.0,
            event_type: r.event_type,
            audience: r.audience,
            data: serde_json::from_str(&r.data).unwrap_or_default(),
        })
        .collect())
}
