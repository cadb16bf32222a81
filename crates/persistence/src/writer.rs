//! SQLite's single writer, committing in groups.
//!
//! All writes of a process go through one SQLite connection, and with
//! `synchronous = FULL` every `COMMIT` waits for an fsync of the WAL (about
//! 0.3 ms on the machine the benchmarks ran on). Committing each unit of
//! work on its own would cap writes at one fsync each, whatever the number of
//! cores. So units of work that arrive while another one runs share a
//! transaction:
//!
//! * Each unit runs on its caller's thread, inside a savepoint of the group's
//!   transaction, holding the connection's lock. A unit that fails is rolled
//!   back to its savepoint and leaves the others alone.
//! * When a unit ends, the caller commits the group if nobody else is waiting
//!   for the connection (or the group is full); otherwise it leaves the
//!   transaction open for the next unit and waits for that group's outcome.
//!   The last unit of a group commits it, so a group never stays open
//!   without a unit that will close it.
//! * No caller learns its result before the group has committed: a 2xx
//!   answer still means fsynced. If the commit fails, every unit of the group
//!   gets [`StoreError::Unavailable`] (its result, success or refusal, may
//!   have depended on the units before it).
//! * A unit that panics, or loses the connection, rolls the whole group back
//!   (the others get `Unavailable`) and the connection is reopened.
//!
//! A unit sees the uncommitted writes of the units before it in its group,
//! exactly as if they had committed one after the other; readers on other
//! connections see a group's writes together when it commits.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::{Connection, TransactionManager};

use crate::connection::{is_connection_loss, DbConnection};
use crate::error::StoreError;

/// The most units of work one group commits.
const MAX_GROUP: usize = 64;

/// How often the WAL is checkpointed and truncated (see [`Writer::commit`]).
const TRUNCATE_EVERY: Duration = Duration::from_secs(1);

type Tm = <DbConnection as Connection>::TransactionManager;

/// How a group ended: committed, or why not.
type Outcome = Result<(), String>;

/// The outcome of one group, for the units waiting on it.
#[derive(Default)]
struct Group {
    outcome: Mutex<Option<Outcome>>,
    done: Condvar,
}

impl Group {
    fn finish(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        self.done.notify_all();
    }

