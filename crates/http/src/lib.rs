//! followup-http: DTOs, handlers, the auth extractor, problem+json errors,
//! the OpenAPI document and the route table.
//!
//! [`app`] builds the actix-web application; [`openapi`] builds the same
//! route table without serving it, for `followup openapi` and the drift test.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpMessage};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use followup_persistence::repo::monitoring_cache::MonitoringCache;
use followup_persistence::Database;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub mod auth;
pub mod conditional;
pub mod csv;
pub mod db;
pub mod dto;
pub mod files;
pub mod handlers;
pub mod i18n;
pub mod idempotency;
pub mod json;
pub mod openapi;
pub mod ops;
pub mod paging;
pub mod problem;
pub mod query;
pub mod report;
pub mod request_log;
pub mod routing;
pub mod text;

pub use problem::{ApiError, Problem};

/// Largest JSON body accepted, in bytes.
pub const JSON_BODY_LIMIT: usize = 256 * 1024;

/// Largest total size of a request's header fields accepted, in bytes
/// (names, values and separators). Larger requests answer 431 problem+json.
pub const HEADER_LIMIT: usize = 16 * 1024;

/// Shared state of every worker.
pub struct AppState {
    pub db: Database,
    pub registry: prometheus::Registry,
    pub routes: routing::RouteTable,
    pub auth: auth::AuthState,
    /// Whether webhooks may point to loopback, private and link-local
    /// addresses (and use plain `http`): an operator's choice for a test
    /// bench or an office network.
    pub webhook_allow_private: bool,
    /// The worker's backlog, on `/metrics`.
    pub backlog: ops::BacklogGauges,
    /// Evidence files; `None` until the server sets its store.
    pub files: Option<files::Files>,
    /// The monitoring figures kept between requests; `None`: computed on
    /// every request.
    pub monitoring_cache:
        Option<std::sync::Arc<followup_persistence::repo::monitoring_cache::MonitoringCache>>,
}

/// Everything [`app`] needs, built once per process and shared by the workers.
#[derive(Clone)]
pub struct Shared {
    pub state: web::Data<AppState>,
    pub http_metrics: PrometheusMetrics,
    pub docs_enabled: bool,
    /// Exact origins that get CORS headers; empty: no CORS at all.
    pub cors_origins: Vec<String>,
}

impl Shared {
    pub fn new(
        db: Database,
        auth: auth::AuthState,
        docs_enabled: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let registry = prometheus::Registry::new();
        registry.register(Box::new(ops::PoolCollector::new(db.clone())?))?;
        let monitoring_cache = std::sync::Arc::new(MonitoringCache::default());
        registry.register(Box::new(ops::MonitoringCacheCollector::new(monitoring_cache.clone())?))?;
        let http_metrics = PrometheusMetricsBuilder::new("followup")
            .registry(registry.clone())
            .mask_unmatched_patterns("UNMATCHED")
            .build()?;
        let routes = routing::RouteTable::from_openapi(&openapi());
        let backlog = ops::BacklogGauges::register(&registry)?;
        Ok(Self {
            state: web::Data::new(AppState {
                db,
                registry,
                routes,
                auth,
                webhook_allow_private: false,
                backlog,
                files: None,
                monitoring_cache: Some(monitoring_cache),
            }),
            http_metrics,
            docs_enabled,
            cors_origins: Vec::new(),
        })
    }

    /// Let webhooks point to loopback, private and link-local addresses.
    /// Call before the server starts (the state is shared from then on).
    pub fn with_private_webhook_targets(mut self, allow: bool) -> Self {
        let mut state = self.state.into_inner();
        if let Some(state) = std::sync::Arc::get_mut(&mut state) {
            state.webhook_allow_private = allow;
        }
        self.state = web::Data::from(state);
        self
    }

    /// Keep evidence files in this store, under these rules. Call before
    /// the server starts (the state is shared from then on).
    pub fn with_files(mut self, files: files::Files) -> Self {
        let mut state = self.state.into_inner();
        if let Some(state) = std::sync::Arc::get_mut(&mut state) {
            state.files = Some(files);
        }
        self.state = web::Data::from(state);
        self
    }

    /// Compute the monitoring figures on every request instead of keeping
    /// them between requests (the default). Call before the server starts.
    pub fn with_monitoring_cache(mut self, on: bool) -> Self {
        let mut state = self.state.into_inner();
        if let Some(state) = std::sync::Arc::get_mut(&mut state) {
            if !on {
                state.monitoring_cache = None;
            }
        }
        self.state = web::Data::from(state);
        self
    }

    /// Allow these exact origins to call the API from a browser.
    pub fn with_cors_origins(mut self, origins: Vec<String>) -> Self {
        self.cors_origins = origins;
        self
    }
}

/// CORS for the allowed origins only: other origins get no
/// `Access-Control-Allow-Origin` (never `*`), so browsers keep them out.
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::{header, Method};
    let cors = origins.iter().fold(actix_cors::Cors::default(), |cors, origin| cors.allowed_origin(origin));
    // A browser's tus client (resumable uploads) sends and reads the tus headers.
    cors.allowed_methods([Method::GET, Method::HEAD, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static("tus-resumable"),
            HeaderName::from_static("upload-length"),
            HeaderName::from_static("upload-offset"),
            HeaderName::from_static("upload-metadata"),
            HeaderName::from_static("upload-checksum"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LINK,
            header::RETRY_AFTER,
            header::CONTENT_LOCATION,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("idempotency-replayed"),
            HeaderName::from_static("tus-resumable"),
            HeaderName::from_static("tus-version"),
            HeaderName::from_static("tus-extension"),
            HeaderName::from_static("tus-max-size"),
            HeaderName::from_static("upload-offset"),
            HeaderName::from_static("upload-length"),
            HeaderName::from_static("upload-expires"),
            HeaderName::from_static("followup-attachment-id"),
        ])
        .max_age(600)
}

