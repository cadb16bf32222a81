//! The message catalogue is complete: every problem code, field-error code,
//! message key and resource kind the sources pass to the error constructors
//! has an English and an Indonesian text, and every catalogue entry is sound.
//!
//! The scanner reads `crates/*/src/**/*.rs`, so a code added anywhere in the
//! workspace without its texts fails here, naming the code and the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod common;
use common::rust_files;

use followup_http::i18n::{self, Text, DETAILS, FIELDS, PROBLEMS, TERMS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A problem `code` (needs a title and a detail).
    Problem,
    /// A field-error `code`.
    Field,
    /// A key `code.variant`, problem or field.
    Key,
    /// A resource kind substituted for `{entity}`.
    Entity,
}

/// Where a literal is found: after `pattern`, as call argument `arg`
/// (`None`: the string literal right after the pattern).
struct Site {
    pattern: &'static str,
    arg: Option<usize>,
    kind: Kind,
    /// The pattern must not follow an identifier character or `::` (so
    /// `invalid(` does not match `DomainError::invalid(`).
    bare: bool,
}

const SITES: &[Site] = &[
    Site { pattern: "ApiError::new(", arg: Some(1), kind: Kind::Problem, bare: false },
    Site { pattern: "ApiError::bad_request(", arg: Some(0), kind: Kind::Problem, bare: false },
    Site { pattern: "on_unique(", arg: Some(1), kind: Kind::Problem, bare: true },
    Site { pattern: "code: \"", arg: None, kind: Kind::Problem, bare: true },
    Site { pattern: "FieldError::new(", arg: Some(1), kind: Kind::Field, bare: false },
    Site { pattern: "DomainError::invalid(", arg: Some(1), kind: Kind::Field, bare: false },
    Site { pattern: "invalid(", arg: Some(0), kind: Kind::Field, bare: true },
    Site { pattern: ".key(", arg: Some(0), kind: Kind::Key, bare: false },
    Site { pattern: "Message::new(", arg: Some(0), kind: Kind::Key, bare: false },
    Site { pattern: "forbidden(", arg: Some(0), kind: Kind::Key, bare: true },
    Site { pattern: "state_conflict(", arg: Some(0), kind: Kind::Key, bare: true },
    Site { pattern: "entity: \"", arg: None, kind: Kind::Entity, bare: true },
    Site { pattern: "not_found(", arg: Some(0), kind: Kind::Entity, bare: true },
    Site { pattern: "hide_as(", arg: Some(0), kind: Kind::Entity, bare: true },
    Site { pattern: "id_conflict(", arg: Some(0), kind: Kind::Entity, bare: true },
];

/// The string literal at the start of `text`, unescaped enough for codes.
fn literal(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    let value = rest.get(..end)?;
    (!value.contains('\\')).then(|| value.to_owned())
}

/// Argument `n` of the call whose arguments start at `text` (just after `(`).
fn argument(text: &str, n: usize) -> Option<&str> {
    let (mut depth, mut index, mut start, mut in_str, mut escaped) = (0i32, 0usize, 0usize, false, false);
    for (i, c) in text.char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return (index == n).then(|| text.get(start..i)).flatten(),
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                if index == n {
                    return text.get(start..i);
                }
                index += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

/// Every `(kind, value)` the sites find in `source`.
fn scan(source: &str) -> Vec<(Kind, String)> {
    let mut found = Vec::new();
    for site in SITES {
        for (at, _) in source.match_indices(site.pattern) {
            let before = source.get(..at).and_then(|b| b.chars().next_back());
            if site.bare && before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let after = source.get(at + site.pattern.len()..).unwrap_or_default();
            let value = match site.arg {
                None => source.get(at + site.pattern.len() - 1..).and_then(literal),
                Some(n) => argument(after, n).and_then(literal),
            };
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                found.push((site.kind, value));
            }
        }
    }
    // Keys chosen in a `match` rather than passed directly: any literal
    // `code.variant` whose code is a problem or field code (found here or
    // in the catalogue).
    let codes: BTreeSet<String> = found
        .iter()
        .filter(|(k, _)| matches!(k, Kind::Problem | Kind::Field))
        .map(|(_, v)| v.clone())
        .chain(PROBLEMS.iter().map(|(c, _, _)| (*c).to_owned()))
        .chain(FIELDS.iter().filter(|(c, _)| !c.contains('.')).map(|(c, _)| (*c).to_owned()))
        .collect();
    for piece in source.split('"').skip(1).step_by(2) {
        if let Some((code, variant)) = piece.split_once('.') {
            let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if word(code) && word(variant) && codes.contains(code) {
                found.push((Kind::Key, piece.to_owned()));
            }
        }
    }
    found
}

