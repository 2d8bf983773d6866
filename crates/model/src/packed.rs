//! [`PackedWeights`]: a second copy of the decoding matrices in oneDNN's own layout, for
//! decoding many sequences at once on the CPU.
//!
//! A decoding step multiplies a few rows (one per sequence) by every weight matrix. MKL's
//! `sgemm` copies (packs) the whole weight into its blocked layout on every call, which at the
//! seed shape costs more than the arithmetic once the batch is large; oneDNN's inner product
//! takes a weight reordered once. At batch 1 the product is a matrix-vector product that MKL
//! does well and oneDNN slowly, so the packed path is only for batches of at least
//! [`PACKED_MIN_BATCH`] (timed through the same libtorch from Python on the 2-core EPYC, one
//! step at the seed shape: 37 ms packed against 59 ms through `lstm_cell` at batch 32; at
//! batches 1 to 24 the packed path was the slower one). Both paths compute the same function;
//! they differ by float rounding.

use crate::lm::{LstmLm, LstmState};
use crate::output::OutputLayer;
use tch::{Device, Kind, Tensor};

/// The smallest batch for which decoding goes through [`PackedWeights`].
pub const PACKED_MIN_BATCH: usize = 32;

/// The LSTM gate weights (per layer `[W_ih | W_hh]`, `[4H, I + H]`, with `b_ih + b_hh`) and a
/// full softmax's output weight and bias, as oneDNN tensors. Built by [`LstmLm::packed`].
#[derive(Debug)]
pub struct PackedWeights {
    gates: Vec<(Tensor, Tensor)>,
    output: Option<(Tensor, Tensor)>,
}

impl LstmLm {
    /// The packed copy of the decoding weights, made on the first call and kept (memory: as
    /// much again as those weights; later changes to the weights do not reach it, so it is for
    /// inference only), or `None` where it does not apply: weights not on the CPU, or a
    /// libtorch without oneDNN.
    pub fn packed(&self) -> Option<&PackedWeights> {
        self.packed_cell().get_or_init(|| self.pack()).as_ref()
    }

    fn pack(&self) -> Option<PackedWeights> {
        let weights = self.lstm_weights();
        if weights[0].device() != Device::Cpu {
            return None;
        }
        let _guard = tch::no_grad_guard();
        let mkldnn = |t: &Tensor| t.contiguous().f_to_mkldnn(Kind::Float).ok();
        let mut gates = Vec::new();
        for w in weights.chunks(4) {
            let matrix = Tensor::cat(&[&w[0], &w[1]], 1);
            gates.push((mkldnn(&matrix)?, mkldnn(&(&w[2] + &w[3]))?));
        }
        let output = match self.output_layer() {
            OutputLayer::Full(linear) => {
                let bias = linear.bs.as_ref()?;
                Some((mkldnn(&linear.ws)?, mkldnn(bias)?))
            }
            _ => None,
        };
        Some(PackedWeights { gates, output })
    }

    /// [`LstmLm::step`] through `packed`: the LSTM output (`[batch, H]`) and the new state.
    pub fn step_packed(
        &self,
        packed: &PackedWeights,
        tokens: &Tensor,
        state: &LstmState,
    ) -> (Tensor, LstmState) {
        let _guard = tch::no_grad_guard();
        self.step_layers(tokens, state, |layer, input, h0, c0| {
            let (weight, bias) = &packed.gates[layer];
            let gates = Tensor::cat(&[input, h0], 1)
                .g_to_mkldnn(Kind::Float)
                .mkldnn_linear(weight, Some(bias))
                .to_dense(Kind::Float, false);
            // PyTorch's gate order: input, forget, cell, output.
            let chunks = gates.chunk(4, 1);
            let (i, f, g, o) = (
                chunks[0].sigmoid(),
                chunks[1].sigmoid(),
                chunks[2].tanh(),
                chunks[3].sigmoid(),
            );
            let c = f * c0 + i * g;
            let h = o * c.tanh();
            (h, c)
        })
    }

    /// [`LstmLm::log_probs`] for `[batch, H]` LSTM outputs through `packed` (the plain path for
    /// outputs that are not a full softmax).
    pub fn log_probs_packed(&self, packed: &PackedWeights, hidden: &Tensor) -> Tensor {
        match &packed.output {
            Some((weight, bias)) => {
                let _guard = tch::no_grad_guard();
                hidden
                    .contiguous()
                    .g_to_mkldnn(Kind::Float)
                    .mkldnn_linear(weight, Some(bias))
                    .to_dense(Kind::Float, false)
                    .log_softmax(-1, Kind::Float)
            }
            None => self.log_probs(hidden),
        }
    }
}
