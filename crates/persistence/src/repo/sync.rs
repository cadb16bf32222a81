//! `GET /sync`: what changed since a client's cursor, as the caller may see it now.
//!
//! A page is a run of the change sequence (see [`super::changes`]) after the
//! cursor, narrowed in SQL to rows that can concern the caller (their
//! programmes, their own plans, rows addressed to them). Each entity named in
//! the run is then read as it is now and judged by the same policy as the
//! single GETs:
//! * visible now: an upsert with its current state;
//! * gone or hidden, and a row addressed to them says so (a deletion of
//!   something they could see when it went, or a grant they lost): a
//!   tombstone, even for an entity younger than their cursor (they may hold
//!   it from their own create or an ordinary GET; an unknown id is ignored);
//! * otherwise nothing — the caller never learns it existed.
//!
//! A page costs a fixed number of queries, whatever its size.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use followup_domain::activities::Activity;
use followup_domain::attachments::Attachment;
use followup_domain::check_ins::CheckIn;
use followup_domain::comments::Comment;
use followup_domain::indicators::{Indicator, Measurement};
use followup_domain::members::Membership;
use followup_domain::mentorships::Mentorship;
use followup_domain::plans::Plan;
use followup_domain::programs::ProgramWithRole;
use followup_domain::values::Visibility;
use followup_domain::Actor;
use uuid::Uuid;

use super::feed::{self, after, Position};
use super::rows::{
    member_account, ActivityRow, CheckInRow, CommentRow, IndicatorRow, MeasurementRow, MemberAccount,
    MembershipRow, MentorshipRow, PlanRow, ProgramRow,
};
use super::viewer::Viewer;
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    action_plans, activities, changes, check_ins, comments, indicators, measurements, memberships,
    mentorships, programs, users,
};
use crate::sql_types::DbId;

/// The current state of a synced entity.
#[derive(Debug, Clone)]
pub enum SyncData {
    Program(ProgramWithRole),
    Membership(Membership),
    Mentorship(Mentorship),
    Plan(Plan),
    Activity(Activity),
    Indicator(Indicator),
    Measurement(Measurement),
    CheckIn(CheckIn),
    Comment(Comment),
    Attachment(Attachment),
    ChangeRequest(followup_domain::change_requests::ChangeRequest),
    SurveyRound(followup_domain::surveys::RoundView),
    SurveyResponse(followup_domain::surveys::SurveyResponse),
}

/// One entry of a sync page: `data` is `None` for a tombstone.
#[derive(Debug, Clone)]
pub struct SyncItem {
    pub entity_type: &'static str,
    pub id: Uuid,
    pub version: i64,
    pub data: Option<SyncData>,
}

#[derive(Debug, Clone)]
pub struct SyncPage {
    pub items: Vec<SyncItem>,
    /// The position to resume from: the last change this page covered.
    pub next: Position,
    pub has_more: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = changes)]
struct ChangeRead {
    xid: i64,
    seq: i64,
    entity_type: String,
    entity_id: DbId,
    audience_id: Option<DbId>,
    version: i64,
}

impl ChangeRead {
    fn position(&self) -> Position {
        Position { xid: self.xid, seq: self.seq }
    }
}

/// The change rows after `since` that can concern the caller, oldest first.
fn rows_after(
    conn: &mut DbConnection,
    actor: &Actor,
    since: Position,
    limit: i64,
) -> Result<Vec<ChangeRead>, StoreError> {
    let me = DbId(actor.user_id.as_uuid());
    let mut query = changes::table.filter(after!(since)).into_boxed();
    if actor.is_admin() {
        query = query.filter(changes::audience_id.is_null().or(changes::audience_id.eq(me)));
    } else {
        let mine = memberships::table.filter(memberships::user_id.eq(me)).select(memberships::program_id);
        query = query.filter(changes::audience_id.eq(me).or(
            changes::audience_id.is_null().and(changes::program_id.eq_any(mine).or(changes::owner_id.eq(me))),
        ));
    }
    Ok(query
        .order((changes::xid.asc(), changes::seq.asc()))
        .limit(limit + 1)
        .select(ChangeRead::as_select())
        .load(conn)?)
}

