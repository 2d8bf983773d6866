//! Regularisation used while training, none of it in evaluation or generation: the masks of
//! [`Regularisation`](crate::Regularisation) (locked dropout, embedding dropout, weight drop),
//! as in AWD-LSTM (Merity et al. 2017). They are for runs that see many epochs of a small
//! corpus (a GPU run of the seed shape); at the cpu preset's 8 minutes even dropout above 0.1
//! hurt, so they were not searched there (docs/RECIPE.md).

use tch::{Kind, Tensor};

/// Zeroes each element of `x` with probability `p` and scales the rest by `1 / (1 − p)`; with
/// `locked`, one mask per sequence (dimension 0) and feature (the last dimension) is shared by
/// every time step (dimension 1 of `[batch, time, features]`).
pub fn dropout(x: &Tensor, p: f64, train: bool, locked: bool) -> Tensor {
    if !train || p == 0.0 {
        return x.shallow_clone();
    }
    if !locked {
        return x.dropout(p, true);
    }
    let size = x.size();
    let mask = keep_mask(&[size[0], 1, size[2]], p, x);
    x * mask
}

/// `weight` with each row (one token's embedding) zeroed with probability `p` and the others
/// scaled by `1 / (1 − p)`.
pub fn drop_rows(weight: &Tensor, p: f64) -> Tensor {
    weight * keep_mask(&[weight.size()[0], 1], p, weight)
}

/// A mask of `shape` whose elements are `1 / (1 − p)` with probability `1 − p` and 0
/// otherwise, of `like`'s kind and device.
fn keep_mask(shape: &[i64], p: f64, like: &Tensor) -> Tensor {
    Tensor::empty(shape, (Kind::Float, like.device()))
        .bernoulli_float_(1.0 - p)
        .to_kind(like.kind())
        / (1.0 - p)
}
