//! Organisations: `/organizations` — read by every signed-in user, changed by admins.

use actix_web::{delete, get, patch, post};
use chrono::{DateTime, Utc};
use followup_domain::ids::OrganizationId;
use followup_domain::organizations::Organization;
use followup_domain::organizations::{NewOrganization, OrganizationChanges};
use followup_domain::values::OrganizationKind;
use followup_domain::{DomainError, Validator};
use followup_persistence::repo::organizations::{self as repo, OrganizationFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{addressable, list_query, nullable};
use crate::handlers::endpoints::endpoint;
use crate::text::{check_optional, OptionalText, Text};

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationBody {
    pub id: Uuid,
    #[schema(example = "Sentra Efata Kupang")]
    pub name: String,
    pub kind: OrganizationKind,
    /// The parent organisation (e.g. the directorate a unit belongs to).
    pub parent_id: Option<Uuid>,
    #[schema(example = "Nusa Tenggara Timur")]
    pub region: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

addressable!(OrganizationBody, "/api/v1/organizations/{}", id);

impl From<Organization> for OrganizationBody {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.as_uuid(),
            name: o.name,
            kind: o.kind,
            parent_id: o.parent_id.map(|p| p.as_uuid()),
            region: o.region,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sentra Efata Kupang", "kind": "technical_unit", "region": "Nusa Tenggara Timur"}))]
pub struct CreateOrganizationBody {
    /// Optional client-chosen id.
    pub id: Option<Uuid>,
    #[schema(inline)]
    pub name: Text<200>,
    pub kind: OrganizationKind,
    pub parent_id: Option<Uuid>,
    #[schema(inline)]
    pub region: Option<OptionalText<200>>,
}

impl TryFrom<CreateOrganizationBody> for NewOrganization {
    type Error = DomainError;
    fn try_from(b: CreateOrganizationBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = v.check(b.name.check("name"));
        let region = v.check(check_optional("region", b.region.as_ref())).flatten();
        v.finish(|| {
            Some(NewOrganization {
                id: b.id.map(OrganizationId::from_uuid).unwrap_or_default(),
                name: name?,
                kind: b.kind,
                parent_id: b.parent_id.map(OrganizationId::from_uuid),
                region,
            })
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOrganizationBody {
    #[schema(inline)]
    pub name: Option<Text<200>>,
    pub kind: Option<OrganizationKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalText<200>>, inline)]
    pub region: Option<Option<OptionalText<200>>>,
}

impl TryFrom<PatchOrganizationBody> for OrganizationChanges {
    type Error = DomainError;
    fn try_from(b: PatchOrganizationBody) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = b.name.as_ref().and_then(|n| v.check(n.check("name")));
        let region = b.region.map(|r| v.check(check_optional("region", r.as_ref())).flatten());
        v.finish(|| {
            Some(OrganizationChanges {
                name,
                kind: b.kind,
                parent_id: b.parent_id.map(|p| p.map(OrganizationId::from_uuid)),
                region,
            })
        })
    }
}

list_query! {
    pub struct ListOrganizationsQuery {
        pub kind: Option<OrganizationKind>,
        pub parent_id: Option<Uuid>,
    }
}

endpoint! {
    /// List organisations.
    list_all list_organizations "/organizations" tag "organizations", CallerToken, ListOrganizationsQuery,
    OrganizationBody "A page of organisations", errors(),
    |c, _, query: ListOrganizationsQuery, page| {
        let filter =
            OrganizationFilter { kind: query.kind, parent_id: query.parent_id.map(OrganizationId::from_uuid) };
        repo::list(c, &filter, page)
    }
}

endpoint! {
    /// Create an organisation (admin).
    create_admin create_organization "/organizations" tag "organizations",
    CreateOrganizationBody => NewOrganization::try_from, OrganizationBody "Created",
    errors(
        403 "Not an admin", 409 "`name_taken`",
        422 "Invalid fields (`parent_id`: `cycle`, `unknown_organization`)"
    ),
    repo::create
}

endpoint! {
    /// Read an organisation.
    get get_organization "/organizations/{id}" tag "organizations", OrganizationId "Organisation id", CallerToken,
    OrganizationBody "The organisation", errors(404 "No such organisation"),
    |c, _, id| repo::get(c, id)
}

endpoint! {
    /// Change an organisation (admin). Honours `If-Match`.
    patch patch_organization "/organizations/{id}" tag "organizations", OrganizationId "Organisation id", CheckedCaller,
    PatchOrganizationBody => OrganizationChanges::try_from, OrganizationBody "Changed",
    errors(403 "Not an admin", 404 "No such organisation", 409 "`name_taken`"),
    repo::update
}

endpoint! {
    /// Delete an organisation (admin). 409 `still_referenced` while accounts or
    /// child organisations refer to it. Honours `If-Match`.
    delete delete_organization "/organizations/{id}" tag "organizations", OrganizationId "Organisation id", CheckedCaller,
    errors(403 "Not an admin", 404 "No such organisation", 409 "`still_referenced`"),
    repo::delete
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_organizations)
        .service(create_organization)
        .service(get_organization)
        .service(patch_organization)
        .service(delete_organization);
}
