//! Programmes: `/programs`, `/programs/{id}`.

use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::dto::{addressable, list_query, nullable};
use crate::handlers::endpoints::endpoint;
use crate::text::{check_optional, OptionalText, Text};
use followup_domain::ids::ProgramId;
use followup_domain::programs::ProgramWithRole;
use followup_domain::programs::{check_cadence, NewProgram, ProgramChanges, ProgramFields};
use followup_domain::values::{ProgramRole, ProgramStatus};
use followup_domain::{DomainError, FieldError, Validator};
use followup_persistence::repo::programs::{self as repo, ProgramFilter};
/// A training programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramBody {
    pub id: Uuid,
    #[schema(example = "KOICA-ITP-2023")]
    pub code: String,
    #[schema(example = "Invitational Training Program on Social Rehabilitation")]
    pub title: String,
    #[schema(example = "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia")]
    pub theme: Option<String>,
    #[schema(example = "KOICA")]
    pub funder: Option<String>,
    #[schema(example = json!(["World Vision Korea", "KDS", "Re:bach International"]))]
    pub partners: Vec<String>,
    #[schema(example = "Seoul")]
    pub location: Option<String>,
    #[schema(example = "2023-05-08")]
    pub training_starts_on: NaiveDate,
    #[schema(example = "2023-05-19")]
    pub training_ends_on: NaiveDate,
    #[schema(example = "2023-11-30")]
    pub follow_up_until: NaiveDate,
    /// Days between expected check-ins (1–90).
    #[schema(example = 14)]
    pub check_in_cadence_days: i32,
    /// What a coordinator set, or else what the dates say on today's date
    /// (UTC): `planned` before the training, `training` from its first to its
    /// last day, `follow_up` until `follow_up_until`, `closed` after.
    pub status: ProgramStatus,
    /// `true` while no coordinator has set the status: it follows the dates.
    /// A PATCH with a `status` sets it; with `"status": null` it follows the
    /// dates again.
    pub status_follows_dates: bool,
    /// The caller's role in this programme; `null` for an admin who is not a member.
    pub my_role: Option<ProgramRole>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

addressable!(ProgramBody, "/api/v1/programs/{}", id);

impl From<ProgramWithRole> for ProgramBody {
    fn from(v: ProgramWithRole) -> Self {
        let p = v.program;
        Self {
            id: p.id.as_uuid(),
            code: p.code,
            title: p.title,
            theme: p.theme,
            funder: p.funder,
            partners: p.partners,
            location: p.location,
            training_starts_on: p.training_starts_on,
            training_ends_on: p.training_ends_on,
            follow_up_until: p.follow_up_until,
            check_in_cadence_days: p.check_in_cadence_days,
            status: p.status,
            status_follows_dates: p.status_follows_dates,
            my_role: v.my_role,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "KOICA-ITP-2023",
    "title": "Invitational Training Program on Social Rehabilitation",
    "theme": "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia",
    "funder": "KOICA",
    "partners": ["World Vision Korea", "KDS", "Re:bach International"],
    "location": "Seoul",
    "training_starts_on": "2023-05-08",
    "training_ends_on": "2023-05-19",
    "follow_up_until": "2023-11-30",
    "check_in_cadence_days": 14
}))]
pub struct CreateProgramBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    #[schema(inline)]
    pub code: Text<64>,
    #[schema(inline)]
    pub title: Text<300>,
    #[schema(inline)]
    pub theme: Option<OptionalText<500>>,
    #[schema(inline)]
    pub funder: Option<OptionalText<200>>,
    #[serde(default)]
    #[schema(inline, max_items = 50)]
    pub partners: Vec<Text<200>>,
    #[schema(inline)]
    pub location: Option<OptionalText<200>>,
    pub training_starts_on: NaiveDate,
    pub training_ends_on: NaiveDate,
    pub follow_up_until: NaiveDate,
    /// Days between expected check-ins; default 14.
    #[schema(minimum = 1, maximum = 90)]
    pub check_in_cadence_days: Option<i32>,
    /// Set it to hold a status whatever the dates say (a programme stopped
    /// early is `closed`); left out, the status follows the dates.
    pub status: Option<ProgramStatus>,
}

fn partners(v: &mut Validator, raw: &[Text<200>]) -> Option<Vec<String>> {
    if raw.len() > 50 {
        v.push(FieldError::new("partners", "too_many", "at most 50 partners").with("max", 50));
        return None;
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        out.push(v.check(p.check(&format!("partners[{i}]")))?);
    }
    Some(out)
}

