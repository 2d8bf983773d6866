//! `cargo xtask bench --compare`: each Rust stage against the Python seed on the same input and
//! shape, in one invocation, repetition after repetition, alternating which side runs first (so
//! that a change in the machine's load hits both sides alike).
//!
//! - Preprocessing: the release binaries `jianghu-clean` then `jianghu-tokenize --level word`
//!   (processes, into a fresh artifact root each time) against `seed.py preprocess`, on the
//!   corpus; whole-process wall time on both sides, interpreter start and imports included
//!   (the seed pays them too). One untimed run of each first warms the page cache and jieba's
//!   dictionary cache.
//! - Training: the `train_step` criterion benchmark (full and adaptive softmax) against
//!   `seed.py train` (full softmax), at the `cpu` preset shape and at the seed shape, 10
//!   samples per repetition on each side (at the seed shape a step takes seconds, and fewer
//!   samples left the two medians within each other's noise).
//! - Generation: the `decode` criterion benchmark at batch 1 and 32 (quick mode) against
//!   `seed.py generate` at batch 1, seed shape, 16 tokens after a 2-token prompt per iteration
//!   on both sides.
//!
//! Both sides use as many libtorch threads as the machine has logical CPUs. Every figure keeps
//! all its samples; the table shows their medians (see `report`).

use super::build;
use super::cost::{ModelShape, Output};
use super::criterion::{self, BenchRun};
use super::machine::{MachineInfo, load_average};
use super::measure::{Measured, measure};
use super::python::{self, Python};
use super::report::{Row, Shown, Side, Target};
use crate::{fetch_data, project_root};
use anyhow::{Context, Result, bail};
use artifact::{LATEST_FILE, Manifest};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

/// Tokens the decode benchmark generates per iteration (`TOKENS` in
/// crates/generate/benches/decode.rs; checked against its declared throughput).
const DECODE_TOKENS: u64 = 16;
/// The decode benchmark's group at its default (seed) shape.
const DECODE_GROUP: &str = "decode_v46000_h1024_l3";

/// Runs of the Rust preprocessing per repetition. Each takes a fraction of a second, against
/// the seed's ten or more, so a burst of the shared machine's load can double a single run;
/// the median of several stands for the typical run as the seed's one long run does.
pub(crate) const RUST_PREPROCESS_RUNS: usize = 5;

/// Options of the comparison.
#[derive(Debug, Clone)]
pub(crate) struct CompareConfig {
    pub corpus: String,
    pub reps: usize,
    pub quick: bool,
}

/// A training shape as `crates/train/benches/train_step.rs` defines it.
#[derive(Debug, Clone)]
pub(crate) struct TrainShape {
    /// The benchmark group.
    pub group: &'static str,
    pub label: &'static str,
    pub model: ModelShape,
    pub batch: u64,
    pub seq: u64,
    pub cutoffs: Vec<u64>,
    /// Needs `JIANGHU_BENCH_SEED=1`.
    pub seed_env: bool,
    /// Timed Python steps per repetition (normal, quick): in normal mode as many as the
    /// criterion benchmark's 10 samples, so that both medians rest on as many steps.
    pub python_steps: (u32, u32),
}

impl TrainShape {
    pub(crate) fn adaptive(&self) -> Output {
        Output::Adaptive {
            cutoffs: self.cutoffs.clone(),
            div_value: 4.0,
        }
    }
}

pub(crate) fn train_shapes() -> [TrainShape; 2] {
    [
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
            cutoffs: vec![500, 2000],
            seed_env: false,
            python_steps: (10, 4),
        },
        TrainShape {
            group: "seed_shape_v46000",
            label: "seed shape",
            model: seed_model(),
            batch: 50,
            seq: 30,
            cutoffs: vec![2000, 10_000],
            seed_env: true,
            python_steps: (10, 1),
        },
    ]
}

/// The seed's model at a 46k-word vocabulary (the decode benchmark's default shape).
pub(crate) fn seed_model() -> ModelShape {
    ModelShape {
        vocab: 46_000,
        embed: 256,
        hidden: 1024,
        layers: 3,
    }
}

