//! Batched generation: the state is primed once on `<eos>` + prompt, then all samples advance
//! together as one `[N, 1]` batch per step, each with its own [`Sampler`], until each one hits
//! its length limit, its paragraph count or the stop string.

pub use crate::config::Limits;
use crate::batch::{Batch, RowEvent};
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
    let mixed = mixture.map(|(mixture, contexts)| mixture.mix(log_probs, contexts));
    copy_to_host(mixed.as_ref().unwrap_or(log_probs), host)?;
    if !allow_unk {
        let vocab_size = *log_probs.size().last().expect("rows of log-probabilities") as usize;
        for row in host.chunks_exact_mut(vocab_size) {
            row[UNK_ID as usize] = f32::NEG_INFINITY;
        }
    }
    Ok(())
}

/// Copies a float tensor to the host into `host` (row-major), reusing its allocation.
pub(crate) fn copy_to_host(tensor: &Tensor, host: &mut Vec<f32>) -> Result<(), GenerateError> {
    let flat = tensor
        .to_kind(Kind::Float)
        .to_device(Device::Cpu)
        .contiguous();
    let numel = flat.numel();
    host.resize(numel, 0.0);
    flat.f_copy_data(host, numel)?;
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
/// is not allowed, and ends the sample when its template is complete. The samples are the rows
/// of one [`Batch`], stepped until the last one ends; the samplers and forms are left as their
/// last draws left them.
pub fn generate_batch_masked<'a>(
    predictor: impl Into<Predictor<'a>>,
    vocab: &Vocab,
    prompt: &[u32],
    samplers: &mut [Sampler],
    limits: &Limits,
    mut forms: Option<&mut [FormState]>,
    on_token: &mut dyn FnMut(usize, u32),
) -> Result<Vec<Generated>, GenerateError> {
    let predictor = predictor.into();
    let mut out: Vec<Generated> = (0..samplers.len())
        .map(|_| Generated {
            tokens: vec![],
            log_probs: vec![],
        })
        .collect();
    if samplers.is_empty() || limits.max_tokens == 0 {
        return Ok(out);
    }
    let rows = samplers
        .iter()
        .enumerate()
        .map(|(i, sampler)| {
            let form = forms.as_deref().map(|f| f[i].clone());
            (i, sampler.clone(), form)
        })
        .collect();
    let mut batch = Batch::default();
    batch.join(predictor.lm, prompt, rows, limits, false);
    while !batch.is_empty() {
        for event in batch.step(predictor, vocab)? {
            match event {
                RowEvent::Token { key, token, .. } => on_token(key, token),
                RowEvent::Finished {
                    key,
                    sample,
                    form,
                    sampler,
                } => {
                    out[key] = sample;
                    samplers[key] = *sampler;
                    if let (Some(forms), Some(form)) = (forms.as_deref_mut(), form) {
                        forms[key] = form;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Whether `text` contains `needle` in a match that ends after byte `before` (the new part).
pub(crate) fn contains_from(text: &str, needle: &str, before: usize) -> bool {
    let mut start = before.saturating_sub(needle.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    text[start..].contains(needle)
}
