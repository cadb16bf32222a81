//! The `Idempotency-Key` store: one row per (caller, key), claimed before the
//! request runs and completed with the response it produced.
//!
//! A row with `response_status` NULL is a *claim*: a request with that key is
//! running. Each function here is one short unit of work, run in its own
//! transaction (`Database::write`, or `Database::read` for [`peek`]); the
//! request's own work runs in another transaction between [`claim`] and
//! [`complete`] / [`release`]. The HTTP middleware (`followup_http::idempotency`)
//! explains what that means on a crash.
//!
//! Claiming is race-free on both backends: the insert is `ON CONFLICT DO
//! NOTHING` (PostgreSQL) / `INSERT OR IGNORE`-equivalent (SQLite), so losing a
//! race never raises a unique violation (which would abort a PostgreSQL
//! transaction); the loser re-reads the winner's row instead. Completing and
//! releasing are guarded by the claim's `created_at`, so a request whose claim
//! was taken over (abandoned) cannot overwrite the new owner's row.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use followup_domain::ids::UserId;

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::idempotency_keys;
use crate::sql_types::{DbId, DbTime};

/// A stored row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
#[diesel(treat_none_as_default_value = false)]
struct IdempotencyRow {
    user_id: DbId,
    idempotency_key: String,
    request_method: String,
    request_path: String,
    request_hash: String,
    response_status: Option<i32>,
    response_headers: Option<String>,
    response_body: Option<String>,
    created_at: DbTime,
    expires_at: DbTime,
}

/// Which request a key is used for: the caller, the key, and what the
/// request was (method, path and query, SHA-256 of method, path and body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    pub user_id: UserId,
    pub key: String,
    pub method: String,
    pub path: String,
    pub hash: String,
}

/// A completed response, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// A small JSON object of the replayed headers (`{"content-type": "…"}`).
    pub headers: Option<String>,
    pub body: String,
}

/// What a key currently stands for, seen from a request that wants to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// Absent, expired, or claimed so long ago that the claim is abandoned:
    /// the request may claim it.
    Free,
    /// Another request with the same content holds the claim.
    InProgress,
    /// A request with the same content completed with this response.
    Completed(StoredResponse),
    /// The key was used for a different request (method, path or body).
    Mismatch,
}

/// The outcome of [`claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request holds the key now; pass `claimed_at` to [`complete`] or [`release`].
    Claimed { claimed_at: DateTime<Utc> },
    /// The key is held or used ([`KeyState::Free`] never appears here).
    Held(KeyState),
}

/// The row of one (caller, key).
type KeyFilter = diesel::dsl::Filter<
    idempotency_keys::table,
    diesel::dsl::And<
        diesel::dsl::Eq<idempotency_keys::user_id, DbId>,
        diesel::dsl::Eq<idempotency_keys::idempotency_key, String>,
    >,
>;

fn key_filter(request: &KeyedRequest) -> KeyFilter {
    idempotency_keys::table.filter(
        idempotency_keys::user_id
            .eq(DbId(request.user_id.as_uuid()))
            .and(idempotency_keys::idempotency_key.eq(request.key.clone())),
    )
}

fn find(conn: &mut DbConnection, request: &KeyedRequest) -> Result<Option<IdempotencyRow>, StoreError> {
    Ok(
        with_backend_conn!(conn, c => key_filter(request).select(IdempotencyRow::as_select()).first(c).optional())?,
    )
}

fn state_of(
    row: Option<&IdempotencyRow>,
    request: &KeyedRequest,
    now: DateTime<Utc>,
    abandon_after: Duration,
) -> KeyState {
    let Some(row) = row else { return KeyState::Free };
    if row.expires_at.0 <= now {
        return KeyState::Free;
    }
    if row.request_method != request.method
        || row.request_path != request.path
        || row.request_hash != request.hash
    {
        return KeyState::Mismatch;
    }
    match row.response_status {
        Some(status) => KeyState::Completed(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            headers: row.response_headers.clone(),
            body: row.response_body.clone().unwrap_or_default(),
        }),
        None if now - row.created_at.0 > abandon_after => KeyState::Free,
        None => KeyState::InProgress,
    }
}

/// Read-only look at a key (for waiting on another request's claim).
pub fn peek(
    conn: &mut DbConnection,
    request: &KeyedRequest,
    abandon_after: Duration,
) -> Result<KeyState, StoreError> {
    let row = find(conn, request)?;
    Ok(state_of(row.as_ref(), request, crate::now(), abandon_after))
}

