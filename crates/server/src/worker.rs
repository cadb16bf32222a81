//! The worker: what Followup does on its own, beside answering requests.
//! Each round it fans new domain events out to the webhooks that want them
//! and sends the deliveries that are due, signed, retrying failures with
//! backoff and jitter and disabling an endpoint that fails for too long.
//!
//! `followup serve` runs it (unless `FOLLOWUP_WORKER=false`); `followup
//! worker` runs it alone. Any number of them may share one database: events
//! and deliveries are taken under row locks (`SKIP LOCKED` on PostgreSQL)
//! and leases, so each is handled by one of them.

pub mod mail;
pub mod send;

use std::time::Duration;

use followup_domain::ids::{ProgramId, SessionId, UserId};
use followup_domain::values::SystemRole;
use followup_domain::webhooks::retry_delay;
use followup_domain::Actor;
use followup_persistence::repo::deliveries::{self, Due, Finished, Outcome};
use followup_persistence::repo::reminders::{self, Reminder};
use followup_persistence::repo::{mail as repo_mail, monitoring, notices, outbox};
use followup_persistence::{Database, StoreError};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use rand::Rng;

use crate::config::WorkerArgs;

/// How many events, and deliveries, a round takes at a time.
const BATCH: i64 = 50;

/// Seconds before each retry of an e-mail the SMTP server refused.
const MAIL_RETRY_SCHEDULE: [u64; 4] = [60, 300, 1800, 7200];

/// The worker's counters, on the server's `/metrics` when it serves.
#[derive(Clone)]
struct Metrics {
    deliveries: IntCounterVec,
    seconds: HistogramVec,
    mail: IntCounterVec,
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
        let mail = IntCounterVec::new(
            Opts::new(
                "followup_mail_attempts_total",
                "E-mail sending attempts, by outcome (sent, retry, failed)",
            ),
            &["outcome"],
        )?;
        if let Some(registry) = registry {
            registry.register(Box::new(deliveries.clone()))?;
            registry.register(Box::new(seconds.clone()))?;
            registry.register(Box::new(mail.clone()))?;
        }
        Ok(Self { deliveries, seconds, mail })
    }
}

/// The worker of one process.
pub struct Worker {
    db: Database,
    client: reqwest::Client,
    settings: WorkerArgs,
    metrics: Metrics,
    mailer: Option<mail::Mailer>,
    /// The scheduler's clock minus the real one (`FOLLOWUP_CLOCK`).
    clock_offset: chrono::Duration,
}

impl Worker {
    /// A worker on `db`; its counters go to `registry` when given.
    pub fn new(db: Database, settings: WorkerArgs, registry: Option<&Registry>) -> anyhow::Result<Self> {
        let client =
            send::client(Duration::from_secs(settings.webhook_timeout), settings.webhook_allow_private)?;
        let mailer = match &settings.smtp_url {
            Some(url) => {
                let mailer = mail::Mailer::new(url, &settings.mail_from)?;
                let shown = url::Url::parse(url).map(|mut u| {
                    let _ = u.set_password(None);
                    u.to_string()
                });
                tracing::info!(smtp = %shown.unwrap_or_default(), from = %settings.mail_from, "e-mail: reminders and digests are sent");
                Some(mailer)
            }
            None => {
                tracing::info!("e-mail: off (FOLLOWUP_SMTP_URL is not set): no reminder or digest is sent");
                None
            }
        };
        let clock_offset = match &settings.clock {
            Some(at) => {
                let at = chrono::DateTime::parse_from_rfc3339(at)
                    .map_err(|e| anyhow::anyhow!("FOLLOWUP_CLOCK {at:?} is not an RFC 3339 instant: {e}"))?;
                tracing::warn!(clock = %at, "the scheduler's clock is set (FOLLOWUP_CLOCK): for tests and demonstrations only");
                at.with_timezone(&chrono::Utc) - chrono::Utc::now()
            }
            None => chrono::Duration::zero(),
        };
        Ok(Self { db, client, settings, metrics: Metrics::new(registry)?, mailer, clock_offset })
    }

