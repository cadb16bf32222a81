//! Programmes, their members and mentorships. Visibility is applied inside
//! the queries (`ProgramScope`, the caller's membership), through the
//! domain's policy functions, so lists and single reads agree.

use diesel::prelude::*;
use followup_domain::commands::{NewMembership, NewMentorship, NewProgram, ProgramChanges, ProgramFields};
use followup_domain::entities::{Membership, Mentorship, ProgramView};
use followup_domain::ids::{MembershipId, MentorshipId, ProgramId, UserId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::policy::program as policy;
use followup_domain::values::{ProgramRole, ProgramStatus};
use followup_domain::{Actor, DomainError, FieldError, ProgramScope};

use super::changes::{self, Reach};
use super::rows::{MembershipRow, MentorshipRow, ProgramRow};
use super::{audit, check_version, not_found, on_unique, word};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{memberships, mentorships, programs, users};
use crate::sql_types::{DbId, DbTime};

const CODE_TAKEN: &str = "A programme with this code already exists.";

/// The role `user` holds in `program`, if any.
pub fn role_of(
    conn: &mut DbConnection,
    program: ProgramId,
    user: UserId,
) -> Result<Option<ProgramRole>, StoreError> {
    let role = memberships::table
        .filter(memberships::program_id.eq(DbId(program.as_uuid())))
        .filter(memberships::user_id.eq(DbId(user.as_uuid())))
        .select(memberships::role)
        .first::<String>(conn)
        .optional()?;
    role.map(|r| word("memberships.role", &r, ProgramRole::parse)).transpose()
}

fn load(conn: &mut DbConnection, id: ProgramId) -> Result<Option<ProgramRow>, StoreError> {
    Ok(programs::table.find(DbId(id.as_uuid())).select(ProgramRow::as_select()).first(conn).optional()?)
}

/// Load a programme the actor may see (404 otherwise), with the actor's role.
fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProgramId,
) -> Result<(ProgramRow, Option<ProgramRole>), StoreError> {
    let role = role_of(conn, id, actor.user_id)?;
    policy::require_view(actor, role)?;
    let row = load(conn, id)?.ok_or_else(|| not_found("program"))?;
    Ok((row, role))
}

/// Load a programme the actor may manage: 404 if invisible, 403 if visible but not theirs to manage.
fn managed(conn: &mut DbConnection, actor: &Actor, id: ProgramId) -> Result<ProgramRow, StoreError> {
    let role = role_of(conn, id, actor.user_id)?;
    policy::require_manage(actor, role)?;
    load(conn, id)?.ok_or_else(|| not_found("program"))
}

fn partners_json(partners: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(partners)
        .map_err(|e| StoreError::Db(diesel::result::Error::SerializationError(Box::new(e))))
}

