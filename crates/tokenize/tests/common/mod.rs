//! Fixtures shared by the tokenize tests: clean artifacts from `clean::fixture`.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};

/// Commits a clean artifact under `root` holding `docs/<name>` for each `(name, text)`, and
/// returns its directory.
pub fn clean_artifact(root: &Path, docs: &[(&str, &str)]) -> PathBuf {
    clean::fixture::clean_artifact(root, docs).unwrap()
}

/// [`clean_artifact`] under format version `version`.
pub fn clean_artifact_version(root: &Path, docs: &[(&str, &str)], version: u32) -> PathBuf {
    clean::fixture::clean_artifact_of_version(root, docs, version).unwrap()
}

/// Entries of `<root>/tokenize/` (empty when it does not exist).
pub fn tokenize_entries(root: &Path) -> Vec<String> {
    match std::fs::read_dir(root.join("tokenize")) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}
