//! Bulk seeding for load tests and benchmarks: one programme with N
//! delegates (all sharing one precomputed password hash), a coordinator and
//! one mentor of every delegate, plans, activities, indicators, measurements
//! and check-ins, written with multi-row inserts in batches inside one
//! transaction. No audit events or change-feed entries are written: this is
//! synthetic data, not history.
//!
//! Multi-row `values(&[row])` does not compile on the multi-backend
//! connection, so [`insert_batches`] matches the connection variant, as the
//! upserts of `repo::idempotency` do.

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::repo::rows::{
    ActivityRow, CheckInRow, IndicatorRow, MeasurementRow, MembershipRow, MentorshipRow, OrganizationRow,
    PlanRow, ProgramRow, UserRow,
};
use crate::schema::{
    action_plans, activities, check_ins, indicators, measurements, memberships, mentorships, organizations,
    programs, users,
};
use crate::sql_types::{DbId, DbTime};

/// Rows per INSERT: below SQLite's and PostgreSQL's bind-parameter limits
/// for the widest table (check-ins, 19 columns).
const BATCH: usize = 1000;

/// The time zones delegates rotate through (WIB, WITA, WIT).
pub const TIME_ZONES: [&str; 3] = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"];

/// What to create.
#[derive(Debug, Clone)]
pub struct BulkSpec {
    /// Programme code; also makes the e-mail addresses unique.
    pub code: String,
    pub delegates: usize,
    pub plans: usize,
    pub activities: usize,
    pub check_ins: usize,
    pub indicators_per_plan: usize,
    pub measurements_per_indicator: usize,
    /// A PHC string every seeded account gets as its password hash.
    pub password_hash: String,
}

impl BulkSpec {
    pub fn new(code: &str, delegates: usize, password_hash: String) -> Self {
        Self {
            code: code.to_owned(),
            delegates,
            plans: delegates,
            activities: delegates * 4,
            check_ins: delegates * 2,
            indicators_per_plan: 1,
            measurements_per_indicator: 2,
            password_hash,
        }
    }
}

/// What was created.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub program_id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_email: String,
    pub coordinator_id: Uuid,
    pub coordinator_email: String,
    pub delegate_ids: Vec<Uuid>,
}

/// Insert `rows` into `table` in batches of [`BATCH`].
macro_rules! insert_batches {
    ($conn:expr, $table:path, $rows:expr) => {{
        for chunk in $rows.chunks(BATCH) {
            with_backend_conn!(&mut *$conn, c => diesel::insert_into($table).values(chunk).execute(c))?;
        }
    }};
}

const PLAN_STATUSES: [&str; 8] =
    ["active", "active", "active", "completed", "draft", "submitted", "discontinued", "changes_requested"];
const ACTIVITY_STATUSES: [&str; 6] = ["planned", "in_progress", "done", "blocked", "cancelled", "done"];
const PROGRESS: [&str; 3] = ["on_track", "at_risk", "off_track"];
const REVIEWS: [&str; 3] = ["pending", "acknowledged", "revision_requested"];

fn pick<'a>(words: &[&'a str], i: usize) -> &'a str {
    words.get(i % words.len().max(1)).copied().unwrap_or_default()
}

fn days(n: usize) -> Duration {
    Duration::days(i64::try_from(n).unwrap_or(0))
}

fn user(
    id: Uuid,
    email: String,
    name: String,
    tz: &str,
    org: Option<Uuid>,
    hash: &str,
    now: DbTime,
) -> UserRow {
    UserRow {
        id: DbId(id),
        email,
        display_name: name,
        organization_id: org.map(DbId),
        position: None,
        locale: "id".into(),
        time_zone: tz.into(),
        system_role: "member".into(),
        active: true,
        password_hash: hash.to_owned(),
        password_changed_at: now,
        version: 1,
        created_at: now,
        updated_at: now,
        password_state: "set".into(),
    }
}

/// Create the programme and everything under it, in one transaction.
pub fn seed_program(conn: &mut DbConnection, spec: &BulkSpec) -> Result<Seeded, StoreError> {
    conn.transaction(|conn| seed(conn, spec))
}

