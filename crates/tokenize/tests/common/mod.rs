//! Fixtures shared by the tokenize tests: clean artifacts built with the artifact crate.

#![allow(dead_code)] // each test file uses a different subset

use artifact::StageSpec;
use artifact::fixture::commit_files;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Commits a clean artifact under `root` holding `docs/<name>` for each `(name, text)`, and
/// returns its directory. `tag` makes ids differ between fixtures.
pub fn clean_artifact(root: &Path, docs: &[(&str, &str)]) -> PathBuf {
    clean_artifact_version(root, docs, 1)
}

pub fn clean_artifact_version(root: &Path, docs: &[(&str, &str)], version: u32) -> PathBuf {
    let names: Vec<&str> = docs.iter().map(|d| d.0).collect();
    let spec = StageSpec {
        stage: "clean".into(),
        format_version: version,
        params: json!({"fixture": names, "texts": docs.iter().map(|d| d.1).collect::<Vec<_>>()}),
        inputs: vec![],
    };
    let paths: Vec<String> = names.iter().map(|name| format!("docs/{name}")).collect();
    let files: Vec<(&str, &[u8])> = paths
        .iter()
        .zip(docs)
        .map(|(path, (_, text))| (path.as_str(), text.as_bytes()))
        .collect();
    commit_files(root, spec, &files).unwrap()
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