/// What the page's rows say about one entity.
struct Mention {
    last: Position,
    version: i64,
    addressed: bool,
}

/// One page of changes after `since`, at most `limit` change rows, none
/// past what may still be joined by an older transaction (see [`feed`]).
pub fn page(
    conn: &mut DbConnection,
    actor: &Actor,
    since: Position,
    limit: i64,
) -> Result<SyncPage, StoreError> {
    let viewer = Viewer::of_actor(conn, actor)?;
    let keep = usize::try_from(limit).unwrap_or(0);
    let mut more = false;
    let (rows, _held_back) = feed::read_bounded(conn, ChangeRead::position, |c| {
        let mut rows = rows_after(c, actor, since, limit)?;
        more = rows.len() > keep;
        rows.truncate(keep);
        Ok(rows)
    })?;
    // Rows held back end the page early: they come with the next request.
    let has_more = more && rows.len() == keep;
    let next = rows.last().map_or(since, ChangeRead::position);

    let me = actor.user_id.as_uuid();
    let mut mentions: HashMap<(&'static str, Uuid), Mention> = HashMap::new();
    for row in &rows {
        let Some(kind) = super::changes::SYNCED_TYPES.iter().find(|t| **t == row.entity_type) else {
            continue;
        };
        let m = mentions.entry((*kind, row.entity_id.0)).or_insert(Mention {
            last: row.position(),
            version: row.version,
            addressed: false,
        });
        m.last = row.position();
        m.version = row.version;
        m.addressed |= row.audience_id.map(|a| a.0) == Some(me);
    }

    let ids = |kind: &str| -> Vec<DbId> {
        mentions.keys().filter(|(k, _)| *k == kind).map(|(_, id)| DbId(*id)).collect()
    };
    let current = load_current(
        conn,
        &viewer,
        &Wanted {
            programs: ids("program"),
            memberships: ids("membership"),
            mentorships: ids("mentorship"),
            plans: ids("plan"),
            activities: ids("activity"),
            indicators: ids("indicator"),
            measurements: ids("measurement"),
            check_ins: ids("check_in"),
            comments: ids("comment"),
            attachments: ids("attachment"),
            change_requests: ids("change_request"),
        },
    )?;
    let mut current = current;
    surveys(conn, actor, &viewer, &ids("survey_round"), &ids("survey_response"), &mut current)?;

    let mut ordered: Vec<((&'static str, Uuid), Mention)> = mentions.into_iter().collect();
    ordered.sort_by_key(|(_, m)| m.last);
    let mut items = Vec::with_capacity(ordered.len());
    for ((kind, id), m) in ordered {
        match current.get(&(kind, id)) {
            Some((version, data)) => {
                items.push(SyncItem { entity_type: kind, id, version: *version, data: Some(data.clone()) })
            }
            // Gone or hidden, and a row addressed to this caller says so: a
            // tombstone, whatever the entity's age, since a client also holds
            // what it created itself or read through the other endpoints.
            None if m.addressed => {
                items.push(SyncItem { entity_type: kind, id, version: m.version, data: None })
            }
            None => {}
        }
    }
    Ok(SyncPage { items, next, has_more })
}

struct Wanted {
    programs: Vec<DbId>,
    memberships: Vec<DbId>,
    mentorships: Vec<DbId>,
    plans: Vec<DbId>,
    activities: Vec<DbId>,
    indicators: Vec<DbId>,
    measurements: Vec<DbId>,
    check_ins: Vec<DbId>,
    comments: Vec<DbId>,
    attachments: Vec<DbId>,
    change_requests: Vec<DbId>,
}

type Current = HashMap<(&'static str, Uuid), (i64, SyncData)>;

/// The wanted survey rounds and responses the caller may see now.
fn surveys(
    conn: &mut DbConnection,
    actor: &Actor,
    viewer: &Viewer,
    rounds: &[DbId],
    responses: &[DbId],
    out: &mut Current,
) -> Result<(), StoreError> {
    for view in super::surveys::views_by_ids(conn, actor, rounds)? {
        out.insert(
            ("survey_round", view.round.id.as_uuid()),
            (view.round.version, SyncData::SurveyRound(view)),
        );
    }
    for response in super::survey_responses::by_ids(conn, responses)? {
        if viewer.sees_survey_response(response.program_id.as_uuid(), response.respondent_id.as_uuid()) {
            out.insert(
                ("survey_response", response.id.as_uuid()),
                (response.version, SyncData::SurveyResponse(response)),
            );
        }
    }
    Ok(())
}

/// The wanted entities that exist and the caller may see now, with their versions.
fn load_current(conn: &mut DbConnection, viewer: &Viewer, wanted: &Wanted) -> Result<Current, StoreError> {
    let mut out = Current::new();

    let rows = super::rows_by_ids!(conn, programs, ProgramRow, wanted.programs)?;
    for row in rows.into_iter().filter(|r| viewer.sees_program(r.id.0)) {
        let my_role = viewer.role_in(row.id.0);
        let program = row.into_domain()?;
        out.insert(
            ("program", program.id.as_uuid()),
            (program.version, SyncData::Program(ProgramWithRole { program, my_role })),
        );
    }
    if !wanted.memberships.is_empty() {
        let rows: Vec<(MembershipRow, MemberAccount)> = memberships::table
            .inner_join(users::table)
            .filter(memberships::id.eq_any(wanted.memberships.clone()))
            .select((MembershipRow::as_select(), member_account()))
            .load(conn)?;
        for (row, account) in rows.into_iter().filter(|(r, _)| viewer.sees_program(r.program_id.0)) {
            let sees_email = viewer.sees_email(row.program_id.0, row.user_id.0);
            let m = row.into_domain(account, sees_email)?;
            out.insert(("membership", m.id.as_uuid()), (m.version, SyncData::Membership(m)));
        }
    }
    let rows = super::rows_by_ids!(conn, mentorships, MentorshipRow, wanted.mentorships)?;
    for row in rows.into_iter().filter(|r| viewer.sees_program(r.program_id.0)) {
        let m = row.into_domain();
        out.insert(("mentorship", m.id.as_uuid()), (m.version, SyncData::Mentorship(m)));
    }

    // Plan-scoped entities: load them, then the plans they hang on.
    let activity_rows = super::rows_by_ids!(conn, activities, ActivityRow, wanted.activities)?;
    let indicator_rows = super::rows_by_ids!(conn, indicators, IndicatorRow, wanted.indicators)?;
    let measurement_rows: Vec<(MeasurementRow, DbId)> = if wanted.measurements.is_empty() {
        Vec::new()
    } else {
        measurements::table
            .inner_join(indicators::table)
            .filter(measurements::id.eq_any(wanted.measurements.clone()))
            .select((MeasurementRow::as_select(), indicators::plan_id))
            .load(conn)?
    };
    let check_in_rows = super::rows_by_ids!(conn, check_ins, CheckInRow, wanted.check_ins)?;
    let comment_rows = super::rows_by_ids!(conn, comments, CommentRow, wanted.comments)?;

    let mut plan_ids: HashSet<DbId> = wanted.plans.iter().copied().collect();
    plan_ids.extend(activity_rows.iter().map(|r| r.plan_id));
    plan_ids.extend(indicator_rows.iter().map(|r| r.plan_id));
    plan_ids.extend(measurement_rows.iter().map(|(_, p)| *p));
    plan_ids.extend(check_in_rows.iter().map(|r| r.plan_id));
    plan_ids.extend(comment_rows.iter().map(|r| r.plan_id));
    let attachment_rows = super::attachments::by_ids(conn, &wanted.attachments)?;
    plan_ids.extend(attachment_rows.iter().map(|(a, _)| DbId(a.plan_id.as_uuid())));
    let change_requests = super::change_requests::by_ids(conn, &wanted.change_requests)?;
    plan_ids.extend(change_requests.iter().map(|r| DbId(r.plan_id.as_uuid())));
    if plan_ids.is_empty() {
        return Ok(out);
    }
    let plan_rows: Vec<PlanRow> = action_plans::table
        .filter(action_plans::id.eq_any(plan_ids.into_iter().collect::<Vec<_>>()))
        .select(PlanRow::as_select())
        .load(conn)?;
    // The plans the caller may see, by id.
    let mut plans: HashMap<DbId, Plan> = HashMap::new();
    for row in plan_rows {
        let plan = row.into_domain()?;
        if viewer.sees_plan(plan.program_id.as_uuid(), plan.owner_id.as_uuid(), plan.status) {
            plans.insert(DbId(plan.id.as_uuid()), plan);
        }
    }
    for plan in plans.values() {
        if wanted.plans.contains(&DbId(plan.id.as_uuid())) {
            out.insert(("plan", plan.id.as_uuid()), (plan.version, SyncData::Plan(plan.clone())));
        }
    }

    if !activity_rows.is_empty() {
        let today = todays(conn, plans.values())?;
        for row in activity_rows {
            let Some(plan) = plans.get(&row.plan_id) else { continue };
            let day = today.get(&plan.owner_id.as_uuid()).copied().unwrap_or_else(|| crate::today_in(""));
            let a = row.into_domain(day)?;
            out.insert(("activity", a.id.as_uuid()), (a.version, SyncData::Activity(a)));
        }
    }
    let visible_indicators: Vec<IndicatorRow> =
        indicator_rows.into_iter().filter(|r| plans.contains_key(&r.plan_id)).collect();
    if !visible_indicators.is_empty() {
        let ids: Vec<DbId> = visible_indicators.iter().map(|r| r.id).collect();
        let values = super::indicators::current_values(conn, &ids)?;
        for row in visible_indicators {
            let current = values.iter().find(|(id, _)| *id == row.id).map(|(_, v)| *v);
            let i = row.into_domain(current)?;
            out.insert(("indicator", i.id.as_uuid()), (i.version, SyncData::Indicator(i)));
        }
    }
    for (row, plan) in measurement_rows {
        if plans.contains_key(&plan) {
            let m = row.into_domain()?;
            out.insert(("measurement", m.id.as_uuid()), (m.version, SyncData::Measurement(m)));
        }
    }
    for row in check_in_rows {
        if plans.contains_key(&row.plan_id) {
            let c = row.into_domain()?;
            out.insert(("check_in", c.id.as_uuid()), (c.version, SyncData::CheckIn(c)));
        }
    }
    for row in comment_rows {
        let Some(plan) = plans.get(&row.plan_id) else { continue };
        let restricted = row.visibility == Visibility::Mentors.as_str();
        if restricted && !viewer.sees_restricted(plan.program_id.as_uuid(), plan.owner_id.as_uuid()) {
            continue;
        }
        let c = row.into_domain()?;
        out.insert(("comment", c.id.as_uuid()), (c.version, SyncData::Comment(c)));
    }
    for (a, restricted) in attachment_rows {
        let Some(plan) = plans.get(&DbId(a.plan_id.as_uuid())) else { continue };
        if restricted && !viewer.sees_restricted(plan.program_id.as_uuid(), plan.owner_id.as_uuid()) {
            continue;
        }
        out.insert(("attachment", a.id.as_uuid()), (a.version, SyncData::Attachment(a)));
    }
    for r in change_requests {
        if plans.contains_key(&DbId(r.plan_id.as_uuid())) {
            out.insert(("change_request", r.id.as_uuid()), (r.version, SyncData::ChangeRequest(r)));
        }
    }
    Ok(out)
}

/// Today in each plan owner's time zone (what is overdue depends on it).
fn todays<'a>(
    conn: &mut DbConnection,
    plans: impl Iterator<Item = &'a Plan>,
) -> Result<HashMap<Uuid, NaiveDate>, StoreError> {
    let owners: HashSet<DbId> = plans.map(|p| DbId(p.owner_id.as_uuid())).collect();
    let zones: Vec<(DbId, String)> = users::table
        .filter(users::id.eq_any(owners.into_iter().collect::<Vec<_>>()))
        .select((users::id, users::time_zone))
        .load(conn)?;
    Ok(zones.into_iter().map(|(id, tz)| (id.0, crate::today_in(&tz))).collect())
}
