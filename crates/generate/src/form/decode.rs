//! Decoding a form: the samples of one [`FormRequest`], sampled in one batch or beam-searched,
//! each with its [`FormState`] masking its rows (the hook in
//! [`crate::generate::generate_batch_masked`] and [`crate::beam::beam_search_masked`]).

use crate::config::GenerateConfig;
use crate::error::GenerateError;
use crate::form::constraint::FormState;
use crate::form::request::{FormRequest, sample_blocks};
use crate::generate::{Generated, generate_batch_masked};
use crate::beam::beam_search_masked;
use crate::mixture::Predictor;
use crate::mode::Mode;
use crate::sampler::Sampler;
use std::ops::Range;
use crate::prompt::encode_prompt;
use tokenize::{Tokenizer, Vocab};

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

/// One sample of a run with forms: the index of its form in the run's requests, what it
/// generated after its form's priming, and its form's final state.
pub struct FormSample {
    pub form: usize,
    pub generated: Generated,
    pub state: FormState,
}

/// Every sample of a run with forms, shared out among `requests` as [`sample_blocks`] says and
/// in that order; `on_text(i, text)` hears sample `i`'s priming, then each token's text.
pub fn all_form_samples(
    predictor: Predictor,
    tokenizer: &Tokenizer,
    requests: &[FormRequest],
    config: &GenerateConfig,
    on_text: &mut dyn FnMut(usize, &str),
) -> Result<Vec<FormSample>, GenerateError> {
    let vocab = tokenizer.vocab();
    let mut samples = Vec::with_capacity(config.num_samples);
    let blocks = sample_blocks(config.num_samples, requests.len());
    for (k, (request, block)) in requests.iter().zip(blocks).enumerate() {
        if block.is_empty() {
            continue;
        }
        let priming = encode_prompt(tokenizer, &request.priming);
        for i in block.clone() {
            on_text(i, &request.priming);
        }
        let start = block.start;
        let mut on_token = |i: usize, t: u32| {
            let text = if t == tokenize::EOS_ID {
                "\n"
            } else {
                vocab.token(t)
            };
            on_text(start + i, text)
        };
        let results = form_samples(
            predictor,
            vocab,
            request,
            &priming.ids,
            config,
            block,
            &mut on_token,
        )?;
        samples.extend(
            results
                .into_iter()
                .map(|(generated, state)| FormSample {
                    form: k,
                    generated,
                    state,
                }),
        );
    }
    Ok(samples)
}
