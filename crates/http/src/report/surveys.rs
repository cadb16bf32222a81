//! The follow-up surveys in the outcome report: each round's results over
//! the delegates in scope as flat figures (one per count and mean), as the
//! JSON body's `surveys`, and as a chart of the 1–5 answers per round. No
//! free-text answer is part of the report.

use chrono::NaiveDate;
use followup_domain::outcome_report::{OutcomeReport, SurveyRoundFigures};
use followup_domain::surveys::{Localized, Question};
use followup_domain::values::{Locale, QuestionKind};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::{Figure, Value};

/// The words of a distribution's value: a choice's label, yes/no, a scale step.
fn value_label(q: &Question, value: &str) -> Localized {
    if let Some(choice) = q.choices.iter().find(|c| c.key == value) {
        return choice.label.clone();
    }
    match value {
        "yes" => Localized { id: "Ya".into(), en: "Yes".into() },
        "no" => Localized { id: "Tidak".into(), en: "No".into() },
        other => Localized { id: other.into(), en: other.into() },
    }
}

fn joined(a: &Localized, b: &Localized) -> Localized {
    Localized { id: format!("{} — {}", a.id, b.id), en: format!("{} — {}", a.en, b.en) }
}

fn figure(key: String, label: &'static str, value: Value, subject: &Localized) -> Figure {
    Figure { section: "surveys", key, label, value, delegate: None, subject: Some(subject.clone()) }
}

/// Every survey figure: per round its delegates, responses and response
/// rate; per question how many answered, the mean (scale, number), the
/// smallest and largest (number) and each value's count.
pub fn figures(r: &OutcomeReport) -> Vec<Figure> {
    let mut out = Vec::new();
    for round in &r.sections.surveys {
        let prefix = format!("surveys.{}", round.round_id.as_uuid());
        out.push(figure(
            format!("{prefix}.delegates"),
            "surveys.delegates",
            Value::Count(round.delegates),
            &round.title,
        ));
        out.push(figure(
            format!("{prefix}.responses"),
            "surveys.responses",
            Value::Count(round.responses),
            &round.title,
        ));
        out.push(figure(
            format!("{prefix}.response_rate"),
            "surveys.response_rate",
            Value::Share(round.response_rate),
            &round.title,
        ));
        for (q, result) in &round.questions {
            let key = format!("{prefix}.{}", q.key);
            out.push(figure(
                format!("{key}.answered"),
                "surveys.answered",
                Value::Count(result.answered),
                &q.prompt,
            ));
            if matches!(q.kind, QuestionKind::Scale | QuestionKind::Number) {
                out.push(figure(
                    format!("{key}.mean"),
                    "surveys.mean",
                    Value::Number(result.mean),
                    &q.prompt,
                ));
            }
            if q.kind == QuestionKind::Number {
                out.push(figure(format!("{key}.min"), "surveys.min", Value::Number(result.min), &q.prompt));
                out.push(figure(format!("{key}.max"), "surveys.max", Value::Number(result.max), &q.prompt));
            }
            for bucket in &result.distribution {
                let subject = joined(&q.prompt, &value_label(q, &bucket.value));
                out.push(figure(
                    format!("{key}.count.{}", bucket.value),
                    "surveys.count",
                    Value::Count(bucket.count),
                    &subject,
                ));
            }
        }
    }
    out
}

/// How many answers gave one value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSurveyBucket {
    /// `1`–`5`, `yes`/`no`, or a choice's key.
    #[schema(example = "4")]
    pub value: String,
    /// The value in the report's language.
    #[schema(example = "4")]
    pub label: String,
    #[schema(example = 5)]
    pub count: i64,
}

/// One question's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSurveyQuestion {
    #[schema(example = "applied")]
    pub key: String,
    pub kind: QuestionKind,
    /// The question in the report's language.
    #[schema(
        example = "How often do you apply family-based case management in your daily work? (1 = never, 5 = every day)"
    )]
    pub prompt: String,
    #[schema(example = 11)]
    pub answered: i64,
    /// Scale and number questions, rounded to 2 decimals.
    #[schema(example = 3.82)]
    pub mean: Option<f64>,
    /// Number questions.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Every value of a scale, yes/no or choice question.
    pub distribution: Vec<ReportSurveyBucket>,
}

/// A follow-up survey round's results over the delegates in scope (free
/// texts are not part of the report).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSurveyRound {
    pub round_id: Uuid,
    /// In the report's language.
    #[schema(example = "Follow-up survey: what has changed in your practice?")]
    pub title: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    #[schema(example = 15)]
    pub delegates: i64,
    #[schema(example = 11)]
    pub responses: i64,
    /// `responses / delegates`, rounded to 4 decimals.
    #[schema(example = 0.7333)]
    pub response_rate: Option<f64>,
    pub questions: Vec<ReportSurveyQuestion>,
}

fn text(l: &Localized, lang: Locale) -> String {
    l.in_language(lang == Locale::Id).to_owned()
}

impl ReportSurveyRound {
    pub fn new(round: &SurveyRoundFigures, lang: Locale) -> Self {
        Self {
            round_id: round.round_id.as_uuid(),
            title: text(&round.title, lang),
            opens_on: round.opens_on,
            closes_on: round.closes_on,
            delegates: round.delegates,
            responses: round.responses,
            response_rate: round.response_rate,
            questions: round
                .questions
                .iter()
                .map(|(q, r)| ReportSurveyQuestion {
                    key: q.key.clone(),
                    kind: q.kind,
                    prompt: text(&q.prompt, lang),
                    answered: r.answered,
                    mean: r.mean,
                    min: r.min,
                    max: r.max,
                    distribution: r
                        .distribution
                        .iter()
                        .map(|b| ReportSurveyBucket {
                            value: b.value.clone(),
                            label: text(&value_label(q, &b.value), lang),
                            count: b.count,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The 1–5 answers of a round's scale questions: one category per step,
/// one series per question (its key and counts).
pub fn scale_series(round: &SurveyRoundFigures) -> Vec<(String, Vec<i64>)> {
    round
        .questions
        .iter()
        .filter(|(q, _)| q.kind == QuestionKind::Scale)
        .map(|(q, r)| (q.key.clone(), r.distribution.iter().map(|b| b.count).collect()))
        .collect()
}
