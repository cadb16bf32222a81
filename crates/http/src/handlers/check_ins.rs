//! Check-ins: `/plans/{id}/check-ins`, `/check-ins/{id}` and its review.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::updated;
use crate::dto::{addressable, list_query, nullable, IdempotencyKeyHeader};
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;
use followup_domain::check_ins::{CheckIn, CheckInChanges, CheckInReview, Confidence, NewCheckIn};
use followup_domain::ids::{CheckInId, PlanId, ProgramId};
use followup_domain::values::{Evidence, Progress, ReviewStatus};
use followup_domain::{DomainError, Validator};
use followup_persistence::repo::check_ins as repo;
/// A check-in: the delegate's periodic report on the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInBody {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub author_id: Uuid,
    #[schema(example = "2023-08-31")]
    pub reported_on: NaiveDate,
    #[schema(example = "Ran the first peer-support workshop with 14 social workers.")]
    pub summary: String,
    pub progress: Progress,
    /// 0–10: how sure the delegate is that the plan will reach its goal.
    #[schema(example = 7)]
    pub confidence: i32,
    pub achievements: Option<String>,
    pub challenges: Option<String>,
    #[schema(example = "Help finding a venue for the second workshop.")]
    pub support_needed: Option<String>,
    pub next_steps: Option<String>,
    pub evidence: Vec<Evidence>,
    pub review_status: ReviewStatus,
    pub review_note: Option<String>,
    pub reviewer_id: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

addressable!(CheckInBody, "/api/v1/check-ins/{}", id);

impl From<CheckIn> for CheckInBody {
    fn from(c: CheckIn) -> Self {
        Self {
            id: c.id.as_uuid(),
            plan_id: c.plan_id.as_uuid(),
            author_id: c.author_id.as_uuid(),
            reported_on: c.reported_on,
            summary: c.summary,
            progress: c.progress,
            confidence: c.confidence,
            achievements: c.achievements,
            challenges: c.challenges,
            support_needed: c.support_needed,
            next_steps: c.next_steps,
            evidence: c.evidence,
            review_status: c.review_status,
            review_note: c.review_note,
            reviewer_id: c.reviewer_id.map(|r| r.as_uuid()),
            reviewed_at: c.reviewed_at,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reported_on": "2023-08-31",
    "summary": "Ran the first peer-support workshop with 14 social workers.",
    "progress": "on_track",
    "confidence": 7,
    "achievements": "Sentra Efata agreed to host the group every month.",
    "challenges": "Two districts could not travel in the rainy season.",
    "support_needed": "A facilitator guide in Bahasa Indonesia.",
    "next_steps": "Second workshop in Soe, 14 September.",
    "evidence": [{"url": "https://drive.example.org/kupang/workshop-attendance.pdf", "title": "Attendance sheet, peer-support workshop"}]
}))]
pub struct CreateCheckInBody {
    /// Optional client-chosen id (offline creation).
    pub id: Option<Uuid>,
    pub reported_on: NaiveDate,
    #[schema(inline)]
    pub summary: Text<4000>,
    pub progress: Progress,
    /// How sure the delegate is that the plan reaches its goal.
    #[schema(minimum = 0, maximum = 10)]
    pub confidence: i32,
    #[schema(inline)]
    pub achievements: Option<OptionalText<4000>>,
    #[schema(inline)]
    pub challenges: Option<OptionalText<4000>>,
    #[schema(inline)]
    pub support_needed: Option<OptionalText<4000>>,
    #[schema(inline)]
    pub next_steps: Option<OptionalText<4000>>,
    /// http/https links only; the server never fetches them.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub evidence: Vec<Evidence>,
}

impl TryFrom<CreateCheckInBody> for NewCheckIn {
    type Error = DomainError;
    fn try_from(b: CreateCheckInBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let summary = v.check(b.summary.check("summary"));
        let confidence = v.check(Confidence::parse(b.confidence));
        let mut text =
            |field: &str, value: Option<&OptionalText<4000>>| v.check(check_optional(field, value)).flatten();
        let achievements = text("achievements", b.achievements.as_ref());
        let challenges = text("challenges", b.challenges.as_ref());
        let support_needed = text("support_needed", b.support_needed.as_ref());
        let next_steps = text("next_steps", b.next_steps.as_ref());
        let evidence = v.check_all(Evidence::parse_list(&b.evidence));
        v.finish(|| {
            Some(NewCheckIn {
                id: b.id.map(CheckInId::from_uuid).unwrap_or_default(),
                reported_on: b.reported_on,
                summary: summary?,
                progress: b.progress,
                confidence: confidence?,
                achievements,
                challenges,
                support_needed,
                next_steps,
                evidence: evidence?,
            })
        })
    }
}

