//! Request handlers, one module per resource; each exports `configure`.

pub mod auth;
pub mod checkins;
pub mod export;
pub mod me;
pub mod monitoring;
pub mod organizations;
pub mod plans;
pub mod programs;
pub mod sync;
pub mod tracking;
pub mod users;
