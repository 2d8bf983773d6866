//! Adaptive softmax (Grave et al. 2017, "Efficient softmax approximation for GPUs"), laid out
//! like PyTorch's `AdaptiveLogSoftmaxWithLoss` (`head.weight`, `tail.<i>.0.weight`,
//! `tail.<i>.1.weight`, no biases).
//!
//! Ids are frequency-ordered (tokenize sorts by count), so the head scores the shortlist
//! `0..cutoffs[0]` plus one logit per cluster; a token of cluster `i` costs the head plus a
//! projection to `H / div_value^(i + 1)` dims and a softmax over that cluster only. Training
//! computes a cluster's tail only for the positions whose target falls in it.

use crate::config::cluster_dim;
use tch::{Kind, Tensor, nn};

/// The head and one two-layer tail per cluster.
#[derive(Debug)]
pub struct AdaptiveSoftmax {
    head: nn::Linear,
    tails: Vec<(nn::Linear, nn::Linear)>,
    /// `0, cutoffs…, V`.
    bounds: Vec<i64>,
}

impl AdaptiveSoftmax {
    /// Creates the variables under `vs` (config already validated).
    pub fn new(
        vs: &nn::Path,
        hidden: i64,
        vocab: i64,
        cutoffs: &[i64],
        div_value: f64,
    ) -> AdaptiveSoftmax {
        let no_bias = nn::LinearConfig {
            bias: false,
            ..Default::default()
        };
        let shortlist = cutoffs[0];
        let head = nn::linear(
            vs / "head",
            hidden,
            shortlist + cutoffs.len() as i64,
            no_bias,
        );
        let mut bounds = vec![0];
        bounds.extend_from_slice(cutoffs);
        bounds.push(vocab);
        let tails = (0..cutoffs.len())
            .map(|i| {
                let dim = cluster_dim(hidden, div_value, i);
                let size = bounds[i + 2] - bounds[i + 1];
                let tail = vs / "tail" / i;
                (
                    nn::linear(&tail / 0, hidden, dim, no_bias),
                    nn::linear(&tail / 1, dim, size, no_bias),
                )
            })
            .collect();
        AdaptiveSoftmax {
            head,
            tails,
            bounds,
        }
    }

    /// Log-probabilities over the whole vocabulary for `hidden` `[N, H]`: `[N, V]`.
    pub fn log_probs(&self, hidden: &Tensor) -> Tensor {
        let head = hidden.apply(&self.head).log_softmax(-1, Kind::Float);
        let shortlist = self.bounds[1];
        let mut parts = vec![head.narrow(1, 0, shortlist)];
        for (i, (proj, out)) in self.tails.iter().enumerate() {
            let cluster = hidden.apply(proj).apply(out).log_softmax(-1, Kind::Float);
            parts.push(cluster + head.narrow(1, shortlist + i as i64, 1));
        }
        Tensor::cat(&parts, 1)
    }

    /// Log-probability of each target (`[N]`, int64) given `hidden` `[N, H]`: `[N]`.
    pub fn target_log_probs(&self, hidden: &Tensor, targets: &Tensor) -> Tensor {
        let head = hidden.apply(&self.head).log_softmax(-1, Kind::Float);
        let shortlist = self.bounds[1];
        let mut head_targets = targets.copy();
        let mut tail = Tensor::zeros([targets.size()[0]], (Kind::Float, hidden.device()));
        for (i, (proj, out)) in self.tails.iter().enumerate() {
            let (lo, hi) = (self.bounds[i + 1], self.bounds[i + 2]);
            let rows = targets.ge(lo).logical_and(&targets.lt(hi)).nonzero();
            if rows.size()[0] == 0 {
                continue;
            }
            let rows = rows.squeeze_dim(1);
            let _ = head_targets.index_fill_(0, &rows, shortlist + i as i64);
            let relative = targets.index_select(0, &rows) - lo;
            let cluster = hidden
                .index_select(0, &rows)
                .apply(proj)
                .apply(out)
                .log_softmax(-1, Kind::Float)
                .gather(1, &relative.unsqueeze(1), false)
                .squeeze_dim(1);
            tail = tail.index_add(0, &rows, &cluster);
        }
        head.gather(1, &head_targets.unsqueeze(1), false)
            .squeeze_dim(1)
            + tail
    }
}
