//! The n-gram baseline and the mixture: what the network learned beyond local statistics.
//!
//! An interpolated Kneser-Ney model of order `--ngram-order` (the `ngram` crate) is fitted to
//! the train split in well under a second and scored on valid and test, so that every run says
//! how far below counting n-grams it got. The linear mixture p = λ·p_lstm + (1−λ)·p_ngram, with
//! λ fitted on the valid split, is scored too: it is never worse on valid than the better of
//! its two parts (λ = 0 and λ = 1 are candidates), and the test figure says whether that holds
//! on unseen text.

use crate::data::{Split, Streams};
use crate::evaluate::{Evaluation, bits_per_char};
use model::LstmLm;
use ngram::NgramModel;
use serde::{Deserialize, Serialize};

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

/// Fits the n-gram model on `train` and scores it, and its mixture with the best LSTM `model`,
/// on `valid` and `test` (laid out as the LSTM evaluates them). Returns the figures and the
/// model, which the train artifact keeps ([`crate::NGRAM_FILE`]) for generation to mix with.
pub fn score_baseline(
    order: usize,
    vocab_size: usize,
    train: &Split,
    model: &LstmLm,
    valid: (&Split, &Streams),
    test: (&Split, &Streams),
) -> Result<(BaselineSummary, NgramModel), ngram::NgramError> {
    let ngram = NgramModel::fit(&train.ids, vocab_size, order)?;
    // Both models are scored on the tokens the LSTM's evaluation scores (all but a few at the
    // ends of its rows), so the three figures of a split are over the same text.
    let scored = |(split, streams): (&Split, &Streams)| {
        let ngram_lps = ngram.token_log_probs(&split.ids);
        let lstm_lps = lstm_token_log_probs(model, streams);
        // row b of the streams predicts ids[b·n + 1 ..= b·n + n]: flattened, target k is id k + 1
        let pairs: Vec<(f64, f64)> = lstm_lps
            .iter()
            .enumerate()
            .map(|(k, &l)| (l, ngram_lps[k + 1]))
            .collect();
        let alone = evaluation(-mixed_mean(&pairs, 0.0), split);
        (alone, pairs)
    };
    let (valid_alone, valid_pairs) = scored(valid);
    let (test_alone, test_pairs) = scored(test);
    let lambda = fit_lambda(&valid_pairs);
    let summary = BaselineSummary {
        order,
        valid: valid_alone,
        test: test_alone,
        mixture: MixtureSummary {
            lambda,
            valid: evaluation(-mixed_mean(&valid_pairs, lambda), valid.0),
            test: evaluation(-mixed_mean(&test_pairs, lambda), test.0),
        },
    };
    Ok((summary, ngram))
}

fn evaluation(loss: f64, split: &Split) -> Evaluation {
    Evaluation {
        loss,
        perplexity: loss.exp(),
        bits_per_char: bits_per_char(loss, split.ids.len() as u64, split.characters),
    }
}

/// The LSTM's log-probability of every target of `streams`, row by row (the order of
/// `streams.targets` flattened), the state carried across batches as in evaluation.
fn lstm_token_log_probs(model: &LstmLm, streams: &Streams) -> Vec<f64> {
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

/// Mean log of the mixture over `(lstm, ngram)` log-probability pairs.
pub fn mixed_mean(pairs: &[(f64, f64)], lambda: f64) -> f64 {
    let mix = |&(l, g): &(f64, f64)| {
        // log(λ e^l + (1−λ) e^g), computed from the larger term
        let (a, b) = (lambda.ln() + l, (1.0 - lambda).ln() + g);
        let top = a.max(b);
        top + ((a - top).exp() + (b - top).exp()).ln()
    };
    pairs.iter().map(mix).sum::<f64>() / pairs.len().max(1) as f64
}

/// The λ in [0, 1] that maximises [`mixed_mean`]: it is concave in λ, so a golden-section
/// search finds the maximum; the ends are compared too, so the result is never worse than
/// either model alone.
pub fn fit_lambda(pairs: &[(f64, f64)]) -> f64 {
    let f = |lambda: f64| mixed_mean(pairs, lambda);
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let (a, b) = (hi - ratio * (hi - lo), lo + ratio * (hi - lo));
        if f(a) < f(b) {
            lo = a;
        } else {
            hi = b;
        }
    }
    [0.0, 1.0, (lo + hi) / 2.0]
        .into_iter()
        .max_by(|&a, &b| f(a).total_cmp(&f(b)))
        .expect("three candidates")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mixture_weight_is_fitted_and_never_worse_than_either_part() {
        // the first model is right where the second is unsure, and the reverse
        let pairs: Vec<(f64, f64)> = (0..100)
            .map(|i| {
                if i % 3 == 0 {
                    (0.9f64.ln(), 0.2f64.ln())
                } else {
                    (0.3f64.ln(), 0.6f64.ln())
                }
            })
            .collect();
        let lambda = fit_lambda(&pairs);
        assert!(lambda > 0.0 && lambda < 1.0, "{lambda}");
        let best = mixed_mean(&pairs, lambda);
        for other in [0.0, 0.1, 0.5, 0.9, 1.0] {
            assert!(best >= mixed_mean(&pairs, other) - 1e-12, "{other}");
        }
        // one model better everywhere: all weight on it
        let one_sided: Vec<(f64, f64)> = (0..10).map(|_| (0.8f64.ln(), 0.1f64.ln())).collect();
        assert_eq!(fit_lambda(&one_sided), 1.0);
        assert!((mixed_mean(&one_sided, 1.0) - 0.8f64.ln()).abs() < 1e-12);
        assert!((mixed_mean(&one_sided, 0.0) - 0.1f64.ln()).abs() < 1e-12);
    }
}
