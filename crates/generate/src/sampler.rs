//! [`Sampler`]: picks the next token from a row of log-probabilities. It owns the decoding
//! settings (temperature, top-k, top-p, repetition penalty, no-repeat n-gram) and its own
//! random number generator, so every sample of a batch is reproducible on its own (candle's
//! `LogitsProcessor` is the model).

use crate::error::GenerateError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use tokenize::EOS_ID;

/// Decoding settings shared by every sample of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
    /// 0 means greedy (argmax).
    pub temperature: f64,
    pub top_k: Option<usize>,
    pub top_p: Option<f64>,
    /// Seen tokens get their log-probability multiplied by this (>= 1; 1 = off).
    pub repetition_penalty: f64,
    /// Forbid tokens that would repeat an n-gram of this size already in the history.
    pub no_repeat_ngram: Option<usize>,
    /// Whether `<unk>` may be drawn. It is banned for the whole batch as the rows are copied to
    /// the host ([`crate::generate::to_host`]), before they reach a sampler.
    #[serde(default)]
    pub allow_unk: bool,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 1.0,
            top_k: None,
            top_p: None,
            repetition_penalty: 1.0,
            no_repeat_ngram: None,
            allow_unk: false,
        }
    }
}

impl SamplingParams {
    /// Greedy decoding without penalties.
    pub fn greedy() -> Self {
        SamplingParams {
            temperature: 0.0,
            ..Default::default()
        }
    }

    /// Checks every setting; the messages name the flag.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::Param(m));
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            return bad(format!(
                "--temperature {}: must be 0 (greedy) or positive",
                self.temperature
            ));
        }
        if self.top_k == Some(0) {
            return bad("--top-k 0: keep at least one token (omit the flag to keep all)".into());
        }
        if let Some(p) = self.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return bad(format!("--top-p {p}: must be in (0, 1]"));
        }
        if !(self.repetition_penalty >= 1.0 && self.repetition_penalty.is_finite()) {
            return bad(format!(
                "--repetition-penalty {}: must be at least 1 (1 = off)",
                self.repetition_penalty
            ));
        }
        if self.no_repeat_ngram == Some(0) {
            return bad(
                "--no-repeat-ngram 0: must be at least 1 (omit the flag to allow repeats)".into(),
            );
        }
        Ok(())
    }
}

/// SplitMix64: a small, fast, seedable generator; the same seed gives the same stream on every
/// platform.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A row of next-token log-probabilities with the weights that a draw at a sampler's
/// temperature gives its tokens: `weights[i] = exp((log_probs[i] − max) / temperature)` in f32,
/// `max` the row's largest log-probability. A batch computes them for all its rows at once with
/// libtorch's vectorised exp ([`crate::batch`]): one scalar exp per token and row was most of a
/// decoding step. Tokens set to -inf after the weights were made (a form's mask) are never drawn.
#[derive(Debug, Clone, Copy)]
pub struct WeightedRow<'a> {
    pub log_probs: &'a [f32],
    pub weights: &'a [f32],
    pub max: f32,
}

/// Picks tokens for one sequence. Build one per sample with its own seed.
#[derive(Debug, Clone)]
pub struct Sampler {
    params: SamplingParams,
    rng: SplitMix64,
    /// Scratch for the weights of a draw, kept between steps.
    weights: Vec<f64>,
    /// Scratch for the f32 weights that [`Sampler::sample`] makes on the host.
    host_weights: Vec<f32>,
}

impl Sampler {
    pub fn new(seed: u64, params: SamplingParams) -> Result<Self, GenerateError> {
        params.validate()?;
        Ok(Sampler {
            params,
            rng: SplitMix64(seed),
            weights: Vec::new(),
            host_weights: Vec::new(),
        })
    }

    pub fn params(&self) -> &SamplingParams {
        &self.params
    }

