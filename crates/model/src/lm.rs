//! [`LstmLm`]: Embedding(V, E) → dropout → LSTM(E, H, L layers, dropout between layers) →
//! dropout → [`OutputLayer`], with the optional [`Regularisation`](crate::Regularisation) of
//! training. The LSTM runs through libtorch's fused `lstm` kernel (cuDNN on a
//! GPU). Variable names follow PyTorch's `nn.Embedding`/`nn.LSTM`/`nn.Linear` state dicts
//! (`embedding.weight`, `lstm.weight_ih_l0`, …, `output.bias`) so that weights saved as
//! safetensors load in Python.

use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::output::OutputLayer;
use crate::packed::PackedWeights;
use crate::regularise;
use std::cell::OnceCell;
use tch::{Tensor, nn};

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

/// The language model. Build it with [`LstmLm::new`] under a `VarStore` root.
#[derive(Debug)]
pub struct LstmLm {
    config: ModelConfig,
    embedding: nn::Embedding,
    /// Per layer: weight_ih, weight_hh, bias_ih, bias_hh (the order libtorch's `lstm` expects).
    lstm_weights: Vec<Tensor>,
    output: OutputLayer,
    /// Built on the first batched decoding step ([`LstmLm::packed`]).
    packed: OnceCell<Option<PackedWeights>>,
}

