//! Follow-up surveys: did the training change practice? A coordinator sets a
//! programme's rounds — a number of days after the training ends, and
//! questions in Indonesian and English. A round opens for each delegate on
//! that day in the delegate's own time zone and stays open `open_days` days;
//! the delegate answers once and may change the answers until it closes.
//! Results are aggregated per question in [`crate::survey_results`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{DomainError, FieldError, Message};
use crate::ids::{ProgramId, SurveyResponseId, SurveyRoundId, UserId};
use crate::values::{required_text, QuestionKind, RoundState};

/// The most questions a round holds.
pub const MAX_QUESTIONS: usize = 30;
/// The most choices a single-choice question offers.
pub const MAX_CHOICES: usize = 20;
/// The longest free-text answer, in characters.
pub const MAX_TEXT_ANSWER: usize = 2000;
/// A scale question's answers run from 1 to this.
pub const SCALE_MAX: i64 = 5;

/// A text in both languages of the programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// Indonesian.
    pub id: String,
    /// English.
    pub en: String,
}

impl Localized {
    /// Both texts present, trimmed, at most `max` characters.
    fn checked(&self, field: &str, max: usize, errors: &mut Vec<FieldError>) -> Localized {
        let mut one = |lang: &str, raw: &str| match required_text(&format!("{field}.{lang}"), raw, max) {
            Ok(text) => text,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        Localized { id: one("id", &self.id), en: one("en", &self.en) }
    }

    /// The text in the reader's language (`id` or anything else for English).
    pub fn in_language(&self, indonesian: bool) -> &str {
        if indonesian {
            &self.id
        } else {
            &self.en
        }
    }
}

/// One option of a single-choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stable key, what an answer gives: lowercase letters, digits and `_`.
    pub key: String,
    pub label: Localized,
}

/// A question of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable key, what an answer is filed under: lowercase letters, digits and `_`.
    pub key: String,
    pub kind: QuestionKind,
    pub prompt: Localized,
    /// The options of a `choice` question (2–20); empty for the other kinds.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Whether an answer must give it.
    #[serde(default)]
    pub required: bool,
}

fn valid_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The `key` of a question or choice at `field`: a valid key word, not one
/// of the `earlier` keys beside it.
fn check_key<'a>(
    field: &str,
    key: &str,
    mut earlier: impl Iterator<Item = &'a String>,
    errors: &mut Vec<FieldError>,
) {
    if !valid_key(key) {
        errors.push(
            FieldError::new(format!("{field}.key"), "invalid", "must be 1–40 lowercase letters, digits or _")
                .key("invalid.key_word"),
        );
    }
    if earlier.any(|e| e == key) {
        errors.push(FieldError::new(format!("{field}.key"), "duplicate", "names a key twice"));
    }
}

/// What a coordinator sets for a round.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundFields {
    pub title: Localized,
    /// The round opens this many days after the training's last day.
    pub days_after_training: i32,
    /// It stays open this many days, its opening day included.
    pub open_days: i32,
    pub questions: Vec<Question>,
    /// Observers (the funder) may read the free-text answers, unsigned.
    pub observers_see_text: bool,
}

