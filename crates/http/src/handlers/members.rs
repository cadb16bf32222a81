//! Members of a programme: `/programs/{id}/members`.

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::created;
use crate::dto::list_query;
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::AppState;
use followup_domain::ids::{ProgramId, UserId};
use followup_domain::members::Membership;
use followup_domain::members::NewMembership;
use followup_domain::values::ProgramRole;
use followup_persistence::repo::members as repo;
/// A member of a programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBody {
    pub id: Uuid,
    pub program_id: Uuid,
    pub user_id: Uuid,
    pub role: ProgramRole,
    #[schema(example = "Yohanes Lado")]
    pub display_name: String,
    /// Shown to admins, the programme's coordinators, the member and the
    /// member's mentors; absent for everyone else.
    #[schema(example = "yohanes.lado@kemensos.go.id")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The member's position, from their account.
    #[schema(example = "Social worker, Sentra Efata Kupang")]
    pub position: Option<String>,
    /// The member's IANA time zone: their today decides what is overdue,
    /// silent or in the future for them.
    #[schema(example = "Asia/Makassar")]
    pub time_zone: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Membership> for MemberBody {
    fn from(m: Membership) -> Self {
        Self {
            id: m.id.as_uuid(),
            program_id: m.program_id.as_uuid(),
            user_id: m.user_id.as_uuid(),
            role: m.role,
            display_name: m.display_name,
            email: m.email,
            position: m.position,
            time_zone: m.time_zone,
            version: m.version,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberBody {
    pub user_id: Uuid,
    pub role: ProgramRole,
}

list_query! {
    pub struct ListMembersQuery {
        pub role: Option<ProgramRole>,
    }
}

endpoint! {
    /// List a programme's members (any member; admins).
    list list_members "/programs/{id}/members" tag "programs", ProgramId "Programme id", ListMembersQuery,
    MemberBody "A page of members", errors(404 "No such programme, or not yours"),
    |c, actor, id, query: ListMembersQuery, page| repo::list_members(c, actor, id, query.role, page)
}

/// Add a member (coordinators, admins).
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id")),
    request_body = AddMemberBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = MemberBody, headers(("Location" = String))),
        (status = 403, description = "A member who is not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_member`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`user_id`: `unknown_user`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/programs/{id}/members")]
pub async fn add_member(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<AddMemberBody>,
) -> Result<HttpResponse, ApiError> {
    let cmd = NewMembership {
        program_id: ProgramId::from_uuid(id.into_inner()),
        user_id: UserId::from_uuid(body.0.user_id),
        role: body.0.role,
    };
    caller
        .respond(
            &state,
            move |c, actor| repo::add_member(c, actor, &cmd),
            |member| {
                let location = format!("/api/v1/programs/{}/members/{}", member.program_id, member.user_id);
                created(location, member.version, &MemberBody::from(member))
            },
        )
        .await
}

/// Remove a member (coordinators, admins); their mentorships in this programme go too.
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id"), ("user_id" = Uuid, Path, description = "The member's account id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "A member who is not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme or member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/programs/{id}/members/{user_id}")]
pub async fn remove_member(
    caller: CallerToken,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (program, user) = path.into_inner();
    let (program, user) = (ProgramId::from_uuid(program), UserId::from_uuid(user));
    caller.write(&state, move |c, actor| repo::remove_member(c, actor, program, user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_members).service(add_member).service(remove_member);
}
