//! Decoding speed on CPU at the seed shape (vocab 46,000, embed 256, hidden 1024, 3 layers,
//! full softmax): time per generated token with one sample, and with 32 samples in one batch.
//! `JIANGHU_BENCH_THREADS=N` pins libtorch's threads; `JIANGHU_BENCH_VOCAB`/`_HIDDEN` shrink
//! the shape.
//!
//! `cargo xtask bench --compare` runs one batch size at a time (a filter) with criterion's
//! `--quick`, which has no warm-up: each benchmark therefore generates once, untimed, before
//! timing.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use generate::{Limits, Sampler, SamplingParams, generate_batch};
use model::{LstmLm, ModelConfig};
use std::time::Duration;
use tch::{Device, nn};
use tokenize::Vocab;

const TOKENS: usize = 16;

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn decode(c: &mut Criterion) {
    if let Ok(n) = std::env::var("JIANGHU_BENCH_THREADS") {
        tch::set_num_threads(n.parse().expect("JIANGHU_BENCH_THREADS is a number"));
    }
    let vocab_size = env("JIANGHU_BENCH_VOCAB", 46_000);
    let hidden = env("JIANGHU_BENCH_HIDDEN", 1024);
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let config = ModelConfig::new(vocab_size, 256, hidden, 3);
    let model = LstmLm::new(&vs.root(), &config).unwrap();
    model.use_decoding_layout(); // as `generate::load_trained` does
    let entries: Vec<(String, u64)> = [("<unk>".to_string(), 0), ("<eos>".to_string(), 0)]
        .into_iter()
        .chain((2..vocab_size).map(|i| (format!("t{i}"), 1)))
        .collect();
    let vocab = Vocab::from_entries(entries).unwrap();
    let limits = Limits {
        max_tokens: TOKENS,
        paragraphs: None,
        stop: None,
    };
    let params = SamplingParams {
        temperature: 0.8,
        ..Default::default()
    };
    let mut group = c.benchmark_group(format!("decode_v{vocab_size}_h{hidden}_l3"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for batch in [1usize, 32] {
        group.throughput(Throughput::Elements((batch * TOKENS) as u64));
        let run = || {
            let mut samplers: Vec<Sampler> = (0..batch)
                .map(|i| Sampler::new(i as u64, params.clone()).unwrap())
                .collect();
            generate_batch(&model, &vocab, &[2, 3], &mut samplers, &limits).unwrap()
        };
        let mut warmed_up = false;
        group.bench_function(format!("batch_{batch}"), |b| {
            if !std::mem::replace(&mut warmed_up, true) {
                run();
            }
            b.iter(run)
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
