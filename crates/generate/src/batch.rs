//! [`Batch`]: the step-wise decoder of every sampled generation. Each row is one sample, with
//! its own [`Sampler`], history, limits and mixture choice; rows join between steps (primed on
//! their prompt at batch size 1, then concatenated to the batch state) and leave between steps
//! (finished, or their client gone), so that the server's continuous batching never makes a
//! request wait for another one to end. The stage's [`crate::generate::generate_batch_masked`]
//! is one join and steps until every row has left, so a sample of the stage and the same
//! sample of the server are drawn by the same code.
//!
//! A step is one `[B, 1]` forward pass of the LSTM over all rows ([`step`]); then, still on the
//! tensor side and for all rows at once, the n-gram mixture of the rows that use it, the ban of
//! `<unk>`, and each row's draw weights at its temperature ([`WeightedRow`]). What is left per
//! row on the host is the n-gram model's sparse lookups, the sampler's penalties and one pass
//! over its weights: done for the rows in parallel. A row that keeps a poem's form carries its
//! [`FormState`], which masks the row before the draw and ends the row when the template is
//! complete.

use crate::config::Limits;
use crate::error::GenerateError;
use crate::form::FormState;
use crate::generate::{Generated, contains_from, copy_to_host, prime, repeat_state, step};
use crate::mixture::Predictor;
use crate::sampler::{Sampler, WeightedRow};
use model::{LstmLm, LstmState};
use rayon::prelude::*;
use tch::{Kind, Tensor};
use tokenize::{EOS_ID, UNK_ID, Vocab};

/// One sample being decoded.
pub struct Row<K> {
    /// Whose sample this is (the caller's key: request and sample index).
    pub key: K,
    sampler: Sampler,
    limits: Limits,
    /// Draw from the LSTM alone although the model has a mixture.
    no_mixture: bool,
    /// The prompt's ids, then the sample's.
    history: Vec<u32>,
    out: Generated,
    /// The generated text so far, for the stop string.
    text: String,
    paragraphs: usize,
    /// The form the row keeps, if any.
    form: Option<FormState>,
}

/// What a row did in one step.
#[derive(Debug)]
pub enum RowEvent<K> {
    /// A token was drawn (`text`: the token, `<eos>` as a newline).
    Token { key: K, token: u32, text: String },
    /// The row reached a limit (or completed its form) and left the batch with its sample and
    /// its form's final state.
    Finished {
        key: K,
        sample: Generated,
        form: Option<FormState>,
        /// The row's sampler as the last draw left it.
        sampler: Box<Sampler>,
    },
}

/// The rows in progress and their LSTM state (`[layers, B, H]`) and next-token
/// log-probabilities (`[B, V]`), row `i` of the tensors belonging to `rows[i]`.
pub struct Batch<K> {
    rows: Vec<Row<K>>,
    state: Option<LstmState>,
    log_probs: Option<Tensor>,
    /// The host copies of a step's rows, reused between steps.
    host: HostRows,
}

/// What a step copies to the host: each row's log-probabilities (mixed, `<unk>` banned where
/// the row bans it), its draw weights at its temperature, and its largest log-probability.
#[derive(Default)]
struct HostRows {
    log_probs: Vec<f32>,
    weights: Vec<f32>,
    max: Vec<f32>,
}

impl<K: Clone> Default for Batch<K> {
    fn default() -> Self {
        Batch {
            rows: Vec::new(),
            state: None,
            log_probs: None,
            host: HostRows::default(),
        }
    }
}

