//! Structured logs with `tracing`, to standard error (standard output is kept
//! for command output such as `followup openapi`).
//!
//! `error` is for the server's own faults. A client's malformed request is
//! a `warn`: the handlers' problem answers already are, and the HTTP
//! parser's complaints about a request it cannot read (which actix logs as
//! errors) are logged again as warnings by [`ClientFaults`].

use std::fmt::Write as _;
use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// The filter used when `FOLLOWUP_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,actix_server=warn";

/// Where actix's HTTP/1 parser reports a request it could not read.
const PARSER: &str = "actix_http::h1::dispatcher";

/// The parser's own events that describe the client's fault, not ours.
/// actix logs through the `log` crate: its target is in the normalized
/// metadata of the bridged event.
fn is_client_fault(event: &Event<'_>) -> bool {
    let meta = event.normalized_metadata();
    let meta: &Metadata<'_> = meta.as_ref().unwrap_or_else(|| event.metadata());
    meta.target() == PARSER && *meta.level() == Level::ERROR
}

/// Logs the parser's "request parse error" events again as warnings, with
/// their text, under this crate's target.
struct ClientFaults;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for ClientFaults {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !is_client_fault(event) {
            return;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        tracing::warn!(target: "followup_server::http", detail = %message.0, "a client sent a request the HTTP parser could not read");
    }
}

/// Everything but the parser's client-fault events (re-logged by [`ClientFaults`]).
struct WithoutClientFaults;

impl<S> Filter<S> for WithoutClientFaults {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        !is_client_fault(event)
    }
}

/// Install the global subscriber. Calling it twice is harmless (the second
/// call keeps the first subscriber), which the in-process tests rely on.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // `ClientFaults` goes last: it logs anew, which must not happen before
    // the formatting layer has filtered out the original event.
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr)
                    .with_filter(WithoutClientFaults),
            )
            .with(ClientFaults)
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr)
                    .with_filter(WithoutClientFaults),
            )
            .with(ClientFaults)
            .try_init(),
    };
}
