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
//!
//! Everything that runs libtorch is behind the default feature `torch`; without it the crate is
//! the model's contract alone ([`ModelConfig`], [`Regularisation`], [`DeviceSpec`]), which the
//! orchestrator uses to check parameters on a machine that has no libtorch yet.

#[cfg(feature = "torch")]
pub mod adaptive;
pub mod config;
pub mod device;
pub mod error;
#[cfg(feature = "torch")]
pub mod lm;
#[cfg(feature = "torch")]
pub mod output;
#[cfg(feature = "torch")]
pub mod packed;
#[cfg(feature = "torch")]
pub mod regularise;
#[cfg(feature = "torch")]
pub mod weights;

#[cfg(feature = "torch")]
pub use adaptive::AdaptiveSoftmax;
pub use config::{ModelConfig, OutputKind, Regularisation};
pub use device::DeviceSpec;
#[cfg(feature = "torch")]
pub use device::parse_device;
pub use error::ModelError;
#[cfg(feature = "torch")]
pub use lm::{LstmLm, LstmState};
#[cfg(feature = "torch")]
pub use output::OutputLayer;
#[cfg(feature = "torch")]
pub use packed::{PACKED_MIN_BATCH, PackedWeights};
#[cfg(feature = "torch")]
pub use weights::{load, load_into, save};
