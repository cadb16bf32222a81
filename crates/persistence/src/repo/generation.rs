//! Data generations: has anything of a programme changed since a point in
//! time? Read through the change feed (`changes`), which every write to a
//! programme's memberships, mentorships, plans and everything under them, its
//! survey rounds and responses, and the programme itself appends to (the
//! audit hook, [`super::changes::for_event`]). Caches of derived figures take
//! a [`Mark`] before reading and ask [`program_changed_since`] before serving
//! what they read. Every statement that depends on how the feed is numbered
//! lives here and in [`super::feed`].

use diesel::dsl::exists;
use diesel::prelude::*;
use followup_domain::ids::ProgramId;

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{changes, sync_counter};
use crate::sql_types::DbId;

use super::feed;

/// A point in the change feed taken before reading figures: on PostgreSQL
/// the feed's bound (a transaction id), on SQLite one past the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(i64);

/// Take a mark. Must be called BEFORE the figures' reads.
///
/// PostgreSQL: the mark is [`feed::bound`], the oldest transaction of this
/// database running at that moment (or the next id to be handed out). A
/// transaction that commits after the figures' reads began was running when
/// the bound was taken, or began later: its id, and so every change it
/// writes, is at or past the mark. One that had finished by then is in the
/// figures. SQLite: one past the counter's committed value; there is one
/// writer at a time, and it numbers its changes above every committed value.
/// Either way nothing the figures could have missed escapes
/// [`program_changed_since`].
pub fn mark(conn: &mut DbConnection) -> Result<Mark, StoreError> {
    if let Some(bound) = feed::bound(conn)? {
        return Ok(Mark(bound));
    }
    let value: i64 = sync_counter::table.find(1).select(sync_counter::value).first(conn)?;
    Ok(Mark(value.saturating_add(1)))
}

/// Whether any change for `program` may have committed after `mark` was taken
/// (false positives allowed, false negatives never). One index probe, then
/// the feed's horizon: when compaction has removed rows at or past the mark
/// (a retention of 0 days), their absence proves nothing, so the answer is yes.
pub fn program_changed_since(
    conn: &mut DbConnection,
    program: ProgramId,
    mark: &Mark,
) -> Result<bool, StoreError> {
    let program = changes::table.filter(changes::program_id.eq(DbId(program.as_uuid())));
    let by_transaction = matches!(conn, DbConnection::Postgres(_));
    let changed = if by_transaction {
        diesel::select(exists(program.filter(changes::xid.ge(mark.0)))).get_result(conn)?
    } else {
        diesel::select(exists(program.filter(changes::seq.ge(mark.0)))).get_result(conn)?
    };
    // Read after the probe: compaction deletes and moves the horizon in one
    // transaction, so rows missing from the probe show in the horizon here.
    let horizon = feed::horizon(conn)?;
    Ok(changed || if by_transaction { horizon.xid >= mark.0 } else { horizon.seq >= mark.0 })
}
