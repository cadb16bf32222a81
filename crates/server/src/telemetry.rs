//! Structured logs with `tracing`, to standard error (standard output is kept
//! for command output such as `followup openapi`).

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// The filter used when `FOLLOWUP_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,actix_server=warn";

/// Install the global subscriber. Calling it twice is harmless (the second
/// call keeps the first subscriber), which the in-process tests rely on.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer().json().flatten_event(true).with_current_span(true).with_writer(std::io::stderr),
            )
            .try_init(),
    };
}
