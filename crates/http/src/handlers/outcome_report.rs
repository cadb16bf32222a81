//! `GET /programs/{id}/outcome-report` (JSON), `.csv` and `.html`: the
//! outcome report of a programme for its funder. The figures come from
//! `followup_domain::outcome_report` (the definitions are repeated in the
//! schema descriptions below); `crate::report` turns them into rows, charts
//! and the page.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use followup_domain::ids::ProgramId;
use followup_domain::outcome_report::{self as rules, DelegateRegularity, OutcomeReport, Standing};
use followup_domain::values::{Locale, PlanStatus};
use followup_persistence::repo::outcome_report as repo;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::csv::{write_row, Cell};
use crate::db;
use crate::i18n::{self, ProfileLocale};
use crate::problem::{ApiError, Problem};
use crate::report::all_figures as figures;
use crate::report::figures::Figure;
use crate::report::{charts, html, labels};
use crate::AppState;

/// The programme the report is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportProgram {
    pub id: Uuid,
    #[schema(example = "ITP-2023-IDN-YOUTH")]
    pub code: String,
    #[schema(example = "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia")]
    pub title: String,
    #[schema(example = "KOICA")]
    pub funder: Option<String>,
    #[schema(example = "2023-05-19")]
    pub training_ends_on: NaiveDate,
    #[schema(example = "2024-05-31")]
    pub follow_up_until: NaiveDate,
    #[schema(example = 14)]
    pub check_in_cadence_days: i32,
}

/// Whom the report covers.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportScope {
    /// Every delegate of the programme (coordinators, observers, admins).
    Programme,
    /// The delegates the calling mentor mentors in the programme.
    Mentees,
}

/// Plans that are not drafts, by status (drafts are never counted).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPlansByStatus {
    #[schema(example = 1)]
    pub submitted: i64,
    #[schema(example = 0)]
    pub changes_requested: i64,
    #[schema(example = 12)]
    pub active: i64,
    #[schema(example = 1)]
    pub completed: i64,
    #[schema(example = 0)]
    pub discontinued: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPlans {
    /// Plans in scope that are not drafts.
    #[schema(example = 14)]
    pub total: i64,
    pub by_status: ReportPlansByStatus,
}

/// Activities of the plans in scope that are not drafts, each in exactly one
/// category: `total` = `done_on_time` + `done_late` + `open` + `overdue` +
/// `cancelled` + `unfinished`. `open` and `overdue` count the activities of
/// plans still running or under review (submitted, changes requested,
/// active); on a completed or discontinued plan an activity neither done nor
/// cancelled is `unfinished`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportActivities {
    #[schema(example = 60)]
    pub total: i64,
    /// Status `done` and `completed_on` on or before `due_on` (or either unset).
    #[schema(example = 21)]
    pub done_on_time: i64,
    /// Status `done` and `completed_on` after `due_on`.
    #[schema(example = 4)]
    pub done_late: i64,
    /// Neither `done` nor `cancelled`, and not overdue: `due_on` is today or
    /// later in the plan owner's time zone, or unset.
    #[schema(example = 27)]
    pub open: i64,
    /// Neither `done` nor `cancelled`, and `due_on` before today in the plan
    /// owner's time zone (the activities list's `overdue`).
    #[schema(example = 6)]
    pub overdue: i64,
    /// Status `cancelled`.
    #[schema(example = 2)]
    pub cancelled: i64,
    /// Neither `done` nor `cancelled`, on a completed or discontinued plan.
    #[schema(example = 1)]
    pub unfinished: i64,
}

/// Indicators by standing against one set of targets; the three add up to the total.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportIndicatorStanding {
    /// The current value (latest measurement not withdrawn) has gone all the
    /// way from baseline to target (either direction).
    #[schema(example = 9)]
    pub reached: i64,
    /// Not reached and not behind.
    #[schema(example = 14)]
    pub on_track: i64,
    /// Progress from baseline toward target (the baseline without a
    /// measurement) below the share of the plan period elapsed at the owner's
    /// today, as the dashboard's `behind_schedule`.
    #[schema(example = 7)]
    pub behind: i64,
}

/// Indicators of the plans in scope that are not drafts, judged twice.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportIndicators {
    #[schema(example = 30)]
    pub total: i64,
    /// Against the baseline and target approved with the plan, and the plan's
    /// approved end date (`approved_original`); a plan not yet approved has
    /// none, and its current values stand in.
    pub against_original: ReportIndicatorStanding,
    /// Against the current baseline and target and the plan's current end date.
    pub against_current: ReportIndicatorStanding,
    /// Indicators whose current target differs from the approved original.
    #[schema(example = 2)]
    pub target_changed: i64,
}

