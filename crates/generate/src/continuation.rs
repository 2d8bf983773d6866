//! One prompt to `--num-samples` continuations, decoded as the flags ask: beam search, or one
//! seeded [`Sampler`] per sample in a single batch. Shared by the stage, names mode's top-up and
//! `--interactive`.

use crate::beam::beam_search;
use crate::config::GenerateConfig;
use crate::error::GenerateError;
use crate::generate::{Generated, generate_batch_streaming};
use crate::mixture::Predictor;
use crate::mode::Mode;
use crate::prompt::EncodedPrompt;
use crate::sampler::Sampler;
use std::ops::Range;
use tokenize::Vocab;

/// Generates the continuations of an encoded prompt in `mode` (warning on stderr about its
/// words outside the vocabulary); `on_token(sample, id)` sees every sampled token (not called
/// for beam search).
pub fn continuations(
    lm: Predictor,
    vocab: &Vocab,
    encoded: &EncodedPrompt,
    config: &GenerateConfig,
    mode: Mode,
    on_token: &mut dyn FnMut(usize, u32),
) -> Result<Vec<Generated>, GenerateError> {
    if !encoded.unknown.is_empty() {
        eprintln!(
            "warning: prompt words outside the vocabulary, split into characters ({} became <unk>): {}",
            encoded.unk_count,
            encoded.unknown.join(" ")
        );
    }
    match config.beam {
        Some(width) => beam_search(
            lm,
            &encoded.ids,
            width,
            config.num_samples,
            &config.sampling(),
            &config.limits(mode),
        ),
        None => sample_range(
            lm,
            vocab,
            &encoded.ids,
            config,
            mode,
            0..config.num_samples,
            on_token,
        ),
    }
}

/// Samples `indices` (one batch; sample `i` draws with [`GenerateConfig::sample_seed`]`(i)`, so
/// a sample is the same whichever batch it is part of); `on_token` sees positions in the batch.
pub fn sample_range(
    lm: Predictor,
    vocab: &Vocab,
    prompt: &[u32],
    config: &GenerateConfig,
    mode: Mode,
    indices: Range<usize>,
    on_token: &mut dyn FnMut(usize, u32),
) -> Result<Vec<Generated>, GenerateError> {
    let mut samplers = indices
        .map(|i| Sampler::new(config.sample_seed(i), config.sampling()))
        .collect::<Result<Vec<_>, _>>()?;
    generate_batch_streaming(
        lm,
        vocab,
        prompt,
        &mut samplers,
        &config.limits(mode),
        on_token,
    )
}
