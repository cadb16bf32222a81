//! Activities of a plan: `/plans/{id}/activities`, `/activities/{id}`.

use actix_web::{delete, get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::dto::{addressable, list_query, nullable};
use crate::handlers::endpoints::endpoint;
use crate::text::{check_optional, OptionalText, Text};
use followup_domain::activities::{Activity, ActivityChanges, ActivityFields, NewActivity};
use followup_domain::ids::{ActivityId, PlanId, ProgramId};
use followup_domain::values::ActivityStatus;
use followup_domain::{DomainError, Validator};
use followup_persistence::repo::activities::{self as repo, ActivityFilter, ProgramActivity};
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

endpoint! {
    /// A plan's activities, in creation order.
    list list_activities "/plans/{id}/activities" tag "activities", PlanId "Plan id", ListActivitiesQuery,
    ActivityBody "A page of activities", errors(404 "No such plan, or not visible to you"),
    |c, actor, id, query: ListActivitiesQuery, page| {
        let filter = ActivityFilter { status: query.status, overdue: query.overdue };
        repo::list_activities(c, actor, id, &filter, page)
    }
}

/// An activity in a programme-wide list, with the plan and delegate it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramActivityBody {
    /// The activity, as its own GET returns it.
    pub activity: ActivityBody,
    #[schema(example = "Peer-support training for youth workers in Kupang")]
    pub plan_title: String,
    pub owner_id: Uuid,
    #[schema(example = "Yohanes Lado")]
    pub owner_name: String,
}

impl From<ProgramActivity> for ProgramActivityBody {
    fn from(a: ProgramActivity) -> Self {
        Self {
            activity: ActivityBody::from(a.activity),
            plan_title: a.plan_title,
            owner_id: a.owner_id,
            owner_name: a.owner_name,
        }
    }
}

endpoint! {
    /// The activities of every plan of a programme that you may see — a
    /// coordinator all of them, a mentor their mentees', an observer all but
    /// drafts', a delegate their own — in creation order. `overdue=true` is the
    /// programme's overdue list: due before each owner's today in the owner's
    /// time zone, neither done nor cancelled.
    list list_program_activities "/programs/{id}/activities" tag "activities", ProgramId "Programme id", ListActivitiesQuery,
    ProgramActivityBody "A page of activities", errors(404 "No such programme, or not yours"),
    |c, actor, id, query: ListActivitiesQuery, page| {
        let filter = ActivityFilter { status: query.status, overdue: query.overdue };
        repo::list_program_activities(c, actor, id, &filter, page)
    }
}

endpoint! {
    /// Add an activity (the owner; plan in draft, changes_requested or active).
    create create_activity "/plans/{id}/activities" tag "activities", PlanId "Plan id",
    CreateActivityBody => NewActivity::try_from, ActivityBody "Created",
    errors(
        403 "Not the owner", 404 "No such plan, or not visible to you", 409 "`invalid_state` or `id_conflict`",
        422 "Invalid fields (`due_on`: `outside_plan_period`…)"
    ),
    repo::create_activity
}

endpoint! {
    /// Read an activity.
    get get_activity "/activities/{id}" tag "activities", ActivityId "Activity id", CallerToken,
    ActivityBody "The activity", errors(404 "No such activity, or not visible to you"),
    repo::get_activity
}

endpoint! {
    /// Change an activity (the owner). `done` stamps `completed_on` with today in
    /// the owner's time zone unless given; leaving `done` clears it. Honours `If-Match`.
    patch patch_activity "/activities/{id}" tag "activities", ActivityId "Activity id", CallerToken,
    PatchActivityBody => ActivityChanges::try_from, ActivityBody "Changed",
    errors(403 "Not the owner", 404 "No such activity, or not visible to you", 409 "`invalid_state`"),
    repo::update_activity
}

endpoint! {
    /// Delete an activity (the owner). Honours `If-Match`.
    delete delete_activity "/activities/{id}" tag "activities", ActivityId "Activity id", CallerToken,
    errors(403 "Not the owner", 404 "No such activity, or not visible to you", 409 "`invalid_state`"),
    repo::delete_activity
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_activities)
        .service(list_program_activities)
        .service(create_activity)
        .service(get_activity)
        .service(patch_activity)
        .service(delete_activity);
}
