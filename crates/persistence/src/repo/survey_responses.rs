//! Answers to follow-up survey rounds: a delegate answers a round once, on
//! the days it is open in their time zone, and may change the answers until
//! it closes. Who answered, and the results per question, are read by the
//! programme's coordinators, mentors (individuals: their mentees) and
//! observers (aggregates only).

use std::collections::HashMap;

use diesel::prelude::*;
use followup_domain::ids::{SurveyResponseId, SurveyRoundId, UserId};
use followup_domain::monitoring::today_in;
use followup_domain::policy::survey as policy;
use followup_domain::precondition::Precondition;
use followup_domain::survey_results::{aggregate, RoundResults};
use followup_domain::surveys::{self as rules, Answers, RosterEntry, SurveyResponse};
use followup_domain::values::ProgramRole;
use followup_domain::Actor;

use super::surveys::{load, window_of};
use super::{audit, check_version, not_found, on_unique};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{memberships, mentorships, survey_responses, survey_rounds, users};
use crate::sql_types::{DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_responses)]
pub(crate) struct ResponseRow {
    pub id: DbId,
    pub round_id: DbId,
    pub program_id: DbId,
    pub respondent_id: DbId,
    pub answers: String,
    pub submitted_at: DbTime,
    pub updated_at: DbTime,
    pub version: i64,
}

impl ResponseRow {
    pub(crate) fn into_domain(self) -> Result<SurveyResponse, StoreError> {
        let answers: Answers = serde_json::from_str(&self.answers)
            .map_err(|e| StoreError::internal(format!("survey_responses.answers: {e}")))?;
        Ok(SurveyResponse {
            id: SurveyResponseId::from_uuid(self.id.0),
            round_id: SurveyRoundId::from_uuid(self.round_id.0),
            program_id: self.program_id.0.into(),
            respondent_id: self.respondent_id.0.into(),
            answers,
            submitted_at: self.submitted_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        })
    }
}

/// What answering did.
#[derive(Debug)]
pub enum Answered {
    /// The first answers to this round.
    Created(SurveyResponse),
    /// The answers replaced, `If-Match` holding.
    Replaced(SurveyResponse),
    /// Answers exist and no `If-Match` came: nothing changed (428).
    PreconditionRequired,
}

fn mine(conn: &mut DbConnection, round: DbId, user: UserId) -> Result<Option<ResponseRow>, StoreError> {
    Ok(survey_responses::table
        .filter(survey_responses::round_id.eq(round))
        .filter(survey_responses::respondent_id.eq(DbId(user.as_uuid())))
        .select(ResponseRow::as_select())
        .first(conn)
        .optional()?)
}

/// Answer a round, or change the answers (a delegate of its programme,
/// while it is open on their date). `expected` is the `If-Match` sent, if
/// any: none is needed for the first answers; changing them needs one.
pub fn answer(
    conn: &mut DbConnection,
    actor: &Actor,
    round: SurveyRoundId,
    answers: &Answers,
    expected: Option<&Precondition>,
) -> Result<Answered, StoreError> {
    let (row, program, role) = load(conn, actor, round)?;
    policy::require_answer(actor, role)?;
    let round_row = row.clone().into_domain()?;
    let window = window_of(&round_row, program.training_ends_on);
    let today = super::plans::owners_today(conn, actor.user_id)?;
    rules::require_open(&window, today)?;
    let answers = rules::check_answers(&round_row.fields.questions, answers)?;
    let text = serde_json::to_string(&answers).map_err(|e| StoreError::internal(e.to_string()))?;
    let now = DbTime(crate::now());
    match mine(conn, row.id, actor.user_id)? {
        None => {
            if let Some(expected) = expected {
                // Nothing to match: any tag fails (`*` too, RFC 9110 §13.1.1).
                if *expected != Precondition::Unconditional {
                    check_version(expected, 0)?;
                }
            }
            let new = ResponseRow {
                id: DbId(uuid::Uuid::now_v7()),
                round_id: row.id,
                program_id: row.program_id,
                respondent_id: DbId(actor.user_id.as_uuid()),
                answers: text,
                submitted_at: now,
                updated_at: now,
                version: 1,
            };
            diesel::insert_into(survey_responses::table)
                .values(&new)
                .execute(conn)
                .map_err(|e| on_unique(e, "survey_answered", "this round is answered already"))?;
            audit::Event::new(Some(actor), "survey_response", new.id.0, "create")
                .program(row.program_id.0)
                .version(1)
                .record(conn)?;
            Ok(Answered::Created(new.into_domain()?))
        }
        Some(_) if expected.is_none() => Ok(Answered::PreconditionRequired),
        Some(existing) => {
            check_version(expected.unwrap_or(&Precondition::Unconditional), existing.version)?;
            diesel::update(survey_responses::table.find(existing.id))
                .set((
                    survey_responses::answers.eq(&text),
                    survey_responses::updated_at.eq(now),
                    survey_responses::version.eq(existing.version + 1),
                ))
                .execute(conn)?;
            audit::Event::new(Some(actor), "survey_response", existing.id.0, "update")
                .program(row.program_id.0)
                .fields(&["answers"])
                .version(existing.version + 1)
                .record(conn)?;
            let updated =
                ResponseRow { answers: text, updated_at: now, version: existing.version + 1, ..existing };
            Ok(Answered::Replaced(updated.into_domain()?))
        }
    }
}

