//! Answers to survey rounds: `PUT`/`GET /survey-rounds/{id}/response` (a
//! delegate's own), `GET /survey-rounds/{id}/responses` (who answered) and
//! `GET /survey-rounds/{id}/results` (per question: counts, mean,
//! distribution).

use actix_web::http::header;
use actix_web::{get, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use followup_domain::ids::SurveyRoundId;
use followup_domain::survey_results::{QuestionResult, RoundResults};
use followup_domain::surveys::{AnswerValue, Answers, RosterEntry, SurveyResponse};
use followup_domain::values::RoundState;
use followup_persistence::repo::survey_responses::{self as repo, Answered};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CallerToken;
use crate::conditional::{created, if_match, precondition_required, updated};
use crate::handlers::endpoints::endpoint;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// A delegate's answers to a round.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01939c4e-5e20-7c1d-9e2f-3a4b5c6d7e8f", "round_id": "01939c4e-5e10-7c1d-9e2f-3a4b5c6d7e8f",
    "respondent_id": "01939c4e-2222-7c1d-9e2f-3a4b5c6d7e8f",
    "answers": { "applied": 4, "families": 12, "shared": true, "setting": "field",
                 "story": "Kami mulai kunjungan rumah bersama kader PKK setiap Kamis." },
    "submitted_at": "2023-06-19T01:30:00Z", "updated_at": "2023-06-19T01:30:00Z", "version": 1
}))]
pub struct SurveyResponseBody {
    pub id: Uuid,
    pub round_id: Uuid,
    pub respondent_id: Uuid,
    /// By question key: a number (scale 1–5, number), `true`/`false`
    /// (yes/no), a choice's key or a text.
    pub answers: BTreeMap<String, AnswerValue>,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<SurveyResponse> for SurveyResponseBody {
    fn from(r: SurveyResponse) -> Self {
        Self {
            id: r.id.as_uuid(),
            round_id: r.round_id.as_uuid(),
            respondent_id: r.respondent_id.as_uuid(),
            answers: r.answers,
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// Answers to a round, by question key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "answers": { "applied": 4, "families": 12, "shared": true, "setting": "field",
                 "story": "Kami mulai kunjungan rumah bersama kader PKK setiap Kamis." }
}))]
pub struct AnswersBody {
    /// A scale question takes a whole number 1–5, a number question any
    /// number, a yes/no question `true` or `false`, a choice question one of
    /// its choices' keys, a text question a text of 1–2000 characters.
    /// Every required question must be answered; no other key is taken.
    pub answers: BTreeMap<String, AnswerValue>,
}

/// Answer a round, or change your answers while it is open (a delegate of the programme, on the round's days in your time zone). The first answers need no `If-Match`; changing them needs the `ETag` of your last read (428 without it). A PUT needs no `Idempotency-Key`: sent again after a lost answer, it says 428 or 412 and a GET shows the answers stored.
#[utoipa::path(
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey round id"),
        ("If-Match" = Option<String>, Header, description = "To change your answers: the `ETag` of your last read")),
    request_body = AnswersBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Answered", body = SurveyResponseBody, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "Answers changed", body = SurveyResponseBody, headers(("ETag" = String))),
        (status = 403, description = "Not a delegate of the programme", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survey round, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`survey_round_not_open`: it opens later on your date; `survey_round_closed`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An answer that does not fit its question, a required one missing, or an unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "You answered already: send If-Match to change the answers", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/survey-rounds/{id}/response")]
pub async fn answer_survey_round(
    req: HttpRequest,
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: JsonBody<AnswersBody>,
) -> Result<HttpResponse, ApiError> {
    let expected = if req.headers().contains_key(header::IF_MATCH) { Some(if_match(&req)?) } else { None };
    let answers: Answers = body.0.answers;
    let round = SurveyRoundId::from_uuid(id.into_inner());
    let path = req.path().to_owned();
    caller
        .respond(
            &state,
            move |c, actor| repo::answer(c, actor, round, &answers, expected.as_ref()),
            move |outcome| match outcome {
                Answered::Created(r) => created(path, r.version, &SurveyResponseBody::from(r)),
                Answered::Replaced(r) => updated(r.version, &SurveyResponseBody::from(r)),
                Answered::PreconditionRequired => {
                    actix_web::ResponseError::error_response(&precondition_required(&path))
                }
            },
        )
        .await
}

endpoint! {
    /// Your own answers to a round.
    get get_my_survey_response "/survey-rounds/{id}/response" tag "surveys", SurveyRoundId "Survey round id", CallerToken,
    SurveyResponseBody "Your answers", errors(404 "No such survey round, or you have not answered it"),
    repo::my_response
}

/// One delegate in a round's roster.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "delegate_id": "01939c4e-2222-7c1d-9e2f-3a4b5c6d7e8f", "name": "Yohanes Lado", "state": "open", "answered": true,
    "response": { "id": "01939c4e-5e20-7c1d-9e2f-3a4b5c6d7e8f", "round_id": "01939c4e-5e10-7c1d-9e2f-3a4b5c6d7e8f",
        "respondent_id": "01939c4e-2222-7c1d-9e2f-3a4b5c6d7e8f", "answers": { "applied": 4, "shared": true },
        "submitted_at": "2023-06-19T01:30:00Z", "updated_at": "2023-06-19T01:30:00Z", "version": 1 }
}))]
pub struct RosterEntryBody {
    pub delegate_id: Uuid,
    pub name: String,
    /// Where the round stands on the delegate's date (their time zone).
    pub state: RoundState,
    pub answered: bool,
    /// Their answers, when they answered.
    pub response: Option<SurveyResponseBody>,
}

