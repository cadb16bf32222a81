//! Webhooks: `POST /programs/{id}/webhooks` (the signing secret is shown
//! once), `GET /programs/{id}/webhooks`, `GET|PATCH|DELETE /webhooks/{id}`,
//! the delivery log `GET /webhooks/{id}/deliveries` and
//! `POST /webhook-deliveries/{id}/redeliver`. Messages follow the Standard
//! Webhooks specification; the document's `webhooks` section describes them.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Utc};
use followup_domain::ids::{DeliveryId, ProgramId, WebhookId};
use followup_domain::webhooks::{
    check_target, Attempt, Delivery, DeliveryStatus, NewWebhook, Webhook, WebhookChanges, EVENT_TYPES,
    SECRET_PREFIX,
};
use followup_domain::Validator;
use followup_persistence::repo::{deliveries, webhooks as repo};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::{created, updated, IfMatch};
use crate::dto::{list_query, nullable, IdempotencyKeyHeader, IfMatchHeader, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;

/// An event type a webhook can subscribe to (see the document's `webhooks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "plan.submitted")]
    PlanSubmitted,
    #[serde(rename = "plan.changes_requested")]
    PlanChangesRequested,
    #[serde(rename = "plan.approved")]
    PlanApproved,
    #[serde(rename = "plan.completed")]
    PlanCompleted,
    #[serde(rename = "plan.discontinued")]
    PlanDiscontinued,
    #[serde(rename = "check_in.posted")]
    CheckInPosted,
    #[serde(rename = "check_in.reviewed")]
    CheckInReviewed,
    #[serde(rename = "check_in.revised")]
    CheckInRevised,
    #[serde(rename = "comment.added")]
    CommentAdded,
    #[serde(rename = "change_request.proposed")]
    ChangeRequestProposed,
    #[serde(rename = "change_request.approved")]
    ChangeRequestApproved,
    #[serde(rename = "change_request.declined")]
    ChangeRequestDeclined,
    #[serde(rename = "membership.added")]
    MembershipAdded,
    #[serde(rename = "membership.removed")]
    MembershipRemoved,
    #[serde(rename = "mentorship.added")]
    MentorshipAdded,
    #[serde(rename = "mentorship.removed")]
    MentorshipRemoved,
    #[serde(rename = "activity.overdue")]
    ActivityOverdue,
    #[serde(rename = "delegate.silent")]
    DelegateSilent,
}

impl EventType {
    /// The wire name, as the domain's event types name it.
    pub fn as_str(self) -> &'static str {
        let index = self as usize;
        EVENT_TYPES.get(index).map(|(name, _)| *name).unwrap_or_default()
    }
}

/// A webhook, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookBody {
    pub id: Uuid,
    pub program_id: Uuid,
    /// Where messages are POSTed.
    #[schema(example = "https://wa-gateway.dinsos.ntt.example.id/followup")]
    pub url: String,
    #[schema(example = "WhatsApp gateway of Dinas Sosial NTT")]
    pub description: Option<String>,
    /// The event types sent; empty: every type.
    #[schema(value_type = Vec<EventType>, example = json!(["plan.submitted", "check_in.posted"]))]
    pub event_types: Vec<String>,
    /// Whether messages are sent. A webhook whose endpoint has failed for
    /// days is disabled by the server (`disabled_reason` says why).
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed; `null` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// After a secret rotation: until when the replaced secret still signs
    /// beside the new one (each message then carries both signatures).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

impl From<Webhook> for WebhookBody {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id.as_uuid(),
            program_id: w.program_id.as_uuid(),
            url: w.url,
            description: w.description,
            event_types: w.event_types,
            enabled: w.enabled,
            disabled_at: w.disabled_at,
            disabled_reason: w.disabled_reason,
            failing_since: w.failing_since,
            version: w.version,
            created_by: w.created_by.map(|id| id.as_uuid()),
            created_at: w.created_at,
            updated_at: w.updated_at,
            previous_secret_expires_at: w.previous_secret_expires_at,
        }
    }
}

