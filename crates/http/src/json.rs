//! The JSON body extractor. Unlike `web::Json` it reports *which* field is
//! wrong (`errors[].field`, through serde_path_to_error) and answers every
//! failure as problem+json: 415 for another content type, 413 over the size
//! limit, 400 for malformed JSON, 422 for a body of the wrong shape (unknown
//! field, missing field, wrong type, unknown enum word).

use actix_web::web::BytesMut;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use followup_domain::FieldError;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::problem::ApiError;
/// Parser errors are worded in `problem`; `query` words its own through here.
pub(crate) use crate::problem::{malformed, value_error};
use crate::JSON_BODY_LIMIT;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

pub(crate) fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "Payload too large",
        format!("The body exceeds the limit of {JSON_BODY_LIMIT} bytes."),
    )
    .arg("limit", JSON_BODY_LIMIT)
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| {
            let essence = essence.trim().to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// The wire path of field `name` reported at `path` (serde_path_to_error
/// sometimes includes the field itself, sometimes only its parent).
fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_owned()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Turn a serde error at `path` into a field error.
fn field_error(path: &str, inner: &serde_json::Error) -> FieldError {
    let message = inner.to_string();
    // serde_json appends " at line L column C"; the field path says more.
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return FieldError::new(join(path, name), "unknown_field", "is not a field of this resource");
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return FieldError::new(join(path, name), "required", "is required");
    }
    let field = if path == "." { String::new() } else { path.to_owned() };
    value_error(field, &message)
}

/// Deserialize bytes as `T`, mapping errors to problem+json. A number with
/// no fractional part is an integer whatever its spelling (`5.0` is `5`), as
/// JSON Schema says.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut value = serde_json::Value::deserialize(&mut de).map_err(|e| malformed(&e))?;
    de.end().map_err(|e| malformed(&e))?;
    integral_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::validation(vec![field_error(&path, e.inner())])
    })
}

/// The largest integer an `f64` holds exactly.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// Write every float that is a whole number (within the exactly held range)
/// as an integer, so integer fields take `5.0` and number fields are unchanged.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT_INTEGERS) {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_json::<T>(req, payload, true);
        Box::pin(async move {
            match read.await? {
                Some(value) => Ok(JsonBody(value)),
                None => {
                    Err(ApiError::bad_request("malformed_json", "The body is empty; send a JSON object.")
                        .key("malformed_json.empty"))
                }
            }
        })
    }
}

/// A JSON body that may be left out: no body at all is `None`; a body that
/// is sent is read exactly as [`JsonBody`] reads it (a malformed one is
/// refused, never taken for no body).
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_json::<T>(req, payload, false);
        Box::pin(async move { read.await.map(OptionalJsonBody) })
    }
}

/// The `Content-Length` a request declares, if any.
pub(crate) fn declared_length(headers: &actix_web::http::header::HeaderMap) -> Option<usize> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
}

/// The whole body, refused (413) past [`JSON_BODY_LIMIT`], whether declared
/// so or read so.
pub(crate) async fn read_limited(
    mut payload: Payload,
    declared: Option<usize>,
) -> Result<BytesMut, ApiError> {
    if declared.is_some_and(|len| len > JSON_BODY_LIMIT) {
        return Err(too_large());
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(1024).min(JSON_BODY_LIMIT));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request("bad_body", format!("The body could not be read: {e}")))?;
        if body.len() + chunk.len() > JSON_BODY_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body parsed as JSON; `None` when there is no body. A `required` body
/// must be declared JSON (415) before it is read.
fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    required: bool,
) -> impl Future<Output = Result<Option<T>, ApiError>> {
    let json = is_json(req);
    let declared = declared_length(req.headers());
    let payload = payload.take();
    async move {
        if required && !json && declared.is_none_or(|len| len <= JSON_BODY_LIMIT) {
            return Err(unsupported_media_type());
        }
        let body = read_limited(payload, declared).await?;
        if body.is_empty() {
            return Ok(None);
        }
        if !json {
            return Err(unsupported_media_type());
        }
        parse::<T>(&body).map(Some)
    }
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Unsupported media type",
        "Send the body as application/json.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        locale: Option<Locale>,
        evidence: Option<Vec<Link>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Locale {
        Id,
        En,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Link {
        url: String,
    }

    fn first_field(bytes: &[u8]) -> (String, String) {
        match parse::<Body>(bytes) {
            Ok(_) => panic!("expected an error"),
            Err(e) => {
                let p = e.problem();
                let f = p.errors.first().cloned().unwrap_or_else(|| panic!("no field error: {p:?}"));
                (f.field, f.code)
            }
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            first_field(br#"{"email":"a@b.c","system_role":"admin"}"#),
            ("system_role".into(), "unknown_field".into())
        );
        assert_eq!(first_field(br#"{}"#), ("email".into(), "required".into()));
        assert_eq!(
            first_field(br#"{"email":"a@b.c","locale":"fr"}"#),
            ("locale".into(), "invalid_value".into())
        );
        assert_eq!(first_field(br#"{"email":5}"#), ("email".into(), "invalid_value".into()));
        assert_eq!(
            first_field(br#"{"email":"a@b.c","evidence":[{"url":"x","y":1}]}"#),
            ("evidence[0].y".into(), "unknown_field".into())
        );
        assert_eq!(parse::<Body>(b"{not json").err().map(|e| e.code()), Some("malformed_json"));
        assert_eq!(
            parse::<Body>(br#"{"email":"a@b.c"} trailing"#).err().map(|e| e.code()),
            Some("malformed_json")
        );
    }
}
