//! Evidence files: which parent a file belongs to, who may see, attach and
//! remove it (the parent's rules, `policy::plan::require_attach`), the
//! programme's quota, and the rows of stored files. The bytes themselves
//! are the file store's; a row is written only once they are wholly
//! stored, in a transaction that checks the parent and the quota again.

use std::collections::HashSet;

use diesel::prelude::*;
use followup_domain::attachments::Attachment;
use followup_domain::ids::{AttachmentId, PlanId, ProgramId, UserId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::policy::plan as policy;
use followup_domain::precondition::Precondition;
use followup_domain::values::{AttachmentParent, Visibility};
use followup_domain::Actor;
use uuid::Uuid;

use super::plans::{visible_plan, PlanContext};
use super::{audit, check_version, hide_as, not_found, parse_stored, Unstored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{activities, attachments, check_ins, comments, indicators, measurements};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
#[diesel(treat_none_as_default_value = false)]
struct AttachmentRow {
    id: DbId,
    program_id: DbId,
    plan_id: DbId,
    parent_type: String,
    parent_id: DbId,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    width: Option<i32>,
    height: Option<i32>,
    storage_key: String,
    uploaded_by: Option<DbId>,
    created_at: DbTime,
    version: i64,
    preview_key: Option<String>,
}

impl AttachmentRow {
    fn into_domain(self) -> Result<Attachment, StoreError> {
        Ok(Attachment {
            id: AttachmentId::from_uuid(self.id.0),
            program_id: ProgramId::from_uuid(self.program_id.0),
            plan_id: PlanId::from_uuid(self.plan_id.0),
            parent_type: parse_stored("attachments.parent_type", &self.parent_type, AttachmentParent::parse)?,
            parent_id: self.parent_id.0,
            file_name: self.file_name,
            content_type: self.content_type,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            width: self.width,
            height: self.height,
            uploaded_by: self.uploaded_by.map(|u| UserId::from_uuid(u.0)),
            created_at: self.created_at.0,
            version: self.version,
            has_preview: self.preview_key.is_some(),
        })
    }
}

/// A parent: what a file is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    pub kind: AttachmentParent,
    pub id: Uuid,
}

/// Where a file goes, once its parent is found visible and open to the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub program_id: ProgramId,
    pub plan_id: PlanId,
    /// The parent is a mentors-only comment.
    pub restricted: bool,
}

fn entity(kind: AttachmentParent) -> &'static str {
    match kind {
        AttachmentParent::CheckIn => "check-in",
        AttachmentParent::Activity => "activity",
        AttachmentParent::Measurement => "measurement",
        AttachmentParent::Comment => "comment",
    }
}

/// What the actor finds of a parent.
struct Found {
    ctx: PlanContext,
    /// The actor wrote it (a comment).
    author: bool,
    /// A mentors-only comment: its files are for mentors too.
    restricted: bool,
}

/// The entity name an attachment's audit events use: a mentors-only
/// comment's files are announced to mentors only.
fn audited_as(restricted: bool) -> &'static str {
    if restricted {
        "mentor_attachment"
    } else {
        "attachment"
    }
}

/// The parent's plan as the actor sees it; 404 when it does not exist or is
/// hidden (a mentors-only comment from a delegate).
fn visible_parent(conn: &mut DbConnection, actor: &Actor, parent: Parent) -> Result<Found, StoreError> {
    let id = DbId(parent.id);
    let missing = || not_found(entity(parent.kind));
    let (plan, comment): (DbId, Option<(String, DbId)>) = match parent.kind {
        AttachmentParent::CheckIn => (
            check_ins::table
                .find(id)
                .select(check_ins::plan_id)
                .first(conn)
                .optional()?
                .ok_or_else(missing)?,
            None,
        ),
        AttachmentParent::Activity => (
            activities::table
                .find(id)
                .select(activities::plan_id)
                .first(conn)
                .optional()?
                .ok_or_else(missing)?,
            None,
        ),
        AttachmentParent::Measurement => (
            measurements::table
                .inner_join(indicators::table)
                .filter(measurements::id.eq(id))
                .select(indicators::plan_id)
                .first(conn)
                .optional()?
                .ok_or_else(missing)?,
            None,
        ),
        AttachmentParent::Comment => {
            let (plan, visibility, author): (DbId, String, DbId) = comments::table
                .find(id)
                .select((comments::plan_id, comments::visibility, comments::author_id))
                .first(conn)
                .optional()?
                .ok_or_else(missing)?;
            (plan, Some((visibility, author)))
        }
    };
    let ctx = visible_plan(conn, actor, PlanId::from_uuid(plan.0)).map_err(hide_as(entity(parent.kind)))?;
    let (mut author, mut restricted) = (false, false);
    if let Some((visibility, by)) = comment {
        restricted = visibility == Visibility::Mentors.as_str();
        if restricted && !policy::sees_mentor_comments(actor, &ctx.relation) {
            return Err(missing());
        }
        author = by.0 == actor.user_id.as_uuid();
    }
    Ok(Found { ctx, author, restricted })
}

