//! The LSTM language model shared by the `train` and `generate` stages.
//!
//! Embedding(V, E) → dropout → LSTM(E, H, L layers, dropout between layers) → dropout →
//! Linear(H, V). The LSTM runs through libtorch's fused `lstm` kernel (cuDNN on a GPU). Variable
//! names follow PyTorch's `nn.Embedding`/`nn.LSTM`/`nn.Linear` state dicts (`embedding.weight`,
//! `lstm.weight_ih_l0`, …, `output.bias`) so that weights saved as safetensors load in Python.

use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor, nn};

/// The shape of a model; serialised into the train artifact so `generate` rebuilds it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub vocab_size: i64,
    pub embed_dim: i64,
    pub hidden_size: i64,
    pub num_layers: i64,
    /// Dropout after the embedding, between LSTM layers and before the output layer.
    pub dropout: f64,
}

/// The recurrent state carried between batches: `h` and `c`, each `[layers, batch, hidden]`.
#[derive(Debug)]
pub struct LstmState {
    pub h: Tensor,
    pub c: Tensor,
}

impl LstmState {
    /// The same values cut from the autograd graph (truncated back-propagation through time).
    pub fn detach(&self) -> Self {
        Self {
            h: self.h.detach(),
            c: self.c.detach(),
        }
    }
}

/// Embedding → LSTM → linear output over the vocabulary.
#[derive(Debug)]
pub struct LstmLm {
    config: ModelConfig,
    embedding: nn::Embedding,
    /// Per layer: weight_ih, weight_hh, bias_ih, bias_hh (the order libtorch's `lstm` expects).
    lstm_weights: Vec<Tensor>,
    output: nn::Linear,
}

impl LstmLm {
    /// Creates the model's variables under `vs` with PyTorch's default initialisation.
    pub fn new(vs: &nn::Path, config: &ModelConfig) -> Self {
        let embedding = nn::embedding(
            vs / "embedding",
            config.vocab_size,
            config.embed_dim,
            Default::default(),
        );
        let lstm = vs / "lstm";
        let bound = 1.0 / (config.hidden_size as f64).sqrt();
        let init = nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let gates = 4 * config.hidden_size;
        let mut lstm_weights = Vec::new();
        for layer in 0..config.num_layers {
            let input = if layer == 0 {
                config.embed_dim
            } else {
                config.hidden_size
            };
            lstm_weights.push(lstm.var(&format!("weight_ih_l{layer}"), &[gates, input], init));
            let hh = [gates, config.hidden_size];
            lstm_weights.push(lstm.var(&format!("weight_hh_l{layer}"), &hh, init));
            lstm_weights.push(lstm.var(&format!("bias_ih_l{layer}"), &[gates], init));
            lstm_weights.push(lstm.var(&format!("bias_hh_l{layer}"), &[gates], init));
        }
        let output = nn::linear(
            vs / "output",
            config.hidden_size,
            config.vocab_size,
            Default::default(),
        );
        Self {
            config: config.clone(),
            embedding,
            lstm_weights,
            output,
        }
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// An all-zero state for `batch` sequences, on the model's device.
    pub fn zero_state(&self, batch: i64) -> LstmState {
        let weight = &self.lstm_weights[0];
        let shape = [self.config.num_layers, batch, self.config.hidden_size];
        let zeros = Tensor::zeros(shape, (weight.kind(), weight.device()));
        LstmState {
            h: zeros.shallow_clone(),
            c: zeros,
        }
    }

    /// Runs `tokens` (`[batch, time]`, int64) from `state`; returns logits `[batch, time, V]` and
    /// the final state. `train` switches dropout on.
    pub fn forward(&self, tokens: &Tensor, state: &LstmState, train: bool) -> (Tensor, LstmState) {
        let embedded = tokens
            .apply(&self.embedding)
            .dropout(self.config.dropout, train);
        let weights: Vec<&Tensor> = self.lstm_weights.iter().collect();
        let (hidden, h, c) = embedded.lstm(
            &[&state.h, &state.c],
            &weights,
            true,
            self.config.num_layers,
            self.config.dropout,
            train,
            false,
            true,
        );
        let logits = hidden
            .dropout(self.config.dropout, train)
            .apply(&self.output);
        (logits, LstmState { h, c })
    }

    /// Mean cross-entropy (nats per token) of predicting `targets` (`[batch, time]`) from `logits`.
    pub fn loss(logits: &Tensor, targets: &Tensor) -> Tensor {
        let vocab = logits.size().last().copied().unwrap_or(0);
        logits
            .reshape([-1, vocab])
            .log_softmax(-1, Kind::Float)
            .nll_loss(&targets.reshape([-1]))
    }
}
