//! Reminders and digests by e-mail, found as days pass: a delegate's
//! check-in falls due (the latest check-in, or the end of training, plus the
//! programme's cadence), an activity of theirs is overdue, a mentor's week
//! begins, a follow-up survey round opens for a delegate who has not
//! answered it. Each is found in the recipient's own time zone, from their
//! morning on, and only when they have not turned that kind off; each is
//! queued once ([`queue_once`] records it in `notices` with the message).

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use diesel::prelude::*;
use followup_domain::monitoring::today_in;
use followup_domain::notifications::{MailKind, MORNING_HOUR};
use followup_domain::values::{ProgramRole, RoundState};
use uuid::Uuid;

use super::mail::{queue, Mail, Recipient};
use super::notices::{first_time, latest_reports, overdue_not_told, told, Overdue};
use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::schema::{
    action_plans, memberships, mentorships, notification_settings, programs, survey_responses, survey_rounds,
    users,
};
use crate::sql_types::DbId;

/// A reminder that is due and not yet queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminder {
    CheckInDue {
        to: Recipient,
        program: Uuid,
        program_title: String,
        due_on: NaiveDate,
        last_reported_on: Option<NaiveDate>,
    },
    ActivityOverdue {
        to: Recipient,
        program: Uuid,
        activity: Uuid,
        title: String,
        plan_title: String,
        due_on: NaiveDate,
    },
    WeeklyDigest {
        to: Recipient,
        program: Uuid,
        program_title: String,
        week_of: NaiveDate,
    },
    SurveyDue {
        to: Recipient,
        program: Uuid,
        program_title: String,
        round: Uuid,
        /// The round's title in the recipient's language.
        title: String,
        closes_on: NaiveDate,
        opens_on: NaiveDate,
    },
}

impl Reminder {
    pub fn kind(&self) -> MailKind {
        match self {
            Reminder::CheckInDue { .. } => MailKind::CheckInDue,
            Reminder::ActivityOverdue { .. } => MailKind::ActivityOverdue,
            Reminder::WeeklyDigest { .. } => MailKind::WeeklyDigest,
            Reminder::SurveyDue { .. } => MailKind::SurveyDue,
        }
    }

    pub fn recipient(&self) -> &Recipient {
        match self {
            Reminder::CheckInDue { to, .. }
            | Reminder::ActivityOverdue { to, .. }
            | Reminder::WeeklyDigest { to, .. }
            | Reminder::SurveyDue { to, .. } => to,
        }
    }

    /// The notice that makes it once: (kind, programme, subject, date).
    fn notice(&self) -> (&'static str, Uuid, Uuid, NaiveDate) {
        match self {
            Reminder::CheckInDue { to, program, due_on, .. } => {
                ("mail.check_in_due", *program, to.user_id, *due_on)
            }
            Reminder::ActivityOverdue { program, activity, due_on, .. } => {
                ("mail.activity_overdue", *program, *activity, *due_on)
            }
            Reminder::WeeklyDigest { to, program, week_of, .. } => {
                ("mail.weekly_digest", *program, to.user_id, *week_of)
            }
            Reminder::SurveyDue { to, program, round, opens_on, .. } => {
                ("mail.survey_due", *program, survey_subject(*round, to.user_id), *opens_on)
            }
        }
    }
}

/// Someone reminders go to: id, e-mail, name, locale, time zone.
type Person = (DbId, String, String, String, String);

/// The columns of a [`Person`].
fn person() -> (users::id, users::email, users::display_name, users::locale, users::time_zone) {
    (users::id, users::email, users::display_name, users::locale, users::time_zone)
}

/// A delegate with an active plan: programme id, title, end of training,
/// cadence; the person.
type DueCheckInRow = (DbId, String, NaiveDate, i32, Person);

fn recipient((id, email, name, locale, _): &Person) -> Recipient {
    Recipient { user_id: id.0, email: email.clone(), name: name.clone(), locale: locale.clone() }
}

/// Whether it is `person`'s morning (or later) at `now`, and their today.
fn morning_of(time_zone: &str, now: DateTime<Utc>) -> (bool, NaiveDate) {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let local = now.with_timezone(&tz);
    (local.hour() >= MORNING_HOUR, local.date_naive())
}

