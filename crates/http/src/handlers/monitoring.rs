//! Monitoring: the programme dashboard, the delegates table and the mentor
//! overview. The rules behind every figure live in
//! `followup_domain::monitoring`; the definitions below repeat them for
//! clients.
//!
//! Paging of the two tables is by offset: the figures are computed for every
//! row in scope (a constant number of queries) and then sorted, so the cursor
//! carries the sort and the position of the next row. A row may move between
//! pages when the figures change while a client pages.

use std::cmp::Ordering;

use actix_web::{get, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use followup_domain::ids::ProgramId;
use followup_domain::monitoring::{attention_order_keys, Dashboard, DelegateRow, DelegateSort, RowKey};
use followup_domain::values::{PlanStatus, Progress};
use followup_domain::FieldError;
use followup_persistence::repo::monitoring as repo;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::CallerToken;
use crate::db;

use crate::dto::{list_query, PageQuery};
use crate::paging::{self, PageBody};
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// Plans in scope by status; every status word is present, zeros included.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlansByStatus {
    /// Always 0 for observers: they never see drafts.
    pub draft: i64,
    pub submitted: i64,
    pub changes_requested: i64,
    pub active: i64,
    pub completed: i64,
    pub discontinued: i64,
}

/// Activities of the `active` plans in scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityFigures {
    /// Every activity of an active plan, whatever its status.
    #[schema(example = 48)]
    pub total: i64,
    /// Those with status `done`.
    #[schema(example = 20)]
    pub done: i64,
    /// Those neither `done` nor `cancelled` whose `due_on` is before today in
    /// the plan owner's time zone (`users.time_zone`).
    #[schema(example = 3)]
    pub overdue: i64,
}

/// How many active plans have a latest check-in with this progress word, and
/// their share of the active plans.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareFigure {
    #[schema(example = 5)]
    pub plans: i64,
    /// `plans` / number of active plans, 0–1; 0 when there is no active plan.
    #[schema(example = 0.5)]
    pub share: f64,
}

/// The latest check-in of each `active` plan in scope: the one with the
/// latest `reported_on`, ties broken by `created_at` then id.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInFigures {
    /// Active plans in scope (the denominator of every share).
    #[schema(example = 10)]
    pub active_plans: i64,
    pub on_track: ShareFigure,
    pub at_risk: ShareFigure,
    pub off_track: ShareFigure,
    /// Active plans without any check-in.
    pub no_check_in: ShareFigure,
}

/// Delegates in scope who are silent: they have an `active` plan (a draft,
/// submitted, changes_requested, completed or discontinued plan takes no
/// check-ins, so its owner is never silent), and the `reported_on` of their
/// latest check-in in this programme (or, with none, the programme's
/// `training_ends_on`) is more than `check_in_cadence_days` days before
/// today in the delegate's time zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct SilentFigures {
    #[schema(example = 2)]
    pub count: i64,
    /// Their user ids.
    pub delegate_ids: Vec<Uuid>,
}

/// Indicators of the `active` plans in scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorFigures {
    #[schema(example = 12)]
    pub total: i64,
    /// Behind schedule: progress from baseline toward target (either
    /// direction; current value = latest measurement, or the baseline without
    /// one; clamped to 0–1) is below the share of the plan period elapsed
    /// (today in the owner's time zone between `starts_on` and `ends_on`,
    /// clamped to 0–1). An indicator whose target equals its baseline is
    /// never behind.
    #[schema(example = 4)]
    pub behind_schedule: i64,
}

