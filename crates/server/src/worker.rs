//! The worker: what Followup does on its own, beside answering requests.
//! Each round it fans new domain events out to the webhooks that want them
//! and sends the deliveries that are due, signed, retrying failures with
//! backoff and jitter and disabling an endpoint that fails for too long.
//!
//! `followup serve` runs it (unless `FOLLOWUP_WORKER=false`); `followup
//! worker` runs it alone. Any number of them may share one database: events
//! and deliveries are taken under row locks (`SKIP LOCKED` on PostgreSQL)
//! and leases, so each is handled by one of them.

pub mod send;

use std::time::Duration;

use followup_domain::webhooks::retry_delay;
use followup_persistence::repo::deliveries::{self, Due, Finished, Outcome};
use followup_persistence::repo::{notices, outbox};
use followup_persistence::{Database, StoreError};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use rand::Rng;

use crate::config::WorkerArgs;

/// How many events, and deliveries, a round takes at a time.
const BATCH: i64 = 50;

/// The worker's counters, on the server's `/metrics` when it serves.
#[derive(Clone)]
struct Metrics {
    deliveries: IntCounterVec,
    seconds: HistogramVec,
}

impl Metrics {
    fn new(registry: Option<&Registry>) -> anyhow::Result<Self> {
        let deliveries = IntCounterVec::new(
            Opts::new("followup_webhook_attempts_total", "Webhook delivery attempts, by outcome"),
            &["outcome"],
        )?;
        let seconds = HistogramVec::new(
            HistogramOpts::new("followup_webhook_attempt_seconds", "Time an endpoint took to answer")
                .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["outcome"],
        )?;
        if let Some(registry) = registry {
            registry.register(Box::new(deliveries.clone()))?;
            registry.register(Box::new(seconds.clone()))?;
        }
        Ok(Self { deliveries, seconds })
    }
}

/// The worker of one process.
pub struct Worker {
    db: Database,
    client: reqwest::Client,
    settings: WorkerArgs,
    metrics: Metrics,
}

impl Worker {
    /// A worker on `db`; its counters go to `registry` when given.
    pub fn new(db: Database, settings: WorkerArgs, registry: Option<&Registry>) -> anyhow::Result<Self> {
        let client =
            send::client(Duration::from_secs(settings.webhook_timeout), settings.webhook_allow_private)?;
        Ok(Self { db, client, settings, metrics: Metrics::new(registry)? })
    }

    /// Run a round at each interval, until the task is dropped.
    pub async fn run(self) {
        if self.settings.webhook_allow_private {
            tracing::warn!("webhooks may reach loopback, private and link-local addresses (FOLLOWUP_WEBHOOK_ALLOW_PRIVATE)");
        }
        let mut ticks = tokio::time::interval(Duration::from_millis(self.settings.worker_interval_ms));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let every = Duration::from_secs(self.settings.scheduler_interval);
        let mut next_look = tokio::time::Instant::now();
        loop {
            ticks.tick().await;
            if tokio::time::Instant::now() >= next_look {
                self.tell_what_is_due().await;
                next_look = tokio::time::Instant::now() + every;
            }
            self.round().await;
        }
    }

