//! Which mentor follows which delegate in a programme; managed by its
//! coordinators and admins.

use diesel::prelude::*;
use followup_domain::ids::{MentorshipId, ProgramId, UserId};
use followup_domain::mentorships::Mentorship;
use followup_domain::mentorships::NewMentorship;
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::values::ProgramRole;
use followup_domain::{Actor, DomainError, FieldError};

use super::changes::{self, Reach};
use super::programs::{managed, role_of, visible};
use super::rows::MentorshipRow;
use super::{audit, not_found, on_unique};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::mentorships;
use crate::sql_types::{DbId, DbTime};

pub fn list_mentorships(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    page: &PageRequest,
) -> Result<Page<Mentorship>, StoreError> {
    visible(conn, actor, program)?;
    let query = super::created_page!(
        mentorships::table
            .filter(mentorships::program_id.eq(DbId(program.as_uuid())))
            .select(MentorshipRow::as_select()),
        mentorships,
        page
    );
    let rows = query.load::<MentorshipRow>(conn)?;
    let items = rows.into_iter().map(MentorshipRow::into_domain).collect();
    Ok(Page::from_rows(items, page, |m: &Mentorship| Cursor { at: m.created_at, id: m.id.as_uuid() }))
}

pub fn add_mentorship(
    conn: &mut DbConnection,
    actor: &Actor,
    cmd: &NewMentorship,
) -> Result<Mentorship, StoreError> {
    managed(conn, actor, cmd.program_id)?;
    let mut errors = Vec::new();
    if role_of(conn, cmd.program_id, cmd.mentor_id)? != Some(ProgramRole::Mentor) {
        errors.push(FieldError::new("mentor_id", "not_a_mentor", "is not a mentor of this programme"));
    }
    if role_of(conn, cmd.program_id, cmd.delegate_id)? != Some(ProgramRole::Delegate) {
        errors.push(FieldError::new("delegate_id", "not_a_delegate", "is not a delegate of this programme"));
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors).into());
    }
    let now = DbTime(crate::now());
    let row = MentorshipRow {
        id: DbId(cmd.id.as_uuid()),
        program_id: DbId(cmd.program_id.as_uuid()),
        mentor_id: DbId(cmd.mentor_id.as_uuid()),
        delegate_id: DbId(cmd.delegate_id.as_uuid()),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(mentorships::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| on_unique(e, "already_exists", "This mentor already mentors this delegate here."))?;
    audit::Event::new(Some(actor), "mentorship", cmd.id.as_uuid(), "create")
        .program(cmd.program_id.as_uuid())
        .fields(&["mentor_id", "delegate_id"])
        .record(conn)?;
    changes::visibility_changed(conn, cmd.program_id, cmd.mentor_id, Reach::DelegatePlans(cmd.delegate_id))?;
    Ok(row.into_domain())
}

pub fn remove_mentorship(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    id: MentorshipId,
) -> Result<(), StoreError> {
    managed(conn, actor, program)?;
    let row: MentorshipRow = mentorships::table
        .filter(mentorships::id.eq(DbId(id.as_uuid())))
        .filter(mentorships::program_id.eq(DbId(program.as_uuid())))
        .select(MentorshipRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("mentorship"))?;
    changes::visibility_changed(
        conn,
        program,
        UserId::from_uuid(row.mentor_id.0),
        Reach::DelegatePlans(UserId::from_uuid(row.delegate_id.0)),
    )?;
    diesel::delete(mentorships::table.find(row.id)).execute(conn)?;
    audit::Event::new(Some(actor), "mentorship", id.as_uuid(), "delete")
        .version(row.version)
        .program(program.as_uuid())
        .record(conn)
}
