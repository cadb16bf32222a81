//! Authentication: the bearer-token extractor, tokens, passwords, throttling.

pub mod passwords;
pub mod rate;
pub mod throttle;
pub mod tokens;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::HttpMessage;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use followup_domain::ids::{ApiKeyId, SessionId, UserId};
use followup_domain::values::PasswordState;
use followup_domain::{Actor, DomainError};
use followup_persistence::repo::sessions::Principal;
use followup_persistence::{repo, DbConnection, StoreError};

use crate::i18n::ProfileLocale;
use crate::idempotency::{self, IdempotencyKey};
use crate::problem::ApiError;
use crate::AppState;

/// Settings and keys of the auth layer, shared by all workers.
pub struct AuthState {
    pub keys: tokens::TokenKeys,
    pub throttle: throttle::LoginThrottle,
    pub dummy_hash: passwords::DummyHash,
    pub session_lifetime: chrono::Duration,
    /// How long an invitation token stays valid.
    pub invitation_lifetime: chrono::Duration,
    /// How long a password-reset token stays valid.
    pub reset_lifetime: chrono::Duration,
    pub trust_proxy: bool,
    /// Keys the fingerprints of idempotent requests.
    pub request_hash_key: crate::idempotency::RequestHashKey,
    /// Password reset by e-mail (`POST /auth/password-reset`); `None` when
    /// the server sends no e-mail.
    pub reset_by_mail: Option<ResetByMail>,
    /// Each API key's request allowance.
    pub key_rate: rate::KeyRate,
}

/// How a forgotten password is reset by e-mail.
pub struct ResetByMail {
    /// The client's page that takes the token, with `{token}` where it goes
    /// (`https://app.example.org/reset-password?token={token}`); without it
    /// the message gives the token to paste into the app.
    pub link: Option<String>,
    /// Requests per client address (and, ten times higher, per account) in a
    /// minute; every request counts.
    pub throttle: throttle::LoginThrottle,
}

impl AuthState {
    /// The user a request's access token names, when the token is valid (its
    /// session is not checked). For the idempotency middleware, which keys
    /// requests by it; the token is verified once per request
    /// ([`tokens::check_request`]), and the extractors reuse the outcome.
    /// An API key's requests are keyed by its service account, found in
    /// the database when the key is live.
    pub async fn token_user(&self, req: &HttpRequest, db: &followup_persistence::Database) -> Option<UserId> {
        match tokens::check_request(req, &self.keys) {
            tokens::TokenCheck::Valid { user, .. } => Some(user),
            tokens::TokenCheck::Key { id, secret_hash } => {
                let db = db.clone();
                match web::block(move || db.read(|c| repo::api_keys::account_of(c, id, &secret_hash))).await {
                    Ok(Ok(account)) => account,
                    // The handler's own check answers (401, or 503 when the
                    // database is out of reach).
                    Ok(Err(_)) | Err(_) => None,
                }
            }
            tokens::TokenCheck::Missing | tokens::TokenCheck::Invalid => None,
        }
    }
}

/// The caller, checked by the extractor before the handler runs: a valid
/// HS256 access token (signature, algorithm, expiry, not-before, issuer,
/// audience) whose session is not revoked and whose user is active, with the
/// user's system role. Anything else is one generic 401 problem+json; a user
/// who must first change a generated or reset password gets 403
/// `password_change_required`. For handlers that need the role before their
/// database work.
#[derive(Debug, Clone, Copy)]
pub struct CheckedCaller(pub Actor);

/// Like [`CheckedCaller`], but for the caller's own account: only a person's
/// access token, never an API key (401 `not_an_account`, see
/// `account_claims`); and it also admits a user who must change their
/// password, for the few calls such a user may make (`GET /me`,
/// `POST /me/password`, `POST /auth/logout`).
#[derive(Debug, Clone, Copy)]
pub struct AccountCaller(pub Actor);

/// What a request's bearer token names: a login session (an access token)
/// or an API key, not checked against the database yet.
#[derive(Debug, Clone)]
enum Credential {
    Session { user_id: UserId, session_id: SessionId },
    Key { id: ApiKeyId, secret_hash: String },
}

