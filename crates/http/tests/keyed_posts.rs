//! Every POST handler under `/api/v1` (but `/auth/*` and file uploads) makes its response
//! inside its unit of work (`CallerToken::respond` or `IdempotencyKey::respond`),
//! so that its `Idempotency-Key` is claimed, its work done and its answer
//! stored in one transaction. A handler that wrote first and answered
//! afterwards would leave a window in which a crash keeps the work and loses
//! the answer; this test names any such handler.

#![allow(clippy::expect_used)]

use std::path::Path;

/// The text of each `fn` in `source` whose body makes a response in its unit
/// of work, by name.
fn responders(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in source.match_indices("fn ") {
        let rest = &source[at + 3..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() && body(&source[at..]).contains(".respond(") {
            names.push(name);
        }
    }
    names
}

/// From a handler's attribute (or `fn`) to the end of its function: the first
/// line that closes a block at the function's own indentation.
fn body(from: &str) -> &str {
    let ends = ["\n}\n", "\n        }\n"];
    let end = ends.iter().filter_map(|e| from.find(e)).min().unwrap_or(from.len());
    &from[..end]
}

/// Handler files whose POSTs take a file as their body.
const STREAMED: [&str; 2] = ["attachments.rs", "uploads.rs"];

#[test]
fn every_keyed_post_handler_answers_from_its_unit_of_work() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/handlers");
    let mut checked = 0;
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("cannot list the handlers") {
        let path = entry.expect("cannot read the handlers directory").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("cannot read a handler file");
        let helpers = responders(&source);
        for (at, _) in source.match_indices("#[post(") {
            let attribute = &source[at..source[at..].find(')').map_or(source.len(), |e| at + e)];
            // Sign-in calls have no caller; a file upload streams its body
            // to the store and is not keyed (see `idempotency::applies_to`):
            // a file is sent again whole, or resumed by tus.
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if attribute.contains("\"/auth/") || STREAMED.contains(&name) {
                continue;
            }
            let handler = body(&source[at..]);
            let answers_inside = handler.contains(".respond(")
                || helpers.iter().any(|name| handler.contains(&format!("{name}(")));
            checked += 1;
            if !answers_inside {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                offenders.push(format!("{name}: {attribute})"));
            }
        }
    }
    assert!(
        checked >= 10,
        "the scan found only {checked} keyed POST handlers: is it still reading the right files?"
    );
    assert!(
        offenders.is_empty(),
        "these POST handlers do not make their response inside their unit of work \
         (use CallerToken::respond or IdempotencyKey::respond): {offenders:#?}"
    );
}
