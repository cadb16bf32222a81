//! Action plans: `/plans`, the workflow transitions and the history.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use followup_domain::ids::{PlanId, ProgramId, UserId};
use followup_domain::paging::{DEFAULT_LIMIT, MAX_LIMIT};
use followup_domain::plans::{HistoryEvent, NewPlan, Plan, PlanChanges, PlanFields};
use followup_domain::values::PlanStatus;
use followup_domain::{DomainError, FieldError, Validator};
use followup_persistence::repo::plans::{self as repo, PlanAfter, PlanFilter, PlanSort};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::CallerToken;
use crate::conditional::ok_versioned;

use crate::dto::{addressable, created_or_existing, list_query, nullable, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::paging::{self, PageBody};
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;

mod transitions;

pub use transitions::{ReasonBody, RequiredReasonBody};

/// An action plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanBody {
    pub id: Uuid,
    pub program_id: Uuid,
    /// The delegate who owns the plan.
    pub owner_id: Uuid,
    #[schema(example = "Peer-support training for youth workers in Kupang")]
    pub title: String,
    #[schema(
        example = "Youth in conflict with the law in Kupang get little follow-up after leaving the centre."
    )]
    pub problem_statement: Option<String>,
    #[schema(example = "Twenty social workers at Sentra Efata run peer-support groups by November.")]
    pub goal: Option<String>,
    #[schema(example = "Youth aged 15–21 and the social workers of Sentra Efata Kupang")]
    pub target_group: Option<String>,
    #[schema(example = "Kupang, Nusa Tenggara Timur")]
    pub location: Option<String>,
    #[schema(example = "2023-06-01")]
    pub starts_on: NaiveDate,
    #[schema(example = "2023-11-30")]
    pub ends_on: NaiveDate,
    pub status: PlanStatus,
    /// The note of the plan's last transition: the reason of `request-changes` or
    /// `discontinue`, or the optional note of `submit`, `approve` or `complete`;
    /// each transition replaces it (`null` when it had none).
    pub status_reason: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The end date and goal the mentor approved, beside what the plan says
    /// now (so a moved end date shows); null until the plan is approved.
    pub approved_original: Option<ApprovedPlanBody>,
}

/// A plan's end date and goal as approved.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({ "ends_on": "2023-11-30", "goal": "Peer-support groups run by trained youth workers in Kupang" }))]
pub struct ApprovedPlanBody {
    pub ends_on: NaiveDate,
    pub goal: Option<String>,
}

addressable!(PlanBody, "/api/v1/plans/{}", id);

impl From<Plan> for PlanBody {
    fn from(p: Plan) -> Self {
        Self {
            id: p.id.as_uuid(),
            program_id: p.program_id.as_uuid(),
            owner_id: p.owner_id.as_uuid(),
            title: p.title,
            problem_statement: p.problem_statement,
            goal: p.goal,
            target_group: p.target_group,
            location: p.location,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            status: p.status,
            status_reason: p.status_reason,
            submitted_at: p.submitted_at,
            approved_at: p.approved_at,
            closed_at: p.closed_at,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
            approved_original: p
                .approved_original
                .map(|a| ApprovedPlanBody { ends_on: a.ends_on, goal: a.goal }),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "program_id": "0b6f3a52-4a8e-4f57-9a4c-2f1d6c1e9a01",
    "title": "Peer-support training for youth workers in Kupang",
    "goal": "Youth workers of Sentra Efata run monthly peer-support groups",
    "target_group": "Social workers and youth companions in Kupang",
    "location": "Kupang, Nusa Tenggara Timur",
    "starts_on": "2023-06-01",
    "ends_on": "2023-11-30"
}))]
pub struct CreatePlanBody {
    /// Optional client-chosen id (offline creation); re-sending the same create is not a duplicate.
    pub id: Option<Uuid>,
    pub program_id: Uuid,
    #[schema(inline)]
    pub title: Text<300>,
    #[schema(inline)]
    pub problem_statement: Option<OptionalText<4000>>,
    #[schema(inline)]
    pub goal: Option<OptionalText<4000>>,
    #[schema(inline)]
    pub target_group: Option<OptionalText<1000>>,
    #[schema(inline)]
    pub location: Option<OptionalText<300>>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl TryFrom<CreatePlanBody> for NewPlan {
    type Error = DomainError;
    fn try_from(b: CreatePlanBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let title = v.check(b.title.check("title"));
        let problem = v.check(check_optional("problem_statement", b.problem_statement.as_ref())).flatten();
        let goal = v.check(check_optional("goal", b.goal.as_ref())).flatten();
        let target = v.check(check_optional("target_group", b.target_group.as_ref())).flatten();
        let location = v.check(check_optional("location", b.location.as_ref())).flatten();
        let fields = v.finish(|| {
            Some(PlanFields {
                title: title?,
                problem_statement: problem,
                goal,
                target_group: target,
                location,
                starts_on: b.starts_on,
                ends_on: b.ends_on,
            })
        })?;
        fields.check()?;
        Ok(NewPlan {
            id: b.id.map(PlanId::from_uuid).unwrap_or_default(),
            program_id: ProgramId::from_uuid(b.program_id),
            fields,
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPlanBody {
    #[schema(inline)]
    pub title: Option<Text<300>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<4000>>, inline)]
    pub problem_statement: Option<Option<OptionalText<4000>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<4000>>, inline)]
    pub goal: Option<Option<OptionalText<4000>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<1000>>, inline)]
    pub target_group: Option<Option<OptionalText<1000>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<300>>, inline)]
    pub location: Option<Option<OptionalText<300>>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl TryFrom<PatchPlanBody> for PlanChanges {
    type Error = DomainError;
    fn try_from(b: PatchPlanBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let problem_statement =
            b.problem_statement.map(|t| v.check(check_optional("problem_statement", t.as_ref())).flatten());
        let goal = b.goal.map(|t| v.check(check_optional("goal", t.as_ref())).flatten());
        let target_group =
            b.target_group.map(|t| v.check(check_optional("target_group", t.as_ref())).flatten());
        let location = b.location.map(|t| v.check(check_optional("location", t.as_ref())).flatten());
        let title = b.title.as_ref().and_then(|t| v.check(t.check("title")));
        v.finish(|| {
            Some(PlanChanges {
                title,
                problem_statement,
                goal,
                target_group,
                location,
                starts_on: b.starts_on,
                ends_on: b.ends_on,
            })
        })
    }
}

