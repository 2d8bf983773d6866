//! The error type at the model crate's boundary.

use std::path::PathBuf;

/// What can go wrong building, saving or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model config: {0}")]
    Config(String),
    #[error("{path}: {message}")]
    Weights { path: PathBuf, message: String },
}
