//! The error type at the crate boundary: every variant names the file, line or artifact involved
//! and says how to fix it.

use std::path::PathBuf;

/// What can go wrong cleaning a corpus.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("input directory {path} does not exist: pass a corpus directory with --input")]
    MissingInput { path: PathBuf },
    #[error("input {path} is not a directory: pass a corpus directory with --input")]
    NotADirectory { path: PathBuf },
    #[error("input directory {path} holds no .txt files: put the corpus text files there")]
    NoTextFiles { path: PathBuf },
    /// `details` names every .txt file, what became of it, and the flags that would keep its text.
    #[error("input directory {path} holds no usable text: {details}")]
    NoUsableText { path: PathBuf, details: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: invalid rule: {message}")]
    InvalidRule {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{first} and {second} both clean to docs/{output}: rename one of them (output names are case-insensitive in extension)"
    )]
    OutputClash {
        first: String,
        second: String,
        output: String,
    },
    #[error("cannot load the `{conversion}` conversion dictionaries: {message}")]
    Converter { conversion: String, message: String },
    #[error("artifact {dir}: {message}")]
    BadArtifact { dir: PathBuf, message: String },
    #[error(transparent)]
    Artifact(#[from] artifact::ArtifactError),
}
