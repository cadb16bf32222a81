//! Check-ins: the delegate's periodic report on a plan, reviewed by a
//! mentor of the plan's owner.

use diesel::prelude::*;
use followup_domain::check_ins::{
    require_revision_requested, CheckIn, CheckInChanges, CheckInReview, NewCheckIn,
};
use followup_domain::ids::{CheckInId, PlanId, ProgramId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::plans::require_active;
use followup_domain::policy::plan as policy;
use followup_domain::precondition::Precondition;
use followup_domain::values::{PlanStatus, ProgramRole, ReviewStatus};
use followup_domain::Actor;

use super::plans::{id_conflict, visible_plan, Created, PlanContext};
use super::rows::{evidence_json, CheckInRow};
use super::{audit, check_version, parse_stored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{action_plans, check_in_versions, check_ins, memberships, mentorships};
use crate::sql_types::{DbId, DbTime};

fn load_check_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CheckInId,
) -> Result<(CheckInRow, PlanContext), StoreError> {
    super::plans::child_of_visible_plan!(conn, actor, check_ins, CheckInRow, id.as_uuid(), "check-in")
}

pub fn list_check_ins(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    review_status: Option<ReviewStatus>,
    page: &PageRequest,
) -> Result<Page<CheckIn>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    let mut query = super::created_page!(
        check_ins::table.filter(check_ins::plan_id.eq(ctx.row.id)).select(CheckInRow::as_select()),
        check_ins,
        page
    );
    if let Some(status) = review_status {
        query = query.filter(check_ins::review_status.eq(status.as_str()));
    }
    let rows = query.load::<CheckInRow>(conn)?;
    let items = rows.into_iter().map(CheckInRow::into_domain).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |c| Cursor { at: c.created_at, id: c.id.as_uuid() }))
}

