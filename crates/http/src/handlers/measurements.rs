//! Measurements of an indicator: recorded by the plan's owner
//! (`POST /indicators/{id}/measurements`), corrected (`PATCH
//! /measurements/{id}`) or withdrawn (`POST /measurements/{id}/withdraw`) by
//! their author, never deleted; each version a change replaced is kept
//! (`GET /measurements/{id}/versions`).

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::if_match_of;
use crate::dto::{
    addressable, created_or_existing, nullable, IdempotencyKeyHeader, IfMatchHeader, PageQuery,
};
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;
use followup_domain::ids::{IndicatorId, MeasurementId};
use followup_domain::indicators::{Measurement, MeasurementCorrection, MeasurementVersion, NewMeasurement};
use followup_domain::values::Evidence;
use followup_domain::{DomainError, Validator};
use followup_persistence::repo::indicators as repo;

/// A measurement of an indicator. Its author corrects it (`PATCH`) or
/// withdraws it (`POST …/withdraw`); the versions replaced are at
/// `GET /measurements/{id}/versions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasurementBody {
    pub id: Uuid,
    pub indicator_id: Uuid,
    #[schema(example = 12.0)]
    pub value: f64,
    #[schema(example = "2023-08-31")]
    pub measured_on: NaiveDate,
    pub note: Option<String>,
    pub evidence: Vec<Evidence>,
    pub recorded_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// 1 when recorded; one more with each correction or withdrawal.
    #[schema(example = 1)]
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// When its author withdrew it; a withdrawn measurement is never its
    /// indicator's `current_value`. `null` while it stands.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Why it was withdrawn.
    #[schema(example = json!(null))]
    pub withdrawn_reason: Option<String>,
}

addressable!(MeasurementBody, "/api/v1/measurements/{}", id);

impl From<Measurement> for MeasurementBody {
    fn from(m: Measurement) -> Self {
        Self {
            id: m.id.as_uuid(),
            indicator_id: m.indicator_id.as_uuid(),
            value: m.value,
            measured_on: m.measured_on,
            note: m.note,
            evidence: m.evidence,
            recorded_by: m.recorded_by.as_uuid(),
            created_at: m.created_at,
            version: m.version,
            updated_at: m.updated_at,
            withdrawn_at: m.withdrawn.as_ref().map(|w| w.at),
            withdrawn_reason: m.withdrawn.map(|w| w.reason),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "value": 14,
    "measured_on": "2023-08-31",
    "note": "First workshop, Sentra Efata Kupang.",
    "evidence": [{"url": "https://drive.example.org/kupang/workshop-attendance.pdf", "title": "Attendance sheet, peer-support workshop"}]
}))]
pub struct CreateMeasurementBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    pub value: f64,
    pub measured_on: NaiveDate,
    #[schema(inline)]
    pub note: Option<OptionalText<2000>>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub evidence: Vec<Evidence>,
}

impl TryFrom<CreateMeasurementBody> for NewMeasurement {
    type Error = DomainError;
    fn try_from(b: CreateMeasurementBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        if !b.value.is_finite() {
            v.push(followup_domain::FieldError::new("value", "not_finite", "must be a finite number"));
        }
        let note = v.check(check_optional("note", b.note.as_ref())).flatten();
        let evidence = v.check_all(Evidence::parse_list(&b.evidence));
        v.finish(|| {
            Some(NewMeasurement {
                id: b.id.map(MeasurementId::from_uuid).unwrap_or_default(),
                value: b.value,
                measured_on: b.measured_on,
                note,
                evidence: evidence?,
            })
        })
    }
}

endpoint! {
    /// An indicator's measurements, in recording order, withdrawn ones included (marked).
    list list_measurements "/indicators/{id}/measurements" tag "indicators", IndicatorId "Indicator id", PageQuery,
    MeasurementBody "A page of measurements", errors(404 "No such indicator, or not visible to you"),
    |c, actor, id, _, page| repo::list_measurements(c, actor, id, page)
}

endpoint! {
    /// Read a measurement (where a recorded measurement's `Location` points).
    get get_measurement "/measurements/{id}" tag "indicators", MeasurementId "Measurement id", CallerToken,
    MeasurementBody "The measurement", errors(404 "No such measurement, or not visible to you"),
    repo::get_measurement
}

/// Record a measurement (the owner; only while the plan is active).
#[utoipa::path(
    tag = "indicators",
    params(("id" = Uuid, Path, description = "Indicator id"), IdempotencyKeyHeader),
    request_body = CreateMeasurementBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = MeasurementBody, headers(("Location" = String))),
        (status = 200, description = "The same create sent again (client-supplied id)", body = MeasurementBody),
        (status = 403, description = "Not the owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: the plan is not active; or `id_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`measured_on`: `in_the_future`; `evidence[i].url`…)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/indicators/{id}/measurements")]
pub async fn create_measurement(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateMeasurementBody>,
) -> Result<HttpResponse, ApiError> {
    let cmd = NewMeasurement::try_from(body.0)?;
    let id = IndicatorId::from_uuid(id.into_inner());
    caller
        .respond(
            &state,
            move |c, actor| repo::record_measurement(c, actor, id, &cmd),
            |result| created_or_existing(result, MeasurementBody::from),
        )
        .await
}

