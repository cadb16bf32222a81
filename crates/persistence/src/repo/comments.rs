//! Comments on a plan or one of its activities, indicators or check-ins:
//! `shared`, or for mentors and coordinators only.

use diesel::prelude::*;
use followup_domain::comments::{Comment, NewComment};
use followup_domain::ids::{CommentId, PlanId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::policy::plan as policy;
use followup_domain::precondition::Precondition;
use followup_domain::values::{AttachmentParent, CommentTarget, Visibility};
use followup_domain::{Actor, DomainError, FieldError, Message};

use super::plans::{replayed, visible_plan, Created, PlanContext};
use super::rows::CommentRow;
use super::{audit, check_version, not_found, Unstored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{activities, check_ins, comments, indicators};
use crate::sql_types::{DbId, DbTime};

/// The audit entity type of a comment: `mentor_comment` for mentors-only
/// ones, whose events the owner's history does not show.
fn comment_entity(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Shared => "comment",
        Visibility::Mentors => "mentor_comment",
    }
}

fn load_comment(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CommentId,
) -> Result<(CommentRow, PlanContext), StoreError> {
    let (row, ctx) =
        super::plans::child_of_visible_plan!(conn, actor, comments, CommentRow, id.as_uuid(), "comment")?;
    if row.visibility == Visibility::Mentors.as_str() && !policy::sees_mentor_comments(actor, &ctx.relation) {
        return Err(not_found("comment"));
    }
    Ok((row, ctx))
}

pub fn list_comments(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    page: &PageRequest,
) -> Result<Page<Comment>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    let mut query = super::created_page!(
        comments::table.filter(comments::plan_id.eq(ctx.row.id)).select(CommentRow::as_select()),
        comments,
        page
    );
    if !policy::sees_mentor_comments(actor, &ctx.relation) {
        query = query.filter(comments::visibility.eq(Visibility::Shared.as_str()));
    }
    let rows = query.load::<CommentRow>(conn)?;
    let items = rows.into_iter().map(CommentRow::into_domain).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |c| Cursor { at: c.created_at, id: c.id.as_uuid() }))
}

pub fn get_comment(conn: &mut DbConnection, actor: &Actor, id: CommentId) -> Result<Comment, StoreError> {
    load_comment(conn, actor, id)?.0.into_domain()
}

fn check_target(
    conn: &mut DbConnection,
    plan: DbId,
    target: Option<(CommentTarget, uuid::Uuid)>,
) -> Result<(), StoreError> {
    let Some((kind, id)) = target else { return Ok(()) };
    let id = DbId(id);
    let found: i64 = match kind {
        CommentTarget::Activity => activities::table
            .filter(activities::id.eq(id).and(activities::plan_id.eq(plan)))
            .count()
            .get_result(conn)?,
        CommentTarget::Indicator => indicators::table
            .filter(indicators::id.eq(id).and(indicators::plan_id.eq(plan)))
            .count()
            .get_result(conn)?,
        CommentTarget::CheckIn => check_ins::table
            .filter(check_ins::id.eq(id).and(check_ins::plan_id.eq(plan)))
            .count()
            .get_result(conn)?,
    };
    if found == 0 {
        return Err(DomainError::Invalid(vec![FieldError::new(
            "target_id",
            "unknown_target",
            format!("no {kind} of this plan has this id"),
        )
        .with("entity", kind)])
        .into());
    }
    Ok(())
}

pub fn create_comment(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: PlanId,
    cmd: &NewComment,
) -> Result<Created<Comment>, StoreError> {
    let ctx = visible_plan(conn, actor, plan)?;
    policy::require_comment(&ctx.relation, cmd.visibility)?;
    check_target(conn, ctx.row.id, cmd.target)?;
    if let Some(existing) = super::find_row!(conn, comments, CommentRow, cmd.id.as_uuid())? {
        let same = existing.plan_id == ctx.row.id
            && existing.author_id.0 == actor.user_id.as_uuid()
            && existing.body == cmd.body
            && existing.visibility == cmd.visibility.as_str()
            && existing.target_type.as_deref() == cmd.target.map(|(k, _)| k.as_str())
            && existing.target_id.map(|t| t.0) == cmd.target.map(|(_, id)| id);
        return replayed(same, "comment", || existing.into_domain());
    }
    let now = DbTime(crate::now());
    let row = CommentRow {
        id: DbId(cmd.id.as_uuid()),
        plan_id: ctx.row.id,
        target_type: cmd.target.map(|(k, _)| k.as_str().to_owned()),
        target_id: cmd.target.map(|(_, id)| DbId(id)),
        author_id: DbId(actor.user_id.as_uuid()),
        body: cmd.body.clone(),
        visibility: cmd.visibility.as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(comments::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), comment_entity(cmd.visibility), cmd.id.as_uuid(), "create")
        .in_plan(&ctx.plan)
        .fields(&["body", "visibility", "target_type", "target_id"])
        .record(conn)?;
    Ok(Created::New(row.into_domain()?))
}

fn require_author(row: &CommentRow, actor: &Actor) -> Result<(), StoreError> {
    if row.author_id.0 == actor.user_id.as_uuid() {
        Ok(())
    } else {
        Err(DomainError::NotAllowed(Message::new("forbidden.comment_author")).into())
    }
}

pub fn update_comment(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CommentId,
    body: &str,
    if_match: &Precondition,
) -> Result<Comment, StoreError> {
    let (row, ctx) = load_comment(conn, actor, id)?;
    require_author(&row, actor)?;
    check_version(if_match, row.version)?;
    let n = diesel::update(super::at_version!(comments, row))
        .set((
            comments::body.eq(body),
            comments::version.eq(row.version + 1),
            comments::updated_at.eq(DbTime(crate::now())),
        ))
        .execute(conn)?;
    super::require_updated(n, row.version + 1)?;
    let visibility = Visibility::parse(&row.visibility).unwrap_or(Visibility::Mentors);
    audit::Event::new(Some(actor), comment_entity(visibility), id.as_uuid(), "update")
        .in_plan(&ctx.plan)
        .fields(&["body"])
        .record(conn)?;
    get_comment(conn, actor, id)
}

pub fn delete_comment(
    conn: &mut DbConnection,
    actor: &Actor,
    id: CommentId,
    if_match: &Precondition,
) -> Result<Unstored, StoreError> {
    let (row, ctx) = load_comment(conn, actor, id)?;
    require_author(&row, actor)?;
    check_version(if_match, row.version)?;
    let unstored = super::attachments::forget_parents(
        conn,
        actor,
        AttachmentParent::Comment,
        &[row.id.0],
        row.visibility == Visibility::Mentors.as_str(),
    )?;
    diesel::delete(comments::table.find(row.id)).execute(conn)?;
    let visibility = Visibility::parse(&row.visibility).unwrap_or(Visibility::Mentors);
    audit::Event::new(Some(actor), comment_entity(visibility), id.as_uuid(), "delete")
        .version(row.version)
        .in_plan(&ctx.plan)
        .record(conn)?;
    Ok(unstored)
}
