//! Mentorships of a programme: `/programs/{id}/mentorships`.

use actix_web::{delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::dto::addressable;
use crate::dto::PageQuery;
use crate::handlers::endpoints::endpoint;
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

addressable!(MentorshipBody, "/api/v1/programs/{}/mentorships/{}", program_id, id);

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

endpoint! {
    /// Assign a mentor to a delegate (coordinators, admins).
    add add_mentorship "/programs/{id}/mentorships" tag "programs", ProgramId "Programme id",
    AddMentorshipBody => |program_id, b: AddMentorshipBody| NewMentorship {
        id: b.id.map(MentorshipId::from_uuid).unwrap_or_default(),
        program_id,
        mentor_id: UserId::from_uuid(b.mentor_id),
        delegate_id: UserId::from_uuid(b.delegate_id),
    },
    MentorshipBody "Assigned",
    errors(
        403 "A member who is not a coordinator", 404 "No such programme, or not yours", 409 "`already_exists`",
        422 "`mentor_id`: `not_a_mentor`; `delegate_id`: `not_a_delegate`"
    ),
    repo::add_mentorship
}

endpoint! {
    /// End a mentorship (coordinators, admins).
    remove remove_mentorship "/programs/{id}/mentorships/{mentorship_id}" tag "programs", ProgramId "Programme id",
    MentorshipId "mentorship_id" "Mentorship id", "Ended",
    errors(403 "A member who is not a coordinator", 404 "No such programme or mentorship"),
    repo::remove_mentorship
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_mentorships).service(add_mentorship).service(remove_mentorship);
}