pub fn create(conn: &mut DbConnection, actor: &Actor, cmd: &NewProgram) -> Result<ProgramView, StoreError> {
    actor.require_admin()?;
    cmd.fields.check()?;
    let now = DbTime(crate::now());
    let f = &cmd.fields;
    let row = ProgramRow {
        id: DbId(cmd.id.as_uuid()),
        code: f.code.clone(),
        title: f.title.clone(),
        theme: f.theme.clone(),
        funder: f.funder.clone(),
        partners: partners_json(&f.partners)?,
        location: f.location.clone(),
        training_starts_on: f.training_starts_on,
        training_ends_on: f.training_ends_on,
        follow_up_until: f.follow_up_until,
        check_in_cadence_days: f.check_in_cadence_days,
        status: f.status.as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(programs::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| on_unique(e, "code_taken", CODE_TAKEN))?;
    audit::Event::new(Some(actor), "program", cmd.id.as_uuid(), "create")
        .program(cmd.id.as_uuid())
        .fields(&["code", "title", "training_starts_on", "training_ends_on", "follow_up_until", "status"])
        .record(conn)?;
    Ok(ProgramView { program: row.into_domain()?, my_role: None })
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: ProgramId) -> Result<ProgramView, StoreError> {
    let (row, my_role) = visible(conn, actor, id)?;
    Ok(ProgramView { program: row.into_domain()?, my_role })
}

#[derive(Debug, Clone, Default)]
pub struct ProgramFilter {
    pub status: Option<ProgramStatus>,
}

/// The programmes the actor may see: all for admins, their own for everyone else.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &ProgramFilter,
    page: &PageRequest,
) -> Result<Page<ProgramView>, StoreError> {
    let me = DbId(actor.user_id.as_uuid());
    let mut query = programs::table
        .left_join(
            memberships::table.on(memberships::program_id.eq(programs::id).and(memberships::user_id.eq(me))),
        )
        .select((ProgramRow::as_select(), memberships::role.nullable()))
        .order((programs::created_at.asc(), programs::id.asc()))
        .limit(page.fetch())
        .into_boxed();
    if let ProgramScope::MemberOf(_) = ProgramScope::for_actor(actor) {
        query = query.filter(memberships::id.is_not_null());
    }
    query = super::after_created!(query, programs, page.after);
    if let Some(status) = filter.status {
        query = query.filter(programs::status.eq(status.as_str()));
    }
    let rows = query.load::<(ProgramRow, Option<String>)>(conn)?;
    let items = rows
        .into_iter()
        .map(|(row, role)| {
            let my_role = role.map(|r| word("memberships.role", &r, ProgramRole::parse)).transpose()?;
            Ok(ProgramView { program: row.into_domain()?, my_role })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_rows(items, page, |p| Cursor { at: p.program.created_at, id: p.program.id.as_uuid() }))
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ProgramId,
    changes: &ProgramChanges,
    if_match: Option<i64>,
) -> Result<ProgramView, StoreError> {
    let current = managed(conn, actor, id)?;
    check_version(if_match, current.version)?;
    let my_role = role_of(conn, id, actor.user_id)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return Ok(ProgramView { program: current.into_domain()?, my_role });
    }
    let program = current.clone().into_domain()?;
    let next: ProgramFields = changes.apply(&ProgramFields::of(&program))?;
    let version = current.version + 1;
    let updated_at = DbTime(crate::now());
    let n = diesel::update(
        programs::table.filter(programs::id.eq(current.id).and(programs::version.eq(current.version))),
    )
    .set((
        programs::code.eq(&next.code),
        programs::title.eq(&next.title),
        programs::theme.eq(&next.theme),
        programs::funder.eq(&next.funder),
        programs::partners.eq(partners_json(&next.partners)?),
        programs::location.eq(&next.location),
        programs::training_starts_on.eq(next.training_starts_on),
        programs::training_ends_on.eq(next.training_ends_on),
        programs::follow_up_until.eq(next.follow_up_until),
        programs::check_in_cadence_days.eq(next.check_in_cadence_days),
        programs::status.eq(next.status.as_str()),
        programs::version.eq(version),
        programs::updated_at.eq(updated_at),
    ))
    .execute(conn)
    .map_err(|e| on_unique(e, "code_taken", CODE_TAKEN))?;
    if n == 0 {
        return Err(DomainError::PreconditionFailed { current: version }.into());
    }
    audit::Event::new(Some(actor), "program", id.as_uuid(), "update")
        .program(id.as_uuid())
        .fields(&fields)
        .record(conn)?;
    let row = load(conn, id)?.ok_or_else(|| not_found("program"))?;
    Ok(ProgramView { program: row.into_domain()?, my_role })
}

// ---- members ----------------------------------------------------------------

pub fn list_members(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    role: Option<ProgramRole>,
    page: &PageRequest,
) -> Result<Page<Membership>, StoreError> {
    visible(conn, actor, program)?;
    let mut query = memberships::table
        .inner_join(users::table)
        .filter(memberships::program_id.eq(DbId(program.as_uuid())))
        .select((MembershipRow::as_select(), users::display_name, users::email))
        .order((memberships::created_at.asc(), memberships::id.asc()))
        .limit(page.fetch())
        .into_boxed();
    query = super::after_created!(query, memberships, page.after);
    if let Some(role) = role {
        query = query.filter(memberships::role.eq(role.as_str()));
    }
    let rows = query.load::<(MembershipRow, String, String)>(conn)?;
    let items = rows
        .into_iter()
        .map(|(row, name, email)| row.into_domain(name, email))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |m| Cursor { at: m.created_at, id: m.id.as_uuid() }))
}

pub fn add_member(
    conn: &mut DbConnection,
    actor: &Actor,
    cmd: &NewMembership,
) -> Result<Membership, StoreError> {
    managed(conn, actor, cmd.program_id)?;
    let user = users::table
        .find(DbId(cmd.user_id.as_uuid()))
        .select((users::display_name, users::email))
        .first::<(String, String)>(conn)
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
    row.into_domain(user.0, user.1)
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

// ---- mentorships ------------------------------------------------------------

pub fn list_mentorships(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    page: &PageRequest,
) -> Result<Page<Mentorship>, StoreError> {
    visible(conn, actor, program)?;
    let mut query = mentorships::table
        .filter(mentorships::program_id.eq(DbId(program.as_uuid())))
        .select(MentorshipRow::as_select())
        .order((mentorships::created_at.asc(), mentorships::id.asc()))
        .limit(page.fetch())
        .into_boxed();
    query = super::after_created!(query, mentorships, page.after);
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

/// The id of the programme with this code, if any (no visibility check:
/// for operator commands such as `followup seed-demo`).
pub fn id_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<ProgramId>, StoreError> {
    let id = programs::table
        .filter(programs::code.eq(code))
        .select(programs::id)
        .first::<DbId>(conn)
        .optional()?;
    Ok(id.map(|id| ProgramId::from_uuid(id.0)))
}

/// How many programmes exist.
pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(programs::table.count().get_result(conn)?)
}
