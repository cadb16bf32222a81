//! The outcome report of a programme in its three formats: the figures as
//! one flat list ([`figures`]), the words in two languages ([`labels`]),
//! the charts drawn as SVG ([`charts`]) and the printable page ([`html`]).
//! The JSON body and the handlers live in `handlers::outcome_report`.
//!
//! A new section (the follow-up surveys) is a field of the domain's
//! `Sections`, its figures in [`figures::figures`] (or beside it, as
//! [`surveys::figures`], joined in [`all_figures`]), a name in
//! [`figures::SECTIONS`], its labels, and any chart in [`charts::charts`].

pub mod charts;
pub mod figures;
pub mod html;
pub mod labels;
pub mod surveys;

use followup_domain::outcome_report::OutcomeReport;

/// Every figure of the report, in the order of its sections.
pub fn all_figures(r: &OutcomeReport) -> Vec<figures::Figure> {
    let mut all = figures::figures(r);
    all.extend(surveys::figures(r));
    all
}
