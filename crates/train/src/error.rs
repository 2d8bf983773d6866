//! The error type at the train crate's boundary.

use std::path::PathBuf;

/// What can go wrong training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Artifact(#[from] artifact::ArtifactError),
    #[error(transparent)]
    Tokenize(#[from] tokenize::TokenizeError),
    #[error(transparent)]
    Model(#[from] model::ModelError),
    #[error("the n-gram baseline: {0}")]
    Ngram(#[from] ngram::NgramError),
    #[error("{0}")]
    Param(String),
    #[error(
        "input {0} does not exist: give a tokenize artifact directory or an artifact root holding tokenize/latest"
    )]
    MissingInput(PathBuf),
    #[error(
        "{path}: token id {id} at position {position} is not below the vocabulary size {vocab_size}; the stream does not belong to this vocab.json, rerun `tokenize`"
    )]
    IdOutOfRange {
        path: PathBuf,
        position: usize,
        id: u32,
        vocab_size: usize,
    },
    #[error(
        "{path}: the {split} split has {tokens} tokens, but batch size {batch} × seq len {seq} needs at least {needed}; use a smaller --batch-size/--seq-len or a bigger corpus"
    )]
    SplitTooShort {
        path: PathBuf,
        split: String,
        tokens: usize,
        batch: i64,
        seq: i64,
        needed: i64,
    },
    #[error(
        "tokenize artifact {dir} has an empty {split} split (it was made with --split {shares}): training needs text in train, valid and test, and no batch size changes that; run tokenize again with more text or with shares that give every split some (e.g. `cargo xtask tokenize --split 90/5/5`)"
    )]
    EmptySplit {
        dir: PathBuf,
        split: &'static str,
        shares: tokenize::Split,
    },
    #[error("resume checkpoint {dir}: {message}")]
    Resume { dir: PathBuf, message: String },
    #[error("resume checkpoint {dir} was made with other settings: {} differ; resume with the same flags (only --epochs, --max-steps, --time-budget, --patience, --lr and --clip may change)", fields.join(", "))]
    ResumeMismatch { dir: PathBuf, fields: Vec<String> },
    #[error("training loss is {loss} at step {step} (epoch {epoch}); {}", non_finite_advice(checkpoint.as_ref(), *lr))]
    NonFinite {
        step: u64,
        epoch: u32,
        loss: f64,
        /// The resume checkpoint left behind and its step, if one was written.
        checkpoint: Option<(PathBuf, u64)>,
        /// The `--lr` of the run.
        lr: f64,
    },
    #[error("{} is in use by another process training the same artifact ({}); wait for it to finish or stop it, then rerun", dir.display(), if owner.is_empty() { "owner unknown" } else { owner })]
    Busy { dir: PathBuf, owner: String },
    #[error("interrupted at step {step}; resume with --resume {}", dir.display())]
    Interrupted { step: u64, dir: PathBuf },
    #[cfg(feature = "torch")]
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// How to go on after a diverged run.
fn non_finite_advice(checkpoint: Option<&(PathBuf, u64)>, lr: f64) -> String {
    match checkpoint {
        Some((dir, step)) => format!(
            "the last good checkpoint is {} (step {step}): continue from it with a lower learning rate, e.g. `--resume {} --lr {}` (or a lower --clip)",
            dir.display(),
            dir.display(),
            lr / 2.0
        ),
        None => "no checkpoint was written before it; rerun with a lower --lr or --clip".into(),
    }
}

impl TrainError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.into(),
            source,
        }
    }
}