/// A revision of a check-in by its author, while a mentor asks for one:
/// only the fields sent change; the review goes back to `pending`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "summary": "Ran the first peer-support workshop with 14 social workers; the attendance sheet is attached.",
    "evidence": [{"url": "https://drive.example.org/kupang/workshop-attendance.pdf", "title": "Attendance sheet, peer-support workshop"}]
}))]
pub struct PatchCheckInBody {
    pub reported_on: Option<NaiveDate>,
    #[schema(inline)]
    pub summary: Option<Text<4000>>,
    pub progress: Option<Progress>,
    #[schema(minimum = 0, maximum = 10)]
    pub confidence: Option<i32>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<4000>>, inline)]
    pub achievements: Option<Option<OptionalText<4000>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<4000>>, inline)]
    pub challenges: Option<Option<OptionalText<4000>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<4000>>, inline)]
    pub support_needed: Option<Option<OptionalText<4000>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<4000>>, inline)]
    pub next_steps: Option<Option<OptionalText<4000>>>,
    /// Replaces the evidence list (http/https links only).
    #[schema(max_items = 20)]
    pub evidence: Option<Vec<Evidence>>,
}

impl TryFrom<PatchCheckInBody> for CheckInChanges {
    type Error = DomainError;
    fn try_from(b: PatchCheckInBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let summary = b.summary.as_ref().and_then(|s| v.check(s.check("summary")));
        let confidence = b.confidence.and_then(|c| v.check(Confidence::parse(c)));
        let mut text = |field: &str, value: Option<Option<OptionalText<4000>>>| {
            value.map(|t| v.check(check_optional(field, t.as_ref())).flatten())
        };
        let achievements = text("achievements", b.achievements);
        let challenges = text("challenges", b.challenges);
        let support_needed = text("support_needed", b.support_needed);
        let next_steps = text("next_steps", b.next_steps);
        let evidence = b.evidence.as_deref().and_then(|e| v.check_all(Evidence::parse_list(e)));
        v.finish(|| {
            Some(CheckInChanges {
                reported_on: b.reported_on,
                summary,
                progress: b.progress,
                confidence,
                achievements,
                challenges,
                support_needed,
                next_steps,
                evidence,
            })
        })
    }
}

endpoint! {
    /// Revise your check-in while a mentor asks for a revision (409
    /// `invalid_state` otherwise): only the fields sent change, the review
    /// goes back to `pending` (awaiting review again), and the version it
    /// replaces is kept (`GET /check-ins/{id}/versions`). Honours `If-Match`.
    patch revise_check_in "/check-ins/{id}" tag "check-ins", CheckInId "Check-in id", CallerToken,
    PatchCheckInBody => CheckInChanges::try_from, CheckInBody "Revised, awaiting review",
    errors(
        403 "Not the author", 404 "No such check-in, or not visible to you",
        409 "`invalid_state`: no revision is asked for, or the plan is not active"
    ),
    repo::revise_check_in
}

/// A check-in's earlier versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInVersionsBody {
    /// Oldest first: each as it stood before a revision replaced it, with the
    /// review that asked for the revision.
    pub items: Vec<CheckInBody>,
}

endpoint! {
    /// A check-in's earlier versions, oldest first (the current one is its GET).
    items list_check_in_versions "/check-ins/{id}/versions" tag "check-ins", CheckInId "Check-in id",
    CheckInVersionsBody { CheckInBody } "The versions revisions replaced",
    errors(404 "No such check-in, or not visible to you"),
    repo::check_in_versions
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "revision_requested", "note": "Please add the attendance sheet as evidence."}))]
pub struct ReviewBody {
    pub decision: ReviewDecision,
    /// Required with `revision_requested`.
    #[schema(inline)]
    pub note: Option<OptionalText<4000>>,
}

/// A mentor's decision on a check-in (a review is never `pending`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Acknowledged,
    /// Requires a `note` saying what to change.
    RevisionRequested,
}

