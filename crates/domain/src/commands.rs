//! Commands: validated intentions, built from request bodies by the HTTP
//! layer (`TryFrom`) and carried out by the persistence layer.

use chrono::NaiveDate;

use crate::entities::Program;
use crate::error::{DomainError, FieldError, Validator};
use crate::ids::{MentorshipId, OrganizationId, ProgramId, UserId};
use crate::values::{
    Email, Locale, NewPassword, OrganizationKind, ProgramRole, ProgramStatus, SystemRole, TimeZone,
};

/// A field a PATCH may set, clear (`null`) or leave alone (absent).
pub type Patch<T> = Option<T>;
/// A nullable field a PATCH may set, clear or leave alone.
pub type NullablePatch<T> = Option<Option<T>>;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    pub organization_id: Option<OrganizationId>,
    pub position: Option<String>,
    pub locale: Locale,
    pub time_zone: TimeZone,
    pub system_role: SystemRole,
    pub password: NewPassword,
}

/// Changes to an account. `system_role` and `active` are admin-only and are
/// never accepted from `PATCH /me`.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Patch<String>,
    pub organization_id: NullablePatch<OrganizationId>,
    pub position: NullablePatch<String>,
    pub locale: Patch<Locale>,
    pub time_zone: Patch<TimeZone>,
    pub system_role: Patch<SystemRole>,
    pub active: Patch<bool>,
}

impl UserChanges {
    /// Wire names of the fields this patch touches (for the audit log).
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.display_name.is_some() {
            f.push("display_name")
        }
        if self.organization_id.is_some() {
            f.push("organization_id")
        }
        if self.position.is_some() {
            f.push("position")
        }
        if self.locale.is_some() {
            f.push("locale")
        }
        if self.time_zone.is_some() {
            f.push("time_zone")
        }
        if self.system_role.is_some() {
            f.push("system_role")
        }
        if self.active.is_some() {
            f.push("active")
        }
        f
    }
}

#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<OrganizationId>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrganizationChanges {
    pub name: Patch<String>,
    pub kind: Patch<OrganizationKind>,
    pub parent_id: NullablePatch<OrganizationId>,
    pub region: NullablePatch<String>,
}

impl OrganizationChanges {
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.name.is_some() {
            f.push("name")
        }
        if self.kind.is_some() {
            f.push("kind")
        }
        if self.parent_id.is_some() {
            f.push("parent_id")
        }
        if self.region.is_some() {
            f.push("region")
        }
        f
    }
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
    pub status: ProgramStatus,
}

pub const CADENCE_DAYS: std::ops::RangeInclusive<i32> = 1..=90;

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
        if !CADENCE_DAYS.contains(&self.check_in_cadence_days) {
            v.push(
                FieldError::new("check_in_cadence_days", "out_of_range", "must be between 1 and 90")
                    .with("min", CADENCE_DAYS.start())
                    .with("max", CADENCE_DAYS.end()),
            );
        }
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
            status: program.status,
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
    pub status: Patch<ProgramStatus>,
}

impl ProgramChanges {
    /// Apply to the current fields and check the result.
    pub fn apply(&self, current: &ProgramFields) -> Result<ProgramFields, DomainError> {
        let pick = |patch: &Option<Option<String>>, old: &Option<String>| match patch {
            Some(value) => value.clone(),
            None => old.clone(),
        };
        let next = ProgramFields {
            code: self.code.clone().unwrap_or_else(|| current.code.clone()),
            title: self.title.clone().unwrap_or_else(|| current.title.clone()),
            theme: pick(&self.theme, &current.theme),
            funder: pick(&self.funder, &current.funder),
            partners: self.partners.clone().unwrap_or_else(|| current.partners.clone()),
            location: pick(&self.location, &current.location),
            training_starts_on: self.training_starts_on.unwrap_or(current.training_starts_on),
            training_ends_on: self.training_ends_on.unwrap_or(current.training_ends_on),
            follow_up_until: self.follow_up_until.unwrap_or(current.follow_up_until),
            check_in_cadence_days: self.check_in_cadence_days.unwrap_or(current.check_in_cadence_days),
            status: self.status.unwrap_or(current.status),
        };
        next.check()?;
        Ok(next)
    }

    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.code.is_some() {
            f.push("code")
        }
        if self.title.is_some() {
            f.push("title")
        }
        if self.theme.is_some() {
            f.push("theme")
        }
        if self.funder.is_some() {
            f.push("funder")
        }
        if self.partners.is_some() {
            f.push("partners")
        }
        if self.location.is_some() {
            f.push("location")
        }
        if self.training_starts_on.is_some() {
            f.push("training_starts_on")
        }
        if self.training_ends_on.is_some() {
            f.push("training_ends_on")
        }
        if self.follow_up_until.is_some() {
            f.push("follow_up_until")
        }
        if self.check_in_cadence_days.is_some() {
            f.push("check_in_cadence_days")
        }
        if self.status.is_some() {
            f.push("status")
        }
        f
    }
}

#[derive(Debug, Clone, Copy)]
pub struct NewMembership {
    pub program_id: ProgramId,
    pub user_id: UserId,
    pub role: ProgramRole,
}

#[derive(Debug, Clone, Copy)]
pub struct NewMentorship {
    pub id: MentorshipId,
    pub program_id: ProgramId,
    pub mentor_id: UserId,
    pub delegate_id: UserId,
}