    /// Publish the time-based events that have come due (overdue activities,
    /// silent delegates), each once across every instance.
    /// Returns how many were published.
    pub async fn tell_what_is_due(&self) -> usize {
        let now = followup_persistence::now();
        let due = match self.blocking(move |db| db.read(|c| notices::due(c, now))).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "looking for overdue activities and silent delegates failed; retrying later");
                return 0;
            }
        };
        let mut total = 0;
        for chunk in due.chunks(100) {
            let chunk = chunk.to_vec();
            let told = self
                .blocking(move |db| {
                    db.write(|c| {
                        let mut told = 0;
                        for notice in &chunk {
                            told += usize::from(notices::tell(c, notice)?);
                        }
                        Ok(told)
                    })
                })
                .await;
            match told {
                Ok(told) => total += told,
                Err(error) => tracing::warn!(%error, "publishing time-based events failed; retrying later"),
            }
        }
        if total > 0 {
            tracing::info!(
                told = total,
                "time-based events published (overdue activities, silent delegates)"
            );
        }
        total
    }

    /// Dispatch what is new, then send what is due until nothing is.
    pub async fn round(&self) {
        match self.blocking(|db| db.read(outbox::has_work)).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(%error, "the worker cannot read the database; retrying next round");
                return;
            }
        }
        loop {
            match self.blocking(|db| db.write(|c| outbox::dispatch(c, BATCH))).await {
                Ok(n) if n == usize::try_from(BATCH).unwrap_or(usize::MAX) => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "dispatching events failed; retrying next round");
                    return;
                }
            }
        }
        let lease =
            chrono::Duration::seconds(i64::try_from(self.settings.webhook_timeout).unwrap_or(30) * 2 + 30);
        loop {
            let due =
                match self.blocking(move |db| db.write(|c| deliveries::claim_due(c, lease, BATCH))).await {
                    Ok(due) => due,
                    Err(error) => {
                        tracing::warn!(%error, "taking due deliveries failed; retrying next round");
                        return;
                    }
                };
            if due.is_empty() {
                return;
            }
            let full = due.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
            futures_util::future::join_all(due.into_iter().map(|d| self.deliver(d))).await;
            if !full {
                return;
            }
        }
    }

    async fn deliver(&self, due: Due) {
        let body = serde_json::json!({
            "type": due.event_type,
            "timestamp": due.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "data": serde_json::from_str::<serde_json::Value>(&due.data).unwrap_or_default(),
        })
        .to_string();
        let id = due.event_id.to_string();
        let attempted_at = followup_persistence::now();
        let answer =
            send::post(&self.client, &due.url, self.settings.webhook_allow_private, &id, &due.secrets, body)
                .await;
        let succeeded = answer.succeeded();
        let attempts_made = usize::try_from(due.attempts_made).unwrap_or(0) + 1;
        let jitter = rand::rng().random_range(-1.0..=1.0);
        let retry_at = if succeeded {
            None
        } else {
            retry_delay(&self.settings.webhook_retry_schedule, attempts_made, jitter)
                .map(|d| followup_persistence::now() + d)
        };
        let outcome = Outcome {
            attempted_at,
            response_status: answer.status.map(i32::from),
            response_ms: i64::try_from(answer.elapsed.as_millis()).unwrap_or(i64::MAX),
            error: answer.error.clone(),
            response_body: answer.body.clone(),
            succeeded,
            retry_at,
        };
        let disable_after = chrono::Duration::seconds(
            i64::try_from(self.settings.webhook_disable_after).unwrap_or(i64::MAX / 2),
        );
        let delivery = due.delivery_id;
        let finished = self
            .blocking(move |db| db.write(|c| deliveries::finish(c, delivery, &outcome, disable_after)))
            .await;
        let label = match &finished {
            Ok(Finished::Delivered) => "delivered",
            Ok(Finished::WillRetry) => "retry",
            Ok(Finished::GaveUp) => "failed",
            Ok(Finished::WebhookDisabled) => "disabled",
            Err(_) => "unrecorded",
        };
        self.metrics.deliveries.with_label_values(&[label]).inc();
        self.metrics.seconds.with_label_values(&[label]).observe(answer.elapsed.as_secs_f64());
        match finished {
            Ok(Finished::Delivered) => {
                tracing::debug!(%delivery, webhook = %due.webhook_id, event = %due.event_type, status = ?answer.status, "webhook delivered")
            }
            Ok(Finished::WillRetry | Finished::GaveUp) => tracing::info!(
                %delivery, webhook = %due.webhook_id, event = %due.event_type, status = ?answer.status,
                error = answer.error.as_deref().unwrap_or(""), attempt = attempts_made, will_retry = retry_at.is_some(),
                "webhook delivery failed"
            ),
            Ok(Finished::WebhookDisabled) => tracing::warn!(
                webhook = %due.webhook_id, url = %due.url,
                "webhook disabled: its endpoint has failed for longer than FOLLOWUP_WEBHOOK_DISABLE_AFTER"
            ),
            // The lease runs out and another round sends it again: at least once.
            Err(error) => tracing::warn!(%delivery, %error, "recording a webhook attempt failed"),
        }
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        match tokio::task::spawn_blocking(move || work(&db)).await {
            Ok(result) => result,
            Err(e) => Err(StoreError::Unavailable(format!("worker task failed: {e}"))),
        }
    }
}
