//! What the source-reading tests (the catalogue, the layout) share.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, at any depth, added to `out`; panics on a
/// folder it cannot read.
pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
