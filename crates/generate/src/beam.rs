//! Beam search with length normalisation: hypotheses are ranked by their mean log-probability
//! per token, and all live hypotheses advance as one batch per step.

use crate::error::GenerateError;
use crate::form::FormState;
use crate::generate::{Generated, Limits, prime, repeat_state, step, to_host};
use crate::mixture::Predictor;
use crate::sampler::{SamplingParams, adjusted_scores};
use model::LstmState;
use tch::Tensor;
use tokenize::EOS_ID;

struct Hypothesis {
    /// Its place in the form it keeps (`--form`).
    form: Option<FormState>,
    tokens: Vec<u32>,
    log_probs: Vec<f32>,
    /// Sum of the (penalised) scores used for ranking.
    score: f64,
    eos: usize,
}

impl Hypothesis {
    fn normalised(&self) -> f64 {
        self.score / self.tokens.len().max(1) as f64
    }
}

/// The best `results` hypotheses of a beam of `width`, best first. A hypothesis ends after
/// `limits.paragraphs` `<eos>` or `limits.max_tokens` tokens (the stop string is not used).
/// `params` contributes the repetition penalty and the n-gram ban; temperature and top-k/p do
/// not apply. `width` has no cap here (an exhaustive search of `len` tokens needs `V^len`); the
/// `--beam` flag is capped by [`crate::config::MAX_BEAM`] and the vocabulary size
/// ([`crate::GenerateConfig::check_model`]).
pub fn beam_search<'a>(
    predictor: impl Into<Predictor<'a>>,
    prompt: &[u32],
    width: usize,
    results: usize,
    params: &SamplingParams,
    limits: &Limits,
) -> Result<Vec<Generated>, GenerateError> {
    Ok(
        beam_search_masked(predictor, prompt, width, results, params, limits, None)?
            .into_iter()
            .map(|(g, _)| g)
            .collect(),
    )
}

/// [`beam_search`] where every hypothesis keeps the form `form` starts: each row is masked by
/// its hypothesis's [`FormState`] before the candidates are ranked, and a hypothesis ends when
/// its template is complete. The results come with their final form states.
pub fn beam_search_masked<'a>(
    predictor: impl Into<Predictor<'a>>,
    prompt: &[u32],
    width: usize,
    results: usize,
    params: &SamplingParams,
    limits: &Limits,
    form: Option<FormState>,
) -> Result<Vec<(Generated, Option<FormState>)>, GenerateError> {
    if width == 0 {
        return Err(GenerateError::Param(
            "--beam 0: the beam needs at least one hypothesis".into(),
        ));
    }
    let Predictor { lm: model, mixture } = predictor.into();
    let vocab_size = model.config().vocab_size as usize;
    let (state, log_probs) = prime(model, prompt);
    let mut state: LstmState = repeat_state(&state, 1);
    let mut log_probs: Tensor = log_probs;
    let mut live = vec![Hypothesis {
        form,
        tokens: vec![],
        log_probs: vec![],
        score: 0.0,
        eos: 0,
    }];
    let mut finished: Vec<Hypothesis> = vec![];
    let mut host = Vec::new();
    while !live.is_empty() && finished.len() < width && limits.max_tokens > 0 {
        let histories: Vec<Vec<u32>> = live
            .iter()
            .map(|hyp| [prompt, &hyp.tokens].concat())
            .collect();
        to_host(
            &log_probs,
            &mut host,
            params.allow_unk,
            mixture.map(|m| (m, histories.as_slice())),
        )?;
        for (b, hyp) in live.iter_mut().enumerate() {
            if let Some(form) = &mut hyp.form {
                form.mask(&mut host[b * vocab_size..(b + 1) * vocab_size]);
            }
        }
        let mut candidates: Vec<(f64, usize, u32)> = Vec::new();
        for (b, history) in histories.iter().enumerate() {
            let hyp = &live[b];
            let row = &host[b * vocab_size..(b + 1) * vocab_size];
            let scores = adjusted_scores(params, row, history);
            for (v, &s) in scores.iter().enumerate() {
                if s.is_finite() {
                    candidates.push((hyp.score + s as f64, b, v as u32));
                }
            }
        }
        let order = |a: &(f64, usize, u32), b: &(f64, usize, u32)| {
            b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
        };
        let keep = width - finished.len();
        if candidates.len() > keep {
            candidates.select_nth_unstable_by(keep - 1, order);
            candidates.truncate(keep);
        }
        candidates.sort_unstable_by(order);
        let mut next_live = vec![];
        let mut parents = vec![];
        let mut tokens = vec![];
        for (score, b, v) in candidates {
            let parent = &live[b];
            let mut hyp = Hypothesis {
                form: parent.form.clone(),
                tokens: parent.tokens.clone(),
                log_probs: parent.log_probs.clone(),
                score,
                eos: parent.eos + usize::from(v == EOS_ID),
            };
            hyp.tokens.push(v);
            hyp.log_probs.push(host[b * vocab_size + v as usize]);
            if let Some(form) = &mut hyp.form {
                form.advance(v);
            }
            let ended = hyp.form.as_ref().is_some_and(FormState::is_done)
                || hyp.tokens.len() >= limits.max_tokens
                || limits.paragraphs.is_some_and(|p| hyp.eos >= p);
            if ended {
                finished.push(hyp);
            } else {
                parents.push(b as i64);
                tokens.push(v);
                next_live.push(hyp);
            }
        }
        live = next_live;
        if live.is_empty() {
            break;
        }
        let index = Tensor::from_slice(&parents).to_device(state.h.device());
        let selected = LstmState {
            h: state.h.index_select(1, &index),
            c: state.c.index_select(1, &index),
        };
        (state, log_probs) = step(model, &selected, &tokens);
    }
    finished.extend(live);
    finished.sort_by(|a, b| b.normalised().total_cmp(&a.normalised()));
    finished.truncate(results);
    Ok(finished
        .into_iter()
        .map(|h| {
            (
                Generated {
                    tokens: h.tokens,
                    log_probs: h.log_probs,
                },
                h.form,
            )
        })
        .collect())
}