impl LstmLm {
    /// Creates the model's variables under `vs` with PyTorch's default initialisation; fails on
    /// an invalid config (e.g. hidden size 0).
    pub fn new(vs: &nn::Path, config: &ModelConfig) -> Result<Self, ModelError> {
        config.validate()?;
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
        let output = OutputLayer::new(&(vs / "output"), config, &embedding.ws);
        Ok(Self {
            config: config.clone(),
            embedding,
            lstm_weights,
            output,
            packed: OnceCell::new(),
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Stops training the embedding matrix (a fine-tune's `--freeze-embedding`): it no longer
    /// requires a gradient, so an optimizer built afterwards leaves it out. A tied output layer
    /// shares the matrix and is frozen with it.
    pub fn freeze_embedding(&self) {
        let _ = self.embedding.ws.shallow_clone().set_requires_grad(false);
    }

    pub(crate) fn packed_cell(&self) -> &OnceCell<Option<PackedWeights>> {
        &self.packed
    }

    /// Per layer: weight_ih, weight_hh, bias_ih, bias_hh.
    pub(crate) fn lstm_weights(&self) -> &[Tensor] {
        &self.lstm_weights
    }

    pub fn output_layer(&self) -> &OutputLayer {
        &self.output
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

    /// Runs `tokens` (`[batch, time]`, int64) from `state`; returns the LSTM outputs after
    /// dropout (`[batch, time, H]`) and the final state. `train` switches dropout and the
    /// config's [`Regularisation`](crate::Regularisation) on.
    pub fn hidden(&self, tokens: &Tensor, state: &LstmState, train: bool) -> (Tensor, LstmState) {
        let c = &self.config;
        let r = &c.regularisation;
        let table = if train && r.embed_dropout > 0.0 {
            regularise::drop_rows(&self.embedding.ws, r.embed_dropout)
        } else {
            self.embedding.ws.shallow_clone()
        };
        let embedded = Tensor::embedding(&table, tokens, -1, false, false);
        let embedded = regularise::dropout(&embedded, c.dropout, train, r.locked);
        // Weight drop masks W_hh before the call: one mask for the whole batch.
        let weights: Vec<Tensor> = self
            .lstm_weights
            .iter()
            .enumerate()
            .map(|(i, w)| match i % 4 {
                1 if train && r.weight_drop > 0.0 => w.dropout(r.weight_drop, true),
                _ => w.shallow_clone(),
            })
            .collect();
        let (hidden, state) = if train && r.locked && c.dropout > 0.0 && c.num_layers > 1 {
            self.layer_by_layer(&embedded, state, &weights)
        } else {
            let weights: Vec<&Tensor> = weights.iter().collect();
            let (hidden, h, c) = embedded.lstm(
                &[&state.h, &state.c],
                &weights,
                true,
                c.num_layers,
                c.dropout,
                train,
                false,
                true,
            );
            (hidden, LstmState { h, c })
        };
        (
            regularise::dropout(&hidden, c.dropout, train, r.locked),
            state,
        )
    }

    /// The LSTM one layer at a time with locked dropout between layers (training only: the
    /// fused call draws its inter-layer masks per position).
    fn layer_by_layer(
        &self,
        input: &Tensor,
        state: &LstmState,
        weights: &[Tensor],
    ) -> (Tensor, LstmState) {
        let (mut hs, mut cs) = (Vec::new(), Vec::new());
        let mut input = input.shallow_clone();
        for (layer, w) in weights.chunks(4).enumerate() {
            if layer > 0 {
                input = regularise::dropout(&input, self.config.dropout, true, true);
            }
            let layer = layer as i64;
            let w: Vec<&Tensor> = w.iter().collect();
            let (output, h, c) = input.lstm(
                &[&state.h.narrow(0, layer, 1), &state.c.narrow(0, layer, 1)],
                &w,
                true,
                1,
                0.0,
                true,
                false,
                true,
            );
            input = output;
            hs.push(h);
            cs.push(c);
        }
        let state = LstmState {
            h: Tensor::cat(&hs, 0),
            c: Tensor::cat(&cs, 0),
        };
        (input, state)
    }

    /// One time step in inference (no dropout, no autograd graph needed): `tokens` (`[batch]`,
    /// int64) from `state`; returns the LSTM output (`[batch, H]`) and the new state. Equal to
    /// [`LstmLm::hidden`] on a `[batch, 1]` input, but it runs `lstm_cell` layer by layer:
    /// libtorch's fused `lstm` on CPU goes through oneDNN, which reorders every weight matrix
    /// on each call, and for a single step that costs several times the matrix products.
    pub fn step(&self, tokens: &Tensor, state: &LstmState) -> (Tensor, LstmState) {
        self.step_layers(tokens, state, |layer, input, h0, c0| {
            let w = &self.lstm_weights[4 * layer..4 * layer + 4];
            input.lstm_cell(&[h0, c0], &w[0], &w[1], Some(&w[2]), Some(&w[3]))
        })
    }

    /// One time step through every layer, `cell(layer, input, h0, c0)` giving each layer's new
    /// `(h, c)`: the top layer's output and the new state.
    pub(crate) fn step_layers(
        &self,
        tokens: &Tensor,
        state: &LstmState,
        mut cell: impl FnMut(usize, &Tensor, &Tensor, &Tensor) -> (Tensor, Tensor),
    ) -> (Tensor, LstmState) {
        let mut input = tokens.apply(&self.embedding);
        let layers = self.config.num_layers as usize;
        let (mut hs, mut cs) = (Vec::with_capacity(layers), Vec::with_capacity(layers));
        for layer in 0..layers {
            let (h0, c0) = (state.h.get(layer as i64), state.c.get(layer as i64));
            let (h, c) = cell(layer, &input, &h0, &c0);
            input = h.shallow_clone();
            hs.push(h);
            cs.push(c);
        }
        let state = LstmState {
            h: Tensor::stack(&hs, 0),
            c: Tensor::stack(&cs, 0),
        };
        (input, state)
    }

    /// Stores the matrices that decoding multiplies by (the LSTM weights and a full softmax's
    /// output weight) column-major on the CPU: the same values and shapes, but `x · Wᵀ` then
    /// reads `Wᵀ` as a plain row-major matrix. MKL otherwise repacks a transposed copy of the
    /// whole weight on every product, which for batched decoding at the seed shape took longer
    /// than the arithmetic. For inference: call it once after loading the weights.
    pub fn use_decoding_layout(&self) {
        if self.lstm_weights[0].device() != tch::Device::Cpu {
            return; // cuBLAS reads either layout at full speed; cuDNN wants contiguous weights
        }
        let mut matrices: Vec<Tensor> = self
            .lstm_weights
            .chunks(4)
            .flat_map(|w| [w[0].shallow_clone(), w[1].shallow_clone()])
            .collect();
        if let OutputLayer::Full(linear) = &self.output {
            matrices.push(linear.ws.shallow_clone());
        }
        tch::no_grad(|| {
            for w in &mut matrices {
                let column_major = w.tr().contiguous().tr();
                w.set_data(&column_major);
            }
        });
    }

    /// Log-probabilities over the vocabulary (`[batch, time, V]`, float32) and the final state.
    pub fn forward(&self, tokens: &Tensor, state: &LstmState, train: bool) -> (Tensor, LstmState) {
        let (hidden, state) = self.hidden(tokens, state, train);
        (self.log_probs(&hidden), state)
    }

    /// Log-probabilities `[…, V]` for LSTM outputs `[…, H]`.
    pub fn log_probs(&self, hidden: &Tensor) -> Tensor {
        let mut shape = hidden.size();
        let flat = hidden.reshape([-1, self.config.hidden_size]);
        *shape.last_mut().expect("hidden has a last dimension") = self.config.vocab_size;
        self.output.log_probs(&flat).reshape(shape)
    }

    /// Total negative log-likelihood in nats (a scalar, float32) of `targets` (`[batch, time]`)
    /// given LSTM outputs `[batch, time, H]`. Divide by the number of targets for the mean.
    pub fn nll_sum(&self, hidden: &Tensor, targets: &Tensor) -> Tensor {
        let flat = hidden.reshape([-1, self.config.hidden_size]);
        -self
            .output
            .target_log_probs(&flat, &targets.reshape([-1]))
            .sum(tch::Kind::Float)
    }

    /// Mean cross-entropy in nats per token of `targets` given LSTM outputs.
    pub fn loss(&self, hidden: &Tensor, targets: &Tensor) -> Tensor {
        self.nll_sum(hidden, targets) / targets.numel() as f64
    }
}