/// The actor's own answers to a round (404 when none yet).
pub fn my_response(
    conn: &mut DbConnection,
    actor: &Actor,
    round: SurveyRoundId,
) -> Result<SurveyResponse, StoreError> {
    let (row, _, _) = load(conn, actor, round)?;
    mine(conn, row.id, actor.user_id)?.ok_or_else(|| not_found("survey_response"))?.into_domain()
}

/// The delegates (id, name, time zone) a reader of a round's results may
/// count: all of the programme's, or a mentor's mentees.
fn delegates(
    conn: &mut DbConnection,
    program: DbId,
    mentees_of: Option<UserId>,
) -> Result<Vec<(DbId, String, String)>, StoreError> {
    let mut query = memberships::table
        .inner_join(users::table)
        .filter(memberships::program_id.eq(program))
        .filter(memberships::role.eq(ProgramRole::Delegate.as_str()))
        .select((users::id, users::display_name, users::time_zone))
        .order((users::display_name.asc(), users::id.asc()))
        .into_boxed();
    if let Some(mentor) = mentees_of {
        let mentees = mentorships::table
            .filter(mentorships::program_id.eq(program))
            .filter(mentorships::mentor_id.eq(DbId(mentor.as_uuid())))
            .select(mentorships::delegate_id);
        query = query.filter(users::id.eq_any(mentees));
    }
    Ok(query.load(conn)?)
}

fn responses_of(conn: &mut DbConnection, round: DbId) -> Result<Vec<ResponseRow>, StoreError> {
    Ok(survey_responses::table
        .filter(survey_responses::round_id.eq(round))
        .select(ResponseRow::as_select())
        .order((survey_responses::submitted_at.asc(), survey_responses::id.asc()))
        .load(conn)?)
}

/// Who answered a round: each delegate in the reader's scope, by name, with
/// where the round stands on their date and their answers (coordinators,
/// admins, and mentors for their mentees). Observers and delegates: 403.
pub fn roster(
    conn: &mut DbConnection,
    actor: &Actor,
    round: SurveyRoundId,
) -> Result<Vec<RosterEntry>, StoreError> {
    let (row, program, role) = load(conn, actor, round)?;
    let reader = policy::reader(actor, role, row.observers_see_text)?;
    if !reader.individuals {
        return Err(followup_domain::DomainError::NotAllowed(followup_domain::Message::new(
            "forbidden.survey_individuals",
        ))
        .into());
    }
    let window = window_of(&row.clone().into_domain()?, program.training_ends_on);
    let mut answers: HashMap<DbId, ResponseRow> =
        responses_of(conn, row.id)?.into_iter().map(|r| (r.respondent_id, r)).collect();
    delegates(conn, row.program_id, reader.mentees_of)?
        .into_iter()
        .map(|(id, name, tz)| {
            Ok(RosterEntry {
                delegate_id: id.0.into(),
                name,
                state: window.state(today_in(&tz, crate::now())),
                response: answers.remove(&id).map(ResponseRow::into_domain).transpose()?,
            })
        })
        .collect()
}