/// Aggregates of a programme. Scope: coordinators, observers and admins see
/// the whole programme (observers without draft plans, which they never
/// see); a mentor sees his mentees (the delegates he mentors in this
/// programme) and their plans.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardBody {
    pub program_id: Uuid,
    /// Delegate members of the programme in scope.
    #[schema(example = 15)]
    pub delegates: i64,
    pub plans_by_status: PlansByStatus,
    pub activities: ActivityFigures,
    pub check_ins: CheckInFigures,
    pub silent_delegates: SilentFigures,
    pub indicators: IndicatorFigures,
    /// Check-ins of the plans in scope (any plan status) whose review is `pending`.
    #[schema(example = 6)]
    pub check_ins_awaiting_review: i64,
    /// Follow-up survey rounds open on a delegate's date (their time zone)
    /// that they have not answered, summed over the delegates in scope.
    #[schema(example = 3)]
    pub surveys_unanswered: i64,
}

impl DashboardBody {
    fn new(program_id: ProgramId, d: &Dashboard) -> Self {
        let status = |s: PlanStatus| d.plans_by_status.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
        let share = |plans: i64| ShareFigure {
            plans,
            share: if d.active_plans > 0 { plans as f64 / d.active_plans as f64 } else { 0.0 },
        };
        let progress =
            |p: Progress| share(d.latest_progress.iter().find(|s| s.progress == p).map_or(0, |s| s.plans));
        Self {
            program_id: program_id.as_uuid(),
            delegates: d.delegates,
            plans_by_status: PlansByStatus {
                draft: status(PlanStatus::Draft),
                submitted: status(PlanStatus::Submitted),
                changes_requested: status(PlanStatus::ChangesRequested),
                active: status(PlanStatus::Active),
                completed: status(PlanStatus::Completed),
                discontinued: status(PlanStatus::Discontinued),
            },
            activities: ActivityFigures {
                total: d.activities_total,
                done: d.activities_done,
                overdue: d.activities_overdue,
            },
            check_ins: CheckInFigures {
                active_plans: d.active_plans,
                on_track: progress(Progress::OnTrack),
                at_risk: progress(Progress::AtRisk),
                off_track: progress(Progress::OffTrack),
                no_check_in: share(d.active_plans_without_check_in),
            },
            silent_delegates: SilentFigures {
                count: d.silent_delegate_ids.len() as i64,
                delegate_ids: d.silent_delegate_ids.iter().map(|id| id.as_uuid()).collect(),
            },
            indicators: IndicatorFigures { total: d.indicators_total, behind_schedule: d.indicators_behind },
            check_ins_awaiting_review: d.check_ins_awaiting_review,
            surveys_unanswered: d.surveys_unanswered,
        }
    }
}

/// An organisation, by id and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationRef {
    pub id: Uuid,
    #[schema(example = "Sentra Efata Kupang")]
    pub name: String,
}

/// A plan, by id and status.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanRef {
    pub id: Uuid,
    pub status: PlanStatus,
}

/// One delegate of a programme and how their follow-up is going. The
/// *current plan* is the delegate's most recently created plan that is not
/// `discontinued` (among those the caller may see: never a draft for an
/// observer). "Today" is today in the delegate's time zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct DelegateRowBody {
    pub program_id: Uuid,
    #[schema(example = "KOICA-ITP-2023")]
    pub program_code: String,
    pub delegate_id: Uuid,
    #[schema(example = "Yohanes Lado")]
    pub display_name: String,
    /// The delegate's organisation, if any.
    pub organization: Option<OrganizationRef>,
    /// The `region` of the delegate's organisation, if any.
    #[schema(example = "Nusa Tenggara Timur")]
    pub region: Option<String>,
    /// The current plan; `null` without one.
    pub plan: Option<PlanRef>,
    /// Activities of the current plan with status `done`, as a percentage
    /// (0–100) of all its activities; `null` without a plan or activities.
    #[schema(example = 37.5)]
    pub activities_done_percent: Option<f64>,
    /// Overdue activities of the current plan while it is `active` (not
    /// `done` nor `cancelled`, `due_on` before today); 0 for a plan in any
    /// other status.
    #[schema(example = 2)]
    pub overdue_activities: i64,
    /// Days from the `reported_on` of the delegate's latest check-in in this
    /// programme (any visible plan) to today; `null` without check-ins.
    #[schema(example = 9)]
    pub days_since_last_check_in: Option<i64>,
    /// Indicators of the current plan behind schedule (see the dashboard's
    /// definition) while it is `active`; 0 for a plan in any other status.
    #[schema(example = 1)]
    pub indicators_behind: i64,
    /// The progress word of the current plan's latest check-in.
    pub latest_progress: Option<Progress>,
    /// Check-ins of the delegate's visible plans in this programme whose
    /// review is `pending`.
    #[schema(example = 1)]
    pub open_reviews: i64,
    /// See the dashboard's definition of a silent delegate.
    pub silent: bool,
    /// Follow-up survey rounds open on the delegate's date that they have
    /// not answered.
    #[schema(example = 1)]
    pub surveys_unanswered: i64,
}

