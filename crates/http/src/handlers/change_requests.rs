//! Change requests on running plans: `POST /plans/{id}/change-requests`
//! proposes, `GET` the same path lists, `GET /change-requests/{id}` reads,
//! `POST /change-requests/{id}/approve` applies and `/decline` refuses.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use followup_domain::change_requests::{ChangeRequest, IndicatorChange, NewChangeRequest, ProposedChanges};
use followup_domain::ids::{ChangeRequestId, IndicatorId, PlanId};
use followup_domain::values::ChangeRequestStatus;
use followup_domain::{DomainError, Validator};
use followup_persistence::repo::change_requests as repo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::updated;
use crate::dto::{addressable, IdempotencyKeyHeader, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::handlers::plans::{ReasonBody, RequiredReasonBody};
use crate::json::{JsonBody, OptionalJsonBody};
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, Text};
use crate::AppState;

/// New values for one indicator (absent ones stay).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "indicator_id": "01939c4e-7a10-7c1d-9e2f-3a4b5c6d7e8f", "target": 30.0 }))]
pub struct IndicatorChangeBody {
    pub indicator_id: Uuid,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

/// What a change request changes; what is absent stays.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "ends_on": "2024-02-29",
    "indicators": [{ "indicator_id": "01939c4e-7a10-7c1d-9e2f-3a4b5c6d7e8f", "target": 30.0 }]
}))]
pub struct ChangesBody {
    /// A new end date (within the programme's period).
    pub ends_on: Option<NaiveDate>,
    /// A new goal.
    pub goal: Option<String>,
    /// New baselines or targets of the plan's indicators, each named once.
    #[serde(default)]
    pub indicators: Vec<IndicatorChangeBody>,
}

/// A proposed change to a running plan and what became of it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01939c4e-9c20-7c1d-9e2f-3a4b5c6d7e8f", "plan_id": "01939c4e-2222-7c1d-9e2f-3a4b5c6d7e8f",
    "requested_by": "01939c4e-3333-7c1d-9e2f-3a4b5c6d7e8f",
    "reason": "The sub-district asked for the workshops to wait until after the rainy season; two more groups want to join.",
    "changes": { "ends_on": "2024-02-29", "indicators": [{ "indicator_id": "01939c4e-7a10-7c1d-9e2f-3a4b5c6d7e8f", "target": 30.0 }] },
    "status": "approved", "decided_by": "01939c4e-4444-7c1d-9e2f-3a4b5c6d7e8f", "decided_at": "2023-10-02T03:10:00Z",
    "decision_reason": "Agreed: the later end date keeps the sessions with the families.",
    "created_at": "2023-09-28T01:20:00Z", "version": 2
}))]
pub struct ChangeRequestBody {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// The owner who proposed it.
    pub requested_by: Option<Uuid>,
    pub reason: String,
    pub changes: ChangesBody,
    /// `open` until a mentor of the owner or a coordinator decides.
    pub status: ChangeRequestStatus,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

addressable!(ChangeRequestBody, "/api/v1/change-requests/{}", id);

impl From<ChangeRequest> for ChangeRequestBody {
    fn from(r: ChangeRequest) -> Self {
        Self {
            id: r.id.as_uuid(),
            plan_id: r.plan_id.as_uuid(),
            requested_by: r.requested_by.map(|u| u.as_uuid()),
            reason: r.reason,
            changes: ChangesBody {
                ends_on: r.changes.ends_on,
                goal: r.changes.goal,
                indicators: r
                    .changes
                    .indicators
                    .into_iter()
                    .map(|i| IndicatorChangeBody {
                        indicator_id: i.indicator_id.as_uuid(),
                        baseline: i.baseline,
                        target: i.target,
                    })
                    .collect(),
            },
            status: r.status,
            decided_by: r.decided_by.map(|u| u.as_uuid()),
            decided_at: r.decided_at,
            decision_reason: r.decision_note,
            created_at: r.created_at,
            version: r.version,
        }
    }
}

/// A change the owner proposes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reason": "The sub-district asked for the workshops to wait until after the rainy season; two more groups want to join.",
    "changes": { "ends_on": "2024-02-29", "indicators": [{ "indicator_id": "01939c4e-7a10-7c1d-9e2f-3a4b5c6d7e8f", "target": 30.0 }] }
}))]
pub struct CreateChangeRequestBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    /// Why the plan should change (what the mentor reads).
    #[schema(inline)]
    pub reason: Text<2000>,
    pub changes: ProposedChangesBody,
}

