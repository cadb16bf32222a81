//! Indicators of a plan and their measurements: the entities, progress
//! from baseline toward target, and the commands that change them.
//! A measurement is corrected or withdrawn by its author, never deleted: each
//! version a change replaced is kept with who replaced it and why, and a
//! withdrawn measurement stays, marked. An indicator's current value is its
//! latest measurement that is not withdrawn.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{DomainError, FieldError, Message};
use crate::ids::{IndicatorId, MeasurementId, PlanId, UserId};
use crate::values::{not_in_the_future, Direction, Evidence};

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: IndicatorId,
    pub plan_id: PlanId,
    pub name: String,
    pub unit: Option<String>,
    pub baseline: f64,
    pub target: f64,
    pub direction: Direction,
    pub current_value: Option<f64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The baseline and target the plan was approved with (or, for an
    /// indicator added to a running plan, it was added with); `None` before
    /// the plan is approved.
    pub approved_original: Option<ApprovedTarget>,
}

/// An indicator's baseline and target as approved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApprovedTarget {
    pub baseline: f64,
    pub target: f64,
}

impl Indicator {
    /// Share of the way from baseline to target, 0–1, for either direction.
    pub fn progress(&self) -> Option<f64> {
        progress(self.baseline, self.target, self.current_value?)
    }
}

/// Progress from `baseline` toward `target`, in [0, 1], whichever way the
/// target lies (an indicator that should decrease has a target below its
/// baseline). `None` when target equals baseline (nothing to progress).
pub fn progress(baseline: f64, target: f64, current: f64) -> Option<f64> {
    let span = target - baseline;
    if span == 0.0 {
        return None;
    }
    Some(((current - baseline) / span).clamp(0.0, 1.0))
}

/// Progress (current value = latest measurement or the baseline) below the
/// elapsed share of the plan period. An indicator whose target equals its
/// baseline is never behind.
pub fn is_behind_schedule(baseline: f64, target: f64, current: Option<f64>, elapsed: f64) -> bool {
    progress(baseline, target, current.unwrap_or(baseline)).is_some_and(|p| p < elapsed)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub id: MeasurementId,
    pub indicator_id: IndicatorId,
    pub value: f64,
    pub measured_on: NaiveDate,
    pub note: Option<String>,
    pub evidence: Vec<Evidence>,
    pub recorded_by: UserId,
    pub created_at: DateTime<Utc>,
    /// 1 when recorded; one more with each correction or withdrawal.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// When and why its author withdrew it; a withdrawn measurement is never
    /// an indicator's current value.
    pub withdrawn: Option<Withdrawal>,
}

/// When and why a measurement was withdrawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    pub reason: String,
}

impl Measurement {
    /// A withdrawn measurement is kept as it was: it takes no correction
    /// and no second withdrawal (409).
    pub fn require_not_withdrawn(&self) -> Result<(), DomainError> {
        match self.withdrawn {
            None => Ok(()),
            Some(_) => Err(DomainError::StateConflict {
                code: "invalid_state",
                message: Message::new("invalid_state.withdrawn"),
            }),
        }
    }
}

/// A correction of a measurement by its author: the fields sent replace
/// the current ones; `reason` says why (kept with the version replaced).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasurementCorrection {
    pub value: Option<f64>,
    pub measured_on: Option<NaiveDate>,
    /// `Some(None)` clears the note.
    pub note: Option<Option<String>>,
    pub evidence: Option<Vec<Evidence>>,
    pub reason: String,
}

