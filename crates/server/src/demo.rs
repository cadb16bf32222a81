//! `followup seed-demo`: the reference story as demo data, written through
//! the same repository functions the API uses (so every rule is checked and
//! every change is audited), in one transaction. Dates are relative to today
//! so the story stays alive: the follow-up period is always running, some
//! activities are overdue, some delegates are silent, check-ins wait for
//! review.
//!
//! The delegates' names are fictional; the organisations and the programme
//! are those of the reference story.

use anyhow::{anyhow, bail, Context};
use chrono::{Duration, NaiveDate};
use followup_domain::activities::{ActivityFields, NewActivity};
use followup_domain::check_ins::{CheckInChanges, CheckInReview, Confidence, NewCheckIn};
use followup_domain::comments::NewComment;
use followup_domain::ids::{
    ActivityId, CheckInId, CommentId, IndicatorId, MeasurementId, MentorshipId, OrganizationId, PlanId,
    ProgramId, SessionId, UserId,
};
use followup_domain::indicators::{IndicatorFields, NewIndicator, NewMeasurement};
use followup_domain::members::NewMembership;
use followup_domain::mentorships::NewMentorship;
use followup_domain::organizations::NewOrganization;
use followup_domain::plans::{NewPlan, PlanFields, Transition};
use followup_domain::precondition::Precondition;
use followup_domain::programs::{NewProgram, ProgramFields};
use followup_domain::users::NewUser;
use followup_domain::values::{
    ActivityStatus, CommentTarget, Direction, Email, Evidence, Locale, NewPassword, OrganizationKind,
    ProgramRole, ProgramStatus, Progress, ReviewStatus, SystemRole, TimeZone, Visibility,
};
use followup_domain::Actor;
use followup_http::auth::passwords;
use followup_persistence::repo::plans::Created;
use followup_persistence::repo::{
    activities, check_ins, comments, indicators, members, mentorships, organizations, plans, programs, users,
};
use followup_persistence::{Database, DbConnection, StoreError};

mod story;

use story::{Delegate, Story, DELEGATES, DKI, MINISTRY};

/// The demo programme's code: how a second run recognises the demo.
pub const PROGRAM_CODE: &str = "ITP-2023-IDN-YOUTH";

/// One account the demo created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub role: &'static str,
    pub name: &'static str,
    pub email: String,
}

/// What `seed-demo` did.
#[derive(Debug)]
pub enum Outcome {
    /// The demo was loaded; every account has `password`.
    Seeded { program_id: ProgramId, accounts: Vec<Account>, password: String, generated: bool },
    /// The programme was already there; nothing changed.
    AlreadyLoaded { program_id: ProgramId },
}

fn day(today: NaiveDate, days: i64) -> NaiveDate {
    today + Duration::days(days)
}

fn made<T>(c: Created<T>) -> T {
    match c {
        Created::New(t) | Created::Existing(t) => t,
    }
}

fn actor(user: UserId, role: SystemRole) -> Actor {
    Actor { user_id: user, system_role: role, session_id: SessionId::new() }
}

/// Load the demo unless it is there; refuse a database with other data
/// unless `force`.
pub fn seed_demo(db: &Database, password: Option<&str>, force: bool) -> anyhow::Result<Outcome> {
    if let Some(program_id) = db.read(|c| programs::id_by_code(c, PROGRAM_CODE))? {
        return Ok(Outcome::AlreadyLoaded { program_id });
    }
    if !force {
        let ((accounts, admins), programmes, orgs) =
            db.read(|c| Ok((users::count_accounts(c)?, programs::count(c)?, organizations::count(c)?)))?;
        let other_accounts = accounts - admins.min(1);
        if other_accounts > 0 || programmes > 0 || orgs > 0 {
            bail!(
                "the database already holds data ({other_accounts} account(s) besides the first admin, \
                 {programmes} programme(s), {orgs} organisation(s)); seed-demo loads the demo into an empty \
                 database only. Use --force to add the demo anyway."
            );
        }
    }
    let generated = password.is_none();
    let password = password.map(str::to_owned).unwrap_or_else(passwords::generate);
    let people = people();
    // Hash outside the transaction: argon2 is slow on purpose.
    let mut hashed = Vec::with_capacity(people.len());
    for p in &people {
        let email = Email::parse(&p.email).map_err(|e| anyhow!("{}: {}", p.email, e.message))?;
        let checked = NewPassword::parse("password", &password, &email, &[p.name])
            .map_err(|e| anyhow!("--password: {}", e.message))?;
        let hash = passwords::hash(checked.expose()).map_err(|e| anyhow!("cannot hash a password: {e}"))?;
        hashed.push((email, checked, hash));
    }
    let today = chrono::Utc::now().date_naive();
    let (program_id, accounts) =
        db.write(|c| seed(c, today, &people, hashed)).context("cannot load the demo")?;
    Ok(Outcome::Seeded { program_id, accounts, password, generated })
}

