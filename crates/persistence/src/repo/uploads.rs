//! Resumable uploads (tus 1.0): an upload is created for a parent with its
//! full length, receives its bytes in any number of PATCHes (each stored
//! as a part under the upload's key), and becomes an attachment when the
//! last byte arrives. An upload belongs to its creator; one left unfinished
//! expires and its parts are removed.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use followup_domain::values::AttachmentParent;
use followup_domain::Actor;
use uuid::Uuid;

use super::attachments::{target, Parent};
use super::{not_found, parse_stored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::uploads;
use crate::sql_types::{DbId, DbTime};

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: Uuid,
    pub parent: Parent,
    pub file_name: String,
    pub length: i64,
    pub offset: i64,
    pub expires_at: DateTime<Utc>,
}

type Row = (DbId, String, DbId, String, i64, i64, DbTime);

fn of_row((id, kind, parent, file_name, length, offset, expires): Row) -> Result<Upload, StoreError> {
    Ok(Upload {
        id: id.0,
        parent: Parent {
            kind: parse_stored("uploads.parent_type", &kind, AttachmentParent::parse)?,
            id: parent.0,
        },
        file_name,
        length,
        offset,
        expires_at: expires.0,
    })
}

/// Start an upload of `length` bytes to `parent` (whoever may attach to
/// it), expiring after `lifetime`.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    parent: Parent,
    file_name: &str,
    length: i64,
    lifetime: Duration,
) -> Result<Upload, StoreError> {
    target(conn, actor, parent)?;
    let now = crate::now();
    let upload = Upload {
        id: Uuid::now_v7(),
        parent,
        file_name: file_name.to_owned(),
        length,
        offset: 0,
        expires_at: now + lifetime,
    };
    diesel::insert_into(uploads::table)
        .values((
            uploads::id.eq(DbId(upload.id)),
            uploads::user_id.eq(DbId(actor.user_id.as_uuid())),
            uploads::parent_type.eq(parent.kind.as_str()),
            uploads::parent_id.eq(DbId(parent.id)),
            uploads::file_name.eq(file_name),
            uploads::upload_length.eq(length),
            uploads::upload_offset.eq(0_i64),
            uploads::created_at.eq(DbTime(now)),
            uploads::expires_at.eq(DbTime(upload.expires_at)),
        ))
        .execute(conn)?;
    Ok(upload)
}

/// The caller's live upload (404 for anyone else's, or an expired one).
pub fn get(conn: &mut DbConnection, actor: &Actor, id: Uuid) -> Result<Upload, StoreError> {
    let row: Option<Row> = uploads::table
        .find(DbId(id))
        .filter(uploads::user_id.eq(DbId(actor.user_id.as_uuid())))
        .filter(uploads::expires_at.gt(DbTime(crate::now())))
        .select((
            uploads::id,
            uploads::parent_type,
            uploads::parent_id,
            uploads::file_name,
            uploads::upload_length,
            uploads::upload_offset,
            uploads::expires_at,
        ))
        .first(conn)
        .optional()?;
    of_row(row.ok_or_else(|| not_found("upload"))?)
}

/// Move an upload from `from` to `to` bytes received; `false` when another
/// request moved it first (its part is then not counted).
pub fn advance(conn: &mut DbConnection, id: Uuid, from: i64, to: i64) -> Result<bool, StoreError> {
    let moved = diesel::update(uploads::table.find(DbId(id)).filter(uploads::upload_offset.eq(from)))
        .set(uploads::upload_offset.eq(to))
        .execute(conn)?;
    Ok(moved == 1)
}

/// Forget an upload (finished, terminated or expired).
pub fn forget(conn: &mut DbConnection, id: Uuid) -> Result<(), StoreError> {
    diesel::delete(uploads::table.find(DbId(id))).execute(conn)?;
    Ok(())
}

/// Uploads that expired unfinished, to remove with their parts.
pub fn expired(conn: &mut DbConnection, limit: i64) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<DbId> = uploads::table
        .filter(uploads::expires_at.le(DbTime(crate::now())))
        .select(uploads::id)
        .limit(limit)
        .load(conn)?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}

/// Which of `ids` are uploads still in progress (for the sweeper).
pub fn live(conn: &mut DbConnection, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<DbId> = ids.iter().map(|id| DbId(*id)).collect();
    let found: Vec<DbId> = uploads::table.filter(uploads::id.eq_any(ids)).select(uploads::id).load(conn)?;
    Ok(found.into_iter().map(|id| id.0).collect())
}
