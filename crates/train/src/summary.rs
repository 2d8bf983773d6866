//! The train artifact's figures, the manifest's `metrics`: [`TrainSummary`] with its
//! [`Evaluation`]s, the n-gram baseline and the mixture. Built without libtorch, so that the
//! orchestrator reads them with these types.

use serde::{Deserialize, Serialize};

/// The figures of a finished run (the manifest's `metrics`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TrainSummary {
    pub parameters: i64,
    pub steps: u64,
    pub epochs_completed: u32,
    pub tokens_seen: u64,
    pub stop_reason: StopReason,
    /// Best validation (the weights in `model.safetensors`).
    pub valid: Evaluation,
    /// The test split with the best weights.
    pub test: Evaluation,
    /// The n-gram baseline and the mixture of both models.
    pub baseline: BaselineSummary,
    /// Mean training throughput of this process: its training tokens over its whole loop,
    /// validations and checkpoints included.
    pub train_tokens_per_s: f64,
    pub device: String,
    /// What a fine-tune (`--init-from`) started from; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<crate::vocab_map::InitSummary>,
}

/// Why training ended.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Epochs,
    MaxSteps,
    TimeBudget,
    EarlyStop,
    Interrupted,
}

/// The figures of one evaluation.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy, nats per token.
    pub loss: f64,
    pub perplexity: f64,
    pub bits_per_char: f64,
}

impl Evaluation {
    /// The figures of a split whose `tokens` tokens cost `loss` nats each on average and that
    /// holds `characters` characters.
    pub fn of_loss(loss: f64, tokens: u64, characters: u64) -> Evaluation {
        Evaluation {
            loss,
            perplexity: loss.exp(),
            bits_per_char: bits_per_char(loss, tokens, characters),
        }
    }
}

/// Bits per character of a split whose `tokens` tokens cost `mean_nats` each and that holds
/// `characters` characters: total nats / ln 2 / characters.
pub fn bits_per_char(mean_nats: f64, tokens: u64, characters: u64) -> f64 {
    if characters == 0 {
        return f64::NAN;
    }
    mean_nats * tokens as f64 / std::f64::consts::LN_2 / characters as f64
}

/// The baseline's figures, beside the LSTM's in the manifest.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct BaselineSummary {
    /// The n-gram model's order.
    pub order: usize,
    pub valid: Evaluation,
    pub test: Evaluation,
    /// The LSTM mixed with the n-gram model.
    pub mixture: MixtureSummary,
}

/// The mixture p = λ·p_lstm + (1−λ)·p_ngram.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct MixtureSummary {
    /// The LSTM's weight, fitted on the valid split.
    pub lambda: f64,
    pub valid: Evaluation,
    pub test: Evaluation,
}