/// A webhook just created, with its signing secret: shown this once and
/// left out of an `Idempotency-Key` replay.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreatedBody {
    #[serde(flatten)]
    pub webhook: WebhookBody,
    /// The secret that signs every message (`webhook-signature`, v1,
    /// HMAC-SHA256), as the Standard Webhooks libraries take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://wa-gateway.dinsos.ntt.example.id/followup",
    "event_types": ["plan.submitted", "check_in.posted"],
    "description": "WhatsApp gateway of Dinas Sosial NTT"
}))]
pub struct CreateWebhookBody {
    /// An `https` URL on the internet (loopback, private and link-local
    /// addresses are refused unless the operator allows them).
    #[schema(inline)]
    pub url: Text<2000>,
    /// The event types to send; absent or empty: every type.
    pub event_types: Option<Vec<EventType>>,
    #[schema(inline)]
    pub description: Option<OptionalText<500>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true}))]
pub struct PatchWebhookBody {
    #[schema(inline)]
    pub url: Option<Text<2000>>,
    pub event_types: Option<Vec<EventType>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<500>>, inline)]
    pub description: Option<Option<OptionalText<500>>>,
    /// `false` stops sending (pending deliveries fail); `true` sends again
    /// from the next event on and forgets the failures.
    pub enabled: Option<bool>,
}

fn event_types(types: Option<Vec<EventType>>) -> Option<Vec<String>> {
    types.map(|mut t| {
        t.sort_by_key(|e| *e as usize);
        t.dedup();
        t.into_iter().map(|e| e.as_str().to_owned()).collect()
    })
}

fn check_url(v: &mut Validator, url: &Text<2000>, allow_private: bool) -> Option<String> {
    let url = v.check(url.check("url"))?;
    v.check(check_target("url", &url, allow_private))?;
    Some(url)
}

