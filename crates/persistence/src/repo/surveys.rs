//! Follow-up survey rounds: defined by a programme's coordinators, read by
//! its members, each seen in the reader's own calendar (a round opens on
//! its day in the reader's time zone). Every change is audited, so the
//! change feed carries it to every member.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use followup_domain::ids::{ProgramId, SurveyRoundId};
use followup_domain::paging::{Cursor, Page, PageRequest};
use followup_domain::policy::survey as policy;
use followup_domain::precondition::Precondition;
use followup_domain::surveys::{
    self as rules, Localized, NewRound, Question, RoundChanges, RoundFields, RoundView, SurveyRound, Window,
};
use followup_domain::values::ProgramRole;
use followup_domain::Actor;

use super::plans::{owners_today, replayed, Created};
use super::rows::ProgramRow;
use super::{audit, check_version, hide_as, not_found, programs, Unstored};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{survey_responses, survey_rounds};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_rounds)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct RoundRow {
    pub id: DbId,
    pub program_id: DbId,
    pub title: String,
    pub days_after_training: i32,
    pub open_days: i32,
    pub questions: String,
    pub observers_see_text: bool,
    pub created_by: Option<DbId>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub version: i64,
}

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::internal(e.to_string()))
}

impl RoundRow {
    pub(crate) fn into_domain(self) -> Result<SurveyRound, StoreError> {
        let title: Localized = serde_json::from_str(&self.title)
            .map_err(|e| StoreError::internal(format!("survey_rounds.title: {e}")))?;
        let questions: Vec<Question> = serde_json::from_str(&self.questions)
            .map_err(|e| StoreError::internal(format!("survey_rounds.questions: {e}")))?;
        Ok(SurveyRound {
            id: SurveyRoundId::from_uuid(self.id.0),
            program_id: self.program_id.0.into(),
            fields: RoundFields {
                title,
                days_after_training: self.days_after_training,
                open_days: self.open_days,
                questions,
                observers_see_text: self.observers_see_text,
            },
            created_by: self.created_by.map(|u| u.0.into()),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        })
    }
}

/// The window of a round in a programme whose training ends on `ends`.
pub(crate) fn window_of(round: &SurveyRound, training_ends_on: NaiveDate) -> Window {
    Window::of(training_ends_on, round.fields.days_after_training, round.fields.open_days)
}

/// Responses per round, for these rounds.
fn response_counts(conn: &mut DbConnection, rounds: &[DbId]) -> Result<HashMap<DbId, i64>, StoreError> {
    if rounds.is_empty() {
        return Ok(HashMap::new());
    }
    let counts: Vec<(DbId, i64)> = survey_responses::table
        .filter(survey_responses::round_id.eq_any(rounds.to_vec()))
        .group_by(survey_responses::round_id)
        .select((survey_responses::round_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// The rounds among these that the actor answered.
fn answered_by(conn: &mut DbConnection, actor: &Actor, rounds: &[DbId]) -> Result<Vec<DbId>, StoreError> {
    if rounds.is_empty() {
        return Ok(Vec::new());
    }
    Ok(survey_responses::table
        .filter(survey_responses::round_id.eq_any(rounds.to_vec()))
        .filter(survey_responses::respondent_id.eq(DbId(actor.user_id.as_uuid())))
        .select(survey_responses::round_id)
        .load(conn)?)
}

/// The rounds as the actor (with `role` in their programme) sees them.
fn views(
    conn: &mut DbConnection,
    actor: &Actor,
    role: Option<ProgramRole>,
    program: &ProgramRow,
    rows: Vec<RoundRow>,
) -> Result<Vec<RoundView>, StoreError> {
    let today = owners_today(conn, actor.user_id)?;
    let ids: Vec<DbId> = rows.iter().map(|r| r.id).collect();
    let counts = match rows.first() {
        Some(first) if policy::reader(actor, role, first.observers_see_text).is_ok() => {
            Some(response_counts(conn, &ids)?)
        }
        _ => None,
    };
    let mine = if role == Some(ProgramRole::Delegate) { Some(answered_by(conn, actor, &ids)?) } else { None };
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            let round = row.into_domain()?;
            let window = window_of(&round, program.training_ends_on);
            Ok(RoundView {
                state: window.state(today),
                window,
                responses: counts.as_ref().map(|c| c.get(&id).copied().unwrap_or(0)),
                answered: mine.as_ref().map(|m| m.contains(&id)),
                round,
            })
        })
        .collect()
}

/// A programme's rounds, in creation order (its members).
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    page: &PageRequest,
) -> Result<Page<RoundView>, StoreError> {
    let (program_row, role) = programs::visible(conn, actor, program)?;
    let query = super::created_page!(
        survey_rounds::table
            .filter(survey_rounds::program_id.eq(program_row.id))
            .select(RoundRow::as_select()),
        survey_rounds,
        page
    );
    let rows = query.load::<RoundRow>(conn)?;
    let items = views(conn, actor, role, &program_row, rows)?;
    Ok(Page::from_rows(items, page, |v: &RoundView| Cursor {
        at: v.round.created_at,
        id: v.round.id.as_uuid(),
    }))
}

