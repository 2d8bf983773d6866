//! Decoding from the LSTM mixed with the train artifact's n-gram model:
//! p = λ·p_lstm + (1−λ)·p_ngram, with the λ that train fitted on the valid split.
//!
//! Train keeps its Kneser-Ney baseline in the artifact (`ngram.bin`) and records the mixture's
//! figures; when the mixture is better on valid than the LSTM alone (on Song ci about 0.2 bits
//! per character), generation draws from it unless `--no-mixture` is given. Each row of
//! log-probabilities is mixed before any sampling rule applies, so temperature, top-k, top-p,
//! the penalties and beam search all work on the mixture, and the log-probabilities recorded for
//! the samples are the mixture's. `--score` scores a text under the mixture the same way.

use crate::error::GenerateError;
use artifact::Artifact;
use model::LstmLm;
use ngram::{FILE_NAME as NGRAM_FILE, NgramModel, mix_log_probs};
use rayon::prelude::*;
use tch::{Kind, Tensor};
use tokenize::EOS_ID;

/// The n-gram model and the LSTM's weight λ in the mixture.
#[derive(Debug)]
pub struct Mixture {
    ngram: NgramModel,
    lambda: f64,
    /// The n-gram model's distribution after the empty context (`[1, V]`, float32): the dense
    /// part of every row ([`NgramModel::sparse_distribution`]).
    unigram: Tensor,
}

/// What decoding draws from: the LSTM, and the mixture when there is one.
#[derive(Debug, Clone, Copy)]
pub struct Predictor<'a> {
    pub lm: &'a LstmLm,
    pub mixture: Option<&'a Mixture>,
}

impl<'a> From<&'a LstmLm> for Predictor<'a> {
    /// The LSTM alone.
    fn from(lm: &'a LstmLm) -> Self {
        Predictor { lm, mixture: None }
    }
}

impl Mixture {
    /// The mixture of `train`, when it has one that is better on valid than the LSTM alone:
    /// `None` for an artifact without `ngram.bin` (made before train kept it), or whose fitted λ
    /// is 1. The n-gram file is checked against the manifest first.
    pub fn load(train: &Artifact) -> Result<Option<Mixture>, GenerateError> {
        let metrics = &train.manifest().metrics;
        let mixture = &metrics["baseline"]["mixture"];
        let (Some(lambda), Some(mixed), Some(alone)) = (
            mixture["lambda"].as_f64(),
            mixture["valid"]["loss"].as_f64(),
            metrics["valid"]["loss"].as_f64(),
        ) else {
            return Ok(None);
        };
        let listed = train
            .manifest()
            .outputs
            .iter()
            .any(|o| o.path == NGRAM_FILE);
        if !listed || lambda >= 1.0 || mixed >= alone {
            return Ok(None);
        }
        train.verify_files([NGRAM_FILE])?;
        let ngram =
            NgramModel::load(train.path(NGRAM_FILE)).map_err(|e| GenerateError::BadModel {
                dir: train.dir().to_path_buf(),
                message: format!("{NGRAM_FILE}: {e}"),
            })?;
        Ok(Some(Mixture::new(ngram, lambda)))
    }

    /// A mixture with the LSTM's weight `lambda` (in [0, 1]).
    pub fn new(ngram: NgramModel, lambda: f64) -> Mixture {
        let unigram: Vec<f32> = ngram.distribution(&[]).iter().map(|&p| p as f32).collect();
        Mixture {
            unigram: Tensor::from_slice(&unigram).view([1, -1]),
            ngram,
            lambda: lambda.clamp(0.0, 1.0),
        }
    }

    /// The LSTM's weight.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// The n-gram model's order.
    pub fn order(&self) -> usize {
        self.ngram.order()
    }

    /// The mixture's log-probability of each of `ids` (a text after its opening `<eos>`), given
    /// the LSTM's log-probability of each (`lstm`, as [`crate::score::lstm_log_probs`] gives).
    pub fn mixed_log_probs(&self, ids: &[u32], lstm: &[f64]) -> Vec<f64> {
        let stream: Vec<u32> = std::iter::once(EOS_ID).chain(ids.iter().copied()).collect();
        let ngram = self.ngram.token_log_probs(&stream);
        lstm.iter()
            .zip(&ngram[1..])
            .map(|(&a, &b)| mix_log_probs(self.lambda, a, b))
            .collect()
    }

