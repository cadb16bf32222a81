//! Follow-up survey rounds: `POST`/`GET /programs/{id}/survey-rounds`
//! define and list them, `GET`/`PATCH`/`DELETE /survey-rounds/{id}` read,
//! change and remove one. Answers and results: [`crate::handlers::survey_responses`].

use actix_web::{delete, get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use followup_domain::ids::{ProgramId, SurveyRoundId};
use followup_domain::surveys::{Choice, Localized, NewRound, Question, RoundChanges, RoundFields, RoundView};
use followup_domain::values::{QuestionKind, RoundState};
use followup_domain::DomainError;
use followup_persistence::repo::surveys as repo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::dto::{addressable, PageQuery};
use crate::handlers::endpoints::endpoint;
use crate::text::Text;

/// A round's title, in Indonesian and English.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleInput {
    #[schema(inline)]
    pub id: Text<200>,
    #[schema(inline)]
    pub en: Text<200>,
}

/// A question's prompt, in Indonesian and English.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptInput {
    #[schema(inline)]
    pub id: Text<500>,
    #[schema(inline)]
    pub en: Text<500>,
}

/// One option of a `choice` question.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceInput {
    /// Stable key, what an answer gives.
    #[schema(pattern = "^[a-z0-9_]{1,40}$")]
    pub key: String,
    pub label: TitleInput,
}

/// A question of a round.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// Stable key, what the answers are filed under; distinct in the round.
    #[schema(pattern = "^[a-z0-9_]{1,40}$")]
    pub key: String,
    pub kind: QuestionKind,
    pub prompt: PromptInput,
    /// The options of a `choice` question (2–20); none for the other kinds.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub choices: Vec<ChoiceInput>,
    /// Whether every response must answer it (default false).
    #[serde(default)]
    pub required: bool,
}

/// The texts as sent: [`RoundFields::checked`] checks every field at once,
/// by the same rule as [`Text`].
fn localized<const N: usize>(id: &Text<N>, en: &Text<N>) -> Localized {
    Localized { id: id.as_sent().to_owned(), en: en.as_sent().to_owned() }
}

fn questions(input: Vec<QuestionInput>) -> Vec<Question> {
    input
        .into_iter()
        .map(|q| Question {
            key: q.key,
            kind: q.kind,
            prompt: localized(&q.prompt.id, &q.prompt.en),
            choices: q
                .choices
                .into_iter()
                .map(|c| Choice { key: c.key, label: localized(&c.label.id, &c.label.en) })
                .collect(),
            required: q.required,
        })
        .collect()
}

/// A new round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": { "id": "Survei 30 hari: apa yang sudah berubah?", "en": "30-day survey: what has changed?" },
    "days_after_training": 30,
    "open_days": 14,
    "questions": [
        { "key": "applied", "kind": "scale", "required": true,
          "prompt": { "id": "Seberapa sering Anda menerapkan manajemen kasus berbasis keluarga dalam pekerjaan sehari-hari? (1 = tidak pernah, 5 = setiap hari)",
                      "en": "How often do you apply family-based case management in your daily work? (1 = never, 5 = every day)" } },
        { "key": "families", "kind": "number",
          "prompt": { "id": "Berapa keluarga yang Anda dampingi bulan ini?", "en": "How many families did you accompany this month?" } },
        { "key": "shared", "kind": "yes_no", "required": true,
          "prompt": { "id": "Apakah Anda sudah berbagi materi pelatihan Seoul dengan rekan kerja?", "en": "Have you shared the Seoul training material with colleagues?" } },
        { "key": "setting", "kind": "choice",
          "prompt": { "id": "Di mana Anda paling banyak menerapkannya?", "en": "Where do you apply it most?" },
          "choices": [
            { "key": "office", "label": { "id": "Kantor dinas", "en": "Agency office" } },
            { "key": "field", "label": { "id": "Kunjungan rumah", "en": "Home visits" } },
            { "key": "both", "label": { "id": "Keduanya", "en": "Both" } }
          ] },
        { "key": "story", "kind": "text",
          "prompt": { "id": "Ceritakan satu perubahan dalam praktik Anda.", "en": "Tell us about one change in your practice." } }
    ],
    "observers_see_text": false
}))]
pub struct CreateSurveyRoundBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    pub title: TitleInput,
    /// The round opens this many days after the training's last day (0–3650),
    /// on that date in each delegate's own time zone.
    #[schema(minimum = 0, maximum = 3650)]
    pub days_after_training: i32,
    /// How many days it stays open, its opening day included (1–90, default 14).
    #[schema(minimum = 1, maximum = 90)]
    pub open_days: Option<i32>,
    /// 1–30 questions with distinct keys.
    #[schema(min_items = 1, max_items = 30)]
    pub questions: Vec<QuestionInput>,
    /// Observers (the funder) may read the free-text answers, unsigned
    /// (default false: they see counts only).
    #[serde(default)]
    pub observers_see_text: bool,
}

impl TryFrom<CreateSurveyRoundBody> for NewRound {
    type Error = DomainError;
    fn try_from(b: CreateSurveyRoundBody) -> Result<Self, DomainError> {
        let fields = RoundFields {
            title: localized(&b.title.id, &b.title.en),
            days_after_training: b.days_after_training,
            open_days: b.open_days.unwrap_or(14),
            questions: questions(b.questions),
            observers_see_text: b.observers_see_text,
        };
        Ok(NewRound { id: b.id.map(SurveyRoundId::from_uuid).unwrap_or_default(), fields: fields.checked()? })
    }
}