    /// The next token given `log_probs` (one row, length V) and the tokens so far (`history`,
    /// used by the repetition penalty and the n-gram ban): [`Sampler::sample_weighted`] with
    /// the weights made here, one exp per token.
    ///
    /// When every token is banned (`-inf`; the n-gram ban can do that in a small vocabulary),
    /// the sample gets `<eos>`: its paragraph ends rather than going on with a banned token.
    pub fn sample(&mut self, log_probs: &[f32], history: &[u32]) -> u32 {
        let mut weights = std::mem::take(&mut self.host_weights);
        let max = log_probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let t = self.params.temperature as f32;
        weights.clear();
        if t > 0.0 {
            weights.extend(log_probs.iter().map(|&s| ((s - max) / t).exp()));
        }
        let row = WeightedRow {
            log_probs,
            weights: &weights,
            max,
        };
        let token = self.sample_weighted(row, history);
        self.host_weights = weights;
        token
    }

    /// The next token of `row` (whose weights were made at this sampler's temperature; greedy
    /// decoding reads only the log-probabilities), as [`Sampler::sample`] describes.
    pub fn sample_weighted(&mut self, row: WeightedRow, history: &[u32]) -> u32 {
        let changes = penalties(&self.params, row.log_probs, history);
        if self.params.temperature == 0.0 {
            let scores = apply(row.log_probs, &changes);
            let best = argmax(&scores);
            return if scores[best as usize] == f32::NEG_INFINITY {
                EOS_ID
            } else {
                best
            };
        }
        // The row's weights, then the penalised tokens' own (from their new scores, against
        // the same max, so that every weight keeps its scale).
        let t = self.params.temperature as f32;
        self.weights.clear();
        self.weights
            .extend(row.log_probs.iter().zip(row.weights).map(|(&s, &w)| {
                if s == f32::NEG_INFINITY {
                    0.0
                } else {
                    w as f64
                }
            }));
        for &(id, score) in &changes {
            self.weights[id as usize] = ((score - row.max) / t).exp() as f64;
        }
        if self.params.top_k.is_none() && self.params.top_p.is_none() {
            return self.draw_from_all();
        }
        let candidates = cut(&self.params, weighted_candidates(&self.weights));
        let total: f64 = candidates.iter().map(|c| c.1).sum();
        let mut u = self.rng.next_f64() * total;
        for &(id, p) in &candidates {
            if u < p {
                return id;
            }
            u -= p;
        }
        candidates.last().map_or(EOS_ID, |c| c.0)
    }

    /// A draw over the whole vocabulary from the weights in `self.weights` (zero weights, i.e.
    /// banned tokens, are never drawn): the same draw as from [`candidates`] without cuts, but
    /// from a reused buffer instead of a fresh list of (id, weight) pairs per token.
    fn draw_from_all(&mut self) -> u32 {
        let total: f64 = self.weights.iter().sum();
        if total == 0.0 || total.is_nan() {
            return EOS_ID; // every token is banned
        }
        let mut u = self.rng.next_f64() * total;
        let mut last = 0;
        for (id, &w) in self.weights.iter().enumerate() {
            if w > 0.0 {
                if u < w {
                    return id as u32;
                }
                u -= w;
                last = id;
            }
        }
        last as u32
    }
}

/// What the repetition penalty and the n-gram ban do to a row: the new score of each token
/// they change (-inf: banned), in the order they apply. Most rows have no such change, and the
/// others a handful, so they are kept apart from the row.
fn penalties(params: &SamplingParams, log_probs: &[f32], history: &[u32]) -> Vec<(u32, f32)> {
    let mut changes = Vec::new();
    if params.repetition_penalty != 1.0 {
        let penalty = params.repetition_penalty as f32;
        let mut seen = std::collections::HashSet::new();
        for &t in history {
            if let Some(&v) = log_probs.get(t as usize)
                && seen.insert(t)
            {
                changes.push((t, if v <= 0.0 { v * penalty } else { v / penalty }));
            }
        }
    }
    if let Some(n) = params.no_repeat_ngram {
        for t in banned_by_ngram(history, n) {
            if (t as usize) < log_probs.len() {
                changes.push((t, f32::NEG_INFINITY));
            }
        }
    }
    changes
}