/// One delegate's check-in regularity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDelegateCheckIns {
    pub user_id: Uuid,
    #[schema(example = "Yohanes Lado")]
    pub display_name: String,
    /// Check-ins on the delegate's plans that are not drafts.
    #[schema(example = 9)]
    pub made: i64,
    /// Whole cadence periods from the end of training to today (the
    /// delegate's, or `follow_up_until` if earlier).
    #[schema(example = 12)]
    pub expected: i64,
    /// Of those periods, the ones holding at least one check-in.
    #[schema(example = 8)]
    pub windows_on_schedule: i64,
    /// `windows_on_schedule / expected`, 0–1, rounded to 4 decimals; `null` while nothing is expected.
    #[schema(example = 0.6667)]
    pub share_on_schedule: Option<f64>,
    /// The most days between two consecutive dates among the end of
    /// training, the check-ins' `reported_on` and today (or `follow_up_until`).
    #[schema(example = 41)]
    pub longest_gap_days: i64,
    /// The latest `reported_on`; `null` without check-ins.
    #[schema(example = "2024-02-16")]
    pub last_reported_on: Option<NaiveDate>,
}

/// Check-in regularity. The follow-up so far runs from the programme's
/// `training_ends_on` to each delegate's today (or `follow_up_until`, if
/// earlier) and is cut into periods of `cadence_days` days, the first being
/// days 1 to `cadence_days` after the end of training.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCheckIns {
    #[schema(example = 14)]
    pub cadence_days: i32,
    /// Sums over the delegates.
    #[schema(example = 120)]
    pub made: i64,
    #[schema(example = 180)]
    pub expected: i64,
    #[schema(example = 101)]
    pub windows_on_schedule: i64,
    /// `windows_on_schedule / expected` over all delegates; `null` while nothing is expected.
    #[schema(example = 0.5611)]
    pub share_on_schedule: Option<f64>,
    /// Every delegate in scope, by name (also those without a plan or a check-in).
    pub delegates: Vec<ReportDelegateCheckIns>,
}

/// Change requests on the plans in scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportChangeRequests {
    #[schema(example = 4)]
    pub total: i64,
    #[schema(example = 2)]
    pub approved: i64,
    #[schema(example = 1)]
    pub declined: i64,
    /// Awaiting a decision.
    #[schema(example = 1)]
    pub open: i64,
    /// Approved requests that moved the plan's end date.
    #[schema(example = 1)]
    pub moved_end_date: i64,
    /// Approved requests that changed at least one indicator's target.
    #[schema(example = 2)]
    pub changed_target: i64,
}

/// The outcome report of a programme. Drafts count nowhere; no comment and
/// no free text of a plan or check-in is part of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeReportBody {
    pub program: ReportProgram,
    pub scope: ReportScope,
    /// The language of `labels` (and of the CSV and HTML forms).
    #[schema(example = "en")]
    pub language: Locale,
    pub generated_at: DateTime<Utc>,
    /// Delegates in scope.
    #[schema(example = 15)]
    pub delegates: i64,
    pub plans: ReportPlans,
    pub activities: ReportActivities,
    pub indicators: ReportIndicators,
    pub check_ins: ReportCheckIns,
    pub change_requests: ReportChangeRequests,
    /// Each follow-up survey round's results over the delegates in scope,
    /// in opening order (no free-text answer).
    pub surveys: Vec<crate::report::surveys::ReportSurveyRound>,
    /// The label of each figure in `language`, by figure key: `plans.active`,
    /// `activities.done_late`, `indicators.current.behind`, …; a delegate's
    /// figures share one label per measure (`check_ins.delegate.made`). The
    /// CSV's `key` column and the page's `data-figure` attributes use the
    /// same keys (a delegate's as `check_ins.delegate.<user_id>.<measure>`).
    #[schema(example = json!({ "plans.active": "Active", "activities.done_late": "Done late" }))]
    pub labels: BTreeMap<String, String>,
}

fn standing(s: &Standing) -> ReportIndicatorStanding {
    ReportIndicatorStanding { reached: s.reached, on_track: s.on_track, behind: s.behind }
}

fn delegate(d: &DelegateRegularity) -> ReportDelegateCheckIns {
    ReportDelegateCheckIns {
        user_id: d.user_id.as_uuid(),
        display_name: d.display_name.clone(),
        made: d.made,
        expected: d.expected,
        windows_on_schedule: d.windows_on_schedule,
        share_on_schedule: d.share_on_schedule,
        longest_gap_days: d.longest_gap_days,
        last_reported_on: d.last_reported_on,
    }
}

