//! Sign-in: `/auth/login`, `/auth/refresh`, `/auth/logout`.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use followup_domain::ids::{SessionId, UserId};
use followup_persistence::repo::sessions::{self as sessions, Refreshed};
use followup_persistence::repo::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{client_address, passwords, throttle, tokens, AccountCaller};
use crate::db;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[schema(example = "yohanes.lado@kemensos.go.id")]
    pub email: String,
    #[schema(example = "kupang-rehab-2023")]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The refresh token from the last login or refresh; it is spent by this call.
    pub refresh_token: String,
}

/// A token pair.
#[derive(Serialize, ToSchema)]
pub struct TokensBody {
    /// HS256 JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque; exchange it at `/auth/refresh` for a new pair. Single use.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "Unauthorized",
        "The e-mail or password is wrong.",
    )
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
        "Unauthorized",
        "The refresh token is not valid (unknown, used, expired or revoked). Sign in again.",
    )
}

pub(crate) fn pair(
    state: &AppState,
    user: UserId,
    session: SessionId,
    refresh_token: String,
) -> Result<TokensBody, ApiError> {
    let access = state.auth.keys.issue(user, session).map_err(|e| ApiError::internal(&e))?;
    Ok(TokensBody {
        access_token: access,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.auth.keys.access_ttl_secs,
    })
}

/// Sign in with e-mail and password. A wrong password and an unknown e-mail
/// get the same 401 after the same work. Failed attempts are counted per
/// client address and per account; past the limit the answer is 429 with
/// `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in", body = TokensBody),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let LoginBody { email, password } = body.0;
    let address = client_address(&req, state.auth.trust_proxy);
    if let Some(wait) = state.auth.throttle.blocked(&address, &email) {
        return Err(throttle::too_many_attempts(wait));
    }
    let lookup = email.clone();
    let found = db::read(&state, move |c| users::for_login(c, &lookup)).await?;
    let st = state.clone();
    let user = db::cpu(move || match found {
        Some((user, hash)) => (passwords::verify(&password, &hash) && user.active).then_some(user),
        None => {
            st.auth.dummy_hash.burn(&password);
            None
        }
    })
    .await?;
    let Some(user) = user else {
        state.auth.throttle.record_failure(&address, &email);
        tracing::info!(%address, "failed sign-in");
        return Err(invalid_credentials());
    };
    state.auth.throttle.record_success(&address, &email);
    let new_token = tokens::new_secret_token();
    let hash = tokens::secret_hash(&new_token);
    let lifetime = state.auth.session_lifetime;
    let user_id = user.id;
    let session = db::write(&state, move |c| sessions::start_session(c, user_id, &hash, lifetime)).await?;
    tracing::info!(user = %user.id, session = %session, "signed in");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair(&state, user.id, session, new_token)?))
}

/// Exchange a refresh token for a new pair. The presented token is spent;
/// presenting a spent token again revokes its whole session (theft
/// detection) and every token of it stops working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A new pair", body = TokensBody),
        (status = 401, description = "`invalid_refresh_token`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: JsonBody<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let presented = tokens::secret_hash(&body.0.refresh_token);
    let next = tokens::new_secret_token();
    let next_hash = tokens::secret_hash(&next);
    let outcome = db::write(&state, move |c| sessions::rotate(c, &presented, &next_hash)).await?;
    match outcome {
        Refreshed::Rotated { user, session_id } => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(pair(&state, user.id, session_id, next)?)),
        Refreshed::ReuseDetected | Refreshed::Invalid => Err(invalid_refresh()),
    }
}

/// Sign out: the session of this access token ends; its access and refresh
/// tokens stop working at once.
///
/// An API key has no session to end: it gets 401 `not_an_account` (a key is
/// revoked at `POST /api-keys/{id}/revoke`).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in; `not_an_account` for an API key, which is not an account", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(caller: AccountCaller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let session = caller.0.session_id;
    db::write(&state, move |c| sessions::revoke_session(c, session, "logout")).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}
