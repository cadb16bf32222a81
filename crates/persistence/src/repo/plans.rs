//! Action plans: create, read, list, change, delete, the workflow and the
//! history. Every read goes through [`visible_plan`] (single resources) or
//! the same rule written in SQL ([`list`]), both from the domain's plan policy.

use chrono::NaiveDate;
use diesel::dsl::exists;
use diesel::prelude::*;
use followup_domain::ids::{PlanId, ProgramId, SessionId, UserId};
use followup_domain::plans::{
    require_content_editable, require_deletable, HistoryEvent, NewPlan, Plan, PlanChanges, PlanFields,
    Transition,
};
use followup_domain::policy::{plan as policy, PlanRelation};
use followup_domain::precondition::Precondition;
use followup_domain::values::{PasswordState, PlanStatus, ProgramRole, SystemRole};
use followup_domain::{Actor, DomainError, Message};
use uuid::Uuid;

use super::rows::{AuditRow, PlanRow};
use super::{audit, check_version, not_found, programs, Unstored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    action_plans, attachments, audit_events, indicators, memberships, mentorships, sessions, users,
};
use crate::sql_types::{DbId, DbTime};

/// A plan as seen by one actor: the row, the actor's relation to it and
/// "today" in the owner's time zone.
pub struct PlanContext {
    pub row: PlanRow,
    pub plan: Plan,
    pub relation: PlanRelation,
    pub today: NaiveDate,
}

/// The plan `id` (from `$plans`: the plans table, or it joined with more)
/// joined with the reader's membership and the reader's mentorship of the
/// owner: the statement both plan reads share.
macro_rules! plan_with_relation {
    ($plans:expr, $me:expr, $id:expr) => {
        $plans
            .left_join(
                memberships::table.on(memberships::program_id
                    .eq(action_plans::program_id)
                    .and(memberships::user_id.eq($me))),
            )
            .left_join(
                mentorships::table.on(mentorships::program_id
                    .eq(action_plans::program_id)
                    .and(mentorships::mentor_id.eq($me))
                    .and(mentorships::delegate_id.eq(action_plans::owner_id))),
            )
            .filter(action_plans::id.eq(DbId($id.as_uuid())))
    };
}

/// The reader's relation to a plan read with [`plan_with_relation`] (its
/// role in the programme, a mentorship of the owner), and the policy's
/// verdict on it.
fn check_visible(
    actor: &Actor,
    row: &PlanRow,
    role: Option<String>,
    mentorship: Option<DbId>,
) -> Result<(Plan, PlanRelation), StoreError> {
    let plan = row.clone().into_domain()?;
    let role = role.map(|r| super::parse_stored("memberships.role", &r, ProgramRole::parse)).transpose()?;
    let relation = PlanRelation {
        is_owner: actor.user_id == plan.owner_id,
        role,
        mentors_owner: role == Some(ProgramRole::Mentor) && mentorship.is_some(),
    };
    policy::require_view(actor, &relation, plan.status)?;
    Ok((plan, relation))
}

/// Today in `user`'s time zone.
pub(crate) fn owners_today(conn: &mut DbConnection, user: UserId) -> Result<NaiveDate, StoreError> {
    let time_zone: String = users::table.find(DbId(user.as_uuid())).select(users::time_zone).first(conn)?;
    Ok(crate::today_in(&time_zone))
}

/// Load a plan the actor may see; 404 otherwise (ids do not leak).
///
/// One statement reads the plan, its owner's time zone, the actor's role in
/// its programme and whether the actor mentors its owner.
pub fn visible_plan(conn: &mut DbConnection, actor: &Actor, id: PlanId) -> Result<PlanContext, StoreError> {
    let me = DbId(actor.user_id.as_uuid());
    let found = with_backend_conn!(conn, c => plan_with_relation!(action_plans::table.inner_join(users::table), me, id)
        .select((PlanRow::as_select(), users::time_zone, memberships::role.nullable(), mentorships::id.nullable()))
        .first::<(PlanRow, String, Option<String>, Option<DbId>)>(c)
        .optional())?;
    let (row, time_zone, role, mentorship) = found.ok_or_else(|| not_found("plan"))?;
    let (plan, relation) = check_visible(actor, &row, role, mentorship)?;
    Ok(PlanContext { row, plan, relation, today: crate::today_in(&time_zone) })
}

