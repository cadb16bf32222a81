//! Concurrency and caching with versions, as RFC 9110 says: `ETag:
//! "<version>"`, `If-Match` required on PATCH and DELETE (428 without it, as
//! RFC 6585 says; a list; strong comparison; 412 when no tag is current),
//! `If-None-Match` on GET (weak comparison; 304).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use followup_domain::precondition::Precondition;

use crate::problem::ApiError;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// One entity-tag of a list, as RFC 9110 §8.8.3 writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    /// The characters between the quotes.
    opaque: &'a str,
}

impl EntityTag<'_> {
    /// The version this tag names, if this API could have issued it.
    fn version(&self) -> Option<i64> {
        self.opaque.parse().ok().filter(|v: &i64| *v >= 0)
    }
}

/// `*` (`None`) or a list of entity-tags; `Err` when the value is not one.
fn entity_tags(value: &str) -> Result<Option<Vec<EntityTag<'_>>>, ()> {
    if value.trim() == "*" {
        return Ok(None);
    }
    let mut tags = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue; // RFC 9110 §5.6.1: empty list elements are ignored.
        }
        let (weak, quoted) = match part.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, part),
        };
        let opaque = quoted.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or(())?;
        // etagc = %x21 / %x23-7E / obs-text: no quote, no space, no control.
        if !opaque.bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80) {
            return Err(());
        }
        tags.push(EntityTag { weak, opaque });
    }
    if tags.is_empty() {
        return Err(());
    }
    Ok(Some(tags))
}

/// What `If-Match` demands: any of its strong tags (RFC 9110 §13.1.1; a
/// weak or foreign tag never matches, so such a list is a 412, not a 400);
/// `*` is whichever version is current. A value that is not an entity-tag
/// list at all is a 400; no `If-Match` is a 428, so that two offline edits
/// never overwrite each other without a word.
pub fn if_match(req: &HttpRequest) -> Result<Precondition, ApiError> {
    if_match_of(req, req.path())
}

/// [`if_match`] for a request on an action of a resource (`POST
/// …/withdraw`): a 428 names `resource`, whose GET answers the ETag.
pub fn if_match_of(req: &HttpRequest, resource: &str) -> Result<Precondition, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Err(precondition_required(resource));
    };
    let text = value.to_str().map_err(|_| invalid_if_match())?;
    match entity_tags(text).map_err(|_| invalid_if_match())? {
        None => Ok(Precondition::Unconditional),
        Some(tags) => {
            Ok(Precondition::OneOf(tags.iter().filter(|t| !t.weak).filter_map(EntityTag::version).collect()))
        }
    }
}

/// The precondition of a PATCH or DELETE, as an extractor: placed before the
/// body, a request without `If-Match` is refused (428) before its body is read.
#[derive(Debug)]
pub struct IfMatch(pub Precondition);

impl actix_web::FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(if_match(req).map(IfMatch))
    }
}

/// 428: changing `path` needs the `ETag` its GET answered.
pub fn precondition_required(path: &str) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "Precondition required",
        format!(
            "Send If-Match with the ETag that GET {path} answered (or * to change whichever version is current)."
        ),
    )
    .arg("path", path)
}

fn invalid_if_match() -> ApiError {
    ApiError::bad_request(
        "invalid_if_match",
        "If-Match must be an ETag such as \"3\" (quotes included) or *.",
    )
}

/// Whether `If-None-Match` names the current version (answer 304), by the
/// weak comparison (RFC 9110 §13.1.2): `W/"3"` matches version 3 too.
pub fn not_modified(req: &HttpRequest, version: i64) -> bool {
    let Some(text) = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    match entity_tags(text) {
        Ok(None) => true,
        Ok(Some(tags)) => tags.iter().any(|t| t.version() == Some(version)),
        Err(()) => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn if_match_of(value: &str) -> Result<Precondition, u16> {
        let req = TestRequest::default().insert_header((header::IF_MATCH, value)).to_http_request();
        if_match(&req).map_err(|e| actix_web::ResponseError::status_code(&e).as_u16())
    }

    #[test]
    fn if_match_takes_a_list_and_compares_strongly() {
        assert_eq!(if_match_of("*"), Ok(Precondition::Unconditional));
        assert_eq!(if_match_of("\"3\""), Ok(Precondition::OneOf(vec![3])));
        assert_eq!(if_match_of("\"3\", \"4\""), Ok(Precondition::OneOf(vec![3, 4])));
        // Weak and foreign tags are well-formed but never match: 412 later, not 400.
        assert_eq!(if_match_of("W/\"3\""), Ok(Precondition::OneOf(vec![])));
        assert_eq!(if_match_of("\"abc\", W/\"4\", \"5\""), Ok(Precondition::OneOf(vec![5])));
        for bad in ["3", "\"3", "\"a b\"", "", " , ", "W/3", "\"3\" \"4\""] {
            assert_eq!(if_match_of(bad), Err(400), "{bad:?}");
        }
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let with = |value: &str| {
            TestRequest::default().insert_header((header::IF_NONE_MATCH, value)).to_http_request()
        };
        assert!(not_modified(&with("\"3\""), 3));
        assert!(not_modified(&with("W/\"3\""), 3));
        assert!(not_modified(&with("\"1\", W/\"3\""), 3));
        assert!(not_modified(&with("*"), 3));
        assert!(!not_modified(&with("\"4\""), 3));
        assert!(!not_modified(&with("garbage"), 3));
    }
}
