//! The change sequence behind `GET /sync`: what changed, in commit order.
//!
//! Every write transaction that changes something a client syncs appends rows
//! to `changes` in the same transaction. Each row's position (see
//! [`super::feed`]) is the writing transaction's id and a number: on
//! PostgreSQL both come from the database without a lock, so writers of
//! synced data do not queue behind each other; on SQLite, which has one
//! writer, the number comes from the `sync_counter` row.
//!
//! Rows come in three kinds:
//! * a change to one entity, for everyone who may see it (`audience_id` NULL),
//!   written by the audit hook ([`for_event`]);
//! * a deletion, one row for each user who may see the entity when it goes
//!   (the audit hook, and [`plan_deleted`] for a plan and everything under it);
//! * a re-read for one user whose visibility changed (a mentorship or
//!   membership added or removed; [`visibility_changed`]): that user's next
//!   sync sends the entity's current state, or a tombstone if it is now hidden.
//!
//! A row records the plan's owner and status and whether a comment is
//! mentors-only.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use followup_domain::ids::{ProgramId, SessionId, UserId};
use followup_domain::policy::{plan as policy, PlanRelation};
use followup_domain::values::{PlanStatus, ProgramRole, SystemRole};
use followup_domain::Actor;
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    action_plans, activities, attachments, changes, check_ins, comments, indicators, measurements,
    memberships, mentorships, users,
};
use crate::sql_types::{DbId, DbTime};

/// The entity types a client syncs, as their wire names.
pub const SYNCED_TYPES: [&str; 13] = [
    "program",
    "membership",
    "mentorship",
    "plan",
    "activity",
    "indicator",
    "measurement",
    "check_in",
    "comment",
    "attachment",
    "change_request",
    "survey_round",
    "survey_response",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Upsert,
    Delete,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Upsert => "upsert",
            Op::Delete => "delete",
        }
    }
}

/// The plan an entity belongs to, as it was when the change was written.
#[derive(Debug, Clone)]
pub struct PlanScope {
    pub id: Uuid,
    pub owner: Uuid,
    pub status: String,
}

/// The plan an audited change belongs to, with its owner and status when
/// the writer has just read them (otherwise [`for_event`] reads them).
#[derive(Debug, Clone, Copy)]
pub struct PlanRef<'a> {
    pub id: Uuid,
    pub read: Option<(Uuid, &'a str)>,
}

/// One change, before it is numbered.
#[derive(Debug, Clone)]
pub struct Change {
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    pub program_id: Uuid,
    pub plan: Option<PlanScope>,
    pub restricted: bool,
    pub audience: Option<Uuid>,
    pub op: Op,
    pub version: i64,
}

/// A change as stored, without its position: PostgreSQL gives the position
/// (column defaults), SQLite's writer numbers it ([`Numbered`]).
#[derive(Insertable)]
#[diesel(table_name = changes)]
#[diesel(treat_none_as_default_value = false)]
struct ChangeRow {
    entity_type: &'static str,
    entity_id: DbId,
    program_id: DbId,
    plan_id: Option<DbId>,
    owner_id: Option<DbId>,
    plan_status: Option<String>,
    restricted: bool,
    audience_id: Option<DbId>,
    op: &'static str,
    version: i64,
    changed_at: DbTime,
}

#[derive(Insertable)]
#[diesel(table_name = changes)]
struct Numbered {
    seq: i64,
    #[diesel(embed)]
    row: ChangeRow,
}

/// The users who may see an entity with this scope now: admins, and the
/// programme's members and the plan's owner as the plan policy judges them.
fn audience(
    conn: &mut DbConnection,
    program: Uuid,
    plan: Option<&PlanScope>,
    restricted: bool,
) -> Result<Vec<Uuid>, StoreError> {
    let members: Vec<(DbId, String)> = memberships::table
        .filter(memberships::program_id.eq(DbId(program)))
        .select((memberships::user_id, memberships::role))
        .load(conn)?;
    let admins: Vec<DbId> = users::table
        .filter(users::system_role.eq(SystemRole::Admin.as_str()))
        .select(users::id)
        .load(conn)?;
    let mut out: HashSet<Uuid> = admins.into_iter().map(|a| a.0).collect();
    let Some(plan) = plan else {
        out.extend(members.into_iter().map(|(u, _)| u.0));
        return Ok(out.into_iter().collect());
    };
    let Some(status) = PlanStatus::parse(&plan.status) else {
        return Ok(out.into_iter().collect());
    };
    let mentors: HashSet<Uuid> = mentorships::table
        .filter(mentorships::program_id.eq(DbId(program)))
        .filter(mentorships::delegate_id.eq(DbId(plan.owner)))
        .select(mentorships::mentor_id)
        .load::<DbId>(conn)?
        .into_iter()
        .map(|m| m.0)
        .collect();
    let mut candidates: Vec<(Uuid, Option<ProgramRole>)> = Vec::new();
    for (user, role) in members {
        candidates.push((user.0, ProgramRole::parse(&role)));
    }
    if !candidates.iter().any(|(u, _)| *u == plan.owner) {
        candidates.push((plan.owner, None));
    }
    for (user, role) in candidates {
        // Admins are already in; judge everyone else as a member.
        let actor = Actor {
            user_id: UserId::from_uuid(user),
            system_role: SystemRole::Member,
            session_id: SessionId::from_uuid(Uuid::nil()),
        };
        let rel = PlanRelation { is_owner: user == plan.owner, role, mentors_owner: mentors.contains(&user) };
        if policy::can_view(&actor, &rel, status)
            && (!restricted || policy::sees_mentor_comments(&actor, &rel))
        {
            out.insert(user);
        }
    }
    Ok(out.into_iter().collect())
}