/// Who answered a round.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterBody {
    /// The delegates in your scope (a mentor: your mentees), by name.
    pub items: Vec<RosterEntryBody>,
}

impl From<RosterEntry> for RosterEntryBody {
    fn from(e: RosterEntry) -> Self {
        Self {
            delegate_id: e.delegate_id.as_uuid(),
            name: e.name,
            state: e.state,
            answered: e.response.is_some(),
            response: e.response.map(SurveyResponseBody::from),
        }
    }
}

endpoint! {
    /// Who answered a round, with their answers: coordinators (every delegate) and mentors (their mentees). Observers read the results instead.
    items list_survey_responses "/survey-rounds/{id}/responses" tag "surveys", SurveyRoundId "Survey round id",
    RosterBody { RosterEntryBody } "The delegates and their answers",
    errors(
        403 "Not a coordinator or mentor of the programme",
        404 "No such survey round, or not visible to you"
    ),
    repo::roster
}

/// A round's results.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "round_id": "01939c4e-5e10-7c1d-9e2f-3a4b5c6d7e8f", "delegates": 15, "responses": 11,
    "questions": [
        { "key": "applied", "kind": "scale", "answered": 11, "mean": 3.9, "min": null, "max": null, "texts": null,
          "distribution": [{ "value": "1", "count": 0 }, { "value": "2", "count": 1 }, { "value": "3", "count": 2 },
                           { "value": "4", "count": 5 }, { "value": "5", "count": 3 }] },
        { "key": "shared", "kind": "yes_no", "answered": 11, "mean": null, "min": null, "max": null, "texts": null,
          "distribution": [{ "value": "yes", "count": 9 }, { "value": "no", "count": 2 }] }
    ]
}))]
pub struct SurveyResultsBody {
    pub round_id: Uuid,
    /// Delegates the results cover (a mentor: their mentees; everyone else: the programme's).
    pub delegates: i64,
    /// How many of them answered.
    pub responses: i64,
    pub questions: Vec<QuestionResult>,
}

impl From<RoundResults> for SurveyResultsBody {
    fn from(r: RoundResults) -> Self {
        Self {
            round_id: r.round_id.as_uuid(),
            delegates: r.delegates,
            responses: r.responses,
            questions: r.questions,
        }
    }
}

/// A round's results per question: how many answered, the mean, the distribution; free-text answers unsigned, for coordinators and mentors, and for observers only when the round allows it. Delegates: 403.
#[utoipa::path(
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey round id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The results", body = SurveyResultsBody),
        (status = 403, description = "A delegate (results are for coordinators, mentors and observers)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survey round, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/survey-rounds/{id}/results")]
pub async fn get_survey_results(
    caller: CallerToken,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let round = SurveyRoundId::from_uuid(id.into_inner());
    let results = caller.read(&state, move |c, actor| repo::results(c, actor, round)).await?;
    Ok(HttpResponse::Ok().json(SurveyResultsBody::from(results)))
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(answer_survey_round)
        .service(get_my_survey_response)
        .service(list_survey_responses)
        .service(get_survey_results);
}
