//! `Idempotency-Key` on `POST`: a retry with the same key and the same request
//! replays the first response instead of running the request again.
//!
//! Scope: every `POST` under `/api/v1/` that carries the header, except the
//! `/api/v1/auth/` endpoints (there is no signed-in caller to scope the key by,
//! and a refresh token is single-use anyway). Keys are per caller (the `sub`
//! of the bearer token): two users may use the same key independently. A
//! request without a valid bearer token passes through untouched and the
//! handler answers 401 as usual. The token is verified once per request
//! (`AuthState::token_user`): the auth extractors reuse the outcome.
//!
//! How one keyed request goes (with a valid bearer token; without one the
//! key is not looked at):
//! 1. The key must be 1–255 visible ASCII characters (400
//!    `invalid_idempotency_key`). The body is read (413 `payload_too_large`
//!    over [`crate::JSON_BODY_LIMIT`]) and put back for the handler. The
//!    request is fingerprinted ([`request_hash`]: HMAC-SHA256 under a server
//!    secret over method, path with query, and body). The middleware hands
//!    the handler a [`KeySlot`] (request extensions) and runs it.
//! 2. The handler's unit of work takes the key *in the same transaction as
//!    its own writes* ([`claim_and_run`], through `CallerToken::respond` or
//!    [`IdempotencyKey::respond`]): it claims the key
//!    ([`followup_persistence::repo::idempotency::claim`]), does its work,
//!    makes its response and stores it on the key's row (kept 24 hours).
//!    They commit together or not at all, so there is no moment at which the
//!    work is stored without its response, whatever crashes when: a retry
//!    either replays the response or runs a request that never happened.
//! 3. If the unit finds the key already there, it does nothing and the
//!    middleware answers instead: used for another request → 422
//!    `idempotency_key_reused`; completed → the stored status, headers
//!    (`Content-Type`, `Location`, `ETag`, `Cache-Control`) and body are
//!    replayed with `Idempotency-Replayed: true`; still running → wait for it
//!    (polling every 50 ms, up to 10 s) and replay, or answer 409
//!    `request_in_progress` with `Retry-After: 1`. On PostgreSQL a
//!    concurrent twin's claim waits on the first one's row lock until it
//!    commits and then sees it completed.
//! 4. A refusal (4xx other than 401) that the handler answered before its
//!    unit of work, or that rolled its unit back, is stored in a short write
//!    of its own, so a retry replays it as well. A 5xx or a 401 says nothing
//!    about the request itself and is not stored: a retry runs afresh.
//!
//! Replays still run the handler up to its unit of work (body validation,
//! reads, no writes): a retry of a refused request is refused the same way
//! and then answered from the stored refusal.
//!
//! Every keyed route makes its response inside its unit of work
//! (`crates/http/tests/keyed_posts.rs` checks that each POST handler does). A
//! handler that answered 2xx without taking its key would have its answer
//! stored afterwards, in a write of its own, with a warning in the log.
//!
//! The handler runs in a task of its own, so a client that hangs up
//! mid-request does not cancel it: the response is still stored and the
//! client's retry replays it. Expired rows count as absent; about one keyed
//! request in a hundred also deletes every expired row.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use followup_persistence::repo::idempotency::{self as repo, Claim, KeyState, KeyedRequest, StoredResponse};
use followup_persistence::{DbConnection, StoreError};
use tracing::Instrument;

use crate::problem::ApiError;
use crate::AppState;

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
    // A file upload's body is a file: it is streamed to the store, never
    // held to be fingerprinted (a file is sent again whole, or resumed).
    path.starts_with("/api/v1/")
        && !path.starts_with("/api/v1/auth/")
        && !path.ends_with("/attachments")
        && !path.ends_with("/uploads")
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

/// Read the whole body, bounded by [`JSON_BODY_LIMIT`].
async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let declared = crate::json::declared_length(req.headers());
    Ok(crate::json::read_limited(req.take_payload(), declared).await?.freeze())
}

/// A keyed request's key, handed by the middleware to the handler (request
/// extensions) and taken by the handler's unit of work.
#[derive(Debug)]
pub struct KeySlot {
    keyed: KeyedRequest,
    state: Mutex<SlotState>,
}

/// What the handler's unit of work did with the key.
#[derive(Debug, Clone)]
enum SlotState {
    /// No unit of work took it (the handler answered before one, or the unit
    /// was rolled back).
    Untouched,
    /// The key was already there: the middleware answers from it.
    Held(KeyState),
    /// Claimed, and the response stored, together with the handler's work.
    Stored,
}

impl KeySlot {
    fn get(&self) -> SlotState {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set(&self, state: SlotState) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }
}

