//! Request handlers, one module per resource; each exports `configure`.

pub mod auth;
pub mod me;
pub mod organizations;
pub mod programs;
pub mod users;