impl TryFrom<CreateProgramBody> for NewProgram {
    type Error = DomainError;
    fn try_from(b: CreateProgramBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let code = v.check(b.code.check("code"));
        let title = v.check(b.title.check("title"));
        let theme = v.check(check_optional("theme", b.theme.as_ref())).flatten();
        let funder = v.check(check_optional("funder", b.funder.as_ref())).flatten();
        let location = v.check(check_optional("location", b.location.as_ref())).flatten();
        let partners = partners(&mut v, &b.partners);
        let fields = v.finish(|| {
            Some(ProgramFields {
                code: code?,
                title: title?,
                theme,
                funder,
                partners: partners?,
                location,
                training_starts_on: b.training_starts_on,
                training_ends_on: b.training_ends_on,
                follow_up_until: b.follow_up_until,
                check_in_cadence_days: b.check_in_cadence_days.unwrap_or(14),
                status: b.status,
            })
        })?;
        fields.check()?;
        Ok(NewProgram { id: b.id.map(ProgramId::from_uuid).unwrap_or_default(), fields })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchProgramBody {
    #[schema(inline)]
    pub code: Option<Text<64>>,
    #[schema(inline)]
    pub title: Option<Text<300>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<500>>, inline)]
    pub theme: Option<Option<OptionalText<500>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<200>>, inline)]
    pub funder: Option<Option<OptionalText<200>>>,
    #[schema(inline, max_items = 50)]
    pub partners: Option<Vec<Text<200>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<200>>, inline)]
    pub location: Option<Option<OptionalText<200>>>,
    pub training_starts_on: Option<NaiveDate>,
    pub training_ends_on: Option<NaiveDate>,
    pub follow_up_until: Option<NaiveDate>,
    /// Days between expected check-ins.
    #[schema(minimum = 1, maximum = 90)]
    pub check_in_cadence_days: Option<i32>,
    /// Sets the status, which then holds whatever the dates say; `null`: the
    /// status follows the dates again.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ProgramStatus>)]
    pub status: Option<Option<ProgramStatus>>,
}

impl TryFrom<PatchProgramBody> for ProgramChanges {
    type Error = DomainError;
    fn try_from(b: PatchProgramBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let code = b.code.as_ref().and_then(|c| v.check(c.check("code")));
        let title = b.title.as_ref().and_then(|t| v.check(t.check("title")));
        let theme = b.theme.map(|t| v.check(check_optional("theme", t.as_ref())).flatten());
        let funder = b.funder.map(|t| v.check(check_optional("funder", t.as_ref())).flatten());
        let location = b.location.map(|t| v.check(check_optional("location", t.as_ref())).flatten());
        let partners = b.partners.as_deref().and_then(|p| partners(&mut v, p));
        let cadence = b.check_in_cadence_days.and_then(|d| v.check(check_cadence(d)));
        v.finish(|| {
            Some(ProgramChanges {
                code,
                title,
                theme,
                funder,
                partners,
                location,
                training_starts_on: b.training_starts_on,
                training_ends_on: b.training_ends_on,
                follow_up_until: b.follow_up_until,
                check_in_cadence_days: cadence,
                status: b.status,
            })
        })
    }
}

list_query! {
    pub struct ListProgramsQuery {
        pub status: Option<ProgramStatus>,
    }
}

endpoint! {
    /// List the programmes you belong to (admins: all).
    list_all list_programs "/programs" tag "programs", CallerToken, ListProgramsQuery,
    ProgramBody "A page of programmes", errors(),
    |c, actor, query: ListProgramsQuery, page| repo::list(c, actor, &ProgramFilter { status: query.status }, page)
}

endpoint! {
    /// Create a programme (admin).
    create_admin create_program "/programs" tag "programs",
    CreateProgramBody => NewProgram::try_from, ProgramBody "Created",
    errors(
        403 "Not an admin", 409 "`code_taken`",
        422 "Invalid fields: dates out of order, cadence outside 1–90…"
    ),
    repo::create
}

endpoint! {
    /// Read a programme you belong to (admins: any). Others get 404.
    get get_program "/programs/{id}" tag "programs", ProgramId "Programme id", CallerToken,
    ProgramBody "The programme", errors(404 "No such programme, or not yours"),
    repo::get
}

endpoint! {
    /// Change a programme: its coordinators and admins. Honours `If-Match`.
    patch patch_program "/programs/{id}" tag "programs", ProgramId "Programme id", CallerToken,
    PatchProgramBody => ProgramChanges::try_from, ProgramBody "Changed",
    errors(403 "A member who is not a coordinator", 404 "No such programme, or not yours", 409 "`code_taken`"),
    repo::update
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_programs).service(create_program).service(get_program).service(patch_program);
}
