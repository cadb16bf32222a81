//! Indicators of a plan: `/plans/{id}/indicators`, `/indicators/{id}`
//! (their measurements are in [`super::measurements`]).

use actix_web::{delete, get, patch, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::dto::{addressable, nullable, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::text::{check_optional, OptionalText, Text};
use followup_domain::ids::{IndicatorId, PlanId};
use followup_domain::indicators::{Indicator, IndicatorChanges, IndicatorFields, NewIndicator};
use followup_domain::values::Direction;
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
    /// The baseline and target the plan was approved with (for an indicator
    /// added later, those it was added with), beside the current ones, so a
    /// moved target shows; null until the plan is approved.
    pub approved_original: Option<ApprovedTargetBody>,
}

/// An indicator's baseline and target as approved.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({ "baseline": 0.0, "target": 20.0 }))]
pub struct ApprovedTargetBody {
    pub baseline: f64,
    pub target: f64,
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
            approved_original: i
                .approved_original
                .map(|a| ApprovedTargetBody { baseline: a.baseline, target: a.target }),
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

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_indicators)
        .service(create_indicator)
        .service(get_indicator)
        .service(patch_indicator)
        .service(delete_indicator);
}
