//! Work the server does on its own schedule beside answering requests:
//! compacting the change feed behind `GET /sync`, forgetting webhook
//! events (with their delivery logs) older than the log is kept, and
//! sweeping the file store: unfinished uploads past their expiry, and bytes
//! no record names any more (a deleted parent's files, an upload refused
//! after it was stored) once they are an hour old. Every instance runs it;
//! compaction is idempotent, so instances sharing a database only repeat
//! a cheap query.

use std::time::Duration;

use followup_http::files::store::FileStore;
use followup_persistence::repo::{attachments, feed, outbox, uploads};
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
    /// The file store to sweep.
    files: Option<FileStore>,
}

/// How old stored bytes without a record must be before they are removed
/// (an upload in progress writes its file before its record).
const ORPHAN_GRACE: chrono::Duration = chrono::Duration::hours(1);

impl Housekeeping {
    pub fn new(db: Database, retention_days: u32, interval: Duration, webhook_log_days: u32) -> Self {
        Self {
            db,
            retention: chrono::Duration::days(i64::from(retention_days)),
            interval,
            webhook_log: chrono::Duration::days(i64::from(webhook_log_days)),
            files: None,
        }
    }

    /// Sweep this file store too.
    pub fn with_files(mut self, store: FileStore) -> Self {
        self.files = Some(store);
        self
    }

    /// Run a round now and then one per interval, until the task is dropped.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.compact().await;
            self.prune_webhook_log().await;
            self.sweep_files().await;
        }
    }

    /// Remove expired uploads and bytes no record names.
    pub async fn sweep_files(&self) {
        let Some(store) = &self.files else { return };
        let db = self.db.clone();
        let expired = tokio::task::spawn_blocking(move || db.read(|c| uploads::expired(c, 500))).await;
        let expired = match expired {
            Ok(Ok(expired)) => expired,
            Ok(Err(error)) => {
                return tracing::warn!(%error, "listing expired uploads failed; retrying next round")
            }
            Err(error) => return tracing::error!(%error, "listing expired uploads panicked"),
        };
        for upload in &expired {
            match store.list_under(&store.upload_key(&upload.to_string())).await {
                Ok(parts) => {
                    for part in parts {
                        if let Err(error) = store.remove(&part).await {
                            tracing::warn!(%part, %error, "could not remove an expired upload's part");
                        }
                    }
                }
                Err(error) => tracing::warn!(%upload, %error, "could not list an expired upload's parts"),
            }
            let (db, id) = (self.db.clone(), *upload);
            if let Ok(Err(error)) =
                tokio::task::spawn_blocking(move || db.write(|c| uploads::forget(c, id))).await
            {
                tracing::warn!(%upload, %error, "could not forget an expired upload");
            }
        }
        if !expired.is_empty() {
            tracing::info!(removed = expired.len(), "expired uploads removed");
        }
        let listed = match store.list().await {
            Ok(listed) => listed,
            Err(error) => return tracing::warn!(%error, "listing the file store failed; retrying next round"),
        };
        let before = followup_persistence::now() - ORPHAN_GRACE;
        let old: Vec<String> =
            listed.into_iter().filter(|(_, at)| *at < before).map(|(key, _)| key).collect();
        if old.is_empty() {
            return;
        }
        let db = self.db.clone();
        let keys = old.clone();
        let known =
            match tokio::task::spawn_blocking(move || db.read(|c| attachments::known_keys(c, &keys))).await {
                Ok(Ok(known)) => known,
                Ok(Err(error)) => {
                    return tracing::warn!(%error, "reading the files' records failed; retrying next round")
                }
                Err(error) => return tracing::error!(%error, "reading the files' records panicked"),
            };
        let mut removed = 0;
        for key in old.iter().filter(|k| !known.contains(*k)) {
            match store.remove(key).await {
                Ok(()) => removed += 1,
                Err(error) => tracing::warn!(%key, %error, "could not remove a file no record names"),
            }
        }
        if removed > 0 {
            tracing::info!(removed, "files no record names removed from the store");
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
        match tokio::task::spawn_blocking(move || db.write(|c| feed::compact(c, cutoff))).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, %cutoff, "change feed compacted"),
            Ok(Err(error)) => tracing::warn!(%error, "change feed compaction failed; retrying next round"),
            Err(error) => tracing::error!(%error, "change feed compaction panicked"),
        }
    }
}