struct Person {
    role: &'static str,
    name: &'static str,
    email: String,
    org: Option<&'static str>,
    time_zone: &'static str,
    position: Option<&'static str>,
    locale: Locale,
}

fn people() -> Vec<Person> {
    let mut out = vec![
        Person {
            role: "admin",
            name: "Demo Administrator",
            email: "admin@followup.demo".into(),
            org: None,
            time_zone: "Asia/Jakarta",
            position: None,
            locale: Locale::En,
        },
        Person {
            role: "mentor",
            name: "Prof. Young Joon Hong",
            email: "yj.hong@followup.demo".into(),
            org: None,
            time_zone: "Asia/Seoul",
            position: Some("Project manager; lecturer in social welfare"),
            locale: Locale::En,
        },
        Person {
            role: "coordinator",
            name: "Kim Min-ji",
            email: "minji.kim@followup.demo".into(),
            org: Some("World Vision Korea"),
            time_zone: "Asia/Seoul",
            position: Some("Programme coordinator"),
            locale: Locale::En,
        },
        Person {
            role: "observer",
            name: "Lee Soo-jin",
            email: "soojin.lee@followup.demo".into(),
            org: Some("KOICA"),
            time_zone: "Asia/Seoul",
            position: Some("Programme officer"),
            locale: Locale::En,
        },
    ];
    out.extend(DELEGATES.iter().map(|d| Person {
        role: "delegate",
        name: d.name,
        email: d.email.into(),
        org: Some(d.org),
        time_zone: d.time_zone,
        position: Some(d.position),
        locale: Locale::Id,
    }));
    out
}

