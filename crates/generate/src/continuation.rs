//! One prompt to `--num-samples` continuations, decoded as the flags ask: beam search, or one
//! seeded [`Sampler`] per sample in a single batch. Shared by the stage and `--interactive`.

use crate::beam::beam_search;
use crate::config::GenerateConfig;
use crate::error::GenerateError;
use crate::generate::{Generated, generate_batch_streaming};
use crate::prompt::EncodedPrompt;
use crate::sampler::Sampler;
use model::LstmLm;
use tokenize::Vocab;

/// Generates the continuations of an encoded prompt (warning on stderr about its words outside
/// the vocabulary); `on_token(sample, id)` sees every sampled token (not called for beam search).
pub fn continuations(
    lm: &LstmLm,
    vocab: &Vocab,
    encoded: &EncodedPrompt,
    config: &GenerateConfig,
    on_token: &mut dyn FnMut(usize, u32),
) -> Result<Vec<Generated>, GenerateError> {
    if !encoded.unknown.is_empty() {
        eprintln!(
            "warning: prompt words outside the vocabulary, split into characters ({} became <unk>): {}",
            encoded.unk_count,
            encoded.unknown.join(" ")
        );
    }
    let limits = config.limits();
    match config.beam {
        Some(width) => beam_search(
            lm,
            &encoded.ids,
            width,
            config.num_samples,
            &config.sampling(),
            &limits,
        ),
        None => {
            let mut samplers = (0..config.num_samples)
                .map(|i| Sampler::new(config.sample_seed(i), config.sampling()))
                .collect::<Result<Vec<_>, _>>()?;
            generate_batch_streaming(lm, vocab, &encoded.ids, &mut samplers, &limits, on_token)
        }
    }
}
