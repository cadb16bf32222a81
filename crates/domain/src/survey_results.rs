//! A survey round's results, per question: how many answered, the mean
//! (scale and number questions), the distribution (scale 1–5, yes/no, each
//! choice) and, for readers allowed them, the free-text answers without
//! names.

use serde::Serialize;
use utoipa::ToSchema;

use crate::surveys::{AnswerValue, Answers, Question, SCALE_MAX};
use crate::values::QuestionKind;

/// How many answers gave one value.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Bucket {
    /// `1`–`5` (scale), `yes`/`no`, or a choice's key.
    pub value: String,
    pub count: i64,
}

/// One question's aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionResult {
    pub key: String,
    pub kind: QuestionKind,
    /// Responses that answered it.
    pub answered: i64,
    /// Mean of the answers (scale and number questions; `null` with none).
    pub mean: Option<f64>,
    /// Smallest and largest answer (number questions).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Counts per value, every value listed (scale, yes/no and choice
    /// questions; empty for the others).
    pub distribution: Vec<Bucket>,
    /// The free-text answers, unsigned, oldest response first — only for
    /// readers allowed them (`null` otherwise, and for other kinds).
    pub texts: Option<Vec<String>>,
}

/// A round's results: the delegates it is for (in the reader's scope), how
/// many answered, and each question's aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundResults {
    pub round_id: crate::ids::SurveyRoundId,
    pub delegates: i64,
    pub responses: i64,
    pub questions: Vec<QuestionResult>,
}

/// Aggregate `responses` (oldest first) over the round's questions.
pub fn aggregate(questions: &[Question], responses: &[Answers], with_texts: bool) -> Vec<QuestionResult> {
    questions
        .iter()
        .map(|q| {
            let values: Vec<&AnswerValue> = responses.iter().filter_map(|a| a.get(&q.key)).collect();
            let numbers: Vec<f64> = values
                .iter()
                .filter_map(|v| match v {
                    AnswerValue::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            let count_of = |wanted: &dyn Fn(&AnswerValue) -> bool| {
                i64::try_from(values.iter().filter(|v| wanted(v)).count()).unwrap_or(i64::MAX)
            };
            let distribution = match q.kind {
                QuestionKind::Scale => (1..=SCALE_MAX)
                    .map(|n| Bucket {
                        value: n.to_string(),
                        count: count_of(&|v| matches!(v, AnswerValue::Number(x) if *x == n as f64)),
                    })
                    .collect(),
                QuestionKind::YesNo => [("yes", true), ("no", false)]
                    .into_iter()
                    .map(|(word, b)| Bucket {
                        value: word.into(),
                        count: count_of(&|v| matches!(v, AnswerValue::Bool(x) if *x == b)),
                    })
                    .collect(),
                QuestionKind::Choice => q
                    .choices
                    .iter()
                    .map(|c| Bucket {
                        value: c.key.clone(),
                        count: count_of(&|v| matches!(v, AnswerValue::Text(k) if *k == c.key)),
                    })
                    .collect(),
                QuestionKind::Number | QuestionKind::Text => Vec::new(),
            };
            let numeric = matches!(q.kind, QuestionKind::Scale | QuestionKind::Number);
            let mean =
                (numeric && !numbers.is_empty()).then(|| numbers.iter().sum::<f64>() / numbers.len() as f64);
            let is_number = q.kind == QuestionKind::Number;
            let texts = (q.kind == QuestionKind::Text && with_texts).then(|| {
                values
                    .iter()
                    .filter_map(|v| match v {
                        AnswerValue::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect()
            });
            QuestionResult {
                key: q.key.clone(),
                kind: q.kind,
                answered: i64::try_from(values.len()).unwrap_or(i64::MAX),
                mean,
                min: numbers.iter().copied().reduce(f64::min).filter(|_| is_number),
                max: numbers.iter().copied().reduce(f64::max).filter(|_| is_number),
                distribution,
                texts,
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::surveys::{Choice, Localized};

    fn q(key: &str, kind: QuestionKind) -> Question {
        let l = |s: &str| Localized { id: s.into(), en: s.into() };
        let choices = if kind == QuestionKind::Choice {
            vec![
                Choice { key: "office".into(), label: l("office") },
                Choice { key: "field".into(), label: l("field") },
            ]
        } else {
            vec![]
        };
        Question { key: key.into(), kind, prompt: l(key), choices, required: false }
    }

    #[test]
    fn counts_means_and_distributions() {
        let qs = [
            q("applied", QuestionKind::Scale),
            q("families", QuestionKind::Number),
            q("shared", QuestionKind::YesNo),
            q("setting", QuestionKind::Choice),
            q("story", QuestionKind::Text),
        ];
        let a = |applied: f64, families: Option<f64>, shared: bool, setting: &str, story: Option<&str>| {
            let mut m = Answers::new();
            m.insert("applied".into(), AnswerValue::Number(applied));
            if let Some(f) = families {
                m.insert("families".into(), AnswerValue::Number(f));
            }
            m.insert("shared".into(), AnswerValue::Bool(shared));
            m.insert("setting".into(), AnswerValue::Text(setting.into()));
            if let Some(s) = story {
                m.insert("story".into(), AnswerValue::Text(s.into()));
            }
            m
        };
        let responses = [
            a(4.0, Some(12.0), true, "field", Some("Kami mulai kunjungan rumah.")),
            a(5.0, None, true, "field", None),
            a(3.0, Some(30.0), false, "office", Some("Belum ada anggaran.")),
        ];
        let r = aggregate(&qs, &responses, true);
        assert_eq!(r[0].answered, 3);
        assert_eq!(r[0].mean, Some(4.0));
        let scale: Vec<i64> = r[0].distribution.iter().map(|b| b.count).collect();
        assert_eq!(scale, [0, 0, 1, 1, 1]);
        assert_eq!((r[1].answered, r[1].mean, r[1].min, r[1].max), (2, Some(21.0), Some(12.0), Some(30.0)));
        assert_eq!(
            r[2].distribution,
            [Bucket { value: "yes".into(), count: 2 }, Bucket { value: "no".into(), count: 1 }]
        );
        assert_eq!(r[3].distribution[0], Bucket { value: "office".into(), count: 1 });
        assert_eq!(r[4].answered, 2);
        assert_eq!(r[4].texts.as_ref().map(Vec::len), Some(2));
        assert_eq!(aggregate(&qs, &responses, false)[4].texts, None);
        assert_eq!(aggregate(&qs, &[], true)[0].mean, None);
    }
}
