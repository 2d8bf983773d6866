//! The shapes the criterion benchmarks run at, written once: `crates/train/benches/train_step.rs`
//! and `crates/generate/benches/decode.rs` build their models from them, and the comparison
//! with the Python seed (`tools/bench-compare`) gives the seed the same shapes, selects the
//! benchmarks by their group names and counts each shape's FLOPs.
//!
//! A crate of its own without dependencies, so that the benchmarks (which link libtorch) and the
//! comparison (which must not: xtask calls it and builds before libtorch exists) can both use it.

/// Pins libtorch's CPU threads in a benchmark (`N`), so that both sides of the comparison use as
/// many.
pub const THREADS_ENV: &str = "JIANGHU_BENCH_THREADS";
/// `1` adds the seed-shape training benchmark, whose steps take seconds.
pub const SEED_SHAPE_ENV: &str = "JIANGHU_BENCH_SEED";

/// The shape of an LSTM language model (fp32).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelShape {
    pub vocab: u64,
    pub embed: u64,
    pub hidden: u64,
    pub layers: u64,
}

/// The seed's model at a 46k-word vocabulary: the decode benchmark's shape and the larger
/// training shape.
pub const SEED_MODEL: ModelShape = ModelShape {
    vocab: 46_000,
    embed: 256,
    hidden: 1024,
    layers: 3,
};

/// Dropout of the trained models (the seed's).
pub const DROPOUT: f64 = 0.2;
/// `div_value` of the adaptive softmax the training benchmark compares with the full one.
pub const ADAPTIVE_DIV_VALUE: f64 = 4.0;

/// One training benchmark: a group of two functions, `full` and `adaptive` (softmax).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainShape {
    /// The criterion group.
    pub group: &'static str,
    /// How the comparison's table names it.
    pub label: &'static str,
    pub model: ModelShape,
    pub batch: u64,
    pub seq: u64,
    /// The adaptive softmax's cluster boundaries.
    pub cutoffs: &'static [u64],
    /// Runs only with [`SEED_SHAPE_ENV`]`=1`.
    pub needs_seed_env: bool,
}

impl TrainShape {
    /// Tokens one step trains on (the benchmark's declared throughput).
    pub fn tokens_per_step(&self) -> u64 {
        self.batch * self.seq
    }
}

/// The training benchmarks: the `cpu` preset's model on the char-level Song ci vocabulary at
/// batch 64 (the preset's batch until it moved to 32; docs/PERFORMANCE.md's figures were
/// measured at 64), and the seed model at its batch and sequence length.
pub const TRAIN_SHAPES: [TrainShape; 2] = [
    TrainShape {
        group: "cpu_preset_v5896",
        label: "cpu preset",
        model: ModelShape {
            vocab: 5896,
            embed: 128,
            hidden: 256,
            layers: 2,
        },
        batch: 64,
        seq: 35,
        cutoffs: &[500, 2000],
        needs_seed_env: false,
    },
    TrainShape {
        group: "seed_shape_v46000",
        label: "seed shape",
        model: SEED_MODEL,
        batch: 50,
        seq: 30,
        cutoffs: &[2000, 10_000],
        needs_seed_env: true,
    },
];

/// The decoding benchmark: [`SEED_MODEL`] with a full softmax, a two-token prompt, then
/// [`DECODE_TOKENS`] tokens per iteration, at each batch size of [`DECODE_BATCHES`].
pub const DECODE_MODEL: ModelShape = SEED_MODEL;
pub const DECODE_TOKENS: u64 = 16;
pub const DECODE_BATCHES: [u64; 2] = [1, 32];

/// The decode benchmark's group for a model of `vocab` and `hidden` (the benchmark lets the
/// environment shrink both).
pub fn decode_group(vocab: u64, hidden: u64) -> String {
    format!("decode_v{vocab}_h{hidden}_l{}", DECODE_MODEL.layers)
}

/// The decode benchmark's function at batch size `batch`.
pub fn decode_function(batch: u64) -> String {
    format!("batch_{batch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_shape_decode_group_keeps_its_published_name() {
        // docs/PERFORMANCE.md and earlier criterion baselines name the group so.
        assert_eq!(
            decode_group(DECODE_MODEL.vocab, DECODE_MODEL.hidden),
            "decode_v46000_h1024_l3"
        );
        assert_eq!(decode_function(32), "batch_32");
    }

    #[test]
    fn every_training_shape_has_a_distinct_group_and_cutoffs_inside_its_vocabulary() {
        assert_ne!(TRAIN_SHAPES[0].group, TRAIN_SHAPES[1].group);
        for shape in &TRAIN_SHAPES {
            assert!(shape.cutoffs.windows(2).all(|w| w[0] < w[1]), "{shape:?}");
            assert!(
                shape.cutoffs.iter().all(|&c| c < shape.model.vocab),
                "{shape:?}"
            );
        }
        assert_eq!(TRAIN_SHAPES[0].tokens_per_step(), 64 * 35);
    }
}
