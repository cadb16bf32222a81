//! Programmes: the entity, the rules between its dates and cadence, and the
//! commands that create and change one.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{DomainError, FieldError, Message, Validator};
use crate::ids::ProgramId;
use crate::patch::{NullablePatch, Patch};
use crate::values::{ProgramRole, ProgramStatus};

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
    /// What a coordinator set, or else what the dates say ([`status_by_dates`]).
    pub status: ProgramStatus,
    /// `true` while no coordinator has set the status.
    pub status_follows_dates: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The status a programme's dates give on `today`: `planned` before the
/// training, `training` from its first to its last day, `follow_up` until
/// `follow_up_until`, `closed` after.
pub fn status_by_dates(
    training_starts_on: NaiveDate,
    training_ends_on: NaiveDate,
    follow_up_until: NaiveDate,
    today: NaiveDate,
) -> ProgramStatus {
    if today < training_starts_on {
        ProgramStatus::Planned
    } else if today <= training_ends_on {
        ProgramStatus::Training
    } else if today <= follow_up_until {
        ProgramStatus::FollowUp
    } else {
        ProgramStatus::Closed
    }
}

/// What a programme's rules for plans and check-ins need: its window (the
/// training's first day to the end of follow-up) and whether a coordinator
/// closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramWindow {
    pub training_starts_on: NaiveDate,
    pub follow_up_until: NaiveDate,
    /// A coordinator set the status `closed` (a status that follows the
    /// dates closes by the date rule, in the writer's own time zone).
    pub closed_by_coordinator: bool,
}

impl ProgramWindow {
    pub fn of(program: &Program) -> Self {
        Self {
            training_starts_on: program.training_starts_on,
            follow_up_until: program.follow_up_until,
            closed_by_coordinator: !program.status_follows_dates && program.status == ProgramStatus::Closed,
        }
    }

    /// A programme takes no new plans or check-ins once a coordinator has
    /// set it `closed`, or once its follow-up has ended (`today`, in the
    /// writer's time zone, is after `follow_up_until`): 409 `program_closed`.
    pub fn require_open(&self, today: NaiveDate) -> Result<(), DomainError> {
        let message = if self.closed_by_coordinator {
            Message::new("program_closed.status")
        } else if today > self.follow_up_until {
            Message::new("program_closed.ended").with("date", self.follow_up_until)
        } else {
            return Ok(());
        };
        Err(DomainError::StateConflict { code: "program_closed", message })
    }

    /// A plan's period lies within the programme: from the training's first
    /// day to the end of follow-up (422 on the field outside).
    pub fn check_plan_period(&self, starts_on: NaiveDate, ends_on: NaiveDate) -> Result<(), DomainError> {
        let outside = |field: &str| {
            FieldError::new(field, "outside_program", "must lie within the programme's period")
                .with("start", self.training_starts_on)
                .with("end", self.follow_up_until)
        };
        let mut errors = Vec::new();
        if starts_on < self.training_starts_on || starts_on > self.follow_up_until {
            errors.push(outside("starts_on"));
        }
        if ends_on > self.follow_up_until || ends_on < self.training_starts_on {
            errors.push(outside("ends_on"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(errors))
        }
    }
}

/// A programme together with the caller's own role in it (none for an admin
/// who is not a member).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramWithRole {
    pub program: Program,
    pub my_role: Option<ProgramRole>,
}

/// The fields of a programme, as created or after a patch is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramFields {
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
    /// The status a coordinator set; `None`: the status follows the dates.
    pub status: Option<ProgramStatus>,
}

pub const CADENCE_DAYS: std::ops::RangeInclusive<i32> = 1..=90;

/// Days between expected check-ins: 1 to 90 (parsed at the edge, so a
/// request out of range is refused before anything is read).
pub fn check_cadence(days: i32) -> Result<i32, FieldError> {
    if CADENCE_DAYS.contains(&days) {
        Ok(days)
    } else {
        Err(FieldError::new("check_in_cadence_days", "out_of_range", "must be between 1 and 90")
            .with("min", CADENCE_DAYS.start())
            .with("max", CADENCE_DAYS.end()))
    }
}

