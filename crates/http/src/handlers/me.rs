//! The caller's own account: `/me`, `/me/password`. Every call here needs a
//! person's access token: an API key is not an account and is refused with
//! 401 `not_an_account` by the extractors ([`AccountCaller`], [`AccountToken`]).

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use followup_domain::policy::Actor;
use followup_domain::users::UserChanges;
use followup_domain::values::{Locale, NewPassword};
use followup_domain::{DomainError, FieldError, Validator};
use followup_persistence::repo::users;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{client_address, passwords, throttle, AccountCaller};
use crate::db;
use crate::dto::nullable;
use crate::handlers::endpoints::endpoint;
use crate::handlers::users::{user_changes, UserBody};
use crate::idempotency::IdempotencyKey;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::{OptionalText, Text};
use crate::AppState;

/// What a user may change about themselves. Role, `active` and e-mail are
/// not here: sending them is a 422 (`unknown_field`), never a silent change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"display_name": "Yohanes Lado", "locale": "id", "time_zone": "Asia/Makassar"}))]
pub struct PatchMeBody {
    #[schema(inline)]
    pub display_name: Option<Text<200>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub organization_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<200>>, inline)]
    pub position: Option<Option<OptionalText<200>>>,
    pub locale: Option<Locale>,
    /// IANA name, e.g. `Asia/Makassar`.
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    pub current_password: String,
    /// 10–128 characters, not the e-mail address, not a common or guessable password.
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

endpoint! {
    /// The signed-in account. `password_state: change_required` says the user
    /// must choose their own password (`POST /me/password`) before anything
    /// else: every other call answers 403 `password_change_required` until then.
    ///
    /// An API key is not an account: it gets 401 `not_an_account` here, as on
    /// every `/me` call and sign-out.
    get_mine get_me "/me" tag "me", UserBody "Your account",
    users::get
}

endpoint! {
    /// Change your profile. Honours `If-Match`.
    ///
    /// An API key gets 401 `not_an_account`: its service account is nobody's
    /// to change.
    patch_mine patch_me "/me" tag "me",
    PatchMeBody => my_changes, UserBody "Your changed account", invalid "Invalid or unknown fields",
    |c, actor: &Actor, changes, expected| users::update(c, actor, actor.user_id, changes, expected)
}

/// The changes a `PATCH /me` asks for, checked.
fn my_changes(b: PatchMeBody) -> Result<UserChanges, DomainError> {
    let mut v = Validator::new();
    let changes = user_changes(
        &mut v,
        b.display_name.as_ref(),
        b.organization_id,
        b.position.as_ref().map(|p| p.as_ref()),
        b.locale,
        b.time_zone.as_deref(),
    );
    v.finish(|| Some(changes))
}

/// Change your password. Needs the current one; every other session of
/// yours is signed out, this one stays.
///
/// An API key gets 401 `not_an_account`: it has no password to change.
#[utoipa::path(
    tag = "me",
    request_body = ChangePasswordBody,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not signed in; `not_an_account` for an API key, which is not an account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password or a new one that breaks the policy", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many wrong current passwords from this address or for this account, as for sign-in", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    req: HttpRequest,
    caller: AccountCaller,
    key: IdempotencyKey,
    state: web::Data<AppState>,
    body: JsonBody<ChangePasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordBody { current_password, new_password } = body.0;
    let id = caller.0.user_id;
    let user = db::read(&state, move |c| users::get(c, id)).await?;
    // The current password is guessed like a sign-in: throttled alike.
    let address = client_address(&req, state.auth.trust_proxy);
    if let Some(wait) = state.auth.throttle.blocked(&address, &user.email) {
        return Err(throttle::too_many_attempts(wait));
    }
    let stored = db::read(&state, move |c| users::password_hash(c, id)).await?;
    let correct = db::cpu(move || passwords::verify(&current_password, &stored)).await?;
    let mut v = Validator::new();
    if !correct {
        state.auth.throttle.record_failure(&address, &user.email);
        v.push(FieldError::new("current_password", "incorrect", "is not your current password"));
    }
    let email =
        followup_domain::values::Email::parse(&user.email).map_err(|e| ApiError::internal(&e.message))?;
    let new = v.check(NewPassword::parse("new_password", &new_password, &email, &[&user.display_name]));
    let new = v.finish(|| new)?;
    let hash = db::cpu(move || passwords::hash(new.expose())).await?.map_err(|e| ApiError::internal(&e))?;
    let actor = caller.0;
    key.respond(
        &state,
        move |c| users::set_password(c, Some(&actor), actor.user_id, &hash, Some(actor.session_id)),
        |()| HttpResponse::NoContent().finish(),
    )
    .await
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me).service(patch_me).service(change_password);
}
