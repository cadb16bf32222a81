//! The audit log: append-only, written in the same transaction as the change.
//! Recording an event also appends the change to the sync sequence (`changes`).

use diesel::prelude::*;
use followup_domain::Actor;
use uuid::Uuid;

use super::rows::AuditRow;
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::audit_events;
use crate::sql_types::{DbId, DbTime};

/// One audit event. `fields` names what changed; values of secrets (password
/// hashes, tokens) are never recorded.
pub struct Event<'a> {
    pub actor: Option<&'a Actor>,
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    pub program_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    pub action: &'static str,
    pub fields: &'a [&'a str],
    pub reason: Option<&'a str>,
    /// The entity's version after the change (before it, for a delete), when known.
    pub version: Option<i64>,
    /// The plan's owner and status, when the caller has just read them (the
    /// change feed needs them; otherwise it reads them).
    pub plan_scope: Option<(Uuid, &'a str)>,
}

impl<'a> Event<'a> {
    /// An event with no programme, plan, fields or reason; add them with the setters.
    pub fn new(
        actor: Option<&'a Actor>,
        entity_type: &'static str,
        entity_id: Uuid,
        action: &'static str,
    ) -> Self {
        Self {
            actor,
            entity_type,
            entity_id,
            program_id: None,
            plan_id: None,
            action,
            fields: &[],
            reason: None,
            version: None,
            plan_scope: None,
        }
    }

    pub fn program(mut self, id: Uuid) -> Self {
        self.program_id = Some(id);
        self
    }

    pub fn plan(mut self, id: Uuid) -> Self {
        self.plan_id = Some(id);
        self
    }

    /// The plan the entity belongs to, and the plan's programme.
    pub fn in_plan(self, plan: &followup_domain::plans::Plan) -> Self {
        self.program(plan.program_id.as_uuid()).plan(plan.id.as_uuid())
    }

    /// The plan, with its owner and status as the caller read them in this
    /// transaction (saves the change feed reading them again).
    pub fn plan_read(mut self, id: Uuid, owner: Uuid, status: &'a str) -> Self {
        self.plan_id = Some(id);
        self.plan_scope = Some((owner, status));
        self
    }

    pub fn fields(mut self, fields: &'a [&'a str]) -> Self {
        self.fields = fields;
        self
    }

    pub fn version(mut self, version: i64) -> Self {
        self.version = Some(version);
        self
    }

    pub fn reason(mut self, reason: Option<&'a str>) -> Self {
        self.reason = reason;
        self
    }

    /// Write the event on `conn`, inside the caller's transaction.
    pub fn record(self, conn: &mut DbConnection) -> Result<(), StoreError> {
        record(conn, self)
    }
}

pub fn record(conn: &mut DbConnection, event: Event<'_>) -> Result<(), StoreError> {
    let changes = serde_json::json!({ "fields": event.fields }).to_string();
    let row = AuditRow {
        id: DbId(Uuid::now_v7()),
        occurred_at: DbTime(crate::now()),
        actor_id: event.actor.map(|a| DbId(a.user_id.as_uuid())),
        entity_type: event.entity_type.to_owned(),
        entity_id: DbId(event.entity_id),
        program_id: event.program_id.map(DbId),
        plan_id: event.plan_id.map(DbId),
        action: event.action.to_owned(),
        changes,
        reason: event.reason.map(str::to_owned),
    };
    with_backend_conn!(conn, c => diesel::insert_into(audit_events::table).values(&row).execute(c))?;
    let published = followup_domain::webhooks::event_type_of(event.entity_type, event.action);
    // A published event needs the plan's owner and status: read them once
    // for both the change feed and the outbox.
    let read_scope = match (published, event.plan_id, event.plan_scope) {
        (Some(_), Some(plan), None) => Some(super::changes::plan_scope(conn, plan)?),
        _ => None,
    };
    let plan_scope = read_scope.as_ref().map(|s| (s.owner, s.status.as_str())).or(event.plan_scope);
    // The same change, numbered for clients that sync.
    super::changes::for_event(
        conn,
        event.entity_type,
        event.entity_id,
        event.program_id,
        event.plan_id.map(|id| super::changes::PlanRef { id, read: plan_scope }),
        event.action,
        event.version.unwrap_or(0),
    )?;
    // And, when others are told of it, the domain event in the outbox.
    match (published, event.program_id) {
        (Some(event_type), Some(program_id)) => super::outbox::publish(
            conn,
            &super::outbox::Change {
                event_type,
                program_id,
                entity_type: event.entity_type,
                entity_id: event.entity_id,
                actor_id: event.actor.map(|a| a.user_id.as_uuid()),
                plan: event.plan_id.map(|id| (id, plan_scope)),
                reason: event.reason,
                version: event.version,
                dates: &[],
            },
        ),
        _ => Ok(()),
    }
}

/// A stored audit event, for tests and the history endpoint.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub actor_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub action: String,
    pub changes: String,
    pub reason: Option<String>,
}

/// Audit events of one entity, oldest first.
pub fn for_entity(conn: &mut DbConnection, entity_id: Uuid) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<AuditRow> = audit_events::table
        .filter(audit_events::entity_id.eq(DbId(entity_id)))
        .order((audit_events::occurred_at.asc(), audit_events::id.asc()))
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| StoredEvent {
            actor_id: r.actor_id.map(|a| a.0),
            entity_type: r.entity_type,
            entity_id: r.entity_id.0,
            action: r.action,
            changes: r.changes,
            reason: r.reason,
        })
        .collect())
}
