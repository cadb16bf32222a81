//! Check-ins: a delegate's periodic report on a plan, and its review by a
//! mentor.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{DomainError, FieldError, Message, Validator};
use crate::ids::{CheckInId, PlanId, UserId};
use crate::values::{not_in_the_future, Evidence, Progress, ReviewStatus};

/// How confident the delegate is that the plan will reach its goal, 0–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confidence(i32);

impl Confidence {
    pub const MIN: i32 = 0;
    pub const MAX: i32 = 10;

    pub fn parse(raw: i32) -> Result<Self, FieldError> {
        if (Self::MIN..=Self::MAX).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(FieldError::new("confidence", "out_of_range", "must be between 0 and 10")
                .with("min", Self::MIN)
                .with("max", Self::MAX))
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub id: CheckInId,
    pub plan_id: PlanId,
    pub author_id: UserId,
    pub reported_on: NaiveDate,
    pub summary: String,
    pub progress: Progress,
    pub confidence: i32,
    pub achievements: Option<String>,
    pub challenges: Option<String>,
    pub support_needed: Option<String>,
    pub next_steps: Option<String>,
    pub evidence: Vec<Evidence>,
    pub review_status: ReviewStatus,
    pub review_note: Option<String>,
    pub reviewer_id: Option<UserId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewCheckIn {
    pub id: CheckInId,
    pub reported_on: NaiveDate,
    pub summary: String,
    pub progress: Progress,
    pub confidence: Confidence,
    pub achievements: Option<String>,
    pub challenges: Option<String>,
    pub support_needed: Option<String>,
    pub next_steps: Option<String>,
    pub evidence: Vec<Evidence>,
}

impl NewCheckIn {
    /// A report is of something done: `reported_on` is not after the plan
    /// owner's today.
    pub fn check(&self, owners_today: NaiveDate) -> Result<(), DomainError> {
        Ok(not_in_the_future("reported_on", self.reported_on, owners_today)?)
    }
}

/// What a revision changes in a check-in; `None` leaves a field as it is
/// (for the optional texts, `Some(None)` clears one).
#[derive(Debug, Clone, Default)]
pub struct CheckInChanges {
    pub reported_on: Option<NaiveDate>,
    pub summary: Option<String>,
    pub progress: Option<Progress>,
    pub confidence: Option<Confidence>,
    pub achievements: Option<Option<String>>,
    pub challenges: Option<Option<String>>,
    pub support_needed: Option<Option<String>>,
    pub next_steps: Option<Option<String>>,
    pub evidence: Option<Vec<Evidence>>,
}

impl CheckInChanges {
    /// The names of the fields this revision sets.
    pub fn touched(&self) -> Vec<&'static str> {
        [
            ("reported_on", self.reported_on.is_some()),
            ("summary", self.summary.is_some()),
            ("progress", self.progress.is_some()),
            ("confidence", self.confidence.is_some()),
            ("achievements", self.achievements.is_some()),
            ("challenges", self.challenges.is_some()),
            ("support_needed", self.support_needed.is_some()),
            ("next_steps", self.next_steps.is_some()),
            ("evidence", self.evidence.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// A revised report is still of something done: `reported_on` is not
    /// after the plan owner's today.
    pub fn check(&self, owners_today: NaiveDate) -> Result<(), DomainError> {
        match self.reported_on {
            Some(on) => Ok(not_in_the_future("reported_on", on, owners_today)?),
            None => Ok(()),
        }
    }
}

/// A check-in is revised by its author only while a mentor has asked for a
/// revision (409 `invalid_state` otherwise): the revision goes back to
/// `pending`, and the version it replaces is kept.
pub fn require_revision_requested(status: ReviewStatus) -> Result<(), DomainError> {
    match status {
        ReviewStatus::RevisionRequested => Ok(()),
        other => Err(DomainError::StateConflict {
            code: "invalid_state",
            message: Message::new("invalid_state.revise").with("status", other.as_str()),
        }),
    }
}

/// A mentor's decision on a check-in: `acknowledged`, or
/// `revision_requested` with a note saying what to change. Never `pending`,
/// which only a new check-in has.
#[derive(Debug, Clone)]
pub struct CheckInReview {
    decision: ReviewStatus,
    note: Option<String>,
}

impl CheckInReview {
    /// Every rule of a review at once: the decision, and the note (already
    /// checked as text, blank as none; required with `revision_requested`).
    pub fn parse(decision: ReviewStatus, note: Option<String>) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        if decision == ReviewStatus::Pending {
            v.push(
                FieldError::new(
                    "decision",
                    "invalid_value",
                    "must be one of: acknowledged, revision_requested",
                )
                .key("invalid_value.choice")
                .with("allowed", "acknowledged, revision_requested"),
            );
        }
        if decision == ReviewStatus::RevisionRequested && note.is_none() {
            v.push(FieldError::new("note", "required", "a note is required when asking for a revision"));
        }
        v.finish(|| Some(Self { decision, note }))
    }

    pub fn decision(&self) -> ReviewStatus {
        self.decision
    }

    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_0_to_10() {
        assert_eq!(Confidence::parse(0).map(Confidence::get), Ok(0));
        assert_eq!(Confidence::parse(10).map(Confidence::get), Ok(10));
        for raw in [-1, 11, i32::MAX] {
            let e = Confidence::parse(raw).err();
            assert_eq!(
                e.as_ref().map(|e| (e.field.as_str(), e.code.as_str())),
                Some(("confidence", "out_of_range"))
            );
        }
    }

    #[test]
    fn a_report_may_be_dated_today_in_the_owners_zone_while_utc_is_still_yesterday() {
        use chrono::TimeZone;
        // 16:00 UTC on 31 August is 01:00 on 1 September in Jayapura (UTC+9).
        let now = Utc.with_ymd_and_hms(2023, 8, 31, 16, 0, 0).single().unwrap_or_default();
        let today = crate::monitoring::today_in("Asia/Jayapura", now);
        let on = |d: u32| NewCheckIn {
            id: CheckInId::new(),
            reported_on: NaiveDate::from_ymd_opt(2023, 9, d).unwrap_or_default(),
            summary: "Workshop held.".into(),
            progress: Progress::OnTrack,
            confidence: Confidence(7),
            achievements: None,
            challenges: None,
            support_needed: None,
            next_steps: None,
            evidence: vec![],
        };
        assert_eq!(on(1).check(today), Ok(()));
        let refused = on(2).check(today);
        assert!(
            matches!(refused, Err(DomainError::Invalid(ref e)) if e.iter().any(|e| e.field == "reported_on" && e.code == "in_the_future")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_review_is_never_pending_and_a_revision_says_why() {
        let pending = CheckInReview::parse(ReviewStatus::Pending, Some("fine".into()));
        assert!(
            matches!(pending, Err(DomainError::Invalid(ref e)) if e.len() == 1 && e.iter().all(|e| e.field == "decision"))
        );
        let bare = CheckInReview::parse(ReviewStatus::RevisionRequested, None);
        assert!(matches!(bare, Err(DomainError::Invalid(ref e)) if e.iter().any(|e| e.field == "note")));
        let ok =
            CheckInReview::parse(ReviewStatus::RevisionRequested, Some("Add the attendance sheet.".into()));
        assert_eq!(ok.as_ref().ok().and_then(CheckInReview::note), Some("Add the attendance sheet."));
        let ack = CheckInReview::parse(ReviewStatus::Acknowledged, None);
        assert_eq!(ack.map(|r| r.decision()), Ok(ReviewStatus::Acknowledged));
    }
}