impl MeasurementCorrection {
    /// The fields the correction sets, for the audit.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.value.is_some() {
            out.push("value");
        }
        if self.measured_on.is_some() {
            out.push("measured_on");
        }
        if self.note.is_some() {
            out.push("note");
        }
        if self.evidence.is_some() {
            out.push("evidence");
        }
        out
    }

    /// At least one field to correct, and a `measured_on` not after the plan
    /// owner's today.
    pub fn check(&self, owners_today: NaiveDate) -> Result<(), DomainError> {
        if self.fields().is_empty() {
            return Err(DomainError::invalid(
                "",
                "nothing_to_correct",
                "send at least one of value, measured_on, note, evidence",
            ));
        }
        if let Some(day) = self.measured_on {
            not_in_the_future("measured_on", day, owners_today)?;
        }
        Ok(())
    }
}

/// A version of a measurement that a correction or a withdrawal replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurementVersion {
    pub version: i64,
    pub value: f64,
    pub measured_on: NaiveDate,
    pub note: Option<String>,
    pub evidence: Vec<Evidence>,
    /// When this version was written (recorded or corrected).
    pub updated_at: DateTime<Utc>,
    /// When the next version replaced it, by whom, and why.
    pub replaced_at: DateTime<Utc>,
    pub replaced_by: Option<UserId>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorFields {
    pub name: String,
    pub unit: Option<String>,
    pub baseline: f64,
    pub target: f64,
    pub direction: Direction,
}

impl IndicatorFields {
    pub fn check(&self) -> Result<(), DomainError> {
        if !self.baseline.is_finite() || !self.target.is_finite() {
            return Err(DomainError::invalid(
                "target",
                "not_finite",
                "baseline and target must be finite numbers",
            ));
        }
        let consistent = match self.direction {
            Direction::Increase => self.target > self.baseline,
            Direction::Decrease => self.target < self.baseline,
        };
        if !consistent {
            let (key, message) = match self.direction {
                Direction::Increase => (
                    "inconsistent_direction.increase",
                    "must be greater than baseline for an increasing indicator",
                ),
                Direction::Decrease => (
                    "inconsistent_direction.decrease",
                    "must be less than baseline for a decreasing indicator",
                ),
            };
            return Err(DomainError::Invalid(vec![FieldError::new(
                "target",
                "inconsistent_direction",
                message,
            )
            .key(key)]));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct NewIndicator {
    pub id: IndicatorId,
    pub fields: IndicatorFields,
}

#[derive(Debug, Clone, Default)]
pub struct IndicatorChanges {
    pub name: Option<String>,
    pub unit: Option<Option<String>>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub direction: Option<Direction>,
}

impl IndicatorChanges {
    pub fn apply(&self, current: &IndicatorFields) -> Result<IndicatorFields, DomainError> {
        let next =
            crate::patched!(IndicatorFields {}, self, current; name, unit, baseline, target, direction);
        next.check()?;
        Ok(next)
    }

    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, name, unit, baseline, target, direction)
    }
}

#[derive(Debug, Clone)]
pub struct NewMeasurement {
    pub id: MeasurementId,
    pub value: f64,
    pub measured_on: NaiveDate,
    pub note: Option<String>,
    pub evidence: Vec<Evidence>,
}

impl NewMeasurement {
    /// A measurement is of something observed: `measured_on` is not after
    /// the plan owner's today (else it would become the current value early).
    pub fn check(&self, owners_today: NaiveDate) -> Result<(), DomainError> {
        Ok(not_in_the_future("measured_on", self.measured_on, owners_today)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_follows_direction() {
        let mut i = Indicator {
            id: IndicatorId::new(),
            plan_id: PlanId::new(),
            name: "Youth reached".into(),
            unit: None,
            baseline: 10.0,
            target: 30.0,
            direction: Direction::Increase,
            current_value: Some(20.0),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            approved_original: None,
        };
        assert_eq!(i.progress(), Some(0.5));
        i.current_value = Some(40.0);
        assert_eq!(i.progress(), Some(1.0));
        i.baseline = 40.0;
        i.target = 20.0;
        i.direction = Direction::Decrease;
        i.current_value = Some(35.0);
        assert_eq!(i.progress(), Some(0.25));
        i.current_value = None;
        assert_eq!(i.progress(), None);
    }
}