/// Try to claim a key for `request`, keeping it for `lifetime`. An expired row
/// or an abandoned claim (in progress for more than `abandon_after`) is
/// replaced. Run inside one write transaction. A `user_id` that names no user
/// is `NotFound`.
pub fn claim(
    conn: &mut DbConnection,
    request: &KeyedRequest,
    lifetime: Duration,
    abandon_after: Duration,
) -> Result<Claim, StoreError> {
    let now = crate::now();
    let row = IdempotencyRow {
        user_id: DbId(request.user_id.as_uuid()),
        idempotency_key: request.key.clone(),
        request_method: request.method.clone(),
        request_path: request.path.clone(),
        request_hash: request.hash.clone(),
        response_status: None,
        response_headers: None,
        response_body: None,
        created_at: DbTime(now),
        expires_at: DbTime(now + lifetime),
    };
    // A new key, the usual case, is claimed in one statement.
    if insert(conn, &row)? {
        return Ok(Claim::Claimed { claimed_at: now });
    }
    // The key is taken (by a committed request, or one the insert waited on).
    let existing = find(conn, request)?;
    match state_of(existing.as_ref(), request, now, abandon_after) {
        KeyState::Free => {}
        held => return Ok(Claim::Held(held)),
    }
    if let Some(old) = &existing {
        // Expired or abandoned: drop exactly the row we judged (a concurrent
        // taker may have replaced it already; then the insert below loses).
        diesel::delete(key_filter(request).filter(idempotency_keys::created_at.eq(old.created_at)))
            .execute(conn)?;
    }
    if insert(conn, &row)? {
        return Ok(Claim::Claimed { claimed_at: now });
    }
    // Someone else claimed it in between: judge their row.
    let winner = find(conn, request)?;
    Ok(match state_of(winner.as_ref(), request, now, abandon_after) {
        // Gone again already: let the caller wait and retry.
        KeyState::Free => Claim::Held(KeyState::InProgress),
        held => Claim::Held(held),
    })
}

