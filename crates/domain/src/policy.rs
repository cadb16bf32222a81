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

    pub fn require_view(actor: &Actor, role: Option<ProgramRole>) -> Result<(), DomainError> {
        if can_view(actor, role) {
            Ok(())
        } else {
            Err(DomainError::NotFound { entity: "program" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
