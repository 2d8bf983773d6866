//! Evaluation of a split: mean loss, perplexity and bits per character; the fixed sample of the
//! valid split that validations during training score ([`valid_sample`]).

use crate::data::{Split, Streams};
pub use crate::summary::{Evaluation, bits_per_char};
use model::LstmLm;

impl Evaluation {
    /// The figures of `split` from the log-probabilities of its scored tokens
    /// ([`token_log_probs`]).
    pub fn of_log_probs(log_probs: &[f64], split: &Split) -> Evaluation {
        let loss = -log_probs.iter().sum::<f64>() / log_probs.len().max(1) as f64;
        Evaluation::of_loss(loss, split.ids.len() as u64, split.characters)
    }
}

/// The share of the tokens trained between two validations that one validation may score.
/// Scoring a token (forward only) costs about a third of training on it, so validation stays
/// near 3% of the run; scoring all of Jin Yong's 418k-character valid split every 125 steps
/// of the cpu preset took a quarter of an 8-minute run.
pub const VALID_SHARE: f64 = 0.1;

/// The fewest tokens a validation sample scores (so that frequent validations still compare
/// checkpoints on a meaningful amount of text).
pub const MIN_VALID_SAMPLE: u64 = 8192;

/// The fixed sample of `valid` that validations during training score when the whole split
/// costs too much: the first columns of every row, [`VALID_SHARE`] of `interval_tokens` (the
/// tokens trained between validations) and at least [`MIN_VALID_SAMPLE`]. `None` when that
/// is the whole split. The same for a resumed run, since it depends on sizes only.
pub fn valid_sample(valid: &Streams, interval_tokens: u64) -> Option<Streams> {
    let wanted = ((interval_tokens as f64 * VALID_SHARE) as u64).max(MIN_VALID_SAMPLE);
    if wanted >= valid.tokens() {
        return None;
    }
    let rows = valid.inputs.size()[0] as u64;
    let columns = wanted.div_ceil(rows).max(valid.seq_len as u64);
    Some(valid.prefix(columns as i64))
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

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn streams(tokens: usize, rows: i64) -> Streams {
        let ids: Vec<u32> = (0..tokens as u32).map(|i| i % 7).collect();
        Streams::new(&ids, rows, 35, Device::Cpu)
    }

    #[test]
    fn the_sample_is_a_tenth_of_the_interval_and_at_least_the_minimum() {
        // 64 rows of 6,000 tokens; 280,000 tokens trained between validations.
        let valid = streams(64 * 6000 + 1, 64);
        let sample = valid_sample(&valid, 280_000).expect("a sample of 384,000 tokens");
        assert_eq!(sample.inputs.size(), [64, 28_000_u64.div_ceil(64) as i64]);
        // The first columns of every row: row 1 starts where the whole split's does.
        assert!(
            sample
                .inputs
                .get(1)
                .get(0)
                .equal(&valid.inputs.get(1).get(0))
        );
        // A short interval still scores the minimum; a long one the whole split.
        let small = valid_sample(&valid, 100).expect("a sample");
        assert_eq!(small.tokens(), MIN_VALID_SAMPLE);
        assert!(valid_sample(&valid, 10_000_000).is_none());
        assert!(
            valid_sample(&streams(5000, 4), 1).is_none(),
            "below the minimum"
        );
    }
}