impl ProgramFields {
    /// The rules that span fields: training end ≥ start, follow-up until ≥
    /// training end, cadence 1–90 days.
    pub fn check(&self) -> Result<(), DomainError> {
        let mut v = Validator::new();
        if self.training_ends_on < self.training_starts_on {
            v.push(
                FieldError::new("training_ends_on", "before_start", "must be on or after training_starts_on")
                    .with("other", "training_starts_on"),
            );
        }
        if self.follow_up_until < self.training_ends_on {
            v.push(
                FieldError::new(
                    "follow_up_until",
                    "before_training_end",
                    "must be on or after training_ends_on",
                )
                .with("other", "training_ends_on"),
            );
        }
        v.check(check_cadence(self.check_in_cadence_days));
        v.finish(|| Some(()))
    }

    pub fn of(program: &Program) -> Self {
        Self {
            code: program.code.clone(),
            title: program.title.clone(),
            theme: program.theme.clone(),
            funder: program.funder.clone(),
            partners: program.partners.clone(),
            location: program.location.clone(),
            training_starts_on: program.training_starts_on,
            training_ends_on: program.training_ends_on,
            follow_up_until: program.follow_up_until,
            check_in_cadence_days: program.check_in_cadence_days,
            status: (!program.status_follows_dates).then_some(program.status),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewProgram {
    pub id: ProgramId,
    pub fields: ProgramFields,
}

#[derive(Debug, Clone, Default)]
pub struct ProgramChanges {
    pub code: Patch<String>,
    pub title: Patch<String>,
    pub theme: NullablePatch<String>,
    pub funder: NullablePatch<String>,
    pub partners: Patch<Vec<String>>,
    pub location: NullablePatch<String>,
    pub training_starts_on: Patch<NaiveDate>,
    pub training_ends_on: Patch<NaiveDate>,
    pub follow_up_until: Patch<NaiveDate>,
    pub check_in_cadence_days: Patch<i32>,
    /// `Some(None)`: the status follows the dates again.
    pub status: NullablePatch<ProgramStatus>,
}

impl ProgramChanges {
    /// Apply to the current fields and check the result.
    pub fn apply(&self, current: &ProgramFields) -> Result<ProgramFields, DomainError> {
        let next = crate::patched!(
            ProgramFields {}, self, current;
            code, title, theme, funder, partners, location, training_starts_on, training_ends_on,
            follow_up_until, check_in_cadence_days, status,
        );
        next.check()?;
        Ok(next)
    }

    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(
            self,
            code,
            title,
            theme,
            funder,
            partners,
            location,
            training_starts_on,
            training_ends_on,
            follow_up_until,
            check_in_cadence_days,
            status
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn the_status_follows_the_dates_day_by_day() {
        let (start, end, until) = (date("2023-05-08"), date("2023-05-19"), date("2024-05-19"));
        let on = |day: &str| status_by_dates(start, end, until, date(day));
        assert_eq!(on("2023-05-07"), ProgramStatus::Planned);
        assert_eq!(on("2023-05-08"), ProgramStatus::Training);
        assert_eq!(on("2023-05-19"), ProgramStatus::Training);
        assert_eq!(on("2023-05-20"), ProgramStatus::FollowUp);
        assert_eq!(on("2024-05-19"), ProgramStatus::FollowUp);
        assert_eq!(on("2024-05-20"), ProgramStatus::Closed);
    }

    #[test]
    fn only_a_coordinator_closes_a_programme_before_its_follow_up_ends() {
        let window = |closed_by_coordinator| ProgramWindow {
            training_starts_on: date("2023-05-08"),
            follow_up_until: date("2024-05-19"),
            closed_by_coordinator,
        };
        assert!(window(false).require_open(date("2024-05-19")).is_ok());
        assert!(window(true).require_open(date("2024-05-19")).is_err());
        assert!(window(false).require_open(date("2024-05-20")).is_err(), "the date rule closes it");
    }
}