/// A mentor's review queue: the check-ins of every delegate the actor
/// mentors, across their plans and programmes, oldest first, with a review
/// status (default `pending`) and optionally one programme. A mentor sees
/// exactly what the plan policy lets them see: the check-ins of their
/// mentees' plans in programmes where they are still a mentor.
pub fn review_queue(
    conn: &mut DbConnection,
    actor: &Actor,
    program: Option<ProgramId>,
    review_status: ReviewStatus,
    page: &PageRequest,
) -> Result<Page<CheckIn>, StoreError> {
    let me = DbId(actor.user_id.as_uuid());
    let mut query = super::created_page!(
        check_ins::table
            .inner_join(action_plans::table)
            .inner_join(
                mentorships::table.on(mentorships::program_id
                    .eq(action_plans::program_id)
                    .and(mentorships::delegate_id.eq(action_plans::owner_id))
                    .and(mentorships::mentor_id.eq(me))),
            )
            .inner_join(
                memberships::table.on(memberships::program_id
                    .eq(action_plans::program_id)
                    .and(memberships::user_id.eq(me))
                    .and(memberships::role.eq(ProgramRole::Mentor.as_str()))),
            )
            .filter(action_plans::status.ne(PlanStatus::Draft.as_str()))
            .filter(check_ins::review_status.eq(review_status.as_str()))
            .select(CheckInRow::as_select()),
        check_ins,
        page
    );
    if let Some(program) = program {
        query = query.filter(action_plans::program_id.eq(DbId(program.as_uuid())));
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
    super::programs::window(conn, ctx.plan.program_id)?.require_open(ctx.today)?;
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
        .in_plan(&ctx.plan)
        .fields(&["review_status", "review_note"])
        .reason(review.note())
        .record(conn)?;
    get_check_in(conn, actor, id)
}

/// The author revises a check-in a mentor asked to revise: the fields
/// change, the review goes back to `pending` (so it counts as awaiting
/// review again) and the version replaced is kept in `check_in_versions`.
pub fn revise_check_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CheckInId,
    changes: &CheckInChanges,
    if_match: &Precondition,
) -> Result<CheckIn, StoreError> {
    let (row, ctx) = load_check_in(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    require_active(ctx.plan.status)?;
    check_version(if_match, row.version)?;
    require_revision_requested(parse_stored(
        "check_ins.review_status",
        &row.review_status,
        ReviewStatus::parse,
    )?)?;
    changes.check(ctx.today)?;
    let now = DbTime(crate::now());
    diesel::insert_into(check_in_versions::table).values(CheckInVersionRow::of(&row, now)).execute(conn)?;
    let evidence = match &changes.evidence {
        Some(e) => evidence_json(e)?,
        None => row.evidence.clone(),
    };
    let pick =
        |new: &Option<Option<String>>, old: &Option<String>| new.clone().unwrap_or_else(|| old.clone());
    let n = diesel::update(super::at_version!(check_ins, row))
        .set((
            check_ins::reported_on.eq(changes.reported_on.unwrap_or(row.reported_on)),
            check_ins::summary.eq(changes.summary.clone().unwrap_or_else(|| row.summary.clone())),
            check_ins::progress
                .eq(changes.progress.map_or_else(|| row.progress.clone(), |p| p.as_str().to_owned())),
            check_ins::confidence.eq(changes.confidence.map_or(row.confidence, |c| c.get())),
            check_ins::achievements.eq(pick(&changes.achievements, &row.achievements)),
            check_ins::challenges.eq(pick(&changes.challenges, &row.challenges)),
            check_ins::support_needed.eq(pick(&changes.support_needed, &row.support_needed)),
            check_ins::next_steps.eq(pick(&changes.next_steps, &row.next_steps)),
            check_ins::evidence.eq(evidence),
            check_ins::review_status.eq(ReviewStatus::Pending.as_str()),
            check_ins::review_note.eq(None::<String>),
            check_ins::reviewer_id.eq(None::<DbId>),
            check_ins::reviewed_at.eq(None::<DbTime>),
            check_ins::version.eq(row.version + 1),
            check_ins::updated_at.eq(now),
        ))
        .execute(conn)?;
    super::require_updated(n, row.version + 1)?;
    audit::Event::new(Some(actor), "check_in", id.as_uuid(), "revise")
        .in_plan(&ctx.plan)
        .fields(&changes.touched())
        .record(conn)?;
    get_check_in(conn, actor, id)
}

/// A check-in's earlier versions, oldest first, each as it stood (with the
/// review that asked for its revision).
pub fn check_in_versions(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CheckInId,
) -> Result<Vec<CheckIn>, StoreError> {
    let (row, _) = load_check_in(conn, actor, id)?;
    check_in_versions::table
        .filter(check_in_versions::check_in_id.eq(row.id))
        .order(check_in_versions::version.asc())
        .select(CheckInVersionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|v| v.into_domain(&row))
        .collect()
}

/// An earlier version of a check-in, kept when a revision replaced it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = check_in_versions)]
#[diesel(treat_none_as_default_value = false)]
pub struct CheckInVersionRow {
    pub check_in_id: DbId,
    pub version: i64,
    pub reported_on: chrono::NaiveDate,
    pub summary: String,
    pub progress: String,
    pub confidence: i32,
    pub achievements: Option<String>,
    pub challenges: Option<String>,
    pub support_needed: Option<String>,
    pub next_steps: Option<String>,
    pub evidence: String,
    pub review_status: String,
    pub review_note: Option<String>,
    pub reviewer_id: Option<DbId>,
    pub reviewed_at: Option<DbTime>,
    pub updated_at: DbTime,
    pub replaced_at: DbTime,
}

impl CheckInVersionRow {
    /// The version as it stood: the check-in `current` is now.
    pub fn of(current: &CheckInRow, replaced_at: DbTime) -> Self {
        let c = current.clone();
        Self {
            check_in_id: c.id,
            version: c.version,
            reported_on: c.reported_on,
            summary: c.summary,
            progress: c.progress,
            confidence: c.confidence,
            achievements: c.achievements,
            challenges: c.challenges,
            support_needed: c.support_needed,
            next_steps: c.next_steps,
            evidence: c.evidence,
            review_status: c.review_status,
            review_note: c.review_note,
            reviewer_id: c.reviewer_id,
            reviewed_at: c.reviewed_at,
            updated_at: c.updated_at,
            replaced_at,
        }
    }

    /// The earlier version read as a check-in of `current` (same id, plan,
    /// author and creation).
    pub fn into_domain(
        self,
        current: &CheckInRow,
    ) -> Result<followup_domain::check_ins::CheckIn, StoreError> {
        CheckInRow {
            id: current.id,
            plan_id: current.plan_id,
            author_id: current.author_id,
            reported_on: self.reported_on,
            summary: self.summary,
            progress: self.progress,
            confidence: self.confidence,
            achievements: self.achievements,
            challenges: self.challenges,
            support_needed: self.support_needed,
            next_steps: self.next_steps,
            evidence: self.evidence,
            review_status: self.review_status,
            review_note: self.review_note,
            reviewer_id: self.reviewer_id,
            reviewed_at: self.reviewed_at,
            version: self.version,
            created_at: current.created_at,
            updated_at: self.updated_at,
        }
        .into_domain()
    }
}