/// Where `actor` may attach a file to `parent` (403 when they may see but
/// not attach, 404 when they may not see it).
pub fn target(conn: &mut DbConnection, actor: &Actor, parent: Parent) -> Result<Target, StoreError> {
    let found = visible_parent(conn, actor, parent)?;
    policy::require_attach(&found.ctx.relation, found.ctx.plan.status, parent.kind, found.author)?;
    Ok(Target {
        program_id: found.ctx.plan.program_id,
        plan_id: found.ctx.plan.id,
        restricted: found.restricted,
    })
}

/// Bytes a programme's files take.
pub fn usage(conn: &mut DbConnection, program: ProgramId) -> Result<i64, StoreError> {
    Ok(attachments::table
        .filter(attachments::program_id.eq(DbId(program.as_uuid())))
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>("COALESCE(CAST(SUM(size_bytes) AS BIGINT), 0)"))
        .first(conn)?)
}

/// A file wholly stored, to record.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub id: AttachmentId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub storage_key: String,
    /// Where its preview is, for an image that has one.
    pub preview_key: Option<String>,
}

/// Where a file's bytes, and its preview's, are kept.
#[derive(Debug, Clone)]
pub struct Keys {
    pub file: String,
    pub preview: Option<String>,
}

impl AttachmentRow {
    fn keys(&self) -> Keys {
        Keys { file: self.storage_key.clone(), preview: self.preview_key.clone() }
    }
}

/// What [`record`] did.
#[derive(Debug, Clone)]
pub enum Recorded {
    Stored(Attachment),
    /// The file would take the programme past `quota`; `used` bytes are taken.
    OverQuota {
        used: i64,
    },
}

/// Record a stored file on `parent`, checking again that the actor may
/// attach to it and that the programme stays within `quota` bytes;
/// audited as `attachment` `create`.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    parent: Parent,
    file: &StoredFile,
    quota: i64,
) -> Result<Recorded, StoreError> {
    let target = target(conn, actor, parent)?;
    let used = usage(conn, target.program_id)?;
    if used + file.size_bytes > quota {
        return Ok(Recorded::OverQuota { used });
    }
    let row = AttachmentRow {
        id: DbId(file.id.as_uuid()),
        program_id: DbId(target.program_id.as_uuid()),
        plan_id: DbId(target.plan_id.as_uuid()),
        parent_type: parent.kind.as_str().to_owned(),
        parent_id: DbId(parent.id),
        file_name: file.file_name.clone(),
        content_type: file.content_type.clone(),
        size_bytes: file.size_bytes,
        sha256: file.sha256.clone(),
        width: file.width,
        height: file.height,
        storage_key: file.storage_key.clone(),
        uploaded_by: Some(DbId(actor.user_id.as_uuid())),
        created_at: DbTime(crate::now()),
        version: 1,
        preview_key: file.preview_key.clone(),
    };
    diesel::insert_into(attachments::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), audited_as(target.restricted), file.id.as_uuid(), "create")
        .program(target.program_id.as_uuid())
        .plan(target.plan_id.as_uuid())
        .fields(&["file_name", "content_type", "size_bytes", "sha256"])
        .record(conn)?;
    Ok(Recorded::Stored(row.into_domain()?))
}

/// A parent's files, oldest first (whoever may see the parent).
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    parent: Parent,
    page: &PageRequest,
) -> Result<Page<Attachment>, StoreError> {
    visible_parent(conn, actor, parent)?;
    let query = super::created_page!(
        attachments::table
            .filter(attachments::parent_type.eq(parent.kind.as_str()))
            .filter(attachments::parent_id.eq(DbId(parent.id)))
            .select(AttachmentRow::as_select()),
        attachments,
        page
    );
    let items = query
        .load::<AttachmentRow>(conn)?
        .into_iter()
        .map(AttachmentRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |a: &Attachment| Cursor { at: a.created_at, id: a.id.as_uuid() }))
}

fn load(conn: &mut DbConnection, id: AttachmentId) -> Result<Option<AttachmentRow>, StoreError> {
    Ok(super::find_row!(conn, attachments, AttachmentRow, id.as_uuid())?)
}

/// A file and where its bytes are, for whoever may see its parent.
pub fn get(
    conn: &mut DbConnection,
    actor: &Actor,
    id: AttachmentId,
) -> Result<(Attachment, Keys), StoreError> {
    let row = load(conn, id)?.ok_or_else(|| not_found("attachment"))?;
    let kind = parse_stored("attachments.parent_type", &row.parent_type, AttachmentParent::parse)?;
    visible_parent(conn, actor, Parent { kind, id: row.parent_id.0 }).map_err(hide_as("attachment"))?;
    let keys = row.keys();
    Ok((row.into_domain()?, keys))
}

