//! What one token costs the model, counted from its shape: the matrix-multiply FLOPs of a
//! training step and the weight bytes a batch-1 decoding step must read. With the machine's
//! measured matmul rate and memory bandwidth these give the bound each figure is held against.
//!
//! Only matrix multiplies are counted (2 FLOPs per multiply-add); gate nonlinearities,
//! softmax and Adam are elementwise and orders of magnitude smaller at these shapes. A
//! training step costs three forward passes (the backward pass multiplies by each weight twice:
//! for the input gradient and the weight gradient).

use bench_shapes::{ADAPTIVE_DIV_VALUE, ModelShape, TrainShape};

/// The output layer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Output {
    Full,
    /// Adaptive softmax with these cluster boundaries and `div_value` (as `crates/model`).
    Adaptive {
        cutoffs: Vec<u64>,
        div_value: f64,
    },
}

impl Output {
    /// The adaptive softmax the training benchmark gives `shape`.
    pub(crate) fn adaptive(shape: &TrainShape) -> Output {
        Output::Adaptive {
            cutoffs: shape.cutoffs.to_vec(),
            div_value: ADAPTIVE_DIV_VALUE,
        }
    }
}

/// What a model shape costs per token.
pub(crate) trait Cost {
    /// Matrix FLOPs of one training step per token.
    fn training_flops_per_token(&self, output: &Output) -> f64;
    /// Matrix FLOPs of one decoding step per sequence (full softmax over every id).
    fn decoding_flops_per_token(&self) -> f64;
    /// Bytes of fp32 weights one decoding step reads (every LSTM and output weight and bias;
    /// the embedding contributes one row).
    fn decoding_weight_bytes(&self) -> f64;
}

impl Cost for ModelShape {
    fn training_flops_per_token(&self, output: &Output) -> f64 {
        3.0 * 2.0 * (lstm_macs(self) + output_macs(self, output))
    }

    fn decoding_flops_per_token(&self) -> f64 {
        2.0 * (lstm_macs(self) + output_macs(self, &Output::Full))
    }

    fn decoding_weight_bytes(&self) -> f64 {
        let lstm_biases = (8 * self.hidden * self.layers) as f64;
        let output = (self.hidden * self.vocab + self.vocab) as f64;
        4.0 * (lstm_macs(self) + lstm_biases + output + self.embed as f64)
    }
}

/// Multiply-adds of the LSTM layers for one token (input and recurrent weights).
fn lstm_macs(m: &ModelShape) -> f64 {
    (0..m.layers)
        .map(|layer| {
            let input = if layer == 0 { m.embed } else { m.hidden };
            (4 * m.hidden * (input + m.hidden)) as f64
        })
        .sum()
}

/// Multiply-adds of the output layer for one token whose target follows the benchmark's id law
/// (see [`below`]).
fn output_macs(m: &ModelShape, output: &Output) -> f64 {
    let h = m.hidden as f64;
    match output {
        Output::Full => h * m.vocab as f64,
        Output::Adaptive { cutoffs, div_value } => {
            let mut macs = h * (cutoffs[0] + cutoffs.len() as u64) as f64;
            let mut bounds = cutoffs.clone();
            bounds.push(m.vocab);
            for (i, pair) in bounds.windows(2).enumerate() {
                // Cluster i is computed only for the positions whose target falls in it.
                let dim = (h / div_value.powi(i as i32 + 1)).floor().max(1.0);
                let share = below(pair[1], m.vocab) - below(pair[0], m.vocab);
                macs += share * (h * dim + dim * (pair[1] - pair[0]) as f64);
            }
            macs
        }
    }
}

/// The share of targets with an id below `cutoff` when ids are drawn as `floor(u^4 * V)` for
/// uniform `u` (the benchmarks' Zipf-like law): P(u^4 < c/V) = (c/V)^(1/4).
fn below(cutoff: u64, vocab: u64) -> f64 {
    (cutoff as f64 / vocab as f64).min(1.0).powf(0.25)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ModelShape {
        ModelShape {
            vocab: 16,
            embed: 2,
            hidden: 4,
            layers: 2,
        }
    }

    #[test]
    fn counts_lstm_and_full_output_multiplies() {
        // LSTM: 4*4*(2+4) + 4*4*(4+4) = 96 + 128 = 224; output 4*16 = 64.
        let shape = tiny();
        assert_eq!(shape.decoding_flops_per_token(), 2.0 * 288.0);
        assert_eq!(shape.training_flops_per_token(&Output::Full), 6.0 * 288.0);
        // Weights: LSTM 224, biases 8*4*2 = 64, output 64 + 16, one embedding row 2.
        assert_eq!(
            shape.decoding_weight_bytes(),
            4.0 * (224.0 + 64.0 + 80.0 + 2.0)
        );
    }

    #[test]
    fn adaptive_output_weights_each_cluster_by_the_share_of_its_targets() {
        // Cutoffs [1] of V 16: head 4*(1+1) = 8; the one cluster (ids 1..16, dim 4/4 = 1)
        // holds 1 - (1/16)^(1/4) = 1/2 of the targets and costs 4*1 + 1*15 = 19.
        let adaptive = Output::Adaptive {
            cutoffs: vec![1],
            div_value: 4.0,
        };
        let flops = tiny().training_flops_per_token(&adaptive);
        assert_eq!(flops, 6.0 * (224.0 + 8.0 + 0.5 * 19.0));
        assert!(flops < tiny().training_flops_per_token(&Output::Full));
    }

    #[test]
    fn the_id_law_puts_every_target_below_the_vocabulary() {
        assert_eq!(below(16, 16), 1.0);
        assert_eq!(below(1, 16), 0.5);
        assert_eq!(below(0, 16), 0.0);
    }
}
