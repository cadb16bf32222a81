//! The one error vocabulary of the domain. The HTTP layer renders each
//! variant as RFC 9457 problem+json with a stable `code`.

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's wire name, e.g. `training_ends_on`.
    pub field: String,
    /// A stable snake_case code, e.g. `too_long`, `before_start`.
    pub code: String,
    /// A human sentence in English; the HTTP layer may translate it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into() }
    }
}

/// Why a domain operation refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The resource does not exist, or the caller may not see it (ids do not leak).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The caller can see the resource but may not perform this action.
    #[error("forbidden: {reason}")]
    Forbidden { reason: String },
    /// The request conflicts with the current state (duplicate, wrong status, still referenced).
    #[error("conflict: {message}")]
    Conflict { code: &'static str, message: String },
    /// The input is invalid; one entry per offending field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// `If-Match` named a version that is no longer current.
    #[error("precondition failed: the resource has changed (current version {current})")]
    PreconditionFailed { current: i64 },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

/// Collects field errors so that one response lists every invalid field.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep the value, or record the error and return `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    /// Like [`Validator::check`], for checks that report several fields at once.
    pub fn check_all<T>(&mut self, result: Result<T, Vec<FieldError>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                self.errors.extend(errors);
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Err(Invalid)` when anything was recorded, else the built value.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, DomainError> {
        if !self.errors.is_empty() {
            return Err(DomainError::Invalid(self.errors));
        }
        build().ok_or_else(|| DomainError::Invalid(vec![FieldError::new("", "invalid", "invalid input")]))
    }
}
