//! Adam with global gradient-norm clipping, written in tensor code so that its moments can be
//! saved and restored (tch's optimizer keeps them inside libtorch): an exact resume needs them.
//! Same update as `torch.optim.Adam` (β = 0.9, 0.999, ε = 1e-8, no weight decay).

use std::collections::HashMap;
use tch::{Tensor, nn};

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// The optimizer state: the step count and both moments of every trainable variable, keyed by
/// variable name.
#[derive(Debug)]
pub struct Adam {
    names: Vec<String>,
    params: Vec<Tensor>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub step: i64,
}

impl Adam {
    /// Zero moments for the trainable variables of `vs`, ordered by name.
    pub fn new(vs: &nn::VarStore) -> Adam {
        let mut vars: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let (names, params): (Vec<_>, Vec<_>) = vars.into_iter().unzip();
        let m = params.iter().map(Tensor::zeros_like).collect();
        let v = params.iter().map(Tensor::zeros_like).collect();
        Adam {
            names,
            params,
            m,
            v,
            step: 0,
        }
    }

    /// The trainable variables, in the optimizer's order.
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }

    /// The gradients of `loss` with respect to every variable, in the optimizer's order (an
    /// undefined tensor for a variable that `loss` does not depend on). They are fresh tensors,
    /// not accumulated into `.grad()`: no zeroing pass and no accumulating pass per step, as
    /// PyTorch's `zero_grad(set_to_none=True)` achieves.
    pub fn gradients(&self, loss: &Tensor) -> Vec<Tensor> {
        Tensor::run_backward(&[loss], &self.params, false, false)
    }

    /// Scales `grads` so that their global L2 norm is at most `max_norm`; returns the norm
    /// before clipping.
    pub fn clip_grad_norm(grads: &mut [Tensor], max_norm: f64) -> f64 {
        tch::no_grad(|| {
            // The norm of the per-tensor norms, without a squared copy of every gradient.
            let norms: Vec<Tensor> = grads
                .iter()
                .filter(|g| g.defined())
                .map(Tensor::norm)
                .collect();
            if norms.is_empty() {
                return 0.0;
            }
            let total = Tensor::stack(&norms, 0).norm().double_value(&[]);
            let coef = max_norm / (total + 1e-6);
            if coef < 1.0 {
                for g in grads.iter_mut().filter(|g| g.defined()) {
                    let _ = g.g_mul_scalar_(coef);
                }
            }
            total
        })
    }

    /// One Adam update with learning rate `lr` from `grads` (as [`Adam::gradients`] returns
    /// them); a variable without a gradient is left alone, moments included.
    pub fn update(&mut self, grads: &[Tensor], lr: f64) {
        assert_eq!(grads.len(), self.params.len(), "one gradient per variable");
        self.step += 1;
        let bias1 = 1.0 - BETA1.powi(self.step as i32);
        let bias2 = 1.0 - BETA2.powi(self.step as i32);
        // p -= lr/bias1 · m / (sqrt(v)/sqrt(bias2) + eps) is one addcdiv with the step size
        // folded into the denominator: sqrt(v)·scale + shift.
        let scale = -bias1 / (lr * bias2.sqrt());
        let shift = -bias1 * EPS / lr;
        tch::no_grad(|| {
            for (((p, m), v), g) in self
                .params
                .iter_mut()
                .zip(&mut self.m)
                .zip(&mut self.v)
                .zip(grads)
            {
                if !g.defined() {
                    continue;
                }
                // In place, as PyTorch's Adam does; v's update as a lerp towards g² (the same
                // β2·v + (1-β2)·g²) takes one temporary and two passes.
                let _ = m.lerp_(g, 1.0 - BETA1);
                let _ = v.lerp_(&g.square(), 1.0 - BETA2);
                let mut denom = v.sqrt();
                let _ = denom.g_mul_scalar_(scale).g_add_scalar_(shift);
                let _ = p.addcdiv_(&*m, &denom);
            }
        });
    }

    /// The moments as named tensors (`m.<var>`, `v.<var>`) for a safetensors file.
    pub fn moments(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (name, (m, v)) in self.names.iter().zip(self.m.iter().zip(&self.v)) {
            out.push((format!("m.{name}"), m.shallow_clone()));
            out.push((format!("v.{name}"), v.shallow_clone()));
        }
        out
    }

    /// Restores the moments from named tensors; fails naming a missing variable.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, step: i64) -> Result<(), String> {
        tch::no_grad(|| {
            for (name, (m, v)) in self.names.iter().zip(self.m.iter_mut().zip(&mut self.v)) {
                for (prefix, dst) in [("m", &mut *m), ("v", &mut *v)] {
                    let key = format!("{prefix}.{name}");
                    let src = tensors
                        .get(&key)
                        .ok_or_else(|| format!("optimizer moment `{key}` is missing"))?;
                    if src.size() != dst.size() {
                        return Err(format!("optimizer moment `{key}` has another shape"));
                    }
                    dst.copy_(src);
                }
            }
            Ok(())
        })?;
        self.step = step;
        Ok(())
    }
}
