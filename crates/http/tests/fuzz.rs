//! Property tests of the parsers that read what clients send: paging cursors,
//! `If-Match`/`If-None-Match`, `Accept-Language` and query strings. Whatever
//! the input, they return a value or a 4xx problem, never panic and never
//! a 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use actix_web::http::header::{self, HeaderValue};
use actix_web::test::TestRequest;
use actix_web::ResponseError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use followup_domain::paging::{Cursor, MAX_LIMIT};
use followup_domain::precondition::Precondition;
use followup_domain::values::Locale;
use followup_http::handlers::plans::ListPlansQuery;
use followup_http::{conditional, i18n, paging, query, ApiError};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() }
}

fn assert_client_error(err: &ApiError, allowed: &[u16]) {
    let status = err.status_code().as_u16();
    assert!(allowed.contains(&status), "unexpected status {status} ({})", err.code());
}

/// Strings a client could put in a header or a query: arbitrary text, and
/// text built from the characters these parsers care about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=%+/*;,.\"W -]{0,80}",
        prop::collection::vec(any::<u8>(), 0..48).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_page_request_is_in_range_or_refused(limit in prop::option::of(any::<i64>()), cursor in prop::option::of(text())) {
        match paging::page_request(limit, cursor.as_deref()) {
            Ok(page) => prop_assert!((1..=MAX_LIMIT).contains(&page.limit)),
            Err(err) => {
                assert_client_error(&err, &[400, 422]);
                prop_assert!(matches!(err.code(), "validation_failed" | "invalid_cursor"));
            }
        }
    }

    #[test]
    fn an_issued_cursor_reads_back(id in any::<u128>(), micros in -62_135_596_800_000_000i64..253_402_300_799_000_000) {
        let at = chrono::DateTime::from_timestamp_micros(micros).unwrap();
        let after = Cursor { at, id: uuid::Uuid::from_u128(id) };
        let page = paging::page_request(None, Some(&paging::encode_cursor(after))).unwrap();
        prop_assert_eq!(page.after, Some(after));
    }

    #[test]
    fn a_cursor_of_any_bytes_is_a_cursor_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        let raw = URL_SAFE_NO_PAD.encode(&bytes);
        match paging::page_request(None, Some(&raw)) {
            Ok(page) => prop_assert!(bytes.len() == 24 || (bytes.is_empty() && page.after.is_none())),
            Err(err) => prop_assert_eq!(err.code(), "invalid_cursor"),
        }
    }

    #[test]
    fn if_match_is_one_version_or_a_400(raw in prop::collection::vec(any::<u8>(), 0..64), text in text()) {
        for value in [HeaderValue::from_bytes(&raw).ok(), HeaderValue::from_str(&text).ok()].into_iter().flatten() {
            let req = TestRequest::default()
                .insert_header((header::IF_MATCH, value.clone()))
                .insert_header((header::IF_NONE_MATCH, value))
                .to_http_request();
            if let Err(err) = conditional::if_match(&req) {
                assert_client_error(&err, &[400]);
                prop_assert_eq!(err.code(), "invalid_if_match");
            }
            // If-None-Match never fails: a value it cannot read means "send it".
            let _ = conditional::not_modified(&req, 3);
        }
    }

    #[test]
    fn a_written_etag_matches_strongly_and_its_weak_form_only_weakly(version in 0..i64::MAX, weak in any::<bool>()) {
        let tag = conditional::etag(version);
        let value = if weak { format!("W/{tag}") } else { tag };
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, value.clone()))
            .insert_header((header::IF_NONE_MATCH, value))
            .to_http_request();
        let expected = Precondition::OneOf(if weak { vec![] } else { vec![version] });
        prop_assert_eq!(conditional::if_match(&req).ok(), Some(expected));
        prop_assert!(conditional::not_modified(&req, version));
    }

    #[test]
    fn accept_language_always_answers_a_language(value in prop_oneof![
        text(),
        "(( *[a-zA-Z*]{0,3}(-[a-zA-Z0-9]{0,4})?( *; *q *= *[01]?(\\.[0-9]{0,4})?)?) *,){0,8}",
    ]) {
        let lang = i18n::negotiate(Some(&value));
        let lower = value.to_ascii_lowercase();
        // Indonesian only when the header names it (or a wildcard stands for it).
        if !lower.contains("id") && !lower.contains("in") && !lower.contains('*') {
            prop_assert_eq!(lang, Locale::En);
        }
    }

    #[test]
    fn a_plan_list_query_parses_or_is_a_4xx(query in prop_oneof![
        text(),
        prop::collection::vec(
            (
                prop::sample::select(vec!["limit", "cursor", "program_id", "owner_id", "status", "mentee_of", "sort", "x", ""]),
                text(),
            ),
            0..6,
        )
        .prop_map(|pairs| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")),
    ]) {
        match query::parse::<ListPlansQuery>(&query) {
            Ok(parsed) => {
                // What parsed goes on to the same checks as a request's.
                if let Err(err) = paging::page_request(parsed.limit, parsed.cursor.as_deref()) {
                    assert_client_error(&err, &[400, 422]);
                }
            }
            Err(err) => {
                // A parameter plans do not take (`x`, ``) is 400 naming it;
                // a bad value of one they take is 422.
                assert_client_error(&err, &[400, 422]);
                let expected = if err.status_code().as_u16() == 400 { "unknown_parameter" } else { "validation_failed" };
                prop_assert_eq!(err.code(), expected);
            }
        }
    }
}
