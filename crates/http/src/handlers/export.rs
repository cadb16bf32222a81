//! `GET /programs/{id}/export.csv`: the plans (activities, indicators) of a programme
//! as CSV for funders' reports, streamed page by page in constant memory.

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use followup_domain::ids::ProgramId;
use followup_domain::indicators::Indicator;
use followup_persistence::repo::export::{
    self as repo, ActivityKey, ActivityLine, ExportStart, IndicatorLine, PlanKey, PlanLine,
};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::CallerToken;
use crate::csv::{write_row, Cell};
use crate::db;
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// Rows read per database query while streaming.
pub const PAGE_ROWS: u32 = 500;

/// One row per plan, per activity or per indicator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportLevel {
    #[default]
    Plan,
    Activity,
    Indicator,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `plan` (default): one row per plan; `activity`: one row per activity; `indicator`: one row per indicator.
    #[param(inline)]
    pub level: Option<ExportLevel>,
}

const PLAN_HEADER: [&str; 20] = [
    "program_code",
    "plan_id",
    "delegate_name",
    "delegate_email",
    "organization",
    "plan_title",
    "status",
    "starts_on",
    "ends_on",
    "activities_total",
    "activities_done",
    "activities_overdue",
    "latest_check_in_on",
    "latest_check_in_progress",
    "indicators",
    "indicators_detail",
    "evidence_files",
    "mentors",
    "created_at",
    "updated_at",
];

const INDICATOR_HEADER: [&str; 14] = [
    "program_code",
    "plan_id",
    "plan_title",
    "delegate_name",
    "mentors",
    "indicator_id",
    "indicator_name",
    "unit",
    "direction",
    "baseline",
    "target",
    "current_value",
    "progress",
    "evidence_files",
];

const ACTIVITY_HEADER: [&str; 11] = [
    "program_code",
    "plan_id",
    "plan_title",
    "delegate_name",
    "activity_id",
    "activity_title",
    "status",
    "due_on",
    "completed_on",
    "overdue",
    "evidence_files",
];

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn header(out: &mut String, names: &[&str]) {
    let cells: Vec<Cell<'_>> = names.iter().map(|n| Cell::Value(n)).collect();
    write_row(out, &cells);
}

/// An indicator in a sentence: `Name (unit): baseline 0, target 40, current 14, progress 35%`.
fn indicator_summary(i: &Indicator) -> String {
    let unit = i.unit.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
    let current = i.current_value.map_or_else(|| "none".to_owned(), |v| v.to_string());
    let progress = i.progress().map_or_else(|| "n/a".to_owned(), |p| format!("{:.0}%", p * 100.0));
    format!(
        "{}{unit}: baseline {}, target {}, current {current}, progress {progress}",
        i.name, i.baseline, i.target
    )
}

fn plan_row(out: &mut String, code: &str, p: &PlanLine) {
    let (id, starts, ends) = (p.id.to_string(), p.starts_on.to_string(), p.ends_on.to_string());
    let (total, done, overdue, indicators) = (
        p.activities_total.to_string(),
        p.activities_done.to_string(),
        p.activities_overdue.to_string(),
        p.indicators.to_string(),
    );
    let latest_on = p.latest_check_in_on.map(|d| d.to_string());
    let (created, updated) = (instant(p.created_at), instant(p.updated_at));
    let detail: Vec<String> = p.indicator_figures.iter().map(indicator_summary).collect();
    let (detail, mentors) = (detail.join("; "), p.mentors.join("; "));
    let files = p.evidence_files.to_string();
    write_row(
        out,
        &[
            Cell::Text(code),
            Cell::Value(&id),
            Cell::Text(&p.owner_name),
            Cell::Text(&p.owner_email),
            Cell::text_or_empty(p.organization.as_deref()),
            Cell::Text(&p.title),
            Cell::Value(p.status.as_str()),
            Cell::Value(&starts),
            Cell::Value(&ends),
            Cell::Value(&total),
            Cell::Value(&done),
            Cell::Value(&overdue),
            Cell::value_or_empty(latest_on.as_deref()),
            Cell::value_or_empty(p.latest_progress.as_deref()),
            Cell::Value(&indicators),
            Cell::Text(&detail),
            Cell::Value(&files),
            Cell::Text(&mentors),
            Cell::Value(&created),
            Cell::Value(&updated),
        ],
    );
}

fn activity_row(out: &mut String, code: &str, l: &ActivityLine) {
    let a = &l.activity;
    let (plan_id, id) = (l.plan_id.to_string(), a.id.as_uuid().to_string());
    let due = a.due_on.map(|d| d.to_string());
    let completed = a.completed_on.map(|d| d.to_string());
    let files = l.evidence_files.to_string();
    write_row(
        out,
        &[
            Cell::Text(code),
            Cell::Value(&plan_id),
            Cell::Text(&l.plan_title),
            Cell::Text(&l.owner_name),
            Cell::Value(&id),
            Cell::Text(&a.title),
            Cell::Value(a.status.as_str()),
            Cell::value_or_empty(due.as_deref()),
            Cell::value_or_empty(completed.as_deref()),
            Cell::Value(if a.overdue { "true" } else { "false" }),
            Cell::Value(&files),
        ],
    );
}

