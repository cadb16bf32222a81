//! Action plans and what tracks them: entities, who may do what, the
//! workflow, and the commands that change them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{DomainError, FieldError, Message, Validator};
use crate::ids::{ActivityId, CheckInId, CommentId, IndicatorId, MeasurementId, PlanId, ProgramId, UserId};
use crate::policy::Actor;
use crate::values::{
    ActivityStatus, CommentTarget, Direction, Evidence, PlanStatus, ProgramRole, Progress, ReviewStatus,
    Visibility,
};

// ---- entities -----------------------------------------------------------------

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
}

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
}

impl Indicator {
    /// Share of the way from baseline to target, 0–1, for either direction.
    pub fn progress(&self) -> Option<f64> {
        crate::monitoring::indicator_progress(self.baseline, self.target, self.current_value?)
    }
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

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: CommentId,
    pub plan_id: PlanId,
    pub target: Option<(CommentTarget, uuid::Uuid)>,
    pub author_id: UserId,
    pub body: String,
    pub visibility: Visibility,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of a plan's history (its audit events).
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

// ---- who may do what ------------------------------------------------------------

/// How the actor relates to one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRelation {
    pub is_owner: bool,
    /// The actor's role in the plan's programme.
    pub role: Option<ProgramRole>,
    /// The actor mentors the plan's owner in that programme.
    pub mentors_owner: bool,
}

/// The plan policy. Every query that returns plan data applies `can_view`
/// (the list queries express the same rule in SQL; see the persistence layer).
pub mod policy {
    use super::*;

    fn coordinator(rel: &PlanRelation) -> bool {
        rel.role == Some(ProgramRole::Coordinator)
    }

    /// Admins, the owner, the programme's coordinators, the owner's mentors;
    /// observers see every plan but drafts.
    pub fn can_view(actor: &Actor, rel: &PlanRelation, status: PlanStatus) -> bool {
        actor.is_admin()
            || rel.is_owner
            || coordinator(rel)
            || rel.mentors_owner
            || (rel.role == Some(ProgramRole::Observer) && status != PlanStatus::Draft)
    }

    /// `mentors` comments: admins, coordinators, the owner's mentors.
    pub fn sees_mentor_comments(actor: &Actor, rel: &PlanRelation) -> bool {
        actor.is_admin() || coordinator(rel) || rel.mentors_owner
    }

    /// Which plans of one whole programme an actor sees: [`can_view`] for
    /// every plan of the programme at once, for queries that scan it (the
    /// CSV export). The persistence layer writes it as one SQL condition:
    /// `everything OR owner = me OR (non_drafts AND status <> draft) OR
    /// (mentees AND the owner is my mentee)`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ProgramPlanScope {
        pub me: UserId,
        /// Admins and the programme's coordinators.
        pub everything: bool,
        /// Observers: every plan but drafts.
        pub non_drafts: bool,
        /// Mentors: the plans of the delegates they mentor in the programme.
        pub mentees: bool,
    }

    /// The scope of `actor`, whose role in the programme is `role`.
    pub fn program_scope(actor: &Actor, role: Option<ProgramRole>) -> ProgramPlanScope {
        ProgramPlanScope {
            me: actor.user_id,
            everything: actor.is_admin() || role == Some(ProgramRole::Coordinator),
            non_drafts: role == Some(ProgramRole::Observer),
            mentees: role == Some(ProgramRole::Mentor),
        }
    }

    /// 404 unless the actor may see the plan.
    pub fn require_view(actor: &Actor, rel: &PlanRelation, status: PlanStatus) -> Result<(), DomainError> {
        if can_view(actor, rel, status) {
            Ok(())
        } else {
            Err(DomainError::NotFound { entity: "plan" })
        }
    }

    /// 403, worded by the catalogue entry `key` (`forbidden.owner_only`).
    fn forbidden(key: &'static str) -> DomainError {
        DomainError::NotAllowed(Message::new(key))
    }

    /// The plan's content, activities, indicators, measurements and check-ins are the owner's alone.
    pub fn require_owner(rel: &PlanRelation) -> Result<(), DomainError> {
        if rel.is_owner {
            Ok(())
        } else {
            Err(forbidden("forbidden.owner_only"))
        }
    }

    /// Comment: the owner (shared only), the owner's mentors, coordinators.
    pub fn require_comment(rel: &PlanRelation, visibility: Visibility) -> Result<(), DomainError> {
        let staff = coordinator(rel) || rel.mentors_owner;
        match (staff, rel.is_owner, visibility) {
            (true, _, _) | (false, true, Visibility::Shared) => Ok(()),
            (false, true, Visibility::Mentors) => Err(forbidden("forbidden.mentors_comment")),
            _ => Err(forbidden("forbidden.comment")),
        }
    }

    /// Review a check-in: the owner's mentors.
    pub fn require_check_in_review(rel: &PlanRelation) -> Result<(), DomainError> {
        if rel.mentors_owner {
            Ok(())
        } else {
            Err(forbidden("forbidden.review_check_in"))
        }
    }

    /// Who may make a transition.
    pub fn require_transition(rel: &PlanRelation, t: Transition) -> Result<(), DomainError> {
        let allowed = match t {
            Transition::Submit => rel.is_owner,
            Transition::Approve | Transition::RequestChanges => rel.mentors_owner || coordinator(rel),
            Transition::Complete | Transition::Discontinue => {
                rel.is_owner || rel.mentors_owner || coordinator(rel)
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(forbidden(match t {
                Transition::Submit => "forbidden.submit",
                Transition::Approve | Transition::RequestChanges => "forbidden.review_plan",
                Transition::Complete | Transition::Discontinue => "forbidden.close_plan",
            }))
        }
    }
}

