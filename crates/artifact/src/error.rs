//! The error type at the crate boundary: every variant names the artifact or file involved.

use std::path::PathBuf;

/// What can go wrong reading or writing an artifact.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "artifact {dir} is incomplete (no manifest.json): the stage that wrote it did not finish; rerun that stage"
    )]
    Incomplete { dir: PathBuf },
    #[error("{path}: malformed manifest: {source}")]
    BadManifest {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("artifact {dir} is a `{found}` artifact, expected a `{expected}` artifact")]
    WrongStage {
        dir: PathBuf,
        found: String,
        expected: String,
    },
    #[error(
        "artifact {dir} has format version {found} of stage `{stage}`, this build reads version {expected}; rerun `{stage}` to rebuild it"
    )]
    FormatVersion {
        dir: PathBuf,
        stage: String,
        found: u32,
        expected: u32,
    },
    #[error("artifact {dir} has manifest schema {found}, this build reads schema {expected}")]
    Schema {
        dir: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "artifact {dir}: output `{file}` {problem}; the artifact was modified or damaged after it was written: run the `{stage}` stage again (`cargo xtask {stage}`), which makes a damaged artifact anew"
    )]
    Tampered {
        dir: PathBuf,
        stage: String,
        file: String,
        problem: String,
    },
    #[error(
        "{path} holds `{found}`, not an artifact id (16 hex digits); delete it and run the `{stage}` stage again (`cargo xtask {stage}`)"
    )]
    BadLatest {
        path: PathBuf,
        found: String,
        stage: String,
    },
    #[error("no complete `{stage}` artifact under {root}: run the `{stage}` stage first")]
    NoLatest { root: PathBuf, stage: String },
    #[error(
        "artifact {dir}: its manifest names no `{input}` input; run the `{stage}` stage again (`cargo xtask {stage}`)"
    )]
    NoInput {
        dir: PathBuf,
        stage: String,
        input: String,
    },
    #[error(
        "artifact {dir} was made from the `{input}` artifact {id} ({path}), which is missing or incomplete; run the `{input}` stage again (`cargo xtask {input}`)"
    )]
    InputMissing {
        dir: PathBuf,
        input: String,
        id: String,
        path: PathBuf,
    },
    /// The input found where the manifest says is another artifact (the expected id is in
    /// `input_dir`'s path or the manifest of `dir`; left out to keep the error small).
    #[error(
        "artifact {dir} was not made from {input_dir}, which holds artifact {found}: its input was made anew since; run the `{stage}` stage again (`cargo xtask {stage}`)"
    )]
    InputId {
        dir: PathBuf,
        stage: String,
        input_dir: PathBuf,
        found: String,
    },
    #[error("artifact {dir}: {message}")]
    Invalid { dir: PathBuf, message: String },
    #[error(
        "{path} is not a stage result ({message}); the stage binaries and the orchestrator come from different builds: build them again (`cargo build --release`)"
    )]
    BadResult { path: PathBuf, message: String },
}

impl ArtifactError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