/// A credential found live: who acts, in which session (an API key's id for
/// a key), with what principal; and the key to mark used, if due.
struct Resolved {
    user_id: UserId,
    session_id: SessionId,
    principal: Principal,
    /// The API key, when the credential is one.
    key: Option<ApiKeyId>,
    touch_key: Option<ApiKeyId>,
}

/// Look the credential up: `None` when its session has ended, its key is
/// revoked or unknown, or its user is deactivated.
fn resolve(conn: &mut DbConnection, credential: &Credential) -> Result<Option<Resolved>, StoreError> {
    Ok(match credential {
        Credential::Session { user_id, session_id } => {
            repo::sessions::principal(conn, *user_id, *session_id)?.map(|principal| Resolved {
                user_id: *user_id,
                session_id: *session_id,
                principal,
                key: None,
                touch_key: None,
            })
        }
        Credential::Key { id, secret_hash } => {
            repo::api_keys::principal(conn, *id, secret_hash)?.map(|k| Resolved {
                user_id: k.user_id,
                session_id: SessionId::from_uuid(id.as_uuid()),
                principal: k.principal,
                key: Some(*id),
                touch_key: repo::api_keys::due_for_touch(k.last_used_at, chrono::Utc::now()).then_some(*id),
            })
        }
    })
}

/// Whether the resolved credential may proceed: an actor, or the refusal.
/// A key that was used is marked so (at most once a minute, after the
/// request's own work, never failing it).
fn admit(
    state: &AppState,
    resolved: Option<&Resolved>,
    may_change_password_only: bool,
) -> Result<Actor, ApiError> {
    let r = resolved.ok_or_else(session_ended)?;
    if r.principal.password_state == PasswordState::ChangeRequired && !may_change_password_only {
        return Err(DomainError::PasswordChangeRequired.into());
    }
    if let Some(key) = r.key {
        state.auth.key_rate.take(key, std::time::Instant::now()).map_err(rate::rate_limited)?;
    }
    if let Some(key) = r.touch_key {
        let db = state.db.clone();
        actix_web::rt::spawn(async move {
            if let Err(e) = web::block(move || db.write(|c| repo::api_keys::touch(c, key))).await {
                tracing::warn!(error = %e, "could not mark an API key used");
            }
        });
    }
    Ok(Actor { user_id: r.user_id, system_role: r.principal.system_role, session_id: r.session_id })
}

/// Check the token's session (or key) and keep the caller's language on the
/// request. `account`: for the caller's own account ([`AccountCaller`]): a
/// session only, also one whose user must change their password.
async fn checked(req: &HttpRequest, account: bool) -> Result<Actor, ApiError> {
    let (state, credential) = if account { account_claims(req)? } else { token_claims(req)? };
    let db = state.db.clone();
    let resolved = web::block(move || db.read(|conn| resolve(conn, &credential))).await??;
    if let Some(r) = &resolved {
        req.extensions_mut().insert(ProfileLocale(r.principal.locale));
    }
    admit(&state, resolved.as_ref(), account)
}

/// The session (or API key) a request's bearer token names, once the token
/// itself is valid (signature, algorithm, expiry, not-before, issuer,
/// audience) or shaped as a key; neither is checked against the database
/// yet. The token is verified once per request ([`tokens::check_request`]).
fn token_claims(req: &HttpRequest) -> Result<(web::Data<AppState>, Credential), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(&"application state missing"))?;
    match tokens::check_request(req, &state.auth.keys) {
        tokens::TokenCheck::Valid { user, session } => {
            Ok((state, Credential::Session { user_id: user, session_id: session }))
        }
        tokens::TokenCheck::Key { id, secret_hash } => Ok((state, Credential::Key { id, secret_hash })),
        tokens::TokenCheck::Missing => {
            Err(ApiError::unauthorized("Send an access token: Authorization: Bearer <token>.")
                .key("unauthorized.missing_token"))
        }
        tokens::TokenCheck::Invalid => {
            Err(ApiError::unauthorized("The access token is not valid.").key("unauthorized.invalid_token"))
        }
    }
}