impl From<DelegateRow> for DelegateRowBody {
    fn from(r: DelegateRow) -> Self {
        Self {
            program_id: r.program_id.as_uuid(),
            program_code: r.program_code,
            delegate_id: r.user_id.as_uuid(),
            display_name: r.display_name,
            organization: r.organization.map(|(id, name)| OrganizationRef { id, name }),
            region: r.region,
            plan: r.plan.map(|(id, status)| PlanRef { id: id.as_uuid(), status }),
            activities_done_percent: r.activities_done_percent,
            overdue_activities: r.overdue_activities,
            days_since_last_check_in: r.days_since_last_check_in,
            indicators_behind: r.indicators_behind,
            latest_progress: r.latest_progress,
            open_reviews: r.open_reviews,
            silent: r.silent,
            surveys_unanswered: r.surveys_unanswered,
        }
    }
}

list_query! {
    pub struct DelegatesQuery, cursor: " `next_cursor` of the previous page (of the same `sort`)." {
        /// A column, `-` in front for descending: `name` (default), `organization`
        /// (its name), `region`, `plan_status`, `done_percent`, `overdue`,
        /// `days_since_check_in`, `indicators_behind`, `progress` (on_track <
        /// at_risk < off_track), `open_reviews`, `silent` (false < true). A missing
        /// value sorts lowest; ties by display name, then ids.
        #[param(
            example = "-overdue",
            pattern = "^(-?(name|organization|region|plan_status|done_percent|overdue|days_since_check_in|indicators_behind|progress|open_reviews|silent))?$"
        )]
        pub sort: Option<String>,
    }
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request("invalid_cursor", "The cursor is not one this API issued for this sort.")
}

/// A page cursor: the order it belongs to and the key of the page's last row.
#[derive(Serialize, serde::Deserialize)]
struct After {
    #[serde(rename = "o")]
    order: String,
    #[serde(rename = "k")]
    key: RowKey,
}

fn encode_cursor(order: &str, key: RowKey) -> Option<String> {
    let json = serde_json::to_vec(&After { order: order.to_owned(), key }).ok()?;
    Some(URL_SAFE_NO_PAD.encode(json))
}

/// The key after which the page starts (`None`: from the first row).
fn decode_cursor(order: &str, raw: Option<&str>) -> Result<Option<RowKey>, ApiError> {
    let Some(raw) = raw.filter(|c| !c.is_empty()) else { return Ok(None) };
    let after: After = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(bad_cursor)?;
    if after.order != order {
        return Err(bad_cursor());
    }
    Ok(Some(after.key))
}

