//! The n-gram baseline and the mixture: what the network learned beyond local statistics.
//!
//! An interpolated Kneser-Ney model of order `--ngram-order` (the `ngram` crate) is fitted to
//! the train split in well under a second and scored on valid and test, so that every run says
//! how far below counting n-grams it got. The linear mixture p = λ·p_lstm + (1−λ)·p_ngram, with
//! λ fitted on the valid split, is scored too: it is never worse on valid than the better of
//! its two parts (λ = 0 and λ = 1 are candidates), and the test figure says whether that holds
//! on unseen text.

use crate::data::Split;
use crate::evaluate::Evaluation;
pub use crate::summary::{BaselineSummary, MixtureSummary};
use ngram::{NgramModel, mix_log_probs};

/// One split scored by both models: its tokens, characters and the LSTM's log-probability of
/// each target of its streams (see [`crate::evaluate::token_log_probs`]).
pub struct ScoredSplit<'a> {
    pub split: &'a Split,
    pub lstm_log_probs: &'a [f64],
}

/// Fits the n-gram model on `train` and scores it, and its mixture with the LSTM, on `valid`
/// and `test`. Both models are scored on the tokens the LSTM's evaluation scores (all but a few
/// at the ends of its rows), so the three figures of a split are over the same text. Returns
/// the figures and the model, which the train artifact keeps ([`ngram::FILE_NAME`]) for
/// generation to mix with.
pub fn score_baseline(
    order: usize,
    vocab_size: usize,
    train: &Split,
    valid: ScoredSplit,
    test: ScoredSplit,
) -> Result<(BaselineSummary, NgramModel), ngram::NgramError> {
    let ngram = NgramModel::fit(&train.ids, vocab_size, order)?;
    let pairs = |scored: &ScoredSplit| -> Vec<(f64, f64)> {
        let ngram_lps = ngram.token_log_probs(&scored.split.ids);
        // row b of the streams predicts ids[b·n + 1 ..= b·n + n]: flattened, target k is id k + 1
        scored
            .lstm_log_probs
            .iter()
            .enumerate()
            .map(|(k, &l)| (l, ngram_lps[k + 1]))
            .collect()
    };
    let (valid_pairs, test_pairs) = (pairs(&valid), pairs(&test));
    let evaluation = |pairs: &[(f64, f64)], lambda: f64, split: &Split| {
        Evaluation::of_loss(
            -mixed_mean(pairs, lambda),
            split.ids.len() as u64,
            split.characters,
        )
    };
    let lambda = fit_lambda(&valid_pairs);
    let summary = BaselineSummary {
        order,
        valid: evaluation(&valid_pairs, 0.0, valid.split),
        test: evaluation(&test_pairs, 0.0, test.split),
        mixture: MixtureSummary {
            lambda,
            valid: evaluation(&valid_pairs, lambda, valid.split),
            test: evaluation(&test_pairs, lambda, test.split),
        },
    };
    Ok((summary, ngram))
}

/// Mean log of the mixture over `(lstm, ngram)` log-probability pairs.
pub fn mixed_mean(pairs: &[(f64, f64)], lambda: f64) -> f64 {
    pairs
        .iter()
        .map(|&(l, g)| mix_log_probs(lambda, l, g))
        .sum::<f64>()
        / pairs.len().max(1) as f64
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
