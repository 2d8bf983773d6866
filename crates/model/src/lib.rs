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

/// Items that run libtorch, compiled only with the `torch` feature of the crate that expands
/// it: the stage crates keep their contracts (configs, summaries, readers) buildable without
/// libtorch, and list what needs it in one place.
#[macro_export]
macro_rules! torch_only {
    ($($item:item)*) => { $(#[cfg(feature = "torch")] $item)* };
}

pub mod config;
pub mod device;
pub mod error;

pub use config::{ModelConfig, OutputKind, Regularisation};
pub use device::DeviceSpec;
pub use error::ModelError;

torch_only! {
    pub mod adaptive;
    pub mod lm;
    pub mod output;
    pub mod packed;
    pub mod regularise;
    pub mod weights;

    pub use adaptive::AdaptiveSoftmax;
    pub use device::parse_device;
    pub use lm::{LstmLm, LstmState};
    pub use output::OutputLayer;
    pub use packed::{PACKED_MIN_BATCH, PackedWeights};
    pub use weights::{load, load_into, save};
}
