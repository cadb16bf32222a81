//! Extractor failures as problems: the error handlers [`crate::app`] installs
//! for actix's JSON, path and query extractors, and the parser-error wording
//! they share with [`crate::json::JsonBody`] and [`crate::query`].

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use followup_domain::FieldError;

use super::ApiError;

/// 400 `malformed_json`, naming the line and column where parsing stopped.
pub(crate) fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
        .key("malformed_json.at")
        .arg("line", e.line())
        .arg("column", e.column())
}

/// A field error for a value the parser refused (`message` is the parser's
/// English text): an unknown enum word lists the allowed words, anything else
/// keeps the parser's explanation as `{reason}`.
pub(crate) fn value_error(field: String, message: &str) -> FieldError {
    let message = &plain_types(message);
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((_, expected)) = rest.split_once(", expected ") {
            let allowed = expected.trim_start_matches("one of ").replace('`', "").replace(" or ", ", ");
            return FieldError::new(field, "invalid_value", message)
                .key("invalid_value.choice")
                .with("allowed", allowed);
        }
    }
    FieldError::new(field, "invalid_value", message).key("invalid_value.reason").with("reason", message)
}

/// The parser's message with Rust type names in the words of the API: `i32`
/// is an integer, `f64` a number.
fn plain_types(message: &str) -> String {
    let mut out = message.to_owned();
    for (rust, plain) in [
        ("i8", "an integer"),
        ("i16", "an integer"),
        ("i32", "an integer"),
        ("i64", "an integer"),
        ("u8", "a whole number"),
        ("u16", "a whole number"),
        ("u32", "a whole number"),
        ("u64", "a whole number"),
        ("usize", "a whole number"),
        ("f32", "a number"),
        ("f64", "a number"),
    ] {
        out = out.replace(&format!("expected {rust}"), &format!("expected {plain}"));
    }
    out
}

/// `web::JsonConfig` error handler: malformed JSON, wrong content type, body too large.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let api = match &err {
        J::OverflowKnownLength { length, limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
            format!("The body is {length} bytes; the limit is {limit} bytes."),
        )
        .key("payload_too_large.known")
        .arg("length", length)
        .arg("limit", limit),
        J::Overflow { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
            format!("The body exceeds the limit of {limit} bytes."),
        )
        .arg("limit", limit),
        J::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "Send the body as application/json.",
        ),
        J::Deserialize(e) if e.is_data() => {
            ApiError::validation(vec![value_error(String::new(), &e.to_string())])
                .with_detail(format!("The body does not match the expected shape: {e}"))
                .key("validation_failed.shape")
        }
        J::Deserialize(e) => malformed(e),
        other => ApiError::bad_request("bad_body", format!("The body could not be read: {other}")),
    };
    api.into()
}

/// `web::PathConfig` error handler.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::not_found(format!("No such resource: {err}")).key("not_found.path").into()
}

/// `web::QueryConfig` error handler.
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_query", format!("Invalid query parameters: {err}")).into()
}
