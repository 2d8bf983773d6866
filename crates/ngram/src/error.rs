//! The error type at the crate boundary; every message names the order, position, id or file
//! involved and says what to do.

use crate::params::{DEFAULT_ORDER, MAX_ORDER, MIN_ORDER};
use std::path::PathBuf;

/// What can go wrong fitting, saving or loading an n-gram model.
#[derive(Debug, thiserror::Error)]
pub enum NgramError {
    #[error(
        "n-gram order {order} is out of range: the accepted orders are {MIN_ORDER}..={MAX_ORDER} (default {DEFAULT_ORDER})"
    )]
    Order { order: usize },
    #[error(
        "token id {id} at position {position} is not below the vocabulary size {vocab_size}: the stream and the vocabulary do not belong together"
    )]
    IdOutOfRange {
        position: usize,
        id: u32,
        vocab_size: usize,
    },
    #[error("the token stream is empty: an n-gram model needs at least one token to fit")]
    EmptyStream,
    #[error("the token stream has {len} tokens; an n-gram model holds at most {max}")]
    StreamTooLong { len: usize, max: usize },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: n-gram model format version {found}, this build reads version {expected}; fit the model again (rerun the train stage)"
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// Not a model file, truncated, or inconsistent after decoding.
    #[error("{path}: {message}; fit the model again (rerun the train stage)")]
    BadFile { path: PathBuf, message: String },
}

impl NgramError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NgramError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad_file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        NgramError::BadFile {
            path: path.into(),
            message: message.into(),
        }
    }
}
