//! Decoding speed on CPU at the seed shape (vocab 46,000, embed 256, hidden 1024, 3 layers,
//! full softmax): time per generated token with one sample, and with 32 samples in one batch.
//! The shape, tokens and batch sizes are `bench_shapes`'s `DECODE_*`, which the comparison with
//! the Python seed uses too. `JIANGHU_BENCH_THREADS=N` pins libtorch's threads;
//! `JIANGHU_BENCH_VOCAB`/`_HIDDEN` shrink the shape.
//!
//! `cargo xtask bench --compare` (`tools/bench-compare`) runs one batch size at a time (a
//! filter) with criterion's `--quick`, which has no warm-up: each benchmark therefore generates
//! once, untimed, before timing.

use bench_shapes::{
    DECODE_BATCHES, DECODE_MODEL, DECODE_TOKENS, THREADS_ENV, decode_function, decode_group,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use generate::{Limits, Sampler, SamplingParams, generate_batch};
use model::{LstmLm, ModelConfig};
use std::time::Duration;
use tch::{Device, nn};
use tokenize::Vocab;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn decode(c: &mut Criterion) {
    if let Ok(n) = std::env::var(THREADS_ENV) {
        tch::set_num_threads(n.parse().expect("JIANGHU_BENCH_THREADS is a number"));
    }
    let vocab_size = env("JIANGHU_BENCH_VOCAB", DECODE_MODEL.vocab);
    let hidden = env("JIANGHU_BENCH_HIDDEN", DECODE_MODEL.hidden);
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let config = ModelConfig::new(
        vocab_size as i64,
        DECODE_MODEL.embed as i64,
        hidden as i64,
        DECODE_MODEL.layers as i64,
    );
    let model = LstmLm::new(&vs.root(), &config).unwrap();
    model.use_decoding_layout(); // as `generate::load_trained` does
    let entries: Vec<(String, u64)> = [("<unk>".to_string(), 0), ("<eos>".to_string(), 0)]
        .into_iter()
        .chain((2..vocab_size).map(|i| (format!("t{i}"), 1)))
        .collect();
    let vocab = Vocab::from_entries(entries).unwrap();
    let limits = Limits {
        max_tokens: DECODE_TOKENS as usize,
        paragraphs: None,
        stop: None,
    };
    let params = SamplingParams {
        temperature: 0.8,
        ..Default::default()
    };
    let mut group = c.benchmark_group(decode_group(vocab_size, hidden));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for batch in DECODE_BATCHES {
        group.throughput(Throughput::Elements(batch * DECODE_TOKENS));
        let run = || {
            let mut samplers: Vec<Sampler> = (0..batch)
                .map(|i| Sampler::new(i, params.clone()).unwrap())
                .collect();
            generate_batch(&model, &vocab, &[2, 3], &mut samplers, &limits).unwrap()
        };
        let mut warmed_up = false;
        group.bench_function(decode_function(batch), |b| {
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
