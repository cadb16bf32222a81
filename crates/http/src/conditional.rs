//! Concurrency and caching with versions: `ETag: "<version>"`, `If-Match`
//! on PATCH and DELETE (412 when stale), `If-None-Match` on GET (304).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::problem::ApiError;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

fn versions(value: &str) -> Result<Vec<Option<i64>>, ()> {
    value
        .split(',')
        .map(|tag| {
            let tag = tag.trim();
            if tag == "*" {
                return Ok(None);
            }
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag.strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .and_then(|t| t.parse::<i64>().ok())
                .map(Some)
                .ok_or(())
        })
        .collect()
}

/// The version `If-Match` requires, if any (`*` requires none).
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().map_err(|_| invalid_if_match())?;
    let tags = versions(text).map_err(|_| invalid_if_match())?;
    match tags.as_slice() {
        [single] => Ok(*single),
        _ => Err(ApiError::bad_request(
            "invalid_if_match",
            "If-Match takes exactly one ETag, e.g. If-Match: \"3\".",
        )
        .key("invalid_if_match.single")),
    }
}

fn invalid_if_match() -> ApiError {
    ApiError::bad_request(
        "invalid_if_match",
        "If-Match must be an ETag such as \"3\" (quotes included) or *.",
    )
}

/// Whether `If-None-Match` names the current version (answer 304).
pub fn not_modified(req: &HttpRequest, version: i64) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| versions(v).ok())
        .is_some_and(|tags| tags.iter().any(|t| t.is_none_or(|v| v == version)))
}

/// 200 with the body and its ETag, or 304 when the client has it already.
pub fn ok_versioned<T: serde::Serialize>(req: &HttpRequest, version: i64, body: &T) -> HttpResponse {
    if not_modified(req, version) {
        return HttpResponse::NotModified().insert_header((header::ETAG, etag(version))).finish();
    }
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}

/// 201 with `Location`, the body and its ETag.
pub fn created<T: serde::Serialize>(location: String, version: i64, body: &T) -> HttpResponse {
    HttpResponseBuilder::new(actix_web::http::StatusCode::CREATED)
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 200 with the body and its ETag (after a change).
pub fn updated<T: serde::Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}
