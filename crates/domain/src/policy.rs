//! Who may do what. One place answers "may this actor see / change this";
//! the persistence layer applies the same rules inside its queries (through
//! [`ProgramScope`]), so a list can never show a row a single read refuses.

use crate::error::{DomainError, Message};
use crate::ids::{SessionId, UserId};
use crate::values::{ProgramRole, SystemRole};

/// The authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub system_role: SystemRole,
    pub session_id: SessionId,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.system_role == SystemRole::Admin
    }

    /// Admin-only actions: 404 for everyone else would hide that the
    /// endpoint exists, which is pointless for a documented route; 403 says
    /// plainly that the role is insufficient.
    pub fn require_admin(&self) -> Result<(), DomainError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(DomainError::NotAllowed(Message::new("forbidden.admin_only")))
        }
    }
}

/// Which programmes a query may return for an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramScope {
    /// Every programme (admins).
    All,
    /// Only programmes this user is a member of, in any role.
    MemberOf(UserId),
}

impl ProgramScope {
    pub fn for_actor(actor: &Actor) -> Self {
        if actor.is_admin() {
            ProgramScope::All
        } else {
            ProgramScope::MemberOf(actor.user_id)
        }
    }
}

/// What is a person's own in a programme (their e-mail, their survey
/// answers): admins, the programme's coordinators, the person and their
/// mentors see it.
fn sees_private(actor: &Actor, role: Option<ProgramRole>, person: UserId, mentors_person: bool) -> bool {
    actor.is_admin() || role == Some(ProgramRole::Coordinator) || actor.user_id == person || mentors_person
}

/// Programme-level permissions, given the actor's role in that programme.
pub mod program {
    use super::*;

    /// Admins see every programme; members see theirs; anyone else gets 404.
    pub fn can_view(actor: &Actor, role: Option<ProgramRole>) -> bool {
        actor.is_admin() || role.is_some()
    }

    /// Edit the programme and manage its members and mentorships:
    /// admins and the programme's coordinators.
    pub fn can_manage(actor: &Actor, role: Option<ProgramRole>) -> bool {
        actor.is_admin() || role == Some(ProgramRole::Coordinator)
    }

    /// Check visibility (404) then management (403).
    pub fn require_manage(actor: &Actor, role: Option<ProgramRole>) -> Result<(), DomainError> {
        if !can_view(actor, role) {
            return Err(DomainError::NotFound { entity: "program" });
        }
        if !can_manage(actor, role) {
            return Err(DomainError::NotAllowed(Message::new("forbidden.manage_program")));
        }
        Ok(())
    }

    /// A member's e-mail address: admins, the programme's coordinators, the
    /// member themself and the member's mentors. Delegates and observers see
    /// names and roles only.
    pub fn sees_email(
        actor: &Actor,
        role: Option<ProgramRole>,
        member: UserId,
        mentors_member: bool,
    ) -> bool {
        super::sees_private(actor, role, member, mentors_member)
    }

    pub fn require_view(actor: &Actor, role: Option<ProgramRole>) -> Result<(), DomainError> {
        if can_view(actor, role) {
            Ok(())
        } else {
            Err(DomainError::NotFound { entity: "program" })
        }
    }
}

/// Follow-up surveys: coordinators define rounds; delegates answer; a
/// response is read by its respondent, their mentors and coordinators;
/// results (aggregates) by coordinators, mentors and observers.
pub mod survey {
    use super::*;

