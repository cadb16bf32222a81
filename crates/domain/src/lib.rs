//! followup-domain: ids, value objects, entities, policies, workflow rules and
//! the error vocabulary. No HTTP and no SQL here.

pub mod error;

pub use error::{DomainError, FieldError};
