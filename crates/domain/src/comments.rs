//! Comments on a plan or on one of its activities, indicators or
//! check-ins; `mentors` comments are hidden from the delegate and observers.

use chrono::{DateTime, Utc};

use crate::ids::{CommentId, PlanId, UserId};
use crate::values::{CommentTarget, Visibility};

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: CommentId,
    pub plan_id: PlanId,
    pub target: Option<(CommentTarget, uuid::Uuid)>,
    pub author_id: UserId,
    pub body: String,
    pub visibility: Visibility,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewComment {
    pub id: CommentId,
    pub body: String,
    pub visibility: Visibility,
    pub target: Option<(CommentTarget, uuid::Uuid)>,
}
