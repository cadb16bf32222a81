//! Monitoring: the rules behind the mentor's and coordinator's views (who is
//! silent, what is overdue, which indicators lag) and the figures built from
//! them. Everything here is pure: the persistence layer fetches compact facts
//! with a constant number of queries and hands them to [`figures`].
//!
//! Definitions (the OpenAPI descriptions repeat them):
//! * *today* of a person is the calendar date in their IANA time zone
//!   ([`today_in`]); a plan's today is its owner's.
//! * an activity is *overdue* when it is neither `done` nor `cancelled` and
//!   its `due_on` is before the plan's today ([`is_overdue`]).
//! * a delegate is *silent* when they have an `active` plan (only an active
//!   plan takes check-ins) and the `reported_on` of their latest check-in
//!   in the programme (or, with none, the programme's `training_ends_on`) is
//!   more than `check_in_cadence_days` days before their today ([`is_silent`]).
//! * *overdue* figures count the activities of `active` plans only.
//! * the *elapsed share* of a plan is (today − `starts_on`) / (`ends_on` −
//!   `starts_on`), clamped to [0, 1] ([`elapsed_share`]).
//! * an indicator is *behind schedule* when its progress from baseline toward
//!   target (current value = latest measurement, or the baseline without one)
//!   is below the plan's elapsed share ([`is_behind_schedule`]).

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::activities::Activity;
use crate::ids::{PlanId, ProgramId, UserId};
use crate::indicators::is_behind_schedule;
use crate::values::{ActivityStatus, PlanStatus, Progress};

// ---- the rules --------------------------------------------------------------------

/// Today's date in an IANA time zone; an unknown zone counts as Asia/Jakarta
/// (the default zone of new accounts).
pub fn today_in(time_zone: &str, now: DateTime<Utc>) -> NaiveDate {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    now.with_timezone(&tz).date_naive()
}

/// Neither done nor cancelled, and due before `today` (the plan owner's).
pub fn is_overdue(status: ActivityStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    Activity::is_overdue(status, due_on, today)
}

/// The latest check-in's date (or, with none, the end of training) is more
/// than `cadence_days` days before `today` (the delegate's).
pub fn is_silent(
    last_reported_on: Option<NaiveDate>,
    training_ends_on: NaiveDate,
    cadence_days: i32,
    today: NaiveDate,
) -> bool {
    let since = last_reported_on.unwrap_or(training_ends_on);
    (today - since).num_days() > i64::from(cadence_days)
}

/// The share of the plan period elapsed at `today`, in [0, 1]. A plan that
/// starts and ends on the same day is 0 before that day and 1 from it on.
pub fn elapsed_share(starts_on: NaiveDate, ends_on: NaiveDate, today: NaiveDate) -> f64 {
    let total = (ends_on - starts_on).num_days();
    if total <= 0 {
        return if today >= ends_on { 1.0 } else { 0.0 };
    }
    let elapsed = (today - starts_on).num_days();
    (elapsed as f64 / total as f64).clamp(0.0, 1.0)
}

/// Whole days from `then` to `today`.
pub fn days_since(then: NaiveDate, today: NaiveDate) -> i64 {
    (today - then).num_days()
}

// ---- facts in, figures out --------------------------------------------------------

/// A delegate of a programme, with what the figures need.
#[derive(Debug, Clone, PartialEq)]
pub struct DelegateFacts {
    pub program_id: ProgramId,
    pub program_code: String,
    pub training_ends_on: NaiveDate,
    pub check_in_cadence_days: i32,
    pub user_id: UserId,
    pub display_name: String,
    pub organization: Option<(Uuid, String)>,
    pub region: Option<String>,
    /// Today in the delegate's time zone.
    pub today: NaiveDate,
}

/// A plan's latest check-in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatestCheckIn {
    pub reported_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
    pub progress: Progress,
}

impl LatestCheckIn {
    /// Later `reported_on` wins; ties by `created_at`, then id.
    pub fn key(&self) -> (NaiveDate, DateTime<Utc>, Uuid) {
        (self.reported_on, self.created_at, self.id)
    }
}

/// An indicator: baseline, target and its current value (latest measurement).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorFacts {
    pub baseline: f64,
    pub target: f64,
    pub current: Option<f64>,
}