impl RoundFields {
    /// Checked and trimmed: days 0–3650, 1–90 days open, 1–30 questions
    /// with distinct keys, both languages given, choices only (and 2–20 of
    /// them, distinct) on `choice` questions.
    pub fn checked(&self) -> Result<RoundFields, DomainError> {
        let mut errors = Vec::new();
        let title = self.title.checked("title", 200, &mut errors);
        if !(0..=3650).contains(&self.days_after_training) {
            errors.push(
                FieldError::new("days_after_training", "out_of_range", "must be from 0 to 3650")
                    .with("min", 0)
                    .with("max", 3650),
            );
        }
        if !(1..=90).contains(&self.open_days) {
            errors.push(
                FieldError::new("open_days", "out_of_range", "must be from 1 to 90")
                    .with("min", 1)
                    .with("max", 90),
            );
        }
        if self.questions.is_empty() || self.questions.len() > MAX_QUESTIONS {
            errors.push(
                FieldError::new("questions", "count", "must hold from 1 to 30 questions")
                    .key("count.questions"),
            );
        }
        let mut questions = Vec::with_capacity(self.questions.len());
        for (i, q) in self.questions.iter().enumerate() {
            let field = format!("questions[{i}]");
            check_key(&field, &q.key, self.questions.iter().take(i).map(|earlier| &earlier.key), &mut errors);
            let prompt = q.prompt.checked(&format!("{field}.prompt"), 500, &mut errors);
            let mut choices = Vec::with_capacity(q.choices.len());
            if q.kind == QuestionKind::Choice {
                if !(2..=MAX_CHOICES).contains(&q.choices.len()) {
                    errors.push(
                        FieldError::new(
                            format!("{field}.choices"),
                            "count",
                            "a choice question offers from 2 to 20 choices",
                        )
                        .key("count.choices"),
                    );
                }
                for (j, c) in q.choices.iter().enumerate() {
                    let cf = format!("{field}.choices[{j}]");
                    check_key(&cf, &c.key, q.choices.iter().take(j).map(|earlier| &earlier.key), &mut errors);
                    let label = c.label.checked(&format!("{cf}.label"), 200, &mut errors);
                    choices.push(Choice { key: c.key.clone(), label });
                }
            } else if !q.choices.is_empty() {
                errors.push(
                    FieldError::new(
                        format!("{field}.choices"),
                        "not_allowed",
                        "only a choice question offers choices",
                    )
                    .key("not_allowed.choices"),
                );
            }
            questions.push(Question {
                key: q.key.clone(),
                kind: q.kind,
                prompt,
                choices,
                required: q.required,
            });
        }
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        Ok(RoundFields {
            title,
            days_after_training: self.days_after_training,
            open_days: self.open_days,
            questions,
            observers_see_text: self.observers_see_text,
        })
    }
}

/// A round as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRound {
    pub id: SurveyRoundId,
    pub program_id: ProgramId,
    pub fields: RoundFields,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The days a round is open, as calendar dates: a delegate's day counts in
/// their own time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub opens_on: NaiveDate,
    /// The last day it is open.
    pub closes_on: NaiveDate,
}

impl Window {
    pub fn of(training_ends_on: NaiveDate, days_after_training: i32, open_days: i32) -> Self {
        let opens_on = training_ends_on + Duration::days(i64::from(days_after_training));
        Window { opens_on, closes_on: opens_on + Duration::days(i64::from(open_days.max(1)) - 1) }
    }

    /// Where the round stands on `today` (the reader's date).
    pub fn state(&self, today: NaiveDate) -> RoundState {
        if today < self.opens_on {
            RoundState::Upcoming
        } else if today <= self.closes_on {
            RoundState::Open
        } else {
            RoundState::Closed
        }
    }
}

/// One answer: a number (scale, number), yes or no, or a text (choice key,
/// free text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// A response's answers by question key.
pub type Answers = BTreeMap<String, AnswerValue>;

