//! The request log: each request's span (method, route, status, request id,
//! as `tracing-actix-web` records them) and, for a refused request, one short
//! line. A client's mistake (4xx) is an `info` line naming the method, the
//! route pattern, the status, the problem `code` and the request id — never
//! the error body, which the client already has. A server error (5xx) is an
//! `error` line of the same shape; its cause was logged where it arose
//! ([`crate::problem::ApiError::internal`]).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::problem::ApiError;

/// The [`RootSpanBuilder`] of the server's `TracingLogger`.
pub struct RequestLog;

impl RootSpanBuilder for RequestLog {
    fn on_request_start(request: &ServiceRequest) -> Span {
        DefaultRootSpanBuilder::on_request_start(request)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let Ok(response) = outcome else {
            DefaultRootSpanBuilder::on_request_end(span, outcome);
            return;
        };
        let status = response.status();
        if status.is_client_error() {
            // Not the error itself: the span stays as short as a success's.
            span.record("http.status_code", i32::from(status.as_u16()));
            span.record("otel.status_code", "OK");
        } else {
            DefaultRootSpanBuilder::on_request_end(span, outcome);
        }
        if !(status.is_client_error() || status.is_server_error()) {
            return;
        }
        let request = response.request();
        let method = request.method().as_str();
        let route = request.match_pattern().unwrap_or_else(|| "(unmatched)".to_owned());
        let request_id = request.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default();
        let code =
            response.response().error().and_then(|e| e.as_error::<ApiError>()).map_or("-", ApiError::code);
        let status = status.as_u16();
        // A line of its own (no parent span): the request's span carries
        // every header-derived field, which the line does not repeat.
        if status >= 500 {
            tracing::error!(parent: None, method, route, status, code, request_id, "request failed");
        } else {
            tracing::info!(parent: None, method, route, status, code, request_id, "request refused");
        }
    }
}