/// A plan as its reader sees it, for the reader behind an access token: the
/// session check ([`super::sessions::principal`]) and [`visible_plan`] in one
/// statement, the single-plan GET being the API's most frequent request.
/// `Ok(None)` when the session has ended (or its user is deactivated);
/// 404 when the plan is not there or not visible.
pub fn get_in_session(
    conn: &mut DbConnection,
    user_id: UserId,
    session_id: SessionId,
    id: PlanId,
) -> Result<Option<Plan>, StoreError> {
    let me = DbId(user_id.as_uuid());
    let reader = diesel::alias!(users as reader);
    let now = DbTime(crate::now());
    let found = with_backend_conn!(conn, c => plan_with_relation!(action_plans::table, me, id)
        .inner_join(
            sessions::table.on(sessions::id
                .eq(DbId(session_id.as_uuid()))
                .and(sessions::user_id.eq(me))
                .and(sessions::revoked_at.is_null())
                .and(sessions::expires_at.gt(now))),
        )
        .inner_join(
            reader.on(
                reader
                    .field(users::id)
                    .eq(sessions::user_id)
                    .and(reader.field(users::active).eq(true))
                    .and(reader.field(users::password_state).ne(PasswordState::ChangeRequired.as_str())),
            ),
        )
        .select((
            PlanRow::as_select(),
            memberships::role.nullable(),
            mentorships::id.nullable(),
            reader.field(users::system_role),
        ))
        .first::<(PlanRow, Option<String>, Option<DbId>, String)>(c)
        .optional())?;
    let Some((row, role, mentorship, system_role)) = found else {
        // No row: the session has ended, the caller must change their
        // password first, or there is no such plan: 401, 403 or 404.
        return match super::sessions::principal(conn, user_id, session_id)? {
            None => Ok(None),
            Some(p) if p.password_state == PasswordState::ChangeRequired => {
                Err(DomainError::PasswordChangeRequired.into())
            }
            Some(_) => Err(not_found("plan")),
        };
    };
    let system_role = super::parse_stored("users.system_role", &system_role, SystemRole::parse)?;
    let actor = Actor { user_id, system_role, session_id };
    check_visible(&actor, &row, role, mentorship).map(|(plan, _)| Some(plan))
}

/// What a create did: made the resource, or found the same one already there
/// (a re-sent create with a client-supplied id).
#[derive(Debug)]
pub enum Created<T> {
    New(T),
    Existing(T),
}

fn same_fields(row: &PlanRow, program: ProgramId, owner: UserId, f: &PlanFields) -> bool {
    row.program_id.0 == program.as_uuid()
        && row.owner_id.0 == owner.as_uuid()
        && row.title == f.title
        && row.problem_statement == f.problem_statement
        && row.goal == f.goal
        && row.target_group == f.target_group
        && row.location == f.location
        && row.starts_on == f.starts_on
        && row.ends_on == f.ends_on
}

/// The plan id stored in a child row.
pub(crate) fn plan_of<T: Into<Uuid>>(id: T) -> PlanId {
    PlanId::from_uuid(id.into())
}

