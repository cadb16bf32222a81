//! Operational endpoints at the root, outside `/api/v1`: liveness, readiness
//! and Prometheus metrics.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Encoder, IntCounter, IntGauge, IntGaugeVec, Opts, TextEncoder};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, Problem};
use crate::AppState;

/// Liveness and readiness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the check passed.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The database backend, on the readiness check.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "postgres")]
    pub database: Option<&'static str>,
}

/// Liveness: the process is up and serving. Never touches the database.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health))
)]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health { status: "ok", database: None })
}

/// Readiness: one round trip to the database. Answers 503 problem+json with
/// `Retry-After` while the database is unreachable and 200 again as soon as
/// it is back; the process keeps running either way.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The database answered", body = Health),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    web::block(move || db.ping()).await??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health { status: "ok", database: Some(state.db.backend().as_str()) }))
}

/// Prometheus metrics in the text exposition format: `followup_http_requests_total`
/// and `followup_http_requests_duration_seconds` by route pattern, method and
/// status; `followup_db_pool_connections` and `followup_db_pool_idle_connections`
/// and `followup_db_pool_max_connections` by pool; `followup_db_queries_total`,
/// the statements the pooled database connections have started; the
/// worker's backlog (`followup_outbox_undispatched_events`,
/// `followup_webhook_pending_deliveries`, `followup_webhook_oldest_pending_seconds`)
/// and its attempts by outcome (`followup_webhook_attempts_total`,
/// `followup_webhook_attempt_seconds`, from the instances that run a worker).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    // When the database cannot be read the backlog gauges keep their last
    // values: the metrics still answer during an outage.
    if let Ok(Ok(backlog)) = web::block(move || db.read(followup_persistence::repo::outbox::backlog)).await {
        state.backlog.set(&backlog);
    }
    let families = state.registry.gather();
    let mut body = Vec::new();
    TextEncoder::new().encode(&families, &mut body).map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, prometheus::TEXT_FORMAT))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The worker's backlog, read from the database at each scrape:
/// `followup_outbox_undispatched_events`, `followup_webhook_pending_deliveries`
/// and `followup_webhook_oldest_pending_seconds` (the age of the oldest
/// delivery still waiting; 0 when none waits).
pub struct BacklogGauges {
    undispatched: IntGauge,
    pending: IntGauge,
    oldest_seconds: IntGauge,
}

impl BacklogGauges {
    pub fn register(registry: &prometheus::Registry) -> Result<Self, prometheus::Error> {
        let gauges = Self {
            undispatched: IntGauge::new(
                "followup_outbox_undispatched_events",
                "Domain events not yet fanned out to webhooks",
            )?,
            pending: IntGauge::new(
                "followup_webhook_pending_deliveries",
                "Webhook deliveries waiting for an attempt",
            )?,
            oldest_seconds: IntGauge::new(
                "followup_webhook_oldest_pending_seconds",
                "Age of the oldest webhook delivery still waiting, in seconds",
            )?,
        };
        registry.register(Box::new(gauges.undispatched.clone()))?;
        registry.register(Box::new(gauges.pending.clone()))?;
        registry.register(Box::new(gauges.oldest_seconds.clone()))?;
        Ok(gauges)
    }

    fn set(&self, backlog: &followup_persistence::repo::outbox::Backlog) {
        self.undispatched.set(backlog.undispatched);
        self.pending.set(backlog.pending);
        let age =
            backlog.oldest_pending.map_or(0, |at| (followup_persistence::now() - at).num_seconds().max(0));
        self.oldest_seconds.set(age);
    }
}

/// Reads the pool gauges and the database statement counter at scrape time.
pub struct PoolCollector {
    db: followup_persistence::Database,
    connections: IntGaugeVec,
    idle: IntGaugeVec,
    max: IntGaugeVec,
    queries: IntCounter,
}

impl PoolCollector {
    pub fn new(db: followup_persistence::Database) -> Result<Self, prometheus::Error> {
        let gauge = |name: &str, help: &str| {
            IntGaugeVec::new(Opts::new(name, help).namespace("followup").subsystem("db_pool"), &["pool"])
        };
        Ok(Self {
            db,
            connections: gauge("connections", "Open connections in the pool")?,
            idle: gauge("idle_connections", "Idle connections in the pool")?,
            max: gauge("max_connections", "Maximum size of the pool")?,
            queries: IntCounter::with_opts(
                Opts::new("queries_total", "Statements started on pooled database connections")
                    .namespace("followup")
                    .subsystem("db"),
            )?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        let mut descs: Vec<&Desc> =
            [&self.connections, &self.idle, &self.max].into_iter().flat_map(|g| g.desc()).collect();
        descs.extend(self.queries.desc());
        descs
    }

    fn collect(&self) -> Vec<MetricFamily> {
        for state in self.db.pool_states() {
            self.connections.with_label_values(&[state.name]).set(i64::from(state.connections));
            self.idle.with_label_values(&[state.name]).set(i64::from(state.idle));
            self.max.with_label_values(&[state.name]).set(i64::from(state.max_size));
        }
        let (total, seen) = (self.db.queries_total(), self.queries.get());
        if total > seen {
            self.queries.inc_by(total - seen);
        }
        let mut families: Vec<MetricFamily> =
            [&self.connections, &self.idle, &self.max].into_iter().flat_map(|g| g.collect()).collect();
        families.extend(self.queries.collect());
        families
    }
}

/// The monitoring cache's hits and misses, on `/metrics`.
pub struct MonitoringCacheCollector {
    cache: std::sync::Arc<followup_persistence::repo::monitoring_cache::MonitoringCache>,
    hits: IntCounter,
    misses: IntCounter,
}

impl MonitoringCacheCollector {
    pub fn new(
        cache: std::sync::Arc<followup_persistence::repo::monitoring_cache::MonitoringCache>,
    ) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| {
            IntCounter::with_opts(Opts::new(name, help).namespace("followup").subsystem("monitoring_cache"))
        };
        Ok(Self {
            cache,
            hits: counter("hits_total", "Monitoring figures served from the cache")?,
            misses: counter(
                "misses_total",
                "Monitoring figures computed (nothing cached, or changed since)",
            )?,
        })
    }
}

impl Collector for MonitoringCacheCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.hits.desc().into_iter().chain(self.misses.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let stats = self.cache.stats();
        for (counter, total) in [(&self.hits, stats.hits), (&self.misses, stats.misses)] {
            if total > counter.get() {
                counter.inc_by(total - counter.get());
            }
        }
        self.hits.collect().into_iter().chain(self.misses.collect()).collect()
    }
}
