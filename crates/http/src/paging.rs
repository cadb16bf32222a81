//! Cursor paging on the wire: `?limit=` (1–200, default 50) and `?cursor=`;
//! the body is `{ "items": [...], "next_cursor": ... }` and, when there is a
//! next page, a `Link: <…>; rel="next"` header.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use followup_domain::paging::{Cursor, Page, PageRequest, DEFAULT_LIMIT, MAX_LIMIT};
use followup_domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::problem::ApiError;

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = "AZOrJmDqd3OLmRGYu4EANQ")]
    pub next_cursor: Option<String>,
}

/// A cursor on the wire: base64url of the id (16 bytes) and `created_at` in
/// microseconds since the epoch (8 bytes, big-endian). Opaque to clients.
pub fn encode_cursor(after: Cursor) -> String {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(after.id.as_bytes());
    bytes.extend_from_slice(&after.at.timestamp_micros().to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_cursor(raw: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let (id, micros) = (bytes.get(..16)?, bytes.get(16..24)?);
    if bytes.len() != 24 {
        return None;
    }
    let micros = i64::from_be_bytes(micros.try_into().ok()?);
    Some(Cursor { at: chrono::DateTime::from_timestamp_micros(micros)?, id: Uuid::from_slice(id).ok()? })
}

/// Read `limit` and `cursor` into a page request; bad values are 422 / 400.
pub fn page_request(limit: Option<i64>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            )
            .with("min", 1)
            .with("max", MAX_LIMIT)]))
        }
    };
    let after = match cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ApiError::bad_request("invalid_cursor", "The cursor is not one this API issued.")
        })?),
    };
    Ok(PageRequest { limit, after })
}

/// The page as JSON with a `Link` header to the next one.
pub fn respond<T: Serialize>(req: &HttpRequest, page: Page<T>) -> HttpResponse {
    respond_with_cursor(req, page.items, page.next_after.map(encode_cursor))
}

/// Items and an already encoded next cursor, as JSON with a `Link` header.
pub fn respond_with_cursor<T: Serialize>(
    req: &HttpRequest,
    items: Vec<T>,
    next_cursor: Option<String>,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &next_cursor {
        let mut pairs: Vec<(String, String)> =
            url_pairs(req.query_string()).into_iter().filter(|(k, _)| k != "cursor").collect();
        pairs.push(("cursor".into(), cursor.clone()));
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        response.insert_header((header::LINK, format!("<{}?{}>; rel=\"next\"", req.path(), query.join("&"))));
    }
    response.json(PageBody { items, next_cursor })
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let at = chrono::DateTime::from_timestamp_micros(1_685_577_600_123_456).unwrap_or_default();
        let after = Cursor { at, id: Uuid::now_v7() };
        let req = page_request(Some(10), Some(&encode_cursor(after))).ok();
        assert_eq!(req, Some(PageRequest { limit: 10, after: Some(after) }));
        assert_eq!(page_request(Some(0), None).err().map(|e| e.code()), Some("validation_failed"));
        assert_eq!(page_request(Some(201), None).err().map(|e| e.code()), Some("validation_failed"));
        assert_eq!(page_request(None, Some("%%%")).err().map(|e| e.code()), Some("invalid_cursor"));
        assert_eq!(page_request(None, Some("AAAA")).err().map(|e| e.code()), Some("invalid_cursor"));
        assert_eq!(decode("a%20b+c"), "a b c");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
