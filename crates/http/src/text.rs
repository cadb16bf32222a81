//! Text fields of request bodies. [`Text`] and [`OptionalText`] carry their
//! bound in the type, check it with the domain's rule
//! ([`required_text`]/[`optional_text`]) and state the same rule in the
//! OpenAPI document (`minLength`, `maxLength`, `pattern`), so a client
//! generated from it never sends a text the server refuses.
//!
//! A field of either type is declared `#[schema(inline)]`: the rule appears
//! in the field's own schema, not as a shared component.

use std::borrow::Cow;

use followup_domain::error::FieldError;
use followup_domain::values::{optional_text, optional_text_pattern, required_text, required_text_pattern};
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A text that must not be blank, at most `MAX` characters; stored trimmed.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// The text as sent, for a domain rule that checks it with others
    /// (the same rule as [`Text::check`]).
    pub fn as_sent(&self) -> &str {
        &self.0
    }

    /// The trimmed text, or the field error naming `field`.
    pub fn check(&self, field: &str) -> Result<String, FieldError> {
        required_text(field, &self.0, MAX)
    }
}

/// A text that may be blank (or `null`), which means none; at most `MAX` characters.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct OptionalText<const MAX: usize>(String);

impl<const MAX: usize> OptionalText<MAX> {
    /// The trimmed text, `None` when blank, or the field error naming `field`.
    pub fn check(&self, field: &str) -> Result<Option<String>, FieldError> {
        optional_text(field, Some(&self.0), MAX)
    }
}

/// Checks an optional field of either presence: absent (or `null`) is none.
pub fn check_optional<const MAX: usize>(
    field: &str,
    text: Option<&OptionalText<MAX>>,
) -> Result<Option<String>, FieldError> {
    text.map_or(Ok(None), |t| t.check(field))
}

fn string_schema(min: Option<usize>, max: usize, pattern: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .min_length(min)
        .max_length(Some(max))
        .pattern(Some(pattern))
        .into()
}

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        string_schema(Some(1), MAX, required_text_pattern())
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Text{MAX}"))
    }
}

impl<const MAX: usize> PartialSchema for OptionalText<MAX> {
    fn schema() -> RefOr<Schema> {
        string_schema(None, MAX, optional_text_pattern())
    }
}

impl<const MAX: usize> ToSchema for OptionalText<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("OptionalText{MAX}"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;

    use followup_domain::values::Evidence;

    use super::*;

    /// Strings drawn to hit the rule's edges: control characters, every kind
    /// of white space, and ordinary letters.
    fn texts() -> impl Strategy<Value = String> {
        let chars = prop_oneof![
            Just('a'),
            Just('é'),
            Just('\u{1F600}'),
            Just(' '),
            Just('\t'),
            Just('\n'),
            Just('\r'),
            Just('\u{0B}'),
            Just('\u{00}'),
            Just('\u{1F}'),
            Just('\u{7F}'),
            Just('\u{85}'),
            Just('\u{A0}'),
            Just('\u{2003}'),
            Just('\u{3000}'),
            Just('\u{FEFF}'),
            any::<char>(),
        ];
        proptest::collection::vec(chars, 0..8).prop_map(|cs| cs.into_iter().collect())
    }

    fn accepted_by_schema(schema: RefOr<Schema>, text: &str) -> bool {
        let RefOr::T(Schema::Object(o)) = schema else { panic!("an inline string schema") };
        let len = text.chars().count();
        let Some(Ok(pattern)) = o.pattern.as_deref().map(Regex::new) else { panic!("a valid pattern") };
        o.min_length.is_none_or(|min| len >= min)
            && o.max_length.is_none_or(|max| len <= max)
            && pattern.is_match(text)
    }

    proptest! {
        /// The document states exactly the rule the server applies.
        #[test]
        fn the_schema_accepts_what_the_server_accepts(text in texts()) {
            prop_assert_eq!(
                accepted_by_schema(Text::<5>::schema(), &text),
                Text::<5>(text.clone()).check("f").is_ok(),
                "required text {:?}", text
            );
            prop_assert_eq!(
                accepted_by_schema(OptionalText::<5>::schema(), &text),
                OptionalText::<5>(text.clone()).check("f").is_ok(),
                "optional text {:?}", text
            );
        }
    }

    fn evidence_property(name: &str) -> RefOr<Schema> {
        let RefOr::T(Schema::Object(evidence)) = Evidence::schema() else { panic!("an object") };
        evidence.properties.get(name).cloned().unwrap_or_else(|| panic!("no property {name}"))
    }

    /// Links drawn around the URL rule's edges.
    fn urls() -> impl Strategy<Value = String> {
        let scheme =
            prop_oneof![Just("https://"), Just("HTTP://"), Just("ftp://"), Just("https:/"), Just("")];
        (scheme, texts(), texts()).prop_map(|(s, host, path)| format!("{s}{host}/{path}"))
    }

    proptest! {
        /// An evidence link's schema states the rule of `Evidence::parse_list`.
        #[test]
        fn the_evidence_schema_accepts_what_the_server_accepts(url in urls(), title in texts()) {
            let evidence = Evidence { url: url.clone(), title: Some(title.clone()) };
            let server = Evidence::parse_list(std::slice::from_ref(&evidence));
            let url_ok = accepted_by_schema(evidence_property("url"), &url);
            let title_ok = accepted_by_schema(evidence_property("title"), &title);
            prop_assert_eq!(url_ok && title_ok, server.is_ok(), "{:?}", evidence);
        }
    }

    #[test]
    fn the_evidence_title_has_the_optional_text_rule() {
        let RefOr::T(Schema::Object(title)) = evidence_property("title") else { panic!("a string") };
        assert_eq!(title.pattern, Some(optional_text_pattern()));
    }

    #[test]
    fn blank_is_none_and_text_is_trimmed() {
        let code = |r: Result<String, FieldError>| r.err().map(|e| e.code);
        assert_eq!(OptionalText::<10>(" \t\r\n".into()).check("f").ok(), Some(None));
        assert_eq!(Text::<10>("  Kupang \n".into()).check("f").ok().as_deref(), Some("Kupang"));
        assert_eq!(code(Text::<10>(" \u{3000}".into()).check("f")).as_deref(), Some("required"));
        assert_eq!(code(Text::<3>("abcd".into()).check("f")).as_deref(), Some("too_long"));
        assert_eq!(code(Text::<9>("ab\u{7}c".into()).check("f")).as_deref(), Some("invalid_characters"));
    }
}
