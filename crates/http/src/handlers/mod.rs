//! Request handlers, one module per resource; each registers its routes
//! with `configure`.

pub mod account_tokens;
pub mod activities;
pub mod api_keys;
pub mod attachments;
pub mod change_requests;
pub mod check_ins;
pub mod comments;
pub(crate) mod endpoints;
pub mod export;
pub mod indicators;
pub mod me;
pub mod measurements;
pub mod members;
pub mod mentorships;
pub mod monitoring;
pub mod notifications;
pub mod organizations;
pub mod outcome_report;
pub mod plans;
pub mod programs;
pub mod sessions;
pub mod sync;
pub mod uploads;
pub mod users;
pub mod webhooks;