/// Changes to a round; what is absent stays. Questions cannot change once
/// a delegate has answered (409 `survey_round_answered`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "open_days": 21 }))]
pub struct UpdateSurveyRoundBody {
    pub title: Option<TitleInput>,
    #[schema(minimum = 0, maximum = 3650)]
    pub days_after_training: Option<i32>,
    #[schema(minimum = 1, maximum = 90)]
    pub open_days: Option<i32>,
    #[schema(min_items = 1, max_items = 30)]
    pub questions: Option<Vec<QuestionInput>>,
    pub observers_see_text: Option<bool>,
}

impl TryFrom<UpdateSurveyRoundBody> for RoundChanges {
    type Error = DomainError;
    fn try_from(b: UpdateSurveyRoundBody) -> Result<Self, DomainError> {
        // Checked with the round's other fields when applied.
        Ok(RoundChanges {
            title: b.title.as_ref().map(|t| localized(&t.id, &t.en)),
            days_after_training: b.days_after_training,
            open_days: b.open_days,
            questions: b.questions.map(questions),
            observers_see_text: b.observers_see_text,
        })
    }
}

/// A follow-up survey round, as the reader sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01939c4e-5e10-7c1d-9e2f-3a4b5c6d7e8f", "program_id": "01939c4e-1111-7c1d-9e2f-3a4b5c6d7e8f",
    "title": { "id": "Survei 30 hari: apa yang sudah berubah?", "en": "30-day survey: what has changed?" },
    "days_after_training": 30, "open_days": 14,
    "questions": [{ "key": "applied", "kind": "scale", "required": true, "choices": [],
        "prompt": { "id": "Seberapa sering Anda menerapkan manajemen kasus berbasis keluarga? (1–5)", "en": "How often do you apply family-based case management? (1–5)" } }],
    "observers_see_text": false,
    "opens_on": "2023-06-18", "closes_on": "2023-07-01", "state": "open", "responses": 11, "answered": null,
    "created_by": "01939c4e-4444-7c1d-9e2f-3a4b5c6d7e8f",
    "created_at": "2023-05-22T02:00:00Z", "updated_at": "2023-05-22T02:00:00Z", "version": 1
}))]
pub struct SurveyRoundBody {
    pub id: Uuid,
    pub program_id: Uuid,
    pub title: Localized,
    pub days_after_training: i32,
    pub open_days: i32,
    pub questions: Vec<Question>,
    pub observers_see_text: bool,
    /// The training's last day plus `days_after_training`. A delegate's day
    /// counts in their own time zone: the round opens for each at their
    /// midnight.
    pub opens_on: NaiveDate,
    /// The last day it is open.
    pub closes_on: NaiveDate,
    /// Where it stands on your date (your time zone).
    pub state: RoundState,
    /// How many delegates answered (readers of results; `null` for delegates).
    pub responses: Option<i64>,
    /// Whether you answered (delegates; `null` for everyone else).
    pub answered: Option<bool>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

addressable!(SurveyRoundBody, "/api/v1/survey-rounds/{}", id);

impl From<RoundView> for SurveyRoundBody {
    fn from(v: RoundView) -> Self {
        let r = v.round;
        Self {
            id: r.id.as_uuid(),
            program_id: r.program_id.as_uuid(),
            title: r.fields.title,
            days_after_training: r.fields.days_after_training,
            open_days: r.fields.open_days,
            questions: r.fields.questions,
            observers_see_text: r.fields.observers_see_text,
            opens_on: v.window.opens_on,
            closes_on: v.window.closes_on,
            state: v.state,
            responses: v.responses,
            answered: v.answered,
            created_by: r.created_by.map(|u| u.as_uuid()),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

endpoint! {
    /// A programme's survey rounds, in creation order (its members).
    list list_survey_rounds "/programs/{id}/survey-rounds" tag "surveys", ProgramId "Programme id", PageQuery,
    SurveyRoundBody "A page of survey rounds", errors(404 "No such programme, or not visible to you"),
    |c, actor, id, _, page| repo::list(c, actor, id, page)
}

endpoint! {
    /// Define a survey round (a coordinator): the day after the training it opens, how long it stays open, and its questions in Indonesian and English.
    create create_survey_round "/programs/{id}/survey-rounds" tag "surveys", ProgramId "Programme id",
    CreateSurveyRoundBody => NewRound::try_from, SurveyRoundBody "Defined",
    errors(
        403 "Not a coordinator of the programme", 404 "No such programme, or not visible to you",
        409 "`id_conflict`: the id names another round",
        422 "A question without both languages, a key twice, choices on a question that is no choice, days out of range"
    ),
    repo::create
}

endpoint! {
    /// Read a survey round.
    get get_survey_round "/survey-rounds/{id}" tag "surveys", SurveyRoundId "Survey round id", CallerToken,
    SurveyRoundBody "The survey round", errors(404 "No such survey round, or not visible to you"),
    repo::get
}

endpoint! {
    /// Change a survey round (a coordinator); its questions stay once a delegate has answered.
    patch update_survey_round "/survey-rounds/{id}" tag "surveys", SurveyRoundId "Survey round id", CallerToken,
    UpdateSurveyRoundBody => RoundChanges::try_from, SurveyRoundBody "Changed",
    errors(
        403 "Not a coordinator of the programme", 404 "No such survey round, or not visible to you",
        409 "`survey_round_answered`: delegates answered these questions"
    ),
    repo::update
}

endpoint! {
    /// Remove a survey round nobody has answered (a coordinator).
    delete delete_survey_round "/survey-rounds/{id}" tag "surveys", SurveyRoundId "Survey round id", CallerToken,
    errors(
        403 "Not a coordinator of the programme", 404 "No such survey round, or not visible to you",
        409 "`survey_round_answered`: delegates answered it; their answers are kept"
    ),
    repo::delete
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_survey_rounds)
        .service(create_survey_round)
        .service(get_survey_round)
        .service(update_survey_round)
        .service(delete_survey_round);
}
