//! Throughput of the tokenize stage on the Song ci corpus (`data/songci/*.txt`, about 1.7 M
//! characters; synthetic text when it is missing): characters per second for the whole
//! in-memory pass (segment, count, build vocabulary, encode) at word and char level, jieba's
//! dictionary load, and the vocabulary build alone.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use tokenize::corpus::Document;
use tokenize::encode_corpus::encode_corpus;
use tokenize::segment::Segmenter;
use tokenize::{Level, Split, Vocab};

fn corpus() -> Vec<Document> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/songci");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    let docs: Vec<Document> = paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            Some(Document {
                path: p.display().to_string(),
                text,
            })
        })
        .collect();
    if !docs.is_empty() {
        return docs;
    }
    eprintln!("{} missing: using synthetic text", dir.display());
    let line =
        "郊禋盛礼燔柴毕，旋轸凤凰城。森罗仪卫振华缨。载路溢欢声。皇图大业超前古，垂象泰阶平。\n";
    (0..5)
        .map(|i| Document {
            path: format!("synthetic-{i}.txt"),
            text: line.repeat(4000),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let docs = corpus();
    let chars: u64 = docs.iter().map(|d| d.text.chars().count() as u64).sum();
    let paragraphs: Vec<usize> = docs.iter().map(|d| d.paragraphs().count()).collect();
    let mut group = c.benchmark_group("tokenize");
    group.sample_size(10);
    group.bench_function("jieba_load", |b| {
        b.iter(|| black_box(Segmenter::new(Level::Word, None)))
    });
    group.throughput(Throughput::Elements(chars));
    for level in [Level::Word, Level::Char] {
        let segmenter = Segmenter::new(level, None);
        group.bench_function(format!("encode_corpus_{level}"), |b| {
            b.iter(|| {
                let load = |i: usize| Ok(docs[i].clone());
                let encoded =
                    encode_corpus(&paragraphs, load, &segmenter, Split::default(), 1, None);
                black_box(encoded.expect("in-memory documents always load"))
            })
        });
    }
    let segmenter = Segmenter::new(Level::Word, None);
    let mut counts = std::collections::HashMap::<&str, u64>::new();
    for doc in &docs {
        for p in doc.paragraphs() {
            for t in segmenter.cut(p) {
                *counts.entry(t).or_default() += 1;
            }
        }
    }
    group.throughput(Throughput::Elements(counts.len() as u64));
    group.bench_function("vocab_build_word", |b| {
        b.iter(|| black_box(Vocab::build(counts.iter().map(|(&t, &c)| (t, c)), 1, None)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
