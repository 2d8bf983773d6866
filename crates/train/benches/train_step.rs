//! One training step (forward, backward, clipping, Adam) on CPU at the `cpu` preset shape
//! (char-level Song ci vocabulary, 5,896) and, when `JIANGHU_BENCH_SEED=1`, at the seed shape
//! with a 46k word vocabulary: full softmax versus adaptive softmax. The shapes are
//! `bench_shapes::TRAIN_SHAPES`, which the comparison with the Python seed uses too.
//! `JIANGHU_BENCH_THREADS=N` pins libtorch's threads.
//!
//! `cargo xtask bench --compare` (`tools/bench-compare`) runs one benchmark of this file at a
//! time (a filter), in criterion's `--quick` mode when asked for a quick comparison, and reads
//! its samples and throughput: so each model is built only when its benchmark is selected (the process's peak
//! RSS is that model's), and one untimed step runs before timing (quick mode has no warm-up,
//! and a first step allocates gradients).

use bench_shapes::{
    ADAPTIVE_DIV_VALUE, DROPOUT, SEED_SHAPE_ENV, THREADS_ENV, TRAIN_SHAPES, TrainShape,
};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use model::{LstmLm, LstmState, ModelConfig, OutputKind};
use std::time::Duration;
use tch::{Device, Kind, Tensor, nn};
use train::adam::Adam;
use train::training::train_step;

/// A model with its optimizer, one fixed batch and the state carried between steps.
struct Learner {
    _vs: nn::VarStore,
    model: LstmLm,
    adam: Adam,
    inputs: Tensor,
    targets: Tensor,
    hidden: LstmState,
}

impl Learner {
    fn new(shape: &TrainShape, output: OutputKind) -> Learner {
        tch::manual_seed(0);
        let m = shape.model;
        let vocab = m.vocab as i64;
        let config = ModelConfig {
            dropout: DROPOUT,
            output,
            ..ModelConfig::new(vocab, m.embed as i64, m.hidden as i64, m.layers as i64)
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LstmLm::new(&vs.root(), &config).unwrap();
        let adam = Adam::new(&vs);
        // Zipf-like ids: small ids are frequent, as tokenize orders them (the comparison's
        // FLOP estimate for the adaptive softmax assumes this law: id = floor(u^4 * V)).
        let (batch, seq) = (shape.batch as i64, shape.seq as i64);
        let uniform = Tensor::rand([batch, seq + 1], (Kind::Float, Device::Cpu));
        let ids = (uniform.pow_tensor_scalar(4.0) * vocab as f64)
            .to_kind(Kind::Int64)
            .clamp(0, vocab - 1);
        let hidden = model.zero_state(batch);
        let mut learner = Learner {
            _vs: vs,
            model,
            adam,
            inputs: ids.narrow(1, 0, seq),
            targets: ids.narrow(1, 1, seq),
            hidden,
        };
        learner.step();
        learner
    }

    fn step(&mut self) -> f64 {
        let (loss, next) = train_step(
            &self.model,
            &mut self.adam,
            &self.inputs,
            &self.targets,
            &self.hidden,
            1e-3,
            0.5,
        );
        self.hidden = next;
        loss
    }
}

fn bench_shape(c: &mut Criterion, shape: &TrainShape) {
    let mut group = c.benchmark_group(shape.group);
    group
        .sample_size(10)
        // Flat, with a quarter second per sample: each sample times one step (two for the
        // adaptive cpu preset), as the Python seed times single steps. Linear sampling would
        // average up to ten steps per sample and carry every stall of a shared machine into
        // the medians.
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_millis(2500))
        .throughput(Throughput::Elements(shape.tokens_per_step()));
    let outputs = [
        ("full", OutputKind::Full),
        (
            "adaptive",
            OutputKind::Adaptive {
                cutoffs: shape.cutoffs.iter().map(|&c| c as i64).collect(),
                div_value: ADAPTIVE_DIV_VALUE,
            },
        ),
    ];
    for (name, output) in outputs {
        // Built on the first call, which criterion makes only when the filter selects it.
        let mut learner = None;
        group.bench_function(name, |b| {
            let learner = learner.get_or_insert_with(|| Learner::new(shape, output.clone()));
            b.iter(|| learner.step())
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    // Pins libtorch's CPU threads (compare with PyTorch at the same N).
    if let Some(n) = std::env::var(THREADS_ENV).ok().and_then(|n| n.parse().ok()) {
        tch::set_num_threads(n);
    }
    let seed_shape = std::env::var(SEED_SHAPE_ENV).is_ok_and(|v| v == "1");
    for shape in TRAIN_SHAPES
        .iter()
        .filter(|s| seed_shape || !s.needs_seed_env)
    {
        bench_shape(c, shape);
    }
}

criterion_group!(train_step_benches, benches);
criterion_main!(train_step_benches);