    /// Who reads one round's responses and results, and how much.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Reader {
        /// Individual responses only of this user's mentees (a mentor);
        /// `None`: of every delegate (coordinators, admins).
        pub mentees_of: Option<UserId>,
        /// May read individual responses at all.
        pub individuals: bool,
        /// May read the free-text answers in the results.
        pub texts: bool,
    }

    /// Define, change or remove a programme's rounds: coordinators and admins.
    pub fn require_define(actor: &Actor, role: Option<ProgramRole>) -> Result<(), DomainError> {
        program::require_manage(actor, role)
    }

    /// Answer a round: the programme's delegates, for themselves.
    pub fn require_answer(actor: &Actor, role: Option<ProgramRole>) -> Result<(), DomainError> {
        program::require_view(actor, role)?;
        if role == Some(ProgramRole::Delegate) {
            Ok(())
        } else {
            Err(DomainError::NotAllowed(Message::new("forbidden.survey_answer")))
        }
    }

    /// Read a round's results and who answered: coordinators, admins and
    /// mentors (individuals only of their mentees); observers the
    /// aggregates, with the free texts only when the round allows it;
    /// delegates read their own answers only (403).
    pub fn reader(
        actor: &Actor,
        role: Option<ProgramRole>,
        observers_see_text: bool,
    ) -> Result<Reader, DomainError> {
        program::require_view(actor, role)?;
        if actor.is_admin() || role == Some(ProgramRole::Coordinator) {
            return Ok(Reader { mentees_of: None, individuals: true, texts: true });
        }
        match role {
            Some(ProgramRole::Mentor) => {
                Ok(Reader { mentees_of: Some(actor.user_id), individuals: true, texts: true })
            }
            Some(ProgramRole::Observer) => {
                Ok(Reader { mentees_of: None, individuals: false, texts: observers_see_text })
            }
            _ => Err(DomainError::NotAllowed(Message::new("forbidden.survey_results"))),
        }
    }

    /// Read one delegate's response: the delegate, their mentors in the
    /// programme, its coordinators and admins.
    pub fn sees_response(
        actor: &Actor,
        role: Option<ProgramRole>,
        respondent: UserId,
        mentors_respondent: bool,
    ) -> bool {
        super::sees_private(actor, role, respondent, mentors_respondent)
    }
}

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
pub mod plan {
    use super::*;
    use crate::plans::Transition;
    use crate::values::{AttachmentParent, PlanStatus, Visibility};

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

    /// Attach a file: to a check-in, activity or measurement its plan's
    /// owner; to a comment its author; while the plan is neither completed
    /// nor discontinued.
    pub fn require_attach(
        rel: &PlanRelation,
        status: PlanStatus,
        parent: AttachmentParent,
        comment_author: bool,
    ) -> Result<(), DomainError> {
        let allowed = match parent {
            AttachmentParent::Comment => comment_author,
            AttachmentParent::CheckIn | AttachmentParent::Activity | AttachmentParent::Measurement => {
                rel.is_owner
            }
        };
        if !allowed {
            return Err(forbidden("forbidden.attach"));
        }
        require_open_for_files(status)
    }

    /// Remove a file: its uploader, while the plan is open.
    pub fn require_remove_file(uploader: bool, status: PlanStatus) -> Result<(), DomainError> {
        if !uploader {
            return Err(forbidden("forbidden.remove_file"));
        }
        require_open_for_files(status)
    }