/// Everyone of `users` who turned `kind` off.
fn turned_off(
    conn: &mut DbConnection,
    kind: MailKind,
    users: Vec<DbId>,
) -> Result<HashSet<DbId>, StoreError> {
    let of_users = notification_settings::table
        .filter(notification_settings::user_id.eq_any(users))
        .select(notification_settings::user_id)
        .into_boxed();
    let off = match kind {
        MailKind::CheckInDue => of_users.filter(notification_settings::check_in_due.eq(false)),
        MailKind::ActivityOverdue => of_users.filter(notification_settings::activity_overdue.eq(false)),
        MailKind::WeeklyDigest => of_users.filter(notification_settings::weekly_digest.eq(false)),
        MailKind::SurveyDue => of_users.filter(notification_settings::survey_due.eq(false)),
    };
    let ids: Vec<DbId> = off.load(conn)?;
    Ok(ids.into_iter().collect())
}

/// What is due at `now`, read on a read connection.
pub fn due(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Reminder>, StoreError> {
    let mut due = check_ins_due(conn, now)?;
    due.extend(overdue_activities(conn, now)?);
    due.extend(digests(conn, now)?);
    due.extend(surveys_due(conn, now)?);
    Ok(due)
}

/// The notice subject of a round's reminder to one delegate: the two ids
/// combined (one notice per round and delegate).
fn survey_subject(round: Uuid, user: Uuid) -> Uuid {
    Uuid::from_u128(round.as_u128() ^ user.as_u128())
}

/// Rounds open on a delegate's date (from their morning) that they have not
/// answered and were not yet reminded of.
fn surveys_due(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Reminder>, StoreError> {
    let rounds: Vec<(super::surveys::RoundRow, String, NaiveDate)> = survey_rounds::table
        .inner_join(programs::table)
        .select((super::surveys::RoundRow::as_select(), programs::title, programs::training_ends_on))
        .load(conn)?;
    if rounds.is_empty() {
        return Ok(Vec::new());
    }
    let program_ids: Vec<DbId> = rounds.iter().map(|(r, _, _)| r.program_id).collect();
    let delegates: Vec<(DbId, Person)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::program_id.eq_any(program_ids.clone()))
        .filter(memberships::role.eq(ProgramRole::Delegate.as_str()))
        .filter(users::active.eq(true))
        .select((memberships::program_id, person()))
        .load(conn)?;
    let answered: HashSet<(DbId, DbId)> = survey_responses::table
        .filter(survey_responses::program_id.eq_any(program_ids))
        .select((survey_responses::round_id, survey_responses::respondent_id))
        .load::<(DbId, DbId)>(conn)?
        .into_iter()
        .collect();
    let off = turned_off(conn, MailKind::SurveyDue, delegates.iter().map(|(_, (user, ..))| *user).collect())?;
    let told = told(conn, "mail.survey_due")?;
    let mut out = Vec::new();
    for (row, program_title, training_ends_on) in rounds {
        let (round_id, program) = (row.id, row.program_id);
        let round = row.into_domain()?;
        let window = super::surveys::window_of(&round, training_ends_on);
        for (_, person) in delegates.iter().filter(|d| d.0 == program) {
            let (user, _, _, locale, time_zone) = person;
            let (morning, today) = morning_of(time_zone, now);
            let subject = survey_subject(round_id.0, user.0);
            if !morning
                || window.state(today) != RoundState::Open
                || off.contains(user)
                || answered.contains(&(round_id, *user))
                || told.contains(&(program, DbId(subject), window.opens_on))
            {
                continue;
            }
            let to = recipient(person);
            out.push(Reminder::SurveyDue {
                title: round.fields.title.in_language(locale.starts_with("id")).to_owned(),
                to,
                program: program.0,
                program_title: program_title.clone(),
                round: round_id.0,
                closes_on: window.closes_on,
                opens_on: window.opens_on,
            });
        }
    }
    Ok(out)
}

fn check_ins_due(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Reminder>, StoreError> {
    let active: Vec<DueCheckInRow> = action_plans::table
        .inner_join(programs::table)
        .inner_join(users::table.on(users::id.eq(action_plans::owner_id)))
        .filter(action_plans::status.eq("active"))
        .filter(users::active.eq(true))
        .select((
            programs::id,
            programs::title,
            programs::training_ends_on,
            programs::check_in_cadence_days,
            person(),
        ))
        .distinct()
        .load(conn)?;
    if active.is_empty() {
        return Ok(Vec::new());
    }
    let owners: Vec<DbId> = active.iter().map(|(.., (user, ..))| *user).collect();
    let off = turned_off(conn, MailKind::CheckInDue, owners.clone())?;
    let latest = latest_reports(conn, owners)?;
    let told = told(conn, "mail.check_in_due")?;
    Ok(active
        .into_iter()
        .filter(|(.., (user, ..))| !off.contains(user))
        .filter_map(|(program, title, training_ends_on, cadence, person)| {
            let &(user, .., ref time_zone) = &person;
            let (morning, today) = morning_of(time_zone, now);
            let last = latest.get(&(program, user)).copied();
            let due_on = last.unwrap_or(training_ends_on) + Duration::days(i64::from(cadence));
            if !morning || today < due_on || told.contains(&(program, user, due_on)) {
                return None;
            }
            let to = recipient(&person);
            Some(Reminder::CheckInDue {
                to,
                program: program.0,
                program_title: title,
                due_on,
                last_reported_on: last,
            })
        })
        .collect())
}

fn overdue_activities(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Reminder>, StoreError> {
    let overdue: Vec<Overdue> = overdue_not_told(conn, now, "mail.activity_overdue")?
        .into_iter()
        .filter(|o| o.owner_active)
        .collect();
    let owners: Vec<DbId> = overdue.iter().map(|o| DbId(o.owner)).collect();
    let off = turned_off(conn, MailKind::ActivityOverdue, owners)?;
    Ok(overdue
        .into_iter()
        .filter(|o| !off.contains(&DbId(o.owner)) && morning_of(&o.time_zone, now).0)
        .map(|o| Reminder::ActivityOverdue {
            to: Recipient { user_id: o.owner, email: o.email, name: o.name, locale: o.locale },
            program: o.program,
            activity: o.activity,
            title: o.title,
            plan_title: o.plan_title,
            due_on: o.due_on,
        })
        .collect())
}

fn digests(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<Reminder>, StoreError> {
    let mentors: Vec<(DbId, String, Person)> = mentorships::table
        .inner_join(programs::table)
        .inner_join(users::table.on(users::id.eq(mentorships::mentor_id)))
        .inner_join(
            memberships::table.on(memberships::program_id
                .eq(mentorships::program_id)
                .and(memberships::user_id.eq(mentorships::mentor_id))),
        )
        .filter(users::active.eq(true))
        .select((programs::id, programs::title, person()))
        .distinct()
        .load(conn)?;
    let ids: Vec<DbId> = mentors.iter().map(|(.., (user, ..))| *user).collect();
    let off = turned_off(conn, MailKind::WeeklyDigest, ids)?;
    let told = told(conn, "mail.weekly_digest")?;
    Ok(mentors
        .into_iter()
        .filter(|(.., (user, ..))| !off.contains(user))
        .filter_map(|(program, title, person)| {
            let &(user, .., ref time_zone) = &person;
            let (morning, today) = morning_of(time_zone, now);
            let week_of = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            if !morning || today.weekday() != Weekday::Mon || told.contains(&(program, user, week_of)) {
                return None;
            }
            let to = recipient(&person);
            Some(Reminder::WeeklyDigest { to, program: program.0, program_title: title, week_of })
        })
        .collect())
}

/// Queue `mail` for `reminder` unless it was queued already (by this or
/// another instance); `true` when this call queued it.
pub fn queue_once(conn: &mut DbConnection, reminder: &Reminder, mail: &Mail) -> Result<bool, StoreError> {
    let (kind, program, subject, on) = reminder.notice();
    if !first_time(conn, kind, program, subject, on)? {
        return Ok(false);
    }
    queue(conn, mail)?;
    Ok(true)
}

/// Today in `time_zone` (for the messages' wording).
pub fn today_of(time_zone: &str, now: DateTime<Utc>) -> NaiveDate {
    today_in(time_zone, now)
}