list_query! {
    pub struct ListPlansQuery, cursor: " `next_cursor` of the previous page (of the same `sort`)." {
        pub program_id: Option<Uuid>,
        pub owner_id: Option<Uuid>,
        pub status: Option<PlanStatus>,
        /// `me`: only plans of delegates you mentor.
        #[param(pattern = "^me$")]
        pub mentee_of: Option<String>,
        /// `updated_at`, `-updated_at`, `ends_on` or `-ends_on`; default creation order.
        #[param(pattern = "^(-?(updated_at|ends_on))?$")]
        pub sort: Option<String>,
    }
}

fn plan_sort(raw: Option<&str>) -> Result<PlanSort, ApiError> {
    Ok(match raw {
        None | Some("") => PlanSort::Created,
        Some("updated_at") => PlanSort::UpdatedAsc,
        Some("-updated_at") => PlanSort::UpdatedDesc,
        Some("ends_on") => PlanSort::EndsAsc,
        Some("-ends_on") => PlanSort::EndsDesc,
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "sort",
                "invalid_value",
                "must be one of: updated_at, -updated_at, ends_on, -ends_on",
            )
            .key("invalid_value.choice")
            .with("allowed", "updated_at, -updated_at, ends_on, -ends_on")]))
        }
    })
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request("invalid_cursor", "The cursor is not one this API issued for this sort.")
        .key("invalid_cursor.sort")
}

fn plan_cursor(sort: PlanSort, plan: &Plan) -> String {
    let text = match sort {
        PlanSort::Created => {
            format!("c|{}|{}", plan.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), plan.id)
        }
        PlanSort::UpdatedAsc | PlanSort::UpdatedDesc => {
            format!("u|{}|{}", plan.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), plan.id)
        }
        PlanSort::EndsAsc | PlanSort::EndsDesc => format!("e|{}|{}", plan.ends_on, plan.id),
    };
    URL_SAFE_NO_PAD.encode(text)
}

fn parse_plan_cursor(raw: &str) -> Result<PlanAfter, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let parts: Vec<&str> = text.split('|').collect();
    let id = |s: &str| Uuid::parse_str(s).map_err(|_| bad_cursor());
    match parts.as_slice() {
        ["c", at, i] => Ok(PlanAfter::Created(
            DateTime::parse_from_rfc3339(at).map_err(|_| bad_cursor())?.with_timezone(&Utc),
            id(i)?,
        )),
        ["u", at, i] => Ok(PlanAfter::Updated(
            DateTime::parse_from_rfc3339(at).map_err(|_| bad_cursor())?.with_timezone(&Utc),
            id(i)?,
        )),
        ["e", on, i] => Ok(PlanAfter::Ends(on.parse().map_err(|_| bad_cursor())?, id(i)?)),
        _ => Err(bad_cursor()),
    }
}

