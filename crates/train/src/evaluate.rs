//! Evaluation of a split: mean loss, perplexity and bits per character.

use crate::data::Streams;
use model::LstmLm;
use serde::{Deserialize, Serialize};

/// The figures of one evaluation.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy, nats per token.
    pub loss: f64,
    pub perplexity: f64,
    pub bits_per_char: f64,
}

/// Bits per character of a split whose `tokens` tokens cost `mean_nats` each and that holds
/// `characters` characters: total nats / ln 2 / characters.
pub fn bits_per_char(mean_nats: f64, tokens: u64, characters: u64) -> f64 {
    if characters == 0 {
        return f64::NAN;
    }
    mean_nats * tokens as f64 / std::f64::consts::LN_2 / characters as f64
}

/// Evaluates `model` (dropout off) on `streams`, carrying the state across batches. The total
/// nats of the split are estimated as the mean loss × `split_tokens` (a few tokens at the end
/// of the rows are not scored).
pub fn evaluate(
    model: &LstmLm,
    streams: &Streams,
    split_tokens: u64,
    characters: u64,
) -> Evaluation {
    tch::no_grad(|| {
        let batch = streams.inputs.size()[0];
        let mut state = model.zero_state(batch);
        let mut total = 0.0;
        for k in 0..streams.batches() {
            let (inputs, targets) = streams.batch(k);
            let (hidden, next) = model.hidden(&inputs, &state, false);
            total += model.nll_sum(&hidden, &targets).double_value(&[]);
            state = next;
        }
        let loss = total / streams.tokens() as f64;
        Evaluation {
            loss,
            perplexity: loss.exp(),
            bits_per_char: bits_per_char(loss, split_tokens, characters),
        }
    })
}