impl From<ReviewDecision> for ReviewStatus {
    fn from(d: ReviewDecision) -> Self {
        match d {
            ReviewDecision::Acknowledged => ReviewStatus::Acknowledged,
            ReviewDecision::RevisionRequested => ReviewStatus::RevisionRequested,
        }
    }
}

impl TryFrom<ReviewBody> for CheckInReview {
    type Error = DomainError;
    fn try_from(b: ReviewBody) -> Result<Self, DomainError> {
        let note = check_optional("note", b.note.as_ref()).map_err(DomainError::from)?;
        CheckInReview::parse(b.decision.into(), note)
    }
}

list_query! {
    pub struct ListCheckInsQuery {
        pub review_status: Option<ReviewStatus>,
    }
}

list_query! {
    /// Filters and paging of a mentor's review queue.
    pub struct ReviewQueueQuery {
        /// Default `pending`: the check-ins awaiting your review.
        pub review_status: Option<ReviewStatus>,
        /// Only this programme's check-ins.
        pub program_id: Option<Uuid>,
    }
}

endpoint! {
    /// Your review queue as a mentor: the check-ins of every delegate you
    /// mentor, across their plans and programmes, oldest first (the one waiting
    /// longest comes first), by default those `pending` your review. Empty for a
    /// caller who mentors no one. The other queues of a mentor's day: plans
    /// awaiting your approval are `GET /plans?status=submitted&mentee_of=me`,
    /// your delegates' overdue activities `GET /programs/{id}/activities?overdue=true`.
    list_all review_queue "/mentor/check-ins" tag "check-ins", CallerToken, ReviewQueueQuery,
    CheckInBody "A page of check-ins",
    errors(400 "`invalid_cursor` or `unknown_parameter`", 401 "Not signed in", 422 "Bad `limit` or filter"),
    |c, actor, query: ReviewQueueQuery, page| {
        let status = query.review_status.unwrap_or(ReviewStatus::Pending);
        repo::review_queue(c, actor, query.program_id.map(ProgramId::from_uuid), status, page)
    }
}

endpoint! {
    /// A plan's check-ins, oldest first.
    list list_check_ins "/plans/{id}/check-ins" tag "check-ins", PlanId "Plan id", ListCheckInsQuery,
    CheckInBody "A page of check-ins", errors(404 "No such plan, or not visible to you"),
    |c, actor, id, query: ListCheckInsQuery, page| repo::list_check_ins(c, actor, id, query.review_status, page)
}

endpoint! {
    /// Post a check-in (the owner; only while the plan is active).
    create create_check_in "/plans/{id}/check-ins" tag "check-ins", PlanId "Plan id",
    CreateCheckInBody => NewCheckIn::try_from, CheckInBody "Posted",
    errors(
        403 "Not the owner", 404 "No such plan, or not visible to you",
        409 "`invalid_state`: the plan is not active; `program_closed`: the programme is closed or its follow-up has ended; or `id_conflict`",
        422 "Invalid fields (`reported_on`: `in_the_future`; `confidence`, `evidence[i].url`…)"
    ),
    repo::create_check_in
}

endpoint! {
    /// Read a check-in.
    get get_check_in "/check-ins/{id}" tag "check-ins", CheckInId "Check-in id", CallerToken,
    CheckInBody "The check-in", errors(404 "No such check-in, or not visible to you"),
    repo::get_check_in
}

/// Review a check-in (a mentor of the owner).
#[utoipa::path(
    tag = "check-ins",
    params(("id" = Uuid, Path, description = "Check-in id"), IdempotencyKeyHeader),
    request_body = ReviewBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reviewed", body = CheckInBody, headers(("ETag" = String))),
        (status = 403, description = "Not a mentor of the owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such check-in, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`note` missing for `revision_requested`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/check-ins/{id}/review")]
pub async fn review_check_in(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let review = CheckInReview::try_from(body.0)?;
    let id = CheckInId::from_uuid(id.into_inner());
    caller
        .respond(
            &state,
            move |c, actor| repo::review_check_in(c, actor, id, &review),
            |c| updated(c.version, &CheckInBody::from(c)),
        )
        .await
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(review_queue)
        .service(list_check_ins)
        .service(create_check_in)
        .service(get_check_in)
        .service(revise_check_in)
        .service(list_check_in_versions)
        .service(review_check_in);
}