fn indicator_row(out: &mut String, code: &str, l: &IndicatorLine) {
    let i = &l.indicator;
    let (plan_id, id, mentors) = (l.plan_id.to_string(), i.id.as_uuid().to_string(), l.mentors.join("; "));
    let (baseline, target) = (i.baseline.to_string(), i.target.to_string());
    let current = i.current_value.map(|v| v.to_string());
    let progress = i.progress().map(|p| p.to_string());
    let files = l.evidence_files.to_string();
    write_row(
        out,
        &[
            Cell::Text(code),
            Cell::Value(&plan_id),
            Cell::Text(&l.plan_title),
            Cell::Text(&l.owner_name),
            Cell::Text(&mentors),
            Cell::Value(&id),
            Cell::Text(&i.name),
            Cell::text_or_empty(i.unit.as_deref()),
            Cell::Value(i.direction.as_str()),
            Cell::Value(&baseline),
            Cell::Value(&target),
            Cell::value_or_empty(current.as_deref()),
            Cell::value_or_empty(progress.as_deref()),
            Cell::Value(&files),
        ],
    );
}

/// One page read from the database, and where the next one starts.
enum Page {
    Plans(Vec<PlanLine>),
    Activities(Vec<ActivityLine>),
    Indicators(Vec<IndicatorLine>),
}

/// Where the stream stands between pages.
#[derive(Clone, Copy)]
enum Next {
    Plans(PlanKey),
    Activities(ActivityKey),
    Indicators(ActivityKey),
    Done,
}

/// The page as CSV text, and where the next page starts (`Done` after a short page).
fn render(page: &Page, code: &str, out: &mut String) -> Next {
    match page {
        Page::Plans(rows) => {
            rows.iter().for_each(|p| plan_row(out, code, p));
            match rows.last() {
                Some(last) if rows.len() == PAGE_ROWS as usize => Next::Plans(last.key()),
                _ => Next::Done,
            }
        }
        Page::Activities(rows) => {
            rows.iter().for_each(|l| activity_row(out, code, l));
            match rows.last() {
                Some(last) if rows.len() == PAGE_ROWS as usize => Next::Activities(last.key()),
                _ => Next::Done,
            }
        }
        Page::Indicators(rows) => {
            rows.iter().for_each(|l| indicator_row(out, code, l));
            match rows.last() {
                Some(last) if rows.len() == PAGE_ROWS as usize => Next::Indicators(last.key()),
                _ => Next::Done,
            }
        }
    }
}

/// A file name made of the programme code's safe characters.
fn file_name(code: &str, level: ExportLevel) -> String {
    let safe: String =
        code.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    let what = match level {
        ExportLevel::Plan => "plans",
        ExportLevel::Activity => "activities",
        ExportLevel::Indicator => "indicators",
    };
    format!("{safe}-{what}.csv")
}