/// `(kind, value) -> files` over `crates/*/src`.
fn scan_workspace() -> BTreeMap<(Kind, String), BTreeSet<String>> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap_or_else(|e| panic!("{crates:?}: {e}")).flatten() {
        let src = krate.path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 40, "the scanner should see the workspace's sources, saw {}", files.len());
    let mut found: BTreeMap<(Kind, String), BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        let name = file.strip_prefix(&crates).unwrap_or(&file).display().to_string();
        for hit in scan(&source) {
            found.entry(hit).or_default().insert(name.clone());
        }
    }
    found
}

fn known(kind: Kind, value: &str) -> bool {
    match kind {
        Kind::Problem => i18n::title(value, followup_domain::values::Locale::En).is_some(),
        Kind::Field => i18n::field_template(value).is_some(),
        Kind::Key => i18n::detail_template(value).is_some() || i18n::field_template(value).is_some(),
        Kind::Entity => TERMS.iter().any(|(k, _)| *k == value),
    }
}

fn missing(found: &BTreeMap<(Kind, String), BTreeSet<String>>) -> Vec<String> {
    found
        .iter()
        .filter(|((kind, value), _)| !known(*kind, value))
        .map(|((kind, value), files)| format!("{kind:?} {value:?} (in {files:?})"))
        .collect()
}

