//! Choosing a password with a single-use token: an admin (or a programme's
//! coordinator, for its delegates and observers) resets a password at
//! `POST /users/{id}/password-reset`; the user sets their own at
//! `POST /auth/password` with the reset or invitation token and is signed in.
//! A user who forgot their password asks for a token by e-mail at
//! `POST /auth/password-reset`.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use followup_domain::ids::UserId;
use followup_domain::notifications::render;
use followup_domain::values::{AccountTokenPurpose, Email, NewPassword};
use followup_domain::{FieldError, Validator};
use followup_persistence::repo::account_tokens::{self, ResetMethod};
use followup_persistence::repo::mail::{Mail, Recipient, PASSWORD_RESET};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{client_address, passwords, throttle, tokens, CheckedCaller};
use crate::db;
use crate::handlers::sessions::{pair, TokensBody};
use crate::handlers::users::UserBody;
use crate::idempotency::IdempotencyKey;
use crate::json::{JsonBody, OptionalJsonBody};
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// How a reset lets the user back in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResetMethodWord {
    /// A single-use token with which the user chooses a new password (default).
    #[default]
    Token,
    /// A temporary password, to be changed at the next sign-in.
    TemporaryPassword,
}

/// A password reset. No body at all is a reset by token.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "token"}))]
pub struct PasswordResetBody {
    /// Default `token`.
    pub method: Option<ResetMethodWord>,
}

/// What a reset issued. The account's sessions have ended and its old
/// password no longer works.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetIssuedBody {
    pub user: UserBody,
    pub method: ResetMethodWord,
    /// `invitation` when the account had not accepted its invitation yet.
    pub purpose: AccountTokenPurpose,
    /// Shown once (method `token`): hand it to the user, who chooses a new
    /// password with it at `POST /auth/password`. Single use; only its hash
    /// is stored, and a replay of the request leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_token: Option<String>,
    /// When `reset_token` expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Shown once (method `temporary_password`); the user must change it at
    /// their next sign-in. Never stored, left out of a replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
}

/// Choosing a password with an invitation or reset token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "7mB0c2V0LXlvdXItb3duLXBhc3N3b3JkLXBsZWFzZQ", "new_password": "sentra-efata-kupang-2026"}))]
pub struct SetPasswordBody {
    /// The invitation or reset token, as issued.
    #[schema(min_length = 1, max_length = 256)]
    pub token: String,
    /// 10–128 characters, not the e-mail address, not a common or guessable password.
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

/// Reset an account's password (admin; a coordinator for the delegates and
/// observers of a programme they coordinate). Every session of the account
/// ends at once and its old password stops working. With method `token`
/// (default) a single-use token is returned once, valid for the server's
/// reset lifetime (`FOLLOWUP_PASSWORD_RESET_TTL`, default 24 hours; an
/// account that has not accepted its invitation gets a new invitation
/// instead); with `temporary_password` a generated password that must be
/// changed at the next sign-in. Earlier tokens of the account are
/// withdrawn. Audited as `password_reset`.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body(content = Option<PasswordResetBody>, description = "Optional; no body is a reset by token"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reset; the token or temporary password is shown once", body = PasswordResetIssuedBody),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor the account's coordinator, or your own account (use `POST /me/password`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/password-reset")]
pub async fn reset_password(
    caller: CheckedCaller,
    key: IdempotencyKey,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: OptionalJsonBody<PasswordResetBody>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from_uuid(path.into_inner());
    let method_word = body.0.unwrap_or_default().method.unwrap_or_default();
    let (secret, method) =
        db::cpu(move || new_secret(method_word)).await?.map_err(|e| ApiError::internal(&e))?;
    let lifetime = state.auth.reset_lifetime;
    let actor = caller.0;
    key.respond(
        &state,
        move |c| account_tokens::reset_password(c, &actor, id, &method, lifetime),
        move |reset| {
            let token = method_word == ResetMethodWord::Token;
            let body = PasswordResetIssuedBody {
                user: reset.user.into(),
                method: method_word,
                purpose: reset.purpose,
                reset_token: token.then(|| secret.clone()),
                expires_at: reset.expires_at,
                temporary_password: (!token).then_some(secret),
            };
            HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body)
        },
    )
    .await
}