/// The request's [`KeySlot`], if it is a keyed POST of a signed-in caller:
/// for handlers that take a `CheckedCaller` (a `CallerToken` carries its
/// own, for `CallerToken::respond`).
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub(crate) Option<Arc<KeySlot>>);

impl IdempotencyKey {
    pub(crate) fn of(req: &HttpRequest) -> Self {
        Self(req.extensions().get::<Arc<KeySlot>>().cloned())
    }

    /// Run `work` in one write transaction and make its response with
    /// `respond`; with a key, the key is claimed and the response stored in
    /// the same transaction (see the module documentation).
    pub async fn respond<T, W, R>(
        self,
        state: &AppState,
        work: W,
        respond: R,
    ) -> Result<HttpResponse, ApiError>
    where
        T: Send + 'static,
        W: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
        R: FnOnce(T) -> HttpResponse + Send + 'static,
    {
        let slot = self.0.clone();
        let outcome =
            crate::db::write(state, move |c| claim_and_run(c, slot.as_deref(), work, respond)).await?;
        self.settle(outcome)
    }

    /// Record what the unit did with the key and make the handler's answer.
    pub(crate) fn settle(&self, outcome: UnitOutcome) -> Result<HttpResponse, ApiError> {
        match outcome {
            UnitOutcome::Replied { reply, stored } => {
                if let (Some(slot), true) = (&self.0, stored) {
                    slot.set(SlotState::Stored);
                }
                Ok(reply.into_response())
            }
            UnitOutcome::Held(seen) => {
                if let Some(slot) = &self.0 {
                    slot.set(SlotState::Held(seen));
                }
                // The middleware answers from the key instead.
                Err(in_progress())
            }
        }
    }
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}

/// A response made inside a unit of work, in a form that may leave it.
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Reply {
    fn new(response: HttpResponse) -> Result<Self, StoreError> {
        let status = response.status();
        let headers = response.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        let body = response.into_body().try_into_bytes().map_err(|_| {
            StoreError::internal("a response made in a unit of work must have a complete body")
        })?;
        Ok(Self { status, headers, body })
    }

    fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for header in self.headers {
            response.append_header(header);
        }
        response.body(self.body)
    }

    /// What is kept for replays: every response but a 5xx or a 401.
    fn to_store(&self) -> Option<StoredResponse> {
        if !storable(self.status) {
            return None;
        }
        let mut headers = header::HeaderMap::new();
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        Some(StoredResponse {
            status: self.status.as_u16(),
            headers: stored_headers(&headers),
            body: without_secrets(String::from_utf8(self.body.to_vec()).ok()?),
        })
    }
}

/// Properties of a response that are shown once and never stored: a
/// replay answers without them (a generated password is not kept anywhere).
const SHOWN_ONCE: [&str; 8] = [
    "secret",
    "api_key",
    "initial_password",
    "access_token",
    "refresh_token",
    "invitation_token",
    "reset_token",
    "temporary_password",
];

/// `body` without [`SHOWN_ONCE`] properties at its top level.
fn without_secrets(body: String) -> String {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str::<serde_json::Value>(&body) else {
        return body;
    };
    if !SHOWN_ONCE.iter().any(|k| object.contains_key(*k)) {
        return body;
    }
    for key in SHOWN_ONCE {
        object.remove(key);
    }
    serde_json::to_string(&object).unwrap_or_default()
}

/// What a keyed unit of work did.
#[derive(Debug)]
pub enum UnitOutcome {
    /// It ran; `stored` when its response was stored under the key.
    Replied { reply: Reply, stored: bool },
    /// The key was already there; nothing ran.
    Held(KeyState),
}

/// Whether a response is kept for replays: a 5xx or a 401 says nothing about
/// the request itself, and a retry should run afresh.
fn storable(status: StatusCode) -> bool {
    !(status.is_server_error() || status == StatusCode::UNAUTHORIZED)
}

