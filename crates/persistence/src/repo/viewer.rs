//! Who is reading: a user's roles in the programmes and their mentees,
//! loaded once, so the change feed can judge many entities with the same
//! plan policy as the single GETs without a query each.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use followup_domain::ids::{SessionId, UserId};
use followup_domain::policy::plan as policy;
use followup_domain::policy::PlanRelation;
use followup_domain::values::{PlanStatus, ProgramRole, SystemRole};
use followup_domain::Actor;
use uuid::Uuid;

use super::parse_stored;
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{memberships, mentorships, users};
use crate::sql_types::DbId;

/// What a user is to the programmes: their roles and their mentees. The
/// same policy functions as the single GETs decide with it.
pub(crate) struct Viewer {
    actor: Actor,
    roles: HashMap<Uuid, ProgramRole>,
    mentees: HashSet<(Uuid, Uuid)>,
}

impl Viewer {
    /// The viewer for the caller.
    pub(crate) fn of_actor(conn: &mut DbConnection, actor: &Actor) -> Result<Self, StoreError> {
        let me = DbId(actor.user_id.as_uuid());
        let roles: Vec<(DbId, String)> = memberships::table
            .filter(memberships::user_id.eq(me))
            .select((memberships::program_id, memberships::role))
            .load(conn)?;
        let roles = roles
            .into_iter()
            .map(|(p, r)| Ok((p.0, parse_stored("memberships.role", &r, ProgramRole::parse)?)))
            .collect::<Result<HashMap<_, _>, StoreError>>()?;
        let mentees: Vec<(DbId, DbId)> = mentorships::table
            .filter(mentorships::mentor_id.eq(me))
            .select((mentorships::program_id, mentorships::delegate_id))
            .load(conn)?;
        let mentees = mentees.into_iter().map(|(p, d)| (p.0, d.0)).collect();
        Ok(Viewer { actor: *actor, roles, mentees })
    }

    /// The viewer for any user (not the caller), as things stand in this transaction.
    pub(crate) fn of_user(conn: &mut DbConnection, user: UserId) -> Result<Self, StoreError> {
        let role: String = users::table.find(DbId(user.as_uuid())).select(users::system_role).first(conn)?;
        let actor = Actor {
            user_id: user,
            system_role: parse_stored("users.system_role", &role, SystemRole::parse)?,
            session_id: SessionId::from_uuid(Uuid::nil()),
        };
        Self::of_actor(conn, &actor)
    }

    /// The user's role in a programme, if any.
    pub(crate) fn role_in(&self, program: Uuid) -> Option<ProgramRole> {
        self.roles.get(&program).copied()
    }

    /// A member's e-mail, as [`followup_domain::policy::program::sees_email`] says.
    pub(crate) fn sees_email(&self, program: Uuid, member: Uuid) -> bool {
        followup_domain::policy::program::sees_email(
            &self.actor,
            self.role_in(program),
            UserId::from_uuid(member),
            self.mentees.contains(&(program, member)),
        )
    }

    pub(crate) fn sees_program(&self, program: Uuid) -> bool {
        self.actor.is_admin() || self.roles.contains_key(&program)
    }

    pub(crate) fn relation(&self, program: Uuid, owner: Uuid) -> PlanRelation {
        PlanRelation {
            is_owner: self.actor.user_id.as_uuid() == owner,
            role: self.roles.get(&program).copied(),
            mentors_owner: self.mentees.contains(&(program, owner)),
        }
    }

    pub(crate) fn sees_plan(&self, program: Uuid, owner: Uuid, status: PlanStatus) -> bool {
        policy::can_view(&self.actor, &self.relation(program, owner), status)
    }

    /// A delegate's survey answers: theirs, their mentors', coordinators'.
    pub(crate) fn sees_survey_response(&self, program: Uuid, respondent: Uuid) -> bool {
        followup_domain::policy::survey::sees_response(
            &self.actor,
            self.role_in(program),
            UserId::from_uuid(respondent),
            self.mentees.contains(&(program, respondent)),
        )
    }

    pub(crate) fn sees_restricted(&self, program: Uuid, owner: Uuid) -> bool {
        policy::sees_mentor_comments(&self.actor, &self.relation(program, owner))
    }

    /// Could this user see an entity with this scope (programme; plan owner
    /// and status; mentors-only)?
    pub(crate) fn sees_recorded(&self, program: Uuid, plan: Option<(Uuid, &str)>, restricted: bool) -> bool {
        match plan.and_then(|(owner, status)| PlanStatus::parse(status).map(|s| (owner, s))) {
            Some((owner, status)) => {
                self.sees_plan(program, owner, status)
                    && (!restricted || self.sees_restricted(program, owner))
            }
            None => self.sees_program(program),
        }
    }
}
