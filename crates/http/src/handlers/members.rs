//! Members of a programme: `/programs/{id}/members`.

use actix_web::{delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::dto::addressable;
use crate::dto::list_query;
use crate::handlers::endpoints::endpoint;
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

addressable!(MemberBody, "/api/v1/programs/{}/members/{}", program_id, user_id);

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

endpoint! {
    /// Add a member (coordinators, admins).
    add add_member "/programs/{id}/members" tag "programs", ProgramId "Programme id",
    AddMemberBody => |program_id, b: AddMemberBody| NewMembership {
        program_id,
        user_id: UserId::from_uuid(b.user_id),
        role: b.role,
    },
    MemberBody "Added",
    errors(
        403 "A member who is not a coordinator", 404 "No such programme, or not yours",
        409 "`already_member`", 422 "`user_id`: `unknown_user`"
    ),
    repo::add_member
}

endpoint! {
    /// Remove a member (coordinators, admins); their mentorships in this programme go too.
    remove remove_member "/programs/{id}/members/{user_id}" tag "programs", ProgramId "Programme id",
    UserId "user_id" "The member's account id", "Removed",
    errors(403 "A member who is not a coordinator", 404 "No such programme or member"),
    repo::remove_member
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_members).service(add_member).service(remove_member);
}
