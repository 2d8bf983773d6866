//! One training step (forward, backward, clipping, Adam) on CPU at the `cpu` preset shape
//! (char-level Song ci vocabulary, 5,896) and, when `JIANGHU_BENCH_SEED=1`, at the seed shape
//! with a 46k word vocabulary: full softmax versus adaptive softmax.
//! `JIANGHU_BENCH_THREADS=N` pins libtorch's threads.
//!
//! `cargo xtask bench --compare` runs one benchmark of this file at a time (a filter), in
//! criterion's `--quick` mode when asked for a quick comparison, and reads its samples and
//! throughput: so each model is built only when its benchmark is selected (the process's peak
//! RSS is that model's), and one untimed step runs before timing (quick mode has no warm-up,
//! and a first step allocates gradients).

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use model::{LstmLm, LstmState, ModelConfig, OutputKind};
use std::time::Duration;
use tch::{Device, Kind, Tensor, nn};
use train::adam::Adam;
use train::training::train_step;

struct Shape {
    name: &'static str,
    vocab: i64,
    embed: i64,
    hidden: i64,
    layers: i64,
    batch: i64,
    seq: i64,
    cutoffs: Vec<i64>,
}

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
    fn new(shape: &Shape, output: OutputKind) -> Learner {
        tch::manual_seed(0);
        let config = ModelConfig {
            dropout: 0.2,
            output,
            ..ModelConfig::new(shape.vocab, shape.embed, shape.hidden, shape.layers)
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LstmLm::new(&vs.root(), &config).unwrap();
        let adam = Adam::new(&vs);
        // Zipf-like ids: small ids are frequent, as tokenize orders them (xtask's FLOP
        // estimate for the adaptive softmax assumes this law: id = floor(u^4 * V)).
        let uniform = Tensor::rand([shape.batch, shape.seq + 1], (Kind::Float, Device::Cpu));
        let ids = (uniform.pow_tensor_scalar(4.0) * shape.vocab as f64)
            .to_kind(Kind::Int64)
            .clamp(0, shape.vocab - 1);
        let hidden = model.zero_state(shape.batch);
        let mut learner = Learner {
            _vs: vs,
            model,
            adam,
            inputs: ids.narrow(1, 0, shape.seq),
            targets: ids.narrow(1, 1, shape.seq),
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

fn bench_shape(c: &mut Criterion, shape: &Shape) {
    let mut group = c.benchmark_group(shape.name);
    group
        .sample_size(10)
        // Flat, with a quarter second per sample: each sample times one step (two for the
        // adaptive cpu preset), as the Python seed times single steps. Linear sampling would
        // average up to ten steps per sample and carry every stall of a shared machine into
        // the medians.
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_millis(2500))
        .throughput(Throughput::Elements((shape.batch * shape.seq) as u64));
    let outputs = [
        ("full", OutputKind::Full),
        (
            "adaptive",
            OutputKind::Adaptive {
                cutoffs: shape.cutoffs.clone(),
                div_value: 4.0,
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
    // `JIANGHU_BENCH_THREADS=N` pins libtorch's CPU threads (compare with PyTorch at the same N).
    if let Some(n) = std::env::var("JIANGHU_BENCH_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        tch::set_num_threads(n);
    }
    bench_shape(
        c,
        &Shape {
            name: "cpu_preset_v5896",
            vocab: 5896,
            embed: 128,
            hidden: 256,
            layers: 2,
            batch: 64,
            seq: 35,
            cutoffs: vec![500, 2000],
        },
    );
    if std::env::var("JIANGHU_BENCH_SEED").is_ok_and(|v| v == "1") {
        bench_shape(
            c,
            &Shape {
                name: "seed_shape_v46000",
                vocab: 46_000,
                embed: 256,
                hidden: 1024,
                layers: 3,
                batch: 50,
                seq: 30,
                cutoffs: vec![2000, 10_000],
            },
        );
    }
}

criterion_group!(train_step_benches, benches);
criterion_main!(train_step_benches);
