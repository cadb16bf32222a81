//! Repositories: one function per unit of work, written once against
//! `DbConnection` for both backends. Every function that changes data writes
//! its audit event on the same connection, inside the caller's transaction
//! (`Database::write`).
//!
//! There is no repository *trait*: there is exactly one implementation (the
//! multi-backend one), and tests exercise it against real SQLite and
//! PostgreSQL databases rather than mocks, so a trait would only add noise.

pub mod account_tokens;
pub mod activities;
pub mod api_keys;
pub mod attachments;
pub mod audit;
pub mod change_requests;
pub mod changes;
pub mod check_ins;
pub mod comments;
pub mod deliveries;
pub mod export;
pub mod feed;
pub mod generation;
pub mod idempotency;
pub mod indicators;
pub mod mail;
pub mod members;
pub mod mentorships;
pub mod monitoring;
pub mod monitoring_cache;
pub mod notices;
pub mod organizations;
pub mod outbox;
pub mod outcome_report;
pub mod plans;
pub mod programs;
pub mod reminders;
pub mod rows;
pub mod sessions;
pub mod survey_responses;
pub mod surveys;
pub mod sync;
pub mod uploads;
pub mod users;
pub mod viewer;
pub mod webhooks;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Keyset paging in creation order: rows after `$after` by (`created_at`, `id`).
macro_rules! after_created {
    ($query:expr, $table:ident, $after:expr) => {
        match $after {
            Some(c) => $query.filter(
                $table::created_at.gt(crate::sql_types::DbTime(c.at)).or($table::created_at
                    .eq(crate::sql_types::DbTime(c.at))
                    .and($table::id.gt(crate::sql_types::DbId(c.id)))),
            ),
            None => $query,
        }
    };
}
pub(crate) use after_created;

/// One keyset page of `$query` (rows of `$table`) in creation order: ordered
/// by (`created_at`, `id`), at most `$page.fetch()` rows after `$page.after`;
/// boxed, so that the caller may filter it further.
macro_rules! created_page {
    ($query:expr, $table:ident, $page:expr) => {{
        let page: &followup_domain::paging::PageRequest = $page;
        let query =
            $query.order(($table::created_at.asc(), $table::id.asc())).limit(page.fetch()).into_boxed();
        crate::repo::after_created!(query, $table, page.after)
    }};
}
pub(crate) use created_page;

/// The `$row` of `$table` whose id is `$id` (a `Uuid`), if there is one.
macro_rules! find_row {
    ($conn:expr, $table:ident, $row:ty, $id:expr) => {
        $table::table
            .find(crate::sql_types::DbId($id))
            .select(<$row>::as_select())
            .first::<$row>($conn)
            .optional()
    };
}
pub(crate) use find_row;

/// The `$row`s of `$table` whose ids are among `$ids` (`DbId`s), in no
/// particular order; no statement when there are none.
macro_rules! rows_by_ids {
    ($conn:expr, $table:ident, $row:ty, $ids:expr) => {
        if $ids.is_empty() {
            Ok(Vec::new())
        } else {
            $table::table
                .filter($table::id.eq_any($ids.to_vec()))
                .select(<$row>::as_select())
                .load::<$row>($conn)
        }
    };
}
pub(crate) use rows_by_ids;