/// A plan with its tracked data, already reduced by the queries.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFacts {
    pub id: PlanId,
    pub program_id: ProgramId,
    pub owner_id: UserId,
    pub status: PlanStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub activities_total: i64,
    pub activities_done: i64,
    /// Overdue activities, by [`is_overdue`] with the owner's today.
    pub activities_overdue: i64,
    pub indicators: Vec<IndicatorFacts>,
    pub latest_check_in: Option<LatestCheckIn>,
    /// Check-ins whose review is `pending`.
    pub pending_reviews: i64,
}

impl PlanFacts {
    /// Indicators behind schedule at the owner's `today`.
    pub fn indicators_behind(&self, today: NaiveDate) -> i64 {
        let elapsed = elapsed_share(self.starts_on, self.ends_on, today);
        self.indicators
            .iter()
            .filter(|i| is_behind_schedule(i.baseline, i.target, i.current, elapsed))
            .count() as i64
    }
}

/// One row of the delegates table / the mentor overview.
#[derive(Debug, Clone, PartialEq)]
pub struct DelegateRow {
    pub program_id: ProgramId,
    pub program_code: String,
    pub user_id: UserId,
    pub display_name: String,
    pub organization: Option<(Uuid, String)>,
    pub region: Option<String>,
    /// The current plan: the most recently created one that is not discontinued.
    pub plan: Option<(PlanId, PlanStatus)>,
    /// Done activities of the current plan over all its activities, 0–100; `None` without activities.
    pub activities_done_percent: Option<f64>,
    pub overdue_activities: i64,
    pub days_since_last_check_in: Option<i64>,
    pub indicators_behind: i64,
    pub latest_progress: Option<Progress>,
    pub open_reviews: i64,
    pub silent: bool,
    /// Survey rounds open on the delegate's date that they have not answered.
    pub surveys_unanswered: i64,
}

/// Counts and share of the active plans whose latest check-in says one progress word.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressShare {
    pub progress: Progress,
    pub plans: i64,
    /// `plans` over the number of active plans; 0 when there is none.
    pub share: f64,
}

/// The programme dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub delegates: i64,
    pub plans_by_status: Vec<(PlanStatus, i64)>,
    pub active_plans: i64,
    pub activities_total: i64,
    pub activities_done: i64,
    pub activities_overdue: i64,
    pub latest_progress: Vec<ProgressShare>,
    pub active_plans_without_check_in: i64,
    pub silent_delegate_ids: Vec<UserId>,
    pub indicators_total: i64,
    pub indicators_behind: i64,
    pub check_ins_awaiting_review: i64,
    /// Open survey rounds not yet answered, summed over the delegates in scope.
    pub surveys_unanswered: i64,
}

/// The current plan of a delegate while the plans are folded in: the most
/// recently created one that is not discontinued, with its figures.
#[derive(Debug, Clone, Copy)]
struct CurrentPlan {
    key: (DateTime<Utc>, Uuid),
    id: PlanId,
    status: PlanStatus,
    activities_done_percent: Option<f64>,
    overdue_activities: i64,
    indicators_behind: i64,
    latest_progress: Option<Progress>,
}

/// What one delegate's row needs of all their plans.
#[derive(Debug, Clone, Copy, Default)]
struct DelegateTally {
    current: Option<CurrentPlan>,
    /// Whether any of the delegate's plans is active (only then can they be silent).
    has_active: bool,
    latest: Option<LatestCheckIn>,
    open_reviews: i64,
}

/// The figures of [`figures`], built one plan at a time: [`Figures::add`]
/// every plan (in any order), then [`Figures::finish`]. It keeps one small
/// tally per delegate and the dashboard's sums, never the plans, so a
/// programme's figures take memory in proportion to its delegates however
/// many plans they have.
#[derive(Debug)]
pub struct Figures<'a> {
    delegates: &'a [DelegateFacts],
    index: HashMap<(ProgramId, UserId), usize>,
    tallies: Vec<DelegateTally>,
    dashboard: Dashboard,
}

