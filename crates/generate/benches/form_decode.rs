//! What `--form` costs in decoding time: time per generated token of unconstrained sampling and
//! of sampling under a form's mask (鹧鸪天's template, 7。7。7，7。3，3。7。7，7。, with
//! `--rhyme`), one sample and 32 in one batch. The model has the shape preset cpu trains on the
//! Song ci (a character vocabulary of 7,000, embed 128, hidden 256, 2 layers, the adaptive
//! softmax at 500,2000), with random weights: the time per token does not depend on them. Both
//! sides generate the same 65 tokens per sample (the template's characters, marks and `<eos>`).
//! `JIANGHU_BENCH_THREADS=N` pins libtorch's threads. Run with
//! `cargo xtask bench -p generate -- form_decode`.

use bench_shapes::THREADS_ENV;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use generate::form::{FormState, Template, TokenShapes};
use generate::{Limits, Sampler, SamplingParams, generate_batch, generate_batch_masked};
use model::{LstmLm, ModelConfig, OutputKind};
use std::sync::Arc;
use std::time::Duration;
use tch::{Device, nn};
use tokenize::Vocab;

const VOCAB: u32 = 7_000;
const BATCHES: [usize; 2] = [1, 32];

/// A vocabulary of `VOCAB` CJK characters and the seven marks.
fn vocab() -> Vocab {
    let marks = tokenize::forms::PUNCTUATION.iter().map(|c| c.to_string());
    let chars = (0x4E00u32..)
        .filter_map(char::from_u32)
        .map(|c| c.to_string());
    let entries: Vec<(String, u64)> = [("<unk>".to_string(), 0), ("<eos>".to_string(), 0)]
        .into_iter()
        .chain(marks.chain(chars).take(VOCAB as usize - 2).map(|t| (t, 1)))
        .collect();
    Vocab::from_entries(entries).unwrap()
}

fn form_decode(c: &mut Criterion) {
    if let Ok(n) = std::env::var(THREADS_ENV) {
        tch::set_num_threads(n.parse().expect("JIANGHU_BENCH_THREADS is a number"));
    }
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let mut config = ModelConfig::new(VOCAB as i64, 128, 256, 2);
    config.output = OutputKind::Adaptive {
        cutoffs: vec![500, 2000],
        div_value: 4.0,
    };
    let model = LstmLm::new(&vs.root(), &config).unwrap();
    model.use_decoding_layout();
    let vocab = vocab();
    let pattern: tokenize::forms::Pattern = "7。7。7，7。3，3。7。7，7。".parse().unwrap();
    let template = Arc::new(Template {
        lines: pattern.lines.clone(),
        acrostic: vec![],
        rhyme_groups: vec![vec![0, 1, 3, 5, 6, 8]],
        own_title: false,
    });
    let tokens = pattern.characters() + pattern.lines.len() + 1;
    let shapes = Arc::new(TokenShapes::new(&vocab));
    let limits = Limits {
        max_tokens: tokens,
        paragraphs: None,
        stop: None,
    };
    let params = SamplingParams {
        temperature: 0.8,
        ..Default::default()
    };
    let mut group = c.benchmark_group("form_decode");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    for batch in BATCHES {
        group.throughput(Throughput::Elements((batch * tokens) as u64));
        let samplers = || -> Vec<Sampler> {
            (0..batch)
                .map(|i| Sampler::new(i as u64, params.clone()).unwrap())
                .collect()
        };
        group.bench_function(format!("free_b{batch}"), |b| {
            b.iter(|| generate_batch(&model, &vocab, &[2], &mut samplers(), &limits).unwrap())
        });
        group.bench_function(format!("form_b{batch}"), |b| {
            b.iter(|| {
                let mut forms: Vec<FormState> = (0..batch)
                    .map(|_| FormState::new(shapes.clone(), template.clone()))
                    .collect();
                let out = generate_batch_masked(
                    &model,
                    &vocab,
                    &[2],
                    &mut samplers(),
                    &limits,
                    Some(&mut forms),
                    &mut |_, _| {},
                )
                .unwrap();
                assert!(forms.iter().all(FormState::is_done));
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, form_decode);
criterion_main!(benches);