impl OutcomeReportBody {
    fn new(r: &OutcomeReport, all: &[Figure], lang: Locale) -> Self {
        let s = &r.sections;
        let p = &r.program;
        let (a, i, c, q) = (&s.activities, &s.indicators, &s.check_ins, &s.change_requests);
        Self {
            program: ReportProgram {
                id: p.id.as_uuid(),
                code: p.code.clone(),
                title: p.title.clone(),
                funder: p.funder.clone(),
                training_ends_on: p.training_ends_on,
                follow_up_until: p.follow_up_until,
                check_in_cadence_days: p.check_in_cadence_days,
            },
            scope: if r.mentees_only { ReportScope::Mentees } else { ReportScope::Programme },
            language: lang,
            generated_at: r.generated_at,
            delegates: r.delegates,
            plans: ReportPlans {
                total: s.plans.total,
                by_status: ReportPlansByStatus {
                    submitted: s.plans.count(PlanStatus::Submitted),
                    changes_requested: s.plans.count(PlanStatus::ChangesRequested),
                    active: s.plans.count(PlanStatus::Active),
                    completed: s.plans.count(PlanStatus::Completed),
                    discontinued: s.plans.count(PlanStatus::Discontinued),
                },
            },
            activities: ReportActivities {
                total: a.total,
                done_on_time: a.done_on_time,
                done_late: a.done_late,
                open: a.open,
                overdue: a.overdue,
                cancelled: a.cancelled,
                unfinished: a.unfinished,
            },
            indicators: ReportIndicators {
                total: i.total,
                against_original: standing(&i.against_original),
                against_current: standing(&i.against_current),
                target_changed: i.target_changed,
            },
            check_ins: ReportCheckIns {
                cadence_days: c.cadence_days,
                made: c.made,
                expected: c.expected,
                windows_on_schedule: c.windows_on_schedule,
                share_on_schedule: c.share_on_schedule,
                delegates: c.delegates.iter().map(delegate).collect(),
            },
            change_requests: ReportChangeRequests {
                total: q.total,
                approved: q.approved,
                declined: q.declined,
                open: q.open,
                moved_end_date: q.moved_end_date,
                changed_target: q.changed_target,
            },
            surveys: s
                .surveys
                .iter()
                .map(|round| crate::report::surveys::ReportSurveyRound::new(round, lang))
                .collect(),
            labels: all
                .iter()
                .map(|f| (f.label.to_owned(), labels::label(f.label, lang).to_owned()))
                .collect(),
        }
    }
}

/// The report's language: `Accept-Language` when sent, else the signed-in
/// caller's own language (known once their session was checked), else English.
fn language(req: &HttpRequest) -> Locale {
    match req.headers().get(header::ACCEPT_LANGUAGE) {
        Some(v) => i18n::negotiate(v.to_str().ok()),
        None => req.extensions().get::<ProfileLocale>().map_or(Locale::En, |p| p.0),
    }
}

/// Read the report as the caller may see it, and its language.
async fn load(
    req: &HttpRequest,
    caller: CallerToken,
    state: &AppState,
    id: Uuid,
) -> Result<(OutcomeReport, Locale), ApiError> {
    let program = ProgramId::from_uuid(id);
    let facts =
        db::whole_programme(caller.read(state, move |c, actor| repo::facts(c, actor, program))).await?;
    Ok((rules::compute(&facts), language(req)))
}

/// The answer with its language headers.
fn answer(lang: Locale) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str())))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Language")));
    res
}

/// A file name made of the programme code's safe characters.
fn file_name(code: &str, extension: &str) -> String {
    let safe: String =
        code.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("{safe}-outcome-report.{extension}")
}

