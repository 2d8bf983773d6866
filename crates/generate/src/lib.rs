//! jianghu's generate stage: continue a prompt (or invent names) with a trained LSTM language
//! model, with the decoding controls of [`Sampler`] (temperature, top-k, top-p, repetition
//! penalty, n-gram ban), [`beam_search`], and quality metrics of the samples. Names mode
//! ([`Mode::Names`], automatic for a char-level model of a name list) makes one name per sample
//! and replaces names dropped by `--novel`/`--unique` ([`generate_names`]).
//!
//! Artifact files: `samples.txt` (the samples, separated by blank lines; one name per line in
//! names mode), `samples.jsonl` (one [`SampleRecord`] per sample), `metrics.json` (the
//! [`GenerateSummary`], also the manifest's metrics). Its params are the [`GenerateConfig`].

pub mod beam;
pub mod config;
pub mod continuation;
pub mod error;
pub mod generate;
pub mod interactive;
pub mod metrics;
pub mod mixture;
pub mod mode;
pub mod names;
pub mod prompt;
pub mod sampler;
pub mod score;
pub mod source;
pub mod stage;

pub use beam::beam_search;
pub use config::{GenerateConfig, parse_device};
pub use continuation::continuations;
pub use error::GenerateError;
pub use generate::{Generated, Limits, generate_batch, generate_batch_streaming};
pub use interactive::{continue_prompt, interactive, mode_choice};
pub use mixture::{Mixture, Predictor};
pub use mode::{Mode, ModeChoice, TrainingShape};
pub use names::{NameCounts, NameRun, generate_names};
pub use prompt::{EncodedPrompt, encode_prompt};
pub use sampler::{Sampler, SamplingParams};
pub use score::{ScoreReport, score_path};
pub use source::{TrainedModel, load_trained, open_train};
pub use stage::{GenerateOutcome, GenerateSummary, SampleRecord, run, run_streaming};

/// Stage name in manifests and under `artifacts/<corpus>/`.
pub const STAGE: &str = "generate";
/// Version of the generate artifact's on-disk format.
/// 2: samples and metrics record the mode; metrics the names requested and the top-up cap.
pub const FORMAT_VERSION: u32 = 2;
pub const SAMPLES_FILE: &str = "samples.txt";
pub const SAMPLES_JSONL_FILE: &str = "samples.jsonl";
pub const METRICS_FILE: &str = "metrics.json";