/// One page by keyset: the rows ordered by `cmp`, those after `after`.
/// A row that moves while a client pages is seen once at most where it
/// stands when its page is read, and the rows around it never shift.
fn page_of(
    req: &HttpRequest,
    rows: &[DelegateRow],
    order: &str,
    after: Option<RowKey>,
    limit: u32,
    cmp: impl Fn(&RowKey, &RowKey) -> Ordering,
) -> HttpResponse {
    let mut keyed: Vec<(RowKey, &DelegateRow)> = rows.iter().map(|r| (RowKey::of(r), r)).collect();
    keyed.sort_by(|a, b| cmp(&a.0, &b.0));
    let start = after.map_or(0, |after| keyed.partition_point(|(k, _)| cmp(k, &after) != Ordering::Greater));
    let limit = limit as usize;
    let more = keyed.len() > start.saturating_add(limit);
    let page: Vec<(RowKey, &DelegateRow)> = keyed.into_iter().skip(start).take(limit).collect();
    let next = if more { page.last().and_then(|(k, _)| encode_cursor(order, k.clone())) } else { None };
    let items = page.into_iter().map(|(_, row)| DelegateRowBody::from(row.clone())).collect();
    paging::respond_with_cursor(req, items, next)
}

/// The programme's dashboard: plans by status, activities done and overdue,
/// the latest check-in's progress, silent delegates, indicators behind
/// schedule and check-ins awaiting review. Coordinators, observers (without
/// drafts) and admins see the whole programme, a mentor his mentees; a
/// delegate gets 403.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = Uuid, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The dashboard", body = DashboardBody),
        (status = 403, description = "A delegate of the programme", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/dashboard")]
pub async fn dashboard(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = ProgramId::from_uuid(id.into_inner());
    let cache = state.monitoring_cache.clone();
    let figures = db::whole_programme(
        caller.read(&state, move |c, actor| repo::program_figures(c, actor, id, cache.as_deref())),
    )
    .await?;
    Ok(HttpResponse::Ok().json(DashboardBody::new(id, &figures.dashboard)))
}

/// One row per delegate of the programme (a mentor: his mentees only) with
/// the current plan, % of activities done, overdue activities, days since
/// the last check-in, indicators behind schedule, the latest progress word,
/// open reviews and whether the delegate is silent. Same access as the
/// dashboard. Keyset paging: the cursor holds the sort and the last row's
/// values, so a row never shifts between pages while figures change.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = Uuid, Path, description = "Programme id"), DelegatesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of delegates", body = PageBody<DelegateRowBody>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "`invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A delegate of the programme", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `sort` or `limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/delegates")]
pub async fn delegates(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::query::QueryParams<DelegatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, None)?;
    let sort = match query.sort.as_deref() {
        None | Some("") => DelegateSort::default(),
        Some(raw) => DelegateSort::parse(raw).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "sort",
                "invalid_value",
                format!("must be one of: {}", DelegateSort::words()),
            )])
        })?,
    };
    let order = format!("d|{}", sort.as_param());
    let after = decode_cursor(&order, query.cursor.as_deref())?;
    let id = ProgramId::from_uuid(id.into_inner());
    let cache = state.monitoring_cache.clone();
    let figures = db::whole_programme(
        caller.read(&state, move |c, actor| repo::program_figures(c, actor, id, cache.as_deref())),
    )
    .await?;
    Ok(page_of(&req, &figures.rows, &order, after, page.limit, |a, b| sort.compare_keys(a, b)))
}

/// The caller's mentees across all programmes, one row per (programme,
/// delegate) with the figures of the delegates table, most in need of
/// attention first: silent first, then more overdue activities, more open
/// reviews, more days since the last check-in (never checked in counts as
/// the most), more indicators behind schedule, then by display name,
/// programme code and ids. Empty for a caller who mentors no one. Keyset
/// paging, as the delegates table.
#[utoipa::path(
    tag = "monitoring",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of mentees", body = PageBody<DelegateRowBody>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "`invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/mentor/overview")]
pub async fn mentor_overview(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    query: crate::query::QueryParams<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = paging::page_request(query.limit, None)?;
    let after = decode_cursor("o", query.cursor.as_deref())?;
    let cache = state.monitoring_cache.clone();
    let figures = db::whole_programme(
        caller.read(&state, move |c, actor| repo::mentor_overview(c, actor, cache.as_deref())),
    )
    .await?;
    Ok(page_of(&req, &figures.rows, "o", after, page.limit, attention_order_keys))
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(dashboard).service(delegates).service(mentor_overview);
}
