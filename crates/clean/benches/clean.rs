//! Throughput of the clean stage on a ~17 MB GB18030 novel-like corpus (see `corpus.rs`):
//! `clean_document` over every file on one thread, and the whole stage (`run`: scan, hash,
//! clean in parallel, write, commit) into a fresh artifact root each iteration.

#[path = "corpus.rs"]
mod corpus;

use clean::{CleanConfig, RuleSwitches, Rules, clean_document};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;

const TOTAL_BYTES: usize = 17 << 20;
const FILE_BYTES: usize = 1 << 20;

fn bench(c: &mut Criterion) {
    let songci = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/songci");
    let files = corpus::generate(&songci, TOTAL_BYTES, FILE_BYTES);
    let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let input = tempfile::tempdir().expect("temp dir");
    for (name, data) in &files {
        std::fs::write(input.path().join(name), data).expect("write corpus file");
    }
    eprintln!(
        "corpus: {} files, {:.1} MB GB18030 (from {})",
        files.len(),
        bytes as f64 / 1e6,
        if songci.is_dir() {
            "data/songci"
        } else {
            "synthetic text"
        }
    );

    let mut group = c.benchmark_group("clean");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    let rules = Rules::builtin(RuleSwitches::default());
    group.bench_function("clean_document_1_thread", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|(_, data)| {
                    clean_document(data, &rules)
                        .expect("text")
                        .cleaned
                        .chars_out
                })
                .sum::<u64>()
        })
    });
    let config = CleanConfig::default();
    group.bench_function("run_stage", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |out| {
                let outcome =
                    clean::run(input.path(), out.path(), &config, artifact::Existing::Reuse)
                        .expect("clean run");
                assert!(!outcome.skipped);
                out
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
