//! Authentication: the bearer-token extractor, tokens, passwords, throttling.

pub mod passwords;
pub mod throttle;
pub mod tokens;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use followup_domain::ids::{SessionId, UserId};
use followup_domain::Actor;
use followup_persistence::repo;

use crate::problem::ApiError;
use crate::AppState;

/// Settings and keys of the auth layer, shared by all workers.
pub struct AuthState {
    pub keys: tokens::TokenKeys,
    pub throttle: throttle::LoginThrottle,
    pub dummy_hash: passwords::DummyHash,
    pub session_lifetime: chrono::Duration,
    pub trust_proxy: bool,
}

/// The authenticated caller, checked once per request: a valid HS256 access
/// token (signature, algorithm, expiry, not-before, issuer, audience) whose
/// session is not revoked and whose user is active. Anything else is one
/// generic 401 problem+json.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(&"application state missing"))?;
            let token = token.ok_or_else(|| {
                ApiError::unauthorized("Send an access token: Authorization: Bearer <token>.")
                    .key("unauthorized.missing_token")
            })?;
            let claims = state.auth.keys.check(&token).ok_or_else(|| {
                ApiError::unauthorized("The access token is not valid.").key("unauthorized.invalid_token")
            })?;
            let (user_id, session_id) = (UserId::from_uuid(claims.sub), SessionId::from_uuid(claims.sid));
            let db = state.db.clone();
            let role = web::block(move || db.read(|conn| repo::auth::principal(conn, user_id, session_id)))
                .await??;
            let role = role.ok_or_else(|| {
                ApiError::unauthorized("The session has ended; sign in again.")
                    .key("unauthorized.session_ended")
            })?;
            Ok(Caller(Actor { user_id, system_role: role, session_id }))
        })
    }
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
