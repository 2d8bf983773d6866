//! [`GenerateConfig`]: the flags of the generate stage; its serialised form is the artifact's
//! `params`.

use crate::error::GenerateError;
use crate::generate::Limits;
use crate::mode::{Mode, NOVEL_WITH_NO_NAMES};
use crate::sampler::SamplingParams;
use serde::{Deserialize, Serialize};

/// Flags of the `generate` stage.
#[derive(clap::Args, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// Text to continue. Empty: start a new paragraph (from `<eos>`). The output begins with
    /// the prompt; words outside the vocabulary are split into characters or become `<unk>`.
    #[arg(long, default_value = "")]
    pub prompt: String,

    /// Sampling temperature; 0 is greedy decoding (always the most likely token).
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f64,

    /// Sample only from the K most likely tokens (at least 1; all when absent).
    #[arg(long, value_name = "K")]
    pub top_k: Option<usize>,

    /// Nucleus sampling: sample from the smallest set of tokens whose probability reaches P,
    /// in (0, 1] (all when absent).
    #[arg(long, value_name = "P")]
    pub top_p: Option<f64>,

    /// Multiply the log-probability of tokens already in the text by this (>= 1; 1 = off).
    #[arg(long, default_value_t = 1.0)]
    pub repetition_penalty: f64,

    /// Never repeat an n-gram of this many tokens within a sample.
    #[arg(long, value_name = "N")]
    pub no_repeat_ngram: Option<usize>,

    /// Let the model write `<unk>` (the token for everything outside the vocabulary). By default
    /// it is never drawn, since it would appear in the text as the literal `<unk>`.
    #[arg(long)]
    #[serde(default)]
    pub allow_unk: bool,

    /// Beam search with N hypotheses (length-normalised) instead of sampling; returns the
    /// best --num-samples hypotheses (at most N).
    #[arg(long, value_name = "N")]
    pub beam: Option<usize>,

    /// Generated tokens per sample at most (the prompt does not count).
    #[arg(long, default_value_t = 200)]
    pub max_tokens: usize,

    /// Stop a sample after N paragraphs (N `<eos>` tokens).
    #[arg(long, value_name = "N")]
    pub paragraphs: Option<usize>,

    /// Stop a sample once its generated text contains STRING (kept in the output).
    #[arg(long, value_name = "STRING")]
    pub stop: Option<String>,

    /// Samples to generate, as one batch on the device.
    #[arg(long, default_value_t = 5)]
    pub num_samples: usize,

    /// Random seed; sample i uses a seed derived from this and i, so every sample is
    /// reproducible on its own.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Names mode: every sample is one name, ending at the first `<eos>`. On without this flag
    /// when the model is char-level and its training text is a name list (at most 6 characters
    /// per line on average).
    #[arg(long, conflicts_with = "no_names")]
    pub names: bool,

    /// Text mode even when the training text is a name list.
    #[arg(long)]
    #[serde(default)]
    pub no_names: bool,

    /// In names mode: drop names that occur in the training data, and generate more until
    /// --num-samples names are kept (at most 10 times as many are generated).
    #[arg(long)]
    pub novel: bool,

    /// In names mode: drop duplicate names, and generate more until --num-samples names are
    /// kept (at most 10 times as many are generated).
    #[arg(long)]
    pub unique: bool,

    /// Device: `auto` (CUDA when available), `cpu`, `cuda` or `cuda:N`.
    #[arg(long, default_value = "auto")]
    pub device: String,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        GenerateConfig {
            prompt: String::new(),
            temperature: 0.8,
            top_k: None,
            top_p: None,
            repetition_penalty: 1.0,
            no_repeat_ngram: None,
            allow_unk: false,
            beam: None,
            max_tokens: 200,
            paragraphs: None,
            stop: None,
            num_samples: 5,
            seed: 42,
            names: false,
            no_names: false,
            novel: false,
            unique: false,
            device: "auto".into(),
        }
    }
}

impl GenerateConfig {
    pub fn sampling(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repetition_penalty: self.repetition_penalty,
            no_repeat_ngram: self.no_repeat_ngram,
            allow_unk: self.allow_unk,
        }
    }

    /// The length limits in `mode`; names mode ends every sample at its first `<eos>`.
    pub fn limits(&self, mode: Mode) -> Limits {
        Limits {
            max_tokens: self.max_tokens,
            paragraphs: match mode {
                Mode::Names => Some(1),
                Mode::Text => self.paragraphs,
            },
            stop: self.stop.clone(),
        }
    }

    /// Checks every parameter that does not need the file system (whether `--novel`/`--unique`
    /// apply depends on the training text: see [`crate::mode::ModeChoice::choose`]).
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: &str| Err(GenerateError::Param(m.into()));
        self.sampling().validate()?;
        if self.beam == Some(0) {
            return bad("--beam 0: the beam needs at least one hypothesis (omit it to sample)");
        }
        if self.max_tokens == 0 {
            return bad("--max-tokens 0: generate at least one token");
        }
        if self.paragraphs == Some(0) {
            return bad("--paragraphs 0: stop after at least one paragraph (omit it for no limit)");
        }
        if self.stop.as_deref() == Some("") {
            return bad("--stop '': the stop string must not be empty");
        }
        if self.num_samples == 0 {
            return bad("--num-samples 0: generate at least one sample");
        }
        if (self.novel || self.unique) && self.no_names {
            return bad(NOVEL_WITH_NO_NAMES);
        }
        parse_device(&self.device)?;
        Ok(())
    }

    /// The seed of sample `index`.
    pub fn sample_seed(&self, index: usize) -> u64 {
        self.seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index as u64)
    }
}

/// Parses `--device` (see [`model::parse_device`]).
pub fn parse_device(spec: &str) -> Result<tch::Device, GenerateError> {
    model::parse_device(spec).map_err(GenerateError::Param)
}
