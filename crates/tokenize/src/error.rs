//! The error type at the crate boundary; every message names the file, line or flag involved
//! and says what to do.

use std::path::PathBuf;

/// What can go wrong tokenizing a corpus or loading a tokenizer.
#[derive(Debug, thiserror::Error)]
pub enum TokenizeError {
    #[error(
        "input {0} does not exist: pass a clean artifact directory or an artifact root `artifacts/<corpus>`"
    )]
    MissingInput(PathBuf),
    #[error(transparent)]
    Artifact(#[from] artifact::ArtifactError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid UTF-8 at byte {offset}; the clean stage writes UTF-8, rerun it")]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("{path}:{line}: {message}")]
    UserDict {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A bad `--min-freq` or `--max-vocab`.
    #[error("{0}")]
    Param(String),
    /// A bad `--split`.
    #[error("{0}")]
    Split(String),
    #[error(
        "clean artifact {0} holds no text (no paragraphs in docs/*.txt); check the corpus and the clean stage's report"
    )]
    NoText(PathBuf),
    #[error(
        "clean document {0} changed while it was being tokenized; the clean artifact was modified, rerun the clean stage"
    )]
    Changed(String),
    #[error("{path}: {message}")]
    BadVocab { path: PathBuf, message: String },
    #[error(
        "{path}: {bytes} bytes is not a whole number of little-endian u32 ids (a multiple of 4); the file is truncated or not a token stream"
    )]
    StreamLength { path: PathBuf, bytes: u64 },
}

impl TokenizeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TokenizeError::Io {
            path: path.into(),
            source,
        }
    }
}