/// Everything one comparison run measured.
#[derive(Debug)]
pub(crate) struct Results {
    pub corpus: PathBuf,
    pub corpus_bytes: u64,
    pub config: CompareConfig,
    pub threads: usize,
    pub machine: MachineInfo,
    pub probe: python::Machine,
    pub load_before: Option<[f64; 3]>,
    pub load_after: Option<[f64; 3]>,
    pub date: String,
    pub elapsed_s: f64,
    pub preprocess: Row,
    /// Tokens and vocabulary size: Rust's, then Python's.
    pub segmentation: [(u64, u64); 2],
    /// Python's preprocessing time inside the interpreter (without start and imports).
    pub python_inner_s: Vec<f64>,
    /// Wall time of each run of `jianghu-clean` and of `jianghu-tokenize`.
    pub rust_stage_s: [Vec<f64>; 2],
    /// Per shape: full softmax and adaptive softmax rows.
    pub train: Vec<(TrainShape, Row, Row)>,
    pub decode_batch1: Row,
    pub decode_batch32: Row,
}

impl Results {
    pub(crate) fn rows(&self) -> Vec<&Row> {
        let mut rows = vec![&self.preprocess];
        for (_, full, adaptive) in &self.train {
            rows.push(full);
            rows.push(adaptive);
        }
        rows.push(&self.decode_batch1);
        rows.push(&self.decode_batch32);
        rows
    }
}

/// Runs `first` then `second`, or the other way round.
fn in_order(
    rust_first: bool,
    rust: impl FnOnce() -> Result<()>,
    reference: impl FnOnce() -> Result<()>,
) -> Result<()> {
    if rust_first {
        rust()?;
        reference()
    } else {
        reference()?;
        rust()
    }
}

