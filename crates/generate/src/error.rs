//! The error type at the generate crate's boundary.

use std::path::PathBuf;

/// What can go wrong generating.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A bad flag value; the message names the flag and the fix.
    #[error("{0}")]
    Param(String),
    #[error("model {0}: no such train artifact or artifact root")]
    MissingModel(PathBuf),
    #[error("train artifact {dir}: {message}")]
    BadModel { dir: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Artifact(#[from] artifact::ArtifactError),
    #[error(transparent)]
    Tokenize(#[from] tokenize::TokenizeError),
    #[error(transparent)]
    Model(#[from] model::ModelError),
    #[cfg(feature = "torch")]
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

impl GenerateError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        GenerateError::Io {
            path: path.into(),
            source,
        }
    }
}