/// Insert a claim unless the key is taken; true when it was inserted.
fn insert(conn: &mut DbConnection, row: &IdempotencyRow) -> Result<bool, StoreError> {
    // The one dialect match: a conflicting insert must not raise (PostgreSQL
    // would abort the transaction), it must simply insert nothing.
    let inserted = with_backend_conn!(conn, c => diesel::insert_into(idempotency_keys::table).values(row).on_conflict_do_nothing().execute(c));
    match inserted {
        Ok(n) => Ok(n == 1),
        // The token names no user (the caller's own check will refuse it).
        Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            Err(super::not_found("user"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Store the response of a claimed request. Returns false when the claim was
/// no longer ours (taken over after being abandoned); nothing is written then.
pub fn complete(
    conn: &mut DbConnection,
    request: &KeyedRequest,
    claimed_at: DateTime<Utc>,
    response: &StoredResponse,
) -> Result<bool, StoreError> {
    let statement = crate::cached::CompleteKey {
        status: i32::from(response.status),
        headers: response.headers.as_deref(),
        body: &response.body,
        user_id: DbId(request.user_id.as_uuid()),
        key: &request.key,
        claimed_at: DbTime(claimed_at),
    };
    let updated = with_backend_conn!(conn, c => statement.execute(c))?;
    Ok(updated == 1)
}

/// Give a claim up (the request failed in a way a retry may fix), so the next
/// request with the key runs afresh.
pub fn release(
    conn: &mut DbConnection,
    request: &KeyedRequest,
    claimed_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::delete(
        key_filter(request)
            .filter(idempotency_keys::created_at.eq(DbTime(claimed_at)))
            .filter(idempotency_keys::response_status.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// Delete every expired row; returns how many.
pub fn purge_expired(conn: &mut DbConnection) -> Result<usize, StoreError> {
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::expires_at.lt(DbTime(crate::now()))))
        .execute(conn)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use diesel::connection::SimpleConnection;
    use diesel::PgConnection;

    use super::*;
    use crate::repo::rows::UserRow;
    use crate::schema::users;
    use crate::{Database, DatabaseUrl, PoolOptions};

    /// A migrated database with one user; dropped (PostgreSQL) with the guard.
    struct TestDb {
        db: Database,
        user: UserId,
        _dir: Option<tempfile::TempDir>,
        pg: Option<(String, String)>,
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            if let Some((admin, name)) = &self.pg {
                if let Ok(mut conn) = PgConnection::establish(admin) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }

    fn open(url: &str, dir: Option<tempfile::TempDir>, pg: Option<(String, String)>) -> TestDb {
        let db = Database::connect(&DatabaseUrl::parse(url).unwrap(), &PoolOptions::default()).unwrap();
        db.migrate().unwrap();
        let user = UserId::new();
        let now = DbTime(crate::now());
        db.write(|c| {
            diesel::insert_into(users::table)
                .values(&UserRow {
                    id: DbId(user.as_uuid()),
                    email: "key.holder@followup.local".into(),
                    display_name: "Key Holder".into(),
                    organization_id: None,
                    position: None,
                    locale: "en".into(),
                    time_zone: "Asia/Jakarta".into(),
                    system_role: "member".into(),
                    active: true,
                    password_hash: "x".into(),
                    password_changed_at: now,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                    password_state: "set".into(),
                })
                .execute(c)?;
            Ok(())
        })
        .unwrap();
        TestDb { db, user, _dir: dir, pg }
    }

    /// SQLite always; PostgreSQL when `FOLLOWUP_TEST_POSTGRES_URL` is set.
    fn databases() -> Vec<TestDb> {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("keys.db").display());
        let mut all = vec![open(&url, Some(dir), None)];
        match std::env::var("FOLLOWUP_TEST_POSTGRES_URL") {
            Ok(admin) if !admin.trim().is_empty() => {
                let name = format!("followup_keys_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin).unwrap();
                conn.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let mut parsed = url::Url::parse(&admin).unwrap();
                parsed.set_path(&format!("/{name}"));
                all.push(open(parsed.as_str(), None, Some((admin, name))));
            }
            _ => eprintln!("postgres half skipped: FOLLOWUP_TEST_POSTGRES_URL is not set"),
        }
        all
    }

    fn request(user: UserId, key: &str, hash: &str) -> KeyedRequest {
        KeyedRequest {
            user_id: user,
            key: key.into(),
            method: "POST".into(),
            path: "/api/v1/organizations".into(),
            hash: hash.into(),
        }
    }

    const DAY: Duration = Duration::hours(24);
    const MINUTE: Duration = Duration::seconds(60);

    fn claim_now(t: &TestDb, r: &KeyedRequest, lifetime: Duration, abandon: Duration) -> Claim {
        t.db.write(|c| claim(c, r, lifetime, abandon)).unwrap()
    }

    fn claimed_at(outcome: Claim) -> DateTime<Utc> {
        match outcome {
            Claim::Claimed { claimed_at } => claimed_at,
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    #[test]
    fn claim_wait_complete_replay() {
        for t in databases() {
            let r = request(t.user, "k1", "h1");
            let at = claimed_at(claim_now(&t, &r, DAY, MINUTE));
            assert_eq!(claim_now(&t, &r, DAY, MINUTE), Claim::Held(KeyState::InProgress));
            assert_eq!(t.db.read(|c| peek(c, &r, MINUTE)).unwrap(), KeyState::InProgress);
            let other = request(t.user, "k1", "h2");
            assert_eq!(claim_now(&t, &other, DAY, MINUTE), Claim::Held(KeyState::Mismatch));

            let stored = StoredResponse { status: 201, headers: Some("{}".into()), body: "{\"a\":1}".into() };
            assert!(t.db.write(|c| complete(c, &r, at, &stored)).unwrap());
            assert!(!t.db.write(|c| complete(c, &r, at, &stored)).unwrap(), "completes once");
            assert_eq!(claim_now(&t, &r, DAY, MINUTE), Claim::Held(KeyState::Completed(stored.clone())));
            assert_eq!(t.db.read(|c| peek(c, &r, MINUTE)).unwrap(), KeyState::Completed(stored));
            assert_eq!(claim_now(&t, &other, DAY, MINUTE), Claim::Held(KeyState::Mismatch));
        }
    }

    #[test]
    fn released_abandoned_and_expired_keys_can_be_claimed_again() {
        for t in databases() {
            // Released: free at once.
            let r = request(t.user, "k2", "h");
            let at = claimed_at(claim_now(&t, &r, DAY, MINUTE));
            t.db.write(|c| release(c, &r, at)).unwrap();
            assert_eq!(t.db.read(|c| peek(c, &r, MINUTE)).unwrap(), KeyState::Free);
            let first = claimed_at(claim_now(&t, &r, DAY, MINUTE));

            // Abandoned: taken over; the first owner can no longer complete or release it.
            let instantly = Duration::seconds(-1);
            assert_eq!(t.db.read(|c| peek(c, &r, instantly)).unwrap(), KeyState::Free);
            let second = claimed_at(claim_now(&t, &r, DAY, instantly));
            assert_ne!(first, second);
            let stored = StoredResponse { status: 200, headers: None, body: String::new() };
            assert!(!t.db.write(|c| complete(c, &r, first, &stored)).unwrap());
            t.db.write(|c| release(c, &r, first)).unwrap();
            assert_eq!(claim_now(&t, &r, DAY, MINUTE), Claim::Held(KeyState::InProgress));
            assert!(t.db.write(|c| complete(c, &r, second, &stored)).unwrap());

            // Expired: absent, even for another request; purged.
            let e = request(t.user, "k3", "h");
            claimed_at(claim_now(&t, &e, Duration::seconds(-1), MINUTE));
            let reused = request(t.user, "k3", "other");
            claimed_at(claim_now(&t, &reused, Duration::seconds(-1), MINUTE));
            assert_eq!(t.db.write(purge_expired).unwrap(), 1);
            assert_eq!(t.db.read(|c| peek(c, &reused, MINUTE)).unwrap(), KeyState::Free);
            assert_eq!(t.db.read(|c| peek(c, &r, MINUTE)).unwrap(), KeyState::Completed(stored));
        }
    }

    #[test]
    fn keys_are_per_user_and_unknown_users_are_not_found() {
        for t in databases() {
            let mine = request(t.user, "shared", "h");
            claimed_at(claim_now(&t, &mine, DAY, MINUTE));
            let stranger = request(UserId::new(), "shared", "h");
            let refused = t.db.write(|c| claim(c, &stranger, DAY, MINUTE));
            assert!(matches!(refused, Err(StoreError::Domain(_))), "{refused:?}");
        }
    }
}