/// Refresh the planner statistics after a bulk load (`ANALYZE`, on both backends).
pub fn analyze(conn: &mut DbConnection) -> Result<(), StoreError> {
    Ok(conn.batch_execute("ANALYZE")?)
}

fn seed(conn: &mut DbConnection, spec: &BulkSpec) -> Result<Seeded, StoreError> {
    let now = DbTime(crate::now());
    let today: NaiveDate = now.0.date_naive();
    let tag = spec.code.to_lowercase();
    let program_id = Uuid::now_v7();
    diesel::insert_into(programs::table)
        .values(&ProgramRow {
            id: DbId(program_id),
            code: spec.code.clone(),
            title: "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia".into(),
            theme: Some("Social rehabilitation of vulnerable youth".into()),
            funder: Some("KOICA".into()),
            partners: r#"["World Vision Korea","KDS","Re:bach International"]"#.into(),
            location: Some("Seoul".into()),
            training_starts_on: today - Duration::days(134),
            training_ends_on: today - Duration::days(120),
            follow_up_until: today + Duration::days(180),
            check_in_cadence_days: 14,
            status: "planned".into(),
            version: 1,
            created_at: now,
            updated_at: now,
            status_set: false,
        })
        .execute(conn)?;

    let regions = ["DKI Jakarta", "Nusa Tenggara Timur", "Papua", "Sulawesi Selatan", "Jawa Barat"];
    let orgs: Vec<OrganizationRow> = regions
        .iter()
        .enumerate()
        .map(|(i, region)| OrganizationRow {
            id: DbId(Uuid::now_v7()),
            name: format!("{} unit {} ({})", spec.code, i + 1, region),
            kind: "technical_unit".into(),
            parent_id: None,
            region: Some((*region).into()),
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    insert_batches!(conn, organizations::table, orgs);

    let hash = spec.password_hash.as_str();
    let mentor_id = Uuid::now_v7();
    let coordinator_id = Uuid::now_v7();
    let mentor_email = format!("mentor.{tag}@bench.followup.local");
    let coordinator_email = format!("coordinator.{tag}@bench.followup.local");
    let mut people = vec![
        user(mentor_id, mentor_email.clone(), "Young Joon Hong".into(), "Asia/Seoul", None, hash, now),
        user(coordinator_id, coordinator_email.clone(), "Kim Min-ji".into(), "Asia/Seoul", None, hash, now),
    ];
    let delegate_ids: Vec<Uuid> = (0..spec.delegates).map(|_| Uuid::now_v7()).collect();
    for (i, id) in delegate_ids.iter().enumerate() {
        let org = orgs.get(i % orgs.len()).map(|o| o.id.0);
        people.push(user(
            *id,
            format!("delegate{i}.{tag}@bench.followup.local"),
            format!("Delegate {i:05}"),
            pick(&TIME_ZONES, i),
            org,
            hash,
            now,
        ));
    }
    insert_batches!(conn, users::table, people);

    let membership = |user: Uuid, role: &str| MembershipRow {
        id: DbId(Uuid::now_v7()),
        program_id: DbId(program_id),
        user_id: DbId(user),
        role: role.into(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut members = vec![membership(mentor_id, "mentor"), membership(coordinator_id, "coordinator")];
    members.extend(delegate_ids.iter().map(|d| membership(*d, "delegate")));
    insert_batches!(conn, memberships::table, members);
    let mentoring: Vec<MentorshipRow> = delegate_ids
        .iter()
        .map(|d| MentorshipRow {
            id: DbId(Uuid::now_v7()),
            program_id: DbId(program_id),
            mentor_id: DbId(mentor_id),
            delegate_id: DbId(*d),
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    insert_batches!(conn, mentorships::table, mentoring);

    let mut plans = Vec::with_capacity(spec.plans);
    if !delegate_ids.is_empty() {
        for i in 0..spec.plans {
            let owner = delegate_ids.get(i % delegate_ids.len()).copied().unwrap_or_default();
            plans.push(PlanRow {
                id: DbId(Uuid::now_v7()),
                program_id: DbId(program_id),
                owner_id: DbId(owner),
                title: format!("Peer-support training, part {}", i + 1),
                problem_statement: None,
                goal: None,
                target_group: None,
                location: None,
                starts_on: today - Duration::days(90),
                ends_on: today + Duration::days(90),
                status: pick(&PLAN_STATUSES, i / delegate_ids.len().max(1) + i).into(),
                status_reason: None,
                submitted_at: None,
                approved_at: None,
                closed_at: None,
                version: 1,
                created_at: DbTime(now.0 + Duration::microseconds(i64::try_from(i).unwrap_or(0))),
                updated_at: now,
                original_ends_on: None,
                original_goal: None,
            });
        }
    }
    insert_batches!(conn, action_plans::table, plans);

    let mut acts = Vec::with_capacity(spec.activities);
    if !plans.is_empty() {
        for j in 0..spec.activities {
            let plan = plans.get(j % plans.len()).map(|p| p.id).unwrap_or(DbId(Uuid::nil()));
            let status = pick(&ACTIVITY_STATUSES, j / plans.len() + j);
            acts.push(ActivityRow {
                id: DbId(Uuid::now_v7()),
                plan_id: plan,
                title: format!("Activity {}", j + 1),
                description: None,
                starts_on: None,
                due_on: Some(today - Duration::days(60) + days(j % 120)),
                status: status.into(),
                completed_on: if status == "done" { Some(today) } else { None },
                position: i32::try_from(j / plans.len()).unwrap_or(0),
                version: 1,
                created_at: now,
                updated_at: now,
            });
        }
    }
    insert_batches!(conn, activities::table, acts);

    let mut inds = Vec::new();
    let mut meas = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        for k in 0..spec.indicators_per_plan {
            let id = Uuid::now_v7();
            inds.push(IndicatorRow {
                id: DbId(id),
                plan_id: plan.id,
                name: format!("Youth workers trained ({})", k + 1),
                unit: Some("people".into()),
                baseline: 0.0,
                target: 20.0,
                direction: "increase".into(),
                version: 1,
                created_at: now,
                updated_at: now,
                original_baseline: None,
                original_target: None,
            });
            for m in 0..spec.measurements_per_indicator {
                meas.push(MeasurementRow {
                    id: DbId(Uuid::now_v7()),
                    indicator_id: DbId(id),
                    value: ((i + k + m) % 21) as f64,
                    measured_on: today - days(30 * (spec.measurements_per_indicator - m)),
                    note: None,
                    evidence: "[]".into(),
                    recorded_by: plan.owner_id,
                    created_at: now,
                    version: 1,
                    updated_at: now,
                    withdrawn_at: None,
                    withdrawn_reason: None,
                });
            }
        }
    }
    insert_batches!(conn, indicators::table, inds);
    insert_batches!(conn, measurements::table, meas);

    let reporting: Vec<&PlanRow> = plans
        .iter()
        .filter(|p| matches!(p.status.as_str(), "active" | "completed" | "discontinued"))
        .collect();
    let mut checks = Vec::with_capacity(spec.check_ins);
    if !reporting.is_empty() {
        for k in 0..spec.check_ins {
            let Some(plan) = reporting.get(k % reporting.len()) else { continue };
            let round = k / reporting.len();
            let review = pick(&REVIEWS, round + k);
            checks.push(CheckInRow {
                id: DbId(Uuid::now_v7()),
                plan_id: plan.id,
                author_id: plan.owner_id,
                reported_on: today - days((k * 7) % 75),
                summary: "Ran a peer-support circle with the youth workers.".into(),
                progress: pick(&PROGRESS, round + k / 3).into(),
                confidence: i32::try_from(k % 11).unwrap_or(5),
                achievements: None,
                challenges: None,
                support_needed: None,
                next_steps: None,
                evidence: "[]".into(),
                review_status: review.into(),
                review_note: None,
                reviewer_id: if review == "pending" { None } else { Some(DbId(mentor_id)) },
                reviewed_at: if review == "pending" { None } else { Some(now) },
                version: 1,
                created_at: now,
                updated_at: now,
            });
        }
    }
    insert_batches!(conn, check_ins::table, checks);

    Ok(Seeded { program_id, mentor_id, mentor_email, coordinator_id, coordinator_email, delegate_ids })
}
