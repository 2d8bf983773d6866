//! The LSTM language model shared by the `train` and `generate` stages.
//!
//! - [`ModelConfig`]: the shape (vocabulary, sizes, dropout, tying, output kind), serialised as
//!   `config.json` in the train artifact.
//! - [`LstmLm`]: embedding → fused LSTM → output layer ([`OutputLayer`]: full softmax, tied to
//!   the embedding, or [`AdaptiveSoftmax`]).
//! - [`save`]/[`load`]: safetensors weights with PyTorch-style names.
//! - [`Regularisation`]: locked dropout, embedding dropout and weight drop for training.
//! - [`PackedWeights`]: the decoding weights reordered once for oneDNN, for batched decoding
//!   on the CPU.

pub mod adaptive;
pub mod config;
pub mod device;
pub mod error;
pub mod lm;
pub mod output;
pub mod packed;
pub mod regularise;
pub mod weights;

pub use adaptive::AdaptiveSoftmax;
pub use config::{ModelConfig, OutputKind};
pub use device::parse_device;
pub use error::ModelError;
pub use lm::{LstmLm, LstmState};
pub use output::OutputLayer;
pub use packed::{PACKED_MIN_BATCH, PackedWeights};
pub use regularise::Regularisation;
pub use weights::{load, load_into, save};
