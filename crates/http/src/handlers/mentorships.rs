//! Mentorships of a programme: `/programs/{id}/mentorships`.

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::created;
use crate::dto::PageQuery;
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::AppState;
use followup_domain::ids::{MentorshipId, ProgramId, UserId};
use followup_domain::mentorships::Mentorship;
use followup_domain::mentorships::NewMentorship;
use followup_persistence::repo::mentorships as repo;
/// A mentor assigned to a delegate in a programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentorshipBody {
    pub id: Uuid,
    pub program_id: Uuid,
    pub mentor_id: Uuid,
    pub delegate_id: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Mentorship> for MentorshipBody {
    fn from(m: Mentorship) -> Self {
        Self {
            id: m.id.as_uuid(),
            program_id: m.program_id.as_uuid(),
            mentor_id: m.mentor_id.as_uuid(),
            delegate_id: m.delegate_id.as_uuid(),
            version: m.version,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMentorshipBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    /// A member with the role `mentor`.
    pub mentor_id: Uuid,
    /// A member with the role `delegate`.
    pub delegate_id: Uuid,
}

endpoint! {
    /// List a programme's mentorships (any member; admins).
    list list_mentorships "/programs/{id}/mentorships" tag "programs", ProgramId "Programme id", PageQuery,
    MentorshipBody "A page of mentorships", errors(404 "No such programme, or not yours"),
    |c, actor, id, _, page| repo::list_mentorships(c, actor, id, page)
}

/// Assign a mentor to a delegate (coordinators, admins).
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id")),
    request_body = AddMentorshipBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Assigned", body = MentorshipBody, headers(("Location" = String))),
        (status = 403, description = "A member who is not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`mentor_id`: `not_a_mentor`; `delegate_id`: `not_a_delegate`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/programs/{id}/mentorships")]
pub async fn add_mentorship(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<AddMentorshipBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let cmd = NewMentorship {
        id: b.id.map(MentorshipId::from_uuid).unwrap_or_default(),
        program_id: ProgramId::from_uuid(id.into_inner()),
        mentor_id: UserId::from_uuid(b.mentor_id),
        delegate_id: UserId::from_uuid(b.delegate_id),
    };
    caller
        .respond(
            &state,
            move |c, actor| repo::add_mentorship(c, actor, &cmd),
            |m| {
                let location = format!("/api/v1/programs/{}/mentorships/{}", m.program_id, m.id);
                created(location, m.version, &MentorshipBody::from(m))
            },
        )
        .await
}

/// End a mentorship (coordinators, admins).
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id"), ("mentorship_id" = Uuid, Path, description = "Mentorship id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 403, description = "A member who is not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme or mentorship", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/programs/{id}/mentorships/{mentorship_id}")]
pub async fn remove_mentorship(
    caller: CallerToken,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (program, mentorship) = path.into_inner();
    let (program, mentorship) = (ProgramId::from_uuid(program), MentorshipId::from_uuid(mentorship));
    caller.write(&state, move |c, actor| repo::remove_mentorship(c, actor, program, mentorship)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_mentorships).service(add_mentorship).service(remove_mentorship);
}
