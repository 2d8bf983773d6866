//! jianghu's generate stage: continue a prompt (or invent names) with a trained LSTM language
//! model, with the decoding controls of [`Sampler`] (temperature, top-k, top-p, repetition
//! penalty, n-gram ban), [`beam_search`], and quality metrics of the samples. Names mode
//! ([`Mode::Names`], automatic for a char-level model of a name list) makes one name per sample
//! and replaces names dropped by `--novel`/`--unique` ([`generate_names`]).
//!
//! `--form`, `--acrostic` and `--rhyme` write poems that keep a form (a tune mined by
//! `tokenize --titles`, or a built-in shi form) by masking each row of log-probabilities before
//! the sampler or the beam sees it ([`form`]); every run on a titled corpus reports its form
//! metrics (format and rhyme conformance, the constraints' cost) in [`GenerateSummary::forms`].
//!
//! Artifact files: `samples.txt` (the samples, separated by blank lines; one name per line in
//! names mode), `samples.jsonl` (one [`SampleRecord`] per sample), `metrics.json` (the
//! [`GenerateSummary`], also the manifest's metrics). Its params are the [`GenerateConfig`].
//!
//! `jianghu-serve` ([`serve`], behind `torch`) keeps models in memory and serves them over HTTP,
//! decoding concurrent requests together with continuous batching; [`client`] is a small
//! blocking client of its API.
//!
//! The stage's contract (the flags [`GenerateConfig`] with their checks, the file names,
//! [`GenerateSummary`] and [`SampleRecord`]) builds without libtorch: everything that loads or
//! runs a model is behind the default feature `torch`, so that the orchestrator can depend on the
//! contract before libtorch is installed.

pub mod client;
pub mod config;
pub mod error;
pub mod form;
pub mod metrics;
pub mod mode;
pub mod prompt;
pub mod sampler;
pub mod summary;

pub use config::{GenerateConfig, Limits};
pub use error::GenerateError;
pub use mode::{Mode, ModeChoice, TrainingShape};
pub use prompt::{EncodedPrompt, encode_prompt};
pub use sampler::{Sampler, SamplingParams};
pub use summary::{GenerateSummary, SampleRecord, read_samples};

model::torch_only! {
    pub mod batch;
    pub mod beam;
    pub mod continuation;
    pub mod generate;
    pub mod interactive;
    pub mod mixture;
    pub mod names;
    pub mod score;
    pub mod serve;
    pub mod source;
    pub mod stage;

    pub use beam::{beam_search, beam_search_masked};
    pub use config::parse_device;
    pub use continuation::continuations;
    pub use generate::{Generated, generate_batch, generate_batch_masked, generate_batch_streaming};
    pub use interactive::{continue_prompt, interactive, mode_choice};
    pub use mixture::{Mixture, Predictor};
    pub use names::{NameCounts, NameRun, generate_names};
    pub use score::{ScoreReport, score_path, score_text};
    pub use source::{TrainedModel, load_trained, open_train};
    pub use stage::{GenerateOutcome, run, run_streaming};
}

/// Stage name in manifests and under `artifacts/<corpus>/`.
pub const STAGE: &str = "generate";
/// Version of the generate artifact's on-disk format.
/// 2: samples and metrics record the mode; metrics the names requested and the top-up cap.
pub const FORMAT_VERSION: u32 = 2;
pub const SAMPLES_FILE: &str = "samples.txt";
pub const SAMPLES_JSONL_FILE: &str = "samples.jsonl";
pub const METRICS_FILE: &str = "metrics.json";
