//! followup-domain: ids, value objects, one module per resource (entity,
//! rules and commands), the policies and the error vocabulary. No HTTP and
//! no SQL here.

pub mod activities;
pub mod api_keys;
pub mod attachments;
pub mod change_requests;
pub mod check_ins;
pub mod comments;
pub mod error;
pub mod ids;
pub mod indicators;
pub mod members;
pub mod mentorships;
pub mod monitoring;
pub mod notifications;
pub mod organizations;
pub mod outcome_report;
pub mod paging;
pub mod patch;
pub mod plans;
pub mod policy;
pub mod precondition;
pub mod programs;
pub mod survey_results;
pub mod surveys;
pub mod users;
pub mod values;
pub mod webhooks;

pub use error::{DomainError, FieldError, Message, Validator};
pub use policy::{Actor, ProgramScope};
