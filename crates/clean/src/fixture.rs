//! Clean artifacts written from texts in memory, for the tests of the stages downstream (the
//! `fixtures` feature, enabled from their dev-dependencies only): they need a clean artifact
//! without running the clean stage on a corpus folder.

use crate::config::{CleanParams, RuleSwitches};
use crate::rules::sha256_hex;
use crate::{DATA_INPUT_STAGE, DOCS_DIR, FORMAT_VERSION, STAGE};
use artifact::fixture::commit_files;
use artifact::{InputRef, StageSpec};
use std::path::{Path, PathBuf};

/// Commits a clean artifact under `root` holding `docs/<name>` = `text` for each
/// `(name, text)` and returns its directory. Its params are the default rules' (so that a stage
/// that rebuilds the rules from it, as `generate --score` does, finds them) and its data input
/// is the texts' hash, as a corpus's content id is, so that other texts make another artifact.
/// An artifact that is already complete is returned as it is.
pub fn clean_artifact(root: &Path, docs: &[(&str, &str)]) -> artifact::Result<PathBuf> {
    clean_artifact_of_version(root, docs, FORMAT_VERSION)
}

/// [`clean_artifact`] under another format version, for the tests of how a reader refuses one.
pub fn clean_artifact_of_version(
    root: &Path,
    docs: &[(&str, &str)],
    format_version: u32,
) -> artifact::Result<PathBuf> {
    let key: String = docs
        .iter()
        .map(|(name, text)| format!("{name}\0{}\n", sha256_hex(text.as_bytes())))
        .collect();
    let params = CleanParams {
        switches: RuleSwitches::default(),
        rules_sha256: None,
        convert: Default::default(),
    };
    let spec = StageSpec {
        stage: STAGE.into(),
        format_version,
        params: serde_json::to_value(params).expect("clean params serialise"),
        inputs: vec![InputRef {
            stage: DATA_INPUT_STAGE.into(),
            id: sha256_hex(key.as_bytes())[..16].to_owned(),
            path: "fixture".into(),
        }],
    };
    let paths: Vec<String> = docs
        .iter()
        .map(|(name, _)| format!("{DOCS_DIR}/{name}"))
        .collect();
    let files: Vec<(&str, &[u8])> = paths
        .iter()
        .zip(docs)
        .map(|(path, (_, text))| (path.as_str(), text.as_bytes()))
        .collect();
    commit_files(root, spec, &files)
}
