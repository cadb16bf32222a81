//! Row structs: what the tables hold, and their conversion to domain entities.

use diesel::prelude::*;
use followup_domain::members::Membership;
use followup_domain::mentorships::Mentorship;
use followup_domain::organizations::Organization;
use followup_domain::programs::Program;
use followup_domain::users::User;
use followup_domain::values::{
    Locale, OrganizationKind, PasswordState, ProgramRole, ProgramStatus, SystemRole,
};

use super::parse_stored;
use crate::error::StoreError;
use crate::schema::*;
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: DbId,
    pub email: String,
    pub display_name: String,
    pub organization_id: Option<DbId>,
    pub position: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub system_role: String,
    pub active: bool,
    pub password_hash: String,
    pub password_changed_at: DbTime,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub password_state: String,
}

impl UserRow {
    pub fn into_domain(self) -> Result<User, StoreError> {
        Ok(User {
            id: self.id.0.into(),
            email: self.email,
            display_name: self.display_name,
            organization_id: self.organization_id.map(|id| id.0.into()),
            position: self.position,
            locale: parse_stored("users.locale", &self.locale, Locale::parse)?,
            time_zone: self.time_zone,
            system_role: parse_stored("users.system_role", &self.system_role, SystemRole::parse)?,
            active: self.active,
            password_state: parse_stored("users.password_state", &self.password_state, PasswordState::parse)?,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
#[diesel(treat_none_as_default_value = false)]
pub struct OrganizationRow {
    pub id: DbId,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<DbId>,
    pub region: Option<String>,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl OrganizationRow {
    pub fn into_domain(self) -> Result<Organization, StoreError> {
        Ok(Organization {
            id: self.id.0.into(),
            name: self.name,
            kind: parse_stored("organizations.kind", &self.kind, OrganizationKind::parse)?,
            parent_id: self.parent_id.map(|id| id.0.into()),
            region: self.region,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = programs)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProgramRow {
    pub id: DbId,
    pub code: String,
    pub title: String,
    pub theme: Option<String>,
    pub funder: Option<String>,
    pub partners: String,
    pub location: Option<String>,
    pub training_starts_on: chrono::NaiveDate,
    pub training_ends_on: chrono::NaiveDate,
    pub follow_up_until: chrono::NaiveDate,
    pub check_in_cadence_days: i32,
    pub status: String,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    /// A coordinator set `status`; otherwise the dates give it.
    pub status_set: bool,
}

impl ProgramRow {
    pub fn into_domain(self) -> Result<Program, StoreError> {
        let partners: Vec<String> = serde_json::from_str(&self.partners).map_err(|e| {
            StoreError::Db(diesel::result::Error::DeserializationError(
                format!("programs.partners is not a JSON array of strings: {e}").into(),
            ))
        })?;
        Ok(Program {
            id: self.id.0.into(),
            code: self.code,
            title: self.title,
            theme: self.theme,
            funder: self.funder,
            partners,
            location: self.location,
            training_starts_on: self.training_starts_on,
            training_ends_on: self.training_ends_on,
            follow_up_until: self.follow_up_until,
            check_in_cadence_days: self.check_in_cadence_days,
            status: if self.status_set {
                parse_stored("programs.status", &self.status, ProgramStatus::parse)?
            } else {
                followup_domain::programs::status_by_dates(
                    self.training_starts_on,
                    self.training_ends_on,
                    self.follow_up_until,
                    crate::now().date_naive(),
                )
            },
            status_follows_dates: !self.status_set,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships)]
#[diesel(treat_none_as_default_value = false)]
pub struct MembershipRow {
    pub id: DbId,
    pub program_id: DbId,
    pub user_id: DbId,
    pub role: String,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

/// What a membership shows of its member's account, as selected by
/// [`member_account`]: display name, e-mail, position, time zone.
pub type MemberAccount = (String, String, Option<String>, String);

/// The columns of a [`MemberAccount`].
pub fn member_account() -> (users::display_name, users::email, users::position, users::time_zone) {
    (users::display_name, users::email, users::position, users::time_zone)
}

impl MembershipRow {
    /// The membership, with the member's e-mail only when `sees_email`.
    pub fn into_domain(self, account: MemberAccount, sees_email: bool) -> Result<Membership, StoreError> {
        let (display_name, email, position, time_zone) = account;
        Ok(Membership {
            id: self.id.0.into(),
            program_id: self.program_id.0.into(),
            user_id: self.user_id.0.into(),
            role: parse_stored("memberships.role", &self.role, ProgramRole::parse)?,
            display_name,
            email: sees_email.then_some(email),
            position,
            time_zone,
            version: self.version,
            created_at: self.created_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentorships)]
#[diesel(treat_none_as_default_value = false)]
pub struct MentorshipRow {
    pub id: DbId,
    pub program_id: DbId,
    pub mentor_id: DbId,
    pub delegate_id: DbId,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl MentorshipRow {
    pub fn into_domain(self) -> Mentorship {
        Mentorship {
            id: self.id.0.into(),
            program_id: self.program_id.0.into(),
            mentor_id: self.mentor_id.0.into(),
            delegate_id: self.delegate_id.0.into(),
            version: self.version,
            created_at: self.created_at.0,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: DbId,
    pub occurred_at: DbTime,
    pub actor_id: Option<DbId>,
    pub entity_type: String,
    pub entity_id: DbId,
    pub program_id: Option<DbId>,
    pub plan_id: Option<DbId>,
    pub action: String,
    pub changes: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
#[diesel(treat_none_as_default_value = false)]
pub struct SessionRow {
    pub id: DbId,
    pub user_id: DbId,
    pub created_at: DbTime,
    pub last_used_at: DbTime,
    pub expires_at: DbTime,
    pub revoked_at: Option<DbTime>,
    pub revoked_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(treat_none_as_default_value = false)]
pub struct RefreshTokenRow {
    pub id: DbId,
    pub session_id: DbId,
    pub token_hash: String,
    pub issued_at: DbTime,
    pub expires_at: DbTime,
    pub rotated_at: Option<DbTime>,
}

// ---- plans and what tracks them ---------------------------------------------

pub(crate) fn evidence_from(
    column: &str,
    raw: &str,
) -> Result<Vec<followup_domain::values::Evidence>, StoreError> {
    serde_json::from_str(raw).map_err(|e| {
        StoreError::Db(diesel::result::Error::DeserializationError(
            format!("{column} is not evidence JSON: {e}").into(),
        ))
    })
}

pub(crate) fn evidence_json(evidence: &[followup_domain::values::Evidence]) -> Result<String, StoreError> {
    serde_json::to_string(evidence)
        .map_err(|e| StoreError::Db(diesel::result::Error::SerializationError(Box::new(e))))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = action_plans)]
#[diesel(treat_none_as_default_value = false)]
pub struct PlanRow {
    pub id: DbId,
    pub program_id: DbId,
    pub owner_id: DbId,
    pub title: String,
    pub problem_statement: Option<String>,
    pub goal: Option<String>,
    pub target_group: Option<String>,
    pub location: Option<String>,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub status: String,
    pub status_reason: Option<String>,
    pub submitted_at: Option<DbTime>,
    pub approved_at: Option<DbTime>,
    pub closed_at: Option<DbTime>,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub original_ends_on: Option<chrono::NaiveDate>,
    pub original_goal: Option<String>,
}

impl PlanRow {
    pub fn into_domain(self) -> Result<followup_domain::plans::Plan, StoreError> {
        Ok(followup_domain::plans::Plan {
            id: self.id.0.into(),
            program_id: self.program_id.0.into(),
            owner_id: self.owner_id.0.into(),
            title: self.title,
            problem_statement: self.problem_statement,
            goal: self.goal,
            target_group: self.target_group,
            location: self.location,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            status: parse_stored(
                "action_plans.status",
                &self.status,
                followup_domain::values::PlanStatus::parse,
            )?,
            status_reason: self.status_reason,
            submitted_at: self.submitted_at.map(|t| t.0),
            approved_at: self.approved_at.map(|t| t.0),
            closed_at: self.closed_at.map(|t| t.0),
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            approved_original: self
                .original_ends_on
                .map(|ends_on| followup_domain::plans::ApprovedPlan { ends_on, goal: self.original_goal }),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activities)]
#[diesel(treat_none_as_default_value = false)]
pub struct ActivityRow {
    pub id: DbId,
    pub plan_id: DbId,
    pub title: String,
    pub description: Option<String>,
    pub starts_on: Option<chrono::NaiveDate>,
    pub due_on: Option<chrono::NaiveDate>,
    pub status: String,
    pub completed_on: Option<chrono::NaiveDate>,
    pub position: i32,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl ActivityRow {
    pub fn into_domain(
        self,
        today: chrono::NaiveDate,
    ) -> Result<followup_domain::activities::Activity, StoreError> {
        let status =
            parse_stored("activities.status", &self.status, followup_domain::values::ActivityStatus::parse)?;
        Ok(followup_domain::activities::Activity {
            id: self.id.0.into(),
            plan_id: self.plan_id.0.into(),
            title: self.title,
            description: self.description,
            starts_on: self.starts_on,
            due_on: self.due_on,
            status,
            completed_on: self.completed_on,
            position: self.position,
            overdue: followup_domain::activities::Activity::is_overdue(status, self.due_on, today),
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }

    pub fn fields(&self) -> Result<followup_domain::activities::ActivityFields, StoreError> {
        Ok(followup_domain::activities::ActivityFields {
            title: self.title.clone(),
            description: self.description.clone(),
            starts_on: self.starts_on,
            due_on: self.due_on,
            status: parse_stored(
                "activities.status",
                &self.status,
                followup_domain::values::ActivityStatus::parse,
            )?,
            completed_on: self.completed_on,
            position: self.position,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicators)]
#[diesel(treat_none_as_default_value = false)]
pub struct IndicatorRow {
    pub id: DbId,
    pub plan_id: DbId,
    pub name: String,
    pub unit: Option<String>,
    pub baseline: f64,
    pub target: f64,
    pub direction: String,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub original_baseline: Option<f64>,
    pub original_target: Option<f64>,
}

impl IndicatorRow {
    pub fn into_domain(
        self,
        current_value: Option<f64>,
    ) -> Result<followup_domain::indicators::Indicator, StoreError> {
        Ok(followup_domain::indicators::Indicator {
            id: self.id.0.into(),
            plan_id: self.plan_id.0.into(),
            name: self.name,
            unit: self.unit,
            baseline: self.baseline,
            target: self.target,
            direction: parse_stored(
                "indicators.direction",
                &self.direction,
                followup_domain::values::Direction::parse,
            )?,
            current_value,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            approved_original: self
                .original_baseline
                .zip(self.original_target)
                .map(|(baseline, target)| followup_domain::indicators::ApprovedTarget { baseline, target }),
        })
    }

    pub fn fields(&self) -> Result<followup_domain::indicators::IndicatorFields, StoreError> {
        Ok(followup_domain::indicators::IndicatorFields {
            name: self.name.clone(),
            unit: self.unit.clone(),
            baseline: self.baseline,
            target: self.target,
            direction: parse_stored(
                "indicators.direction",
                &self.direction,
                followup_domain::values::Direction::parse,
            )?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = measurements)]
#[diesel(treat_none_as_default_value = false)]
pub struct MeasurementRow {
    pub id: DbId,
    pub indicator_id: DbId,
    pub value: f64,
    pub measured_on: chrono::NaiveDate,
    pub note: Option<String>,
    pub evidence: String,
    pub recorded_by: DbId,
    pub created_at: DbTime,
    pub version: i64,
    pub updated_at: DbTime,
    pub withdrawn_at: Option<DbTime>,
    pub withdrawn_reason: Option<String>,
}

impl MeasurementRow {
    pub fn into_domain(self) -> Result<followup_domain::indicators::Measurement, StoreError> {
        Ok(followup_domain::indicators::Measurement {
            id: self.id.0.into(),
            indicator_id: self.indicator_id.0.into(),
            value: self.value,
            measured_on: self.measured_on,
            note: self.note,
            evidence: evidence_from("measurements.evidence", &self.evidence)?,
            recorded_by: self.recorded_by.0.into(),
            created_at: self.created_at.0,
            version: self.version,
            updated_at: self.updated_at.0,
            withdrawn: self.withdrawn_at.map(|at| followup_domain::indicators::Withdrawal {
                at: at.0,
                reason: self.withdrawn_reason.unwrap_or_default(),
            }),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = check_ins)]
#[diesel(treat_none_as_default_value = false)]
pub struct CheckInRow {
    pub id: DbId,
    pub plan_id: DbId,
    pub author_id: DbId,
    pub reported_on: chrono::NaiveDate,
    pub summary: String,
    pub progress: String,
    pub confidence: i32,
    pub achievements: Option<String>,
    pub challenges: Option<String>,
    pub support_needed: Option<String>,
    pub next_steps: Option<String>,
    pub evidence: String,
    pub review_status: String,
    pub review_note: Option<String>,
    pub reviewer_id: Option<DbId>,
    pub reviewed_at: Option<DbTime>,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl CheckInRow {
    pub fn into_domain(self) -> Result<followup_domain::check_ins::CheckIn, StoreError> {
        use followup_domain::values::{Progress, ReviewStatus};
        Ok(followup_domain::check_ins::CheckIn {
            id: self.id.0.into(),
            plan_id: self.plan_id.0.into(),
            author_id: self.author_id.0.into(),
            reported_on: self.reported_on,
            summary: self.summary,
            progress: parse_stored("check_ins.progress", &self.progress, Progress::parse)?,
            confidence: self.confidence,
            achievements: self.achievements,
            challenges: self.challenges,
            support_needed: self.support_needed,
            next_steps: self.next_steps,
            evidence: evidence_from("check_ins.evidence", &self.evidence)?,
            review_status: parse_stored("check_ins.review_status", &self.review_status, ReviewStatus::parse)?,
            review_note: self.review_note,
            reviewer_id: self.reviewer_id.map(|r| r.0.into()),
            reviewed_at: self.reviewed_at.map(|t| t.0),
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = comments)]
#[diesel(treat_none_as_default_value = false)]
pub struct CommentRow {
    pub id: DbId,
    pub plan_id: DbId,
    pub target_type: Option<String>,
    pub target_id: Option<DbId>,
    pub author_id: DbId,
    pub body: String,
    pub visibility: String,
    pub version: i64,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl CommentRow {
    pub fn into_domain(self) -> Result<followup_domain::comments::Comment, StoreError> {
        use followup_domain::values::{CommentTarget, Visibility};
        let target = match (self.target_type, self.target_id) {
            (Some(t), Some(id)) => {
                Some((parse_stored("comments.target_type", &t, CommentTarget::parse)?, id.0))
            }
            _ => None,
        };
        Ok(followup_domain::comments::Comment {
            id: self.id.0.into(),
            plan_id: self.plan_id.0.into(),
            target,
            author_id: self.author_id.0.into(),
            body: self.body,
            visibility: parse_stored("comments.visibility", &self.visibility, Visibility::parse)?,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}
