//! Speed and size of the n-gram model at the Song ci's shape (about 1.4 M train tokens, 80 k
//! valid tokens, a 6,000-id vocabulary, character level): fitting at order 5, scoring the valid
//! split, one next-token distribution, one log probability, save and load.
//!
//! The streams come from, in this order: `$NGRAM_BENCH_DATA/{train,valid}.u32`; the latest
//! tokenize artifact under `artifacts/songci/`; synthetic text of the same shape (noisier than
//! real text, so more distinct n-grams: a harder case for size and speed). The vocabulary size
//! is one more than the largest id in the two streams. Before timing, the bench prints the
//! figures it measures once: n-grams per order, the model's heap size, the process's peak
//! resident memory after fitting, and the valid split's bits per token.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ngram::NgramModel;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

const ORDER: usize = 5;

struct Data {
    source: String,
    train: Vec<u32>,
    valid: Vec<u32>,
    vocab_size: usize,
}

fn read_u32(path: &Path) -> Option<Vec<u32>> {
    let bytes = std::fs::read(path).ok()?;
    (bytes.len() % 4 == 0).then(|| {
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    })
}

fn from_dir(dir: &Path) -> Option<(Vec<u32>, Vec<u32>)> {
    Some((
        read_u32(&dir.join("train.u32"))?,
        read_u32(&dir.join("valid.u32"))?,
    ))
}

fn tokenize_artifact() -> Option<PathBuf> {
    let stage = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/songci/tokenize");
    let id = std::fs::read_to_string(stage.join("latest")).ok()?;
    Some(stage.join(id.trim()))
}

/// Zipf-distributed ids with a little bigram structure, in "paragraphs" ended by `<eos>`.
fn synthetic(len: usize, vocab_size: u32, seed: u64) -> Vec<u32> {
    let mut state = seed;
    let mut unit = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let words = f64::from(vocab_size - 2);
    let mut ids = Vec::with_capacity(len);
    let mut prev = 2u32;
    while ids.len() < len {
        let id = if unit() < 0.015 {
            1
        } else if unit() < 0.4 {
            // One of eight favoured successors of the previous id.
            2 + (prev
                .wrapping_mul(2_654_435_761)
                .wrapping_add((unit() * 8.0) as u32)
                % (vocab_size - 2))
        } else {
            // Zipf(1) over the ids by inverse transform of a log-uniform draw.
            2 + ((words.powf(unit()) - 1.0) as u32).min(vocab_size - 3)
        };
        ids.push(id);
        prev = id;
    }
    ids
}

fn data() -> Data {
    let mut found = std::env::var_os("NGRAM_BENCH_DATA")
        .map(PathBuf::from)
        .and_then(|dir| Some((dir.display().to_string(), from_dir(&dir)?)));
    if found.is_none() {
        found =
            tokenize_artifact().and_then(|dir| Some((dir.display().to_string(), from_dir(&dir)?)));
    }
    let (source, (train, valid)) = found.unwrap_or_else(|| {
        (
            "synthetic (set NGRAM_BENCH_DATA or run the tokenize stage for real text)".into(),
            (synthetic(1_400_000, 6_000, 1), synthetic(80_000, 6_000, 2)),
        )
    });
    let vocab_size = train
        .iter()
        .chain(&valid)
        .max()
        .map_or(2, |&m| m as usize + 1);
    Data {
        source,
        train,
        valid,
        vocab_size,
    }
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn report(d: &Data) -> NgramModel {
    let rss_before = peak_rss_mb();
    let start = Instant::now();
    let model = NgramModel::fit(&d.train, d.vocab_size, ORDER).expect("the bench streams fit");
    let fit = start.elapsed();
    let start = Instant::now();
    let nll = model.mean_nll(&d.valid);
    let score = start.elapsed();
    eprintln!("ngram bench data: {}", d.source);
    eprintln!(
        "  train {} tokens, valid {} tokens, vocabulary {}",
        d.train.len(),
        d.valid.len(),
        d.vocab_size
    );
    eprintln!(
        "  order {ORDER}: fit {:.2} s (first run), n-grams per order {:?}",
        fit.as_secs_f64(),
        model.ngram_counts()
    );
    eprintln!(
        "  model heap {:.1} MB; peak RSS {:.1} MB before fitting, {:.1} MB after",
        model.heap_bytes() as f64 / 1e6,
        rss_before.unwrap_or(f64::NAN),
        peak_rss_mb().unwrap_or(f64::NAN)
    );
    eprintln!(
        "  valid: {:.4} bits/token, scored in {:.3} s (first run)",
        nll / std::f64::consts::LN_2,
        score.as_secs_f64()
    );
    for (n, d) in model.discounts().iter().enumerate() {
        eprintln!(
            "  discounts of order {}: {:.3} {:.3} {:.3}",
            n + 1,
            d.d1,
            d.d2,
            d.d3_plus
        );
    }
    model
}

fn bench(c: &mut Criterion) {
    let d = data();
    let model = report(&d);

    let mut group = c.benchmark_group("ngram");
    group.sample_size(10);
    group.throughput(Throughput::Elements(d.train.len() as u64));
    group.bench_function("fit_order5_train", |b| {
        b.iter(|| black_box(NgramModel::fit(&d.train, d.vocab_size, ORDER).unwrap()))
    });
    group.throughput(Throughput::Elements(d.valid.len() as u64));
    group.bench_function("mean_nll_valid", |b| {
        b.iter(|| black_box(model.mean_nll(&d.valid)))
    });
    group.finish();

    let mut group = c.benchmark_group("ngram_query");
    let contexts: Vec<&[u32]> = (0..64)
        .map(|i| {
            let at = 4 + i * (d.valid.len() - 4) / 64;
            &d.valid[at - 4..at]
        })
        .collect();
    group.throughput(Throughput::Elements(contexts.len() as u64));
    group.bench_function("distribution_x64", |b| {
        let mut out = vec![0.0; d.vocab_size];
        b.iter(|| {
            for ctx in &contexts {
                model.distribution_into(ctx, &mut out);
                black_box(&out);
            }
        })
    });
    group.bench_function("log_prob_x64", |b| {
        b.iter(|| {
            contexts
                .iter()
                .map(|ctx| model.log_prob(ctx, black_box(5)))
                .sum::<f64>()
        })
    });
    group.finish();

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("ngram.bin");
    model.save(&path).expect("save");
    eprintln!(
        "  saved model: {:.1} MB",
        std::fs::metadata(&path).map_or(f64::NAN, |m| m.len() as f64 / 1e6)
    );
    let mut group = c.benchmark_group("ngram_io");
    group.sample_size(10);
    group.bench_function("save", |b| b.iter(|| model.save(&path).unwrap()));
    group.bench_function("load", |b| {
        b.iter(|| black_box(NgramModel::load(&path).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