/// Export a programme's action plans as CSV, for the funder's reports.
///
/// Rows are exactly what the caller may see through the API: coordinators
/// and admins every plan of the programme, mentors the plans of their
/// mentees (drafts included), observers every plan but drafts, a delegate
/// their own plans. Comments are never exported.
///
/// **Format.** `text/csv; charset=utf-8`, RFC 4180: a header row, CRLF line
/// ends, fields containing `"`, `,`, CR or LF quoted with quotes doubled.
/// UTF-8 *without* a byte-order mark: the charset is declared in the
/// `Content-Type`, and a BOM breaks programs that read the file (the first
/// column name would start with U+FEFF); in Excel, open it through
/// *Data → From Text/CSV*, which detects UTF-8. Dates are `YYYY-MM-DD`,
/// instants RFC 3339 UTC to the second, an absent value is an empty cell.
/// Text that people typed (names, e-mails, organisations, titles, the
/// programme code) is protected against formula injection: a cell starting
/// with `=`, `+`, `-`, `@`, TAB or CR is prefixed with `'`. Numbers, dates,
/// ids and status words are written unchanged.
///
/// **`level=plan`** (default, file `<code>-plans.csv`), one row per plan in
/// creation order: `program_code`; `plan_id`; `delegate_name` and
/// `delegate_email` (the plan's owner; empty for observers, who see
/// names only, as in `GET /programs/{id}/members`); `organization` (the owner's);
/// `plan_title`; `status` (`draft` … `discontinued`); `starts_on`; `ends_on`;
/// `activities_total`; `activities_done`; `activities_overdue` (due before
/// today in the owner's time zone and neither done nor cancelled, as the
/// activities list's `overdue`); `latest_check_in_on` and
/// `latest_check_in_progress` (`on_track`, `at_risk`, `off_track`; the
/// check-in with the latest `reported_on`; empty without check-ins);
/// `indicators` (how many the plan has); `indicators_detail` (each indicator
/// as `Name (unit): baseline 0, target 40, current 14, progress 35%`, joined
/// by `; `; `current none` before the first measurement); `evidence_files`
/// (files on the plan's check-ins, activities and measurements; a
/// comment's are not counted, as no comment is exported); `mentors` (the
/// owner's mentors in the programme, by name, joined by `; `); `created_at`;
/// `updated_at`.
///
/// **`level=activity`** (file `<code>-activities.csv`), one row per activity,
/// plans in creation order and each plan's activities in creation order:
/// `program_code`; `plan_id`; `plan_title`; `delegate_name`; `activity_id`;
/// `activity_title`; `status` (`planned`, `in_progress`, `done`, `blocked`,
/// `cancelled`); `due_on`; `completed_on`; `overdue` (`true`/`false`, as
/// above); `evidence_files` (files on the activity).
///
/// **`level=indicator`** (file `<code>-indicators.csv`), one row per
/// indicator, plans in creation order and each plan's indicators in creation
/// order: `program_code`; `plan_id`; `plan_title`; `delegate_name`;
/// `mentors`; `indicator_id`; `indicator_name`; `unit`; `direction`
/// (`increase`/`decrease`); `baseline`; `target`; `current_value` (the latest
/// measurement; empty before the first); `progress` (from baseline toward
/// target, 0 to 1, as the indicator's GET says; empty when target equals
/// baseline or before the first measurement); `evidence_files` (files on
/// the indicator's measurements).
///
/// The body is streamed: rows are read in pages of 500, each page in its own
/// read, so rows added while the export runs may or may not appear. Errors
/// before the first byte are problem+json; a failure later cuts the
/// connection (the chunked body never ends), so a truncated file cannot be
/// mistaken for a complete one.
#[utoipa::path(
    tag = "programs",
    params(("id" = Uuid, Path, description = "Programme id"), ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The CSV file", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"<code>-plans.csv\"` (or `-activities.csv`, `-indicators.csv`)"))),
        (status = 404, description = "No such programme, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`level` is not `plan`, `activity` or `indicator`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/programs/{id}/export.csv")]
pub async fn export_program(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::query::QueryParams<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let level = query.level.unwrap_or_default();
    let program = ProgramId::from_uuid(id.into_inner());
    // The visibility check and the first page come before the status line,
    // so that their failures are ordinary problem+json answers.
    let (start, first) = caller
        .read(&state, move |c, actor| {
            let start = repo::start(c, actor, program)?;
            let first = match level {
                ExportLevel::Plan => Page::Plans(repo::plan_page(c, &start, None, PAGE_ROWS)?),
                ExportLevel::Activity => Page::Activities(repo::activity_page(c, &start, None, PAGE_ROWS)?),
                ExportLevel::Indicator => Page::Indicators(repo::indicator_page(c, &start, None, PAGE_ROWS)?),
            };
            Ok((start, first))
        })
        .await?;

    let mut text = String::new();
    header(
        &mut text,
        match level {
            ExportLevel::Plan => &PLAN_HEADER,
            ExportLevel::Activity => &ACTIVITY_HEADER,
            ExportLevel::Indicator => &INDICATOR_HEADER,
        },
    );
    let next = render(&first, &start.code, &mut text);
    drop(first);
    let disposition = format!("attachment; filename=\"{}\"", file_name(&start.code, level));
    let rest = stream::try_unfold((next, state, start), |(next, state, start)| async move {
        next_chunk(next, state, start).await
    });
    let body = stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(text)) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", disposition))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}

type Chunk = Option<(Bytes, (Next, web::Data<AppState>, ExportStart))>;

/// Read and render the next page; `None` once the export is complete.
async fn next_chunk(
    next: Next,
    state: web::Data<AppState>,
    start: ExportStart,
) -> Result<Chunk, std::io::Error> {
    if let Next::Done = next {
        return Ok(None);
    }
    let scope = start.clone();
    let page = db::read(&state, move |c| match next {
        Next::Plans(after) => Ok(Page::Plans(repo::plan_page(c, &scope, Some(after), PAGE_ROWS)?)),
        Next::Activities(after) => {
            Ok(Page::Activities(repo::activity_page(c, &scope, Some(after), PAGE_ROWS)?))
        }
        Next::Indicators(after) => {
            Ok(Page::Indicators(repo::indicator_page(c, &scope, Some(after), PAGE_ROWS)?))
        }
        Next::Done => Ok(Page::Plans(Vec::new())),
    })
    .await
    .map_err(|e| {
        tracing::error!(error = ?e, program = %start.program_id.as_uuid(), "the CSV export failed after it had started; the response is cut");
        std::io::Error::other("export failed")
    })?;
    let mut text = String::new();
    let after = render(&page, &start.code, &mut text);
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some((Bytes::from(text), (after, state, start))))
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(export_program);
}
