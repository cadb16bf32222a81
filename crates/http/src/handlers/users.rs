//! Accounts: `/users` (admin) — list, create, read, change, deactivate.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use followup_domain::ids::{OrganizationId, UserId};
use followup_domain::users::User;
use followup_domain::users::{NewUser, UserChanges};
use followup_domain::values::{
    AccountTokenPurpose, Email, Locale, NewPassword, PasswordState, SystemRole, TimeZone,
};
use followup_domain::{DomainError, FieldError, Validator};
use followup_persistence::repo::account_tokens;
use followup_persistence::repo::users::{self, UserFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{passwords, tokens, CheckedCaller};
use crate::conditional::created;
use crate::db;
use crate::dto::{list_query, nullable};
use crate::handlers::endpoints::endpoint;
use crate::idempotency::IdempotencyKey;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::text::{check_optional, OptionalText, Text};
use crate::AppState;

/// An account. Never carries a password or its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    #[schema(example = "0193a7b2-5c1e-7d3a-9f00-3b7c2d1e4f50")]
    pub id: Uuid,
    #[schema(example = "young.hong@example.ac.kr")]
    pub email: String,
    #[schema(example = "Prof. Young Joon Hong")]
    pub display_name: String,
    pub organization_id: Option<Uuid>,
    #[schema(example = "Project manager, lecturer in social welfare")]
    pub position: Option<String>,
    pub locale: Locale,
    #[schema(example = "Asia/Seoul")]
    pub time_zone: String,
    pub system_role: SystemRole,
    pub active: bool,
    /// `change_required`: the user must choose their own password before
    /// anything else (every other call answers 403 `password_change_required`);
    /// `invited`: the invitation is not accepted yet.
    pub password_state: PasswordState,
    #[schema(example = 1)]
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email,
            display_name: u.display_name,
            organization_id: u.organization_id.map(|o| o.as_uuid()),
            position: u.position,
            locale: u.locale,
            time_zone: u.time_zone,
            system_role: u.system_role,
            active: u.active,
            password_state: u.password_state,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A new account, onboarded one of three ways: `invite: true` issues a
/// single-use invitation token (returned once as `invitation_token`) with
/// which the user chooses their own password at `POST /auth/password`;
/// without `password`, one is generated, returned once as
/// `initial_password`, and must be changed at the first sign-in; a
/// `password` chosen by the admin is kept as the user's own.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "yohanes.lado@kemensos.go.id",
    "display_name": "Yohanes Lado",
    "position": "Social worker, Sentra Efata Kupang",
    "locale": "id",
    "time_zone": "Asia/Makassar",
    "system_role": "member",
    "invite": true
}))]
pub struct CreateUserBody {
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    #[schema(inline)]
    pub display_name: Text<200>,
    /// 10–128 characters, not the e-mail address, not a common or guessable password.
    #[schema(min_length = 10, max_length = 128)]
    pub password: Option<String>,
    /// Invite the user instead of giving them a password (not with `password`).
    pub invite: Option<bool>,
    pub organization_id: Option<Uuid>,
    #[schema(inline)]
    pub position: Option<OptionalText<200>>,
    /// Default `en`.
    pub locale: Option<Locale>,
    /// IANA name; default `Asia/Jakarta`.
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
    /// Default `member`.
    pub system_role: Option<SystemRole>,
}

/// The created account, with the generated password or the invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserBody {
    #[serde(flatten)]
    pub user: UserBody,
    /// Shown once; only when the request had neither `password` nor
    /// `invite`. Never stored: a replay of the same request
    /// (`Idempotency-Replayed: true`) leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
    /// Shown once, only with `invite: true`; hand it to the user, who sets
    /// their password with it at `POST /auth/password`. Single use; never
    /// stored (only its hash) and left out of a replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_token: Option<String>,
    /// When the invitation expires (with `invitation_token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_expires_at: Option<DateTime<Utc>>,
}

/// Changes to an account (admin). `active: false` deactivates it: its
/// sessions are revoked and its tokens refused at once.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserBody {
    #[schema(inline)]
    pub display_name: Option<Text<200>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub organization_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<200>>, inline)]
    pub position: Option<Option<OptionalText<200>>>,
    pub locale: Option<Locale>,
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
    pub system_role: Option<SystemRole>,
    pub active: Option<bool>,
}

pub(crate) fn user_changes(
    v: &mut Validator,
    display_name: Option<&Text<200>>,
    organization_id: Option<Option<Uuid>>,
    position: Option<Option<&OptionalText<200>>>,
    locale: Option<Locale>,
    time_zone: Option<&str>,
) -> UserChanges {
    UserChanges {
        display_name: display_name.and_then(|n| v.check(n.check("display_name"))),
        organization_id: organization_id.map(|o| o.map(OrganizationId::from_uuid)),
        position: position.map(|p| v.check(check_optional("position", p)).flatten()),
        locale,
        time_zone: time_zone.and_then(|tz| v.check(TimeZone::parse(tz))),
        system_role: None,
        active: None,
    }
}

