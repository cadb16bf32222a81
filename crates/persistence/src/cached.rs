//! The `UPDATE`s on the hot write paths, written out as statements of a
//! fixed shape so that they are prepared once per connection.
//!
//! Diesel never caches an `UPDATE … SET` (a changeset may leave out fields, so
//! its SQL is not known from its type) and would re-parse these on every
//! write, inside SQLite's single writer. Each type here is one statement whose
//! text never changes; diesel keys its prepared statement by the type. Column names are checked by the
//! tests that run every write path on both backends.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Integer, Nullable, Text};
use diesel::{QueryResult, RunQueryDsl};

use crate::sql_types::{DbId, DbTime, DbUuid, Instant};

/// `UPDATE sync_counter SET value = value + n WHERE id = 1 RETURNING value`:
/// reserve `n` change numbers, the last of which it returns.
#[derive(Debug, Clone, Copy, QueryId)]
pub(crate) struct BumpSyncCounter(pub i64);

impl<DB: Backend> QueryFragment<DB> for BumpSyncCounter
where
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE sync_counter SET value = value + ");
        out.push_bind_param::<BigInt, _>(&self.0)?;
        out.push_sql(" WHERE id = 1 RETURNING value");
        Ok(())
    }
}

impl Query for BumpSyncCounter {
    type SqlType = BigInt;
}

impl<Conn> RunQueryDsl<Conn> for BumpSyncCounter {}

/// Store the response on a claimed idempotency key: the row of
/// (`user_id`, `key`) claimed at `claimed_at` and not completed yet.
#[derive(Debug)]
pub(crate) struct CompleteKey<'a> {
    pub status: i32,
    pub headers: Option<&'a str>,
    pub body: &'a str,
    pub user_id: DbId,
    pub key: &'a str,
    pub claimed_at: DbTime,
}

impl QueryId for CompleteKey<'_> {
    type QueryId = CompleteKey<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB: Backend> QueryFragment<DB> for CompleteKey<'_>
where
    DB: HasSqlType<DbUuid> + HasSqlType<Instant>,
    i32: ToSql<Integer, DB>,
    str: ToSql<Text, DB>,
    for<'x> Option<&'x str>: ToSql<Nullable<Text>, DB>,
    DbId: ToSql<DbUuid, DB>,
    DbTime: ToSql<Instant, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE idempotency_keys SET response_status = ");
        out.push_bind_param::<Integer, _>(&self.status)?;
        out.push_sql(", response_headers = ");
        out.push_bind_param::<Nullable<Text>, _>(&self.headers)?;
        out.push_sql(", response_body = ");
        out.push_bind_param::<Text, _>(self.body)?;
        out.push_sql(" WHERE user_id = ");
        out.push_bind_param::<DbUuid, _>(&self.user_id)?;
        out.push_sql(" AND idempotency_key = ");
        out.push_bind_param::<Text, _>(self.key)?;
        out.push_sql(" AND created_at = ");
        out.push_bind_param::<Instant, _>(&self.claimed_at)?;
        out.push_sql(" AND response_status IS NULL");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for CompleteKey<'_> {}