/// Append `batch` inside the caller's transaction. A deletion meant for everyone becomes one row for each user
/// who may see the entity at this moment: only they hear of it, and a grant
/// ended or begun later changes nothing about that.
pub fn append(conn: &mut DbConnection, batch: Vec<Change>) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut audiences: HashMap<(Uuid, Option<Uuid>, bool), Vec<Uuid>> = HashMap::new();
    let mut expanded = Vec::with_capacity(batch.len());
    for change in batch {
        if change.op != Op::Delete || change.audience.is_some() {
            expanded.push(change);
            continue;
        }
        let key = (change.program_id, change.plan.as_ref().map(|p| p.id), change.restricted);
        let users = match audiences.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(audience(conn, change.program_id, change.plan.as_ref(), change.restricted)?)
            }
        };
        for user in users.iter() {
            let mut addressed = change.clone();
            addressed.audience = Some(*user);
            expanded.push(addressed);
        }
    }
    let batch = expanded;
    if batch.is_empty() {
        return Ok(());
    }
    let now = DbTime(crate::now());
    let rows: Vec<ChangeRow> = batch
        .into_iter()
        .map(|c| ChangeRow {
            entity_type: c.entity_type,
            entity_id: DbId(c.entity_id),
            program_id: DbId(c.program_id),
            plan_id: c.plan.as_ref().map(|p| DbId(p.id)),
            owner_id: c.plan.as_ref().map(|p| DbId(p.owner)),
            plan_status: c.plan.map(|p| p.status),
            restricted: c.restricted,
            audience_id: c.audience.map(DbId),
            op: c.op.as_str(),
            version: c.version,
            changed_at: now,
        })
        .collect();
    // One row (most writes) is a statement of a fixed shape, prepared once;
    // more go in multi-row inserts.
    macro_rules! insert {
        ($c:expr, $rows:expr) => {
            if let [row] = $rows.as_slice() {
                diesel::insert_into(changes::table).values(row).execute($c)?;
            } else {
                for chunk in $rows.chunks(500) {
                    diesel::insert_into(changes::table).values(chunk).execute($c)?;
                }
            }
        };
    }
    match conn {
        DbConnection::Postgres(c) => insert!(c, rows),
        DbConnection::Sqlite(c) => {
            let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            let last: i64 = crate::cached::BumpSyncCounter(n).get_result(c)?;
            let rows: Vec<Numbered> =
                rows.into_iter().zip(last - n + 1..).map(|(row, seq)| Numbered { seq, row }).collect();
            insert!(c, rows);
        }
    }
    Ok(())
}

/// The change an audit event stands for, if the entity is one clients sync.
/// Called by the audit log for every event, so no write path can forget it.
pub fn for_event(
    conn: &mut DbConnection,
    entity_type: &str,
    entity_id: Uuid,
    program_id: Option<Uuid>,
    plan: Option<PlanRef<'_>>,
    action: &str,
    version: i64,
) -> Result<(), StoreError> {
    let (kind, restricted) = match entity_type {
        "mentor_comment" => ("comment", true),
        "mentor_attachment" => ("attachment", true),
        other => match SYNCED_TYPES.iter().find(|t| **t == other) {
            Some(t) => (*t, false),
            None => return Ok(()),
        },
    };
    // A deleted plan is written by `plan_deleted`, with everything under it.
    if kind == "plan" && action == "delete" {
        return Ok(());
    }
    let program_id = match (kind, program_id) {
        ("program", _) => entity_id,
        (_, Some(p)) => p,
        (_, None) => return Err(StoreError::Db(diesel::result::Error::NotFound)),
    };
    let plan = match plan {
        Some(PlanRef { id, read: Some((owner, status)) }) => {
            Some(PlanScope { id, owner, status: status.to_owned() })
        }
        Some(PlanRef { id, read: None }) => Some(plan_scope(conn, id)?),
        None => None,
    };
    let op = if action == "delete" { Op::Delete } else { Op::Upsert };
    append(
        conn,
        vec![Change {
            entity_type: kind,
            entity_id,
            program_id,
            plan,
            restricted,
            audience: None,
            op,
            version,
        }],
    )
}

