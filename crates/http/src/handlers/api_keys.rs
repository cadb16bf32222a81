//! API keys for integrators: `POST /programs/{id}/api-keys` (the key is
//! shown once), `GET /programs/{id}/api-keys`, `POST /api-keys/{id}/revoke`.
//! A key is sent as `Authorization: Bearer fuk_…` and reads its programme
//! as an observer does (and, with the `webhooks` scope, manages the
//! programme's webhooks). It is not an account: the `/me` calls and sign-out
//! refuse it (401 `not_an_account`, see [`crate::auth::AccountCaller`]).

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use followup_domain::api_keys::{format_key, ApiKey, NewApiKey};
use followup_domain::ids::{ApiKeyId, ProgramId};
use followup_domain::values::ApiKeyScope;
use followup_domain::DomainError;
use followup_persistence::repo::api_keys as repo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{passwords, tokens, CallerToken};
use crate::dto::{IdempotencyKeyHeader, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::Text;
use crate::AppState;

/// An API key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyBody {
    pub id: Uuid,
    pub program_id: Uuid,
    /// What the key is for.
    #[schema(example = "KOICA M&E system")]
    pub name: String,
    /// What the key may do: `read` (always) and `webhooks`.
    #[schema(example = json!(["read", "webhooks"]))]
    pub scopes: Vec<ApiKeyScope>,
    /// The key's service account: an observer of the programme, listed among
    /// its members; it never signs in as a person.
    pub user_id: Uuid,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When the key last authenticated a request (to the minute); `null` if never.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked key is refused (401) at once.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyBody {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.as_uuid(),
            program_id: k.program_id.as_uuid(),
            name: k.name,
            scopes: k.scopes,
            user_id: k.user_id.as_uuid(),
            created_by: k.created_by.map(|id| id.as_uuid()),
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A key just created, with its secret: shown this once, never stored
/// (only its SHA-256 is kept) and left out of an `Idempotency-Key` replay.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreatedBody {
    #[serde(flatten)]
    pub key: ApiKeyBody,
    /// Send it as `Authorization: Bearer <api_key>`. Shown once: absent
    /// when an `Idempotency-Key` replay answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "fuk_01939b7c2f4a7d0e8b5a3c9d1e2f3a4b_kP3x…")]
    pub api_key: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "WhatsApp gateway, Dinas Sosial NTT", "scopes": ["read", "webhooks"]}))]
pub struct CreateApiKeyBody {
    /// What the key is for: an integrator's system, a dashboard.
    #[schema(inline)]
    pub name: Text<200>,
    /// What it may do besides reading (default `["read"]`; `read` is always
    /// held): `webhooks` lets it manage the programme's webhooks. No scope
    /// shows a key a `mentors` comment.
    #[serde(default)]
    pub scopes: Vec<ApiKeyScope>,
}

/// Create an API key for a programme (its coordinator or an admin). The key
/// reads the programme as an observer does — its plans but drafts, their
/// activities, indicators, check-ins and shared comments, the dashboard, the
/// delegates table, the export and the change feed — and writes nothing but,
/// with the `webhooks` scope, the programme's webhooks. Its requests are
/// rate-limited (`FOLLOWUP_API_KEY_RATE` a minute; 429 `rate_limited`) and an
/// `Idempotency-Key` on its POSTs replays as for a person.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "Programme id"), IdempotencyKeyHeader),
    request_body = CreateApiKeyBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `api_key` is shown this once", body = ApiKeyCreatedBody),
        (status = 403, description = "Not a coordinator of the programme nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`name` missing or blank", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/programs/{id}/api-keys")]
pub async fn create_api_key(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateApiKeyBody>,
) -> Result<HttpResponse, ApiError> {
    let name = body.0.name.check("name").map_err(DomainError::from)?;
    let cmd = NewApiKey {
        id: ApiKeyId::new(),
        program_id: ProgramId::from_uuid(id.into_inner()),
        name,
        scopes: body.0.scopes,
    };
    let secret = tokens::new_secret_token();
    let secret_hash = tokens::secret_hash(&secret);
    // The service account's password: random, never shown, never used.
    let unusable = web::block(|| passwords::hash(&passwords::generate()))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    let api_key = format_key(cmd.id, &secret);
    caller
        .respond(
            &state,
            move |c, actor| repo::create(c, actor, &cmd, &secret_hash, &unusable),
            move |key| {
                HttpResponse::Created()
                    .insert_header(("Cache-Control", "no-store"))
                    .json(ApiKeyCreatedBody { key: key.into(), api_key: Some(api_key) })
            },
        )
        .await
}

endpoint! {
    /// A programme's API keys, revoked ones included, without their secrets
    /// (its coordinators and admins).
    list list_api_keys "/programs/{id}/api-keys" tag "api-keys", ProgramId "Programme id", PageQuery,
    ApiKeyBody "A page of keys", errors(403 "Not a coordinator of the programme nor an admin", 404 "No such programme, or not visible to you"),
    |c, actor, id, _, page| repo::list(c, actor, id, page)
}

endpoint! {
    /// Revoke an API key (its programme's coordinator or an admin): from the
    /// next request on it is refused (401). Revoking it again changes nothing.
    action revoke_api_key "/api-keys/{id}/revoke" tag "api-keys", ApiKeyId "API key id", 200 OK "Revoked" ApiKeyBody,
    errors(403 "Not a coordinator of the programme nor an admin", 404 "No such key, or not visible to you"),
    repo::revoke
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_api_key).service(list_api_keys).service(revoke_api_key);
}
