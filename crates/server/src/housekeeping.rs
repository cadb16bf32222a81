//! Work the server does on its own schedule beside answering requests:
//! compacting the change feed behind `GET /sync`, and forgetting webhook
//! events (with their delivery logs) older than the log is kept. Every instance runs it;
//! compaction is idempotent, so instances sharing a database only repeat
//! a cheap query.

use std::time::Duration;

use followup_persistence::repo::{outbox, sync};
use followup_persistence::Database;

/// The schedule and what it keeps.
pub struct Housekeeping {
    db: Database,
    /// How long superseded changes and tombstones are kept.
    retention: chrono::Duration,
    /// Time between two rounds (the first runs at start).
    interval: Duration,
    /// How long a finished webhook event and its delivery log are kept.
    webhook_log: chrono::Duration,
}

impl Housekeeping {
    pub fn new(db: Database, retention_days: u32, interval: Duration, webhook_log_days: u32) -> Self {
        Self {
            db,
            retention: chrono::Duration::days(i64::from(retention_days)),
            interval,
            webhook_log: chrono::Duration::days(i64::from(webhook_log_days)),
        }
    }

    /// Run a round now and then one per interval, until the task is dropped.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.compact().await;
            self.prune_webhook_log().await;
        }
    }

    async fn prune_webhook_log(&self) {
        let db = self.db.clone();
        let cutoff = followup_persistence::now() - self.webhook_log;
        match tokio::task::spawn_blocking(move || db.write(|c| outbox::prune(c, cutoff))).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => {
                tracing::info!(removed, %cutoff, "old webhook events and delivery logs removed")
            }
            Ok(Err(error)) => tracing::warn!(%error, "pruning the webhook log failed; retrying next round"),
            Err(error) => tracing::error!(%error, "pruning the webhook log panicked"),
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