pub(crate) fn plan_scope(conn: &mut DbConnection, plan: Uuid) -> Result<PlanScope, StoreError> {
    let (owner, status): (DbId, String) = with_backend_conn!(conn, c => action_plans::table
        .find(DbId(plan))
        .select((action_plans::owner_id, action_plans::status))
        .first(c))?;
    Ok(PlanScope { id: plan, owner: owner.0, status })
}

/// Every entity of the given plans: the plans, their activities, indicators,
/// measurements, check-ins and comments (a fixed number of queries).
pub fn plan_entities(
    conn: &mut DbConnection,
    program: Uuid,
    plans: &[Uuid],
    include_plans: bool,
) -> Result<Vec<Change>, StoreError> {
    if plans.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<DbId> = plans.iter().copied().map(DbId).collect();
    let scopes: Vec<(DbId, DbId, String, i64)> = action_plans::table
        .filter(action_plans::id.eq_any(ids.clone()))
        .select((action_plans::id, action_plans::owner_id, action_plans::status, action_plans::version))
        .load(conn)?;
    let scope_of = |plan: DbId| {
        scopes.iter().find(|s| s.0 == plan).map(|s| PlanScope {
            id: s.0 .0,
            owner: s.1 .0,
            status: s.2.clone(),
        })
    };
    let change = |kind: &'static str, id: DbId, plan: DbId, version: i64, restricted: bool| Change {
        entity_type: kind,
        entity_id: id.0,
        program_id: program,
        plan: scope_of(plan),
        restricted,
        audience: None,
        op: Op::Upsert,
        version,
    };
    // The changes of `$kind` for the rows of `$table`, a child of the plans.
    macro_rules! children {
        ($table:ident, $kind:expr) => {
            $table::table
                .filter($table::plan_id.eq_any(ids.clone()))
                .select(($table::id, $table::plan_id, $table::version))
                .load::<(DbId, DbId, i64)>(conn)?
                .into_iter()
                .map(|(id, plan, v)| change($kind, id, plan, v, false))
        };
    }
    let mut out = Vec::new();
    if include_plans {
        out.extend(scopes.iter().map(|s| change("plan", s.0, s.0, s.3, false)));
    }
    out.extend(children!(activities, "activity"));
    out.extend(children!(indicators, "indicator"));
    let rows: Vec<(DbId, DbId, i64)> = measurements::table
        .inner_join(indicators::table)
        .filter(indicators::plan_id.eq_any(ids.clone()))
        .select((measurements::id, indicators::plan_id, measurements::version))
        .load(conn)?;
    out.extend(rows.into_iter().map(|(id, plan, v)| change("measurement", id, plan, v, false)));
    out.extend(children!(check_ins, "check_in"));
    let rows: Vec<(DbId, DbId, i64, String)> = comments::table
        .filter(comments::plan_id.eq_any(ids))
        .select((comments::id, comments::plan_id, comments::version, comments::visibility))
        .load(conn)?;
    out.extend(rows.into_iter().map(|(id, plan, v, vis)| change("comment", id, plan, v, vis == "mentors")));
    let rows: Vec<(DbId, DbId, i64, Option<String>)> = attachments::table
        .left_join(
            comments::table
                .on(comments::id.eq(attachments::parent_id).and(attachments::parent_type.eq("comment"))),
        )
        .filter(attachments::plan_id.eq_any(scopes.iter().map(|s| s.0).collect::<Vec<_>>()))
        .select((
            attachments::id,
            attachments::plan_id,
            attachments::version,
            comments::visibility.nullable(),
        ))
        .load(conn)?;
    out.extend(
        rows.into_iter()
            .map(|(id, plan, v, vis)| change("attachment", id, plan, v, vis.as_deref() == Some("mentors"))),
    );
    Ok(out)
}

/// Before a plan is deleted: tombstones for it and everything under it.
pub fn plan_deleted(conn: &mut DbConnection, program: ProgramId, plan: Uuid) -> Result<(), StoreError> {
    let mut batch = plan_entities(conn, program.as_uuid(), &[plan], true)?;
    for c in &mut batch {
        c.op = Op::Delete;
    }
    append(conn, batch)
}