/// The `$row` of `$table` (a plan's child) whose id is `$id`, with its
/// plan's context: 404 `$entity` when there is no such row or the actor does
/// not see its plan (the child's id must not leak the plan).
macro_rules! child_of_visible_plan {
    ($conn:expr, $actor:expr, $table:ident, $row:ty, $id:expr, $entity:expr) => {{
        let entity: &'static str = $entity;
        match crate::repo::find_row!($conn, $table, $row, $id) {
            Err(e) => Err(crate::error::StoreError::from(e)),
            Ok(None) => Err(crate::repo::not_found(entity)),
            Ok(Some(row)) => {
                crate::repo::plans::visible_plan($conn, $actor, crate::repo::plans::plan_of(row.plan_id.0))
                    .map(|ctx| (row, ctx))
                    .map_err(crate::repo::hide_as(entity))
            }
        }
    }};
}
pub(crate) use child_of_visible_plan;

/// A create sent again with an id the client chose: the stored resource
/// (`existing`) when it is `same` as the one asked for, else 409
/// `id_conflict`.
pub(crate) fn replayed<T>(
    same: bool,
    entity: &'static str,
    existing: impl FnOnce() -> Result<T, StoreError>,
) -> Result<Created<T>, StoreError> {
    if same {
        existing().map(Created::Existing)
    } else {
        Err(id_conflict(entity))
    }
}

pub(crate) fn id_conflict(entity: &'static str) -> StoreError {
    StoreError::Domain(DomainError::StateConflict {
        code: "id_conflict",
        message: Message::new("id_conflict").with("entity", entity),
    })
}

/// Create a plan owned by the actor, who must be a delegate of the programme.
pub fn create(conn: &mut DbConnection, actor: &Actor, cmd: &NewPlan) -> Result<Created<Plan>, StoreError> {
    cmd.fields.check()?;
    let role = programs::role_of(conn, cmd.program_id, actor.user_id)?;
    followup_domain::policy::program::require_view(actor, role)?;
    if role != Some(ProgramRole::Delegate) {
        return Err(DomainError::NotAllowed(Message::new("forbidden.write_plan")).into());
    }
    let window = programs::window(conn, cmd.program_id)?;
    window.require_open(owners_today(conn, actor.user_id)?)?;
    window.check_plan_period(cmd.fields.starts_on, cmd.fields.ends_on)?;
    if let Some(existing) = super::find_row!(conn, action_plans, PlanRow, cmd.id.as_uuid())? {
        let same = same_fields(&existing, cmd.program_id, actor.user_id, &cmd.fields);
        return replayed(same, "plan", || existing.into_domain());
    }
    let now = DbTime(crate::now());
    let f = &cmd.fields;
    let row = PlanRow {
        id: DbId(cmd.id.as_uuid()),
        program_id: DbId(cmd.program_id.as_uuid()),
        owner_id: DbId(actor.user_id.as_uuid()),
        title: f.title.clone(),
        problem_statement: f.problem_statement.clone(),
        goal: f.goal.clone(),
        target_group: f.target_group.clone(),
        location: f.location.clone(),
        starts_on: f.starts_on,
        ends_on: f.ends_on,
        status: PlanStatus::Draft.as_str().to_owned(),
        status_reason: None,
        submitted_at: None,
        approved_at: None,
        closed_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
        original_ends_on: None,
        original_goal: None,
    };
    diesel::insert_into(action_plans::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "plan", cmd.id.as_uuid(), "create")
        .program(cmd.program_id.as_uuid())
        .plan(cmd.id.as_uuid())
        .fields(&["title", "problem_statement", "goal", "target_group", "location", "starts_on", "ends_on"])
        .record(conn)?;
    Ok(Created::New(row.into_domain()?))
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: PlanId) -> Result<Plan, StoreError> {
    Ok(visible_plan(conn, actor, id)?.plan)
}

/// Sort orders of `GET /plans`; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanSort {
    /// Creation order (`created_at`, then id).
    #[default]
    Created,
    UpdatedAsc,
    UpdatedDesc,
    EndsAsc,
    EndsDesc,
}

/// Where the next page starts: the last row's sort key and id.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanAfter {
    Created(chrono::DateTime<chrono::Utc>, Uuid),
    Updated(chrono::DateTime<chrono::Utc>, Uuid),
    Ends(NaiveDate, Uuid),
}

