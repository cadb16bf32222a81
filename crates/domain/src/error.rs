//! The one error vocabulary of the domain. The HTTP layer renders each
//! variant as RFC 9457 problem+json with a stable `code`.
//!
//! Texts are worded by the HTTP layer's message catalogue in the caller's
//! language: an error names a catalogue key (its code, or `code.variant`
//! for a more specific wording) and the named parameters its template
//! substitutes (`{max}`, `{status}`). The English `message` strings given
//! here are for logs and for codes the catalogue does not know yet.

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's wire name, e.g. `training_ends_on`.
    pub field: String,
    /// A stable snake_case code, e.g. `too_long`, `before_start`.
    pub code: String,
    /// A human sentence in English; the HTTP layer words it from the catalogue.
    pub message: String,
    /// A more specific catalogue key than the code (`invalid_value.choice`).
    pub key: Option<&'static str>,
    /// Named values the catalogue's template substitutes (`max` → `200`).
    pub params: Vec<Param>,
}

/// A named value substituted into a message template.
pub type Param = (&'static str, String);

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
            key: None,
            params: Vec::new(),
        }
    }

    /// Add a named parameter for the message template.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.push((name, value.to_string()));
        self
    }

    /// Word the message from `key` (`code.variant`) rather than from the code.
    pub fn key(mut self, key: &'static str) -> Self {
        self.key = Some(key);
        self
    }

    /// The catalogue key of the message.
    pub fn message_key(&self) -> &str {
        self.key.unwrap_or(&self.code)
    }
}

/// A message the catalogue words: a key (a code, or `code.variant`) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub params: Vec<Param>,
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Self { key, params: Vec::new() }
    }

    /// Add a named parameter for the message template.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.push((name, value.to_string()));
        self
    }

    /// The value of parameter `name`, if given.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key)?;
        for (name, value) in &self.params {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// Why a domain operation refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The resource does not exist, or the caller may not see it (ids do not leak).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The request conflicts with the current state (duplicate, wrong status, still referenced).
    #[error("conflict: {message}")]
    Conflict { code: &'static str, message: String },
    /// The caller can see the resource but may not perform this action;
    /// worded by the message catalogue (`forbidden.owner_only`).
    #[error("forbidden: {0}")]
    NotAllowed(Message),
    /// Like `Conflict`, worded by the message catalogue with parameters (`invalid_state.edit`, `status`).
    #[error("conflict {code}: {message}")]
    StateConflict { code: &'static str, message: Message },
    /// The input is invalid; one entry per offending field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// `If-Match` named a version that is no longer current.
    #[error("precondition failed: the resource has changed (current version {current})")]
    PreconditionFailed { current: i64 },
    /// The caller's password was generated or reset by someone else: until
    /// they choose their own, they may do nothing else.
    #[error("password change required")]
    PasswordChangeRequired,
}

/// One field error is an invalid request with that one error.
impl From<FieldError> for DomainError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(vec![e])
    }
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
        build().ok_or_else(|| DomainError::Invalid(vec![FieldError::new("", "invalid", "is invalid")]))
    }
}