/// The session a request's access token names, for the calls on the
/// caller's own account (`/me`, sign-out): an API key acts as a service
/// account, which is nobody's to read, change or sign out as itself, so any
/// token shaped as a key is refused (401 `not_an_account`) before the
/// database is asked, live or not.
fn account_claims(req: &HttpRequest) -> Result<(web::Data<AppState>, Credential), ApiError> {
    match token_claims(req)? {
        (_, Credential::Key { .. }) => Err(not_an_account()),
        claims @ (_, Credential::Session { .. }) => Ok(claims),
    }
}

fn not_an_account() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "not_an_account",
        "Not an account",
        "An API key is not an account: this call needs a person's access token (POST /api/v1/auth/login).",
    )
    .with_challenge()
}

fn session_ended() -> ApiError {
    ApiError::unauthorized("The session has ended; sign in again.").key("unauthorized.session_ended")
}

impl FromRequest for CheckedCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { checked(&req, false).await.map(CheckedCaller) })
    }
}

impl FromRequest for AccountCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { checked(&req, true).await.map(AccountCaller) })
    }
}

/// The caller's valid access token, its session not checked yet: its
/// [`CallerToken::read`], [`CallerToken::write`] and [`CallerToken::respond`]
/// check the session (401 when it has ended) in the same blocking call, on
/// the same connection, as the handler's own work, then run the work as the
/// caller: one pool checkout per request. Most handlers take this; those
/// that need the role first take a [`CheckedCaller`].
///
/// On a POST with an `Idempotency-Key` it also carries the key, which its
/// write takes in the same transaction (see [`crate::idempotency`]).
///
/// It admits an API key as well; a call on the caller's own account takes
/// an [`AccountToken`] instead.
#[derive(Debug, Clone)]
pub struct CallerToken {
    credential: Credential,
    key: IdempotencyKey,
    request: HttpRequest,
}

impl CallerToken {
    fn of(req: &HttpRequest, credential: Credential) -> Self {
        CallerToken { credential, key: IdempotencyKey::of(req), request: req.clone() }
    }
}

impl FromRequest for CallerToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(token_claims(req).map(|(_, credential)| CallerToken::of(req, credential)))
    }
}

/// A [`CallerToken`] for a change to the caller's own account (`PATCH /me`):
/// a person's access token only, never an API key (401 `not_an_account`,
/// see `account_claims`); its session is checked with the work as a
/// [`CallerToken`]'s is.
#[derive(Debug, Clone)]
pub struct AccountToken(pub CallerToken);

impl FromRequest for AccountToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(
            account_claims(req).map(|(_, credential)| AccountToken(CallerToken::of(req, credential))),
        )
    }
}

/// Where a unit of work runs.
#[derive(Clone, Copy)]
enum Mode {
    Read,
    Write,
}

impl CallerToken {
    /// Check the session, then run `work` as the caller (401 when the
    /// session has ended, 403 while the caller must change their password).
    async fn run<T, F>(&self, state: &AppState, mode: Mode, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Actor) -> Result<T, StoreError> + Send + 'static,
    {
        let credential = self.credential.clone();
        let work = move |c: &mut DbConnection| as_caller(c, &credential, work);
        let found = match mode {
            Mode::Read => crate::db::read(state, work).await,
            Mode::Write => crate::db::write(state, work).await,
        };
        let (resolved, outcome) = match found {
            Ok(found) => found,
            Err(e) => {
                self.remember_locale(state).await;
                return Err(e);
            }
        };
        if let Some(r) = &resolved {
            self.request.extensions_mut().insert(ProfileLocale(r.principal.locale));
        }
        admit(state, resolved.as_ref(), false)?;
        outcome.ok_or_else(session_ended)
    }

    /// Keep the caller's language on the request after work that failed
    /// before saying who the caller is (problem details follow it).
    async fn remember_locale(&self, state: &AppState) {
        let credential = self.credential.clone();
        let found = crate::db::read(state, move |c| resolve(c, &credential)).await;
        if let Ok(Some(r)) = found {
            self.request.extensions_mut().insert(ProfileLocale(r.principal.locale));
        }
    }

