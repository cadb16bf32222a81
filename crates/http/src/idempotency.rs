//! `Idempotency-Key` on `POST`: a retry with the same key and the same request
//! replays the first response instead of running the request again.
//!
//! Scope: every `POST` under `/api/v1/` that carries the header, except the
//! `/api/v1/auth/` endpoints (there is no signed-in caller to scope the key by,
//! and a refresh token is single-use anyway). Keys are per caller (the `sub`
//! of the bearer token): two users may use the same key independently. A
//! request without a valid bearer token passes through untouched and the
//! handler answers 401 as usual.
//!
//! How one keyed request goes (with a valid bearer token; without one the
//! key is not looked at):
//! 1. The key must be 1–255 visible ASCII characters (400
//!    `invalid_idempotency_key`). The body is read (413 `payload_too_large`
//!    over [`crate::JSON_BODY_LIMIT`]) and put back for the handler. The
//!    request is fingerprinted as SHA-256 over method, path with query, and
//!    body bytes.
//! 2. In its own short write transaction the request *claims* the key: a row
//!    with no response yet, kept for 24 hours
//!    ([`followup_persistence::repo::idempotency::claim`]).
//! 3. If the key is already there: used for another request → 422
//!    `idempotency_key_reused`; completed → the stored status, headers
//!    (`Content-Type`, `Location`, `ETag`, `Cache-Control`) and body are
//!    replayed with `Idempotency-Replayed: true`; still running → wait for it
//!    (polling every 50 ms, up to 10 s) and replay, or answer 409
//!    `request_in_progress` with `Retry-After: 1`.
//! 4. The claimed request runs; its response is stored on the row in another
//!    short transaction and returned. A 5xx (and a 401, which says nothing
//!    about the request itself) is not stored: the claim is deleted so that a
//!    retry runs afresh.
//!
//! **Transactions and crashes.** The claim, the handler's own unit of work and
//! the stored response are three separate transactions, so they are not
//! atomic together. If the process dies after the handler's transaction
//! committed but before the response was stored, the claim stays "in
//! progress": retries wait and then get 409 until the claim is 60 s old, when
//! it counts as abandoned and the next retry takes it over and runs the
//! request *again*. That re-run is safe for creates that carry a
//! client-supplied `id` (the API answers a re-sent create with the same id and
//! content with 200 and the existing resource); a create without an `id` may
//! then create a second resource. Clients that need exactly-once creates
//! should send both a key and an `id`.
//!
//! The claimed request runs in a task of its own, so a client that hangs up
//! mid-request does not cancel it: the response is still stored and the
//! client's retry replays it. Expired rows count as absent; about one claim in
//! a hundred also deletes every expired row.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpMessage, HttpResponse};
use followup_domain::ids::UserId;
use followup_domain::DomainError;
use followup_persistence::repo::idempotency::{self as repo, Claim, KeyState, KeyedRequest, StoredResponse};
use followup_persistence::StoreError;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::problem::ApiError;
use crate::{AppState, JSON_BODY_LIMIT};

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a replayed response.
pub const IDEMPOTENCY_REPLAYED: &str = "idempotency-replayed";
/// The longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// How long a key is kept.
const KEY_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// A claim older than this is abandoned (its request crashed) and may be taken over.
const ABANDON_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// How long a retry waits for the first request before answering 409.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);
const POLL_EVERY: Duration = Duration::from_millis(50);
/// One claim in this many also purges expired rows.
const PURGE_ONE_IN: u32 = 100;

/// The response headers stored and replayed.
const REPLAYED_HEADERS: [HeaderName; 4] =
    [header::CONTENT_TYPE, header::LOCATION, header::ETAG, header::CACHE_CONTROL];

/// Whether a request path is subject to idempotency keys.
fn applies_to(path: &str) -> bool {
    path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/")
}

/// Check an `Idempotency-Key` value: 1–255 visible ASCII characters.
pub fn validate_key(value: &HeaderValue) -> Result<&str, ApiError> {
    let bytes = value.as_bytes();
    let visible = bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    match value.to_str() {
        Ok(key) if visible && (1..=MAX_KEY_LEN).contains(&bytes.len()) => Ok(key),
        _ => Err(invalid_key()),
    }
}

fn invalid_key() -> ApiError {
    ApiError::bad_request(
        "invalid_idempotency_key",
        format!("Idempotency-Key must be one value of 1 to {MAX_KEY_LEN} visible ASCII characters."),
    )
    .arg("max", MAX_KEY_LEN)
}