/// A round's results over the delegates in the reader's scope (a mentor:
/// their mentees; everyone else who may read them: the whole programme).
pub fn results(
    conn: &mut DbConnection,
    actor: &Actor,
    round: SurveyRoundId,
) -> Result<RoundResults, StoreError> {
    let (row, _, role) = load(conn, actor, round)?;
    let reader = policy::reader(actor, role, row.observers_see_text)?;
    let in_scope: std::collections::HashSet<DbId> =
        delegates(conn, row.program_id, reader.mentees_of)?.into_iter().map(|d| d.0).collect();
    let responses: Vec<Answers> = responses_of(conn, row.id)?
        .into_iter()
        .filter(|r| in_scope.contains(&r.respondent_id))
        .map(|r| r.into_domain().map(|r| r.answers))
        .collect::<Result<_, _>>()?;
    let round_domain = row.into_domain()?;
    Ok(RoundResults {
        round_id: round,
        delegates: i64::try_from(in_scope.len()).unwrap_or(i64::MAX),
        responses: i64::try_from(responses.len()).unwrap_or(i64::MAX),
        questions: aggregate(&round_domain.fields.questions, &responses, reader.texts),
    })
}

/// Open rounds a delegate has not answered, per delegate of `program` (or
/// of a mentor's mentees): what the dashboards count.
pub fn unanswered_open(
    conn: &mut DbConnection,
    program: DbId,
    training_ends_on: chrono::NaiveDate,
    mentees_of: Option<UserId>,
) -> Result<HashMap<uuid::Uuid, i64>, StoreError> {
    let rounds: Vec<super::surveys::RoundRow> = survey_rounds::table
        .filter(survey_rounds::program_id.eq(program))
        .select(super::surveys::RoundRow::as_select())
        .load(conn)?;
    let mut out = HashMap::new();
    if rounds.is_empty() {
        return Ok(out);
    }
    let answered: std::collections::HashSet<(DbId, DbId)> = survey_responses::table
        .filter(survey_responses::program_id.eq(program))
        .select((survey_responses::round_id, survey_responses::respondent_id))
        .load::<(DbId, DbId)>(conn)?
        .into_iter()
        .collect();
    let windows: Vec<(DbId, followup_domain::surveys::Window)> = rounds
        .into_iter()
        .map(|r| {
            let id = r.id;
            r.into_domain().map(|round| (id, window_of(&round, training_ends_on)))
        })
        .collect::<Result<_, _>>()?;
    for (delegate, _, tz) in delegates(conn, program, mentees_of)? {
        let today = today_in(&tz, crate::now());
        let due = windows
            .iter()
            .filter(|(round, w)| {
                w.state(today) == followup_domain::values::RoundState::Open
                    && !answered.contains(&(*round, delegate))
            })
            .count();
        out.insert(delegate.0, i64::try_from(due).unwrap_or(i64::MAX));
    }
    Ok(out)
}

/// A programme's rounds with every delegate's answers, for the outcome
/// report (which keeps those of the delegates in its scope): two queries.
pub(crate) fn report_facts(
    conn: &mut DbConnection,
    program: DbId,
    training_ends_on: chrono::NaiveDate,
) -> Result<Vec<followup_domain::outcome_report::SurveyFacts>, StoreError> {
    let rounds: Vec<super::surveys::RoundRow> = survey_rounds::table
        .filter(survey_rounds::program_id.eq(program))
        .select(super::surveys::RoundRow::as_select())
        .load(conn)?;
    let mut answers: HashMap<DbId, Vec<(UserId, Answers)>> = HashMap::new();
    let rows: Vec<ResponseRow> = survey_responses::table
        .filter(survey_responses::program_id.eq(program))
        .select(ResponseRow::as_select())
        .order((survey_responses::submitted_at.asc(), survey_responses::id.asc()))
        .load(conn)?;
    for row in rows {
        let round = row.round_id;
        let r = row.into_domain()?;
        answers.entry(round).or_default().push((r.respondent_id, r.answers));
    }
    rounds
        .into_iter()
        .map(|row| {
            let id = row.id;
            let round = row.into_domain()?;
            Ok(followup_domain::outcome_report::SurveyFacts {
                window: window_of(&round, training_ends_on),
                answers: answers.remove(&id).unwrap_or_default(),
                round,
            })
        })
        .collect()
}

/// The responses with these ids (for the change feed).
pub(crate) fn by_ids(conn: &mut DbConnection, ids: &[DbId]) -> Result<Vec<SurveyResponse>, StoreError> {
    super::rows_by_ids!(conn, survey_responses, ResponseRow, ids)?
        .into_iter()
        .map(ResponseRow::into_domain)
        .collect()
}