    /// Check the session, then run read-only `work` as the caller.
    pub async fn read<T, F>(self, state: &AppState, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Actor) -> Result<T, StoreError> + Send + 'static,
    {
        self.run(state, Mode::Read, work).await
    }

    /// Run read-only `work` that checks the session itself, in the same
    /// statement as its own read: it gets the token's user and session and
    /// answers `None` when the session is not live (401 then). An API key has
    /// no session: `otherwise` runs as the key's account instead.
    pub async fn read_in_session<T, F, G>(
        self,
        state: &AppState,
        work: F,
        otherwise: G,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, UserId, SessionId) -> Result<Option<T>, StoreError> + Send + 'static,
        G: FnOnce(&mut DbConnection, &Actor) -> Result<T, StoreError> + Send + 'static,
    {
        let Credential::Session { user_id, session_id } = self.credential else {
            return self.run(state, Mode::Read, otherwise).await;
        };
        let found = crate::db::read(state, move |c| work(c, user_id, session_id)).await;
        match found {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(session_ended()),
            Err(e) => {
                self.remember_locale(state).await;
                Err(e)
            }
        }
    }

    /// Check the session, then run `work` as the caller in one write
    /// transaction (nothing is written when the session has ended). For
    /// PATCH and DELETE; a POST uses [`CallerToken::respond`], which takes its
    /// `Idempotency-Key` in the same transaction.
    pub async fn write<T, F>(self, state: &AppState, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Actor) -> Result<T, StoreError> + Send + 'static,
    {
        self.run(state, Mode::Write, work).await
    }

    /// Check the session, then run `work` as the caller and make its
    /// response with `respond`, in one write transaction; with an
    /// `Idempotency-Key`, the key is claimed and the response stored in that
    /// transaction as well.
    pub async fn respond<T, W, R>(
        self,
        state: &AppState,
        work: W,
        respond: R,
    ) -> Result<HttpResponse, ApiError>
    where
        T: Send + 'static,
        W: FnOnce(&mut DbConnection, &Actor) -> Result<T, StoreError> + Send + 'static,
        R: FnOnce(T) -> HttpResponse + Send + 'static,
    {
        let slot = self.key.0.clone();
        let outcome = self
            .run(state, Mode::Write, move |c, actor| {
                idempotency::claim_and_run(c, slot.as_deref(), |c| work(c, actor), respond)
            })
            .await?;
        self.key.settle(outcome)
    }
}

/// The credential's principal and, when it may act, `work` as its user:
/// `None` when the session is not live (the key revoked) or the user must
/// change their password first (nothing is run then).
#[allow(clippy::type_complexity)]
fn as_caller<T>(
    conn: &mut DbConnection,
    credential: &Credential,
    work: impl FnOnce(&mut DbConnection, &Actor) -> Result<T, StoreError>,
) -> Result<(Option<Resolved>, Option<T>), StoreError> {
    let resolved = resolve(conn, credential)?;
    let Some(r) = resolved.as_ref().filter(|r| r.principal.password_state != PasswordState::ChangeRequired)
    else {
        return Ok((resolved, None));
    };
    let actor = Actor { user_id: r.user_id, system_role: r.principal.system_role, session_id: r.session_id };
    work(conn, &actor).map(|done| (resolved, Some(done)))
}

/// The client's address for throttling: the peer, or the first
/// `Forwarded`/`X-Forwarded-For` hop when running behind a trusted proxy.
/// A forwarded value that is not an IP address is ignored (the peer counts),
/// so junk in the header can neither pick a fresh throttling bucket at will
/// nor grow the throttle's keys beyond an address.
pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy {
        let info = req.connection_info();
        let forwarded = info.realip_remote_addr().and_then(|raw| {
            let raw = raw.trim();
            raw.parse::<std::net::IpAddr>()
                .ok()
                .or_else(|| raw.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        });
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}