/// One keyed unit of work, inside the caller's write transaction: claim the
/// key, run `work`, make the response and store it. Without a key, just the
/// work and the response. A failing `work` rolls the claim back with it.
pub(crate) fn claim_and_run<T>(
    conn: &mut DbConnection,
    slot: Option<&KeySlot>,
    work: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
    respond: impl FnOnce(T) -> HttpResponse,
) -> Result<UnitOutcome, StoreError> {
    let Some(slot) = slot else {
        let reply = Reply::new(respond(work(conn)?))?;
        return Ok(UnitOutcome::Replied { reply, stored: false });
    };
    let claimed_at = match repo::claim(conn, &slot.keyed, KEY_LIFETIME, ABANDON_AFTER)? {
        Claim::Claimed { claimed_at } => claimed_at,
        Claim::Held(seen) => return Ok(UnitOutcome::Held(seen)),
    };
    let reply = Reply::new(respond(work(conn)?))?;
    match reply.to_store() {
        Some(stored) => {
            repo::complete(conn, &slot.keyed, claimed_at, &stored)?;
            Ok(UnitOutcome::Replied { reply, stored: true })
        }
        None => {
            repo::release(conn, &slot.keyed, claimed_at)?;
            Ok(UnitOutcome::Replied { reply, stored: false })
        }
    }
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
    let Some(user_id) = state.auth.token_user(req.request(), &state.db).await else {
        return pass(req, next).await;
    };
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
    let hash = request_hash(&state.auth.request_hash_key, &method, &path, &body);
    req.set_payload(Payload::from(body));
    let slot = Arc::new(KeySlot {
        keyed: KeyedRequest { user_id, key, method, path, hash },
        state: Mutex::new(SlotState::Untouched),
    });
    req.extensions_mut().insert(slot.clone());
    if rand::random_ratio(1, PURGE_ONE_IN) {
        purge_expired(&state);
    }
    // Run the request in a task of its own: if the client hangs up, this
    // future is dropped, but the request still finishes and its response is
    // stored for the retry.
    let lang = crate::i18n::current();
    let task = crate::i18n::in_language(lang, run_keyed(req, next, state, slot))
        .instrument(tracing::Span::current());
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

/// Run the handler, then answer according to what its unit of work did with
/// the key.
async fn run_keyed(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: web::Data<AppState>,
    slot: Arc<KeySlot>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let result = next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    match slot.get() {
        SlotState::Stored => result,
        SlotState::Held(seen) => {
            let handled = result?;
            let answer = answer_held(&state, &slot.keyed, seen).await;
            Ok(handled.into_response(answer.unwrap_or_else(|e| actix_web::ResponseError::error_response(&e))))
        }
        SlotState::Untouched => {
            let response = match result {
                Ok(response) if storable(response.status()) => response,
                other => return other,
            };
            if response.status().is_success() {
                tracing::warn!(
                    path = %slot.keyed.path,
                    "a keyed request succeeded without its handler taking the key; stored afterwards"
                );
            }
            record(&state, &slot.keyed, response).await
        }
    }
}

/// Store the response of a request that was refused before (or by rolling
/// back) its unit of work, claiming the key and completing it in one short
/// write. If the key turns out to be taken meanwhile, answer from it.
async fn record(
    state: &AppState,
    keyed: &KeyedRequest,
    response: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (http_req, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let Ok(bytes) = body::to_bytes(body).await else {
        let error = ApiError::internal(&"the response body could not be read");
        return Ok(ServiceResponse::from_err(error, http_req));
    };
    let reply = Reply {
        status: head.status(),
        headers: head.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect(),
        body: bytes.clone(),
    };
    let respond = |r: HttpResponse| Ok(ServiceResponse::new(http_req.clone(), r));
    let Some(stored) = reply.to_store() else {
        return respond(head.set_body(bytes).map_into_boxed_body());
    };
    let db = state.db.clone();
    let request = keyed.clone();
    let outcome = web::block(move || {
        db.write(|c| match repo::claim(c, &request, KEY_LIFETIME, ABANDON_AFTER)? {
            Claim::Claimed { claimed_at } => repo::complete(c, &request, claimed_at, &stored).map(|_| None),
            Claim::Held(seen) => Ok(Some(seen)),
        })
    })
    .await;
    match outcome {
        Ok(Ok(None)) => respond(head.set_body(bytes).map_into_boxed_body()),
        Ok(Ok(Some(seen))) => {
            let answer = answer_held(state, keyed, seen).await;
            respond(answer.unwrap_or_else(|e| actix_web::ResponseError::error_response(&e)))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not store a refused keyed request");
            respond(head.set_body(bytes).map_into_boxed_body())
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not store a refused keyed request");
            respond(head.set_body(bytes).map_into_boxed_body())
        }
    }
}

/// Answer a request whose key another request holds or used: replay, refuse,
/// or wait for the holder (up to [`WAIT_FOR_FIRST`]).
async fn answer_held(
    state: &AppState,
    keyed: &KeyedRequest,
    mut seen: KeyState,
) -> Result<HttpResponse, ApiError> {
    let deadline = Instant::now() + WAIT_FOR_FIRST;
    loop {
        match seen {
            KeyState::Completed(stored) => return Ok(replay(&stored)),
            KeyState::Mismatch => return Err(reused()),
            // The holder gave up (or its claim is abandoned): this request did
            // not run; its retry will.
            KeyState::Free => return Err(in_progress()),
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

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "Idempotency key reused",
        "This Idempotency-Key was already used for a different request; use a new key for a new request.",
    )
}

pub(crate) fn in_progress() -> ApiError {
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

mod fingerprint;
#[cfg(test)]
mod tests;

pub use fingerprint::{request_hash, RequestHashKey};
