//! Check-ins: the delegate's periodic report on a plan, reviewed by a
//! mentor of the plan's owner.

use diesel::prelude::*;
use followup_domain::check_ins::{CheckIn, CheckInReview, NewCheckIn};
use followup_domain::ids::{CheckInId, PlanId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::plans::require_active;
use followup_domain::policy::plan as policy;
use followup_domain::values::ReviewStatus;
use followup_domain::Actor;

use super::plans::{id_conflict, visible_plan, Created, PlanContext};
use super::rows::{evidence_json, CheckInRow};
use super::{audit, hide_as, not_found};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::check_ins;
use crate::sql_types::{DbId, DbTime};

fn load_check_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CheckInId,
) -> Result<(CheckInRow, PlanContext), StoreError> {
    let row = check_ins::table
        .find(DbId(id.as_uuid()))
        .select(CheckInRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("check-in"))?;
    let ctx = visible_plan(conn, actor, PlanId::from_uuid(row.plan_id.0)).map_err(hide_as("check-in"))?;
    Ok((row, ctx))
}

pub fn list_check_ins(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    review_status: Option<ReviewStatus>,
    page: &PageRequest,
) -> Result<Page<CheckIn>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    let mut query = check_ins::table
        .filter(check_ins::plan_id.eq(ctx.row.id))
        .select(CheckInRow::as_select())
        .order((check_ins::created_at.asc(), check_ins::id.asc()))
        .limit(page.fetch())
        .into_boxed();
    query = super::after_created!(query, check_ins, page.after);
    if let Some(status) = review_status {
        query = query.filter(check_ins::review_status.eq(status.as_str()));
    }
    let rows = query.load::<CheckInRow>(conn)?;
    let items = rows.into_iter().map(CheckInRow::into_domain).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |c| Cursor { at: c.created_at, id: c.id.as_uuid() }))
}

pub fn get_check_in(conn: &mut DbConnection, actor: &Actor, id: CheckInId) -> Result<CheckIn, StoreError> {
    load_check_in(conn, actor, id)?.0.into_domain()
}

pub fn create_check_in(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    cmd: &NewCheckIn,
) -> Result<Created<CheckIn>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    policy::require_owner(&ctx.relation)?;
    require_active(ctx.plan.status)?;
    cmd.check(ctx.today)?;
    let evidence = evidence_json(&cmd.evidence)?;
    let now = DbTime(crate::now());
    let row = CheckInRow {
        id: DbId(cmd.id.as_uuid()),
        plan_id: ctx.row.id,
        author_id: DbId(actor.user_id.as_uuid()),
        reported_on: cmd.reported_on,
        summary: cmd.summary.clone(),
        progress: cmd.progress.as_str().to_owned(),
        confidence: cmd.confidence.get(),
        achievements: cmd.achievements.clone(),
        challenges: cmd.challenges.clone(),
        support_needed: cmd.support_needed.clone(),
        next_steps: cmd.next_steps.clone(),
        evidence,
        review_status: ReviewStatus::Pending.as_str().to_owned(),
        review_note: None,
        reviewer_id: None,
        reviewed_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    // A new id, the usual case, is one statement; an id already used is
    // the same check-in again (answered as it is) or a conflict.
    let inserted = with_backend_conn!(conn, c => diesel::insert_into(check_ins::table).values(&row).on_conflict_do_nothing().execute(c))?;
    if inserted == 0 {
        let id = row.id;
        let existing: Option<CheckInRow> = with_backend_conn!(conn, c => check_ins::table.find(id).select(CheckInRow::as_select()).first(c).optional())?;
        if let Some(existing) = existing {
            let same = existing.plan_id == row.plan_id
                && existing.reported_on == row.reported_on
                && existing.summary == row.summary
                && existing.progress == row.progress
                && existing.confidence == row.confidence
                && existing.achievements == row.achievements
                && existing.challenges == row.challenges
                && existing.support_needed == row.support_needed
                && existing.next_steps == row.next_steps
                && existing.evidence == row.evidence;
            if same {
                return Ok(Created::Existing(existing.into_domain()?));
            }
        }
        return Err(id_conflict("check-in"));
    }
    audit::Event::new(Some(actor), "check_in", cmd.id.as_uuid(), "create")
        .program(ctx.plan.program_id.as_uuid())
        .plan_read(plan.as_uuid(), ctx.row.owner_id.0, &ctx.row.status)
        .fields(&["reported_on", "summary", "progress", "confidence", "evidence"])
        .record(conn)?;
    Ok(Created::New(row.into_domain()?))
}

/// A mentor of the owner acknowledges a check-in or asks for a revision.
pub fn review_check_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CheckInId,
    review: &CheckInReview,
) -> Result<CheckIn, StoreError> {
    let (row, ctx) = load_check_in(conn, actor, id)?;
    policy::require_check_in_review(&ctx.relation)?;
    let now = DbTime(crate::now());
    diesel::update(check_ins::table.find(row.id))
        .set((
            check_ins::review_status.eq(review.decision().as_str()),
            check_ins::review_note.eq(review.note()),
            check_ins::reviewer_id.eq(Some(DbId(actor.user_id.as_uuid()))),
            check_ins::reviewed_at.eq(Some(now)),
            check_ins::version.eq(row.version + 1),
            check_ins::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::Event::new(Some(actor), "check_in", id.as_uuid(), "review")
        .program(ctx.plan.program_id.as_uuid())
        .plan(ctx.plan.id.as_uuid())
        .fields(&["review_status", "review_note"])
        .reason(review.note())
        .record(conn)?;
    get_check_in(conn, actor, id)
}