impl<'a> Figures<'a> {
    pub fn new(delegates: &'a [DelegateFacts]) -> Self {
        Self {
            delegates,
            index: delegates.iter().enumerate().map(|(i, d)| ((d.program_id, d.user_id), i)).collect(),
            tallies: vec![DelegateTally::default(); delegates.len()],
            dashboard: Dashboard {
                delegates: delegates.len() as i64,
                plans_by_status: PlanStatus::ALL.iter().map(|s| (*s, 0)).collect(),
                active_plans: 0,
                activities_total: 0,
                activities_done: 0,
                activities_overdue: 0,
                latest_progress: Progress::ALL
                    .iter()
                    .map(|p| ProgressShare { progress: *p, plans: 0, share: 0.0 })
                    .collect(),
                active_plans_without_check_in: 0,
                silent_delegate_ids: Vec::new(),
                indicators_total: 0,
                indicators_behind: 0,
                check_ins_awaiting_review: 0,
                surveys_unanswered: 0,
            },
        }
    }

    /// Today of the plan's owner, when the owner is one of the delegates.
    pub fn today_of(&self, program: ProgramId, owner: UserId) -> Option<NaiveDate> {
        let i = self.index.get(&(program, owner)).copied()?;
        self.delegates.get(i).map(|d| d.today)
    }

    /// Count one plan. A plan whose owner is not one of the delegates (no
    /// longer a delegate of the programme) counts nowhere.
    pub fn add(&mut self, p: &PlanFacts) {
        let Some(i) = self.index.get(&(p.program_id, p.owner_id)).copied() else {
            return;
        };
        let (Some(d), Some(tally)) = (self.delegates.get(i), self.tallies.get_mut(i)) else {
            return;
        };
        let dashboard = &mut self.dashboard;
        if let Some((_, n)) = dashboard.plans_by_status.iter_mut().find(|(s, _)| *s == p.status) {
            *n += 1;
        }
        dashboard.check_ins_awaiting_review += p.pending_reviews;
        let behind = p.indicators_behind(d.today);
        if p.status == PlanStatus::Active {
            tally.has_active = true;
            dashboard.active_plans += 1;
            dashboard.activities_total += p.activities_total;
            dashboard.activities_done += p.activities_done;
            dashboard.activities_overdue += p.activities_overdue;
            dashboard.indicators_total += p.indicators.len() as i64;
            dashboard.indicators_behind += behind;
            match p.latest_check_in {
                Some(c) => {
                    if let Some(s) = dashboard.latest_progress.iter_mut().find(|s| s.progress == c.progress) {
                        s.plans += 1;
                    }
                }
                None => dashboard.active_plans_without_check_in += 1,
            }
        }
        if let Some(c) = p.latest_check_in {
            if tally.latest.is_none_or(|l| c.key() > l.key()) {
                tally.latest = Some(c);
            }
        }
        tally.open_reviews += p.pending_reviews;
        let key = (p.created_at, p.id.as_uuid());
        if p.status != PlanStatus::Discontinued && tally.current.is_none_or(|c| key > c.key) {
            tally.current = Some(CurrentPlan {
                key,
                id: p.id,
                status: p.status,
                activities_done_percent: (p.activities_total > 0)
                    .then(|| p.activities_done as f64 * 100.0 / p.activities_total as f64),
                overdue_activities: p.activities_overdue,
                indicators_behind: behind,
                latest_progress: p.latest_check_in.map(|c| c.progress),
            });
        }
    }

