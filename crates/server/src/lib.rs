//! followup-server: the `followup` binary's CLI, configuration, telemetry,
//! wiring, start-up and graceful shutdown. The library half lets the
//! black-box tests start the real server in-process on a random port.

pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod demo;
pub mod housekeeping;
pub mod startup;
pub mod telemetry;
pub mod worker;

pub use config::ServeConfig;
pub use startup::Application;
