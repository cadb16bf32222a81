//! Request handlers, one module per resource; each exports `configure`.

pub mod auth;
pub mod me;
pub mod users;
