//! The people side of the domain: accounts, organisations, programmes and who
//! belongs to them in which role.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{MembershipId, MentorshipId, OrganizationId, ProgramId, UserId};
use crate::values::{Locale, OrganizationKind, ProgramRole, ProgramStatus, SystemRole};

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
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<OrganizationId>,
    pub region: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub id: ProgramId,
    pub code: String,
    pub title: String,
    pub theme: Option<String>,
    pub funder: Option<String>,
    pub partners: Vec<String>,
    pub location: Option<String>,
    pub training_starts_on: NaiveDate,
    pub training_ends_on: NaiveDate,
    pub follow_up_until: NaiveDate,
    pub check_in_cadence_days: i32,
    pub status: ProgramStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A programme together with the caller's own role in it (none for an admin
/// who is not a member).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramView {
    pub program: Program,
    pub my_role: Option<ProgramRole>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub id: MembershipId,
    pub program_id: ProgramId,
    pub user_id: UserId,
    pub role: ProgramRole,
    pub display_name: String,
    pub email: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mentorship {
    pub id: MentorshipId,
    pub program_id: ProgramId,
    pub mentor_id: UserId,
    pub delegate_id: UserId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}
