//! Types a generated client can decode without hand-written code:
//!
//! - a page's items refer to the item's own component (`PageBody_PlanBody`
//!   lists `PlanBody`), so a plan from a list and a plan from its GET are one
//!   class in a generated client (utoipa inlines a generic's argument);
//! - a change-feed item is one of a schema per entity type, told apart by
//!   `type` (a discriminator), each with its `data` as the entity's own GET
//!   returns it.

use utoipa::openapi::schema::{
    ArrayItems, Discriminator, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{Components, Ref, RefOr};

/// What `GET /sync` sends for each entity type: the `type` word and the
/// component its `data` is (the body of the entity's own GET).
pub const SYNC_TYPES: &[(&str, &str)] = &[
    ("program", "ProgramBody"),
    ("membership", "MemberBody"),
    ("mentorship", "MentorshipBody"),
    ("plan", "PlanBody"),
    ("activity", "ActivityBody"),
    ("indicator", "IndicatorBody"),
    ("measurement", "MeasurementBody"),
    ("check_in", "CheckInBody"),
    ("comment", "CommentBody"),
    ("attachment", "AttachmentBody"),
    ("change_request", "ChangeRequestBody"),
    ("survey_round", "SurveyRoundBody"),
    ("survey_response", "SurveyResponseBody"),
];

/// `PageBody_X.items` refers to component `X` (registered from the inlined
/// schema when nothing else registered it).
pub fn page_items_by_reference(components: &mut Components) {
    let pages: Vec<String> =
        components.schemas.keys().filter(|k| k.starts_with("PageBody_")).cloned().collect();
    for page in pages {
        let item = page.trim_start_matches("PageBody_").to_owned();
        let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut(&page) else { continue };
        let Some(RefOr::T(Schema::Array(items))) = body.properties.get_mut("items") else { continue };
        let ArrayItems::RefOrSchema(inlined) = &mut items.items else { continue };
        if matches!(**inlined, RefOr::Ref(_)) {
            continue;
        }
        let schema = std::mem::replace(&mut **inlined, RefOr::Ref(Ref::from_schema_name(&item)));
        components.schemas.entry(item).or_insert(schema);
    }
}

/// `SyncItemBody` becomes `oneOf` a `SyncItem_<type>` per entity type,
/// discriminated by `type`.
pub fn sync_items_by_type(components: &mut Components) {
    let Some(RefOr::T(Schema::Object(generic))) = components.schemas.get("SyncItemBody").cloned() else {
        return;
    };
    let mut one_of = OneOfBuilder::new().description(generic.description.clone());
    let mut discriminator = Discriminator::new("type");
    for (word, body) in SYNC_TYPES {
        let name = format!("SyncItem_{word}");
        components.schemas.insert(name.clone(), RefOr::T(Schema::Object(variant(&generic, word, body))));
        discriminator.mapping.insert((*word).to_owned(), format!("#/components/schemas/{name}"));
        one_of = one_of.item(RefOr::Ref(Ref::from_schema_name(&name)));
    }
    let mut one_of = one_of.build();
    one_of.discriminator = Some(discriminator);
    components.schemas.insert("SyncItemBody".to_owned(), RefOr::T(Schema::OneOf(one_of)));
}

/// The item of one entity type: `type` is that word, `data` its body.
fn variant(generic: &Object, word: &str, body: &str) -> Object {
    let mut object = generic.clone();
    object.description = Some(format!("A change of type `{word}`."));
    object.properties.insert(
        "type".to_owned(),
        ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some([word])).into(),
    );
    let mut data = Ref::from_schema_name(body);
    data.description = "For `upsert`, the entity as its own GET returns it; absent for `delete`.".to_owned();
    object.properties.insert("data".to_owned(), RefOr::Ref(data));
    object
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_type_the_feed_sends_has_its_schema() {
        for kind in followup_persistence::repo::changes::SYNCED_TYPES {
            assert!(super::SYNC_TYPES.iter().any(|(word, _)| *word == kind), "{kind} has no SyncItem schema");
        }
    }
}
