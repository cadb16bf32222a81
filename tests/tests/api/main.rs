//! All black-box tests in one binary. Each `backend_test!` runs on SQLite and
//! on PostgreSQL (`NAME::sqlite`, `NAME::postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod access;
mod api_keys;
mod attachments;
mod audit;
mod auth;
mod change_requests;
mod conventions;
mod corrections;
mod dates;
mod export;
mod i18n;
mod idempotency;
mod monitoring;
mod monitoring_cache;
mod onboarding;
mod operations;
mod outage;
mod outcome_report;
mod owasp;
mod password_reset;
mod people;
mod plan_access;
mod plan_conventions;
mod plan_story;
mod plans;
mod programme_rules;
mod reminders;
mod review_queue;
mod revisions;
mod survey_reminders;
mod surveys;
mod sync;
mod uploads;
mod webhooks;
