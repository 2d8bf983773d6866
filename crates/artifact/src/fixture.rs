//! Small artifacts written from files in memory, for the stage crates' tests (the `fixtures`
//! feature): the tests of `tokenize`, `train` and `generate` need a clean artifact without
//! running the clean stage.

use crate::{ArtifactError, Begin, Existing, Producer, Result, StageSpec, begin};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Commits the artifact of `spec` under `root` holding `files` (paths inside the artifact,
/// parent folders made as needed) and empty metrics; returns its directory. An artifact that
/// is already complete is returned as it is.
pub fn commit_files(root: &Path, spec: StageSpec, files: &[(&str, &[u8])]) -> Result<PathBuf> {
    let producer = Producer {
        crate_name: spec.stage.clone(),
        version: "0.0.0".into(),
        git_rev: None,
    };
    let staging = match begin(root, spec, producer, Existing::Reuse)? {
        Begin::Staging(staging) => staging,
        Begin::Complete(artifact) => return Ok(artifact.dir().to_path_buf()),
    };
    for (name, bytes) in files {
        let path = staging.dir().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ArtifactError::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| ArtifactError::io(&path, e))?;
    }
    Ok(staging.commit(json!({}))?.dir().to_path_buf())
}
