//! Mentorships: which mentor follows which delegate in a programme (a
//! delegate may have more than one mentor).

use chrono::{DateTime, Utc};

use crate::ids::{MentorshipId, ProgramId, UserId};

#[derive(Debug, Clone, PartialEq)]
pub struct Mentorship {
    pub id: MentorshipId,
    pub program_id: ProgramId,
    pub mentor_id: UserId,
    pub delegate_id: UserId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy)]
pub struct NewMentorship {
    pub id: MentorshipId,
    pub program_id: ProgramId,
    pub mentor_id: UserId,
    pub delegate_id: UserId,
}
