//! `metrics.jsonl`: one JSON record per line, for train-loss reports, validations and the final
//! test evaluation.

use crate::METRICS_FILE;
use crate::error::TrainError;
use serde::{Deserialize, Serialize};

/// One line of `metrics.jsonl`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Record {
    /// `train`, `valid` or `test`.
    pub split: String,
    /// Optimizer steps taken so far.
    pub step: u64,
    pub epoch: u32,
    /// Training tokens seen so far.
    pub tokens_seen: u64,
    /// Mean loss in nats per token (for `train`: over the steps since the last record).
    pub loss: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub perplexity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bits_per_char: Option<f64>,
    pub lr: f64,
    /// Throughput of the training steps since the last record, validations and checkpoints
    /// left out (train records only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tokens_per_s: Option<f64>,
    /// A short sample of the model at this validation (valid records only; see
    /// [`crate::preview`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sample: Option<String>,
    /// Tokens a validation scored when it was a fixed sample of the valid split rather than
    /// all of it (see [`crate::evaluate::valid_sample`]); absent for whole-split figures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scored_tokens: Option<u64>,
}

/// The records as JSON lines.
pub fn to_jsonl(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&serde_json::to_string(r).expect("records serialise"));
        out.push('\n');
    }
    out
}

/// Parses JSON lines written by [`to_jsonl`].
pub fn from_jsonl(text: &str) -> Result<Vec<Record>, serde_json::Error> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(serde_json::from_str)
        .collect()
}

/// Reads `metrics.jsonl` of a complete train artifact.
pub fn read_metrics(artifact: &artifact::Artifact) -> Result<Vec<Record>, TrainError> {
    let path = artifact.path(METRICS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
    from_jsonl(&text).map_err(|e| TrainError::Param(format!("{}: {e}", path.display())))
}
