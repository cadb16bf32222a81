//! Work the server does on its own schedule beside answering requests:
//! compacting the change feed behind `GET /sync`. Every instance runs it;
//! compaction is idempotent, so instances sharing a database only repeat
//! a cheap query.

use std::time::Duration;

use followup_persistence::repo::sync;
use followup_persistence::Database;

/// The schedule and what it keeps.
pub struct Housekeeping {
    db: Database,
    /// How long superseded changes and tombstones are kept.
    retention: chrono::Duration,
    /// Time between two rounds (the first runs at start).
    interval: Duration,
}

impl Housekeeping {
    pub fn new(db: Database, retention_days: u32, interval: Duration) -> Self {
        Self { db, retention: chrono::Duration::days(i64::from(retention_days)), interval }
    }

    /// Run a round now and then one per interval, until the task is dropped.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.compact().await;
        }
    }

    async fn compact(&self) {
        let db = self.db.clone();
        let cutoff = followup_persistence::now() - self.retention;
        match tokio::task::spawn_blocking(move || db.write(|c| sync::compact(c, cutoff))).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, %cutoff, "change feed compacted"),
            Ok(Err(error)) => tracing::warn!(%error, "change feed compaction failed; retrying next round"),
            Err(error) => tracing::error!(%error, "change feed compaction panicked"),
        }
    }
}
