//! Comments: `/plans/{id}/comments`, `/comments/{id}`.

use actix_web::{delete, get, patch, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::dto::{addressable, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::text::Text;
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

endpoint! {
    /// A plan's comments, oldest first. The owner and observers never receive `mentors` comments.
    list list_comments "/plans/{id}/comments" tag "comments", PlanId "Plan id", PageQuery,
    CommentBody "A page of comments", errors(404 "No such plan, or not visible to you"),
    |c, actor, id, _, page| repo::list_comments(c, actor, id, page)
}

endpoint! {
    /// Comment on a plan: its owner (`shared` only), the owner's mentors, coordinators.
    create create_comment "/plans/{id}/comments" tag "comments", PlanId "Plan id",
    CreateCommentBody => NewComment::try_from, CommentBody "Posted",
    errors(
        403 "Not allowed to comment (or to write a `mentors` comment)", 404 "No such plan, or not visible to you",
        422 "Invalid fields (`target_id` not of this plan…)"
    ),
    repo::create_comment
}

endpoint! {
    /// Read a comment.
    get get_comment "/comments/{id}" tag "comments", CommentId "Comment id", CallerToken,
    CommentBody "The comment", errors(404 "No such comment, or not visible to you"),
    repo::get_comment
}

endpoint! {
    /// Edit your comment. Honours `If-Match`.
    patch patch_comment "/comments/{id}" tag "comments", CommentId "Comment id", CallerToken,
    PatchCommentBody => |b: PatchCommentBody| b.body.check("body").map_err(DomainError::from), CommentBody "Changed",
    errors(403 "Not the author", 404 "No such comment, or not visible to you"),
    repo::update_comment
}

endpoint! {
    /// Delete your comment. Honours `If-Match`.
    delete delete_comment "/comments/{id}" tag "comments", CommentId "Comment id", CallerToken,
    errors(403 "Not the author", 404 "No such comment, or not visible to you"),
    repo::delete_comment
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_comments)
        .service(create_comment)
        .service(get_comment)
        .service(patch_comment)
        .service(delete_comment);
}