    fn require_open_for_files(status: PlanStatus) -> Result<(), DomainError> {
        if matches!(status, PlanStatus::Completed | PlanStatus::Discontinued) {
            Err(forbidden("forbidden.plan_closed_files"))
        } else {
            Ok(())
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

/// The part of a programme a monitoring view covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonitoringScope {
    /// Only the delegates this user mentors in the programme.
    pub mentees_of: Option<UserId>,
    /// Leave draft plans out (observers never see drafts).
    pub hide_drafts: bool,
}

/// Coordinators, observers and admins see the whole programme (observers
/// without drafts), a mentor his mentees; a delegate may see the programme but
/// not its aggregates (403); anyone else gets 404.
pub fn monitoring_scope(actor: &Actor, role: Option<ProgramRole>) -> Result<MonitoringScope, DomainError> {
    program::require_view(actor, role)?;
    if actor.is_admin() {
        return Ok(MonitoringScope { mentees_of: None, hide_drafts: false });
    }
    match role {
        Some(ProgramRole::Coordinator) => Ok(MonitoringScope { mentees_of: None, hide_drafts: false }),
        Some(ProgramRole::Observer) => Ok(MonitoringScope { mentees_of: None, hide_drafts: true }),
        Some(ProgramRole::Mentor) => {
            Ok(MonitoringScope { mentees_of: Some(actor.user_id), hide_drafts: false })
        }
        _ => Err(DomainError::NotAllowed(crate::Message::new("forbidden.monitoring"))),
    }
}

/// The outcome report of a programme: who reads the monitoring figures
/// reads it ([`monitoring_scope`]: coordinators, observers and admins the
/// whole programme, a mentor his mentees, a delegate 403, anyone else 404),
/// and it leaves drafts out for everyone.
pub fn outcome_report_scope(
    actor: &Actor,
    role: Option<ProgramRole>,
) -> Result<MonitoringScope, DomainError> {
    let scope = monitoring_scope(actor, role)?;
    Ok(MonitoringScope { hide_drafts: true, ..scope })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{PlanStatus, Visibility};

    fn actor(role: SystemRole) -> Actor {
        Actor { user_id: UserId::new(), system_role: role, session_id: SessionId::new() }
    }

    #[test]
    fn programme_matrix() {
        let member = actor(SystemRole::Member);
        let admin = actor(SystemRole::Admin);
        assert!(program::can_view(&admin, None));
        assert!(program::can_manage(&admin, None));
        assert!(!program::can_view(&member, None));
        for role in ProgramRole::ALL {
            assert!(program::can_view(&member, Some(*role)));
            assert_eq!(program::can_manage(&member, Some(*role)), *role == ProgramRole::Coordinator);
        }
        assert_eq!(program::require_manage(&member, None), Err(DomainError::NotFound { entity: "program" }));
        assert!(matches!(
            program::require_manage(&member, Some(ProgramRole::Delegate)),
            Err(DomainError::NotAllowed(_))
        ));
    }

    #[test]
    fn plan_visibility() {
        let member =
            Actor { user_id: UserId::new(), system_role: SystemRole::Member, session_id: SessionId::new() };
        let rel = |is_owner, role, mentors_owner| PlanRelation { is_owner, role, mentors_owner };
        let d = PlanStatus::Draft;
        assert!(plan::can_view(&member, &rel(true, Some(ProgramRole::Delegate), false), d));
        assert!(
            !plan::can_view(&member, &rel(false, Some(ProgramRole::Delegate), false), d),
            "other delegate"
        );
        assert!(plan::can_view(&member, &rel(false, Some(ProgramRole::Mentor), true), d), "mentor of owner");
        assert!(!plan::can_view(&member, &rel(false, Some(ProgramRole::Mentor), false), d), "another mentor");
        assert!(
            !plan::can_view(&member, &rel(false, Some(ProgramRole::Observer), false), d),
            "observer, draft"
        );
        assert!(plan::can_view(
            &member,
            &rel(false, Some(ProgramRole::Observer), false),
            PlanStatus::Submitted
        ));
        assert!(plan::require_comment(&rel(true, Some(ProgramRole::Delegate), false), Visibility::Mentors)
            .is_err());
    }

    #[test]
    fn the_outcome_report_never_shows_drafts() {
        let member = actor(SystemRole::Member);
        assert!(matches!(
            outcome_report_scope(&member, Some(ProgramRole::Delegate)),
            Err(DomainError::NotAllowed(_))
        ));
        assert_eq!(outcome_report_scope(&member, None), Err(DomainError::NotFound { entity: "program" }));
        for role in [ProgramRole::Coordinator, ProgramRole::Observer, ProgramRole::Mentor] {
            assert!(outcome_report_scope(&member, Some(role)).is_ok_and(|s| s.hide_drafts), "{role}");
        }
        assert!(outcome_report_scope(&actor(SystemRole::Admin), None).is_ok_and(|s| s.hide_drafts));
    }

    #[test]
    fn who_sees_the_aggregates() {
        let member = actor(SystemRole::Member);
        let admin = actor(SystemRole::Admin);
        assert_eq!(monitoring_scope(&member, None), Err(DomainError::NotFound { entity: "program" }));
        assert!(matches!(
            monitoring_scope(&member, Some(ProgramRole::Delegate)),
            Err(DomainError::NotAllowed(_))
        ));
        assert_eq!(
            monitoring_scope(&member, Some(ProgramRole::Mentor)),
            Ok(MonitoringScope { mentees_of: Some(member.user_id), hide_drafts: false })
        );
        assert_eq!(
            monitoring_scope(&member, Some(ProgramRole::Observer)),
            Ok(MonitoringScope { mentees_of: None, hide_drafts: true })
        );
        assert_eq!(
            monitoring_scope(&member, Some(ProgramRole::Coordinator)),
            Ok(MonitoringScope { mentees_of: None, hide_drafts: false })
        );
        assert_eq!(
            monitoring_scope(&admin, None),
            Ok(MonitoringScope { mentees_of: None, hide_drafts: false })
        );
    }
}
