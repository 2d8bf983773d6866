//! Batched generation: the state is primed once on `<eos>` + prompt, then all samples advance
//! together as one `[N, 1]` batch per step, each with its own [`Sampler`], until each one hits
//! its length limit, its paragraph count or the stop string.

pub use crate::config::Limits;
use crate::error::GenerateError;
use crate::form::FormState;
use crate::mixture::{Mixture, Predictor};
use crate::sampler::Sampler;
use model::{LstmLm, LstmState, PACKED_MIN_BATCH};
use tch::{Device, Kind, Tensor};
use tokenize::{EOS_ID, UNK_ID, Vocab};

/// One finished sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The generated ids (the prompt excluded).
    pub tokens: Vec<u32>,
    /// The model's log-probability of each generated token (temperature 1, no penalties).
    pub log_probs: Vec<f32>,
}

impl Generated {
    pub fn mean_log_prob(&self) -> f64 {
        if self.log_probs.is_empty() {
            return 0.0;
        }
        self.log_probs.iter().map(|&l| l as f64).sum::<f64>() / self.log_probs.len() as f64
    }
}

/// The device the model's weights live on.
pub fn model_device(model: &LstmLm) -> Device {
    model.zero_state(1).h.device()
}

/// Runs `<eos>` followed by `prompt` through the model; returns the state after it and the
/// log-probabilities of the next token (`[1, V]`).
pub fn prime(model: &LstmLm, prompt: &[u32]) -> (LstmState, Tensor) {
    let _guard = tch::no_grad_guard();
    let mut ids: Vec<i64> = vec![EOS_ID as i64];
    ids.extend(prompt.iter().map(|&t| t as i64));
    let input = Tensor::from_slice(&ids)
        .view([1, -1])
        .to_device(model_device(model));
    let (hidden, state) = model.hidden(&input, &model.zero_state(1), false);
    let last = hidden.select(1, -1);
    (state, model.log_probs(&last))
}

/// One step for a batch: feeds `tokens` (one per row) and returns the new state and the
/// log-probabilities `[B, V]`. Batches of [`PACKED_MIN_BATCH`] rows or more go through the
/// model's oneDNN-packed weights where it has them (see `model::packed`).
pub fn step(model: &LstmLm, state: &LstmState, tokens: &[u32]) -> (LstmState, Tensor) {
    let _guard = tch::no_grad_guard();
    let ids: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
    let input = Tensor::from_slice(&ids).to_device(model_device(model));
    let packed = (tokens.len() >= PACKED_MIN_BATCH)
        .then(|| model.packed())
        .flatten();
    match packed {
        Some(packed) => {
            let (hidden, state) = model.step_packed(packed, &input, state);
            (state, model.log_probs_packed(packed, &hidden))
        }
        None => {
            let (hidden, state) = model.step(&input, state);
            (state, model.log_probs(&hidden))
        }
    }
}

/// Copies `[B, V]` log-probabilities to the host into `host` (row-major), reusing its
/// allocation: a fresh multi-megabyte buffer per step would be paged in anew every time. With a
/// `mixture`, row `b` becomes the mixture's for the ids `contexts[b]` (prompt and sample so far).
/// Unless `allow_unk`, `<unk>` then gets -inf in every row, so that neither a sampler nor the
/// beam picks it: it would appear in the text as the literal `<unk>`.
pub fn to_host(
    log_probs: &Tensor,
    host: &mut Vec<f32>,
    allow_unk: bool,
    mixture: Option<(&Mixture, &[Vec<u32>])>,
) -> Result<(), GenerateError> {
    let flat = log_probs
        .to_kind(Kind::Float)
        .to_device(Device::Cpu)
        .contiguous();
    let numel = flat.numel();
    host.resize(numel, 0.0);
    flat.f_copy_data(host, numel)?;
    let vocab_size = *log_probs.size().last().expect("rows of log-probabilities") as usize;
    if let Some((mixture, contexts)) = mixture {
        let mut buffer = Vec::new();
        for (row, ids) in host.chunks_exact_mut(vocab_size).zip(contexts) {
            mixture.mix_row(row, ids, &mut buffer);
        }
    }
    if !allow_unk {
        for row in host.chunks_exact_mut(vocab_size) {
            row[UNK_ID as usize] = f32::NEG_INFINITY;
        }
    }
    Ok(())
}

/// Repeats a batch-1 state `n` times along the batch dimension.
pub fn repeat_state(state: &LstmState, n: i64) -> LstmState {
    LstmState {
        h: state.h.repeat([1, n, 1]),
        c: state.c.repeat([1, n, 1]),
    }
}

