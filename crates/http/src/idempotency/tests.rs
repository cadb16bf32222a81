//! Keys, fingerprints, the paths keys apply to, and replays.

use super::*;
use sha2::{Digest, Sha256};

fn check(raw: &[u8]) -> bool {
    HeaderValue::from_bytes(raw).ok().is_some_and(|v| validate_key(&v).is_ok())
}

#[test]
fn keys_are_1_to_255_visible_ascii_characters() {
    assert!(check(b"a"));
    assert!(check(b"0190f3a2-7c1e-7d4b-9a55-3f1c2b9e8d10"));
    assert!(check(b"!~\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"));
    assert!(check("k".repeat(255).as_bytes()));
    assert!(!check(b""));
    assert!(!check("k".repeat(256).as_bytes()));
    assert!(!check(b"two words"));
    assert!(!check(b"tab\there"));
    assert!(!check("caf\u{e9}".as_bytes()));
    assert!(!check(b"del\x7f"));
}

#[test]
fn invalid_keys_answer_400_invalid_idempotency_key() {
    let Err(e) = validate_key(&HeaderValue::from_static("has space")) else {
        panic!("a key with a space must be refused")
    };
    assert_eq!(e.code(), "invalid_idempotency_key");
    assert_eq!(e.problem().status, 400);
}

#[test]
fn the_fingerprint_is_a_keyed_hash_of_every_part() {
    let key = RequestHashKey::from_secret("server secret");
    let hash = |m: &str, p: &str, b: &[u8]| request_hash(&key, m, p, b);
    let base = hash("POST", "/api/v1/organizations", b"{\"name\":\"A\"}");
    assert_eq!(base.len(), 64);
    assert!(base.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(base, hash("POST", "/api/v1/organizations", b"{\"name\":\"A\"}"));
    assert_ne!(base, hash("PUT", "/api/v1/organizations", b"{\"name\":\"A\"}"));
    assert_ne!(base, hash("POST", "/api/v1/programs", b"{\"name\":\"A\"}"));
    assert_ne!(base, hash("POST", "/api/v1/organizations?x=1", b"{\"name\":\"A\"}"));
    assert_ne!(base, hash("POST", "/api/v1/organizations", b"{\"name\":\"B\"}"));
    // Parts cannot slide into each other.
    assert_ne!(hash("POST", "/a", b"b"), hash("POST", "/ab", b""));
    // Another server secret, another fingerprint; and never the plain SHA-256.
    let other = RequestHashKey::from_secret("another secret");
    assert_ne!(base, request_hash(&other, "POST", "/api/v1/organizations", b"{\"name\":\"A\"}"));
    let plain = {
        let mut h = Sha256::new();
        for part in [b"POST".as_slice(), b"/api/v1/organizations", b"{\"name\":\"A\"}"] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_ne!(base, plain);
}

#[test]
fn auth_endpoints_and_other_paths_are_left_alone() {
    assert!(applies_to("/api/v1/organizations"));
    assert!(applies_to("/api/v1/programs/x/members"));
    assert!(!applies_to("/api/v1/auth/login"));
    assert!(!applies_to("/api/v1/auth/refresh"));
    assert!(!applies_to("/health/live"));
    assert!(!applies_to("/api/v10/organizations"));
}

#[test]
fn replay_restores_status_headers_and_body_and_marks_it() {
    let mut headers = header::HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::LOCATION, HeaderValue::from_static("/api/v1/organizations/1"));
    headers.insert(header::ETAG, HeaderValue::from_static("\"1\""));
    headers.insert(header::SERVER, HeaderValue::from_static("not-kept"));
    let stored = StoredResponse { status: 201, headers: stored_headers(&headers), body: "{}".into() };
    let response = replay(&stored);
    assert_eq!(response.status(), StatusCode::CREATED);
    let h = response.headers();
    assert_eq!(h.get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/api/v1/organizations/1"));
    assert_eq!(h.get(header::ETAG).and_then(|v| v.to_str().ok()), Some("\"1\""));
    assert_eq!(h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()), Some("application/json"));
    assert_eq!(h.get(IDEMPOTENCY_REPLAYED).and_then(|v| v.to_str().ok()), Some("true"));
    assert!(h.get(header::SERVER).is_none());
}

#[test]
fn a_stored_reply_never_holds_a_secret() {
    let shown = r#"{"user":{"id":"u1","email":"a@b.c"},"initial_password":"kambing-makan-rumput-42"}"#;
    let stored = without_secrets(shown.to_owned());
    assert!(!stored.contains("kambing"), "{stored}");
    assert!(stored.contains("\"email\":\"a@b.c\""), "the rest is kept: {stored}");
    let plain = r#"{"id":"p1","title":"Peer support"}"#;
    assert_eq!(without_secrets(plain.to_owned()), plain, "other bodies are stored as they are");
    assert_eq!(without_secrets("not json".to_owned()), "not json");
}