/// The outcome report of a programme, for integrators.
///
/// What the funder (KOICA, an observer of the programme) learns of the
/// follow-up, e.g. of the 15 Indonesian delegates of *Enhancing Social
/// Rehabilitation Support for the Vulnerable Youth in Indonesia* (Jakarta to
/// Kupang): plans by status, activities done on time, late, open or overdue,
/// indicators reached, on track or behind against the targets approved with
/// each plan and against the current ones (change requests may have moved
/// them), check-in regularity per delegate, and change requests. Every figure
/// is defined in the schema.
///
/// **Never included:** draft plans (no figure counts a draft or anything on
/// it), comments (shared or mentors-only) and any free text of a plan or
/// check-in.
///
/// **Who may read:** the programme's coordinators, observers and admins (the
/// whole programme) and its mentors (the delegates they mentor; `scope` is
/// then `mentees`); a delegate of the programme gets 403; anyone else 404,
/// as for every read of a programme they cannot see.
///
/// **Language:** `labels` follow `Accept-Language` (`id` or `en`), or without
/// it the caller's own language; keys and codes do not change. The answer
/// carries `Content-Language`. The same figures: `outcome-report.csv`
/// (spreadsheets) and `outcome-report.html` (a printable page with charts).
#[utoipa::path(
    tag = "monitoring",
    params(("id" = Uuid, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = OutcomeReportBody,
            headers(("Content-Language" = String, description = "`en` or `id`: the language of `labels`"))),
        (status = 403, description = "A delegate of the programme", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/outcome-report")]
pub async fn outcome_report(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (report, lang) = load(&req, caller, &state, id.into_inner()).await?;
    let all = figures(&report);
    Ok(answer(lang).json(OutcomeReportBody::new(&report, &all, lang)))
}

/// The outcome report of a programme as CSV, for spreadsheets.
///
/// The figures of `GET /programs/{id}/outcome-report`, one row per figure,
/// same access and definitions. Columns: `section` (`plans`, `activities`,
/// `indicators`, `check_ins`, `change_requests`), `key` (the figure's key, as
/// in the JSON's `labels`; a delegate's figures are
/// `check_ins.delegate.<user_id>.<measure>`), `label` (in the report's
/// language: `Accept-Language`, else the caller's own), `value` (a count; a
/// share 0–1; a date `YYYY-MM-DD`; empty for none), `delegate_id` and
/// `delegate_name` (for a delegate's figures; empty otherwise).
///
/// RFC 4180 with CRLF line ends, UTF-8 without a byte-order mark; text that
/// people typed (names) is protected against formula injection as in
/// `export.csv`. File name `<code>-outcome-report.csv`.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = Uuid, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The CSV file, e.g. `section,key,label,value,delegate_id,delegate_name` then `plans,plans.active,Active,12,,`", body = String, content_type = "text/csv",
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"<code>-outcome-report.csv\"`"),
                ("Content-Language" = String, description = "`en` or `id`: the language of the `label` column"),
            )),
        (status = 403, description = "A delegate of the programme", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/outcome-report.csv")]
pub async fn outcome_report_csv(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (report, lang) = load(&req, caller, &state, id.into_inner()).await?;
    let mut out = String::new();
    let header: Vec<Cell<'_>> = ["section", "key", "label", "value", "delegate_id", "delegate_name"]
        .iter()
        .map(|h| Cell::Value(h))
        .collect();
    write_row(&mut out, &header);
    for f in figures(&report) {
        let value = f.value.text();
        let delegate_id = f.delegate.as_ref().map(|(id, _)| id.to_string());
        write_row(
            &mut out,
            &[
                Cell::Value(f.section),
                Cell::Value(&f.key),
                Cell::Value(&crate::report::figures::label_of(&f, lang)),
                Cell::value_or_empty(Some(value.as_str()).filter(|v| !v.is_empty())),
                Cell::value_or_empty(delegate_id.as_deref()),
                Cell::text_or_empty(f.delegate.as_ref().map(|(_, name)| name.as_str())),
            ],
        );
    }
    let disposition = format!("attachment; filename=\"{}\"", file_name(&report.program.code, "csv"));
    Ok(answer(lang)
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .body(out))
}

/// The outcome report of a programme as a printable page with charts.
///
/// The figures of `GET /programs/{id}/outcome-report`, same access and
/// definitions, as one HTML page for people: five charts drawn on the server
/// as inline SVG (plans by status; activities; indicators against original
/// and current targets; check-ins made and expected per delegate; change
/// requests), each beside a table of its numbers, then the definitions.
/// Every number sits in a cell marked `data-figure="<key>"` and
/// `data-value="<value as the CSV writes it>"`. A4 print styles are inline.
///
/// Self-contained: no script, no font, image, style sheet or link that
/// loads anything; the answer's `Content-Security-Policy` allows inline
/// styles and nothing else. Language as for the JSON (`Content-Language`,
/// `<html lang>`).
#[utoipa::path(
    tag = "monitoring",
    params(("id" = Uuid, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html",
            headers(
                ("Content-Security-Policy" = String, description = "`default-src 'none'; style-src 'unsafe-inline'; img-src data:; …`"),
                ("Content-Language" = String, description = "`en` or `id`"),
            )),
        (status = 403, description = "A delegate of the programme", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/outcome-report.html")]
pub async fn outcome_report_html(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (report, lang) = load(&req, caller, &state, id.into_inner()).await?;
    let all = figures(&report);
    let drawn = charts::charts(&report, lang).map_err(|e| ApiError::internal(&e))?;
    let page = html::page(&report, &all, &drawn, lang);
    Ok(answer(lang)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(html::CONTENT_SECURITY_POLICY),
        ))
        .body(page))
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(outcome_report_csv).service(outcome_report_html).service(outcome_report);
}
