//! The OpenAPI links between operations (what a client follows from a
//! create's answer) name operations that exist, with exactly their path
//! parameters, and cover every resource a create makes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// operationId → (path parameters, links of its responses as (target, parameters)).
type Operations = BTreeMap<String, (BTreeSet<String>, Vec<(String, BTreeSet<String>)>)>;

fn operations() -> Operations {
    let doc = serde_json::to_value(followup_http::openapi()).unwrap_or(Value::Null);
    let mut out = Operations::new();
    let paths = doc.get("paths").and_then(Value::as_object);
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
                .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect();
            let links = op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
                .filter_map(|r| r["links"].as_object())
                .flat_map(|links| links.values())
                .map(|l| {
                    let target = l["operationId"].as_str().unwrap_or_default().to_owned();
                    let params =
                        l["parameters"].as_object().into_iter().flat_map(|p| p.keys().cloned()).collect();
                    (target, params)
                })
                .collect();
            out.insert(id.to_owned(), (params, links));
        }
    }
    out
}

#[test]
fn every_link_names_an_operation_with_exactly_its_path_parameters() {
    let ops = operations();
    let mut count = 0;
    for (source, (_, links)) in &ops {
        for (target, params) in links {
            count += 1;
            let Some((expected, _)) = ops.get(target) else { panic!("{source} links to unknown {target}") };
            assert_eq!(params, expected, "{source} → {target}");
        }
    }
    assert!(count >= 40, "only {count} links");
}

#[test]
fn every_create_links_to_the_reads_of_what_it_made() {
    let ops = operations();
    for (create, read) in [
        ("create_plan", "get_plan"),
        ("create_activity", "get_activity"),
        ("create_indicator", "get_indicator"),
        ("create_check_in", "get_check_in"),
        ("create_comment", "get_comment"),
        ("create_program", "get_program"),
        ("create_organization", "get_organization"),
        ("create_user", "get_user"),
        ("add_mentorship", "remove_mentorship"),
    ] {
        let links = ops.get(create).map(|(_, l)| l.clone()).unwrap_or_default();
        assert!(links.iter().any(|(t, _)| t == read), "{create} does not link to {read}");
    }
}