pub(crate) fn run(config: &CompareConfig) -> Result<Results> {
    let started = Instant::now();
    let date = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let machine = MachineInfo::read();
    let threads = machine.logical_cpus;
    let corpus = resolve_corpus(&config.corpus)?;
    let corpus_bytes = corpus_bytes(&corpus)?;
    let python = Python::find(threads)?;
    let stages = build::executables(
        &[
            "build",
            "--release",
            "--package",
            "clean",
            "--package",
            "tokenize",
        ],
        "bin",
        &["jianghu-clean", "jianghu-tokenize"],
    )?;
    let benches = build::executables(
        &[
            "bench",
            "--no-run",
            "--package",
            "train",
            "--bench",
            "train_step",
            "--package",
            "generate",
            "--bench",
            "decode",
        ],
        "bench",
        &["train_step", "decode"],
    )?;
    let load_before = load_average();
    eprintln!("bench: measuring the machine (matmul, memory bandwidth)");
    let (_, probe) = python.run::<python::Machine>(&["machine".into()])?;

    let corpus_arg = corpus.display().to_string();
    eprintln!("bench: warm-up preprocessing runs (untimed)");
    let (_, warm) =
        python.run::<python::Preprocessed>(&["preprocess".into(), corpus_arg.clone()])?;
    rust_preprocess(&stages, &corpus)?;
    let chars = warm.chars as f64;

    let mut pre_rust = Side::new("Rust");
    let mut pre_python = Side::new("Python");
    let mut rust_segmentation = (0, 0);
    let mut python_segmentation = (0, 0);
    let mut python_inner_s = Vec::new();
    let mut rust_stage_s = [Vec::new(), Vec::new()];
    let shapes = train_shapes();
    let mut train_sides: Vec<[Side; 3]> = shapes
        .iter()
        .map(|_| {
            [
                Side::new("Rust full"),
                Side::new("Rust adaptive"),
                Side::new("Python full"),
            ]
        })
        .collect();
    let mut batch1 = Side::new("Rust batch 1");
    let mut batch32 = Side::new("Rust batch 32");
    let mut decode_python = Side::new("Python");
    let threads_env = ("JIANGHU_BENCH_THREADS", threads.to_string());

    for rep in 0..config.reps {
        let rust_first = rep % 2 == 0;
        let progress = |what: &str, side: &Side| {
            eprintln!(
                "bench: repetition {}/{}: {what}, {}: {:.3} s per iteration (median so far)",
                rep + 1,
                config.reps,
                side.name,
                super::report::median(&side.seconds).unwrap_or(f64::NAN)
            )
        };
        in_order(
            rust_first,
            || {
                for _ in 0..RUST_PREPROCESS_RUNS {
                    let ([clean, tokenize], tokens, vocab) = rust_preprocess(&stages, &corpus)?;
                    let measured = Measured {
                        wall_s: clean.wall_s + tokenize.wall_s,
                        cpu_s: clean.cpu_s + tokenize.cpu_s,
                        peak_rss_kib: clean.peak_rss_kib.max(tokenize.peak_rss_kib),
                    };
                    pre_rust.add(&measured, &[measured.wall_s], chars);
                    rust_stage_s[0].push(clean.wall_s);
                    rust_stage_s[1].push(tokenize.wall_s);
                    rust_segmentation = (tokens, vocab);
                }
                progress("preprocessing", &pre_rust);
                Ok(())
            },
            || {
                let (measured, out) = python
                    .run::<python::Preprocessed>(&["preprocess".into(), corpus_arg.clone()])?;
                pre_python.add(&measured, &[measured.wall_s], chars);
                python_segmentation = (out.tokens, out.vocab);
                python_inner_s.push(out.seconds);
                progress("preprocessing", &pre_python);
                Ok(())
            },
        )?;
        for (shape, [full, adaptive, reference]) in shapes.iter().zip(&mut train_sides) {
            let mut env = vec![threads_env.clone()];
            if shape.seed_env {
                env.push(("JIANGHU_BENCH_SEED", "1".into()));
            }
            in_order(
                rust_first,
                || {
                    for (function, side) in [("full", &mut *full), ("adaptive", &mut *adaptive)] {
                        let run = criterion::run(
                            &benches["train_step"],
                            shape.group,
                            function,
                            &env,
                            config.quick,
                        )?;
                        check_elements(&run, shape.batch * shape.seq, "train_step", shape.group)?;
                        side.add(
                            &run.measured,
                            &run.iteration_seconds,
                            run.elements_per_iteration as f64,
                        );
                        progress(shape.label, side);
                    }
                    Ok(())
                },
                || {
                    let steps = if config.quick {
                        shape.python_steps.1
                    } else {
                        shape.python_steps.0
                    };
                    let (measured, out) =
                        python.run::<python::Trained>(&python_train_args(shape, steps))?;
                    reference.add(&measured, &out.step_seconds, out.tokens_per_step as f64);
                    progress(shape.label, reference);
                    Ok(())
                },
            )?;
        }
        in_order(
            rust_first,
            || {
                for (batch, side) in [(1, &mut batch1), (32, &mut batch32)] {
                    let function = format!("batch_{batch}");
                    let run = criterion::run(
                        &benches["decode"],
                        DECODE_GROUP,
                        &function,
                        std::slice::from_ref(&threads_env),
                        // Seconds per iteration: 10 samples would not fit the run's time.
                        true,
                    )?;
                    check_elements(&run, batch * DECODE_TOKENS, "decode", DECODE_GROUP)?;
                    side.add(
                        &run.measured,
                        &run.iteration_seconds,
                        run.elements_per_iteration as f64,
                    );
                    progress("generation", side);
                }
                Ok(())
            },
            || {
                let iterations = if config.quick { 2 } else { 5 };
                let (measured, out) =
                    python.run::<python::Generated>(&python_generate_args(iterations))?;
                decode_python.add(
                    &measured,
                    &out.iteration_seconds,
                    out.tokens_per_iteration as f64,
                );
                progress("generation", &decode_python);
                Ok(())
            },
        )?;
    }

    let preprocess = Row {
        what: "preprocessing, word level (clean + tokenize vs seed)".into(),
        rust: pre_rust,
        reference: pre_python,
        shown: Shown::SecondsPerRun,
        work: "chars",
        target: Some(Target::ThroughputAtLeast(30.0)),
    };
    let train = shapes
        .into_iter()
        .zip(train_sides)
        .map(|(shape, [full, adaptive, reference])| {
            let seed = shape.seed_env;
            let full_row = Row {
                what: format!("train step, {}, full softmax", shape.label),
                rust: full,
                reference: reference.clone(),
                shown: Shown::MillisPerStep,
                work: "tokens",
                target: Some(Target::ThroughputAtLeast(1.0)),
            };
            let adaptive_row = Row {
                what: format!("train step, {}, Rust adaptive vs Python full", shape.label),
                rust: adaptive,
                reference,
                shown: Shown::MillisPerStep,
                work: "tokens",
                target: seed.then_some(Target::ThroughputAtLeast(2.0)),
            };
            (shape, full_row, adaptive_row)
        })
        .collect();
    let decode_batch32 = Row {
        what: "generation, seed shape, batch 32 vs batch 1 (Rust)".into(),
        rust: batch32,
        reference: batch1.clone(),
        shown: Shown::MillisPerItem,
        work: "tokens",
        target: Some(Target::ThroughputAtLeast(10.0)),
    };
    let decode_batch1 = Row {
        what: "generation, seed shape, batch 1".into(),
        rust: batch1,
        reference: decode_python,
        shown: Shown::MillisPerItem,
        work: "tokens",
        target: Some(Target::TimeAtMost(0.6)),
    };
    Ok(Results {
        corpus,
        corpus_bytes,
        config: config.clone(),
        threads,
        machine,
        probe,
        load_before,
        load_after: load_average(),
        date,
        elapsed_s: started.elapsed().as_secs_f64(),
        preprocess,
        segmentation: [rust_segmentation, python_segmentation],
        python_inner_s,
        rust_stage_s,
        train,
        decode_batch1,
        decode_batch32,
    })
}

