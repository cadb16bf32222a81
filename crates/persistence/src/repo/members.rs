//! Who belongs to a programme, in which role; managed by its coordinators
//! and admins.

use diesel::prelude::*;
use followup_domain::ids::{MembershipId, ProgramId, UserId};
use followup_domain::members::Membership;
use followup_domain::members::NewMembership;
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::policy::program as policy;
use followup_domain::values::ProgramRole;
use followup_domain::{Actor, DomainError, FieldError};

use super::changes::{self, Reach};
use super::programs::{managed, visible};
use super::rows::{member_account, MemberAccount, MembershipRow};
use super::{audit, not_found, on_unique};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{memberships, mentorships, users};
use crate::sql_types::{DbId, DbTime};

pub fn list_members(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    role: Option<ProgramRole>,
    page: &PageRequest,
) -> Result<Page<Membership>, StoreError> {
    let (_, my_role) = visible(conn, actor, program)?;
    let mentees: Vec<DbId> = mentorships::table
        .filter(mentorships::program_id.eq(DbId(program.as_uuid())))
        .filter(mentorships::mentor_id.eq(DbId(actor.user_id.as_uuid())))
        .select(mentorships::delegate_id)
        .load(conn)?;
    let sees_email = |member: &MembershipRow| {
        policy::sees_email(actor, my_role, member.user_id.0.into(), mentees.contains(&member.user_id))
    };
    let mut query = super::created_page!(
        memberships::table
            .inner_join(users::table)
            .filter(memberships::program_id.eq(DbId(program.as_uuid())))
            .select((MembershipRow::as_select(), member_account())),
        memberships,
        page
    );
    if let Some(role) = role {
        query = query.filter(memberships::role.eq(role.as_str()));
    }
    let rows = query.load::<(MembershipRow, MemberAccount)>(conn)?;
    let items = rows
        .into_iter()
        .map(|(row, account)| {
            let sees = sees_email(&row);
            row.into_domain(account, sees)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |m| Cursor { at: m.created_at, id: m.id.as_uuid() }))
}

pub fn add_member(
    conn: &mut DbConnection,
    actor: &Actor,
    cmd: &NewMembership,
) -> Result<Membership, StoreError> {
    managed(conn, actor, cmd.program_id)?;
    let account = users::table
        .find(DbId(cmd.user_id.as_uuid()))
        .select(member_account())
        .first::<MemberAccount>(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::Domain(DomainError::Invalid(vec![FieldError::new(
                "user_id",
                "unknown_user",
                "no account has this id",
            )]))
        })?;
    let now = DbTime(crate::now());
    let row = MembershipRow {
        id: DbId(MembershipId::new().as_uuid()),
        program_id: DbId(cmd.program_id.as_uuid()),
        user_id: DbId(cmd.user_id.as_uuid()),
        role: cmd.role.as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(memberships::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| on_unique(e, "already_member", "This account is already a member of the programme."))?;
    audit::Event::new(Some(actor), "membership", row.id.0, "create")
        .program(cmd.program_id.as_uuid())
        .fields(&["user_id", "role"])
        .record(conn)?;
    changes::visibility_changed(conn, cmd.program_id, cmd.user_id, Reach::Program)?;
    row.into_domain(account, true)
}

/// Remove a member, and the mentorships they are part of in this programme.
pub fn remove_member(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    user: UserId,
) -> Result<(), StoreError> {
    managed(conn, actor, program)?;
    let (p, u) = (DbId(program.as_uuid()), DbId(user.as_uuid()));
    let membership: Option<(DbId, i64)> = memberships::table
        .filter(memberships::program_id.eq(p).and(memberships::user_id.eq(u)))
        .select((memberships::id, memberships::version))
        .first(conn)
        .optional()?;
    let (membership, version) = membership.ok_or_else(|| not_found("membership"))?;
    // What the member and, for a delegate, their mentors could see is re-read
    // by them; the mentorships that go with the membership are deleted for all.
    changes::visibility_changed(conn, program, user, Reach::Program)?;
    let doomed: Vec<(DbId, DbId, DbId, i64)> = mentorships::table
        .filter(mentorships::program_id.eq(p))
        .filter(mentorships::mentor_id.eq(u).or(mentorships::delegate_id.eq(u)))
        .select((mentorships::id, mentorships::mentor_id, mentorships::delegate_id, mentorships::version))
        .load(conn)?;
    let mut tombstones = Vec::new();
    for (id, mentor, delegate, version) in &doomed {
        if *delegate == u {
            changes::visibility_changed(
                conn,
                program,
                UserId::from_uuid(mentor.0),
                Reach::DelegatePlans(user),
            )?;
        }
        let mut c = changes::program_change("mentorship", id.0, p.0, *version);
        c.op = changes::Op::Delete;
        tombstones.push(c);
    }
    changes::append(conn, tombstones)?;
    let removed_mentorships = diesel::delete(
        mentorships::table
            .filter(mentorships::program_id.eq(p))
            .filter(mentorships::mentor_id.eq(u).or(mentorships::delegate_id.eq(u))),
    )
    .execute(conn)?;
    diesel::delete(memberships::table.find(membership)).execute(conn)?;
    audit::Event::new(Some(actor), "membership", membership.0, "delete")
        .version(version)
        .program(program.as_uuid())
        .fields(if removed_mentorships > 0 { &["mentorships"] } else { &[] })
        .record(conn)
}
