//! Scoring a whole split: every token predicted from the ids before it in the same stream (the
//! first from an empty context), in parallel over fixed chunks of positions. The chunk sums are
//! added in order, so [`NgramModel::mean_nll`] gives the same figure on any number of threads.

use crate::model::NgramModel;
use rayon::prelude::*;

/// Positions per parallel task.
const CHUNK: usize = 4096;

impl NgramModel {
    /// `ln p(ids[i] | ids[..i])` for every position i (what a mixture with another model's
    /// per-token probabilities needs). An id outside the vocabulary gives −∞.
    pub fn token_log_probs(&self, ids: &[u32]) -> Vec<f64> {
        let mut out = vec![0.0; ids.len()];
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(chunk, out)| {
                let start = chunk * CHUNK;
                for (offset, lp) in out.iter_mut().enumerate() {
                    *lp = self.log_prob_at(ids, start + offset);
                }
            });
        out
    }

    /// Mean negative log-likelihood of `ids` in nats per token, each token predicted from the
    /// ids before it in `ids`; divide by ln 2 for bits per token. NaN for an empty stream, +∞
    /// when an id is outside the vocabulary.
    pub fn mean_nll(&self, ids: &[u32]) -> f64 {
        let sums: Vec<f64> = (0..ids.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let end = ((chunk + 1) * CHUNK).min(ids.len());
                (chunk * CHUNK..end)
                    .map(|i| -self.log_prob_at(ids, i))
                    .sum::<f64>()
            })
            .collect();
        sums.iter().sum::<f64>() / ids.len() as f64
    }

    /// The log probability of `ids[i]` after the ids before it.
    #[inline]
    fn log_prob_at(&self, ids: &[u32], i: usize) -> f64 {
        let start = i.saturating_sub(self.order - 1);
        self.log_prob(&ids[start..i], ids[i])
    }
}