#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub program_id: Option<ProgramId>,
    pub owner_id: Option<UserId>,
    pub status: Option<PlanStatus>,
    /// Only plans of delegates the actor mentors.
    pub mentee_of_me: bool,
    pub sort: PlanSort,
}

/// The plans the actor may see, filtered and sorted, one page.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &PlanFilter,
    limit: u32,
    after: Option<&PlanAfter>,
) -> Result<(Vec<Plan>, bool), StoreError> {
    let me = DbId(actor.user_id.as_uuid());
    let mut query = action_plans::table.select(PlanRow::as_select()).into_boxed();
    let mentors_owner = mentorships::table
        .filter(mentorships::mentor_id.eq(me))
        .filter(mentorships::program_id.eq(action_plans::program_id))
        .filter(mentorships::delegate_id.eq(action_plans::owner_id));
    // The plan policy, in SQL: owner, coordinator of the programme, mentor
    // of the owner, observer (not drafts); admins see all.
    if !actor.is_admin() {
        let coordinated = memberships::table
            .filter(memberships::user_id.eq(me).and(memberships::role.eq(ProgramRole::Coordinator.as_str())))
            .select(memberships::program_id);
        let observed = memberships::table
            .filter(memberships::user_id.eq(me).and(memberships::role.eq(ProgramRole::Observer.as_str())))
            .select(memberships::program_id);
        query = query.filter(
            action_plans::owner_id
                .eq(me)
                .or(action_plans::program_id.eq_any(coordinated))
                .or(exists(mentors_owner))
                .or(action_plans::program_id
                    .eq_any(observed)
                    .and(action_plans::status.ne(PlanStatus::Draft.as_str()))),
        );
    }
    if filter.mentee_of_me {
        query = query.filter(exists(mentors_owner));
    }
    if let Some(p) = filter.program_id {
        query = query.filter(action_plans::program_id.eq(DbId(p.as_uuid())));
    }
    if let Some(o) = filter.owner_id {
        query = query.filter(action_plans::owner_id.eq(DbId(o.as_uuid())));
    }
    if let Some(s) = filter.status {
        query = query.filter(action_plans::status.eq(s.as_str()));
    }
    // The plans after (`$value`, `$id`) in the order of `$column`, then id:
    // `$cmp` is `gt` for an ascending order, `lt` for a descending one.
    macro_rules! after_key {
        ($column:expr, $value:expr, $id:expr, $cmp:ident) => {
            $column.$cmp($value).or($column.eq($value).and(action_plans::id.$cmp(DbId(*$id))))
        };
    }
    query = match (filter.sort, after) {
        (_, None) => query,
        (PlanSort::Created, Some(PlanAfter::Created(at, id))) => {
            query.filter(after_key!(action_plans::created_at, DbTime(*at), id, gt))
        }
        (PlanSort::UpdatedAsc, Some(PlanAfter::Updated(at, id))) => {
            query.filter(after_key!(action_plans::updated_at, DbTime(*at), id, gt))
        }
        (PlanSort::UpdatedDesc, Some(PlanAfter::Updated(at, id))) => {
            query.filter(after_key!(action_plans::updated_at, DbTime(*at), id, lt))
        }
        (PlanSort::EndsAsc, Some(PlanAfter::Ends(on, id))) => {
            query.filter(after_key!(action_plans::ends_on, *on, id, gt))
        }
        (PlanSort::EndsDesc, Some(PlanAfter::Ends(on, id))) => {
            query.filter(after_key!(action_plans::ends_on, *on, id, lt))
        }
        _ => {
            return Err(DomainError::invalid(
                "cursor",
                "wrong_sort",
                "the cursor belongs to another sort order",
            )
            .into())
        }
    };
    query = match filter.sort {
        PlanSort::Created => query.order((action_plans::created_at.asc(), action_plans::id.asc())),
        PlanSort::UpdatedAsc => query.order((action_plans::updated_at.asc(), action_plans::id.asc())),
        PlanSort::UpdatedDesc => query.order((action_plans::updated_at.desc(), action_plans::id.desc())),
        PlanSort::EndsAsc => query.order((action_plans::ends_on.asc(), action_plans::id.asc())),
        PlanSort::EndsDesc => query.order((action_plans::ends_on.desc(), action_plans::id.desc())),
    };
    let rows = query.limit(i64::from(limit) + 1).load::<PlanRow>(conn)?;
    let more = rows.len() > limit as usize;
    let plans =
        rows.into_iter().take(limit as usize).map(PlanRow::into_domain).collect::<Result<Vec<_>, _>>()?;
    Ok((plans, more))
}

