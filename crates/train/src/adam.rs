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
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
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

    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.zero_grad();
        }
    }

    /// Scales the gradients so that their global L2 norm is at most `max_norm`; returns the
    /// norm before clipping.
    pub fn clip_grad_norm(&mut self, max_norm: f64) -> f64 {
        tch::no_grad(|| {
            let grads: Vec<Tensor> = self
                .params
                .iter()
                .map(Tensor::grad)
                .filter(Tensor::defined)
                .collect();
            if grads.is_empty() {
                return 0.0;
            }
            // The norm of the per-tensor norms, without a squared copy of every gradient.
            let norms: Vec<Tensor> = grads.iter().map(Tensor::norm).collect();
            let norm = Tensor::stack(&norms, 0).norm();
            let total = norm.double_value(&[]);
            let coef = max_norm / (total + 1e-6);
            if coef < 1.0 {
                for mut g in grads {
                    let _ = g.g_mul_scalar_(coef);
                }
            }
            total
        })
    }

    /// One Adam update with learning rate `lr`.
    pub fn update(&mut self, lr: f64) {
        self.step += 1;
        let bias1 = 1.0 - BETA1.powi(self.step as i32);
        let bias2 = 1.0 - BETA2.powi(self.step as i32);
        tch::no_grad(|| {
            for ((p, m), v) in self.params.iter_mut().zip(&mut self.m).zip(&mut self.v) {
                let g = p.grad();
                if !g.defined() {
                    continue;
                }
                // In place, as PyTorch's Adam does: two temporaries per parameter, not eight.
                let _ = m.lerp_(&g, 1.0 - BETA1);
                let _ = v.g_mul_scalar_(BETA2).addcmul_(&g, &(&g * (1.0 - BETA2)));
                // p -= lr/bias1 · m / (sqrt(v)/sqrt(bias2) + eps), as one addcdiv with the step
                // size folded into the denominator.
                let mut denom = v.sqrt();
                let _ = denom
                    .g_div_scalar_(bias2.sqrt())
                    .g_add_scalar_(EPS)
                    .g_mul_scalar_(-bias1 / lr);
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
