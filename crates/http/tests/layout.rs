//! The floor plan of the workspace, checked: no import cycle among the files
//! of a crate, no source file over 600 lines (the message catalogue, which
//! is data, excepted), and a file of the same name for each resource in
//! every crate that has code for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::rust_files;

const LONGEST: usize = 600;
/// Data, not code: the message catalogue, and diesel's table declarations.
const DATA_FILES: &[&str] = &["i18n/catalogue.rs", "schema.rs"];

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

/// Module path (`handlers::plans`, `` for lib.rs) of every file, with its text.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(src).unwrap_or(&path).with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            (parts.join("::"), text)
        })
        .collect()
}

/// The text a file compiles outside its unit tests, without comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The longest module path among `known` that `path` starts with.
fn resolve(known: &BTreeMap<String, String>, path: &[&str]) -> Option<String> {
    (1..=path.len()).rev().filter_map(|n| path.get(..n)).map(|p| p.join("::")).find(|m| known.contains_key(m))
}

/// Edges: file -> the files it names through `crate::…` (or `super::…`).
fn edges(known: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    known
        .iter()
        .map(|(module, text)| {
            let code = code(text);
            let mut targets = BTreeSet::new();
            let mut add = |path: Vec<&str>| {
                if let Some(t) = resolve(known, &path) {
                    if !t.is_empty() && t != *module && !t.starts_with(&format!("{module}::")) {
                        targets.insert(t);
                    }
                }
            };
            for rest in code.split("crate::").skip(1) {
                if let Some(group) = rest.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or_default();
                    for item in inner.split(',') {
                        let first = item.trim().split("::").next().unwrap_or_default();
                        add(vec![first.trim()]);
                    }
                } else {
                    let path: Vec<&str> = rest
                        .split(|c: char| !(ident(c) || c == ':'))
                        .next()
                        .unwrap_or_default()
                        .split("::")
                        .collect();
                    add(path);
                }
            }
            let parent: Vec<&str> = module.split("::").collect();
            let parent = parent.get(..parent.len().saturating_sub(1)).unwrap_or_default();
            for rest in code.split("super::").skip(1) {
                let name = rest.split(|c: char| !ident(c)).next().unwrap_or_default();
                let mut path = parent.to_vec();
                path.push(name);
                add(path);
            }
            (module.clone(), targets)
        })
        .collect()
}

/// A cycle through `start`, if any.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                return Some(path.clone());
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_import_cycle_among_the_files_of_a_crate() {
    for krate in ["domain", "persistence", "http", "server"] {
        let known = modules(&crate_src(krate));
        let graph = edges(&known);
        let cycles: Vec<String> =
            graph.keys().filter_map(|m| cycle_from(&graph, m)).map(|c| c.join(" -> ")).collect();
        assert!(cycles.is_empty(), "import cycles in crates/{krate}/src:\n{}", cycles.join("\n"));
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let known: BTreeMap<String, String> = [
        (String::new(), "pub mod a; pub mod b;".to_owned()),
        ("a".to_owned(), "use crate::b::Thing;".to_owned()),
        ("b".to_owned(), "use crate::{a, other};\n// crate::c in a comment".to_owned()),
    ]
    .into_iter()
    .collect();
    let graph = edges(&known);
    assert_eq!(cycle_from(&graph, "a"), Some(vec!["a".to_owned(), "b".to_owned()]));
}

#[test]
fn no_source_file_is_over_600_lines_but_data() {
    let mut long = Vec::new();
    for krate in ["domain", "persistence", "http", "server"] {
        let src = crate_src(krate);
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for path in files {
            let rel = path.strip_prefix(&src).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let lines = std::fs::read_to_string(&path).unwrap_or_default().lines().count();
            if lines > LONGEST && !DATA_FILES.contains(&rel.as_str()) {
                long.push(format!("crates/{krate}/src/{rel}: {lines} lines"));
            }
        }
    }
    assert!(long.is_empty(), "files over {LONGEST} lines:\n{}", long.join("\n"));
}

#[test]
fn each_resource_has_a_file_of_its_name_in_every_layer() {
    let layers = [
        ("domain", "", &["sync", "export", "sessions"][..]),
        ("persistence", "repo/", &[][..]),
        ("http", "handlers/", &[][..]),
    ];
    let resources = [
        "plans",
        "activities",
        "indicators",
        "check_ins",
        "comments",
        "programs",
        "members",
        "mentorships",
        "organizations",
        "users",
        "sessions",
        "sync",
        "monitoring",
        "export",
    ];
    let mut missing = Vec::new();
    for (krate, dir, exempt) in layers {
        for resource in resources {
            let path = crate_src(krate).join(format!("{dir}{resource}.rs"));
            if !exempt.contains(&resource) && !path.exists() {
                missing.push(format!("crates/{krate}/src/{dir}{resource}.rs"));
            }
        }
    }
    assert!(missing.is_empty(), "missing resource files:\n{}", missing.join("\n"));
}
