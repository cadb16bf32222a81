//! Every figure of an outcome report as one flat list: the CSV writes one
//! row per figure, the HTML page one table cell per figure (marked with
//! `data-figure` and `data-value`), so the formats carry the same numbers as
//! the JSON. A new section adds its figures here.

use chrono::NaiveDate;
use followup_domain::outcome_report::{OutcomeReport, Standing};
use followup_domain::surveys::Localized;
use followup_domain::values::{Locale, PlanStatus};
use uuid::Uuid;

/// The sections in the order the page and the CSV show them.
pub const SECTIONS: [&str; 6] =
    ["plans", "activities", "indicators", "check_ins", "change_requests", "surveys"];

/// A figure's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Count(i64),
    /// A share in [0, 1], rounded to 4 decimals; `None` when nothing is expected.
    Share(Option<f64>),
    Date(Option<NaiveDate>),
    /// A survey mean, smallest or largest answer (means rounded to 2 decimals).
    Number(Option<f64>),
}

impl Value {
    /// The value as the CSV and the `data-value` attribute write it: the
    /// JSON number as text, a date as `YYYY-MM-DD`, nothing for none.
    pub fn text(&self) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Share(s) | Value::Number(s) => s.map(|s| s.to_string()).unwrap_or_default(),
            Value::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// One figure of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub section: &'static str,
    /// Unique in the report: `plans.active`, `check_ins.delegate.<user id>.made`.
    pub key: String,
    /// The key of its label in [`super::labels::LABELS`].
    pub label: &'static str,
    pub value: Value,
    /// The delegate a per-delegate figure is about: user id and name.
    pub delegate: Option<(Uuid, String)>,
    /// What a survey figure is about (a round's title, a question), in both
    /// languages: shown after its label.
    pub subject: Option<Localized>,
}

fn plain(section: &'static str, label: &'static str, value: Value) -> Figure {
    Figure { section, key: label.to_owned(), label, value, delegate: None, subject: None }
}

fn standing(out: &mut Vec<Figure>, s: &Standing, keys: [&'static str; 3]) {
    let [reached, on_track, behind] = keys;
    out.push(plain("indicators", reached, Value::Count(s.reached)));
    out.push(plain("indicators", on_track, Value::Count(s.on_track)));
    out.push(plain("indicators", behind, Value::Count(s.behind)));
}

/// The key of a plan status's figure.
pub fn plan_key(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Draft => "plans.draft",
        PlanStatus::Submitted => "plans.submitted",
        PlanStatus::ChangesRequested => "plans.changes_requested",
        PlanStatus::Active => "plans.active",
        PlanStatus::Completed => "plans.completed",
        PlanStatus::Discontinued => "plans.discontinued",
    }
}