    /// One row per delegate (in the delegates' order) and the dashboard.
    pub fn finish(self) -> (Vec<DelegateRow>, Dashboard) {
        let mut dashboard = self.dashboard;
        let mut rows = Vec::with_capacity(self.delegates.len());
        for (d, tally) in self.delegates.iter().zip(self.tallies) {
            // Only a delegate with an active plan can post check-ins, so only
            // they can be silent; a current plan's overdue activities and
            // indicators behind count only while it is active (a draft's
            // indicators have no measurements yet).
            let silent = tally.has_active
                && is_silent(
                    tally.latest.map(|c| c.reported_on),
                    d.training_ends_on,
                    d.check_in_cadence_days,
                    d.today,
                );
            if silent {
                dashboard.silent_delegate_ids.push(d.user_id);
            }
            let current = tally.current;
            rows.push(DelegateRow {
                program_id: d.program_id,
                program_code: d.program_code.clone(),
                user_id: d.user_id,
                display_name: d.display_name.clone(),
                organization: d.organization.clone(),
                region: d.region.clone(),
                plan: current.map(|p| (p.id, p.status)),
                activities_done_percent: current.and_then(|p| p.activities_done_percent),
                overdue_activities: current
                    .filter(|p| p.status == PlanStatus::Active)
                    .map_or(0, |p| p.overdue_activities),
                days_since_last_check_in: tally.latest.map(|c| days_since(c.reported_on, d.today)),
                indicators_behind: current
                    .filter(|p| p.status == PlanStatus::Active)
                    .map_or(0, |p| p.indicators_behind),
                latest_progress: current.and_then(|p| p.latest_progress),
                open_reviews: tally.open_reviews,
                silent,
                surveys_unanswered: 0,
            });
        }
        for s in &mut dashboard.latest_progress {
            if dashboard.active_plans > 0 {
                s.share = s.plans as f64 / dashboard.active_plans as f64;
            }
        }
        (rows, dashboard)
    }
}

/// One row per delegate (in the given order) and the programme dashboard,
/// from the facts of the delegates and of their (visible) plans.
pub fn figures(delegates: &[DelegateFacts], plans: &[PlanFacts]) -> (Vec<DelegateRow>, Dashboard) {
    let mut figures = Figures::new(delegates);
    for plan in plans {
        figures.add(plan);
    }
    figures.finish()
}

// ---- ordering ---------------------------------------------------------------------

/// Columns of the delegates table one may sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Organization,
    Region,
    PlanStatus,
    DonePercent,
    Overdue,
    DaysSinceCheckIn,
    IndicatorsBehind,
    Progress,
    OpenReviews,
    Silent,
}

impl SortKey {
    pub const ALL: [(SortKey, &'static str); 11] = [
        (SortKey::Name, "name"),
        (SortKey::Organization, "organization"),
        (SortKey::Region, "region"),
        (SortKey::PlanStatus, "plan_status"),
        (SortKey::DonePercent, "done_percent"),
        (SortKey::Overdue, "overdue"),
        (SortKey::DaysSinceCheckIn, "days_since_check_in"),
        (SortKey::IndicatorsBehind, "indicators_behind"),
        (SortKey::Progress, "progress"),
        (SortKey::OpenReviews, "open_reviews"),
        (SortKey::Silent, "silent"),
    ];

    pub fn as_str(self) -> &'static str {
        SortKey::ALL.iter().find(|(k, _)| *k == self).map_or("name", |(_, w)| w)
    }
}

/// A sort of the delegates table: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelegateSort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for DelegateSort {
    fn default() -> Self {
        Self { key: SortKey::Name, descending: false }
    }
}

impl DelegateSort {
    /// `name`, `-name`, `overdue`, `-overdue`, … (see [`SortKey::ALL`]).
    pub fn parse(raw: &str) -> Option<Self> {
        let (descending, word) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        SortKey::ALL.iter().find(|(_, w)| *w == word).map(|(key, _)| Self { key: *key, descending })
    }

    pub fn as_param(self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.key.as_str())
    }

    /// The words accepted by [`DelegateSort::parse`], for error messages.
    pub fn words() -> String {
        SortKey::ALL.iter().map(|(_, w)| format!("{w}, -{w}")).collect::<Vec<_>>().join(", ")
    }

    /// Order by the column (a missing value counts as the lowest), then by
    /// name, programme code and ids so the order is total and stable.
    pub fn compare(self, a: &DelegateRow, b: &DelegateRow) -> Ordering {
        self.compare_keys(&RowKey::of(a), &RowKey::of(b))
    }

    /// [`DelegateSort::compare`] on the rows' keys.
    pub fn compare_keys(self, a: &RowKey, b: &RowKey) -> Ordering {
        let column = match self.key {
            SortKey::Name => Ordering::Equal,
            SortKey::Organization => a.organization.cmp(&b.organization),
            SortKey::Region => a.region.cmp(&b.region),
            SortKey::PlanStatus => a.plan_status.cmp(&b.plan_status),
            SortKey::DonePercent => a.done_percent.partial_cmp(&b.done_percent).unwrap_or(Ordering::Equal),
            SortKey::Overdue => a.overdue.cmp(&b.overdue),
            SortKey::DaysSinceCheckIn => a.days_since_check_in.cmp(&b.days_since_check_in),
            SortKey::IndicatorsBehind => a.indicators_behind.cmp(&b.indicators_behind),
            SortKey::Progress => a.progress.cmp(&b.progress),
            SortKey::OpenReviews => a.open_reviews.cmp(&b.open_reviews),
            SortKey::Silent => a.silent.cmp(&b.silent),
        };
        let column = if self.descending { column.reverse() } else { column };
        let by_name = a.name.cmp(&b.name);
        let by_name = if self.descending && self.key == SortKey::Name { by_name.reverse() } else { by_name };
        column.then(by_name).then_with(|| tie_break(a, b))
    }
}

