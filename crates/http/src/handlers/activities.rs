//! Activities of a plan: `/plans/{id}/activities`, `/activities/{id}`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::{if_match, ok_versioned, updated};
use crate::dto::{
    addressable, created_or_existing, list_query, nullable, IdempotencyKeyHeader, IfMatchHeader,
};
use crate::json::JsonBody;
use crate::paging::{self, PageBody};
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;
use followup_domain::activities::{Activity, ActivityChanges, ActivityFields, NewActivity};
use followup_domain::ids::{ActivityId, PlanId};
use followup_domain::values::ActivityStatus;
use followup_domain::{DomainError, Validator};
use followup_persistence::repo::activities::{self as repo, ActivityFilter};
/// An activity of a plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityBody {
    pub id: Uuid,
    pub plan_id: Uuid,
    #[schema(example = "Peer-support workshop for 20 social workers")]
    pub title: String,
    pub description: Option<String>,
    #[schema(example = "2023-07-03")]
    pub starts_on: Option<NaiveDate>,
    #[schema(example = "2023-07-14")]
    pub due_on: Option<NaiveDate>,
    pub status: ActivityStatus,
    /// Set when the status becomes `done`.
    pub completed_on: Option<NaiveDate>,
    /// The owner's ordering of activities.
    pub position: i32,
    /// Due before today in the owner's time zone, and neither done nor cancelled.
    pub overdue: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

addressable!(ActivityBody, "/api/v1/activities/{}", id);

impl From<Activity> for ActivityBody {
    fn from(a: Activity) -> Self {
        Self {
            id: a.id.as_uuid(),
            plan_id: a.plan_id.as_uuid(),
            title: a.title,
            description: a.description,
            starts_on: a.starts_on,
            due_on: a.due_on,
            status: a.status,
            completed_on: a.completed_on,
            position: a.position,
            overdue: a.overdue,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Peer-support workshop for 20 social workers",
    "description": "Two days at Sentra Efata Kupang, with the district social services office.",
    "starts_on": "2023-07-03",
    "due_on": "2023-07-14"
}))]
pub struct CreateActivityBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    #[schema(inline)]
    pub title: Text<300>,
    #[schema(inline)]
    pub description: Option<OptionalText<4000>>,
    pub starts_on: Option<NaiveDate>,
    /// Within the plan's period.
    pub due_on: Option<NaiveDate>,
    /// Default `planned`.
    pub status: Option<ActivityStatus>,
    pub completed_on: Option<NaiveDate>,
    /// Default 0.
    pub position: Option<i32>,
}

impl TryFrom<CreateActivityBody> for NewActivity {
    type Error = DomainError;
    fn try_from(b: CreateActivityBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let title = v.check(b.title.check("title"));
        let description = v.check(check_optional("description", b.description.as_ref())).flatten();
        v.finish(|| {
            Some(NewActivity {
                id: b.id.map(ActivityId::from_uuid).unwrap_or_default(),
                fields: ActivityFields {
                    title: title?,
                    description,
                    starts_on: b.starts_on,
                    due_on: b.due_on,
                    status: b.status.unwrap_or(ActivityStatus::Planned),
                    completed_on: b.completed_on,
                    position: b.position.unwrap_or(0),
                },
            })
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchActivityBody {
    #[schema(inline)]
    pub title: Option<Text<300>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<4000>>, inline)]
    pub description: Option<Option<OptionalText<4000>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub starts_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub due_on: Option<Option<NaiveDate>>,
    pub status: Option<ActivityStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub completed_on: Option<Option<NaiveDate>>,
    pub position: Option<i32>,
}

impl TryFrom<PatchActivityBody> for ActivityChanges {
    type Error = DomainError;
    fn try_from(b: PatchActivityBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let title = b.title.as_ref().map(|t| v.check(t.check("title")));
        let description = b.description.map(|d| v.check(check_optional("description", d.as_ref())).flatten());
        v.finish(|| {
            Some(ActivityChanges {
                title: title.map(|t| t.unwrap_or_default()),
                description,
                starts_on: b.starts_on,
                due_on: b.due_on,
                status: b.status,
                completed_on: b.completed_on,
                position: b.position,
            })
        })
    }
}

list_query! {
    pub struct ListActivitiesQuery {
        pub status: Option<ActivityStatus>,
        /// `true`: only overdue activities (due before today in the owner's time zone, not done or cancelled).
        pub overdue: Option<bool>,
    }
}

/// A plan's activities, in creation order.
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = "Plan id"), ListActivitiesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of activities", body = PageBody<ActivityBody>),
        (status = 404, description = "No such plan, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/plans/{id}/activities")]
pub async fn list_activities(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::query::QueryParams<ListActivitiesQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, query.cursor.as_deref())?;
    let filter = ActivityFilter { status: query.status, overdue: query.overdue };
    let id = PlanId::from_uuid(id.into_inner());
    let result =
        caller.read(&state, move |c, actor| repo::list_activities(c, actor, id, &filter, &page)).await?;
    Ok(paging::respond(&req, result.map(ActivityBody::from)))
}

/// Add an activity (the owner; plan in draft, changes_requested or active).
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = "Plan id"), IdempotencyKeyHeader),
    request_body = CreateActivityBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ActivityBody, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "The same create sent again (client-supplied id)", body = ActivityBody),
        (status = 403, description = "Not the owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such plan, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state` or `id_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`due_on`: `outside_plan_period`…)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/plans/{id}/activities")]
pub async fn create_activity(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateActivityBody>,
) -> Result<HttpResponse, ApiError> {
    let cmd = NewActivity::try_from(body.0)?;
    let id = PlanId::from_uuid(id.into_inner());
    caller
        .respond(
            &state,
            move |c, actor| repo::create_activity(c, actor, id, &cmd),
            |result| created_or_existing(result, ActivityBody::from),
        )
        .await
}

/// Read an activity.
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The activity", body = ActivityBody, headers(("ETag" = String))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such activity, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{id}")]
pub async fn get_activity(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = ActivityId::from_uuid(id.into_inner());
    let a = caller.read(&state, move |c, actor| repo::get_activity(c, actor, id)).await?;
    Ok(ok_versioned(&req, a.version, &ActivityBody::from(a)))
}

/// Change an activity (the owner). `done` stamps `completed_on` with today in
/// the owner's time zone unless given; leaving `done` clears it. Honours `If-Match`.
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = "Activity id"), IfMatchHeader),
    request_body = PatchActivityBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = ActivityBody, headers(("ETag" = String))),
        (status = 403, description = "Not the owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/activities/{id}")]
pub async fn patch_activity(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<PatchActivityBody>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let changes = ActivityChanges::try_from(body.0)?;
    let id = ActivityId::from_uuid(id.into_inner());
    let a = caller
        .write(&state, move |c, actor| repo::update_activity(c, actor, id, &changes, &expected))
        .await?;
    Ok(updated(a.version, &ActivityBody::from(a)))
}

/// Delete an activity (the owner). Honours `If-Match`.
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = "Activity id"), IfMatchHeader),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/activities/{id}")]
pub async fn delete_activity(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let id = ActivityId::from_uuid(id.into_inner());
    caller.write(&state, move |c, actor| repo::delete_activity(c, actor, id, &expected)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_activities)
        .service(create_activity)
        .service(get_activity)
        .service(patch_activity)
        .service(delete_activity);
}
