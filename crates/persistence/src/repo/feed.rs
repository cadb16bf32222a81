//! Positions in the change feed, how far a reader may go, and compaction.
//!
//! A change's position is (`xid`, `seq`). On PostgreSQL `xid` is the id of
//! the transaction that wrote it (`pg_current_xact_id()`) and `seq` comes
//! from a sequence, so writers take no lock to number their changes. Ids are
//! handed out when a transaction starts writing, not when it commits, so a
//! reader stops before the oldest transaction of this database still
//! running ([`bound`]): every change before that bound has committed or
//! never will, and one that commits later has a position past it, hence past
//! any cursor the reader hands out. On SQLite one writer runs at a time:
//! `seq` is numbered from `sync_counter` and `xid` is 0.

use std::fmt;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{changes, server_settings};
use crate::sql_types::DbTime;

/// A place in the change feed. Rows written before positions carried a
/// transaction id have `xid` 0, so an old cursor (0, n) still reads on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub xid: i64,
    pub seq: i64,
}

impl Position {
    /// The start of the feed: a sync from scratch.
    pub const START: Position = Position { xid: 0, seq: 0 };

    /// Read `seq` or `xid.seq` (both not negative), as [`Display`](fmt::Display) writes it.
    pub fn parse(text: &str) -> Option<Position> {
        let number = |t: &str| t.parse::<i64>().ok().filter(|n| *n >= 0 && !t.starts_with('+'));
        match text.split_once('.') {
            None => Some(Position { xid: 0, seq: number(text)? }),
            Some((xid, seq)) => Some(Position { xid: number(xid)?, seq: number(seq)? }),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.xid == 0 {
            write!(f, "{}", self.seq)
        } else {
            write!(f, "{}.{}", self.xid, self.seq)
        }
    }
}

/// Rows strictly after `$p`, in the order of their positions.
macro_rules! after {
    ($p:expr) => {{
        let p: crate::repo::feed::Position = $p;
        changes::xid.gt(p.xid).or(changes::xid.eq(p.xid).and(changes::seq.gt(p.seq)))
    }};
}
pub(crate) use after;

/// The first transaction id a reader must not pass: the oldest transaction
/// of this database still running (PostgreSQL), or none (SQLite, whose
/// writer has committed whatever a reader sees).
///
/// Transactions of other databases on the same server (a migration, a
/// `DROP DATABASE`, a batch job) cannot write this feed and do not hold it
/// back. The snapshot is taken first and the running backends are read
/// after it: a transaction the snapshot saw running either still runs then
/// (and is found), or has finished (and the rows read next include its
/// changes); one that began after the snapshot has an id of at least its
/// `xmax`, which is the bound when nothing older runs.
pub fn bound(conn: &mut DbConnection) -> Result<Option<i64>, StoreError> {
    use diesel::sql_types::{Array, Text};
    let DbConnection::Postgres(c) = conn else { return Ok(None) };
    let snapshot: String =
        diesel::select(diesel::dsl::sql::<Text>("pg_current_snapshot()::text")).get_result(c)?;
    let running: Vec<String> = diesel::select(diesel::dsl::sql::<Array<Text>>(
        "(SELECT coalesce(array_agg(backend_xid::text), '{}') FROM pg_stat_activity \
         WHERE datname = current_database() AND backend_xid IS NOT NULL)",
    ))
    .get_result(c)?;
    let bad =
        || StoreError::Db(diesel::result::Error::DeserializationError(format!("snapshot {snapshot}").into()));
    let mut parts = snapshot.split(':');
    let (_xmin, xmax, xip) = (parts.next(), parts.next().ok_or_else(bad)?, parts.next().unwrap_or(""));
    let xmax: i64 = xmax.parse().map_err(|_| bad())?;
    // Backends show 32-bit ids; the snapshot's carry the epoch above them.
    let running: std::collections::HashSet<u32> = running.iter().filter_map(|x| x.parse().ok()).collect();
    let oldest = xip
        .split(',')
        .filter_map(|x| x.parse::<i64>().ok())
        .filter(|x| running.contains(&((*x & 0xFFFF_FFFF) as u32)))
        .min();
    Ok(Some(oldest.map_or(xmax, |x| x.min(xmax))))
}

/// How long a read waits for older transactions to finish before it returns
/// what it may, and how long between looks.
pub const HOLD_BACK_WAIT: Duration = Duration::from_secs(1);
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// Read with `read` (positions in order) and keep what lies before the
/// bound. A change past the bound has usually committed already and waits
/// only for an older writer, a few milliseconds: read again until none is
/// held back or [`HOLD_BACK_WAIT`] has passed, so a client that has just
/// written finds its change. Returns the rows and whether any were held back.
pub fn read_bounded<R>(
    conn: &mut DbConnection,
    position: impl Fn(&R) -> Position,
    mut read: impl FnMut(&mut DbConnection) -> Result<Vec<R>, StoreError>,
) -> Result<(Vec<R>, bool), StoreError> {
    let deadline = Instant::now() + HOLD_BACK_WAIT;
    let mut pause = FIRST_PAUSE;
    loop {
        // The bound is taken before the rows: every transaction below it had
        // finished then, so the read that follows sees all of its changes.
        let bound = bound(conn)?;
        let mut rows = read(conn)?;
        let held = bound.and_then(|b| rows.iter().position(|r| position(r).xid >= b));
        match held {
            None => return Ok((rows, false)),
            Some(first) if Instant::now() >= deadline => {
                rows.truncate(first);
                return Ok((rows, true));
            }
            Some(_) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
        }
    }
}

/// The setting that holds the feed's horizon: the last position compaction
/// removed. A cursor before it may have missed a change.
const HORIZON: &str = "sync_horizon";

/// The last position compaction removed ([`Position::START`]: nothing yet).
pub fn horizon(conn: &mut DbConnection) -> Result<Position, StoreError> {
    let value: Option<String> =
        server_settings::table.find(HORIZON).select(server_settings::value).first(conn).optional()?;
    Ok(value.as_deref().and_then(Position::parse).unwrap_or_default())
}

/// Whether a client at `cursor` may have missed a change that compaction
/// removed, and must sync from scratch. A full sync never has.
pub fn cursor_expired(conn: &mut DbConnection, cursor: Position) -> Result<bool, StoreError> {
    Ok(cursor > Position::START && cursor < horizon(conn)?)
}

/// Compact the change feed: remove the rows written before `cutoff` that a
/// sync from scratch does not need — rows addressed to one user (tombstones,
/// re-reads after a grant changed) and rows a later change to the same
/// entity supersedes — and move the horizon past them. The latest change to
/// every entity stays, so a full sync still finds everything. Returns how
/// many rows went.
pub fn compact(conn: &mut DbConnection, cutoff: chrono::DateTime<chrono::Utc>) -> Result<usize, StoreError> {
    let newer = diesel::alias!(changes as newer);
    let superseded = diesel::dsl::exists(
        newer
            .filter(newer.field(changes::entity_id).eq(changes::entity_id))
            .filter(newer.field(changes::audience_id).is_null())
            .filter(newer.field(changes::xid).gt(changes::xid).or(
                newer.field(changes::xid).eq(changes::xid).and(newer.field(changes::seq).gt(changes::seq)),
            )),
    );
    let doomed = changes::table
        .filter(changes::changed_at.lt(DbTime(cutoff)))
        .filter(changes::audience_id.is_not_null().or(superseded));
    let last: Option<(i64, i64)> = doomed
        .select((changes::xid, changes::seq))
        .order((changes::xid.desc(), changes::seq.desc()))
        .first(conn)
        .optional()?;
    let Some((xid, seq)) = last else { return Ok(0) };
    let last = Position { xid, seq };
    let removed = diesel::delete(doomed.filter(diesel::dsl::not(after!(last)))).execute(conn)?;
    let horizon = horizon(conn)?.max(last).to_string();
    let row = (
        server_settings::name.eq(HORIZON),
        server_settings::value.eq(&horizon),
        server_settings::created_at.eq(DbTime(crate::now())),
    );
    with_backend_conn!(conn, c => diesel::insert_into(server_settings::table)
        .values(row)
        .on_conflict(server_settings::name)
        .do_update()
        .set(server_settings::value.eq(&horizon))
        .execute(c))?;
    Ok(removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Position;

    #[test]
    fn positions_order_by_transaction_then_number_and_read_back() {
        let old = Position { xid: 0, seq: 900 };
        let new = Position { xid: 7, seq: 3 };
        assert!(Position::START < old && old < new);
        assert!(Position { xid: 7, seq: 2 } < new);
        for p in [Position::START, old, new, Position { xid: i64::MAX, seq: i64::MAX }] {
            assert_eq!(Position::parse(&p.to_string()), Some(p));
        }
        assert_eq!(old.to_string(), "900");
        for bad in ["", "-1", "+1", "1.", ".1", "1.2.3", "x", "1.-2"] {
            assert_eq!(Position::parse(bad), None, "{bad}");
        }
    }
}
