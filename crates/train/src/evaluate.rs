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
        Evaluation::of_loss(total / streams.tokens() as f64, split_tokens, characters)
    })
}

/// The log-probability that `model` (dropout off) gives every target of `streams`, in the order
/// of `streams.targets` flattened row by row, the state carried across batches as in
/// [`evaluate`]: for figures per token (the n-gram mixture, see [`crate::baseline`]).
pub fn token_log_probs(model: &LstmLm, streams: &Streams) -> Vec<f64> {
    tch::no_grad(|| {
        let (rows, row) = (streams.inputs.size()[0], streams.inputs.size()[1]);
        let mut state = model.zero_state(rows);
        let mut columns = Vec::new();
        for k in 0..streams.batches() {
            let (inputs, targets) = streams.batch(k);
            let (hidden, next) = model.hidden(&inputs, &state, false);
            let flat = hidden.reshape([-1, model.config().hidden_size]);
            let lps = model
                .output_layer()
                .target_log_probs(&flat, &targets.reshape([-1]))
                .reshape([rows, -1]);
            columns.push(lps);
            state = next;
        }
        let all = tch::Tensor::cat(&columns, 1)
            .to_kind(tch::Kind::Double)
            .to(tch::Device::Cpu)
            .reshape([rows * row]);
        Vec::<f64>::try_from(&all).expect("a CPU double tensor converts")
    })
}