/// The secret a reset shows once (a token or a temporary password), and
/// what is stored for it. With a token, the old password is replaced by a
/// random one nobody knows.
fn new_secret(method: ResetMethodWord) -> Result<(String, ResetMethod), String> {
    Ok(match method {
        ResetMethodWord::Token => {
            let token = tokens::new_secret_token();
            let token_hash = tokens::secret_hash(&token);
            (
                token,
                ResetMethod::Token { token_hash, unusable_hash: passwords::hash(&passwords::generate())? },
            )
        }
        ResetMethodWord::TemporaryPassword => {
            let password = passwords::generate();
            let password_hash = passwords::hash(&password)?;
            (password, ResetMethod::TemporaryPassword { password_hash })
        }
    })
}

fn invalid_token() -> ApiError {
    ApiError::validation(vec![FieldError::new(
        "token",
        "invalid_token",
        "is not a valid invitation or reset token (unknown, used, withdrawn or expired)",
    )])
}

/// Choose your password with an invitation or reset token, and sign in.
/// The token is spent; every earlier session of the account ends; the
/// answer is a new token pair. An unknown, spent, withdrawn or expired token
/// is 422 on `token`, and nothing changes.
#[utoipa::path(
    tag = "auth",
    request_body = SetPasswordBody,
    security(()),
    responses(
        (status = 200, description = "Password set; signed in", body = TokensBody),
        (status = 422, description = "`invalid_token`, or a new password that breaks the policy", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password")]
pub async fn set_password(
    state: web::Data<AppState>,
    body: JsonBody<SetPasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let SetPasswordBody { token, new_password } = body.0;
    let token_hash = tokens::secret_hash(&token);
    let lookup = token_hash.clone();
    let found = db::read(&state, move |c| account_tokens::holder(c, &lookup)).await?;
    let Some((user, _)) = found else { return Err(invalid_token()) };
    let mut v = Validator::new();
    let email = Email::parse(&user.email).map_err(|e| ApiError::internal(&e.message))?;
    let about = [user.display_name.as_str(), user.position.as_deref().unwrap_or_default()];
    let new = v.check(NewPassword::parse("new_password", &new_password, &email, &about));
    let new = v.finish(|| new)?;
    let hash = db::cpu(move || passwords::hash(new.expose())).await?.map_err(|e| ApiError::internal(&e))?;
    let refresh = tokens::new_secret_token();
    let refresh_hash = tokens::secret_hash(&refresh);
    let lifetime = state.auth.session_lifetime;
    let user_id = user.id;
    let session = db::write(&state, move |c| {
        account_tokens::redeem(c, &token_hash, user_id, &hash, &refresh_hash, lifetime)
    })
    .await?
    .ok_or_else(invalid_token)?;
    tracing::info!(user = %user_id, session = %session, "password set with a token");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair(&state, user_id, session, refresh)?))
}

/// A forgotten password: the account's e-mail address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ketut.wirawan@dinsos.ntt.example.id"}))]
pub struct ResetRequestBody {
    #[schema(max_length = 254)]
    pub email: String,
}