/// Answers that fit the round's questions: every key a question's, every
/// required question answered, each value of its question's kind (a scale
/// a whole number 1–5, a number finite, a choice one of its keys, a text
/// 1–2000 characters). Texts come back trimmed.
pub fn check_answers(questions: &[Question], answers: &Answers) -> Result<Answers, DomainError> {
    let mut errors = Vec::new();
    let mut out = Answers::new();
    for key in answers.keys() {
        if !questions.iter().any(|q| &q.key == key) {
            errors.push(
                FieldError::new(format!("answers.{key}"), "unknown", "is not a question of this round")
                    .key("unknown.question"),
            );
        }
    }
    for q in questions {
        let field = format!("answers.{}", q.key);
        let Some(value) = answers.get(&q.key) else {
            if q.required {
                errors.push(FieldError::new(field, "required", "this question must be answered"));
            }
            continue;
        };
        let checked = match (q.kind, value) {
            (QuestionKind::Scale, AnswerValue::Number(n))
                if n.fract() == 0.0 && (1.0..=SCALE_MAX as f64).contains(n) =>
            {
                Ok(AnswerValue::Number(*n))
            }
            (QuestionKind::Scale, _) => Err(("must be a whole number from 1 to 5", "invalid.answer_scale")),
            (QuestionKind::Number, AnswerValue::Number(n)) if n.is_finite() => Ok(AnswerValue::Number(*n)),
            (QuestionKind::Number, _) => Err(("must be a number", "invalid.answer_number")),
            (QuestionKind::YesNo, AnswerValue::Bool(b)) => Ok(AnswerValue::Bool(*b)),
            (QuestionKind::YesNo, _) => Err(("must be true (yes) or false (no)", "invalid.answer_yes_no")),
            (QuestionKind::Choice, AnswerValue::Text(k)) if q.choices.iter().any(|c| &c.key == k) => {
                Ok(AnswerValue::Text(k.clone()))
            }
            (QuestionKind::Choice, _) => {
                Err(("must be the key of one of the question's choices", "invalid.answer_choice"))
            }
            (QuestionKind::Text, AnswerValue::Text(t)) => match required_text(&field, t, MAX_TEXT_ANSWER) {
                Ok(t) => Ok(AnswerValue::Text(t)),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
            (QuestionKind::Text, _) => Err(("must be a text", "invalid.answer_text")),
        };
        match checked {
            Ok(v) => {
                out.insert(q.key.clone(), v);
            }
            Err((message, key)) => errors.push(FieldError::new(field, "invalid", message).key(key)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DomainError::Invalid(errors))
    }
}

/// A delegate's answers to a round.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyResponse {
    pub id: SurveyResponseId,
    pub round_id: SurveyRoundId,
    pub program_id: ProgramId,
    pub respondent_id: UserId,
    pub answers: Answers,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// Answers are taken only while the round is open for the delegate.
pub fn require_open(window: &Window, today: NaiveDate) -> Result<(), DomainError> {
    match window.state(today) {
        RoundState::Open => Ok(()),
        RoundState::Upcoming => Err(DomainError::StateConflict {
            code: "survey_round_not_open",
            message: Message::new("survey_round_not_open").with("opens_on", window.opens_on),
        }),
        RoundState::Closed => Err(DomainError::StateConflict {
            code: "survey_round_closed",
            message: Message::new("survey_round_closed").with("closes_on", window.closes_on),
        }),
    }
}

/// A round with answers keeps its questions: they are what was answered.
pub fn answered_round() -> DomainError {
    DomainError::StateConflict {
        code: "survey_round_answered",
        message: Message::new("survey_round_answered"),
    }
}

/// A round the coordinator defines.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub id: SurveyRoundId,
    pub fields: RoundFields,
}

/// Changes to a round; absent ones stay. Questions cannot change once a
/// delegate has answered ([`answered_round`]).
#[derive(Debug, Clone, Default)]
pub struct RoundChanges {
    pub title: Option<Localized>,
    pub days_after_training: Option<i32>,
    pub open_days: Option<i32>,
    pub questions: Option<Vec<Question>>,
    pub observers_see_text: Option<bool>,
}

impl RoundChanges {
    /// The names of the fields given, for the audit log.
    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, title, days_after_training, open_days, questions, observers_see_text)
    }

    /// The round's fields with these changes, checked.
    pub fn apply(&self, current: &RoundFields) -> Result<RoundFields, DomainError> {
        RoundFields {
            title: self.title.clone().unwrap_or_else(|| current.title.clone()),
            days_after_training: self.days_after_training.unwrap_or(current.days_after_training),
            open_days: self.open_days.unwrap_or(current.open_days),
            questions: self.questions.clone().unwrap_or_else(|| current.questions.clone()),
            observers_see_text: self.observers_see_text.unwrap_or(current.observers_see_text),
        }
        .checked()
    }
}

/// A round as one reader sees it: its window, where it stands on the
/// reader's date, how many delegates answered (readers of results only) and
/// whether the reader answered (delegates only).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundView {
    pub round: SurveyRound,
    pub window: Window,
    pub state: RoundState,
    pub responses: Option<i64>,
    pub answered: Option<bool>,
}

