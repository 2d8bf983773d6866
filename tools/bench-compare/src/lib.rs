//! The side-by-side comparison of jianghu with the Python system it replaces, behind
//! `cargo xtask bench --compare`: it prints a table and xtask writes it, with what bounds each
//! figure, to docs/PERFORMANCE.md.
//!
//! How it measures: the Rust stages run as release processes and the training and generation
//! figures come from the workspace's own criterion benchmarks (their executables run one
//! benchmark at a time in criterion's quick mode; see `criterion`), so that the figures in the
//! doc are those anyone gets from `cargo bench`, not from a second harness. Both take their
//! shapes from `bench_shapes`. The Python reference (`reference/seed.py` in this crate) times
//! the same work at the same shape in the same way: untimed warm-up, then per-iteration times.
//! Every process runs under a small wrapper that records its wall time, CPU time and peak RSS
//! ([`measure`]). Sides alternate which goes first in each repetition; medians of all samples
//! make the table (`report`), and `doc` explains each figure against the bound measured on the
//! machine in the same run.
//!
//! What it needs from its caller comes in [`CompareConfig`]: the workspace to build in, the
//! corpus folder (xtask fetches the default one), the Python interpreters to try and the torch
//! release they must have (xtask's setup knows both), and how to start the measuring wrapper
//! ([`measure::Wrapper`]: the caller's binary runs [`measure::run_wrapper`] when asked). It
//! depends on no xtask code, so xtask can call it without a circle, and on no libtorch.

mod build;
mod compare;
mod cost;
mod criterion;
mod doc;
pub mod machine;
pub mod measure;
mod python;
mod report;

pub use compare::{CompareConfig, Results, run};
pub use doc::render;