/// Forgot your password? Ask for a reset by e-mail. When the address is an
/// active account's, a single-use reset token (valid for
/// `FOLLOWUP_PASSWORD_RESET_TTL`) is e-mailed to it in the account's
/// language, with a link when the server knows the client's page
/// (`FOLLOWUP_PASSWORD_RESET_URL`); the new password is chosen at
/// `POST /auth/password`. The answer is the same 202, after the same time,
/// whether or not an account has the address, so it tells nobody who has
/// one. Nothing changes until the token is used: the password still works
/// and no session ends. At most one message a minute per account; requests
/// are throttled per client address (429). A server that sends no e-mail
/// answers 409 `mail_unavailable` (the server is set up without e-mail).
#[utoipa::path(
    tag = "auth",
    request_body = ResetRequestBody,
    security(()),
    responses(
        (status = 202, description = "If an account has the address, a reset message is on its way"),
        (status = 422, description = "Not an e-mail address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_reset_requests`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 409, description = "`mail_unavailable`: this server sends no e-mail", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ResetRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let Some(by_mail) = &state.auth.reset_by_mail else { return Err(mail_unavailable()) };
    let email = Email::parse(&body.0.email).map_err(|e| ApiError::validation(vec![e]))?;
    let address = client_address(&req, state.auth.trust_proxy);
    if let Some(wait) = by_mail.throttle.blocked(&address, email.as_str()) {
        return Err(throttle::too_many_reset_requests(wait));
    }
    by_mail.throttle.record_failure(&address, email.as_str());
    let token = tokens::new_secret_token();
    let token_hash = tokens::secret_hash(&token);
    let lifetime = state.auth.reset_lifetime;
    let link = by_mail.link.as_ref().map(|l| l.replace("{token}", &token));
    // The work is done after the answer, so an address with an account is
    // answered as fast as one without.
    let st = state.clone();
    actix_web::rt::spawn(async move {
        let compose = move |to: &Recipient, expires_at: DateTime<Utc>| {
            reset_mail(to, &token, link.as_deref(), expires_at)
        };
        let email = email.as_str().to_owned();
        match db::write(&st, move |c| {
            account_tokens::request_reset(c, &email, &token_hash, lifetime, &compose)
        })
        .await
        {
            Ok(Some(user)) => tracing::info!(%user, %address, "password reset e-mailed"),
            Ok(None) => {
                tracing::info!(%address, "password reset asked for no account, or again within a minute")
            }
            Err(e) => tracing::warn!(error = %e, %address, "a password-reset request could not be recorded"),
        }
    });
    Ok(HttpResponse::Accepted().finish())
}

fn mail_unavailable() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "mail_unavailable",
        "Not available on this server",
        "This server sends no e-mail, so a password cannot be reset by e-mail: ask your programme's coordinator or an administrator to reset it.",
    )
}

/// The reset message, in the account's language.
fn reset_mail(to: &Recipient, token: &str, link: Option<&str>, expires_at: DateTime<Utc>) -> Mail {
    let id = to.locale == "id";
    let until = format!("{} UTC", expires_at.format("%Y-%m-%d %H:%M"));
    let mut paragraphs = vec![if id { format!("Halo {},", to.name) } else { format!("Hello {},", to.name) }];
    paragraphs.push(if id {
        "Seseorang (semoga Anda) meminta untuk mengatur ulang kata sandi akun Followup Anda.".to_owned()
    } else {
        "Someone (we hope you) asked to reset the password of your Followup account.".to_owned()
    });
    match link {
        Some(link) => {
            paragraphs.push(if id {
                format!(
                    "Buka tautan ini untuk memilih kata sandi baru (berlaku sampai {until}, sekali pakai):"
                )
            } else {
                format!("Open this link to choose a new password (valid until {until}, once):")
            });
            paragraphs.push(link.to_owned());
        }
        None => {
            paragraphs.push(if id {
                format!("Masukkan kode ini di aplikasi Followup untuk memilih kata sandi baru (berlaku sampai {until}, sekali pakai):")
            } else {
                format!("Enter this code in the Followup app to choose a new password (valid until {until}, once):")
            });
            paragraphs.push(token.to_owned());
        }
    }
    paragraphs.push(if id {
        "Jika Anda tidak memintanya, abaikan email ini: kata sandi Anda tetap berlaku. Email ini dikirim karena ada permintaan atur ulang dan tidak dapat dimatikan.".to_owned()
    } else {
        "If you did not ask, ignore this message: your password still works. It was sent because a reset was requested, and cannot be turned off.".to_owned()
    });
    let (text, html) = render(&paragraphs);
    let subject = if id { "Atur ulang kata sandi Followup Anda" } else { "Reset your Followup password" };
    Mail {
        user_id: to.user_id,
        kind: PASSWORD_RESET,
        to: to.email.clone(),
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(reset_password).service(set_password).service(request_reset);
}