    /// The mixture's next-token log-probabilities for the LSTM's `log_probs` (`[B, V]`), row
    /// `b` continuing `contexts[b]` (the prompt and the sample so far, after the opening
    /// `<eos>`). Each n-gram row is its dense unigram part scaled, plus a few sparse terms
    /// looked up on the host (rows in parallel); the mixing is done for the whole batch by
    /// libtorch, vectorised: one exp and one log per token.
    pub fn mix<C: AsRef<[u32]> + Sync>(&self, log_probs: &Tensor, contexts: &[C]) -> Tensor {
        // (a tensor is not Sync: the rows borrow the n-gram model alone)
        let ngram = &self.ngram;
        let rows: Vec<(f64, Vec<(u32, f64)>)> = contexts
            .par_iter()
            .map(|ids| {
                let mut sparse = Vec::new();
                let weight = ngram.sparse_distribution(&ngram_context(ngram, ids.as_ref()), &mut sparse);
                (weight, sparse)
            })
            .collect();
        let g = 1.0 - self.lambda;
        let weights: Vec<f32> = rows.iter().map(|(w, _)| (g * w) as f32).collect();
        let (mut at_row, mut at_id, mut terms) = (Vec::new(), Vec::new(), Vec::new());
        for (b, (_, sparse)) in rows.iter().enumerate() {
            for &(id, term) in sparse {
                at_row.push(b as i64);
                at_id.push(i64::from(id));
                terms.push((g * term) as f32);
            }
        }
        let _guard = tch::no_grad_guard();
        let device = log_probs.device();
        let on_device = |t: Tensor| t.to_device(device);
        let mut mixed = (log_probs.to_kind(Kind::Float).exp() * self.lambda).addcmul(
            &on_device(Tensor::from_slice(&weights).view([-1, 1])),
            &on_device(self.unigram.shallow_clone()),
        );
        if !terms.is_empty() {
            let _ = mixed.index_put_(
                &[
                    Some(on_device(Tensor::from_slice(&at_row))),
                    Some(on_device(Tensor::from_slice(&at_id))),
                ],
                &on_device(Tensor::from_slice(&terms)),
                true,
            );
        }
        mixed.log_()
    }
}

/// What the n-gram model sees of `ids`: what the LSTM saw, `<eos>` and then the ids (its last
/// `order − 1`).
fn ngram_context(ngram: &NgramModel, ids: &[u32]) -> Vec<u32> {
    let keep = ngram.order().saturating_sub(1);
    if ids.len() >= keep {
        ids[ids.len() - keep..].to_vec()
    } else {
        std::iter::once(EOS_ID).chain(ids.iter().copied()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ngram() -> NgramModel {
        let ids: Vec<u32> = (0..200).map(|i| [2, 3, 4, 1][i % 4]).collect();
        NgramModel::fit(&ids, 5, 3).unwrap()
    }

    #[test]
    fn a_mixed_row_is_a_distribution_between_its_two_parts() {
        let lstm: Vec<f32> = [0.1f32, 0.2, 0.3, 0.25, 0.15]
            .iter()
            .map(|p| p.ln())
            .collect();
        let rows = Tensor::from_slice(&[lstm.clone(), lstm.clone()].concat()).view([2, 5]);
        let contexts: [&[u32]; 2] = [&[2, 3], &[]];
        let ngram_rows = [ngram().distribution(&[EOS_ID, 2, 3]), ngram().distribution(&[EOS_ID])];
        for lambda in [0.0, 0.3, 1.0] {
            let mixed = Mixture::new(ngram(), lambda).mix(&rows, &contexts);
            for (b, ngram_row) in ngram_rows.iter().enumerate() {
                let row: Vec<f32> = Vec::try_from(mixed.get(b as i64)).unwrap();
                let total: f64 = row.iter().map(|&l| f64::from(l).exp()).sum();
                assert!((total - 1.0).abs() < 1e-5, "λ {lambda}: sums to {total}");
                for (i, &l) in row.iter().enumerate() {
                    let expected =
                        lambda * f64::from(lstm[i]).exp() + (1.0 - lambda) * ngram_row[i];
                    assert!(
                        (f64::from(l).exp() - expected).abs() < 1e-6,
                        "λ {lambda}, row {b}, id {i}"
                    );
                }
            }
        }
    }
}
