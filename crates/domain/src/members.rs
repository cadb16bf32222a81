//! Memberships: who belongs to a programme, in which role.

use chrono::{DateTime, Utc};

use crate::ids::{MembershipId, ProgramId, UserId};
use crate::values::ProgramRole;

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub id: MembershipId,
    pub program_id: ProgramId,
    pub user_id: UserId,
    pub role: ProgramRole,
    pub display_name: String,
    /// `None` when the reader may not see it ([`crate::policy::program::sees_email`]).
    pub email: Option<String>,
    /// The member's position (job title), from their account.
    pub position: Option<String>,
    /// The member's IANA time zone: their "today" for dates and reminders.
    pub time_zone: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy)]
pub struct NewMembership {
    pub program_id: ProgramId,
    pub user_id: UserId,
    pub role: ProgramRole,
}