impl TryFrom<PatchUserBody> for UserChanges {
    type Error = DomainError;
    fn try_from(b: PatchUserBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let mut changes = user_changes(
            &mut v,
            b.display_name.as_ref(),
            b.organization_id,
            b.position.as_ref().map(|p| p.as_ref()),
            b.locale,
            b.time_zone.as_deref(),
        );
        changes.system_role = b.system_role;
        changes.active = b.active;
        v.finish(|| Some(changes))
    }
}

list_query! {
    /// Filters and paging of `GET /users`.
    pub struct ListUsersQuery {
        pub active: Option<bool>,
        pub system_role: Option<SystemRole>,
        pub organization_id: Option<Uuid>,
    }
}

endpoint! {
    /// List accounts (admin).
    list_all list_users "/users" tag "users", CheckedCaller, ListUsersQuery,
    UserBody "A page of accounts", errors(401 "Not signed in", 403 "Not an admin"),
    |c, _, query: ListUsersQuery, page| {
        let filter = UserFilter {
            active: query.active,
            system_role: query.system_role,
            organization_id: query.organization_id.map(OrganizationId::from_uuid),
        };
        users::list(c, &filter, page)
    }
}

/// Create an account (admin).
#[utoipa::path(
    tag = "users",
    request_body = CreateUserBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = CreatedUserBody,
            headers(("Location" = String, description = "The new account's URL"), ("ETag" = String))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    caller: CheckedCaller,
    key: IdempotencyKey,
    state: web::Data<AppState>,
    body: JsonBody<CreateUserBody>,
) -> Result<HttpResponse, ApiError> {
    caller.0.require_admin()?;
    let b = body.0;
    let mut v = Validator::new();
    let email = v.check(Email::parse(&b.email));
    let display_name = v.check(b.display_name.check("display_name"));
    let position = v.check(check_optional("position", b.position.as_ref())).flatten();
    let time_zone = match &b.time_zone {
        Some(tz) => v.check(TimeZone::parse(tz)),
        None => Some(TimeZone::default()),
    };
    let invite = b.invite.unwrap_or(false);
    if invite && b.password.is_some() {
        v.push(FieldError::new("invite", "conflicts_with_password", "cannot be given with a password"));
    }
    let generated = b.password.is_none();
    let raw_password = b.password.unwrap_or_else(passwords::generate);
    let about = [display_name.as_deref().unwrap_or_default(), position.as_deref().unwrap_or_default()];
    let password =
        email.as_ref().and_then(|e| v.check(NewPassword::parse("password", &raw_password, e, &about)));
    let password_state = match (invite, generated) {
        (true, _) => PasswordState::Invited,
        (false, true) => PasswordState::ChangeRequired,
        (false, false) => PasswordState::Set,
    };
    let cmd = v.finish(|| {
        Some(NewUser {
            id: UserId::new(),
            email: email?,
            display_name: display_name?,
            organization_id: b.organization_id.map(OrganizationId::from_uuid),
            position,
            locale: b.locale.unwrap_or(Locale::En),
            time_zone: time_zone?,
            system_role: b.system_role.unwrap_or(SystemRole::Member),
            password: password?,
            password_state,
        })
    })?;
    let secret = cmd.password.clone();
    let hash =
        db::cpu(move || passwords::hash(secret.expose())).await?.map_err(|e| ApiError::internal(&e))?;
    let invitation = invite.then(tokens::new_secret_token);
    let invitation_hash = invitation.as_deref().map(tokens::secret_hash);
    let lifetime = state.auth.invitation_lifetime;
    let actor = caller.0;
    key.respond(
        &state,
        move |c| {
            let user = users::create(c, Some(&actor), &cmd, &hash)?;
            let expires = match &invitation_hash {
                Some(token_hash) => Some(account_tokens::issue(
                    c,
                    Some(&actor),
                    user.id,
                    AccountTokenPurpose::Invitation,
                    token_hash,
                    lifetime,
                )?),
                None => None,
            };
            Ok((user, expires))
        },
        move |(user, invitation_expires_at)| {
            let version = user.version;
            let location = format!("/api/v1/users/{}", user.id);
            let body = CreatedUserBody {
                user: user.into(),
                initial_password: (generated && !invite).then_some(raw_password),
                invitation_token: invitation,
                invitation_expires_at,
            };
            created(location, version, &body)
        },
    )
    .await
}

endpoint! {
    /// Read an account (admin).
    get get_user "/users/{id}" tag "users", UserId "Account id", CheckedCaller,
    UserBody "The account", errors(403 "Not an admin", 404 "No such account"),
    |c, _, id| users::get(c, id)
}

endpoint! {
    /// Change an account (admin): profile, role, `active`. Honours `If-Match`.
    patch patch_user "/users/{id}" tag "users", UserId "Account id", CheckedCaller,
    PatchUserBody => UserChanges::try_from, UserBody "The changed account",
    errors(403 "Not an admin", 404 "No such account", 409 "`last_admin`"),
    users::update
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users).service(create_user).service(get_user).service(patch_user);
}