fn python_train_args(shape: &TrainShape, steps: u32) -> Vec<String> {
    let m = &shape.model;
    [
        "train".to_string(),
        format!("--vocab={}", m.vocab),
        format!("--embed={}", m.embed),
        format!("--hidden={}", m.hidden),
        format!("--layers={}", m.layers),
        format!("--batch={}", shape.batch),
        format!("--seq={}", shape.seq),
        // The train_step benchmark's dropout.
        "--dropout=0.2".into(),
        format!("--steps={steps}"),
    ]
    .into()
}

fn python_generate_args(iterations: u32) -> Vec<String> {
    let m = seed_model();
    [
        "generate".to_string(),
        format!("--vocab={}", m.vocab),
        format!("--embed={}", m.embed),
        format!("--hidden={}", m.hidden),
        format!("--layers={}", m.layers),
        format!("--tokens={DECODE_TOKENS}"),
        format!("--iterations={iterations}"),
    ]
    .into()
}

/// Fails when the benchmark's shape drifted from the one the Python side is given.
fn check_elements(run: &BenchRun, expected: u64, bench: &str, group: &str) -> Result<()> {
    anyhow::ensure!(
        run.elements_per_iteration == expected,
        "benchmark {bench}/{group} processes {} tokens per iteration, xtask's comparison expects {expected}: keep xtask/src/bench/compare.rs in step with the benchmark's shape",
        run.elements_per_iteration
    );
    Ok(())
}

/// `jianghu-clean` then `jianghu-tokenize --level word` into a fresh artifact root: the two
/// processes' measurements, and the tokens and vocabulary made.
fn rust_preprocess(
    stages: &HashMap<String, PathBuf>,
    corpus: &Path,
) -> Result<([Measured; 2], u64, u64)> {
    let root = tempfile::tempdir().context("cannot create a temporary directory")?;
    let mut clean = Command::new(&stages["jianghu-clean"]);
    clean
        .arg("--input")
        .arg(corpus)
        .arg("--output")
        .arg(root.path())
        // The seed keeps every line, □ included: segment the same text.
        .arg("--lacunae=keep");
    let (cleaned, _) = measure(&clean)?;
    let mut tokenize = Command::new(&stages["jianghu-tokenize"]);
    tokenize
        .arg("--input")
        .arg(root.path())
        .args(["--level", "word"]);
    let (tokenized, _) = measure(&tokenize)?;
    let stage_dir = root.path().join("tokenize");
    let latest = std::fs::read_to_string(stage_dir.join(LATEST_FILE))
        .context("jianghu-tokenize left no `latest` artifact")?;
    let metrics = Manifest::read(&stage_dir.join(latest.trim()))?.metrics;
    let tokens = ["train", "valid", "test"]
        .iter()
        .map(|s| metrics["tokens"][s].as_u64().unwrap_or(0))
        .sum();
    let vocab = metrics["vocab_size"].as_u64().unwrap_or(0);
    Ok(([cleaned, tokenized], tokens, vocab))
}

/// `NAME` under data/ (fetching the default Song ci when it is asked for and missing) or a
/// folder path.
fn resolve_corpus(corpus: &str) -> Result<PathBuf> {
    let path = Path::new(corpus);
    if path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let dir = project_root().join("data").join(corpus);
    if !dir.is_dir() && corpus == "songci" {
        fetch_data::run(&fetch_data::FetchArgs { force: false })?;
    }
    if !dir.is_dir() {
        bail!(
            "no corpus `{corpus}`: neither a folder nor data/{corpus}/ exists; pass --corpus with a folder of .txt files"
        );
    }
    Ok(dir)
}

/// Bytes of the corpus's .txt files.
fn corpus_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "txt") {
            total += std::fs::metadata(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .len();
        }
    }
    anyhow::ensure!(total > 0, "{} holds no .txt files", dir.display());
    Ok(total)
}