#[test]
fn every_code_in_the_sources_has_both_texts() {
    let found = scan_workspace();
    let missing = missing(&found);
    assert!(
        missing.is_empty(),
        "add these to crates/http/src/i18n/catalogue.rs, in English and Indonesian:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_scanner_finds_the_codes_in_use() {
    let found = scan_workspace();
    let of = |kind: Kind| {
        found.keys().filter(|(k, _)| *k == kind).map(|(_, v)| v.as_str()).collect::<BTreeSet<_>>()
    };
    let (problems, fields, keys, entities) =
        (of(Kind::Problem), of(Kind::Field), of(Kind::Key), of(Kind::Entity));
    // One of each constructor the handlers and the domain use.
    for code in [
        "unsupported_media_type", // ApiError::new in json.rs
        "malformed_json",         // ApiError::bad_request
        "invalid_credentials",    // ApiError::new in a handler
        "email_taken",            // on_unique in the persistence layer
        "last_admin",             // DomainError::Conflict { code: .. }
        "invalid_state",          // DomainError::StateConflict { code: .. }
        "idempotency_key_reused", // ApiError::new in a middleware
    ] {
        assert!(problems.contains(code), "problem code {code} not found: {problems:?}");
    }
    for code in
        ["too_long", "before_start", "unknown_field", "cycle", "not_a_mentor", "wrong_sort", "incorrect"]
    {
        assert!(fields.contains(code), "field code {code} not found: {fields:?}");
    }
    for key in ["forbidden.owner_only", "invalid_transition.approve", "invalid_state.edit", "not_found.route"]
    {
        assert!(keys.contains(key), "key {key} not found: {keys:?}");
    }
    for entity in ["plan", "program", "check-in", "organization"] {
        assert!(entities.contains(entity), "entity {entity} not found: {entities:?}");
    }
    assert!(problems.len() >= 25, "{} problem codes: {problems:?}", problems.len());
    assert!(fields.len() >= 25, "{} field codes: {fields:?}", fields.len());
    assert!(keys.len() >= 30, "{} keys: {keys:?}", keys.len());
}

#[test]
fn the_scanner_would_catch_a_new_code() {
    let source = r#"
        fn handler() -> Result<(), ApiError> {
            let e = ApiError::new(StatusCode::CONFLICT, "brand_new_problem", "Conflict", "x");
            let f = ApiError::bad_request("brand_new_bad_request", format!("{x}, {y}"));
            v.push(FieldError::new(format!("a[{i}]"), "brand_new_field", "is odd").with("max", 3));
            Err(DomainError::Conflict { code: "brand_new_conflict", message: "x".into() })?;
            Err(DomainError::invalid("field", "brand_new_invalid", "x"))?;
            Err(on_unique(e, "brand_new_unique", "taken"))?;
            Err(DomainError::NotAllowed(Message::new("forbidden.brand_new")))?;
            Err(not_found("brand_new_entity"))?;
            ApiError::not_found("x").key("not_found.brand_new");
            match t { A => "invalid_state.brand_new_arm", B => "plan.submit" };
            Err(DomainError::invalid("title", "required", "is required"))
        }
    "#;
    let mut found: BTreeMap<(Kind, String), BTreeSet<String>> = BTreeMap::new();
    for hit in scan(source) {
        found.entry(hit).or_default().insert("example.rs".into());
    }
    let missing = missing(&found).join("\n");
    for code in [
        "brand_new_problem",
        "brand_new_bad_request",
        "brand_new_field",
        "brand_new_conflict",
        "brand_new_invalid",
        "brand_new_unique",
        "forbidden.brand_new",
        "brand_new_entity",
        "not_found.brand_new",
        "invalid_state.brand_new_arm",
    ] {
        assert!(missing.contains(&format!("{code:?}")), "{code} should be reported missing:\n{missing}");
    }
    assert!(!missing.contains("\"required\""), "a known code is not reported:\n{missing}");
    assert!(!missing.contains("plan.submit"), "a dotted literal of no code is not a key:\n{missing}");
    assert!(!missing.contains("\"title\""), "a field name is not a code:\n{missing}");
}

fn check_text(key: &str, text: &Text, problems: &mut Vec<String>) {
    if text.en.trim().is_empty() || text.id.trim().is_empty() {
        problems.push(format!("{key}: an empty text"));
    }
    if text.en == text.id {
        problems.push(format!("{key}: Indonesian is the same as English ({:?})", text.en));
    }
    if i18n::placeholders(text.en) != i18n::placeholders(text.id) {
        problems.push(format!(
            "{key}: placeholders differ: en {:?}, id {:?}",
            i18n::placeholders(text.en),
            i18n::placeholders(text.id)
        ));
    }
    // Indonesian without the commonest English words (wire words such as
    // `changes_requested` and header names stay as they are).
    let english =
        ["the", "must", "is", "not", "be", "and", "or", "this", "only", "cannot", "has", "of", "with"];
    let words = text.id.split(|c: char| !c.is_alphabetic() && c != '_' && c != '-');
    if let Some(word) = words.map(str::to_lowercase).find(|w| english.contains(&w.as_str())) {
        problems.push(format!("{key}: the Indonesian text has the English word {word:?}: {:?}", text.id));
    }
}

#[test]
fn every_entry_has_sound_english_and_indonesian_texts() {
    let mut problems = Vec::new();
    let mut keys = BTreeSet::new();
    for (code, title, detail) in PROBLEMS {
        if !keys.insert(*code) {
            problems.push(format!("{code}: listed twice"));
        }
        check_text(&format!("{code} (title)"), title, &mut problems);
        check_text(code, detail, &mut problems);
    }
    for (key, text) in DETAILS {
        if !keys.insert(*key) {
            problems.push(format!("{key}: listed twice"));
        }
        let code = key.split('.').next().unwrap_or_default();
        if !PROBLEMS.iter().any(|(c, _, _)| *c == code) || !key.contains('.') {
            problems.push(format!("{key}: a detail variant must be `code.variant` of a problem code"));
        }
        check_text(key, text, &mut problems);
    }
    let mut field_keys = BTreeSet::new();
    for (key, text) in FIELDS {
        if !field_keys.insert(*key) {
            problems.push(format!("{key}: listed twice"));
        }
        if let Some((code, _)) = key.split_once('.') {
            if !FIELDS.iter().any(|(c, _)| *c == code) {
                problems.push(format!("{key}: its code {code} has no message of its own"));
            }
        }
        check_text(key, text, &mut problems);
    }
    for (key, text) in TERMS {
        if text.en.is_empty() || text.id.is_empty() {
            problems.push(format!("term {key}: an empty text"));
        }
    }
    assert!(PROBLEMS.len() >= 25 && FIELDS.len() >= 25, "the catalogue looks truncated");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