    /// The scheduler's now.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        followup_persistence::now() + self.clock_offset
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
                self.remind().await;
                next_look = tokio::time::Instant::now() + every;
            }
            self.round().await;
        }
    }

    /// Publish the time-based events that have come due (overdue activities,
    /// silent delegates), each once across every instance.
    /// Returns how many were published.
    pub async fn tell_what_is_due(&self) -> usize {
        let now = self.now();
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

    /// Queue the reminders and digests that have come due (nothing without
    /// an SMTP server); returns how many were queued.
    pub async fn remind(&self) -> usize {
        if self.mailer.is_none() {
            return 0;
        }
        let now = self.now();
        let due = match self.blocking(move |db| db.read(|c| reminders::due(c, now))).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "looking for reminders failed; retrying later");
                return 0;
            }
        };
        let mut queued = 0;
        for reminder in due {
            let delegates = match &reminder {
                Reminder::WeeklyDigest { to, program, .. } => {
                    let mentor = Actor {
                        user_id: UserId::from_uuid(to.user_id),
                        system_role: SystemRole::Member,
                        session_id: SessionId::from_uuid(Default::default()),
                    };
                    let program = ProgramId::from_uuid(*program);
                    match self
                        .blocking(move |db| db.read(|c| monitoring::mentor_overview(c, &mentor, None)))
                        .await
                    {
                        Ok(figures) => {
                            figures.rows.iter().filter(|r| r.program_id == program).cloned().collect()
                        }
                        Err(error) => {
                            tracing::warn!(%error, "reading a mentor's digest failed; retrying later");
                            continue;
                        }
                    }
                }
                _ => Vec::new(),
            };
            let message = mail::compose(&reminder, &delegates);
            match self.blocking(move |db| db.write(|c| reminders::queue_once(c, &reminder, &message))).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "queueing a reminder failed; retrying later"),
            }
        }
        if queued > 0 {
            tracing::info!(queued, "reminders and digests queued");
        }
        queued
    }

    /// Send the e-mail that is due.
    async fn send_mail(&self) {
        let Some(mailer) = &self.mailer else { return };
        if !matches!(self.blocking(|db| db.read(repo_mail::has_due)).await, Ok(true)) {
            return;
        }
        let lease = chrono::Duration::seconds(120);
        let due = match self.blocking(move |db| db.write(|c| repo_mail::claim_due(c, lease, 20))).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "taking due e-mail failed; retrying next round");
                return;
            }
        };
        for message in due {
            let sent = mailer.send(&message.to, &message.subject, &message.text, &message.html).await;
            let attempts = usize::try_from(message.attempts_made).unwrap_or(0) + 1;
            let retry_at = sent.as_ref().err().and_then(|_| {
                retry_delay(&MAIL_RETRY_SCHEDULE, attempts, rand::rng().random_range(-1.0..=1.0))
                    .map(|d| followup_persistence::now() + d)
            });
            let outcome = match (&sent, retry_at) {
                (Ok(()), _) => "sent",
                (Err(_), Some(_)) => "retry",
                (Err(_), None) => "failed",
            };
            self.metrics.mail.with_label_values(&[outcome]).inc();
            if let Err(error) = &sent {
                tracing::warn!(id = %message.id, kind = %message.kind, %error, will_retry = retry_at.is_some(), "sending an e-mail failed");
            }
            let (id, error) = (message.id, sent.err());
            if let Err(e) = self
                .blocking(move |db| db.write(|c| repo_mail::finish(c, id, error.as_deref(), retry_at)))
                .await
            {
                tracing::warn!(%id, error = %e, "recording an e-mail failed");
            }
        }
    }

    /// Dispatch what is new, then send what is due until nothing is.
    pub async fn round(&self) {
        self.send_mail().await;
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
        let mailing = self.mailer.is_some();
        let finished = self
            .blocking(move |db| {
                db.write(|c| {
                    deliveries::finish(c, delivery, &outcome, disable_after, &|disabled, owner| {
                        mailing.then(|| mail::webhook_disabled(disabled, owner))
                    })
                })
            })
            .await;
        let label = match &finished {
            Ok(Finished::Delivered) => "delivered",
            Ok(Finished::WillRetry) => "retry",
            Ok(Finished::GaveUp) => "failed",
            Ok(Finished::WebhookDisabled(_)) => "disabled",
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
            Ok(Finished::WebhookDisabled(disabled)) => tracing::warn!(
                webhook = %due.webhook_id, url = %due.url, told = disabled.owners.len(), mailed = mailing,
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