/// Change the plan's own fields: the owner, in draft or changes_requested.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: PlanId,
    changes: &PlanChanges,
    if_match: &Precondition,
) -> Result<Plan, StoreError> {
    let ctx = visible_plan(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    check_version(if_match, ctx.plan.version)?;
    if ctx.plan.status == PlanStatus::Active && (changes.ends_on.is_some() || changes.goal.is_some()) {
        return Err(followup_domain::change_requests::required("plan", id).into());
    }
    require_content_editable(ctx.plan.status)?;
    let fields = changes.fields();
    if fields.is_empty() {
        return Ok(ctx.plan);
    }
    let next = changes.apply(&PlanFields::of(&ctx.plan))?;
    if changes.starts_on.is_some() || changes.ends_on.is_some() {
        programs::window(conn, ctx.plan.program_id)?.check_plan_period(next.starts_on, next.ends_on)?;
    }
    let n = diesel::update(super::at_version!(action_plans, ctx.row))
        .set((
            action_plans::title.eq(&next.title),
            action_plans::problem_statement.eq(&next.problem_statement),
            action_plans::goal.eq(&next.goal),
            action_plans::target_group.eq(&next.target_group),
            action_plans::location.eq(&next.location),
            action_plans::starts_on.eq(next.starts_on),
            action_plans::ends_on.eq(next.ends_on),
            action_plans::version.eq(ctx.row.version + 1),
            action_plans::updated_at.eq(DbTime(crate::now())),
        ))
        .execute(conn)?;
    super::require_updated(n, ctx.row.version + 1)?;
    audit::Event::new(Some(actor), "plan", id.as_uuid(), "update")
        .in_plan(&ctx.plan)
        .fields(&fields)
        .record(conn)?;
    get(conn, actor, id)
}

/// Delete a draft (the owner). Its activities, indicators, files… go with
/// it; returns the files' storage keys.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: PlanId,
    if_match: &Precondition,
) -> Result<Unstored, StoreError> {
    let ctx = visible_plan(conn, actor, id)?;
    policy::require_owner(&ctx.relation)?;
    check_version(if_match, ctx.plan.version)?;
    require_deletable(ctx.plan.status)?;
    super::changes::plan_deleted(conn, ctx.plan.program_id, id.as_uuid())?;
    // The plan's files go with it (their rows by the foreign key).
    let stored: Vec<(String, Option<String>)> = attachments::table
        .filter(attachments::plan_id.eq(ctx.row.id))
        .select((attachments::storage_key, attachments::preview_key))
        .load(conn)?;
    let unstored = Unstored(
        stored.into_iter().flat_map(|(file, preview)| std::iter::once(file).chain(preview)).collect(),
    );
    diesel::delete(action_plans::table.find(ctx.row.id)).execute(conn)?;
    audit::Event::new(Some(actor), "plan", id.as_uuid(), "delete").in_plan(&ctx.plan).record(conn)?;
    Ok(unstored)
}