/// List the plans you may see: yours; your mentees' (drafts included); all
/// of a programme you coordinate; all but drafts of a programme you observe;
/// everything for admins.
#[utoipa::path(
    tag = "plans",
    params(ListPlansQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of plans", body = PageBody<PlanBody>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))),
        (status = 422, description = "Bad filter or sort", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/plans")]
pub async fn list_plans(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    query: crate::query::QueryParams<ListPlansQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, None)?;
    let sort = plan_sort(query.sort.as_deref())?;
    let after = query.cursor.as_deref().filter(|c| !c.is_empty()).map(parse_plan_cursor).transpose()?;
    let mentee_of_me = match query.mentee_of.as_deref() {
        None => false,
        Some("me") => true,
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "mentee_of",
                "invalid_value",
                "must be one of: me",
            )
            .key("invalid_value.choice")
            .with("allowed", "me")]))
        }
    };
    let filter = PlanFilter {
        program_id: query.program_id.map(ProgramId::from_uuid),
        owner_id: query.owner_id.map(UserId::from_uuid),
        status: query.status,
        mentee_of_me,
        sort,
    };
    let limit = if page.limit == 0 { DEFAULT_LIMIT } else { page.limit.min(MAX_LIMIT) };
    let (plans, more) =
        caller.read(&state, move |c, actor| repo::list(c, actor, &filter, limit, after.as_ref())).await?;
    let next = if more { plans.last().map(|p| plan_cursor(sort, p)) } else { None };
    Ok(paging::respond_with_cursor(&req, plans.into_iter().map(PlanBody::from).collect(), next))
}

/// Draft a plan. You become its owner; you must be a delegate of the programme.
#[utoipa::path(
    tag = "plans",
    request_body = CreatePlanBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a retry replays the first answer",
            pattern = "^[\\x21-\\x7E]{1,255}$")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PlanBody, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "The same create sent again (client-supplied id)", body = PlanBody),
        (status = 403, description = "A member of the programme who is not a delegate", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`id_conflict`: another plan has this id; `program_closed`: the programme is closed or its follow-up has ended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`starts_on`/`ends_on`: `outside_program`, outside the training's first day to `follow_up_until`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/plans")]
pub async fn create_plan(
    caller: CallerToken,
    state: web::Data<AppState>,
    body: JsonBody<CreatePlanBody>,
) -> Result<HttpResponse, ApiError> {
    let cmd = NewPlan::try_from(body.0)?;
    caller
        .respond(
            &state,
            move |c, actor| repo::create(c, actor, &cmd),
            |result| created_or_existing(result, PlanBody::from),
        )
        .await
}

/// Read a plan you may see.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path, description = "Plan id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The plan", body = PlanBody, headers(("ETag" = String))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such plan, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/plans/{id}")]
pub async fn get_plan(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = PlanId::from_uuid(id.into_inner());
    let plan = caller
        .read_in_session(
            &state,
            move |c, user, session| repo::get_in_session(c, user, session, id),
            move |c, actor| repo::get(c, actor, id),
        )
        .await?;
    Ok(ok_versioned(&req, plan.version, &PlanBody::from(plan)))
}

endpoint! {
    /// Edit a plan's content: the owner, in `draft` or `changes_requested`. Honours `If-Match`.
    patch patch_plan "/plans/{id}" tag "plans", PlanId "Plan id", CallerToken,
    PatchPlanBody => PlanChanges::try_from, PlanBody "Changed",
    errors(403 "Not the owner", 404 "No such plan, or not visible to you", 409 "`invalid_state`: not editable in this status"),
    repo::update
}

endpoint! {
    /// Delete a draft (the owner). Reviewed plans are discontinued, not deleted.
    delete delete_plan "/plans/{id}" tag "plans", PlanId "Plan id", CallerToken,
    errors(403 "Not the owner", 404 "No such plan, or not visible to you", 409 "`invalid_state`: not a draft"),
    repo::delete
}

/// One event of a plan's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryBody {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// `plan`, `activity`, `indicator`, `measurement`, `check_in`, `comment`…
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `create`, `update`, `delete`, `submit`, `approve`, `request_changes`, `complete`, `discontinue`, `review`.
    pub action: String,
    /// The fields the change touched.
    pub fields: Vec<String>,
    pub reason: Option<String>,
}

impl From<HistoryEvent> for HistoryBody {
    fn from(e: HistoryEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_id: e.actor_id.map(|a| a.as_uuid()),
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            action: e.action,
            fields: e.fields,
            reason: e.reason,
        }
    }
}

/// The plan's history (its audit events), newest first.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path, description = "Plan id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events", body = PageBody<HistoryBody>),
        (status = 404, description = "No such plan, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/plans/{id}/history")]
pub async fn plan_history(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::query::QueryParams<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, query.cursor.as_deref())?;
    let id = PlanId::from_uuid(id.into_inner());
    let before = page.after.map(|c| c.id);
    let (events, more) =
        caller.read(&state, move |c, actor| repo::history(c, actor, id, page.limit, before)).await?;
    let next = if more {
        events
            .last()
            .map(|e| paging::encode_cursor(followup_domain::paging::Cursor { at: e.occurred_at, id: e.id }))
    } else {
        None
    };
    Ok(paging::respond_with_cursor(&req, events.into_iter().map(HistoryBody::from).collect(), next))
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(patch_plan)
        .service(delete_plan)
        .service(transitions::submit_plan)
        .service(transitions::approve_plan)
        .service(transitions::request_changes)
        .service(transitions::complete_plan)
        .service(transitions::discontinue_plan)
        .service(plan_history);
}