/// An answer that shows a secret: no cache may keep it.
fn not_stored(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// A new signing secret: 32 random bytes, base64, with the `whsec_` prefix.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Subscribe an endpoint to a programme's events (its coordinator or an
/// admin). Messages carry only what an observer of the programme may see:
/// nothing of a draft plan, never a mentors-only comment.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Programme id"), IdempotencyKeyHeader),
    request_body = CreateWebhookBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = WebhookCreatedBody, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not a coordinator of the programme nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`url` not https (`not_https`), or a loopback, private or link-local target (`target_refused`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/programs/{id}/webhooks")]
pub async fn create_webhook(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateWebhookBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let mut v = Validator::new();
    let url = check_url(&mut v, &body.url, state.webhook_allow_private);
    let description = v.check(check_optional("description", body.description.as_ref())).flatten();
    let cmd = v.finish(|| {
        Some(NewWebhook {
            id: WebhookId::new(),
            program_id: ProgramId::from_uuid(id.into_inner()),
            url: url?,
            description,
            event_types: event_types(body.event_types).unwrap_or_default(),
        })
    })?;
    let secret = new_secret();
    let shown = secret.clone();
    caller
        .respond(
            &state,
            move |c, actor| repo::create(c, actor, &cmd, &secret),
            move |hook| {
                let body = WebhookCreatedBody { webhook: hook.into(), secret: Some(shown) };
                not_stored(created(
                    format!("/api/v1/webhooks/{}", body.webhook.id),
                    body.webhook.version,
                    &body,
                ))
            },
        )
        .await
}

endpoint! {
    /// A programme's webhooks, without their secrets (its coordinators and admins).
    list list_webhooks "/programs/{id}/webhooks" tag "webhooks", ProgramId "Programme id", PageQuery,
    WebhookBody "A page of webhooks", errors(403 "Not a coordinator of the programme nor an admin", 404 "No such programme, or not visible to you"),
    |c, actor, id, _, page| repo::list(c, actor, id, page)
}

endpoint! {
    /// Read a webhook (its programme's coordinators and admins).
    get get_webhook "/webhooks/{id}" tag "webhooks", WebhookId "Webhook id", CallerToken,
    WebhookBody "The webhook", errors(403 "Not a coordinator of the programme nor an admin", 404 "No such webhook, or not visible to you"),
    repo::get
}

/// Change a webhook: its URL, event types, description, or whether it is
/// enabled. Requires `If-Match`.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"), IfMatchHeader),
    request_body = PatchWebhookBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = WebhookBody, headers(("ETag" = String))),
        (status = 403, description = "Not a coordinator of the programme nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`url`: `not_https`, `target_refused`)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match: send the ETag of your last read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn patch_webhook(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    expected: IfMatch,
    body: JsonBody<PatchWebhookBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let mut v = Validator::new();
    let url = body.url.as_ref().map(|u| check_url(&mut v, u, state.webhook_allow_private));
    let description = body.description.map(|d| v.check(check_optional("description", d.as_ref())).flatten());
    let changes = v.finish(|| {
        Some(WebhookChanges {
            url: match url {
                Some(u) => Some(u?),
                None => None,
            },
            description,
            event_types: event_types(body.event_types),
            enabled: body.enabled,
        })
    })?;
    let (id, expected) = (WebhookId::from_uuid(id.into_inner()), expected.0);
    let hook = caller.write(&state, move |c, actor| repo::update(c, actor, id, &changes, &expected)).await?;
    let body = WebhookBody::from(hook);
    Ok(updated(body.version, &body))
}

/// How long a replaced secret keeps signing beside the new one.
const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Give a webhook a new signing secret, shown this once. For the next 24
/// hours each message carries two signatures (`v1,<new> v1,<old>`), so the
/// receiver can switch to the new secret without refusing a message; after
/// that only the new secret signs.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"), IdempotencyKeyHeader),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rotated; `secret` is shown this once", body = WebhookCreatedBody, headers(("ETag" = String))),
        (status = 403, description = "Not a coordinator of the programme nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = WebhookId::from_uuid(id.into_inner());
    let secret = new_secret();
    let shown = secret.clone();
    let overlap = chrono::Duration::hours(ROTATION_OVERLAP_HOURS);
    caller
        .respond(
            &state,
            move |c, actor| repo::rotate_secret(c, actor, id, &secret, overlap),
            move |hook| {
                let body = WebhookCreatedBody { webhook: hook.into(), secret: Some(shown) };
                not_stored(updated(body.webhook.version, &body))
            },
        )
        .await
}

endpoint! {
    /// Remove a webhook and its delivery log. Requires `If-Match`.
    delete delete_webhook "/webhooks/{id}" tag "webhooks", WebhookId "Webhook id", CallerToken,
    errors(403 "Not a coordinator of the programme nor an admin", 404 "No such webhook, or not visible to you"),
    repo::delete
}

/// One attempt at sending a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptBody {
    pub attempted_at: DateTime<Utc>,
    /// What the endpoint answered; `null` when it did not (see `error`).
    #[schema(example = 204)]
    pub response_status: Option<i32>,
    /// How long the attempt took, in milliseconds.
    #[schema(example = 182)]
    pub response_ms: i64,
    /// Why there was no 2xx answer (a timeout, a refused address, a redirect…).
    pub error: Option<String>,
    /// The start of the endpoint's answer (at most 1 KiB).
    pub response_body: Option<String>,
}

impl From<Attempt> for AttemptBody {
    fn from(a: Attempt) -> Self {
        Self {
            attempted_at: a.attempted_at,
            response_status: a.response_status,
            response_ms: a.response_ms,
            error: a.error,
            response_body: a.response_body,
        }
    }
}

/// One event to one webhook, with every attempt made.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The event's id: the message's `webhook-id`, the same on every attempt.
    pub event_id: Uuid,
    #[schema(value_type = EventType)]
    pub event_type: String,
    pub status: DeliveryStatus,
    /// How many attempts were made.
    pub attempts: usize,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When the endpoint answered 2xx.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptBody>,
}

impl From<Delivery> for DeliveryBody {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.as_uuid(),
            webhook_id: d.webhook_id.as_uuid(),
            event_id: d.event_id.as_uuid(),
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts.len(),
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            attempt_log: d.attempts.into_iter().map(AttemptBody::from).collect(),
        }
    }
}

list_query! {
    pub struct ListDeliveriesQuery {
        /// Only deliveries with this status.
        pub status: Option<DeliveryStatus>,
    }
}