// ---- workflow -----------------------------------------------------------------

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

/// A reason for a transition: required where the transition needs one, 1–2000 characters.
pub fn transition_reason(t: Transition, raw: Option<&str>) -> Result<Option<String>, DomainError> {
    let reason =
        crate::values::optional_text("reason", raw, 2000).map_err(|e| DomainError::Invalid(vec![e]))?;
    if t.needs_reason() && reason.is_none() {
        return Err(DomainError::invalid("reason", "required", "is required for this transition"));
    }
    Ok(reason)
}

// ---- commands -----------------------------------------------------------------

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

fn pick<T: Clone>(patch: &Option<T>, old: &T) -> T {
    patch.clone().unwrap_or_else(|| old.clone())
}

impl PlanChanges {
    pub fn apply(&self, current: &PlanFields) -> Result<PlanFields, DomainError> {
        let next = PlanFields {
            title: pick(&self.title, &current.title),
            problem_statement: pick(&self.problem_statement, &current.problem_statement),
            goal: pick(&self.goal, &current.goal),
            target_group: pick(&self.target_group, &current.target_group),
            location: pick(&self.location, &current.location),
            starts_on: pick(&self.starts_on, &current.starts_on),
            ends_on: pick(&self.ends_on, &current.ends_on),
        };
        next.check()?;
        Ok(next)
    }

    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("problem_statement", self.problem_statement.is_some()),
            ("goal", self.goal.is_some()),
            ("target_group", self.target_group.is_some()),
            ("location", self.location.is_some()),
            ("starts_on", self.starts_on.is_some()),
            ("ends_on", self.ends_on.is_some()),
        ]
        .into_iter()
        .filter_map(|(f, set)| set.then_some(f))
        .collect()
    }
}

/// An activity's fields, as created or after a patch.
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
        ActivityFields {
            title: pick(&self.title, &current.title),
            description: pick(&self.description, &current.description),
            starts_on: pick(&self.starts_on, &current.starts_on),
            due_on: pick(&self.due_on, &current.due_on),
            status,
            completed_on,
            position: pick(&self.position, &current.position),
        }
    }

    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("description", self.description.is_some()),
            ("starts_on", self.starts_on.is_some()),
            ("due_on", self.due_on.is_some()),
            ("status", self.status.is_some()),
            ("completed_on", self.completed_on.is_some()),
            ("position", self.position.is_some()),
        ]
        .into_iter()
        .filter_map(|(f, set)| set.then_some(f))
        .collect()
    }
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
        let next = IndicatorFields {
            name: pick(&self.name, &current.name),
            unit: pick(&self.unit, &current.unit),
            baseline: pick(&self.baseline, &current.baseline),
            target: pick(&self.target, &current.target),
            direction: pick(&self.direction, &current.direction),
        };
        next.check()?;
        Ok(next)
    }

    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("unit", self.unit.is_some()),
            ("baseline", self.baseline.is_some()),
            ("target", self.target.is_some()),
            ("direction", self.direction.is_some()),
        ]
        .into_iter()
        .filter_map(|(f, set)| set.then_some(f))
        .collect()
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

#[derive(Debug, Clone)]
pub struct NewCheckIn {
    pub id: CheckInId,
    pub reported_on: NaiveDate,
    pub summary: String,
    pub progress: Progress,
    pub confidence: i32,
    pub achievements: Option<String>,
    pub challenges: Option<String>,
    pub support_needed: Option<String>,
    pub next_steps: Option<String>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone)]
pub struct CheckInReview {
    pub decision: ReviewStatus,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewComment {
    pub id: CommentId,
    pub body: String,
    pub visibility: Visibility,
    pub target: Option<(CommentTarget, uuid::Uuid)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SessionId;
    use crate::values::SystemRole;

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

    #[test]
    fn plan_visibility() {
        let member =
            Actor { user_id: UserId::new(), system_role: SystemRole::Member, session_id: SessionId::new() };
        let rel = |is_owner, role, mentors_owner| PlanRelation { is_owner, role, mentors_owner };
        let d = PlanStatus::Draft;
        assert!(policy::can_view(&member, &rel(true, Some(ProgramRole::Delegate), false), d));
        assert!(
            !policy::can_view(&member, &rel(false, Some(ProgramRole::Delegate), false), d),
            "other delegate"
        );
        assert!(
            policy::can_view(&member, &rel(false, Some(ProgramRole::Mentor), true), d),
            "mentor of owner"
        );
        assert!(
            !policy::can_view(&member, &rel(false, Some(ProgramRole::Mentor), false), d),
            "another mentor"
        );
        assert!(
            !policy::can_view(&member, &rel(false, Some(ProgramRole::Observer), false), d),
            "observer, draft"
        );
        assert!(policy::can_view(
            &member,
            &rel(false, Some(ProgramRole::Observer), false),
            PlanStatus::Submitted
        ));
        assert!(policy::require_comment(&rel(true, Some(ProgramRole::Delegate), false), Visibility::Mentors)
            .is_err());
    }

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
