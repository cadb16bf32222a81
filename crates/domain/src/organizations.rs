//! Organisations (ministry directorates, regional agencies, technical units,
//! partners): the entity and the commands that change one.

use chrono::{DateTime, Utc};

use crate::ids::OrganizationId;
use crate::patch::{NullablePatch, Patch};
use crate::values::OrganizationKind;

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<OrganizationId>,
    pub region: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<OrganizationId>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrganizationChanges {
    pub name: Patch<String>,
    pub kind: Patch<OrganizationKind>,
    pub parent_id: NullablePatch<OrganizationId>,
    pub region: NullablePatch<String>,
}

impl OrganizationChanges {
    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, name, kind, parent_id, region)
    }
}