/// Before an indicator is deleted: tombstones for its measurements, which go with it.
pub fn measurements_deleted(
    conn: &mut DbConnection,
    program: ProgramId,
    plan: Uuid,
    indicator: Uuid,
) -> Result<(), StoreError> {
    let ids: Vec<DbId> = measurements::table
        .filter(measurements::indicator_id.eq(DbId(indicator)))
        .select(measurements::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(());
    }
    let scope = plan_scope(conn, plan)?;
    let batch = ids
        .into_iter()
        .map(|id| Change {
            entity_type: "measurement",
            entity_id: id.0,
            program_id: program.as_uuid(),
            plan: Some(scope.clone()),
            restricted: false,
            audience: None,
            op: Op::Delete,
            version: 1,
        })
        .collect();
    append(conn, batch)
}

/// After a draft plan is first submitted, observers may see it: announce
/// everything under it again, so their next sync brings what was written
/// while it was a draft.
pub fn plan_published(conn: &mut DbConnection, program: ProgramId, plan: Uuid) -> Result<(), StoreError> {
    let batch = plan_entities(conn, program.as_uuid(), &[plan], false)?;
    append(conn, batch)
}

/// What one user's view of a programme may have gained or lost.
pub enum Reach {
    /// The programme and everything in it (a membership added or removed).
    Program,
    /// One delegate's membership, plans and everything under them (a mentorship).
    DelegatePlans(UserId),
}

/// Ask `user` to re-read what `reach` covers: each entity comes back in their
/// next sync as it is now, or as a tombstone if they may no longer see it.
/// Call it before deleting what grants the visibility, so the re-read list
/// includes what is about to be deleted with it.
pub fn visibility_changed(
    conn: &mut DbConnection,
    program: ProgramId,
    user: UserId,
    reach: Reach,
) -> Result<(), StoreError> {
    let p = DbId(program.as_uuid());
    let mut batch = Vec::new();
    let plans: Vec<DbId> = match reach {
        Reach::Program => {
            let version: i64 = crate::schema::programs::table
                .find(p)
                .select(crate::schema::programs::version)
                .first(conn)?;
            batch.push(program_change("program", program.as_uuid(), program.as_uuid(), version));
            let rows: Vec<(DbId, i64)> = memberships::table
                .filter(memberships::program_id.eq(p))
                .select((memberships::id, memberships::version))
                .load(conn)?;
            batch.extend(rows.into_iter().map(|(id, v)| program_change("membership", id.0, p.0, v)));
            let rows: Vec<(DbId, i64)> = mentorships::table
                .filter(mentorships::program_id.eq(p))
                .select((mentorships::id, mentorships::version))
                .load(conn)?;
            batch.extend(rows.into_iter().map(|(id, v)| program_change("mentorship", id.0, p.0, v)));
            action_plans::table.filter(action_plans::program_id.eq(p)).select(action_plans::id).load(conn)?
        }
        Reach::DelegatePlans(delegate) => {
            // The delegate's membership too: a mentor sees a mentee's e-mail.
            let rows: Vec<(DbId, i64)> = memberships::table
                .filter(memberships::program_id.eq(p))
                .filter(memberships::user_id.eq(DbId(delegate.as_uuid())))
                .select((memberships::id, memberships::version))
                .load(conn)?;
            batch.extend(rows.into_iter().map(|(id, v)| program_change("membership", id.0, p.0, v)));
            action_plans::table
                .filter(action_plans::program_id.eq(p))
                .filter(action_plans::owner_id.eq(DbId(delegate.as_uuid())))
                .select(action_plans::id)
                .load(conn)?
        }
    };
    let plans: Vec<Uuid> = plans.into_iter().map(|id| id.0).collect();
    // Only what the user sees at this point of the transaction: before the
    // grant is removed, or after it is added. Nothing else is named to them.
    let viewer = super::viewer::Viewer::of_user(conn, user)?;
    let addressed = |mut batch: Vec<Change>| {
        batch.retain(|c| {
            viewer.sees_recorded(
                c.program_id,
                c.plan.as_ref().map(|p| (p.owner, p.status.as_str())),
                c.restricted,
            )
        });
        for c in &mut batch {
            c.audience = Some(user.as_uuid());
        }
        batch
    };
    append(conn, addressed(batch))?;
    // The plans a few hundred at a time: a membership in a programme of
    // 100,000 plans names every entity in it, about 200 MB held at once.
    for chunk in plans.chunks(PLANS_PER_BATCH) {
        let batch = plan_entities(conn, program.as_uuid(), chunk, true)?;
        append(conn, addressed(batch))?;
    }
    Ok(())
}

/// How many plans' entities a re-read holds in memory at once.
const PLANS_PER_BATCH: usize = 500;

/// A programme-level change for everyone who may see the programme.
pub fn program_change(kind: &'static str, id: Uuid, program: Uuid, version: i64) -> Change {
    Change {
        entity_type: kind,
        entity_id: id,
        program_id: program,
        plan: None,
        restricted: false,
        audience: None,
        op: Op::Upsert,
        version,
    }
}
