//! [`Batch`]: the step-wise decoder that continuous batching drives. Each row is one sample of
//! one request, with its own [`Sampler`], history, limits and mixture choice; rows join between
//! steps (primed on their prompt at batch size 1, then concatenated to the batch state) and
//! leave between steps (finished, or their client gone), so a request never waits for another
//! one to end. Every step is one `[B, 1]` forward pass of the LSTM over all rows, the same
//! [`step`] as the stage's `generate_batch_streaming`, and a row draws exactly as a sample of
//! the stage does: the same rows of log-probabilities (mixed with the n-gram model and with
//! `<unk>` banned as [`to_host`] does), the same sampler and seed, the same limits. A row that
//! keeps a poem's form carries its [`FormState`], which masks the row before the draw and ends
//! it when the template is complete, as in the stage's `generate_batch_masked`.

use crate::config::Limits;
use crate::error::GenerateError;
use crate::form::FormState;
use crate::generate::{Generated, contains_from, prime, repeat_state, step, to_host};
use crate::mixture::Predictor;
use crate::sampler::Sampler;
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
    },
}

/// The rows in progress and their LSTM state (`[layers, B, H]`) and next-token
/// log-probabilities (`[B, V]`), row `i` of the tensors belonging to `rows[i]`.
pub struct Batch<K> {
    rows: Vec<Row<K>>,
    state: Option<LstmState>,
    log_probs: Option<Tensor>,
    /// The host copy of `log_probs`, reused between steps.
    host: Vec<f32>,
}

impl<K: Clone> Default for Batch<K> {
    fn default() -> Self {
        Batch {
            rows: Vec::new(),
            state: None,
            log_probs: None,
            host: Vec::new(),
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
        let Some(log_probs) = &self.log_probs else {
            return Ok(vec![]);
        };
        // The rows as the LSTM gives them; each row is mixed and banned below as to_host does
        // for a whole batch, since here both are the row's own choice.
        to_host(log_probs, &mut self.host, true, None)?;
        let vocab_size = self.host.len() / self.rows.len();
        // The host side of a step (the n-gram mixture and the draw over the whole vocabulary)
        // costs about as much per row as a small LSTM's step for the whole batch: the rows
        // draw in parallel, each with its own buffer.
        let mixture = predictor.mixture;
        let tokens: Vec<(u32, f32)> = self
            .rows
            .par_iter_mut()
            .zip(self.host.par_chunks_exact_mut(vocab_size))
            .map_init(Vec::new, |buffer, (row, scores)| {
                if let Some(mixture) = mixture.filter(|_| !row.no_mixture) {
                    mixture.mix_row(scores, &row.history, buffer);
                }
                if !row.sampler.params().allow_unk {
                    scores[UNK_ID as usize] = f32::NEG_INFINITY;
                }
                let token = match &mut row.form {
                    None => row.sampler.sample(scores, &row.history),
                    Some(form) => {
                        form.mask(scores);
                        let mut token = row.sampler.sample(scores, &row.history);
                        if !form.permits(token) {
                            token = form.best_allowed(scores);
                        }
                        form.advance(token);
                        token
                    }
                };
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
        let (Some(state), Some(log_probs)) = (&self.state, &self.log_probs) else {
            return;
        };
        let kept: Vec<i64> = (0..keep.len() as i64)
            .filter(|&i| keep[i as usize])
            .collect();
        let index = Tensor::from_slice(&kept)
            .to_kind(Kind::Int64)
            .to_device(log_probs.device());
        self.state = Some(LstmState {
            h: state.h.index_select(1, &index),
            c: state.c.index_select(1, &index),
        });
        self.log_probs = Some(log_probs.index_select(0, &index));
    }
}