endpoint! {
    /// A webhook's delivery log, oldest first (its programme's coordinators and admins).
    list list_deliveries "/webhooks/{id}/deliveries" tag "webhooks", WebhookId "Webhook id", ListDeliveriesQuery,
    DeliveryBody "A page of deliveries", errors(403 "Not a coordinator of the programme nor an admin", 404 "No such webhook, or not visible to you"),
    |c, actor, id, query: ListDeliveriesQuery, page| deliveries::list(c, actor, id, query.status, page)
}

endpoint! {
    /// Send a delivery again now, with the same `webhook-id`. A pending delivery
    /// is already on its way and stays as it is.
    action redeliver "/webhook-deliveries/{id}/redeliver" tag "webhooks", DeliveryId "Delivery id",
    202 ACCEPTED "Queued: it is sent within seconds" DeliveryBody,
    errors(
        403 "Not a coordinator of the programme nor an admin", 404 "No such delivery, or not visible to you",
        409 "`webhook_disabled`: enable the webhook first"
    ),
    deliveries::redeliver
}

/// A webhook message's body (the Standard Webhooks `type`, `timestamp`,
/// `data`). Headers: `webhook-id` (the event's id, the same on every
/// attempt: deduplicate on it), `webhook-timestamp` (Unix seconds) and
/// `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
/// `{webhook-id}.{webhook-timestamp}.{body}` keyed with the secret's bytes).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "check_in.posted",
    "timestamp": "2027-03-02T01:15:42.120381Z",
    "data": {
        "program_id": "0193a0c4-5d2e-7c1a-9f3b-2a6d8e4f1c70",
        "entity_type": "check_in",
        "entity_id": "0193b7e2-1f4c-7a9d-8e2b-5c3a9d7f6e11",
        "plan_id": "0193a1d8-7b3f-7e2a-b4c6-9d8e1f2a3b4c",
        "owner_id": "0193a0c5-2b1d-7f3e-a8c9-6e5d4c3b2a19",
        "plan_status": "active",
        "actor_id": "0193a0c5-2b1d-7f3e-a8c9-6e5d4c3b2a19",
        "version": 1
    }
}))]
pub struct WebhookMessage {
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it happened (the change's commit, to the microsecond).
    pub timestamp: DateTime<Utc>,
    pub data: WebhookEventData,
}

/// What an event names. It carries ids, not copies: read the entity through
/// the API (with an API key of the programme) for its current state.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEventData {
    pub program_id: Uuid,
    /// The kind of entity that changed.
    #[schema(example = "check_in")]
    pub entity_type: WebhookEntity,
    pub entity_id: Uuid,
    /// Who made the change (`null` when the system did).
    pub actor_id: Option<Uuid>,
    /// The plan it belongs to (plans, check-ins, comments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Uuid>,
    /// The plan's owner, the delegate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// The plan's status after the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_status: Option<followup_domain::values::PlanStatus>,
    /// The note of a plan's transition (changes requested, discontinued…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The entity's version after the change, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// `activity.overdue`: the due date that passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<chrono::NaiveDate>,
    /// `delegate.silent`: the date of the delegate's latest check-in in the
    /// programme (or, with none, the end of training): nothing since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silent_since: Option<chrono::NaiveDate>,
    /// `delegate.silent`: the latest check-in's date, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reported_on: Option<chrono::NaiveDate>,
}

/// The kinds of entity an event names.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEntity {
    Plan,
    CheckIn,
    Comment,
    Membership,
    Mentorship,
    Activity,
    /// A person (`delegate.silent`: the delegate).
    User,
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(patch_webhook)
        .service(delete_webhook)
        .service(list_deliveries)
        .service(redeliver)
        .service(rotate_secret);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_of_the_api_are_the_domains() {
        let all: Vec<EventType> = EVENT_TYPES
            .iter()
            .map(|(name, _)| serde_json::from_value(serde_json::json!(name)))
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        assert_eq!(all.len(), EVENT_TYPES.len());
        for (i, t) in all.iter().enumerate() {
            assert_eq!(*t as usize, i);
            assert_eq!(serde_json::json!(t), serde_json::json!(t.as_str()));
        }
    }

    #[test]
    fn secrets_decode_to_32_bytes() {
        let s = new_secret();
        let raw = s.strip_prefix(SECRET_PREFIX).unwrap_or_default();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(raw).map(|b| b.len()).ok(), Some(32));
        assert_ne!(new_secret(), s);
    }
}
