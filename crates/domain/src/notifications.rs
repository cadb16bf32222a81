//! E-mail a person receives, and how each kind is turned off: reminders
//! that a check-in is due (in the delegate's morning, by the programme's
//! cadence), that an activity is overdue, and a mentor's weekly digest.
//! Everyone receives every kind until they turn it off.

use chrono::{DateTime, Utc};

use crate::patch::Patch;

/// The kinds of e-mail, as settings and messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    CheckInDue,
    ActivityOverdue,
    WeeklyDigest,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::CheckInDue => "check_in_due",
            MailKind::ActivityOverdue => "activity_overdue",
            MailKind::WeeklyDigest => "weekly_digest",
        }
    }
}

/// What a person receives. `version` is 0 until they first change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationSettings {
    pub check_in_due: bool,
    pub activity_overdue: bool,
    pub weekly_digest: bool,
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self { check_in_due: true, activity_overdue: true, weekly_digest: true, version: 0, updated_at: None }
    }
}

impl NotificationSettings {
    pub fn wants(&self, kind: MailKind) -> bool {
        match kind {
            MailKind::CheckInDue => self.check_in_due,
            MailKind::ActivityOverdue => self.activity_overdue,
            MailKind::WeeklyDigest => self.weekly_digest,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NotificationChanges {
    pub check_in_due: Patch<bool>,
    pub activity_overdue: Patch<bool>,
    pub weekly_digest: Patch<bool>,
}

impl NotificationChanges {
    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, check_in_due, activity_overdue, weekly_digest)
    }
}

/// The local hour from which reminders are sent (a delegate's morning).
pub const MORNING_HOUR: u32 = 7;