impl<K: Clone + Send> Batch<K> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds one row per sampler (with the form it keeps, if any), all continuing `prompt`
    /// (primed once for all of them).
    pub fn join(
        &mut self,
        lm: &LstmLm,
        prompt: &[u32],
        samplers: Vec<(K, Sampler, Option<FormState>)>,
        limits: &Limits,
        no_mixture: bool,
    ) {
        if samplers.is_empty() {
            return;
        }
        let n = samplers.len() as i64;
        let (state, log_probs) = prime(lm, prompt);
        let state = repeat_state(&state, n);
        let log_probs = log_probs.repeat([n, 1]);
        (self.state, self.log_probs) = match (self.state.take(), self.log_probs.take()) {
            (Some(old), Some(old_lp)) => (
                Some(LstmState {
                    h: Tensor::cat(&[old.h, state.h], 1),
                    c: Tensor::cat(&[old.c, state.c], 1),
                }),
                Some(Tensor::cat(&[old_lp, log_probs], 0)),
            ),
            _ => (Some(state), Some(log_probs)),
        };
        self.rows.extend(samplers.into_iter().map(|(key, sampler, form)| Row {
            key,
            sampler,
            limits: limits.clone(),
            no_mixture,
            history: prompt.to_vec(),
            out: Generated {
                tokens: vec![],
                log_probs: vec![],
            },
            text: String::new(),
            paragraphs: 0,
            form,
        }));
    }

    /// Removes the rows `gone` says to (their clients left), without drawing for them.
    pub fn drop_rows(&mut self, gone: impl Fn(&K) -> bool) {
        let keep: Vec<bool> = self.rows.iter().map(|r| !gone(&r.key)).collect();
        self.retain(&keep);
    }

    /// One step: draws a token for every row, reports it, lets the rows at a limit leave, and
    /// runs the model on the others' tokens for the next step.
    pub fn step(
        &mut self,
        predictor: Predictor,
        vocab: &Vocab,
    ) -> Result<Vec<RowEvent<K>>, GenerateError> {
        let Some(log_probs) = self.log_probs.take() else {
            return Ok(vec![]);
        };
        self.weigh(log_probs, predictor)?;
        let vocab_size = self.host.log_probs.len() / self.rows.len();
        let HostRows {
            log_probs,
            weights,
            max,
        } = &mut self.host;
        let tokens: Vec<(u32, f32)> = self
            .rows
            .par_iter_mut()
            .zip(log_probs.par_chunks_exact_mut(vocab_size))
            .zip(weights.par_chunks_exact(vocab_size))
            .zip(max.par_iter())
            .map(|(((row, scores), weights), &max)| {
                if let Some(form) = &mut row.form {
                    form.mask(scores);
                }
                let weighted = WeightedRow {
                    log_probs: scores,
                    weights,
                    max,
                };
                let mut token = row.sampler.sample_weighted(weighted, &row.history);
                if let Some(form) = &mut row.form {
                    if !form.permits(token) {
                        token = form.best_allowed(scores);
                    }
                    form.advance(token);
                }
                (token, scores[token as usize])
            })
            .collect();
        let mut events = Vec::with_capacity(self.rows.len() * 2);
        let mut next = Vec::with_capacity(self.rows.len());
        let mut keep = Vec::with_capacity(self.rows.len());
        for (row, (token, log_prob)) in self.rows.iter_mut().zip(tokens) {
            row.history.push(token);
            row.out.tokens.push(token);
            row.out.log_probs.push(log_prob);
            let before = row.text.len();
            let text = if token == EOS_ID {
                row.paragraphs += 1;
                "\n"
            } else {
                vocab.token(token)
            };
            row.text.push_str(text);
            events.push(RowEvent::Token {
                key: row.key.clone(),
                token,
                text: text.to_owned(),
            });
            let done = row.out.tokens.len() >= row.limits.max_tokens
                || row.limits.paragraphs.is_some_and(|p| row.paragraphs >= p)
                || row
                    .limits
                    .stop
                    .as_deref()
                    .is_some_and(|s| contains_from(&row.text, s, before))
                || row.form.as_ref().is_some_and(FormState::is_done);
            if done {
                events.push(RowEvent::Finished {
                    form: row.form.take(),
                    sampler: Box::new(row.sampler.clone()),
                    key: row.key.clone(),
                    sample: std::mem::replace(
                        &mut row.out,
                        Generated {
                            tokens: vec![],
                            log_probs: vec![],
                        },
                    ),
                });
            } else {
                next.push(token);
            }
            keep.push(!done);
        }
        self.retain(&keep);
        if let Some(state) = &self.state {
            let (state, log_probs) = step(predictor.lm, state, &next);
            self.state = Some(state);
            self.log_probs = Some(log_probs);
        }
        Ok(events)
    }

    /// The tensor side of a step: mixes the rows that use the n-gram mixture, bans `<unk>` in
    /// the rows that ban it, makes every row's draw weights at its temperature, and copies the
    /// three to the host.
    fn weigh(&mut self, log_probs: Tensor, predictor: Predictor) -> Result<(), GenerateError> {
        let _guard = tch::no_grad_guard();
        let device = log_probs.device();
        let rows_where = |keep: &dyn Fn(&Row<K>) -> bool| -> Vec<i64> {
            (0..self.rows.len() as i64)
                .filter(|&i| keep(&self.rows[i as usize]))
                .collect()
        };
        let index = |rows: &[i64]| Tensor::from_slice(rows).to_device(device);
        let mut log_probs = log_probs.to_kind(Kind::Float);
        if let Some(mixture) = predictor.mixture {
            let mixed = rows_where(&|row| !row.no_mixture);
            let contexts: Vec<&[u32]> = mixed
                .iter()
                .map(|&i| self.rows[i as usize].history.as_slice())
                .collect();
            if mixed.len() == self.rows.len() {
                log_probs = mixture.mix(&log_probs, &contexts);
            } else if !mixed.is_empty() {
                let mixed = index(&mixed);
                let part = mixture.mix(&log_probs.index_select(0, &mixed), &contexts);
                log_probs = log_probs.index_copy(0, &mixed, &part);
            }
        }
        let banned = rows_where(&|row| !row.sampler.params().allow_unk);
        if !banned.is_empty() {
            let columns = Tensor::full(
                [banned.len() as i64],
                UNK_ID as i64,
                (Kind::Int64, device),
            );
            let minus_infinity = Tensor::from(f32::NEG_INFINITY).to_device(device);
            log_probs = log_probs.index_put(
                &[Some(index(&banned)), Some(columns)],
                &minus_infinity,
                false,
            );
        }
        // Greedy rows read only the log-probabilities; any temperature does for their weights.
        let temperatures: Vec<f32> = self
            .rows
            .iter()
            .map(|row| match row.sampler.params().temperature {
                t if t > 0.0 => t as f32,
                _ => 1.0,
            })
            .collect();
        let temperatures = Tensor::from_slice(&temperatures)
            .view([-1, 1])
            .to_device(device);
        let max = log_probs.amax([1i64], true);
        let weights = ((&log_probs - &max) / temperatures).exp();
        copy_to_host(&log_probs, &mut self.host.log_probs)?;
        copy_to_host(&weights, &mut self.host.weights)?;
        copy_to_host(&max, &mut self.host.max)?;
        Ok(())
    }

    /// Keeps the rows (and their rows of the tensors) where `keep` is true.
    fn retain(&mut self, keep: &[bool]) {
        if keep.iter().all(|&k| k) {
            return;
        }
        let mut flags = keep.iter();
        self.rows.retain(|_| *flags.next().expect("one flag per row"));
        if self.rows.is_empty() {
            self.state = None;
            self.log_probs = None;
            return;
        }
        let kept: Vec<i64> = (0..keep.len() as i64)
            .filter(|&i| keep[i as usize])
            .collect();
        // Within a step the log-probabilities are already spent: only the state is kept.
        if let Some(state) = &self.state {
            let index = Tensor::from_slice(&kept).to_device(state.h.device());
            self.state = Some(LstmState {
                h: state.h.index_select(1, &index),
                c: state.c.index_select(1, &index),
            });
            self.log_probs = self
                .log_probs
                .as_ref()
                .map(|log_probs| log_probs.index_select(0, &index));
        }
    }
}
