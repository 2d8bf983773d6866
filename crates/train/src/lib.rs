//! Stage `train`: trains the LSTM language model of the `model` crate on a tokenize artifact.
//!
//! Artifact files: `config.json` (the [`model::ModelConfig`] that `generate` rebuilds),
//! `model.safetensors` (best weights by validation loss), `last.safetensors` +
//! `optim.safetensors` + `state.bin` (exact resume, see [`checkpoint`]; while a run is in
//! progress they live in a [`resume`] directory beside the artifacts), `metrics.jsonl`
//! ([`metrics::Record`] per line), `curve.svg` and [`ngram::FILE_NAME`] (the n-gram baseline
//! of [`baseline`]); a fine-tune (`--init-from`, see [`init`]) also writes `init.json` (an
//! [`InitRecord`]: the init artifact and the tokens kept, added and dropped) and lists the init
//! artifact among its inputs. The manifest's metrics are a
//! [`TrainSummary`]; its params are the resolved [`TrainParams`].
//!
//! The stage's contract (its flags [`TrainConfig`] and resolved [`TrainParams`], the file names,
//! [`TrainSummary`] and the [`metrics::Record`]s with their reader) builds without libtorch:
//! everything that trains is behind the default feature `torch`, so that the orchestrator can
//! depend on the contract before libtorch is installed.

pub mod config;
pub mod error;
pub mod estimate;
pub mod metrics;
pub mod schedule;
pub mod summary;
pub mod vocab_map;

pub use config::{
    OutputArg, Preset, ScheduleArg, TrainConfig, TrainParams, read_model_config, read_params,
};
pub use error::TrainError;
pub use metrics::{Record, read_metrics};
pub use schedule::LrSchedule;
pub use summary::{Evaluation, StopReason, TrainSummary, bits_per_char};
pub use vocab_map::{INIT_FILE, InitRecord, InitSummary, VocabMap};

model::torch_only! {
    pub mod adam;
    pub mod baseline;
    pub mod checkpoint;
    pub mod chunked_loss;
    pub mod curve;
    pub mod data;
    pub mod evaluate;
    pub mod init;
    pub mod interrupt;
    pub mod log;
    pub mod preview;
    pub mod progress;
    pub mod resume;
    pub mod stage;
    pub mod training;

    pub use config::parse_device;
    pub use interrupt::{install_ctrlc_handler, request_stop};
    pub use log::LogFile;
    pub use stage::{RunOptions, TrainOutcome, run, run_with_hook};
    pub use training::StepAction;
}

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
pub const MODEL_FILE: &str = "model.safetensors";