/// A correction of a measurement: the fields sent replace the current ones;
/// `reason` says why (kept with the version replaced).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "value": 16,
    "reason": "Two participants signed the attendance sheet on the back; 16 came, not 14."
}))]
pub struct CorrectMeasurementBody {
    pub value: Option<f64>,
    /// Not after today in the plan owner's time zone.
    pub measured_on: Option<NaiveDate>,
    /// `null` clears the note.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<2000>>, inline)]
    pub note: Option<Option<OptionalText<2000>>>,
    #[schema(max_items = 20)]
    pub evidence: Option<Vec<Evidence>>,
    /// Why the measurement is corrected.
    #[schema(inline)]
    pub reason: Text<1000>,
}

impl TryFrom<CorrectMeasurementBody> for MeasurementCorrection {
    type Error = DomainError;
    fn try_from(b: CorrectMeasurementBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        if b.value.is_some_and(|x| !x.is_finite()) {
            v.push(followup_domain::FieldError::new("value", "not_finite", "must be a finite number"));
        }
        let note = b.note.map(|n| v.check(check_optional("note", n.as_ref())).flatten());
        let evidence = b.evidence.map(|e| v.check_all(Evidence::parse_list(&e)));
        let reason = v.check(b.reason.check("reason"));
        v.finish(|| {
            Some(MeasurementCorrection {
                value: b.value,
                measured_on: b.measured_on,
                note,
                evidence: match evidence {
                    Some(e) => Some(e?),
                    None => None,
                },
                reason: reason?,
            })
        })
    }
}

endpoint! {
    /// Correct a measurement (its author, while the plan is active; not once
    /// withdrawn). The version replaced is kept with the reason; the
    /// indicator's current value follows. Requires `If-Match`.
    patch correct_measurement "/measurements/{id}" tag "indicators", MeasurementId "Measurement id", CallerToken,
    CorrectMeasurementBody => MeasurementCorrection::try_from, MeasurementBody "Corrected",
    errors(
        403 "Not the owner", 404 "No such measurement, or not visible to you",
        409 "`invalid_state`: the plan is not active, or the measurement is withdrawn"
    ),
    repo::correct_measurement
}

/// Why a measurement is withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Recorded against the wrong indicator: these were families, not young people."}))]
pub struct WithdrawMeasurementBody {
    #[schema(inline)]
    pub reason: Text<1000>,
}

/// Withdraw a measurement (its author, while the plan is active): it stays,
/// marked with when and why, and is no longer its indicator's current value.
/// Requires `If-Match`.
#[utoipa::path(
    tag = "indicators",
    params(("id" = Uuid, Path, description = "Measurement id"), IfMatchHeader),
    request_body = WithdrawMeasurementBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn", body = MeasurementBody, headers(("ETag" = String))),
        (status = 403, description = "Not the owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such measurement, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: the plan is not active, or the measurement is already withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match: send the ETag of your last read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`reason` missing or blank", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/measurements/{id}/withdraw")]
pub async fn withdraw_measurement(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<WithdrawMeasurementBody>,
) -> Result<HttpResponse, ApiError> {
    let id = MeasurementId::from_uuid(id.into_inner());
    let expected = if_match_of(&req, &format!("/api/v1/measurements/{}", id.as_uuid()))?;
    let reason = body.0.reason.check("reason").map_err(DomainError::from)?;
    caller
        .respond(
            &state,
            move |c, actor| repo::withdraw_measurement(c, actor, id, &reason, &expected),
            |m| {
                let body = MeasurementBody::from(m);
                crate::conditional::updated(body.version, &body)
            },
        )
        .await
}

/// A version of a measurement that a correction or a withdrawal replaced.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasurementVersionBody {
    #[schema(example = 1)]
    pub version: i64,
    #[schema(example = 14.0)]
    pub value: f64,
    #[schema(example = "2023-08-31")]
    pub measured_on: NaiveDate,
    pub note: Option<String>,
    pub evidence: Vec<Evidence>,
    /// When this version was written (recorded or corrected).
    pub updated_at: DateTime<Utc>,
    /// When the next version replaced it.
    pub replaced_at: DateTime<Utc>,
    /// Who replaced it (the author); `null` if that account is gone.
    pub replaced_by: Option<Uuid>,
    /// Why it was corrected or withdrawn.
    #[schema(example = "Two participants signed the attendance sheet on the back; 16 came, not 14.")]
    pub reason: String,
}

impl From<MeasurementVersion> for MeasurementVersionBody {
    fn from(v: MeasurementVersion) -> Self {
        Self {
            version: v.version,
            value: v.value,
            measured_on: v.measured_on,
            note: v.note,
            evidence: v.evidence,
            updated_at: v.updated_at,
            replaced_at: v.replaced_at,
            replaced_by: v.replaced_by.map(|id| id.as_uuid()),
            reason: v.reason,
        }
    }
}

/// A measurement's earlier versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasurementVersionsBody {
    /// Oldest first; the current version is the measurement's GET.
    pub items: Vec<MeasurementVersionBody>,
}

endpoint! {
    /// A measurement's earlier versions, oldest first, each with when, by whom
    /// and why the next one replaced it.
    items list_measurement_versions "/measurements/{id}/versions" tag "indicators", MeasurementId "Measurement id",
    MeasurementVersionsBody { MeasurementVersionBody } "The versions corrections and a withdrawal replaced",
    errors(404 "No such measurement, or not visible to you"),
    repo::measurement_versions
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_measurements)
        .service(create_measurement)
        .service(get_measurement)
        .service(correct_measurement)
        .service(withdraw_measurement)
        .service(list_measurement_versions);
}