/// A round with its programme and the actor's role there (404 when the
/// programme is hidden from the actor).
pub(crate) fn load(
    conn: &mut DbConnection,
    actor: &Actor,
    id: SurveyRoundId,
) -> Result<(RoundRow, ProgramRow, Option<ProgramRole>), StoreError> {
    let row: RoundRow = super::find_row!(conn, survey_rounds, RoundRow, id.as_uuid())?
        .ok_or_else(|| not_found("survey_round"))?;
    let (program, role) =
        programs::visible(conn, actor, row.program_id.0.into()).map_err(hide_as("survey_round"))?;
    Ok((row, program, role))
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: SurveyRoundId) -> Result<RoundView, StoreError> {
    let (row, program, role) = load(conn, actor, id)?;
    views(conn, actor, role, &program, vec![row])?.pop().ok_or_else(|| not_found("survey_round"))
}

/// Define a round (coordinators and admins). Sent again with the same id
/// and fields, the round is answered as it is.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    cmd: &NewRound,
) -> Result<Created<RoundView>, StoreError> {
    let (program_row, role) = programs::visible(conn, actor, program)?;
    policy::require_define(actor, role)?;
    let existing: Option<RoundRow> = super::find_row!(conn, survey_rounds, RoundRow, cmd.id.as_uuid())?;
    if let Some(existing) = existing {
        let same = existing.program_id == program_row.id
            && existing.clone().into_domain().is_ok_and(|r| r.fields == cmd.fields);
        return replayed(same, "survey_round", || get(conn, actor, cmd.id));
    }
    let now = DbTime(crate::now());
    let row = RoundRow {
        id: DbId(cmd.id.as_uuid()),
        program_id: program_row.id,
        title: json(&cmd.fields.title)?,
        days_after_training: cmd.fields.days_after_training,
        open_days: cmd.fields.open_days,
        questions: json(&cmd.fields.questions)?,
        observers_see_text: cmd.fields.observers_see_text,
        created_by: Some(DbId(actor.user_id.as_uuid())),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    diesel::insert_into(survey_rounds::table).values(&row).execute(conn)?;
    audit::Event::new(Some(actor), "survey_round", cmd.id.as_uuid(), "create")
        .program(program_row.id.0)
        .version(1)
        .record(conn)?;
    Ok(Created::New(get(conn, actor, cmd.id)?))
}

fn answered(conn: &mut DbConnection, round: DbId) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(
        survey_responses::table.filter(survey_responses::round_id.eq(round)),
    ))
    .get_result(conn)?)
}

/// Change a round (coordinators and admins); its questions stay once a
/// delegate has answered.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: SurveyRoundId,
    changes: &RoundChanges,
    expected: &Precondition,
) -> Result<RoundView, StoreError> {
    let (row, _, role) = load(conn, actor, id)?;
    policy::require_define(actor, role)?;
    check_version(expected, row.version)?;
    let current = row.clone().into_domain()?;
    let next = changes.apply(&current.fields)?;
    if next.questions != current.fields.questions && answered(conn, row.id)? {
        return Err(rules::answered_round().into());
    }
    diesel::update(survey_rounds::table.find(row.id))
        .set((
            survey_rounds::title.eq(json(&next.title)?),
            survey_rounds::days_after_training.eq(next.days_after_training),
            survey_rounds::open_days.eq(next.open_days),
            survey_rounds::questions.eq(json(&next.questions)?),
            survey_rounds::observers_see_text.eq(next.observers_see_text),
            survey_rounds::updated_at.eq(DbTime(crate::now())),
            survey_rounds::version.eq(row.version + 1),
        ))
        .execute(conn)?;
    let fields = changes.fields();
    audit::Event::new(Some(actor), "survey_round", id.as_uuid(), "update")
        .program(row.program_id.0)
        .fields(&fields)
        .version(row.version + 1)
        .record(conn)?;
    get(conn, actor, id)
}

/// Remove a round nobody has answered (coordinators and admins).
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: SurveyRoundId,
    expected: &Precondition,
) -> Result<Unstored, StoreError> {
    let (row, _, role) = load(conn, actor, id)?;
    policy::require_define(actor, role)?;
    check_version(expected, row.version)?;
    if answered(conn, row.id)? {
        return Err(rules::answered_round().into());
    }
    diesel::delete(survey_rounds::table.find(row.id)).execute(conn)?;
    audit::Event::new(Some(actor), "survey_round", id.as_uuid(), "delete")
        .program(row.program_id.0)
        .version(row.version)
        .record(conn)?;
    Ok(Unstored::default())
}

/// The rounds with these ids that the actor may see, as they see them
/// (for the change feed): a few queries per programme among them.
pub(crate) fn views_by_ids(
    conn: &mut DbConnection,
    actor: &Actor,
    ids: &[DbId],
) -> Result<Vec<RoundView>, StoreError> {
    let rows = super::rows_by_ids!(conn, survey_rounds, RoundRow, ids)?;
    let mut by_program: HashMap<DbId, Vec<RoundRow>> = HashMap::new();
    for row in rows {
        by_program.entry(row.program_id).or_default().push(row);
    }
    let mut out = Vec::new();
    for (program, rows) in by_program {
        match programs::visible(conn, actor, program.0.into()) {
            Ok((program_row, role)) => out.extend(views(conn, actor, role, &program_row, rows)?),
            Err(StoreError::Domain(followup_domain::DomainError::NotFound { .. })) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(out)
}
