//! Row structs: what the tables hold, and their conversion to domain entities.

use diesel::prelude::*;
use followup_domain::entities::{Membership, Mentorship, Organization, Program, User};
use followup_domain::values::{Locale, OrganizationKind, ProgramRole, ProgramStatus, SystemRole};

use super::word;
use crate::error::StoreError;
use crate::schema::*;
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: DbId,
    pub email: String,
    pub display_name: String,
    pub organization_id: Option<DbId>,
    pub position: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub system_role: String,
    pub active: bool,
    pub password_hash: String,
    pub password_changed_at: DbTime,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl UserRow {
    pub fn into_domain(self) -> Result<User, StoreError> {
        Ok(User {
            id: self.id.0.into(),
            email: self.email,
            display_name: self.display_name,
            organization_id: self.organization_id.map(|id| id.0.into()),
            position: self.position,
            locale: word("users.locale", &self.locale, Locale::parse)?,
            time_zone: self.time_zone,
            system_role: word("users.system_role", &self.system_role, SystemRole::parse)?,
            active: self.active,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: DbId,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<DbId>,
    pub region: Option<String>,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl OrganizationRow {
    pub fn into_domain(self) -> Result<Organization, StoreError> {
        Ok(Organization {
            id: self.id.0.into(),
            name: self.name,
            kind: word("organizations.kind", &self.kind, OrganizationKind::parse)?,
            parent_id: self.parent_id.map(|id| id.0.into()),
            region: self.region,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = programs)]
pub struct ProgramRow {
    pub id: DbId,
    pub code: String,
    pub title: String,
    pub theme: Option<String>,
    pub funder: Option<String>,
    pub partners: String,
    pub location: Option<String>,
    pub training_starts_on: chrono::NaiveDate,
    pub training_ends_on: chrono::NaiveDate,
    pub follow_up_until: chrono::NaiveDate,
    pub check_in_cadence_days: i32,
    pub status: String,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl ProgramRow {
    pub fn into_domain(self) -> Result<Program, StoreError> {
        let partners: Vec<String> = serde_json::from_str(&self.partners).map_err(|e| {
            StoreError::Db(diesel::result::Error::DeserializationError(
                format!("programs.partners is not a JSON array of strings: {e}").into(),
            ))
        })?;
        Ok(Program {
            id: self.id.0.into(),
            code: self.code,
            title: self.title,
            theme: self.theme,
            funder: self.funder,
            partners,
            location: self.location,
            training_starts_on: self.training_starts_on,
            training_ends_on: self.training_ends_on,
            follow_up_until: self.follow_up_until,
            check_in_cadence_days: self.check_in_cadence_days,
            status: word("programs.status", &self.status, ProgramStatus::parse)?,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    pub id: DbId,
    pub program_id: DbId,
    pub user_id: DbId,
    pub role: String,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl MembershipRow {
    pub fn into_domain(self, display_name: String, email: String) -> Result<Membership, StoreError> {
        Ok(Membership {
            id: self.id.0.into(),
            program_id: self.program_id.0.into(),
            user_id: self.user_id.0.into(),
            role: word("memberships.role", &self.role, ProgramRole::parse)?,
            display_name,
            email,
            version: self.version,
            created_at: self.created_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentorships)]
pub struct MentorshipRow {
    pub id: DbId,
    pub program_id: DbId,
    pub mentor_id: DbId,
    pub delegate_id: DbId,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl MentorshipRow {
    pub fn into_domain(self) -> Mentorship {
        Mentorship {
            id: self.id.0.into(),
            program_id: self.program_id.0.into(),
            mentor_id: self.mentor_id.0.into(),
            delegate_id: self.delegate_id.0.into(),
            version: self.version,
            created_at: self.created_at.0,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: DbId,
    pub occurred_at: DbTime,
    pub actor_id: Option<DbId>,
    pub entity_type: String,
    pub entity_id: DbId,
    pub program_id: Option<DbId>,
    pub plan_id: Option<DbId>,
    pub action: String,
    pub changes: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: DbId,
    pub user_id: DbId,
    pub created_at: DbTime,
    pub last_used_at: DbTime,
    pub expires_at: DbTime,
    pub revoked_at: Option<DbTime>,
    pub revoked_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: DbId,
    pub session_id: DbId,
    pub token_hash: String,
    pub issued_at: DbTime,
    pub expires_at: DbTime,
    pub rotated_at: Option<DbTime>,
}
