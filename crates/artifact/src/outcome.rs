//! The result file of a stage run (`--result-file PATH`): which artifact the run left as
//! `latest` and whether it made it or found it complete. Every stage binary writes it last, and
//! the orchestrator reads it with the same type, instead of guessing from the artifact
//! directories what the stage did:
//!
//! ```json
//! {"stage":"train","id":"3f2a9c0d1b7e4a55","outcome":"ran"}
//! ```

use crate::atomic::write_atomic;
use crate::store::is_artifact_id;
use crate::{ArtifactError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Whether a stage run made its artifact.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The artifact was made by this run.
    Ran,
    /// A complete artifact with the same id existed and was reused.
    Skipped,
}

impl Outcome {
    /// `ran` or `skipped`, as in the file and the pipeline's summary table.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ran => "ran",
            Outcome::Skipped => "skipped",
        }
    }
}

/// What one stage run reports to the process that started it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StageResult {
    /// The stage name (`clean`, `tokenize`, `train`, `generate`).
    pub stage: String,
    /// The id of the artifact the run left as `latest`.
    pub id: String,
    pub outcome: Outcome,
}

impl StageResult {
    /// Writes the result as one line of JSON, atomically: a reader never sees half a file.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut line = serde_json::to_string(self).expect("a stage result serialises");
        line.push('\n');
        write_atomic(path, line.as_bytes())
    }

    /// Reads a result written by [`StageResult::write`]; a missing, malformed or foreign file is
    /// an error naming it.
    pub fn read(path: &Path) -> Result<StageResult> {
        let text = std::fs::read_to_string(path).map_err(|e| ArtifactError::io(path, e))?;
        let result: StageResult =
            serde_json::from_str(&text).map_err(|e| ArtifactError::BadResult {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if !is_artifact_id(&result.id) {
            return Err(ArtifactError::BadResult {
                path: path.to_path_buf(),
                message: format!("`{}` is not an artifact id (16 hex digits)", result.id),
            });
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::{Outcome, StageResult};

    #[test]
    fn a_result_reads_back_as_written_and_names_its_outcome_in_lowercase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.result.json");
        let result = StageResult {
            stage: "train".into(),
            id: "0123456789abcdef".into(),
            outcome: Outcome::Skipped,
        };
        result.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"stage\":\"train\",\"id\":\"0123456789abcdef\",\"outcome\":\"skipped\"}\n"
        );
        assert_eq!(StageResult::read(&path).unwrap(), result);
    }

    #[test]
    fn a_missing_or_malformed_result_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clean.result.json");
        let missing = StageResult::read(&path).unwrap_err().to_string();
        assert!(missing.contains("clean.result.json"), "{missing}");
        for (text, says) in [
            (
                "{\"stage\":\"clean\",\"id\":\"0123456789abcdef\",\"outcome\":\"done\"}",
                "done",
            ),
            (
                "{\"stage\":\"clean\",\"id\":\"../..\",\"outcome\":\"ran\"}",
                "../..",
            ),
            ("not json", "expected"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = StageResult::read(&path).unwrap_err().to_string();
            assert!(
                err.contains("clean.result.json") && err.contains(says),
                "{text}: {err}"
            );
        }
    }
}