/// What orders a delegates-table row: the values every sort and the
/// attention order compare, and nothing else. A page's cursor holds its last
/// row's key, so the next page starts right after that row, wherever rows
/// moved meanwhile.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RowKey {
    pub organization: Option<String>,
    pub region: Option<String>,
    pub plan_status: Option<String>,
    /// As bits, so a cursor gives back exactly the value it was made from.
    #[serde(with = "f64_bits")]
    pub done_percent: Option<f64>,
    pub overdue: i64,
    pub days_since_check_in: Option<i64>,
    pub indicators_behind: i64,
    /// on_track < at_risk < off_track; no check-in is the lowest.
    pub progress: u8,
    pub open_reviews: i64,
    pub silent: bool,
    pub name: String,
    pub program_code: String,
    pub user_id: Uuid,
    pub program_id: Uuid,
}

impl RowKey {
    pub fn of(row: &DelegateRow) -> Self {
        Self {
            organization: row.organization.as_ref().map(|o| o.1.clone()),
            region: row.region.clone(),
            plan_status: row.plan.map(|p| p.1.as_str().to_owned()),
            done_percent: row.activities_done_percent,
            overdue: row.overdue_activities,
            days_since_check_in: row.days_since_last_check_in,
            indicators_behind: row.indicators_behind,
            progress: progress_rank(row.latest_progress),
            open_reviews: row.open_reviews,
            silent: row.silent,
            name: row.display_name.clone(),
            program_code: row.program_code.clone(),
            user_id: row.user_id.as_uuid(),
            program_id: row.program_id.as_uuid(),
        }
    }
}

mod f64_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(&v.to_bits()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(f64::from_bits))
    }
}

/// on_track < at_risk < off_track; no check-in is the lowest.
fn progress_rank(p: Option<Progress>) -> u8 {
    match p {
        None => 0,
        Some(Progress::OnTrack) => 1,
        Some(Progress::AtRisk) => 2,
        Some(Progress::OffTrack) => 3,
    }
}

fn tie_break(a: &RowKey, b: &RowKey) -> Ordering {
    a.program_code.cmp(&b.program_code).then(a.user_id.cmp(&b.user_id)).then(a.program_id.cmp(&b.program_id))
}

/// "Most in need of attention first": silent first, then more overdue
/// activities, more open reviews, more days since the last check-in (never
/// checked in counts as the most), more indicators behind schedule, then by
/// name, programme code and ids.
pub fn attention_order(a: &DelegateRow, b: &DelegateRow) -> Ordering {
    attention_order_keys(&RowKey::of(a), &RowKey::of(b))
}

/// [`attention_order`] on the rows' keys.
pub fn attention_order_keys(a: &RowKey, b: &RowKey) -> Ordering {
    let days = |r: &RowKey| r.days_since_check_in.map_or(i64::MAX, |d| d);
    b.silent
        .cmp(&a.silent)
        .then(b.overdue.cmp(&a.overdue))
        .then(b.open_reviews.cmp(&a.open_reviews))
        .then(days(b).cmp(&days(a)))
        .then(b.indicators_behind.cmp(&a.indicators_behind))
        .then(a.name.cmp(&b.name))
        .then_with(|| tie_break(a, b))
}

#[cfg(test)]
mod tests;
