//! The generate artifact's records: [`GenerateSummary`] (`metrics.json` and the manifest's
//! `metrics`) and [`SampleRecord`] (a line of `samples.jsonl`). Built without libtorch, so that
//! the orchestrator reads them with these types.

use crate::SAMPLES_JSONL_FILE;
use crate::config::GenerateConfig;
use crate::error::GenerateError;
use crate::form::FormMetrics;
use crate::mode::{Mode, TrainingShape};
use artifact::Artifact;
use serde::{Deserialize, Serialize};

/// The run's figures: the manifest's `metrics` and `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateSummary {
    /// Text or names: what every sample is.
    pub mode: Mode,
    /// The mode was chosen from the training text (neither `--names` nor `--no-names`).
    pub mode_automatic: bool,
    /// The training split as the automatic choice saw it.
    pub training_shape: TrainingShape,
    /// `--num-samples`.
    pub requested: usize,
    /// Samples written (after name filtering; fewer than requested only when `cap_reached`).
    pub samples: usize,
    /// Samples generated (names mode: dropped ones and top-ups included). The figures below
    /// cover all of them.
    pub generated: usize,
    /// Generated tokens over all samples.
    pub tokens: usize,
    pub distinct_1: f64,
    pub distinct_2: f64,
    pub repeated_4gram_rate: f64,
    /// Fraction of generated 8-character windows found verbatim in the training text.
    pub copy_rate: f64,
    /// Mean negative log-likelihood per generated token under the model (nats).
    pub mean_nll: f64,
    /// Names mode: empty names dropped.
    pub dropped_empty: usize,
    /// Names mode, `--novel`: names of the training data dropped.
    pub dropped_known: usize,
    /// Names mode, `--unique`: repeated names dropped.
    pub dropped_duplicate: usize,
    /// Names mode: fewer names than requested were kept, because `TOP_UP_FACTOR` times the
    /// request were generated (or beam search, which cannot replace dropped names, ran out).
    pub cap_reached: bool,
    /// Prompt words outside the vocabulary.
    pub prompt_unknown_words: Vec<String>,
    /// The LSTM's weight λ when the samples were drawn from its mixture with the n-gram model
    /// (see [`crate::mixture`]); absent when drawn from the LSTM alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture_lambda: Option<f64>,
    /// Form metrics ([`crate::form::check`]): one per `--form`, or for a run without it on a
    /// titled corpus one (`primed`) that checks each sample against its own tune; empty for an
    /// untitled corpus without `--form`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forms: Vec<FormMetrics>,
}

/// One line of `samples.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub index: usize,
    pub seed: u64,
    pub prompt: String,
    /// Text or names (the run's effective mode).
    pub mode: Mode,
    /// The prompt followed by the generated text (in names mode: the name).
    pub text: String,
    /// The generated ids (the prompt excluded).
    pub tokens: Vec<u32>,
    pub token_count: usize,
    pub mean_log_prob: f64,
    pub params: GenerateConfig,
}

/// Reads `samples.jsonl` of a complete generate artifact.
pub fn read_samples(artifact: &Artifact) -> Result<Vec<SampleRecord>, GenerateError> {
    let path = artifact.path(SAMPLES_JSONL_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| GenerateError::io(&path, e))?;
    text.lines()
        .map(|l| {
            serde_json::from_str(l).map_err(|e| GenerateError::BadModel {
                dir: artifact.dir().to_path_buf(),
                message: format!("{SAMPLES_JSONL_FILE}: {e}"),
            })
        })
        .collect()
}