/// The request fingerprint: SHA-256 (lower-case hex) over the method, the path
/// with its query and the body, each part length-prefixed so that no two
/// different requests can run together into the same input.
pub fn request_hash(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path_and_query.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The caller's user id, from a valid bearer token.
fn caller(req: &ServiceRequest, state: &AppState) -> Option<UserId> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    state.auth.keys.check(token.trim()).map(|claims| UserId::from_uuid(claims.sub))
}

fn too_large() -> ApiError {
    crate::json::too_large()
}

/// Read the whole body, bounded by [`JSON_BODY_LIMIT`].
async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > JSON_BODY_LIMIT) {
        return Err(too_large());
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::with_capacity(declared.unwrap_or(1024).min(JSON_BODY_LIMIT));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request("bad_body", format!("The body could not be read: {e}")))?;
        if body.len() + chunk.len() > JSON_BODY_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The middleware (`from_fn`).
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::POST || !applies_to(req.path()) {
        return pass(req, next).await;
    }
    if !req.headers().contains_key(IDEMPOTENCY_KEY) {
        return pass(req, next).await;
    }
    // The caller first: without a valid token the handler answers 401,
    // whatever the key looks like.
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else { return pass(req, next).await };
    let Some(user_id) = caller(&req, &state) else { return pass(req, next).await };
    let mut values = req.headers().get_all(IDEMPOTENCY_KEY);
    let key = match (values.next().map(validate_key), values.next()) {
        (Some(Ok(key)), None) => key.to_owned(),
        _ => return Ok(req.error_response(invalid_key())),
    };

    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e)),
    };
    let method = req.method().as_str().to_owned();
    let path = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let hash = request_hash(&method, &path, &body);
    req.set_payload(Payload::from(body));
    let keyed = KeyedRequest { user_id, key, method, path, hash };

    let claimed_at = match acquire(&state, &keyed).await {
        Ok(Acquired::Claimed(at)) => at,
        Ok(Acquired::Replay(stored)) => return Ok(req.into_response(replay(&stored))),
        Ok(Acquired::PassThrough) => return pass(req, next).await,
        Err(e) => return Ok(req.error_response(e)),
    };
    // Run the claimed request in a task of its own: if the client hangs up,
    // this future is dropped, but the request still finishes and its
    // response is stored for the retry.
    let task = run_claimed(req, next, state, keyed, claimed_at).instrument(tracing::Span::current());
    match actix_web::rt::spawn(task).await {
        Ok(result) => result,
        Err(e) => Err(ApiError::internal(&e).into()),
    }
}

async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

enum Acquired {
    Claimed(chrono::DateTime<chrono::Utc>),
    Replay(StoredResponse),
    /// The key cannot be stored for this caller (e.g. the token names no
    /// user): let the handler answer.
    PassThrough,
}

/// Claim the key, or wait for the request holding it and replay its response.
async fn acquire(state: &AppState, keyed: &KeyedRequest) -> Result<Acquired, ApiError> {
    let deadline = Instant::now() + WAIT_FOR_FIRST;
    loop {
        let db = state.db.clone();
        let request = keyed.clone();
        let claimed =
            web::block(move || db.write(|c| repo::claim(c, &request, KEY_LIFETIME, ABANDON_AFTER))).await?;
        let mut seen = match claimed {
            Ok(Claim::Claimed { claimed_at }) => return Ok(Acquired::Claimed(claimed_at)),
            Ok(Claim::Held(seen)) => seen,
            Err(StoreError::Domain(DomainError::NotFound { .. })) => return Ok(Acquired::PassThrough),
            Err(e) => return Err(e.into()),
        };
        loop {
            match seen {
                KeyState::Completed(stored) => return Ok(Acquired::Replay(stored)),
                KeyState::Mismatch => return Err(reused()),
                KeyState::Free => break,
                KeyState::InProgress if Instant::now() >= deadline => return Err(in_progress()),
                KeyState::InProgress => {
                    actix_web::rt::time::sleep(POLL_EVERY).await;
                    let db = state.db.clone();
                    let request = keyed.clone();
                    seen = web::block(move || db.read(|c| repo::peek(c, &request, ABANDON_AFTER))).await??;
                }
            }
        }
    }
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "Idempotency key reused",
        "This Idempotency-Key was already used for a different request; use a new key for a new request.",
    )
}

fn in_progress() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "request_in_progress",
        "Request in progress",
        "A request with this Idempotency-Key is still being processed. Retry shortly.",
    )
    .with_retry_after(1)
}