/// A file and where its bytes are, with no reader: for a signed download
/// link, which only someone who could see the file was given.
pub fn by_link(conn: &mut DbConnection, id: AttachmentId) -> Result<Option<(Attachment, Keys)>, StoreError> {
    load(conn, id)?
        .map(|row| {
            let keys = row.keys();
            Ok((row.into_domain()?, keys))
        })
        .transpose()
}

/// Remove a file (its uploader, while the plan is open, when `if_match`
/// holds): the row goes now; the caller removes the bytes after the
/// commit (the sweeper catches any it could not).
pub fn remove(
    conn: &mut DbConnection,
    actor: &Actor,
    id: AttachmentId,
    if_match: &Precondition,
) -> Result<Unstored, StoreError> {
    let row = load(conn, id)?.ok_or_else(|| not_found("attachment"))?;
    let kind = parse_stored("attachments.parent_type", &row.parent_type, AttachmentParent::parse)?;
    let found =
        visible_parent(conn, actor, Parent { kind, id: row.parent_id.0 }).map_err(hide_as("attachment"))?;
    let uploader = row.uploaded_by.is_some_and(|u| u.0 == actor.user_id.as_uuid());
    policy::require_remove_file(uploader, found.ctx.plan.status)?;
    check_version(if_match, row.version)?;
    diesel::delete(attachments::table.find(row.id)).execute(conn)?;
    audit::Event::new(Some(actor), audited_as(found.restricted), id.as_uuid(), "delete")
        .program(row.program_id.0)
        .plan(row.plan_id.0)
        .record(conn)?;
    Ok(Unstored(row.preview_key.into_iter().chain([row.storage_key]).collect()))
}

/// Forget the files of parents being deleted, in the deleting transaction
/// (audited, so clients that hold them hear they are gone). Returns their
/// storage keys. `restricted`: the parents are mentors-only comments.
pub(crate) fn forget_parents(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: AttachmentParent,
    ids: &[Uuid],
    restricted: bool,
) -> Result<Unstored, StoreError> {
    if ids.is_empty() {
        return Ok(Unstored::default());
    }
    let ids: Vec<DbId> = ids.iter().map(|id| DbId(*id)).collect();
    let of_parents = attachments::table
        .filter(attachments::parent_type.eq(kind.as_str()))
        .filter(attachments::parent_id.eq_any(ids));
    let gone: Vec<(DbId, DbId, DbId, String, Option<String>)> = of_parents
        .select((
            attachments::id,
            attachments::program_id,
            attachments::plan_id,
            attachments::storage_key,
            attachments::preview_key,
        ))
        .load(conn)?;
    let ids: Vec<DbId> = gone.iter().map(|(id, ..)| *id).collect();
    diesel::delete(attachments::table.filter(attachments::id.eq_any(ids))).execute(conn)?;
    let mut keys = Vec::with_capacity(gone.len());
    for (id, program, plan, key, preview) in gone {
        audit::Event::new(Some(actor), audited_as(restricted), id.0, "delete")
            .program(program.0)
            .plan(plan.0)
            .record(conn)?;
        keys.push(key);
        keys.extend(preview);
    }
    Ok(Unstored(keys))
}

/// The files with these ids, each with whether its parent is a
/// mentors-only comment (for the change feed, which judges visibility).
pub(crate) fn by_ids(conn: &mut DbConnection, ids: &[DbId]) -> Result<Vec<(Attachment, bool)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(AttachmentRow, Option<String>)> = attachments::table
        .left_join(
            comments::table
                .on(comments::id.eq(attachments::parent_id).and(attachments::parent_type.eq("comment"))),
        )
        .filter(attachments::id.eq_any(ids.to_vec()))
        .select((AttachmentRow::as_select(), comments::visibility.nullable()))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, visibility)| {
            Ok((row.into_domain()?, visibility.as_deref() == Some(Visibility::Mentors.as_str())))
        })
        .collect()
}

/// Which of `keys` belong to a recorded file or preview (for the sweeper).
pub fn known_keys(conn: &mut DbConnection, keys: &[String]) -> Result<HashSet<String>, StoreError> {
    let mut known = HashSet::new();
    for chunk in keys.chunks(500) {
        let found: Vec<String> = attachments::table
            .filter(attachments::storage_key.eq_any(chunk))
            .select(attachments::storage_key)
            .load(conn)?;
        known.extend(found);
        let previews: Vec<Option<String>> = attachments::table
            .filter(attachments::preview_key.eq_any(chunk))
            .select(attachments::preview_key)
            .load(conn)?;
        known.extend(previews.into_iter().flatten());
    }
    Ok(known)
}
