//! Decoding a form: the samples of one [`FormRequest`], sampled in one batch or beam-searched,
//! each with its [`FormState`] masking its rows (the hook in
//! [`crate::generate::generate_batch_masked`] and [`crate::beam::beam_search_masked`]).

use crate::config::GenerateConfig;
use crate::error::GenerateError;
use crate::form::constraint::FormState;
use crate::form::request::FormRequest;
use crate::generate::{Generated, generate_batch_masked};
use crate::beam::beam_search_masked;
use crate::mixture::Predictor;
use crate::mode::Mode;
use crate::sampler::Sampler;
use std::ops::Range;
use tokenize::Vocab;

/// The samples `indices` of `request` (sample `i` draws with [`GenerateConfig::sample_seed`]),
/// continuing `prompt` (the encoded priming), with their final form states.
pub fn form_samples(
    predictor: Predictor,
    vocab: &Vocab,
    request: &FormRequest,
    prompt: &[u32],
    config: &GenerateConfig,
    indices: Range<usize>,
    on_token: &mut dyn FnMut(usize, u32),
) -> Result<Vec<(Generated, FormState)>, GenerateError> {
    let fresh = || FormState::new(request.shapes.clone(), request.template.clone());
    let limits = config.limits(Mode::Text);
    match config.beam {
        Some(width) => Ok(beam_search_masked(
            predictor,
            prompt,
            width,
            indices.len(),
            &config.sampling(),
            &limits,
            Some(fresh()),
        )?
        .into_iter()
        .map(|(g, state)| (g, state.expect("a form state per hypothesis")))
        .collect()),
        None => {
            let mut samplers = indices
                .clone()
                .map(|i| Sampler::new(config.sample_seed(i), config.sampling()))
                .collect::<Result<Vec<_>, _>>()?;
            let mut states: Vec<FormState> = indices.map(|_| fresh()).collect();
            let generated = generate_batch_masked(
                predictor,
                vocab,
                prompt,
                &mut samplers,
                &limits,
                Some(&mut states),
                on_token,
            )?;
            Ok(generated.into_iter().zip(states).collect())
        }
    }
}
