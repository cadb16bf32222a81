//! Accounts: the entity and the commands that create and change one.

use chrono::{DateTime, Utc};

use crate::ids::{OrganizationId, UserId};
use crate::patch::{NullablePatch, Patch};
use crate::values::{Email, Locale, NewPassword, PasswordState, SystemRole, TimeZone};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub organization_id: Option<OrganizationId>,
    pub position: Option<String>,
    pub locale: Locale,
    pub time_zone: String,
    pub system_role: SystemRole,
    pub active: bool,
    pub password_state: PasswordState,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    pub organization_id: Option<OrganizationId>,
    pub position: Option<String>,
    pub locale: Locale,
    pub time_zone: TimeZone,
    pub system_role: SystemRole,
    pub password: NewPassword,
    /// `set` for a password the admin chose, `change_required` for a
    /// generated one, `invited` for an account created by invitation (its
    /// password is random and never shown).
    pub password_state: PasswordState,
}

/// Changes to an account. `system_role` and `active` are admin-only and are
/// never accepted from `PATCH /me`.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Patch<String>,
    pub organization_id: NullablePatch<OrganizationId>,
    pub position: NullablePatch<String>,
    pub locale: Patch<Locale>,
    pub time_zone: Patch<TimeZone>,
    pub system_role: Patch<SystemRole>,
    pub active: Patch<bool>,
}

impl UserChanges {
    /// Wire names of the fields this patch touches (for the audit log).
    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, display_name, organization_id, position, locale, time_zone, system_role, active)
    }
}
