//! Comments: `/plans/{id}/comments`, `/comments/{id}`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::{if_match, ok_versioned, updated};
use crate::dto::{addressable, created_or_existing, IdempotencyKeyHeader, IfMatchHeader, PageQuery};
use crate::json::JsonBody;
use crate::paging::{self, PageBody};
use crate::problem::{ApiError, Problem};
use crate::text::Text;
use crate::AppState;
use followup_domain::comments::{Comment, NewComment};
use followup_domain::ids::{CommentId, PlanId};
use followup_domain::values::{CommentTarget, Visibility};
use followup_domain::{DomainError, FieldError, Validator};
use followup_persistence::repo::comments as repo;
/// A comment on a plan, or on one of its activities, indicators or check-ins.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentBody {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub target_type: Option<CommentTarget>,
    pub target_id: Option<Uuid>,
    pub author_id: Uuid,
    #[schema(example = "Good start. Could the youth themselves co-lead the second session?")]
    pub body: String,
    /// `mentors`: never shown to the delegate or observers.
    pub visibility: Visibility,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

addressable!(CommentBody, "/api/v1/comments/{}", id);

impl From<Comment> for CommentBody {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id.as_uuid(),
            plan_id: c.plan_id.as_uuid(),
            target_type: c.target.map(|(k, _)| k),
            target_id: c.target.map(|(_, id)| id),
            author_id: c.author_id.as_uuid(),
            body: c.body,
            visibility: c.visibility,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "body": "Good start. Could the attendance sheet show which districts came?",
    "visibility": "shared",
    "target_type": "check_in",
    "target_id": "5f0c1c52-8d1e-4d0a-b6b3-0f3e1d2a7c44"
}))]
pub struct CreateCommentBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    #[schema(inline)]
    pub body: Text<10_000>,
    /// Default `shared`.
    pub visibility: Option<Visibility>,
    pub target_type: Option<CommentTarget>,
    /// An activity, indicator or check-in of the same plan.
    pub target_id: Option<Uuid>,
}

impl TryFrom<CreateCommentBody> for NewComment {
    type Error = DomainError;
    fn try_from(b: CreateCommentBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let body = v.check(b.body.check("body"));
        let target = match (b.target_type, b.target_id) {
            (Some(kind), Some(id)) => Some((kind, id)),
            (None, None) => None,
            (Some(_), None) => {
                v.push(FieldError::new("target_id", "required", "is required with target_type"));
                None
            }
            (None, Some(_)) => {
                v.push(FieldError::new("target_type", "required", "is required with target_id"));
                None
            }
        };
        v.finish(|| {
            Some(NewComment {
                id: b.id.map(CommentId::from_uuid).unwrap_or_default(),
                body: body?,
                visibility: b.visibility.unwrap_or(Visibility::Shared),
                target,
            })
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCommentBody {
    #[schema(inline)]
    pub body: Text<10_000>,
}

/// A plan's comments, oldest first. The owner and observers never receive `mentors` comments.
#[utoipa::path(
    tag = "comments",
    params(("id" = Uuid, Path, description = "Plan id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of comments", body = PageBody<CommentBody>),
        (status = 404, description = "No such plan, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/plans/{id}/comments")]
pub async fn list_comments(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::query::QueryParams<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, query.cursor.as_deref())?;
    let id = PlanId::from_uuid(id.into_inner());
    let result = caller.read(&state, move |c, actor| repo::list_comments(c, actor, id, &page)).await?;
    Ok(paging::respond(&req, result.map(CommentBody::from)))
}

/// Comment on a plan: its owner (`shared` only), the owner's mentors, coordinators.
#[utoipa::path(
    tag = "comments",
    params(("id" = Uuid, Path, description = "Plan id"), IdempotencyKeyHeader),
    request_body = CreateCommentBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Posted", body = CommentBody, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "The same create sent again (client-supplied id)", body = CommentBody),
        (status = 403, description = "Not allowed to comment (or to write a `mentors` comment)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such plan, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`target_id` not of this plan…)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/plans/{id}/comments")]
pub async fn create_comment(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateCommentBody>,
) -> Result<HttpResponse, ApiError> {
    let cmd = NewComment::try_from(body.0)?;
    let id = PlanId::from_uuid(id.into_inner());
    caller
        .respond(
            &state,
            move |c, actor| repo::create_comment(c, actor, id, &cmd),
            |result| created_or_existing(result, CommentBody::from),
        )
        .await
}

/// Read a comment.
#[utoipa::path(
    tag = "comments",
    params(("id" = Uuid, Path, description = "Comment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The comment", body = CommentBody, headers(("ETag" = String))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such comment, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/comments/{id}")]
pub async fn get_comment(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CommentId::from_uuid(id.into_inner());
    let c = caller.read(&state, move |c, actor| repo::get_comment(c, actor, id)).await?;
    Ok(ok_versioned(&req, c.version, &CommentBody::from(c)))
}

/// Edit your comment. Honours `If-Match`.
#[utoipa::path(
    tag = "comments",
    params(("id" = Uuid, Path, description = "Comment id"), IfMatchHeader),
    request_body = PatchCommentBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = CommentBody, headers(("ETag" = String))),
        (status = 403, description = "Not the author", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such comment, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/comments/{id}")]
pub async fn patch_comment(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<PatchCommentBody>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let text = body.0.body.check("body").map_err(|e| DomainError::Invalid(vec![e]))?;
    let id = CommentId::from_uuid(id.into_inner());
    let c =
        caller.write(&state, move |c, actor| repo::update_comment(c, actor, id, &text, &expected)).await?;
    Ok(updated(c.version, &CommentBody::from(c)))
}

/// Delete your comment. Honours `If-Match`.
#[utoipa::path(
    tag = "comments",
    params(("id" = Uuid, Path, description = "Comment id"), IfMatchHeader),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the author", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such comment, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/comments/{id}")]
pub async fn delete_comment(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let id = CommentId::from_uuid(id.into_inner());
    caller.write(&state, move |c, actor| repo::delete_comment(c, actor, id, &expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_comments)
        .service(create_comment)
        .service(get_comment)
        .service(patch_comment)
        .service(delete_comment);
}