/// The route table, shared by the server and the document generator: each
/// resource module registers its own routes (`configure`), literal paths
/// before `{id}` ones.
fn routes(cfg: &mut ServiceConfig) {
    use handlers::*;
    cfg.service(ops::live).service(ops::ready).service(ops::metrics).service(
        utoipa_actix_web::scope::scope("/api/v1")
            .configure(sessions::configure)
            .configure(me::configure)
            .configure(notifications::configure)
            .configure(account_tokens::configure)
            .configure(users::configure)
            .configure(organizations::configure)
            .configure(programs::configure)
            .configure(members::configure)
            .configure(api_keys::configure)
            .configure(mentorships::configure)
            .configure(export::configure)
            .configure(monitoring::configure)
            .configure(outcome_report::configure)
            .configure(plans::configure)
            .configure(sync::configure)
            .configure(activities::configure)
            .configure(indicators::configure)
            .configure(measurements::configure)
            .configure(check_ins::configure)
            .configure(comments::configure)
            .configure(change_requests::configure)
            .configure(surveys::configure)
            .configure(survey_responses::configure)
            .configure(attachments::configure)
            .configure(uploads::configure)
            .configure(webhooks::configure),
    );
}

/// The OpenAPI document, exactly as `/api-docs/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) =
        App::new().into_utoipa_app().openapi(openapi::ApiDoc::openapi()).configure(routes).split_for_parts();
    openapi::finish(api)
}

/// The application, one per worker.
pub fn app(
    shared: &Shared,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .app_data(shared.state.clone())
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_BODY_LIMIT)
                .content_type_required(true)
                .error_handler(problem::json_error),
        )
        .app_data(web::PathConfig::default().error_handler(problem::path_error))
        .app_data(web::QueryConfig::default().error_handler(problem::query_error))
        .app_data(web::PayloadConfig::default().limit(JSON_BODY_LIMIT))
        .configure(routes)
        .split_for_parts();
    let api = openapi::finish(api);
    let app = if shared.docs_enabled {
        app.service(web::redirect("/docs", "/docs/"))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", api))
    } else {
        app
    };
    app.default_service(web::to(routing::unmatched))
        .wrap(from_fn(idempotency::middleware))
        .wrap(Condition::new(!shared.cors_origins.is_empty(), cors(&shared.cors_origins)))
        .wrap(from_fn(cors_refusal))
        .wrap(from_fn(header_limit))
        .wrap(from_fn(problem::localize))
        .wrap(shared.http_metrics.clone())
        .wrap(from_fn(request_id_header))
        .wrap(from_fn(security_headers))
        .wrap(TracingLogger::<request_log::RequestLog>::new())
}

/// Headers every response carries: no MIME sniffing, no framing, no
/// referrer, and a content policy that forbids everything for API answers
/// (JSON is never a document to render). The Swagger UI page under `/docs`
/// gets a policy that allows its own scripts and styles only. Every answer
/// under `/api/v1` is personal (what the caller may see), so no cache, shared
/// or private, may keep it: `Cache-Control: no-store` unless the handler set
/// its own.
async fn security_headers(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let api = req.path().starts_with("/api/v1");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if api && !headers.contains_key(actix_web::http::header::CACHE_CONTROL) {
        headers.insert(actix_web::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let csp = if docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    // A policy the handler set for its own document (the outcome report's
    // page, a downloaded file) is kept, with `frame-ancestors 'none'` added
    // when it lacks one.
    let own_csp = headers
        .get(actix_web::http::header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            if v.contains("frame-ancestors") {
                v.to_owned()
            } else {
                format!("{v}; frame-ancestors 'none'")
            }
        })
        .and_then(|v| HeaderValue::from_str(&v).ok());
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", csp),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    if let Some(own) = own_csp {
        headers.insert(actix_web::http::header::CONTENT_SECURITY_POLICY, own);
    }
    Ok(res)
}

/// 431 problem+json for a request whose header fields exceed [`HEADER_LIMIT`]
/// (requests beyond the HTTP parser's own limits, about 128 KiB or more than
/// 96 fields, get its bare 431 before reaching the application).
async fn header_limit(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let size: usize = req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if size > HEADER_LIMIT {
        let error = ApiError::new(
            actix_web::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "Request header fields too large",
            format!("The request's header fields may take at most {HEADER_LIMIT} bytes."),
        )
        .arg("max", HEADER_LIMIT);
        return Ok(req.error_response(error).map_into_boxed_body());
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A preflight CORS refuses (origin, method or header not allowed) answers
/// 403 problem+json like every other refusal, without any CORS header.
async fn cors_refusal(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    if res.response().error().and_then(|e| e.as_error::<actix_cors::CorsError>()).is_none() {
        return Ok(res);
    }
    let error = ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        "This origin, method or header may not be used from a browser.",
    )
    .key("forbidden.cors");
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::from_err(error, req))
}

/// Echo the request id that tracing-actix-web assigned, so a client can quote
/// it and an operator can find the request's log lines.
async fn request_id_header(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