fn seed(
    c: &mut DbConnection,
    today: NaiveDate,
    people: &[Person],
    hashed: Vec<(Email, NewPassword, String)>,
) -> Result<(ProgramId, Vec<Account>), StoreError> {
    // The acting admin: the existing first admin, or the demo's own.
    let existing_admin = users::first_active_admin(c)?;
    let mut accounts = Vec::new();
    let mut ids: Vec<Option<UserId>> = Vec::new();
    let admin_id = existing_admin.unwrap_or_default();
    let admin = actor(admin_id, SystemRole::Admin);

    // Organisations: the ministry and its units, the Jakarta agency, the partners.
    let mut orgs: Vec<(&'static str, OrganizationId)> = Vec::new();
    let ministry = OrganizationId::new();
    let org_list: [(&'static str, OrganizationKind, Option<OrganizationId>, Option<&str>); 13] = [
        (MINISTRY, OrganizationKind::MinistryDirectorate, None, Some("DKI Jakarta")),
        (
            "Directorate of Child Social Rehabilitation",
            OrganizationKind::MinistryDirectorate,
            Some(ministry),
            Some("DKI Jakarta"),
        ),
        (
            "Directorate of Elderly Social Rehabilitation",
            OrganizationKind::MinistryDirectorate,
            Some(ministry),
            Some("DKI Jakarta"),
        ),
        (
            "Directorate of Disability Social Rehabilitation",
            OrganizationKind::MinistryDirectorate,
            Some(ministry),
            Some("DKI Jakarta"),
        ),
        (
            "Directorate General of Social Rehabilitation",
            OrganizationKind::MinistryDirectorate,
            Some(ministry),
            Some("DKI Jakarta"),
        ),
        (
            "Directorate General of Social Protection and Security",
            OrganizationKind::MinistryDirectorate,
            Some(ministry),
            Some("DKI Jakarta"),
        ),
        ("Sentra Handayani Jakarta", OrganizationKind::TechnicalUnit, Some(ministry), Some("DKI Jakarta")),
        ("Sentra Efata Kupang", OrganizationKind::TechnicalUnit, Some(ministry), Some("Nusa Tenggara Timur")),
        (DKI, OrganizationKind::RegionalAgency, None, Some("DKI Jakarta")),
        ("KOICA", OrganizationKind::Partner, None, Some("Seoul")),
        ("World Vision Korea", OrganizationKind::Partner, None, Some("Seoul")),
        ("Korea Institute for Development Strategy (KDS)", OrganizationKind::Partner, None, Some("Seoul")),
        ("Re:bach International", OrganizationKind::Partner, None, Some("Seoul")),
    ];

    // The admin must exist before anything is audited in their name.
    if existing_admin.is_none() {
        let (p, (email, password, hash)) = people.iter().zip(hashed.iter()).next().ok_or_else(|| {
            StoreError::Domain(followup_domain::DomainError::invalid("people", "empty", "no people"))
        })?;
        let cmd = new_user(admin_id, email, password, p, None, SystemRole::Admin);
        users::create(c, None, &cmd, hash)?;
        accounts.push(Account { role: p.role, name: p.name, email: p.email.clone() });
    }
    for (i, (name, kind, parent, region)) in org_list.into_iter().enumerate() {
        let id = if i == 0 { ministry } else { OrganizationId::new() };
        let cmd = NewOrganization {
            id,
            name: name.to_owned(),
            kind,
            parent_id: parent,
            region: region.map(str::to_owned),
        };
        organizations::create(c, &admin, &cmd)?;
        orgs.push((name, id));
    }
    let org_id = |name: &str| orgs.iter().find(|(n, _)| *n == name).map(|(_, id)| *id);

    for (p, (email, password, hash)) in people.iter().zip(hashed.iter()) {
        if p.role == "admin" {
            ids.push(existing_admin.or(Some(admin_id)));
            continue;
        }
        let id = UserId::new();
        let cmd = new_user(id, email, password, p, p.org.and_then(org_id), SystemRole::Member);
        users::create(c, Some(&admin), &cmd, hash)?;
        accounts.push(Account { role: p.role, name: p.name, email: p.email.clone() });
        ids.push(Some(id));
    }
    let user_of =
        |role: &str| people.iter().zip(ids.iter()).find(|(p, _)| p.role == role).and_then(|(_, id)| *id);
    let missing =
        || StoreError::Domain(followup_domain::DomainError::invalid("people", "missing", "missing"));
    let mentor_id = user_of("mentor").ok_or_else(missing)?;
    let coordinator_id = user_of("coordinator").ok_or_else(missing)?;
    let observer_id = user_of("observer").ok_or_else(missing)?;
    let mentor = actor(mentor_id, SystemRole::Member);
    let coordinator = actor(coordinator_id, SystemRole::Member);

    // The programme: training in Seoul in May 2023, follow-up still running.
    let program_id = ProgramId::new();
    let fields = ProgramFields {
        code: PROGRAM_CODE.to_owned(),
        title: "Invitational Training Program".to_owned(),
        theme: Some(
            "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia".to_owned(),
        ),
        funder: Some("KOICA".to_owned()),
        partners: vec!["World Vision Korea".into(), "KDS".into(), "Re:bach International".into()],
        location: Some("Seoul".to_owned()),
        training_starts_on: NaiveDate::from_ymd_opt(2023, 5, 8).unwrap_or(today),
        training_ends_on: NaiveDate::from_ymd_opt(2023, 5, 19).unwrap_or(today),
        follow_up_until: day(today, 120),
        check_in_cadence_days: 14,
        status: ProgramStatus::FollowUp,
    };
    programs::create(c, &admin, &NewProgram { id: program_id, fields })?;
    for (user, role) in [
        (mentor_id, ProgramRole::Mentor),
        (coordinator_id, ProgramRole::Coordinator),
        (observer_id, ProgramRole::Observer),
    ] {
        members::add_member(c, &admin, &NewMembership { program_id, user_id: user, role })?;
    }

    let delegate_ids: Vec<UserId> = people
        .iter()
        .zip(ids.iter())
        .filter(|(p, _)| p.role == "delegate")
        .filter_map(|(_, id)| *id)
        .collect();
    for (d, &user) in DELEGATES.iter().zip(delegate_ids.iter()) {
        members::add_member(
            c,
            &coordinator,
            &NewMembership { program_id, user_id: user, role: ProgramRole::Delegate },
        )?;
        mentorships::add_mentorship(
            c,
            &coordinator,
            &NewMentorship { id: MentorshipId::new(), program_id, mentor_id, delegate_id: user },
        )?;
        let owner = actor(user, SystemRole::Member);
        plan_story(c, today, program_id, &owner, &mentor, &coordinator, d)?;
    }
    Ok((program_id, accounts))
}

fn new_user(
    id: UserId,
    email: &Email,
    password: &NewPassword,
    p: &Person,
    org: Option<OrganizationId>,
    role: SystemRole,
) -> NewUser {
    NewUser {
        id,
        email: email.clone(),
        display_name: p.name.to_owned(),
        organization_id: org,
        position: p.position.map(str::to_owned),
        locale: p.locale,
        time_zone: TimeZone::parse(p.time_zone).unwrap_or_default(),
        system_role: role,
        password: password.clone(),
        password_state: followup_domain::values::PasswordState::Set,
    }
}

fn evidence(url: &str, title: &str) -> Vec<Evidence> {
    vec![Evidence { url: url.to_owned(), title: Some(title.to_owned()) }]
}

/// One delegate's plan, brought to its place in the story.
fn plan_story(
    c: &mut DbConnection,
    today: NaiveDate,
    program_id: ProgramId,
    owner: &Actor,
    mentor: &Actor,
    coordinator: &Actor,
    d: &Delegate,
) -> Result<(), StoreError> {
    let plan_id = PlanId::new();
    let starts_on = NaiveDate::from_ymd_opt(2023, 6, 1).unwrap_or(today);
    let fields = PlanFields {
        title: d.plan.to_owned(),
        problem_statement: Some(format!(
            "Young people served by {} get little structured follow-up once they leave a rehabilitation programme.",
            d.org
        )),
        goal: Some("Put what was learned in Seoul into practice with colleagues and young people.".to_owned()),
        target_group: Some("Vulnerable youth aged 15–21 and the social workers who serve them".to_owned()),
        location: Some(if d.time_zone == "Asia/Makassar" { "Kupang, Nusa Tenggara Timur" } else { "Jakarta" }.to_owned()),
        starts_on,
        ends_on: day(today, 90),
    };
    plans::create(c, owner, &NewPlan { id: plan_id, program_id, fields })?;

    // Activities: one done, one overdue (due ten days ago, still in progress), two ahead.
    let activities = [
        (
            "Share the training materials with colleagues",
            day(today, -60),
            ActivityStatus::Done,
            Some(day(today, -62)),
        ),
        ("Run the first workshop with young people", day(today, -10), ActivityStatus::InProgress, None),
        ("Hold a follow-up session with the trained staff", day(today, 20), ActivityStatus::Planned, None),
        ("Write the final report for the mentor", day(today, 80), ActivityStatus::Planned, None),
    ];
    for (position, (title, due, status, completed)) in activities.into_iter().enumerate() {
        let fields = ActivityFields {
            title: title.to_owned(),
            description: None,
            starts_on: None,
            due_on: Some(due),
            status,
            completed_on: completed,
            position: i32::try_from(position).unwrap_or_default(),
        };
        activities::create_activity(c, owner, plan_id, &NewActivity { id: ActivityId::new(), fields })?;
    }
    let indicator_id = IndicatorId::new();
    let fields = IndicatorFields {
        name: "Young people reached by the new activities".to_owned(),
        unit: Some("people".to_owned()),
        baseline: 0.0,
        target: 40.0,
        direction: Direction::Increase,
    };
    indicators::create_indicator(c, owner, plan_id, &NewIndicator { id: indicator_id, fields })?;

    let transition = |c: &mut DbConnection, who: &Actor, t: Transition, reason: Option<&str>| {
        plans::transition(c, who, plan_id, t, reason).map(|_| ())
    };
    match d.story {
        Story::Draft => return Ok(()),
        Story::Submitted => return transition(c, owner, Transition::Submit, None),
        Story::ChangesRequested => {
            transition(c, owner, Transition::Submit, None)?;
            let reason = "Please say how many families you will reach and add a session with the parents.";
            return transition(c, mentor, Transition::RequestChanges, Some(reason));
        }
        _ => {
            transition(c, owner, Transition::Submit, None)?;
            transition(c, mentor, Transition::Approve, Some("A clear plan. Good luck!"))?;
        }
    }

    // Active from here on: measurements, check-ins, reviews, comments.
    for (value, days_ago) in [(8.0, 45), (17.0, 15)] {
        let m = NewMeasurement {
            id: MeasurementId::new(),
            value,
            measured_on: day(today, -days_ago),
            note: None,
            evidence: evidence("https://drive.example.org/demo/attendance.pdf", "Attendance sheet"),
        };
        indicators::record_measurement(c, owner, indicator_id, &m)?;
    }
    let check_in = |c: &mut DbConnection, days_ago: i64, progress: Progress, summary: &str| {
        let cmd = NewCheckIn {
            id: CheckInId::new(),
            reported_on: day(today, -days_ago),
            summary: summary.to_owned(),
            progress,
            confidence: Confidence::parse(match progress {
                Progress::OnTrack => 8,
                Progress::AtRisk => 5,
                Progress::OffTrack => 3,
            })
            .map_err(|e| followup_domain::DomainError::Invalid(vec![e]))?,
            achievements: Some("The materials are shared and the first group is chosen.".to_owned()),
            challenges: (progress != Progress::OnTrack)
                .then(|| "The venue was not available and two colleagues moved to another unit.".to_owned()),
            support_needed: (progress == Progress::OffTrack)
                .then(|| "A letter from the directorate to free staff time for the workshops.".to_owned()),
            next_steps: Some("Run the next workshop and record attendance.".to_owned()),
            evidence: evidence("https://drive.example.org/demo/photos", "Workshop photos"),
        };
        check_ins::create_check_in(c, owner, plan_id, &cmd).map(made)
    };
    let review = |c: &mut DbConnection, id: CheckInId, decision: ReviewStatus, note: &str| {
        let review = CheckInReview::parse(decision, Some(note.to_owned()))?;
        check_ins::review_check_in(c, mentor, id, &review).map(|_| ())
    };
    let comment =
        |c: &mut DbConnection, who: &Actor, body: &str, visibility: Visibility, target: Option<CheckInId>| {
            let cmd = NewComment {
                id: CommentId::new(),
                body: body.to_owned(),
                visibility,
                target: target.map(|id| (CommentTarget::CheckIn, id.as_uuid())),
            };
            comments::create_comment(c, who, plan_id, &cmd).map(|_| ())
        };

    match d.story {
        Story::ActiveReporting { last_check_in_days_ago, progress } => {
            let first = check_in(
                c,
                last_check_in_days_ago + 14,
                Progress::OnTrack,
                "The first month went as planned.",
            )?;
            // The mentor asks for the attendance sheet; the delegate revises
            // the report (its first version is kept), then it is acknowledged.
            review(
                c,
                first.id,
                ReviewStatus::RevisionRequested,
                "Please add the attendance sheet of the first workshop.",
            )?;
            let revision = CheckInChanges {
                summary: Some(
                    "The first month went as planned; 14 social workers came to the first workshop."
                        .to_owned(),
                ),
                evidence: Some(evidence(
                    "https://drive.example.org/demo/attendance",
                    "Attendance sheet, first workshop",
                )),
                ..CheckInChanges::default()
            };
            check_ins::revise_check_in(c, owner, first.id, &revision, &Precondition::Unconditional)?;
            review(c, first.id, ReviewStatus::Acknowledged, "Well done; keep the attendance sheets.")?;
            let last = check_in(c, last_check_in_days_ago, progress, "Workshops have started.")?;
            if d.time_zone == "Asia/Makassar" {
                comment(
                    c,
                    mentor,
                    "The photos show a lively first workshop. Could the young people lead part of the next one?",
                    Visibility::Shared,
                    Some(last.id),
                )?;
                comment(
                    c,
                    mentor,
                    "Kupang has few staff: worth asking the directorate about a second trainer.",
                    Visibility::Mentors,
                    None,
                )?;
            }
        }
        Story::ActiveSilent { last_check_in_days_ago: Some(days) } => {
            let only = check_in(c, days, Progress::AtRisk, "Preparations are slower than planned.")?;
            if days >= 20 {
                review(
                    c,
                    only.id,
                    ReviewStatus::RevisionRequested,
                    "Please add the dates of the workshops.",
                )?;
            } else {
                review(c, only.id, ReviewStatus::Acknowledged, "Thank you. Let me know how I can help.")?;
            }
            comment(
                c,
                coordinator,
                "A reminder: check-ins are due every two weeks.",
                Visibility::Shared,
                None,
            )?;
        }
        Story::ActiveSilent { last_check_in_days_ago: None } => {}
        Story::Completed => {
            let first = check_in(c, 30, Progress::OnTrack, "All sessions are done; the map is printed.")?;
            review(c, first.id, ReviewStatus::Acknowledged, "Excellent work.")?;
            transition(c, owner, Transition::Complete, Some("Every activity is finished."))?;
        }
        Story::Discontinued => {
            transition(
                c,
                mentor,
                Transition::Discontinue,
                Some("The league lost its field; the delegate will join a colleague's plan instead."),
            )?;
        }
        Story::Draft | Story::Submitted | Story::ChangesRequested => {}
    }
    Ok(())
}
