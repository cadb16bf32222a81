//! RFC 9457 problem details: the one error type of the HTTP layer.
//!
//! Which error to use where:
//! * A handler returns `Result<_, ApiError>`. Domain and storage errors
//!   convert into it with `?` (`From<DomainError>`, `From<StoreError>`).
//! * Extractor failures (malformed JSON, wrong content type, oversized body,
//!   bad path or query) are routed here by the handlers installed in
//!   [`crate::app`] (`extract.rs`), so no plain-text error ever leaves the server.
//! * Anything unexpected becomes [`ApiError::internal`]: the cause is logged
//!   with the request's span and the client sees an opaque 500 with the same
//!   body shape and nothing of the internals.
//!
//! Language: `title`, `detail` and field `message`s come from the catalogue in
//! [`crate::i18n`]. An error names a catalogue key (its code, or
//! `code.variant` through [`ApiError::key`]) and the parameters the template
//! needs ([`ApiError::arg`]). The English texts the constructors take are the
//! fallback for a code the catalogue does not know yet (a test fails then).
//! The body is serialised once, by `error_response`, in the language
//! [`localize`] set for the request; English where none is set (outside the
//! middleware, or in a task the request spawned, which it then rewords).

use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use followup_domain::error::Param;
use followup_domain::values::Locale;
use followup_domain::{DomainError, FieldError, Message};
use followup_persistence::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n;

mod extract;
mod localize;

pub use extract::{json_error, path_error, query_error};
pub(crate) use extract::{malformed, value_error};
pub use localize::localize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ProblemFieldError {
    /// The field's wire name (`training_ends_on`, `evidence[0].url`); empty for the body as a whole.
    #[schema(example = "training_ends_on")]
    pub field: String,
    /// A stable snake_case code.
    #[schema(example = "before_start")]
    pub code: String,
    /// A human sentence.
    #[schema(example = "must be on or after training_starts_on")]
    pub message: String,
}

/// An error, as RFC 9457 `application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (relative to the API).
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation_failed")]
    pub problem_type: String,
    /// A short summary of the problem type.
    #[schema(example = "Validation failed")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong in this occurrence.
    #[schema(example = "The request body has 1 invalid field.")]
    pub detail: String,
    /// A stable snake_case code clients can switch on.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// One entry per invalid field (validation errors only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemFieldError>,
}

/// The HTTP error type (boxed: it travels in every handler's `Result`).
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorParts>);

#[derive(Debug, Clone)]
pub struct ErrorParts {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    key: Option<&'static str>,
    args: Vec<Param>,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    allow: Option<String>,
    challenge: bool,
    /// Protocol headers an answer must carry (tus's `Tus-Version`).
    extra: Vec<(&'static str, &'static str)>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(ErrorParts {
            status,
            code,
            title,
            detail: detail.into(),
            key: None,
            args: Vec::new(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
            challenge: false,
            extra: Vec::new(),
        }))
    }

    /// Send this header with the problem.
    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.0.extra.push((name, value));
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    /// 401 with a `WWW-Authenticate: Bearer` challenge.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail).with_challenge()
    }

    /// Send a `WWW-Authenticate: Bearer` challenge with this (401) answer.
    pub fn with_challenge(mut self) -> Self {
        self.challenge = true;
        self
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    pub fn method_not_allowed(allow: &str) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            format!("This resource supports: {allow}."),
        )
        .arg("allow", allow);
        e.allow = Some(allow.to_owned());
        e
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Validation failed",
            format!("The request has {n} invalid field{}.", if n == 1 { "" } else { "s" }),
        )
        .arg("count", n);
        if n == 1 {
            e.key = Some("validation_failed.one");
        }
        e.errors = errors;
        e
    }

    /// 503 while the database cannot be reached; clients may retry.
    pub fn unavailable(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service unavailable",
            "The database is unreachable. Retry shortly.",
        );
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// An unexpected failure: log the cause here, answer an opaque 500.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
            "An unexpected error occurred. It has been logged.",
        )
    }

    /// The fields (or parameters) at fault, listed as `errors[]`.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// Word the detail from catalogue entry `key` (`code.variant`) rather than from the code.
    pub fn key(mut self, key: &'static str) -> Self {
        self.key = Some(key);
        self
    }

    /// A named value for the detail template (`{status}`).
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Word the detail from a domain [`Message`].
    fn message(mut self, message: Message) -> Self {
        self.key = Some(message.key);
        self.args.extend(message.params);
        self
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The problem in English.
    pub fn problem(&self) -> Problem {
        self.problem_in(Locale::En)
    }

    /// The problem in `lang`, worded by the catalogue.
    pub fn problem_in(&self, lang: Locale) -> Problem {
        Problem {
            problem_type: format!("/problems/{}", self.code),
            title: i18n::title(self.code, lang).unwrap_or(self.title).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail_in(lang),
            code: self.code.to_owned(),
            errors: self.errors.iter().map(|f| field_problem(f, lang)).collect(),
        }
    }

    /// The catalogue's wording of the key (or of the code, for an Indonesian
    /// answer to an error built without one); else the constructor's text.
    fn detail_in(&self, lang: Locale) -> String {
        let key = match (self.key, lang) {
            (Some(key), _) => key,
            (None, Locale::Id) => self.code,
            (None, Locale::En) => return self.detail.clone(),
        };
        i18n::detail_template(key)
            .and_then(|text| i18n::render(text.get(lang), lang, &self.args))
            .unwrap_or_else(|| self.detail.clone())
    }
}

/// A field error worded by the catalogue: from its key when the parameters
/// fill the template; else the English text given, or in Indonesian the
/// generic `invalid_value` wording.
fn field_problem(f: &FieldError, lang: Locale) -> ProblemFieldError {
    let worded =
        i18n::field_template(f.message_key()).and_then(|text| i18n::render(text.get(lang), lang, &f.params));
    let message = match (worded, lang) {
        (Some(message), _) => message,
        (None, Locale::En) => f.message.clone(),
        (None, Locale::Id) => {
            i18n::field_template("invalid_value").map(|t| t.id.to_owned()).unwrap_or_default()
        }
    };
    ProblemFieldError { field: f.field.clone(), code: f.code.clone(), message }
}

impl std::ops::Deref for ApiError {
    type Target = ErrorParts;
    fn deref(&self) -> &ErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorParts {
        &mut self.0
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.challenge {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="followup""#));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((header::ALLOW, allow.clone()));
        }
        for (name, value) in &self.extra {
            response.insert_header((*name, *value));
        }
        let lang = i18n::current();
        response.extensions_mut().insert(Worded(lang));
        match serde_json::to_vec(&self.problem_in(lang)) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

/// The language an error response's body was worded in (response extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Worded(pub(crate) Locale);

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { entity } => {
                ApiError::not_found(format!("No {entity} with that id is visible to you."))
                    .key("not_found.entity")
                    .arg("entity", entity)
            }
            DomainError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, "Conflict", message)
            }
            DomainError::NotAllowed(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", message.to_string())
                    .message(message)
            }
            DomainError::StateConflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, "Conflict", message.to_string()).message(message)
            }
            DomainError::Invalid(errors) => ApiError::validation(errors),
            DomainError::PreconditionFailed { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "Precondition failed",
                format!("The resource has changed; its current version is {current}."),
            )
            .arg("version", current),
            DomainError::PasswordChangeRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "Forbidden",
                "Choose your own password first: POST /api/v1/me/password with the one you were given.",
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                ApiError::unavailable(2)
            }
            StoreError::Db(db) => ApiError::internal(&db),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(&e)
    }
}
