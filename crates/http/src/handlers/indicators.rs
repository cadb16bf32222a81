//! Indicators of a plan and their measurements: `/plans/{id}/indicators`,
//! `/indicators/{id}`, `/indicators/{id}/measurements`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::dto::{addressable, created_or_existing, nullable, Addressable, IdempotencyKeyHeader, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;
use followup_domain::ids::{IndicatorId, MeasurementId, PlanId};
use followup_domain::indicators::{
    Indicator, IndicatorChanges, IndicatorFields, Measurement, NewIndicator, NewMeasurement,
};
use followup_domain::values::{Direction, Evidence};
use followup_domain::{DomainError, Validator};
use followup_persistence::repo::indicators as repo;
/// An indicator of a plan, with its latest value and progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorBody {
    pub id: Uuid,
    pub plan_id: Uuid,
    #[schema(example = "Social workers trained in peer support")]
    pub name: String,
    #[schema(example = "people")]
    pub unit: Option<String>,
    #[schema(example = 0.0)]
    pub baseline: f64,
    #[schema(example = 20.0)]
    pub target: f64,
    pub direction: Direction,
    /// The latest measurement's value (by `measured_on`, then recording time).
    #[schema(example = 12.0)]
    pub current_value: Option<f64>,
    /// Share of the way from baseline to target, 0–1 (either direction); null without measurements.
    #[schema(example = 0.6)]
    pub progress: Option<f64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

addressable!(IndicatorBody, "/api/v1/indicators/{}", id);

impl From<Indicator> for IndicatorBody {
    fn from(i: Indicator) -> Self {
        let progress = i.progress();
        Self {
            id: i.id.as_uuid(),
            plan_id: i.plan_id.as_uuid(),
            name: i.name,
            unit: i.unit,
            baseline: i.baseline,
            target: i.target,
            direction: i.direction,
            current_value: i.current_value,
            progress,
            version: i.version,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Social workers trained in peer support",
    "unit": "people",
    "baseline": 0,
    "target": 40,
    "direction": "increase"
}))]
pub struct CreateIndicatorBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    #[schema(inline)]
    pub name: Text<300>,
    #[schema(inline)]
    pub unit: Option<OptionalText<50>>,
    pub baseline: f64,
    /// Greater than `baseline` for `increase`, less for `decrease`.
    pub target: f64,
    pub direction: Direction,
}

impl TryFrom<CreateIndicatorBody> for NewIndicator {
    type Error = DomainError;
    fn try_from(b: CreateIndicatorBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = v.check(b.name.check("name"));
        let unit = v.check(check_optional("unit", b.unit.as_ref())).flatten();
        let fields = v.finish(|| {
            Some(IndicatorFields {
                name: name?,
                unit,
                baseline: b.baseline,
                target: b.target,
                direction: b.direction,
            })
        })?;
        fields.check()?;
        Ok(NewIndicator { id: b.id.map(IndicatorId::from_uuid).unwrap_or_default(), fields })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchIndicatorBody {
    #[schema(inline)]
    pub name: Option<Text<300>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<50>>, inline)]
    pub unit: Option<Option<OptionalText<50>>>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub direction: Option<Direction>,
}

impl TryFrom<PatchIndicatorBody> for IndicatorChanges {
    type Error = DomainError;
    fn try_from(b: PatchIndicatorBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = b.name.as_ref().map(|n| v.check(n.check("name")));
        let unit = b.unit.map(|u| v.check(check_optional("unit", u.as_ref())).flatten());
        v.finish(|| {
            Some(IndicatorChanges {
                name: name.map(|n| n.unwrap_or_default()),
                unit,
                baseline: b.baseline,
                target: b.target,
                direction: b.direction,
            })
        })
    }
}

endpoint! {
    /// A plan's indicators.
    list list_indicators "/plans/{id}/indicators" tag "indicators", PlanId "Plan id", PageQuery,
    IndicatorBody "A page of indicators", errors(404 "No such plan, or not visible to you"),
    |c, actor, id, _, page| repo::list_indicators(c, actor, id, page)
}

endpoint! {
    /// Add an indicator (the owner; plan in draft, changes_requested or active).
    create create_indicator "/plans/{id}/indicators" tag "indicators", PlanId "Plan id",
    CreateIndicatorBody => NewIndicator::try_from, IndicatorBody "Created",
    errors(
        403 "Not the owner", 404 "No such plan, or not visible to you", 409 "`invalid_state` or `id_conflict`",
        422 "Invalid fields (`target`: `inconsistent_direction`…)"
    ),
    repo::create_indicator
}

endpoint! {
    /// Read an indicator.
    get get_indicator "/indicators/{id}" tag "indicators", IndicatorId "Indicator id", CallerToken,
    IndicatorBody "The indicator", errors(404 "No such indicator, or not visible to you"),
    repo::get_indicator
}

endpoint! {
    /// Change an indicator (the owner). Honours `If-Match`.
    patch patch_indicator "/indicators/{id}" tag "indicators", IndicatorId "Indicator id", CallerToken,
    PatchIndicatorBody => IndicatorChanges::try_from, IndicatorBody "Changed",
    errors(403 "Not the owner", 404 "No such indicator, or not visible to you", 409 "`invalid_state`"),
    repo::update_indicator
}

endpoint! {
    /// Delete an indicator and its measurements (the owner). Honours `If-Match`.
    delete delete_indicator "/indicators/{id}" tag "indicators", IndicatorId "Indicator id", CallerToken,
    errors(403 "Not the owner", 404 "No such indicator, or not visible to you", 409 "`invalid_state`"),
    repo::delete_indicator
}

/// A measurement of an indicator (append-only).
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
}

/// Measurements are append-only: always version 1.
impl Addressable for MeasurementBody {
    fn location(&self) -> String {
        format!("/api/v1/measurements/{}", self.id)
    }
    fn version(&self) -> i64 {
        1
    }
}

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
    /// An indicator's measurements, in recording order.
    list list_measurements "/indicators/{id}/measurements" tag "indicators", IndicatorId "Indicator id", PageQuery,
    MeasurementBody "A page of measurements", errors(404 "No such indicator, or not visible to you"),
    |c, actor, id, _, page| repo::list_measurements(c, actor, id, page)
}

/// Read a measurement (where a recorded measurement's `Location` points).
#[utoipa::path(
    tag = "indicators",
    params(("id" = Uuid, Path, description = "Measurement id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The measurement", body = MeasurementBody, headers(("ETag" = String))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such measurement, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/measurements/{id}")]
pub async fn get_measurement(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = MeasurementId::from_uuid(id.into_inner());
    let found = caller.read(&state, move |c, actor| repo::get_measurement(c, actor, id)).await?;
    let body = MeasurementBody::from(found);
    Ok(crate::conditional::ok_versioned(&req, body.version(), &body))
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

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_indicators)
        .service(create_indicator)
        .service(get_indicator)
        .service(patch_indicator)
        .service(delete_indicator)
        .service(list_measurements)
        .service(get_measurement)
        .service(create_measurement);
}