/// One delegate in a round's roster: where the round stands on their date
/// and their response (its answers only for readers of individuals).
#[derive(Debug, Clone, PartialEq)]
pub struct RosterEntry {
    pub delegate_id: UserId,
    pub name: String,
    pub state: RoundState,
    pub response: Option<SurveyResponse>,
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn text(id: &str, en: &str) -> Localized {
        Localized { id: id.into(), en: en.into() }
    }

    fn question(key: &str, kind: QuestionKind) -> Question {
        Question { key: key.into(), kind, prompt: text("Apa?", "What?"), choices: vec![], required: true }
    }

    #[test]
    fn a_round_opens_on_its_day_and_closes_after_its_open_days() {
        let w = Window::of(d("2023-05-19"), 30, 14);
        assert_eq!(w.opens_on, d("2023-06-18"));
        assert_eq!(w.closes_on, d("2023-07-01"));
        assert_eq!(w.state(d("2023-06-17")), RoundState::Upcoming);
        assert_eq!(w.state(d("2023-06-18")), RoundState::Open);
        assert_eq!(w.state(d("2023-07-01")), RoundState::Open);
        assert_eq!(w.state(d("2023-07-02")), RoundState::Closed);
        assert!(require_open(&w, d("2023-06-17")).is_err());
    }

    #[test]
    fn answers_must_fit_their_questions() {
        let mut choice = question("setting", QuestionKind::Choice);
        choice.choices = vec![
            Choice { key: "office".into(), label: text("Kantor", "Office") },
            Choice { key: "field".into(), label: text("Lapangan", "Field") },
        ];
        let qs = vec![
            question("applied", QuestionKind::Scale),
            question("families", QuestionKind::Number),
            question("shared", QuestionKind::YesNo),
            choice,
            Question { required: false, ..question("story", QuestionKind::Text) },
        ];
        let good: Answers = [
            ("applied".to_string(), AnswerValue::Number(4.0)),
            ("families".to_string(), AnswerValue::Number(12.0)),
            ("shared".to_string(), AnswerValue::Bool(true)),
            ("setting".to_string(), AnswerValue::Text("field".into())),
            ("story".to_string(), AnswerValue::Text("  Kami mulai.  ".into())),
        ]
        .into();
        let checked = check_answers(&qs, &good).unwrap();
        assert_eq!(checked["story"], AnswerValue::Text("Kami mulai.".into()));
        for (key, bad) in [
            ("applied", AnswerValue::Number(6.0)),
            ("applied", AnswerValue::Number(2.5)),
            ("shared", AnswerValue::Text("yes".into())),
            ("setting", AnswerValue::Text("home".into())),
            ("story", AnswerValue::Text("   ".into())),
        ] {
            let mut a = good.clone();
            a.insert(key.into(), bad);
            assert!(check_answers(&qs, &a).is_err(), "{key}");
        }
        let mut missing = good.clone();
        missing.remove("applied");
        assert!(check_answers(&qs, &missing).is_err(), "a required question left out");
        let mut optional = good.clone();
        optional.remove("story");
        assert!(check_answers(&qs, &optional).is_ok(), "an optional question left out");
        let mut extra = good;
        extra.insert("other".into(), AnswerValue::Bool(true));
        assert!(check_answers(&qs, &extra).is_err(), "a key that is no question");
    }

    #[test]
    fn a_round_needs_distinct_keys_and_both_languages() {
        let fields = RoundFields {
            title: text("Survei 30 hari", "30-day survey"),
            days_after_training: 30,
            open_days: 14,
            questions: vec![question("applied", QuestionKind::Scale)],
            observers_see_text: false,
        };
        assert!(fields.checked().is_ok());
        let twice = RoundFields {
            questions: vec![
                question("applied", QuestionKind::Scale),
                question("applied", QuestionKind::Text),
            ],
            ..fields.clone()
        };
        assert!(twice.checked().is_err());
        let no_english = RoundFields { title: text("Survei", " "), ..fields.clone() };
        assert!(no_english.checked().is_err());
        let choice_without =
            RoundFields { questions: vec![question("setting", QuestionKind::Choice)], ..fields };
        assert!(choice_without.checked().is_err());
    }
}
