//! followup-domain: ids, value objects, entities, policies, workflow rules and
//! the error vocabulary. No HTTP and no SQL here.

pub mod commands;
pub mod entities;
pub mod error;
pub mod ids;
pub mod monitoring;
pub mod paging;
pub mod plans;
pub mod policy;
pub mod values;

pub use error::{DomainError, FieldError, Message, Validator};
pub use policy::{Actor, ProgramScope};