/// `log_probs` with `changes` made; the row itself, uncopied, when there are none.
fn apply<'a>(log_probs: &'a [f32], changes: &[(u32, f32)]) -> Cow<'a, [f32]> {
    if changes.is_empty() {
        return Cow::Borrowed(log_probs);
    }
    let mut scores = log_probs.to_vec();
    for &(id, score) in changes {
        scores[id as usize] = score;
    }
    Cow::Owned(scores)
}

/// The scores after the repetition penalty and the n-gram ban (banned tokens get -inf); the
/// row itself, uncopied, when neither applies.
pub fn adjusted_scores<'a>(
    params: &SamplingParams,
    log_probs: &'a [f32],
    history: &[u32],
) -> Cow<'a, [f32]> {
    let changes = penalties(params, log_probs, history);
    apply(log_probs, &changes)
}

/// Tokens that would complete an n-gram of size `n` that already occurs in `history`.
pub fn banned_by_ngram(history: &[u32], n: usize) -> Vec<u32> {
    if n == 0 || history.len() + 1 < n {
        return vec![];
    }
    let prefix = &history[history.len() + 1 - n..];
    history
        .windows(n)
        .filter(|w| &w[..n - 1] == prefix)
        .map(|w| w[n - 1])
        .collect()
}

/// The index of the largest score (the lowest index on ties).
pub fn argmax(scores: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = i;
        }
    }
    best as u32
}

/// The tokens that may be drawn with their unnormalised probabilities, most likely first when
/// top-k or top-p cut the list: `softmax(scores / temperature)` restricted to the `top_k` best,
/// then to the smallest prefix whose mass reaches `top_p`.
pub fn candidates(params: &SamplingParams, scores: &[f32]) -> Vec<(u32, f64)> {
    let t = params.temperature.max(f64::MIN_POSITIVE);
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let weights: Vec<f64> = scores
        .iter()
        .map(|&s| ((s as f64 - max) / t).exp())
        .collect();
    cut(params, weighted_candidates(&weights))
}

/// Every token of positive weight with its weight, in id order.
fn weighted_candidates(weights: &[f64]) -> Vec<(u32, f64)> {
    weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0.0)
        .map(|(i, &w)| (i as u32, w))
        .collect()
}

/// `cands` cut by top-k, then top-p, most likely first (all of them, in id order, when
/// neither is set).
fn cut(params: &SamplingParams, mut cands: Vec<(u32, f64)>) -> Vec<(u32, f64)> {
    if params.top_k.is_none() && params.top_p.is_none() {
        return cands;
    }
    if let Some(k) = params.top_k
        && k < cands.len()
    {
        cands.select_nth_unstable_by(k - 1, by_probability);
        cands.truncate(k);
    }
    let keep = match params.top_p {
        Some(p) => nucleus_len(&mut cands, p),
        None => cands.len(),
    };
    cands[..keep].sort_unstable_by(by_probability);
    cands.truncate(keep);
    cands
}

/// Most likely first, the lower id first on ties: a total order, so that selecting the best
/// n and sorting them gives the same prefix as sorting everything.
fn by_probability(a: &(u32, f64), b: &(u32, f64)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// The first candidates a nucleus search sorts; doubled until the nucleus fits.
const NUCLEUS_PROBE: usize = 64;

/// The length of the smallest most-likely-first prefix of `cands` whose share of their total
/// mass reaches `p`, leaving that prefix (in some order) at the front. The nucleus is usually a
/// small part of a large vocabulary, so only a growing best prefix is selected and sorted
/// instead of the whole list.
fn nucleus_len(cands: &mut [(u32, f64)], p: f64) -> usize {
    let total: f64 = cands.iter().map(|c| c.1).sum();
    let mut probe = NUCLEUS_PROBE.min(cands.len());
    loop {
        if probe < cands.len() {
            cands.select_nth_unstable_by(probe - 1, by_probability);
        }
        let best = &mut cands[..probe];
        best.sort_unstable_by(by_probability);
        let mut mass = 0.0;
        for (i, c) in best.iter().enumerate() {
            mass += c.1 / total;
            if mass >= p - 1e-6 {
                return i + 1;
            }
        }
        if probe == cands.len() {
            return probe;
        }
        probe = (probe * 2).min(cands.len());
    }
}
