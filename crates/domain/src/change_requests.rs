//! Change requests: how a running plan changes what its mentor approved.
//! The owner proposes new values with a reason (the end date, the goal, an
//! indicator's baseline or target); a mentor of the owner or a coordinator
//! approves them, which applies them at once, or declines them. One request
//! is open per plan at a time; one made stale by another change cannot be
//! approved. Direct edits of these values on a running plan are refused and
//! point here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldError, Message};
use crate::ids::{ChangeRequestId, IndicatorId, PlanId, ProgramId, UserId};
use crate::values::{ChangeRequestStatus, PlanStatus};

/// New values for one indicator (absent ones stay), and the indicator's
/// version when they were proposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorChange {
    pub indicator_id: IndicatorId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Filled in when the request is made.
    #[serde(default)]
    pub version: i64,
}

/// What a change request would change (absent: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProposedChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<IndicatorChange>,
}

impl ProposedChanges {
    /// Something to change, each indicator named once with a new value.
    pub fn check(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        if self.ends_on.is_none() && self.goal.is_none() && self.indicators.is_empty() {
            errors.push(FieldError::new("changes", "empty", "must propose at least one change"));
        }
        for (i, change) in self.indicators.iter().enumerate() {
            let field = format!("changes.indicators[{i}]");
            if change.baseline.is_none() && change.target.is_none() {
                errors.push(FieldError::new(field.clone(), "empty", "must give a new baseline or target"));
            }
            if [change.baseline, change.target].iter().flatten().any(|v| !v.is_finite()) {
                errors.push(FieldError::new(field.clone(), "invalid", "must be a finite number"));
            }
            if self.indicators.iter().take(i).any(|c| c.indicator_id == change.indicator_id) {
                errors.push(FieldError::new(field, "duplicate", "names an indicator twice"));
            }
        }
        if self.goal.as_deref().is_some_and(|g| g.trim().is_empty()) {
            errors.push(FieldError::new("changes.goal", "blank", "must not be blank"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(errors))
        }
    }
}

/// A change the owner proposes.
#[derive(Debug, Clone)]
pub struct NewChangeRequest {
    pub id: ChangeRequestId,
    pub reason: String,
    pub changes: ProposedChanges,
}

/// A proposed change to a running plan and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRequest {
    pub id: ChangeRequestId,
    pub plan_id: PlanId,
    pub program_id: ProgramId,
    pub requested_by: Option<UserId>,
    pub reason: String,
    pub changes: ProposedChanges,
    pub status: ChangeRequestStatus,
    /// The plan's version when the request was made.
    pub plan_version: i64,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

/// A change request is made on a running plan only.
pub fn require_active(status: PlanStatus) -> Result<(), DomainError> {
    match status {
        PlanStatus::Active => Ok(()),
        other => Err(DomainError::StateConflict {
            code: "invalid_state",
            message: Message::new("invalid_state.change_request_plan").with("status", other.as_str()),
        }),
    }
}

/// Only an open request is decided.
pub fn require_open(status: ChangeRequestStatus) -> Result<(), DomainError> {
    match status {
        ChangeRequestStatus::Open => Ok(()),
        other => Err(DomainError::StateConflict {
            code: "invalid_state",
            message: Message::new("invalid_state.change_request_decided").with("status", other.as_str()),
        }),
    }
}

/// A second request while one is open.
pub fn already_open() -> DomainError {
    DomainError::StateConflict { code: "change_request_open", message: Message::new("change_request_open") }
}

/// The plan (or a named indicator) changed after the request was made.
pub fn stale() -> DomainError {
    DomainError::StateConflict { code: "change_request_stale", message: Message::new("change_request_stale") }
}

/// A direct edit of what a change request governs, on a running plan:
/// `what` is `plan` (end date, goal) or `indicator` (baseline, target).
pub fn required(what: &'static str, plan: PlanId) -> DomainError {
    DomainError::StateConflict {
        code: "change_request_required",
        message: Message::new(if what == "plan" {
            "change_request_required.plan"
        } else {
            "change_request_required.indicator"
        })
        .with("path", format!("/api/v1/plans/{}/change-requests", plan.as_uuid())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_proposes_something_and_names_each_indicator_once() {
        assert!(ProposedChanges::default().check().is_err(), "nothing proposed");
        let id = IndicatorId::new();
        let twice = ProposedChanges {
            indicators: vec![
                IndicatorChange { indicator_id: id, baseline: None, target: Some(30.0), version: 0 },
                IndicatorChange { indicator_id: id, baseline: Some(1.0), target: None, version: 0 },
            ],
            ..ProposedChanges::default()
        };
        assert!(twice.check().is_err());
        let later =
            ProposedChanges { ends_on: NaiveDate::from_ymd_opt(2024, 2, 29), ..ProposedChanges::default() };
        assert!(later.check().is_ok());
        assert!(require_open(ChangeRequestStatus::Declined).is_err());
        assert!(require_active(PlanStatus::Draft).is_err());
    }
}