/// Every figure of the report, section by section, but the surveys'
/// (`report::surveys::figures`; both in [`crate::report::all_figures`]).
pub fn figures(r: &OutcomeReport) -> Vec<Figure> {
    let s = &r.sections;
    let mut out = vec![
        plain("plans", "delegates", Value::Count(r.delegates)),
        plain("plans", "plans.total", Value::Count(s.plans.total)),
    ];
    for (status, n) in &s.plans.by_status {
        out.push(plain("plans", plan_key(*status), Value::Count(*n)));
    }
    let a = &s.activities;
    for (key, n) in [
        ("activities.total", a.total),
        ("activities.done_on_time", a.done_on_time),
        ("activities.done_late", a.done_late),
        ("activities.open", a.open),
        ("activities.overdue", a.overdue),
        ("activities.cancelled", a.cancelled),
        ("activities.unfinished", a.unfinished),
    ] {
        out.push(plain("activities", key, Value::Count(n)));
    }
    let i = &s.indicators;
    out.push(plain("indicators", "indicators.total", Value::Count(i.total)));
    standing(
        &mut out,
        &i.against_original,
        ["indicators.original.reached", "indicators.original.on_track", "indicators.original.behind"],
    );
    standing(
        &mut out,
        &i.against_current,
        ["indicators.current.reached", "indicators.current.on_track", "indicators.current.behind"],
    );
    out.push(plain("indicators", "indicators.target_changed", Value::Count(i.target_changed)));
    let c = &s.check_ins;
    out.push(plain("check_ins", "check_ins.cadence_days", Value::Count(i64::from(c.cadence_days))));
    out.push(plain("check_ins", "check_ins.made", Value::Count(c.made)));
    out.push(plain("check_ins", "check_ins.expected", Value::Count(c.expected)));
    out.push(plain("check_ins", "check_ins.windows_on_schedule", Value::Count(c.windows_on_schedule)));
    out.push(plain("check_ins", "check_ins.share_on_schedule", Value::Share(c.share_on_schedule)));
    for d in &c.delegates {
        let id = d.user_id.as_uuid();
        for (measure, label, value) in [
            ("made", "check_ins.delegate.made", Value::Count(d.made)),
            ("expected", "check_ins.delegate.expected", Value::Count(d.expected)),
            (
                "windows_on_schedule",
                "check_ins.delegate.windows_on_schedule",
                Value::Count(d.windows_on_schedule),
            ),
            ("share_on_schedule", "check_ins.delegate.share_on_schedule", Value::Share(d.share_on_schedule)),
            ("longest_gap_days", "check_ins.delegate.longest_gap_days", Value::Count(d.longest_gap_days)),
            ("last_reported_on", "check_ins.delegate.last_reported_on", Value::Date(d.last_reported_on)),
        ] {
            out.push(Figure {
                section: "check_ins",
                key: delegate_key(id, measure),
                label,
                value,
                delegate: Some((id, d.display_name.clone())),
                subject: None,
            });
        }
    }
    let q = &s.change_requests;
    for (key, n) in [
        ("change_requests.total", q.total),
        ("change_requests.approved", q.approved),
        ("change_requests.declined", q.declined),
        ("change_requests.open", q.open),
        ("change_requests.moved_end_date", q.moved_end_date),
        ("change_requests.changed_target", q.changed_target),
    ] {
        out.push(plain("change_requests", key, Value::Count(n)));
    }
    out
}

/// A figure's label in `lang`, followed by its subject when it has one
/// (`Mean: How often do you apply …?`).
pub fn label_of(f: &Figure, lang: Locale) -> String {
    let label = super::labels::label(f.label, lang);
    match &f.subject {
        Some(subject) => format!("{label}: {}", subject.in_language(lang == Locale::Id)),
        None => label.to_owned(),
    }
}

/// The key of one delegate's figure: `check_ins.delegate.<user id>.<measure>`.
pub fn delegate_key(user: Uuid, measure: &str) -> String {
    format!("check_ins.delegate.{user}.{measure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::labels::LABELS;
    use followup_domain::outcome_report::{DelegateRegularity, OutcomeReport, ProgramFacts, Sections};

    #[test]
    fn every_figure_has_a_label_a_known_section_and_a_unique_key() {
        let mut sections = Sections::default();
        sections.plans.by_status =
            followup_domain::outcome_report::REPORTED_STATUSES.iter().map(|s| (*s, 1)).collect();
        sections.check_ins.delegates.push(DelegateRegularity {
            user_id: followup_domain::ids::UserId::new(),
            display_name: "Yohanes Lado".into(),
            made: 1,
            expected: 2,
            windows_on_schedule: 1,
            share_on_schedule: Some(0.5),
            longest_gap_days: 20,
            last_reported_on: None,
        });
        let report = OutcomeReport {
            program: ProgramFacts {
                id: followup_domain::ids::ProgramId::new(),
                code: String::from("ITP"),
                title: "T".into(),
                funder: None,
                training_ends_on: NaiveDate::MIN,
                follow_up_until: NaiveDate::MIN,
                check_in_cadence_days: 14,
            },
            mentees_only: false,
            delegates: 1,
            generated_at: chrono::Utc::now(),
            sections,
        };
        let all = figures(&report);
        assert_eq!(all.len(), 7 + 7 + 8 + 5 + 6 + 6);
        for (i, f) in all.iter().enumerate() {
            assert!(LABELS.iter().any(|(k, _)| *k == f.label), "{} has no label", f.label);
            assert!(SECTIONS.contains(&f.section), "{}", f.section);
            assert!(all.iter().skip(i + 1).all(|g| g.key != f.key), "{} twice", f.key);
        }
        assert_eq!(Value::Share(Some(0.5)).text(), "0.5");
        assert_eq!(Value::Share(None).text(), "");
    }
}
