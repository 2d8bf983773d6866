//! Stage `train`: trains the LSTM language model of the `model` crate on a tokenize artifact.
//!
//! Artifact files: `config.json` (the [`model::ModelConfig`] that `generate` rebuilds),
//! `model.safetensors` (best weights by validation loss), `last.safetensors` +
//! `optim.safetensors` + `state.bin` (exact resume, see [`checkpoint`]; while a run is in
//! progress they live in a [`resume`] directory beside the artifacts), `metrics.jsonl`
//! ([`metrics::Record`] per line), `curve.svg` and [`ngram::FILE_NAME`] (the n-gram baseline
//! of [`baseline`]). The manifest's metrics are a
//! [`TrainSummary`]; its params are the resolved [`TrainParams`].

pub mod adam;
pub mod baseline;
pub mod checkpoint;
pub mod chunked_loss;
pub mod config;
pub mod curve;
pub mod data;
pub mod error;
pub mod estimate;
pub mod evaluate;
pub mod interrupt;
pub mod log;
pub mod metrics;
pub mod preview;
pub mod progress;
pub mod resume;
pub mod schedule;
pub mod stage;
pub mod training;

pub use config::{OutputArg, Preset, ScheduleArg, TrainConfig, TrainParams, parse_device};
pub use error::TrainError;
pub use evaluate::{Evaluation, bits_per_char};
pub use interrupt::{install_ctrlc_handler, request_stop};
pub use log::LogFile;
pub use schedule::LrSchedule;
pub use stage::{RunOptions, TrainOutcome, TrainSummary, read_params, run, run_with_hook};
pub use training::{StepAction, StopReason};

/// Stage name in artifact paths and manifests.
pub const STAGE: &str = "train";
/// Version of this stage's output format.
pub const FORMAT_VERSION: u32 = 1;
/// The model config file inside a train artifact.
pub const CONFIG_FILE: &str = "config.json";
/// The metrics file inside a train artifact.
pub const METRICS_FILE: &str = "metrics.jsonl";
/// The loss curve inside a train artifact.
pub const CURVE_FILE: &str = "curve.svg";
/// The best weights inside a train artifact.
pub const MODEL_FILE: &str = checkpoint::BEST_FILE;
