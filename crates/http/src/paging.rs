//! Cursor paging on the wire: `?limit=` (1–200, default 50) and `?cursor=`;
//! the body is `{ "items": [...], "next_cursor": ... }` and, when there is a
//! next page, a `Link: <…>; rel="next"` header.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use followup_domain::paging::{Page, PageRequest, DEFAULT_LIMIT, MAX_LIMIT};
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

pub fn encode_cursor(after: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(after.as_bytes())
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
            )]))
        }
    };
    let after = match cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            let bytes = URL_SAFE_NO_PAD.decode(c).map_err(|_| {
                ApiError::bad_request("invalid_cursor", "The cursor is not one this API issued.")
            })?;
            Some(Uuid::from_slice(&bytes).map_err(|_| {
                ApiError::bad_request("invalid_cursor", "The cursor is not one this API issued.")
            })?)
        }
    };
    Ok(PageRequest { limit, after })
}

/// The page as JSON with a `Link` header to the next one.
pub fn respond<T: Serialize>(req: &HttpRequest, page: Page<T>) -> HttpResponse {
    let next_cursor = page.next_after.map(encode_cursor);
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &next_cursor {
        let mut pairs: Vec<(String, String)> =
            url_pairs(req.query_string()).into_iter().filter(|(k, _)| k != "cursor").collect();
        pairs.push(("cursor".into(), cursor.clone()));
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        response.insert_header((header::LINK, format!("<{}?{}>; rel=\"next\"", req.path(), query.join("&"))));
    }
    response.json(PageBody { items: page.items, next_cursor })
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
        let id = Uuid::now_v7();
        let req = page_request(Some(10), Some(&encode_cursor(id))).ok();
        assert_eq!(req, Some(PageRequest { limit: 10, after: Some(id) }));
        assert_eq!(page_request(Some(0), None).err().map(|e| e.code()), Some("validation_failed"));
        assert_eq!(page_request(Some(201), None).err().map(|e| e.code()), Some("validation_failed"));
        assert_eq!(page_request(None, Some("%%%")).err().map(|e| e.code()), Some("invalid_cursor"));
        assert_eq!(page_request(None, Some("AAAA")).err().map(|e| e.code()), Some("invalid_cursor"));
        assert_eq!(decode("a%20b+c"), "a b c");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
