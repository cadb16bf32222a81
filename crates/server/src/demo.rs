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
use followup_domain::api_keys::{format_key, NewApiKey};
use followup_domain::ids::{
    ApiKeyId, CheckInId, MentorshipId, OrganizationId, ProgramId, SessionId, UserId, WebhookId,
};
use followup_domain::members::NewMembership;
use followup_domain::mentorships::NewMentorship;
use followup_domain::organizations::NewOrganization;
use followup_domain::programs::{NewProgram, ProgramFields};
use followup_domain::users::NewUser;
use followup_domain::values::{
    Email, Locale, NewPassword, OrganizationKind, ProgramRole, SystemRole, TimeZone,
};
use followup_domain::webhooks::NewWebhook;
use followup_domain::Actor;
use followup_http::auth::{passwords, tokens};
use followup_persistence::repo::plans::Created;
use followup_persistence::repo::{api_keys, members, mentorships, organizations, programs, users, webhooks};
use followup_persistence::{Database, DbConnection, StoreError};

mod evidence;
mod plan;
mod story;
mod survey;

pub use evidence::attach_evidence;

use plan::plan_story;
use story::{Delegate, DELEGATES, DKI, MINISTRY};

/// The demo programme's code: how a second run recognises the demo.
pub const PROGRAM_CODE: &str = "ITP-2023-IDN-YOUTH";

/// The name of the demo's API key, the funder's M&E system's.
pub const API_KEY_NAME: &str = "KOICA M&E system";

/// One account the demo created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub role: &'static str,
    pub name: &'static str,
    pub email: String,
}

/// A check-in with evidence to show, and its owner.
pub type Shown = (Actor, CheckInId);

/// What `seed-demo` did.
#[derive(Debug)]
pub enum Outcome {
    /// The demo was loaded; every account has `password`; `api_key` is the
    /// funder's M&E system's key (shown once).
    Seeded {
        program_id: ProgramId,
        accounts: Vec<Account>,
        password: String,
        generated: bool,
        api_key: String,
        /// The check-ins whose photos the mentor comments on, with their
        /// owners: [`attach_evidence`] gives them their files.
        evidence: Vec<Shown>,
    },
    /// The programme was already there; nothing changed.
    AlreadyLoaded { program_id: ProgramId },
}

pub(super) fn day(today: NaiveDate, days: i64) -> NaiveDate {
    today + Duration::days(days)
}

pub(super) fn made<T>(c: Created<T>) -> T {
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
    // The funder's key: its secret (shown once) and what is stored for it.
    let key = NewApiKey {
        id: ApiKeyId::new(),
        program_id: ProgramId::new(),
        name: API_KEY_NAME.to_owned(),
        scopes: vec![followup_domain::values::ApiKeyScope::Read],
    };
    let secret = tokens::new_secret_token();
    let key_hashes = (
        tokens::secret_hash(&secret),
        passwords::hash(&passwords::generate()).map_err(|e| anyhow!("cannot hash a password: {e}"))?,
    );
    let api_key = format_key(key.id, &secret);
    let now = chrono::Utc::now();
    let (program_id, accounts, evidence) =
        db.write(|c| seed(c, now, &people, hashed, &key, &key_hashes)).context("cannot load the demo")?;
    Ok(Outcome::Seeded { program_id, accounts, password, generated, api_key, evidence })
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
    now: chrono::DateTime<chrono::Utc>,
    people: &[Person],
    hashed: Vec<(Email, NewPassword, String)>,
    key: &NewApiKey,
    (secret_hash, unusable_hash): &(String, String),
) -> Result<(ProgramId, Vec<Account>, Vec<Shown>), StoreError> {
    let today = now.date_naive();
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
    let training_ends_on = NaiveDate::from_ymd_opt(2023, 5, 19).unwrap_or(today);
    let program_id = key.program_id;
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
        training_ends_on,
        follow_up_until: day(today, 120),
        check_in_cadence_days: 14,
        status: None,
    };
    programs::create(c, &admin, &NewProgram { id: program_id, fields })?;
    for (user, role) in [
        (mentor_id, ProgramRole::Mentor),
        (coordinator_id, ProgramRole::Coordinator),
        (observer_id, ProgramRole::Observer),
    ] {
        members::add_member(c, &admin, &NewMembership { program_id, user_id: user, role })?;
    }

    let mut evidence = Vec::new();
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
        // A delegate's dates are relative to their own today, as the
        // dashboard reads them.
        let their_today = followup_domain::monitoring::today_in(d.time_zone, now);
        if let Some(shown) = plan_story(c, their_today, program_id, &owner, &mentor, &coordinator, d)? {
            // Kupang's photos are the ones the mentor's comment speaks of.
            if d.time_zone == "Asia/Makassar" {
                evidence.push((owner, shown));
            }
        }
    }
    let answering: Vec<(&Delegate, UserId)> = DELEGATES.iter().zip(delegate_ids.iter().copied()).collect();
    survey::survey_story(c, now, program_id, training_ends_on, &coordinator, &answering)?;
    api_keys::create(c, &coordinator, key, secret_hash, unusable_hash)?;
    // The province's WhatsApp gateway is told when a mentor reviews a
    // check-in or sends a plan back, to message the delegate. Its address
    // is an example: on a demo server the deliveries fail and are logged.
    let gateway = NewWebhook {
        id: WebhookId::new(),
        program_id,
        url: "https://wa-gateway.dinsos.ntt.example.id/followup".into(),
        description: Some("WhatsApp gateway of Dinas Sosial NTT".into()),
        event_types: vec!["check_in.reviewed".into(), "plan.changes_requested".into()],
    };
    webhooks::create(c, &coordinator, &gateway, &followup_http::handlers::webhooks::new_secret())?;
    Ok((program_id, accounts, evidence))
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