/// Lease up to `$limit` due rows of the queue `$table` (status `$pending`,
/// next attempt due by `$now`, not leased or the lease run out), oldest due
/// first, until `$now + $lease`: the ids leased. On PostgreSQL the rows
/// another worker is leasing at the same time are skipped.
macro_rules! lease_due {
    ($conn:expr, $table:ident, $pending:expr, $now:expr, $lease:expr, $limit:expr) => {{
        use crate::sql_types::{DbId, DbTime};
        let now: chrono::DateTime<chrono::Utc> = $now;
        let due = $table::table
            .filter($table::status.eq($pending))
            .filter($table::next_attempt_at.le(DbTime(now)))
            .filter($table::locked_until.is_null().or($table::locked_until.lt(DbTime(now))))
            .order($table::next_attempt_at.asc())
            .limit($limit)
            .select($table::id);
        let ids = match $conn {
            crate::connection::DbConnection::Postgres(c) => due.for_update().skip_locked().load::<DbId>(c),
            crate::connection::DbConnection::Sqlite(c) => due.load::<DbId>(c),
        };
        match ids {
            Ok(ids) if !ids.is_empty() => {
                diesel::update($table::table.filter($table::id.eq_any(ids.clone())))
                    .set($table::locked_until.eq(Some(DbTime(now + $lease))))
                    .execute($conn)
                    .map(|_| ids)
            }
            other => other,
        }
    }};
}
pub(crate) use lease_due;

/// The id of an indicator's current measurement, as a subquery correlated
/// with `indicators::id`: the latest not withdrawn, by date, then recording
/// time and id.
macro_rules! latest_measurement {
    () => {{
        use crate::schema::{indicators, measurements};
        let later_m = diesel::alias!(measurements as later_m);
        later_m
            .filter(later_m.field(measurements::indicator_id).eq(indicators::id))
            .filter(later_m.field(measurements::withdrawn_at).is_null())
            .order((
                later_m.field(measurements::measured_on).desc(),
                later_m.field(measurements::created_at).desc(),
                later_m.field(measurements::id).desc(),
            ))
            .select(later_m.field(measurements::id))
            .limit(1)
            .single_value()
    }};
}
use followup_domain::DomainError;
pub(crate) use latest_measurement;

use crate::error::StoreError;

/// The storage keys of files (and previews) whose records a transaction
/// removed: the caller removes their bytes once it has committed (the
/// sweeper removes any it could not).
#[derive(Debug, Default)]
#[must_use = "the bytes of these files are removed after the commit"]
pub struct Unstored(pub Vec<String>);

/// Parse an enum stored as its wire name; an unknown one is data corruption, not user error.
pub(crate) fn parse_stored<T>(
    column: &str,
    raw: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| {
        StoreError::Db(DieselError::DeserializationError(format!("unknown value {raw:?} in {column}").into()))
    })
}

/// Map a unique violation to a domain conflict, anything else passes through.
pub(crate) fn on_unique(e: DieselError, code: &'static str, message: &str) -> StoreError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            StoreError::Domain(DomainError::Conflict { code, message: message.to_owned() })
        }
        other => StoreError::Db(other),
    }
}

/// Check a client's `If-Match` against the stored version.
pub(crate) fn check_version(
    expected: &followup_domain::precondition::Precondition,
    current: i64,
) -> Result<(), StoreError> {
    expected.check(current).map_err(StoreError::from)
}

/// `$row`'s row of `$table` while it is still at the version read: what an
/// update targets so as not to overwrite another writer's change (see
/// [`require_updated`]).
macro_rules! at_version {
    ($table:ident, $row:expr) => {
        $table::table.filter($table::id.eq($row.id).and($table::version.eq($row.version)))
    };
}
pub(crate) use at_version;

/// After an update guarded by the version read (`WHERE version = …`): no
/// row updated means another writer changed it first, 412 with `current`.
pub(crate) fn require_updated(updated: usize, current: i64) -> Result<(), StoreError> {
    if updated == 0 {
        return Err(DomainError::PreconditionFailed { current }.into());
    }
    Ok(())
}

pub(crate) fn not_found(entity: &'static str) -> StoreError {
    StoreError::Domain(DomainError::NotFound { entity })
}

/// For a resource found through its plan: when the plan is invisible to the
/// caller, say the resource itself is not found (its id must not leak the plan).
pub(crate) fn hide_as(entity: &'static str) -> impl FnOnce(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Domain(DomainError::NotFound { .. }) => not_found(entity),
        other => other,
    }
}
