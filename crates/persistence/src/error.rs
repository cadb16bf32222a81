//! The persistence error: what a unit of work can fail with.

use followup_domain::DomainError;

/// Errors from a unit of work.
///
/// * `Domain`: the work refused for a domain reason (not found, conflict…);
///   returned as is to the caller.
/// * `Unavailable`: no connection could be had, or it was lost; the caller
///   answers 503 and may retry.
/// * `Db`: anything else the database said; logged, answered as an opaque 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
}

impl StoreError {
    /// A fault of the work itself, not of the database (answered as an
    /// opaque 500, like [`StoreError::Db`]).
    pub fn internal(message: impl Into<String>) -> Self {
        StoreError::Db(diesel::result::Error::SerializationError(message.into().into()))
    }
}