    fn wait(&self) -> Outcome {
        let mut slot = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(outcome) = slot.as_ref() {
                return outcome.clone();
            }
            slot = self.done.wait(slot).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The connection and the group its open transaction belongs to, if any.
struct State {
    conn: Option<DbConnection>,
    open: Option<(Arc<Group>, usize)>,
    truncated: Instant,
}

/// The writer: one connection, opened on first use and reopened after a loss.
pub(crate) struct Writer {
    state: Mutex<State>,
    /// Callers between "I want the connection" and "I have it".
    waiting: AtomicUsize,
    /// Whether the connection is open, readable without the lock.
    connected: AtomicBool,
    open: Box<dyn Fn() -> Result<DbConnection, String> + Send + Sync>,
}

impl Writer {
    pub(crate) fn new(open: impl Fn() -> Result<DbConnection, String> + Send + Sync + 'static) -> Self {
        Self {
            state: Mutex::new(State { conn: None, open: None, truncated: Instant::now() }),
            waiting: AtomicUsize::new(0),
            connected: AtomicBool::new(false),
            open: Box::new(open),
        }
    }

    /// Whether the connection is open (for the pool gauges; never waits for a write).
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Close the connection (rolling back anything uncommitted on it).
    fn close(&self, state: &mut State) {
        state.conn = None;
        self.connected.store(false, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Run `f` on the connection outside any group (migrations, which manage
    /// their own transactions). Waits for the open group, if any, to close.
    pub(crate) fn exclusive<T>(&self, f: impl FnOnce(&mut DbConnection) -> T) -> Result<T, StoreError> {
        loop {
            let state = self.lock();
            if let Some((group, _)) = state.open.clone() {
                drop(state);
                let _ = group.wait();
                continue;
            }
            let mut state = state;
            let conn = self.connection(&mut state)?;
            return Ok(f(conn));
        }
    }

    fn connection<'s>(&self, state: &'s mut State) -> Result<&'s mut DbConnection, StoreError> {
        if state.conn.is_none() {
            state.conn = Some((self.open)().map_err(StoreError::Unavailable)?);
            self.connected.store(true, Ordering::Relaxed);
        }
        state.conn.as_mut().ok_or_else(|| StoreError::Unavailable("no write connection".into()))
    }

    /// Run one unit of work in the current group and return its result once
    /// the group has committed.
    pub(crate) fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError>,
    {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut state = self.lock();
        self.waiting.fetch_sub(1, Ordering::SeqCst);

        // Join the open group, or open one.
        let group = match state.open.as_mut() {
            Some((group, units)) => {
                *units += 1;
                group.clone()
            }
            None => {
                let conn = self.connection(&mut state)?;
                if let Err(e) = Tm::begin_transaction(conn) {
                    self.close(&mut state);
                    return Err(StoreError::Unavailable(format!("cannot begin a transaction: {e}")));
                }
                let group = Arc::new(Group::default());
                state.open = Some((group.clone(), 1));
                group
            }
        };

        let result = self.unit(&mut state, f);
        let units = state.open.as_ref().map_or(0, |(_, n)| *n);
        match result {
            Unit::Done(result) => {
                if self.waiting.load(Ordering::SeqCst) > 0 && units < MAX_GROUP {
                    // Someone is about to take the connection: they, or
                    // the last of those after them, commit this group.
                    drop(state);
                } else {
                    self.commit(&mut state);
                    drop(state);
                }
                match group.wait() {
                    Ok(()) => result,
                    Err(reason) => Err(StoreError::Unavailable(reason)),
                }
            }
            Unit::Lost(reason) => {
                self.abandon(&mut state, &reason);
                Err(StoreError::Unavailable(reason))
            }
            Unit::Panicked(payload) => {
                self.abandon(&mut state, "another write of the same commit group failed");
                drop(state);
                panic::resume_unwind(payload)
            }
        }
    }

    /// Run `f` inside a savepoint of the open group.
    fn unit<T, F>(&self, state: &mut State, f: F) -> Unit<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError>,
    {
        let Some(conn) = state.conn.as_mut() else { return Unit::Lost("no write connection".into()) };
        if let Err(e) = Tm::begin_transaction(conn) {
            return Unit::Lost(format!("cannot open a savepoint: {e}"));
        }
        let result = match panic::catch_unwind(AssertUnwindSafe(|| f(conn))) {
            Ok(result) => result,
            Err(payload) => return Unit::Panicked(payload),
        };
        if let Err(StoreError::Db(e)) = &result {
            if is_connection_loss(e) {
                return Unit::Lost(e.to_string());
            }
        }
        let closed = match &result {
            Ok(_) => Tm::commit_transaction(conn),
            Err(_) => Tm::rollback_transaction(conn),
        };
        match closed {
            Ok(()) => Unit::Done(result),
            Err(e) => Unit::Lost(format!("cannot close a savepoint: {e}")),
        }
    }

    /// Commit the open group and tell its units.
    fn commit(&self, state: &mut State) {
        let Some((group, _)) = state.open.take() else { return };
        let outcome = match state.conn.as_mut() {
            Some(conn) => Tm::commit_transaction(conn).map_err(|e| format!("commit failed: {e}")),
            None => Err("no write connection".into()),
        };
        if outcome.is_err() {
            // Whatever state the connection is in, start afresh: closing it
            // rolls back anything left uncommitted.
            self.close(state);
        }
        group.finish(outcome);
        if state.truncated.elapsed() >= TRUNCATE_EVERY {
            state.truncated = Instant::now();
            self.truncate_wal(state);
        }
    }

    /// Copy the WAL into the database and empty it. SQLite's automatic
    /// checkpoints never wait for readers, so under a steady stream of reads
    /// and writes the WAL is never reset and grows without end (1.1 GB in
    /// three minutes of the soak benchmark). A `TRUNCATE` checkpoint waits
    /// (busy_timeout) for the readers of older snapshots, which are short,
    /// while new writes wait on our lock. Failure is harmless: the next one
    /// tries again.
    fn truncate_wal(&self, state: &mut State) {
        if let Some(conn) = state.conn.as_mut() {
            if let Err(e) =
                diesel::connection::SimpleConnection::batch_execute(conn, "PRAGMA wal_checkpoint(TRUNCATE)")
            {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    }

    /// Roll the open group back by closing the connection, and tell its units.
    fn abandon(&self, state: &mut State, reason: &str) {
        self.close(state);
        if let Some((group, _)) = state.open.take() {
            group.finish(Err(format!("the write was rolled back: {reason}")));
        }
    }
}

enum Unit<T> {
    /// The unit ran (successfully or not) and its savepoint is closed.
    Done(Result<T, StoreError>),
    /// The connection can no longer be trusted.
    Lost(String),
    /// The unit panicked.
    Panicked(Box<dyn std::any::Any + Send>),
}