/// The stored response again, marked as a replay.
fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    let headers: BTreeMap<String, String> =
        stored.headers.as_deref().and_then(|h| serde_json::from_str(h).ok()).unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.insert_header((name, value));
        }
    }
    response.insert_header((HeaderName::from_static(IDEMPOTENCY_REPLAYED), HeaderValue::from_static("true")));
    response.body(stored.body.clone())
}

/// The replayed headers of a response, as a small JSON object.
fn stored_headers(headers: &header::HeaderMap) -> Option<String> {
    let kept: BTreeMap<&str, &str> = REPLAYED_HEADERS
        .iter()
        .filter_map(|name| Some((name.as_str(), headers.get(name)?.to_str().ok()?)))
        .collect();
    serde_json::to_string(&kept).ok()
}

/// Run the request that holds the claim; store its response, or give the
/// claim up when a retry might do better.
async fn run_claimed(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: web::Data<AppState>,
    keyed: KeyedRequest,
    claimed_at: chrono::DateTime<chrono::Utc>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if rand::random_ratio(1, PURGE_ONE_IN) {
        purge_expired(&state);
    }
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(e) => {
            release(&state, &keyed, claimed_at).await;
            return Err(e);
        }
    };
    let status = response.status();
    if status.is_server_error() || status == StatusCode::UNAUTHORIZED {
        release(&state, &keyed, claimed_at).await;
        return Ok(response.map_into_boxed_body());
    }
    let (http_req, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => {
            release(&state, &keyed, claimed_at).await;
            let cause: Box<dyn std::error::Error> = e.into();
            let error = ApiError::internal(&cause);
            return Ok(ServiceResponse::from_err(error, http_req));
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            let stored = StoredResponse {
                status: status.as_u16(),
                headers: stored_headers(head.headers()),
                body: text.to_owned(),
            };
            let db = state.db.clone();
            let request = keyed.clone();
            // On failure the response is still the truth for this client; the
            // claim is abandoned in a minute and a retry then runs again.
            match web::block(move || db.write(|c| repo::complete(c, &request, claimed_at, &stored))).await {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => {
                    tracing::warn!("idempotency claim was taken over before the response was stored")
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "could not store the idempotent response"),
                Err(e) => tracing::warn!(error = %e, "could not store the idempotent response"),
            }
        }
        Err(_) => {
            tracing::warn!("response body is not UTF-8; not stored for idempotent replay");
            release(&state, &keyed, claimed_at).await;
        }
    }
    Ok(ServiceResponse::new(http_req, head.set_body(bytes).map_into_boxed_body()))
}

/// Give a claim up; failures are logged (the claim is then abandoned later).
async fn release(state: &AppState, keyed: &KeyedRequest, claimed_at: chrono::DateTime<chrono::Utc>) {
    let db = state.db.clone();
    let request = keyed.clone();
    match web::block(move || db.write(|c| repo::release(c, &request, claimed_at))).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not release an idempotency claim"),
        Err(e) => tracing::warn!(error = %e, "could not release an idempotency claim"),
    }
}

/// Delete expired keys in the background.
fn purge_expired(state: &AppState) {
    let db = state.db.clone();
    let task = async move {
        match web::block(move || db.write(repo::purge_expired)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::debug!(deleted = n, "expired idempotency keys purged"),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not purge expired idempotency keys"),
            Err(e) => tracing::warn!(error = %e, "could not purge expired idempotency keys"),
        }
    };
    drop(actix_web::rt::spawn(task.instrument(tracing::Span::current())));
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn hash_is_hex_sha256_and_depends_on_every_part() {
        let base = request_hash("POST", "/api/v1/organizations", b"{\"name\":\"A\"}");
        assert_eq!(base.len(), 64);
        assert!(base.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(base, request_hash("POST", "/api/v1/organizations", b"{\"name\":\"A\"}"));
        assert_ne!(base, request_hash("PUT", "/api/v1/organizations", b"{\"name\":\"A\"}"));
        assert_ne!(base, request_hash("POST", "/api/v1/programs", b"{\"name\":\"A\"}"));
        assert_ne!(base, request_hash("POST", "/api/v1/organizations?x=1", b"{\"name\":\"A\"}"));
        assert_ne!(base, request_hash("POST", "/api/v1/organizations", b"{\"name\":\"B\"}"));
        // Parts cannot slide into each other.
        assert_ne!(request_hash("POST", "/a", b"b"), request_hash("POST", "/ab", b""));
    }

    #[test]
    fn empty_input_hash_is_stable() {
        // Three zero length prefixes, nothing else.
        let expected = {
            let mut h = Sha256::new();
            h.update([0u8; 24]);
            h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        assert_eq!(request_hash("", "", b""), expected);
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
}
