//! Activities of a plan: the entity, the overdue rule, and the commands
//! that add and change one.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{DomainError, FieldError, Validator};
use crate::ids::{ActivityId, PlanId};
use crate::patch::pick;
use crate::values::ActivityStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: ActivityId,
    pub plan_id: PlanId,
    pub title: String,
    pub description: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub status: ActivityStatus,
    pub completed_on: Option<NaiveDate>,
    pub position: i32,
    /// Due before today (in the owner's time zone) and neither done nor cancelled.
    pub overdue: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Activity {
    pub fn is_overdue(status: ActivityStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
        !matches!(status, ActivityStatus::Done | ActivityStatus::Cancelled)
            && due_on.is_some_and(|d| d < today)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityFields {
    pub title: String,
    pub description: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub status: ActivityStatus,
    pub completed_on: Option<NaiveDate>,
    pub position: i32,
}

impl ActivityFields {
    /// Dates inside the plan's period and in order; `completed_on` only when done.
    pub fn check(&self, plan_starts: NaiveDate, plan_ends: NaiveDate) -> Result<(), DomainError> {
        let mut v = Validator::new();
        let inside = |d: NaiveDate| d >= plan_starts && d <= plan_ends;
        let outside = |field: &str| {
            FieldError::new(
                field,
                "outside_plan_period",
                format!("must be within the plan's period, {plan_starts} to {plan_ends}"),
            )
            .with("start", plan_starts)
            .with("end", plan_ends)
        };
        if self.starts_on.is_some_and(|d| !inside(d)) {
            v.push(outside("starts_on"));
        }
        if self.due_on.is_some_and(|d| !inside(d)) {
            v.push(outside("due_on"));
        }
        if let (Some(s), Some(d)) = (self.starts_on, self.due_on) {
            if d < s {
                v.push(
                    FieldError::new("due_on", "before_start", "must be on or after starts_on")
                        .with("other", "starts_on"),
                );
            }
        }
        if self.completed_on.is_some() && self.status != ActivityStatus::Done {
            v.push(FieldError::new("completed_on", "not_done", "is set only when the status is done"));
        }
        v.finish(|| Some(()))
    }
}

#[derive(Debug, Clone)]
pub struct NewActivity {
    pub id: ActivityId,
    pub fields: ActivityFields,
}

#[derive(Debug, Clone, Default)]
pub struct ActivityChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub starts_on: Option<Option<NaiveDate>>,
    pub due_on: Option<Option<NaiveDate>>,
    pub status: Option<ActivityStatus>,
    pub completed_on: Option<Option<NaiveDate>>,
    pub position: Option<i32>,
}

impl ActivityChanges {
    /// Apply; becoming `done` stamps `completed_on` with `today` unless given,
    /// leaving `done` clears it.
    pub fn apply(&self, current: &ActivityFields, today: NaiveDate) -> ActivityFields {
        let status = pick(&self.status, &current.status);
        let completed_on = match (status, self.completed_on) {
            (ActivityStatus::Done, Some(given)) => given.or(Some(today)),
            (ActivityStatus::Done, None) => current.completed_on.or(Some(today)),
            (_, Some(given)) => given,
            (_, None) => None,
        };
        crate::patched!(
            ActivityFields { status, completed_on }, self, current;
            title, description, starts_on, due_on, position
        )
    }

    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, title, description, starts_on, due_on, status, completed_on, position)
    }
}
