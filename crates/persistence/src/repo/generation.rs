//! Data generations: has anything of a programme changed since a point in
//! time? Read through the change feed (`changes`), which every write to a
//! programme's memberships, mentorships, plans and everything under them, its
//! survey rounds and responses, and the programme itself appends to (the
//! audit hook, [`super::changes::for_event`]). Caches of derived figures take
//! a [`Mark`] before reading and ask [`program_changed_since`] before serving
//! what they read. Every statement that depends on how the feed is numbered
//! lives here.

use diesel::dsl::exists;
use diesel::prelude::*;
use followup_domain::ids::ProgramId;

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{changes, sync_counter};
use crate::sql_types::DbId;

/// A point in the change feed taken before reading figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(i64);

/// Take a mark. Must be called BEFORE the figures' reads.
///
/// The mark is one past the counter's committed value. A writer numbers its
/// changes by updating the single `sync_counter` row inside its transaction:
/// on PostgreSQL that row stays locked until the writer commits, so a
/// writer that has not committed when the mark is read either holds the lock
/// (its numbers are above the committed value this read sees) or takes it
/// later (and numbers above every committed value). On SQLite there is one
/// writer at a time and a reader sees only committed counters. Either way, a
/// transaction that commits after the mark was read carries every seq
/// ≥ the mark, so nothing the figures' later reads could miss escapes
/// [`program_changed_since`].
pub fn mark(conn: &mut DbConnection) -> Result<Mark, StoreError> {
    let value: i64 = sync_counter::table.find(1).select(sync_counter::value).first(conn)?;
    Ok(Mark(value.saturating_add(1)))
}

/// Whether any change for `program` may have committed after `mark` was taken
/// (false positives allowed, false negatives never). One probe of
/// `changes_program_idx (program_id, seq)`, then the feed's horizon: when
/// compaction has removed rows at or past the mark (a retention of 0 days),
/// their absence proves nothing, so the answer is yes.
pub fn program_changed_since(
    conn: &mut DbConnection,
    program: ProgramId,
    mark: &Mark,
) -> Result<bool, StoreError> {
    let changed = diesel::select(exists(
        changes::table
            .filter(changes::program_id.eq(DbId(program.as_uuid())))
            .filter(changes::seq.ge(mark.0)),
    ))
    .get_result(conn)?;
    // Read after the probe: compaction deletes and moves the horizon in one
    // transaction, so rows missing from the probe show in the horizon here.
    Ok(changed || super::sync::horizon(conn)? >= mark.0)
}
