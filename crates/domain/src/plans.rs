//! Action plans: the entity, its workflow (`draft -> submitted ->
//! (changes_requested -> submitted)* -> active -> completed | discontinued`),
//! what may change in which status, and the commands that change a plan.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{DomainError, FieldError, Message};
use crate::ids::{PlanId, ProgramId, UserId};
use crate::values::PlanStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: PlanId,
    pub program_id: ProgramId,
    pub owner_id: UserId,
    pub title: String,
    pub problem_statement: Option<String>,
    pub goal: Option<String>,
    pub target_group: Option<String>,
    pub location: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: PlanStatus,
    pub status_reason: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the mentor approved, kept whatever the plan says now; `None`
    /// until the plan is approved.
    pub approved_original: Option<ApprovedPlan>,
}

/// A plan's end date and goal as approved.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovedPlan {
    pub ends_on: NaiveDate,
    pub goal: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: uuid::Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub entity_type: String,
    pub entity_id: uuid::Uuid,
    pub action: String,
    pub fields: Vec<String>,
    pub reason: Option<String>,
}

/// `draft -> submitted -> (changes_requested -> submitted)* -> active -> completed | discontinued`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    Approve,
    RequestChanges,
    Complete,
    Discontinue,
}

impl Transition {
    /// The action name in the history.
    pub fn action(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::RequestChanges => "request_changes",
            Transition::Complete => "complete",
            Transition::Discontinue => "discontinue",
        }
    }

    pub fn needs_reason(self) -> bool {
        matches!(self, Transition::RequestChanges | Transition::Discontinue)
    }

    /// The status after this transition, or 409 naming the current status.
    pub fn target(self, from: PlanStatus) -> Result<PlanStatus, DomainError> {
        use PlanStatus::*;
        let to = match (self, from) {
            (Transition::Submit, Draft | ChangesRequested) => Submitted,
            (Transition::Approve, Submitted) => Active,
            (Transition::RequestChanges, Submitted) => ChangesRequested,
            (Transition::Complete, Active) => Completed,
            (Transition::Discontinue, Submitted | ChangesRequested | Active) => Discontinued,
            _ => {
                return Err(DomainError::StateConflict {
                    code: "invalid_transition",
                    message: Message::new(self.refusal_key()).with("status", from),
                })
            }
        };
        Ok(to)
    }

    /// The catalogue entry saying this transition is not possible from `{status}`.
    fn refusal_key(self) -> &'static str {
        match self {
            Transition::Submit => "invalid_transition.submit",
            Transition::Approve => "invalid_transition.approve",
            Transition::RequestChanges => "invalid_transition.request_changes",
            Transition::Complete => "invalid_transition.complete",
            Transition::Discontinue => "invalid_transition.discontinue",
        }
    }
}

/// The owner edits the plan's own fields only in `draft` and `changes_requested`.
pub fn require_content_editable(status: PlanStatus) -> Result<(), DomainError> {
    match status {
        PlanStatus::Draft | PlanStatus::ChangesRequested => Ok(()),
        other => Err(state_conflict("invalid_state.edit", other)),
    }
}

/// Activities and indicators: `draft`, `changes_requested` and `active`.
pub fn require_tracking_editable(status: PlanStatus) -> Result<(), DomainError> {
    match status {
        PlanStatus::Draft | PlanStatus::ChangesRequested | PlanStatus::Active => Ok(()),
        other => Err(state_conflict("invalid_state.tracking", other)),
    }
}

/// Measurements and check-ins: only while `active`.
pub fn require_active(status: PlanStatus) -> Result<(), DomainError> {
    match status {
        PlanStatus::Active => Ok(()),
        other => Err(state_conflict("invalid_state.not_active", other)),
    }
}

/// Only drafts are deleted; anything reviewed is kept (discontinue it instead).
pub fn require_deletable(status: PlanStatus) -> Result<(), DomainError> {
    match status {
        PlanStatus::Draft => Ok(()),
        other => Err(state_conflict("invalid_state.delete", other)),
    }
}

/// 409 `invalid_state`, worded by the catalogue entry `key` with the plan's `{status}`.
fn state_conflict(key: &'static str, status: PlanStatus) -> DomainError {
    DomainError::StateConflict { code: "invalid_state", message: Message::new(key).with("status", status) }
}

/// A transition's reason (already checked as text, blank as none): required
/// where the transition needs one.
pub fn transition_reason(t: Transition, reason: Option<String>) -> Result<Option<String>, DomainError> {
    if t.needs_reason() && reason.is_none() {
        return Err(DomainError::invalid("reason", "required", "is required for this transition"));
    }
    Ok(reason)
}

/// The owner-editable fields of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFields {
    pub title: String,
    pub problem_statement: Option<String>,
    pub goal: Option<String>,
    pub target_group: Option<String>,
    pub location: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl PlanFields {
    pub fn check(&self) -> Result<(), DomainError> {
        if self.ends_on < self.starts_on {
            return Err(DomainError::Invalid(vec![FieldError::new(
                "ends_on",
                "before_start",
                "must be on or after starts_on",
            )
            .with("other", "starts_on")]));
        }
        Ok(())
    }

    pub fn of(plan: &Plan) -> Self {
        Self {
            title: plan.title.clone(),
            problem_statement: plan.problem_statement.clone(),
            goal: plan.goal.clone(),
            target_group: plan.target_group.clone(),
            location: plan.location.clone(),
            starts_on: plan.starts_on,
            ends_on: plan.ends_on,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewPlan {
    pub id: PlanId,
    pub program_id: ProgramId,
    pub fields: PlanFields,
}

#[derive(Debug, Clone, Default)]
pub struct PlanChanges {
    pub title: Option<String>,
    pub problem_statement: Option<Option<String>>,
    pub goal: Option<Option<String>>,
    pub target_group: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl PlanChanges {
    pub fn apply(&self, current: &PlanFields) -> Result<PlanFields, DomainError> {
        let next = crate::patched!(
            PlanFields {}, self, current;
            title, problem_statement, goal, target_group, location, starts_on, ends_on
        );
        next.check()?;
        Ok(next)
    }

    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, title, problem_statement, goal, target_group, location, starts_on, ends_on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow() {
        use PlanStatus::*;
        assert_eq!(Transition::Submit.target(Draft), Ok(Submitted));
        assert_eq!(Transition::Submit.target(ChangesRequested), Ok(Submitted));
        assert_eq!(Transition::RequestChanges.target(Submitted), Ok(ChangesRequested));
        assert_eq!(Transition::Approve.target(Submitted), Ok(Active));
        assert_eq!(Transition::Complete.target(Active), Ok(Completed));
        assert_eq!(Transition::Discontinue.target(Active), Ok(Discontinued));
        for (t, from) in [
            (Transition::Approve, Draft),
            (Transition::Complete, Submitted),
            (Transition::Submit, Active),
            (Transition::Discontinue, Completed),
            (Transition::Discontinue, Draft),
        ] {
            match t.target(from) {
                Err(DomainError::StateConflict { code, message }) => {
                    assert_eq!(code, "invalid_transition");
                    assert_eq!(message.param("status"), Some(from.as_str()), "{message}");
                }
                other => panic!("{t:?} from {from:?}: {other:?}"),
            }
        }
    }
}