/// Generates one sample per sampler, all in one batch, continuing `prompt`, from the LSTM (a
/// `&LstmLm`) or its mixture with an n-gram model (a [`Predictor`]).
pub fn generate_batch<'a>(
    model: impl Into<Predictor<'a>>,
    vocab: &Vocab,
    prompt: &[u32],
    samplers: &mut [Sampler],
    limits: &Limits,
) -> Result<Vec<Generated>, GenerateError> {
    generate_batch_streaming(model, vocab, prompt, samplers, limits, &mut |_, _| {})
}

/// [`generate_batch`], calling `on_token(sample, token)` for every token as it is produced.
pub fn generate_batch_streaming<'a>(
    predictor: impl Into<Predictor<'a>>,
    vocab: &Vocab,
    prompt: &[u32],
    samplers: &mut [Sampler],
    limits: &Limits,
    on_token: &mut dyn FnMut(usize, u32),
) -> Result<Vec<Generated>, GenerateError> {
    generate_batch_masked(predictor, vocab, prompt, samplers, limits, None, on_token)
}

/// [`generate_batch_streaming`] where each sample may keep a form: `forms[i]` masks row `i`
/// before sampler `i` sees it, overrules a token the sampler's own bans left it with when it
/// is not allowed, and ends the sample when its template is complete.
pub fn generate_batch_masked<'a>(
    predictor: impl Into<Predictor<'a>>,
    vocab: &Vocab,
    prompt: &[u32],
    samplers: &mut [Sampler],
    limits: &Limits,
    mut forms: Option<&mut [FormState]>,
    on_token: &mut dyn FnMut(usize, u32),
) -> Result<Vec<Generated>, GenerateError> {
    let Predictor { lm: model, mixture } = predictor.into();
    let n = samplers.len();
    let vocab_size = model.config().vocab_size as usize;
    let mut out: Vec<Generated> = (0..n)
        .map(|_| Generated {
            tokens: vec![],
            log_probs: vec![],
        })
        .collect();
    if n == 0 || limits.max_tokens == 0 {
        return Ok(out);
    }
    let (state, log_probs) = prime(model, prompt);
    let mut state = repeat_state(&state, n as i64);
    let mut log_probs = log_probs.repeat([n as i64, 1]);
    let mut texts = vec![String::new(); n];
    let mut eos_seen = vec![0usize; n];
    let mut done = vec![false; n];
    let mut history: Vec<Vec<u32>> = vec![prompt.to_vec(); n];
    let mut host = Vec::new();
    let allow_unk = samplers[0].params().allow_unk;
    loop {
        to_host(
            &log_probs,
            &mut host,
            allow_unk,
            mixture.map(|m| (m, history.as_slice())),
        )?;
        let mut next = vec![EOS_ID; n];
        for i in 0..n {
            if done[i] {
                continue;
            }
            let row = &mut host[i * vocab_size..(i + 1) * vocab_size];
            let form = forms.as_deref_mut().map(|f| &mut f[i]);
            let token = match form {
                None => samplers[i].sample(row, &history[i]),
                Some(form) => {
                    form.mask(row);
                    let mut token = samplers[i].sample(row, &history[i]);
                    if !form.permits(token) {
                        token = form.best_allowed(row);
                    }
                    form.advance(token);
                    token
                }
            };
            next[i] = token;
            on_token(i, token);
            history[i].push(token);
            out[i].tokens.push(token);
            out[i].log_probs.push(row[token as usize]);
            let before = texts[i].len();
            if token == EOS_ID {
                texts[i].push('\n');
                eos_seen[i] += 1;
            } else {
                texts[i].push_str(vocab.token(token));
            }
            let stopped = limits
                .stop
                .as_deref()
                .is_some_and(|s| contains_from(&texts[i], s, before));
            done[i] = out[i].tokens.len() >= limits.max_tokens
                || limits.paragraphs.is_some_and(|p| eos_seen[i] >= p)
                || stopped
                || forms.as_deref().is_some_and(|f| f[i].is_done());
        }
        if done.iter().all(|&d| d) {
            return Ok(out);
        }
        (state, log_probs) = step(model, &state, &next);
    }
}

/// Whether `text` contains `needle` in a match that ends after byte `before` (the new part).
pub(crate) fn contains_from(text: &str, needle: &str, before: usize) -> bool {
    let mut start = before.saturating_sub(needle.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    text[start..].contains(needle)
}