/// What to change; what is absent stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposedChangesBody {
    /// A new end date (within the programme's period).
    pub ends_on: Option<NaiveDate>,
    /// A new goal.
    #[schema(inline)]
    pub goal: Option<Text<4000>>,
    /// New baselines or targets of the plan's indicators, each named once.
    #[serde(default)]
    pub indicators: Vec<IndicatorChangeBody>,
}

impl TryFrom<CreateChangeRequestBody> for NewChangeRequest {
    type Error = DomainError;
    fn try_from(b: CreateChangeRequestBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let reason = v.check(b.reason.check("reason"));
        let goal = match &b.changes.goal {
            Some(goal) => v.check(goal.check("changes.goal")).map(Some),
            None => Some(None),
        };
        v.finish(|| {
            Some(NewChangeRequest {
                id: b.id.map(ChangeRequestId::from_uuid).unwrap_or_default(),
                reason: reason?,
                changes: ProposedChanges {
                    ends_on: b.changes.ends_on,
                    goal: goal?,
                    indicators: b
                        .changes
                        .indicators
                        .into_iter()
                        .map(|i| IndicatorChange {
                            indicator_id: IndicatorId::from_uuid(i.indicator_id),
                            baseline: i.baseline,
                            target: i.target,
                            version: 0,
                        })
                        .collect(),
                },
            })
        })
    }
}

endpoint! {
    /// A plan's change requests, oldest first (whoever may see the plan).
    list list_change_requests "/plans/{id}/change-requests" tag "plans", PlanId "Plan id", PageQuery,
    ChangeRequestBody "A page of change requests", errors(404 "No such plan, or not visible to you"),
    |c, actor, id, _, page| repo::list(c, actor, id, page)
}

endpoint! {
    /// Propose a change to a running plan (its owner): a new end date or goal, new baselines or targets. One may be open per plan; nothing changes until a mentor approves.
    create create_change_request "/plans/{id}/change-requests" tag "plans", PlanId "Plan id",
    CreateChangeRequestBody => NewChangeRequest::try_from, ChangeRequestBody "Proposed",
    errors(
        403 "Not the owner", 404 "No such plan, or not visible to you",
        409 "`change_request_open`: one is open already; `invalid_state`: the plan is not active",
        422 "Nothing proposed, an indicator not of this plan, or a value the plan cannot take"
    ),
    repo::create
}

endpoint! {
    /// Read a change request.
    get get_change_request "/change-requests/{id}" tag "plans", ChangeRequestId "Change request id", CallerToken,
    ChangeRequestBody "The change request", errors(404 "No such change request, or not visible to you"),
    repo::get
}

async fn decide(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: Uuid,
    approve: bool,
    reason: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ChangeRequestId::from_uuid(id);
    caller
        .respond(
            &state,
            move |c, actor| repo::decide(c, actor, id, approve, reason.as_deref()),
            |r| updated(r.version, &ChangeRequestBody::from(r)),
        )
        .await
}

/// Approve an open change request (a mentor of the owner or a coordinator):
/// its changes apply at once, in one transaction, audited with its reason;
/// the approved originals stay visible beside the new values. 409
/// `change_request_stale` when the plan or a named indicator changed since.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path, description = "Change request id"), IdempotencyKeyHeader),
    request_body(content = Option<ReasonBody>, description = "No body needed; `reason` is an optional note"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved and applied", body = ChangeRequestBody, headers(("ETag" = String))),
        (status = 403, description = "Not a mentor of the owner nor a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such change request, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`change_request_stale`, or `invalid_state`: decided already or the plan is not active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value the plan can no longer take", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/change-requests/{id}/approve")]
pub async fn approve_change_request(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: OptionalJsonBody<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.and_then(|b| b.reason);
    let reason = check_optional("reason", reason.as_ref()).map_err(DomainError::from)?;
    decide(caller, state, id.into_inner(), true, reason).await
}

/// Decline an open change request, with a reason (a mentor of the owner or
/// a coordinator): nothing changes.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path, description = "Change request id"), IdempotencyKeyHeader),
    request_body(content = RequiredReasonBody, description = "Why it is declined"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Declined", body = ChangeRequestBody, headers(("ETag" = String))),
        (status = 403, description = "Not a mentor of the owner nor a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such change request, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: decided already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`reason` missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/change-requests/{id}/decline")]
pub async fn decline_change_request(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<RequiredReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.reason.check("reason").map_err(DomainError::from)?;
    decide(caller, state, id.into_inner(), false, Some(reason)).await
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_change_requests)
        .service(create_change_request)
        .service(get_change_request)
        .service(approve_change_request)
        .service(decline_change_request);
}
