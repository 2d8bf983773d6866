//! The output layer: LSTM outputs `[N, H]` to log-probabilities over the vocabulary, as a full
//! softmax (own weights or tied to the embedding) or an [`AdaptiveSoftmax`].

use crate::adaptive::AdaptiveSoftmax;
use crate::config::{ModelConfig, OutputKind};
use tch::{Kind, Tensor, nn};

/// Variables live under `output.` (`output.weight`, `output.bias`; tied: `output.projection.weight`
/// when H ≠ E and `output.bias`; adaptive: `output.head.weight`, `output.tail.<i>.<0|1>.weight`).
#[derive(Debug)]
pub enum OutputLayer {
    Full(nn::Linear),
    /// The embedding matrix `[V, E]` is the output weight.
    Tied {
        projection: Option<nn::Linear>,
        embedding: Tensor,
        bias: Tensor,
    },
    Adaptive(AdaptiveSoftmax),
}

impl OutputLayer {
    /// Creates the variables under `vs`; `embedding` is the embedding matrix (for tying).
    pub fn new(vs: &nn::Path, config: &ModelConfig, embedding: &Tensor) -> OutputLayer {
        let (v, e, h) = (config.vocab_size, config.embed_dim, config.hidden_size);
        match &config.output {
            OutputKind::Full if config.tie_weights => {
                let projection = (h != e).then(|| {
                    let no_bias = nn::LinearConfig {
                        bias: false,
                        ..Default::default()
                    };
                    nn::linear(vs / "projection", h, e, no_bias)
                });
                let bound = 1.0 / (e as f64).sqrt();
                let bias = vs.var(
                    "bias",
                    &[v],
                    nn::Init::Uniform {
                        lo: -bound,
                        up: bound,
                    },
                );
                OutputLayer::Tied {
                    projection,
                    embedding: embedding.shallow_clone(),
                    bias,
                }
            }
            OutputKind::Full => OutputLayer::Full(nn::linear(vs, h, v, Default::default())),
            OutputKind::Adaptive { cutoffs, div_value } => {
                OutputLayer::Adaptive(AdaptiveSoftmax::new(vs, h, v, cutoffs, *div_value))
            }
        }
    }

    /// Unnormalised scores `[N, V]` (full softmax only; `None` for adaptive).
    pub fn logits(&self, hidden: &Tensor) -> Option<Tensor> {
        match self {
            OutputLayer::Full(linear) => Some(hidden.apply(linear)),
            OutputLayer::Tied {
                projection,
                embedding,
                bias,
            } => {
                let projected = match projection {
                    Some(p) => hidden.apply(p),
                    None => hidden.shallow_clone(),
                };
                Some(projected.linear(embedding, Some(bias)))
            }
            OutputLayer::Adaptive(_) => None,
        }
    }

    /// Log-probabilities `[N, V]` (float32).
    pub fn log_probs(&self, hidden: &Tensor) -> Tensor {
        match self {
            OutputLayer::Adaptive(a) => a.log_probs(hidden),
            _ => self
                .logits(hidden)
                .expect("full softmax has logits")
                .log_softmax(-1, Kind::Float),
        }
    }

    /// Log-probability of each target `[N]` (float32).
    pub fn target_log_probs(&self, hidden: &Tensor, targets: &Tensor) -> Tensor {
        match self {
            OutputLayer::Adaptive(a) => a.target_log_probs(hidden, targets),
            _ => self
                .log_probs(hidden)
                .gather(1, &targets.unsqueeze(1), false)
                .squeeze_dim(1),
        }
    }
}
