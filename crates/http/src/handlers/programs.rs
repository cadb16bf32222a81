//! Programmes: `/programs`, their members and mentorships.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use followup_domain::commands::{NewMembership, NewMentorship, NewProgram, ProgramChanges, ProgramFields};
use followup_domain::entities::{Membership, Mentorship, ProgramView};
use followup_domain::ids::{MentorshipId, ProgramId, UserId};
use followup_domain::values::{optional_text, required_text, ProgramRole, ProgramStatus};
use followup_domain::{DomainError, FieldError, Validator};
use followup_persistence::repo::programs::{self as repo, ProgramFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Bearer, Caller};
use crate::conditional::{created, if_match, ok_versioned, updated};
use crate::dto::nullable;
use crate::idempotency::IdempotencyKey;
use crate::json::JsonBody;
use crate::paging::{self, PageBody};
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// A training programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramBody {
    pub id: Uuid,
    #[schema(example = "KOICA-ITP-2023")]
    pub code: String,
    #[schema(example = "Invitational Training Program on Social Rehabilitation")]
    pub title: String,
    #[schema(example = "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia")]
    pub theme: Option<String>,
    #[schema(example = "KOICA")]
    pub funder: Option<String>,
    #[schema(example = json!(["World Vision Korea", "KDS", "Re:bach International"]))]
    pub partners: Vec<String>,
    #[schema(example = "Seoul")]
    pub location: Option<String>,
    #[schema(example = "2023-05-08")]
    pub training_starts_on: NaiveDate,
    #[schema(example = "2023-05-19")]
    pub training_ends_on: NaiveDate,
    #[schema(example = "2023-11-30")]
    pub follow_up_until: NaiveDate,
    /// Days between expected check-ins (1–90).
    #[schema(example = 14)]
    pub check_in_cadence_days: i32,
    pub status: ProgramStatus,
    /// The caller's role in this programme; `null` for an admin who is not a member.
    pub my_role: Option<ProgramRole>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProgramView> for ProgramBody {
    fn from(v: ProgramView) -> Self {
        let p = v.program;
        Self {
            id: p.id.as_uuid(),
            code: p.code,
            title: p.title,
            theme: p.theme,
            funder: p.funder,
            partners: p.partners,
            location: p.location,
            training_starts_on: p.training_starts_on,
            training_ends_on: p.training_ends_on,
            follow_up_until: p.follow_up_until,
            check_in_cadence_days: p.check_in_cadence_days,
            status: p.status,
            my_role: v.my_role,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgramBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    #[schema(example = "KOICA-ITP-2023")]
    pub code: String,
    #[schema(example = "Invitational Training Program on Social Rehabilitation")]
    pub title: String,
    #[schema(example = "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia")]
    pub theme: Option<String>,
    #[schema(example = "KOICA")]
    pub funder: Option<String>,
    #[serde(default)]
    #[schema(example = json!(["World Vision Korea", "KDS", "Re:bach International"]))]
    pub partners: Vec<String>,
    #[schema(example = "Seoul")]
    pub location: Option<String>,
    #[schema(example = "2023-05-08")]
    pub training_starts_on: NaiveDate,
    #[schema(example = "2023-05-19")]
    pub training_ends_on: NaiveDate,
    #[schema(example = "2023-11-30")]
    pub follow_up_until: NaiveDate,
    /// 1–90; default 14.
    #[schema(example = 14)]
    pub check_in_cadence_days: Option<i32>,
    /// Default `planned`.
    pub status: Option<ProgramStatus>,
}

fn partners(v: &mut Validator, raw: &[String]) -> Option<Vec<String>> {
    if raw.len() > 50 {
        v.push(FieldError::new("partners", "too_many", "at most 50 partners").with("max", 50));
        return None;
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        out.push(v.check(required_text(&format!("partners[{i}]"), p, 200))?);
    }
    Some(out)
}

impl TryFrom<CreateProgramBody> for NewProgram {
    type Error = DomainError;
    fn try_from(b: CreateProgramBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let code = v.check(required_text("code", &b.code, 64));
        let title = v.check(required_text("title", &b.title, 300));
        let theme = v.check(optional_text("theme", b.theme.as_deref(), 500)).flatten();
        let funder = v.check(optional_text("funder", b.funder.as_deref(), 200)).flatten();
        let location = v.check(optional_text("location", b.location.as_deref(), 200)).flatten();
        let partners = partners(&mut v, &b.partners);
        let fields = v.finish(|| {
            Some(ProgramFields {
                code: code?,
                title: title?,
                theme,
                funder,
                partners: partners?,
                location,
                training_starts_on: b.training_starts_on,
                training_ends_on: b.training_ends_on,
                follow_up_until: b.follow_up_until,
                check_in_cadence_days: b.check_in_cadence_days.unwrap_or(14),
                status: b.status.unwrap_or(ProgramStatus::Planned),
            })
        })?;
        fields.check()?;
        Ok(NewProgram { id: b.id.map(ProgramId::from_uuid).unwrap_or_default(), fields })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchProgramBody {
    pub code: Option<String>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub theme: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub funder: Option<Option<String>>,
    pub partners: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub location: Option<Option<String>>,
    pub training_starts_on: Option<NaiveDate>,
    pub training_ends_on: Option<NaiveDate>,
    pub follow_up_until: Option<NaiveDate>,
    pub check_in_cadence_days: Option<i32>,
    pub status: Option<ProgramStatus>,
}

impl TryFrom<PatchProgramBody> for ProgramChanges {
    type Error = DomainError;
    fn try_from(b: PatchProgramBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let code = b.code.as_deref().and_then(|c| v.check(required_text("code", c, 64)));
        let title = b.title.as_deref().and_then(|t| v.check(required_text("title", t, 300)));
        let theme = b.theme.map(|t| v.check(optional_text("theme", t.as_deref(), 500)).flatten());
        let funder = b.funder.map(|t| v.check(optional_text("funder", t.as_deref(), 200)).flatten());
        let location = b.location.map(|t| v.check(optional_text("location", t.as_deref(), 200)).flatten());
        let partners = b.partners.as_deref().and_then(|p| partners(&mut v, p));
        v.finish(|| {
            Some(ProgramChanges {
                code,
                title,
                theme,
                funder,
                partners,
                location,
                training_starts_on: b.training_starts_on,
                training_ends_on: b.training_ends_on,
                follow_up_until: b.follow_up_until,
                check_in_cadence_days: b.check_in_cadence_days,
                status: b.status,
            })
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProgramsQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub status: Option<ProgramStatus>,
}

/// List the programmes you belong to (admins: all).
#[utoipa::path(
    tag = "programs",
    params(ListProgramsQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of programmes", body = PageBody<ProgramBody>,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("/programs")]
pub async fn list_programs(
    req: HttpRequest,
    caller: Bearer,
    state: web::Data<AppState>,
    query: crate::query::QueryParams<ListProgramsQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, query.cursor.as_deref())?;
    let filter = ProgramFilter { status: query.status };
    let result = caller.read(&state, move |c, actor| repo::list(c, actor, &filter, &page)).await?;
    Ok(paging::respond(&req, result.map(ProgramBody::from)))
}

/// Create a programme (admin).
#[utoipa::path(
    tag = "programs",
    request_body = CreateProgramBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ProgramBody, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`code_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: dates out of order, cadence outside 1–90…", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/programs")]
pub async fn create_program(
    caller: Caller,
    key: IdempotencyKey,
    state: web::Data<AppState>,
    body: JsonBody<CreateProgramBody>,
) -> Result<HttpResponse, ApiError> {
    caller.0.require_admin()?;
    let cmd = NewProgram::try_from(body.0)?;
    let actor = caller.0;
    key.respond(
        &state,
        move |c| repo::create(c, &actor, &cmd),
        |view| {
            let (id, version) = (view.program.id, view.program.version);
            created(format!("/api/v1/programs/{id}"), version, &ProgramBody::from(view))
        },
    )
    .await
}

/// Read a programme you belong to (admins: any). Others get 404.
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The programme", body = ProgramBody, headers(("ETag" = String))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}")]
pub async fn get_program(
    req: HttpRequest,
    caller: Bearer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = ProgramId::from_uuid(id.into_inner());
    let view = caller.read(&state, move |c, actor| repo::get(c, actor, id)).await?;
    Ok(ok_versioned(&req, view.program.version, &ProgramBody::from(view)))
}

/// Change a programme: its coordinators and admins. Honours `If-Match`.
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you last saw; 412 if it is stale",
            pattern = "^(\\*|(W/)?\"[0-9]{1,18}\")$")),
    request_body = PatchProgramBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = ProgramBody, headers(("ETag" = String))),
        (status = 403, description = "A member who is not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`code_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/programs/{id}")]
pub async fn patch_program(
    req: HttpRequest,
    caller: Bearer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<PatchProgramBody>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let changes = ProgramChanges::try_from(body.0)?;
    let id = ProgramId::from_uuid(id.into_inner());
    let view = caller.write(&state, move |c, actor| repo::update(c, actor, id, &changes, expected)).await?;
    Ok(updated(view.program.version, &ProgramBody::from(view)))
}

// ---- members ----------------------------------------------------------------

/// A member of a programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBody {
    pub id: Uuid,
    pub program_id: Uuid,
    pub user_id: Uuid,
    pub role: ProgramRole,
    #[schema(example = "Yohanes Lado")]
    pub display_name: String,
    #[schema(example = "yohanes.lado@kemensos.go.id")]
    pub email: String,
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListMembersQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub role: Option<ProgramRole>,
}

/// List a programme's members (any member; admins).
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id"), ListMembersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of members", body = PageBody<MemberBody>),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/members")]
pub async fn list_members(
    req: HttpRequest,
    caller: Bearer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::query::QueryParams<ListMembersQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, query.cursor.as_deref())?;
    let (id, role) = (ProgramId::from_uuid(id.into_inner()), query.role);
    let result = caller.read(&state, move |c, actor| repo::list_members(c, actor, id, role, &page)).await?;
    Ok(paging::respond(&req, result.map(MemberBody::from)))
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
    caller: Bearer,
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
    caller: Bearer,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (program, user) = path.into_inner();
    let (program, user) = (ProgramId::from_uuid(program), UserId::from_uuid(user));
    caller.write(&state, move |c, actor| repo::remove_member(c, actor, program, user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- mentorships ------------------------------------------------------------

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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List a programme's mentorships (any member; admins).
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of mentorships", body = PageBody<MentorshipBody>),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/mentorships")]
pub async fn list_mentorships(
    req: HttpRequest,
    caller: Bearer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::query::QueryParams<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, query.cursor.as_deref())?;
    let id = ProgramId::from_uuid(id.into_inner());
    let result = caller.read(&state, move |c, actor| repo::list_mentorships(c, actor, id, &page)).await?;
    Ok(paging::respond(&req, result.map(MentorshipBody::from)))
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
    caller: Bearer,
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
    caller: Bearer,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (program, mentorship) = path.into_inner();
    let (program, mentorship) = (ProgramId::from_uuid(program), MentorshipId::from_uuid(mentorship));
    caller.write(&state, move |c, actor| repo::remove_mentorship(c, actor, program, mentorship)).await?;
    Ok(HttpResponse::NoContent().finish())
}