/// Keep what the mentor approved: the plan's end date and goal, and each
/// indicator's baseline and target, beside the values that may change.
fn keep_approved_originals(conn: &mut DbConnection, plan: DbId) -> Result<(), StoreError> {
    diesel::update(action_plans::table.find(plan))
        .set((
            action_plans::original_ends_on.eq(action_plans::ends_on.nullable()),
            action_plans::original_goal.eq(action_plans::goal),
        ))
        .execute(conn)?;
    diesel::update(indicators::table.filter(indicators::plan_id.eq(plan)))
        .set((
            indicators::original_baseline.eq(indicators::baseline.nullable()),
            indicators::original_target.eq(indicators::target.nullable()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Move a plan through its workflow; audited with the actor and the reason.
pub fn transition(
    conn: &mut DbConnection,
    actor: &Actor,
    id: PlanId,
    t: Transition,
    reason: Option<&str>,
) -> Result<Plan, StoreError> {
    let ctx = visible_plan(conn, actor, id)?;
    policy::require_transition(&ctx.relation, t)?;
    let to = t.target(ctx.plan.status)?;
    let now = DbTime(crate::now());
    let stamp = |column_is: bool| if column_is { Some(now) } else { None };
    let n = diesel::update(super::at_version!(action_plans, ctx.row))
        .set((
            action_plans::status.eq(to.as_str()),
            action_plans::status_reason.eq(reason),
            action_plans::submitted_at.eq(stamp(t == Transition::Submit).or(ctx.row.submitted_at)),
            action_plans::approved_at.eq(stamp(t == Transition::Approve).or(ctx.row.approved_at)),
            action_plans::closed_at
                .eq(stamp(matches!(t, Transition::Complete | Transition::Discontinue)).or(ctx.row.closed_at)),
            action_plans::version.eq(ctx.row.version + 1),
            action_plans::updated_at.eq(now),
        ))
        .execute(conn)?;
    super::require_updated(n, ctx.row.version + 1)?;
    if t == Transition::Approve && ctx.row.original_ends_on.is_none() {
        keep_approved_originals(conn, ctx.row.id)?;
    }
    audit::Event::new(Some(actor), "plan", id.as_uuid(), t.action())
        .in_plan(&ctx.plan)
        .fields(&["status"])
        .reason(reason)
        .record(conn)?;
    if ctx.plan.status == PlanStatus::Draft && to != PlanStatus::Draft {
        super::changes::plan_published(conn, ctx.plan.program_id, id.as_uuid())?;
    }
    get(conn, actor, id)
}

/// The plan's audit events, newest first.
pub fn history(
    conn: &mut DbConnection,
    actor: &Actor,
    id: PlanId,
    limit: u32,
    before: Option<Uuid>,
) -> Result<(Vec<HistoryEvent>, bool), StoreError> {
    let ctx = visible_plan(conn, actor, id)?;
    let mut query = audit_events::table
        .filter(audit_events::plan_id.eq(ctx.row.id))
        .select(AuditRow::as_select())
        .order(audit_events::id.desc())
        .limit(i64::from(limit) + 1)
        .into_boxed();
    if !policy::sees_mentor_comments(actor, &ctx.relation) {
        // Events about mentors-only comments are not for the owner's eyes.
        query = query.filter(audit_events::entity_type.ne("mentor_comment"));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(DbId(before)));
    }
    let rows = query.load::<AuditRow>(conn)?;
    let more = rows.len() > limit as usize;
    let events = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| {
            let fields = serde_json::from_str::<serde_json::Value>(&r.changes)
                .ok()
                .and_then(|v| v.get("fields").cloned())
                .and_then(|f| serde_json::from_value::<Vec<String>>(f).ok())
                .unwrap_or_default();
            HistoryEvent {
                id: r.id.0,
                occurred_at: r.occurred_at.0,
                actor_id: r.actor_id.map(|a| a.0.into()),
                entity_type: r.entity_type,
                entity_id: r.entity_id.0,
                action: r.action,
                fields,
                reason: r.reason,
            }
        })
        .collect();
    Ok((events, more))
}
