//! The loss and its gradients one block of rows at a time, for a full softmax (or tied) output
//! on the CPU.
//!
//! A step at the `cpu` preset's shape with a full softmax makes logits of 2,240 rows × 5,896
//! tokens: 53 MB, which log-softmax, the loss's backward and the output layer's backward then
//! stream through memory about ten times. Done for blocks of rows whose logits fit in the
//! cache (forward and backward of one block before the next), the same arithmetic runs from
//! cache: the output layer's gradients are summed over the blocks, the LSTM outputs get theirs
//! block by block, and one backward from the LSTM outputs finishes the step. Timed through the
//! same libtorch from Python on this project's 2-core machine, a step at that shape took
//! 0.80–0.93 of the time with blocks of 280–750 rows. With a 46k vocabulary (the seed shape)
//! it took 1.08–1.17 times as long: blocks small enough for the cache make thin matrix products,
//! and every block adds a pass over the 188 MB output-weight gradient. Hence [`chunk_rows`]
//! chunks only where a block of [`MIN_CHUNK_ROWS`] rows fits in [`CHUNK_LOGITS_BYTES`].

use model::{LstmLm, ModelConfig, OutputKind};
use tch::{Device, Kind, Tensor};

/// Logits per block: 8 MiB, a quarter of this machine's 32 MiB L3, leaving room for the output
/// weight and its gradient.
pub const CHUNK_LOGITS_BYTES: i64 = 8 << 20;
/// Fewer rows per block than this and the matrix products lose more than the cache gives.
pub const MIN_CHUNK_ROWS: i64 = 256;

/// Rows per block for a step of `rows` target tokens (as many equal blocks as logits of at most
/// [`CHUNK_LOGITS_BYTES`] need), or `None` when the loss is better taken whole: an adaptive
/// softmax (its logits are small already), a GPU, a vocabulary too large for a block of
/// [`MIN_CHUNK_ROWS`] rows, or a batch that is one block anyway.
pub fn chunk_rows(config: &ModelConfig, rows: i64, device: Device) -> Option<i64> {
    if device != Device::Cpu || !matches!(config.output, OutputKind::Full) {
        return None;
    }
    let per_block = CHUNK_LOGITS_BYTES / (4 * config.vocab_size.max(1));
    if per_block < MIN_CHUNK_ROWS || per_block >= rows {
        return None;
    }
    // Blocks of equal size rather than full ones and a small remainder.
    let blocks = (rows + per_block - 1) / per_block;
    Some((rows + blocks - 1) / blocks)
}

/// The mean cross-entropy of `targets` (`[batch, time]`) given the LSTM outputs `hidden`
/// (`[batch, time, H]`, still attached to the graph), and the gradients of every tensor in
/// `params` (an undefined tensor where the loss does not depend on it), computed over blocks
/// of `chunk_rows` rows. The same values as the loss of [`LstmLm::loss`] and its gradients,
/// up to the order of floating-point sums.
pub fn loss_and_gradients(
    model: &LstmLm,
    params: &[Tensor],
    hidden: &Tensor,
    targets: &Tensor,
    chunk_rows: i64,
) -> (Tensor, Vec<Tensor>) {
    let flat = hidden.reshape([-1, model.config().hidden_size]);
    let targets = targets.reshape([-1]);
    let rows = targets.size()[0];
    let mut grads: Vec<Tensor> = Vec::new();
    let mut hidden_grads = Vec::new();
    let mut losses = Vec::new();
    let mut inputs: Vec<Tensor> = params.iter().map(Tensor::shallow_clone).collect();
    for start in (0..rows).step_by(chunk_rows as usize) {
        let len = chunk_rows.min(rows - start);
        let block = flat.narrow(0, start, len).detach().set_requires_grad(true);
        let loss = model.nll_sum(&block, &targets.narrow(0, start, len)) / rows as f64;
        inputs.push(block);
        let mut block_grads = Tensor::run_backward(&[&loss], &inputs, false, false);
        inputs.pop();
        hidden_grads.push(block_grads.pop().expect("one gradient per input"));
        accumulate(&mut grads, block_grads);
        losses.push(loss.detach());
    }
    // The embedding and the LSTM: back from the outputs with the gradient the blocks gave them,
    // as the root of `sum(outputs · gradient)`.
    let upstream = Tensor::cat(&hidden_grads, 0);
    let surrogate = (flat * upstream).sum(Kind::Float);
    accumulate(
        &mut grads,
        Tensor::run_backward(&[&surrogate], params, false, false),
    );
    (Tensor::stack(&losses, 0).sum(Kind::Float), grads)
}

/// Adds `more` to `sums` gradient by gradient; the first call takes `more` as it is.
fn accumulate(sums: &mut Vec<Tensor>, more: Vec<Tensor>) {
    if sums.is_empty() {
        *sums = more;
        return;
    }
    tch::no_grad(|| {
        for (sum, g) in sums.iter_mut().zip(more) {
            if !g.defined() {
                continue;
            }
            if sum.defined() {
                *sum += g;
            } else {
                *sum = g;
            }
        }
    });
}
