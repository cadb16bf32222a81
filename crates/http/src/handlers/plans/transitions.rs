//! The plan workflow over HTTP: `POST /plans/{id}/submit`, `/approve`,
//! `/request-changes`, `/complete`, `/discontinue`.

use actix_web::{post, web, HttpResponse};
use followup_domain::ids::PlanId;
use followup_domain::plans::Transition;
use followup_domain::DomainError;
use followup_persistence::repo::plans as repo;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::PlanBody;
use crate::auth::CallerToken;
use crate::conditional::updated;
use crate::dto::IdempotencyKeyHeader;
use crate::json::OptionalJsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;

/// A transition that needs (or takes) a reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Please add an indicator for the number of youth reached."}))]
pub struct ReasonBody {
    #[schema(inline)]
    pub reason: Option<OptionalText<2000>>,
}

/// The body of a transition that needs a reason (request changes,
/// discontinue): the schema says `reason` is required and not blank, as the
/// server checks (422 `required` on `reason` otherwise).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Please add an indicator for the number of youth reached."}))]
pub struct RequiredReasonBody {
    #[schema(inline)]
    pub reason: Text<2000>,
}

async fn run_transition(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: Uuid,
    t: Transition,
    reason: Option<OptionalText<2000>>,
) -> Result<HttpResponse, ApiError> {
    let reason = check_optional("reason", reason.as_ref()).map_err(DomainError::from)?;
    let reason = followup_domain::plans::transition_reason(t, reason)?;
    let id = PlanId::from_uuid(id);
    caller
        .respond(
            &state,
            move |c, actor| repo::transition(c, actor, id, t, reason.as_deref()),
            |plan| updated(plan.version, &PlanBody::from(plan)),
        )
        .await
}

/// The reason of a transition's body, which may be left out.
fn optional_reason(body: OptionalJsonBody<ReasonBody>) -> Option<OptionalText<2000>> {
    body.0.and_then(|b| b.reason)
}

macro_rules! transition_endpoint {
    ($name:ident, $path:literal, $t:expr, $doc:literal, $who:literal, $body:ty, $required:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "plans",
            params(("id" = Uuid, Path, description = "Plan id"), IdempotencyKeyHeader),
            request_body(content = $body, description = $required),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "The plan after the transition", body = PlanBody, headers(("ETag" = String))),
                (status = 403, description = $who, body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such plan, or not visible to you", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "`invalid_transition`: not allowed from the current status (named in `detail`)", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "`reason` missing where required", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $name(
            caller: CallerToken,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            body: OptionalJsonBody<ReasonBody>,
        ) -> Result<HttpResponse, ApiError> {
            run_transition(caller, state, id.into_inner(), $t, optional_reason(body)).await
        }
    };
}

transition_endpoint!(
    submit_plan,
    "/plans/{id}/submit",
    Transition::Submit,
    "Submit the plan for review (the owner; from `draft` or `changes_requested`).",
    "Not the owner",
    Option<ReasonBody>,
    "No body needed; `reason` is an optional note"
);
transition_endpoint!(
    approve_plan,
    "/plans/{id}/approve",
    Transition::Approve,
    "Approve a submitted plan: it becomes `active` (a mentor of the owner or a coordinator).",
    "Not a mentor of the owner nor a coordinator",
    Option<ReasonBody>,
    "Optional note as `reason`"
);
transition_endpoint!(
    request_changes,
    "/plans/{id}/request-changes",
    Transition::RequestChanges,
    "Send a submitted plan back to its owner with a reason (a mentor of the owner or a coordinator).",
    "Not a mentor of the owner nor a coordinator",
    RequiredReasonBody,
    "`reason` is required"
);
transition_endpoint!(
    complete_plan,
    "/plans/{id}/complete",
    Transition::Complete,
    "Mark an active plan completed (the owner, a mentor of the owner or a coordinator).",
    "Not the owner, a mentor of the owner nor a coordinator",
    Option<ReasonBody>,
    "Optional note as `reason`"
);
transition_endpoint!(
    discontinue_plan,
    "/plans/{id}/discontinue",
    Transition::Discontinue,
    "Stop a plan under review or active, with a reason (the owner, a mentor of the owner or a coordinator).",
    "Not the owner, a mentor of the owner nor a coordinator",
    RequiredReasonBody,
    "`reason` is required"
);
