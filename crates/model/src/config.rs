//! [`ModelConfig`]: the shape of a model, serialised into the train artifact (`config.json`) so
//! that `generate` rebuilds the identical model.

use crate::error::ModelError;
use serde::{Deserialize, Serialize};

/// Which layer turns LSTM outputs into a distribution over the vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutputKind {
    /// Linear(H, V) (or the tied embedding) followed by a softmax over the whole vocabulary.
    #[default]
    Full,
    /// Adaptive softmax (Grave et al. 2017): the ids below `cutoffs[0]` (the most frequent,
    /// since tokenize orders ids by count) plus one entry per cluster in the head; cluster `i`
    /// holds ids `cutoffs[i]..cutoffs[i + 1]` (the last one up to V) behind a projection of
    /// size `H / div_value^(i + 1)`.
    Adaptive { cutoffs: Vec<i64>, div_value: f64 },
}

/// The shape of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub vocab_size: i64,
    pub embed_dim: i64,
    pub hidden_size: i64,
    pub num_layers: i64,
    /// Dropout after the embedding, between LSTM layers and before the output layer.
    pub dropout: f64,
    /// Share the embedding matrix with the output layer (full softmax only); when
    /// `hidden_size != embed_dim` a projection H → E comes first.
    #[serde(default)]
    pub tie_weights: bool,
    #[serde(default)]
    pub output: OutputKind,
    /// Locked dropout, embedding dropout and weight drop (training only; none by default).
    #[serde(default, skip_serializing_if = "Regularisation::is_none")]
    pub regularisation: Regularisation,
}

impl ModelConfig {
    /// A full-softmax model without tying.
    pub fn new(vocab_size: i64, embed_dim: i64, hidden_size: i64, num_layers: i64) -> Self {
        Self {
            vocab_size,
            embed_dim,
            hidden_size,
            num_layers,
            dropout: 0.0,
            tie_weights: false,
            output: OutputKind::Full,
            regularisation: Regularisation::default(),
        }
    }

    /// Checks every size and option; the messages name the parameter.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |m: String| Err(ModelError::Config(m));
        for (name, value) in [
            ("vocab size", self.vocab_size),
            ("embedding size", self.embed_dim),
            ("hidden size", self.hidden_size),
            ("number of layers", self.num_layers),
        ] {
            if value < 1 {
                return bad(format!("{name} {value}: must be at least 1"));
            }
        }
        let r = &self.regularisation;
        for (name, p) in [
            ("dropout", self.dropout),
            ("embedding dropout", r.embed_dropout),
            ("weight drop", r.weight_drop),
        ] {
            if !(0.0..1.0).contains(&p) {
                return bad(format!("{name} {p}: must be in [0, 1)"));
            }
        }
        if let OutputKind::Adaptive { cutoffs, div_value } = &self.output {
            if self.tie_weights {
                return bad("weight tying works with the full softmax only, not adaptive".into());
            }
            if cutoffs.is_empty() {
                return bad("adaptive softmax needs at least one cutoff".into());
            }
            let mut previous = 0;
            for &c in cutoffs {
                if c <= previous {
                    return bad(format!(
                        "adaptive cutoffs {cutoffs:?}: must increase strictly and start above 0"
                    ));
                }
                previous = c;
            }
            // A check of its own, since the orchestrator checks the rest before the vocabulary
            // is known.
            if previous >= self.vocab_size {
                return bad(format!(
                    "adaptive cutoffs {cutoffs:?}: must stay below the vocab size {}",
                    self.vocab_size
                ));
            }
            if *div_value < 1.0 {
                return bad(format!(
                    "adaptive div_value {div_value}: must be at least 1"
                ));
            }
        }
        Ok(())
    }

    /// The number of trainable parameters this config gives.
    pub fn parameter_count(&self) -> i64 {
        let (v, e, h) = (self.vocab_size, self.embed_dim, self.hidden_size);
        let mut n = v * e;
        for layer in 0..self.num_layers {
            let input = if layer == 0 { e } else { h };
            n += 4 * h * (input + h) + 8 * h;
        }
        n += match &self.output {
            OutputKind::Full if self.tie_weights => v + if h != e { h * e } else { 0 },
            OutputKind::Full => h * v + v,
            OutputKind::Adaptive { cutoffs, div_value } => {
                let clusters = cutoffs.len() as i64;
                let mut n = h * (cutoffs[0] + clusters);
                let mut bounds = cutoffs.clone();
                bounds.push(v);
                for i in 0..cutoffs.len() {
                    let dim = cluster_dim(h, *div_value, i);
                    n += h * dim + dim * (bounds[i + 1] - bounds[i]);
                }
                n
            }
        };
        n
    }
}

/// What regularises the model besides plain dropout. The default is none of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Regularisation {
    /// Draw the dropout masks after the embedding, between layers and before the output once
    /// per sequence of a batch and share them across its time steps (variational or locked
    /// dropout, Gal & Ghahramani 2016) instead of one per position. Between layers this runs
    /// the LSTM one layer at a time.
    #[serde(default)]
    pub locked: bool,
    /// Probability of dropping a whole row of the embedding matrix, that is every occurrence of
    /// a token in the batch, in [0, 1).
    #[serde(default)]
    pub embed_dropout: f64,
    /// Probability of zeroing each weight of the hidden-to-hidden matrices (DropConnect), one
    /// mask per batch shared by every time step, in [0, 1).
    #[serde(default)]
    pub weight_drop: f64,
}

impl Regularisation {
    /// Whether nothing is switched on (the artifact's `config.json` then leaves it out, so
    /// that the ids of earlier train artifacts stay the same).
    pub fn is_none(&self) -> bool {
        *self == Regularisation::default()
    }
}

/// Projection size of cluster `i` (0-based) for hidden size `h`: at least 1.
pub fn cluster_dim(hidden: i64, div_value: f64, cluster: usize) -> i64 {
    ((hidden as f64 / div_value.powi(cluster as i32 + 1)).floor() as i64).max(1)
}
