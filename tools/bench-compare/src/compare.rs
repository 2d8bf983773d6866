//! The comparison itself: each Rust stage against the Python seed on the same input and shape,
//! in one invocation, repetition after repetition, alternating which side runs first (so that a
//! change in the machine's load hits both sides alike). The shapes are `bench_shapes`'s.
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

use crate::build;
use crate::criterion::{self, BenchRun};
use crate::machine::{MachineInfo, load_average};
use crate::measure::{Measured, Wrapper, measure};
use crate::python::{self, Python};
use crate::report::{Row, Shown, Side, Target, table};
use anyhow::{Context, Result};
use artifact::Manifest;
use bench_shapes::{
    DECODE_BATCHES, DECODE_MODEL, DECODE_TOKENS, DROPOUT, ModelShape, SEED_SHAPE_ENV, THREADS_ENV,
    TRAIN_SHAPES, TrainShape, decode_function, decode_group,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

/// Runs of the Rust preprocessing per repetition. Each takes a fraction of a second, against
/// the seed's ten or more, so a burst of the shared machine's load can double a single run;
/// the median of several stands for the typical run as the seed's one long run does.
pub(crate) const RUST_PREPROCESS_RUNS: usize = 5;

/// What the comparison runs on and with.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// The workspace root: cargo builds the stages and benchmarks there, and the doc names the
    /// corpus relative to it.
    pub workspace: PathBuf,
    /// A folder of .txt files.
    pub corpus: PathBuf,
    /// Repetitions of every comparison.
    pub reps: usize,
    /// Fewer Python iterations, for a short run.
    pub quick: bool,
    /// The Python interpreters to try for the reference, in order of preference.
    pub pythons: Vec<PathBuf>,
    /// The torch release the reference must have: the libtorch the stages link.
    pub torch_version: String,
    /// How to start the measuring wrapper.
    pub wrapper: Wrapper,
}

/// Timed Python steps per repetition at `shape`. In normal mode as many as the criterion
/// benchmark's 10 samples, so that both medians rest on as many steps; in quick mode fewer, and
/// one at the seed shape, whose steps take seconds.
fn python_steps(shape: &TrainShape, quick: bool) -> u32 {
    match (quick, shape.needs_seed_env) {
        (false, _) => 10,
        (true, false) => 4,
        (true, true) => 1,
    }
}

/// Everything one comparison run measured.
#[derive(Debug)]
pub struct Results {
    pub(crate) corpus_bytes: u64,
    pub(crate) config: CompareConfig,
    pub(crate) threads: usize,
    pub(crate) machine: MachineInfo,
    pub(crate) probe: python::Machine,
    pub(crate) load_before: Option<[f64; 3]>,
    pub(crate) load_after: Option<[f64; 3]>,
    pub(crate) date: String,
    pub(crate) elapsed_s: f64,
    pub(crate) preprocess: Row,
    /// Tokens and vocabulary size: Rust's, then Python's.
    pub(crate) segmentation: [(u64, u64); 2],
    /// Python's preprocessing time inside the interpreter (without start and imports).
    pub(crate) python_inner_s: Vec<f64>,
    /// Wall time of each run of `jianghu-clean` and of `jianghu-tokenize`.
    pub(crate) rust_stage_s: [Vec<f64>; 2],
    /// Per shape: full softmax and adaptive softmax rows.
    pub(crate) train: Vec<(TrainShape, Row, Row)>,
    pub(crate) decode_batch1: Row,
    pub(crate) decode_batch32: Row,
}

impl Results {
    /// The comparison table in Markdown.
    pub fn table(&self) -> String {
        let rows: Vec<Row> = self.rows().into_iter().cloned().collect();
        table(&rows)
    }

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

/// Runs the whole comparison: builds the stage binaries and the benchmarks, then times both
/// sides `config.reps` times.
pub fn run(config: &CompareConfig) -> Result<Results> {
    let started = Instant::now();
    let date = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let machine = MachineInfo::read();
    let threads = machine.logical_cpus;
    let corpus = &config.corpus;
    let corpus_bytes = corpus_bytes(corpus)?;
    let python = Python::find(
        &config.pythons,
        &config.torch_version,
        threads,
        &config.wrapper,
    )?;
    let workspace = config.workspace.as_path();
    let measuring = (workspace, &config.wrapper);
    let stages = build::executables(
        workspace,
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
        workspace,
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
    rust_preprocess(&config.wrapper, &stages, corpus)?;
    let chars = warm.chars as f64;

    let mut pre_rust = Side::new("Rust");
    let mut pre_python = Side::new("Python");
    let mut rust_segmentation = (0, 0);
    let mut python_segmentation = (0, 0);
    let mut python_inner_s = Vec::new();
    let mut rust_stage_s = [Vec::new(), Vec::new()];
    let mut train_sides: Vec<[Side; 3]> = TRAIN_SHAPES
        .iter()
        .map(|_| {
            [
                Side::new("Rust full"),
                Side::new("Rust adaptive"),
                Side::new("Python full"),
            ]
        })
        .collect();
    let decode_bench_group = decode_group(DECODE_MODEL.vocab, DECODE_MODEL.hidden);
    let mut batch1 = Side::new("Rust batch 1");
    let mut batch32 = Side::new("Rust batch 32");
    let mut decode_python = Side::new("Python");
    let threads_env = (THREADS_ENV, threads.to_string());

    for rep in 0..config.reps {
        let rust_first = rep % 2 == 0;
        let progress = |what: &str, side: &Side| {
            eprintln!(
                "bench: repetition {}/{}: {what}, {}: {:.3} s per iteration (median so far)",
                rep + 1,
                config.reps,
                side.name,
                crate::report::median(&side.seconds).unwrap_or(f64::NAN)
            )
        };
        in_order(
            rust_first,
            || {
                for _ in 0..RUST_PREPROCESS_RUNS {
                    let ([clean, tokenize], tokens, vocab) =
                        rust_preprocess(&config.wrapper, &stages, corpus)?;
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
        for (shape, [full, adaptive, reference]) in TRAIN_SHAPES.iter().zip(&mut train_sides) {
            let mut env = vec![threads_env.clone()];
            if shape.needs_seed_env {
                env.push((SEED_SHAPE_ENV, "1".into()));
            }
            in_order(
                rust_first,
                || {
                    for (function, side) in [("full", &mut *full), ("adaptive", &mut *adaptive)] {
                        let run = criterion::run(
                            measuring,
                            &benches["train_step"],
                            (shape.group, function),
                            &env,
                            config.quick,
                        )?;
                        check_elements(&run, shape.tokens_per_step(), "train_step", shape.group)?;
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
                    let steps = python_steps(shape, config.quick);
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
                for (batch, side) in DECODE_BATCHES.into_iter().zip([&mut batch1, &mut batch32]) {
                    let run = criterion::run(
                        measuring,
                        &benches["decode"],
                        (&decode_bench_group, &decode_function(batch)),
                        std::slice::from_ref(&threads_env),
                        // Seconds per iteration: 10 samples would not fit the run's time.
                        true,
                    )?;
                    check_elements(&run, batch * DECODE_TOKENS, "decode", &decode_bench_group)?;
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
    let train = TRAIN_SHAPES
        .into_iter()
        .zip(train_sides)
        .map(|(shape, [full, adaptive, reference])| {
            let full_row = tokens_row(
                format!("train step, {}, full softmax", shape.label),
                (full, reference.clone()),
                Shown::MillisPerStep,
                Some(Target::ThroughputAtLeast(1.0)),
            );
            // The adaptive softmax must double the throughput where it matters: at the seed's
            // 46k vocabulary.
            let adaptive_target = shape
                .needs_seed_env
                .then_some(Target::ThroughputAtLeast(2.0));
            let adaptive_row = tokens_row(
                format!("train step, {}, Rust adaptive vs Python full", shape.label),
                (adaptive, reference),
                Shown::MillisPerStep,
                adaptive_target,
            );
            (shape, full_row, adaptive_row)
        })
        .collect();
    let decode_batch32 = tokens_row(
        "generation, seed shape, batch 32 vs batch 1 (Rust)".into(),
        (batch32, batch1.clone()),
        Shown::MillisPerItem,
        Some(Target::ThroughputAtLeast(10.0)),
    );
    let decode_batch1 = tokens_row(
        "generation, seed shape, batch 1".into(),
        (batch1, decode_python),
        Shown::MillisPerItem,
        Some(Target::TimeAtMost(0.6)),
    );
    Ok(Results {
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

/// A row of the table whose work is tokens, from its Rust and reference sides.
fn tokens_row(
    what: String,
    (rust, reference): (Side, Side),
    shown: Shown,
    target: Option<Target>,
) -> Row {
    Row {
        what,
        rust,
        reference,
        shown,
        work: "tokens",
        target,
    }
}

/// The flags that give `seed.py` a model of shape `m`.
fn model_args(m: &ModelShape) -> [String; 4] {
    [
        format!("--vocab={}", m.vocab),
        format!("--embed={}", m.embed),
        format!("--hidden={}", m.hidden),
        format!("--layers={}", m.layers),
    ]
}

fn python_train_args(shape: &TrainShape, steps: u32) -> Vec<String> {
    let mut args = vec!["train".to_string()];
    args.extend(model_args(&shape.model));
    args.extend([
        format!("--batch={}", shape.batch),
        format!("--seq={}", shape.seq),
        format!("--dropout={DROPOUT}"),
        format!("--steps={steps}"),
    ]);
    args
}

fn python_generate_args(iterations: u32) -> Vec<String> {
    let mut args = vec!["generate".to_string()];
    args.extend(model_args(&DECODE_MODEL));
    args.extend([
        format!("--tokens={DECODE_TOKENS}"),
        format!("--iterations={iterations}"),
    ]);
    args
}

/// Fails when the benchmark's shape drifted from the one the Python side is given.
fn check_elements(run: &BenchRun, expected: u64, bench: &str, group: &str) -> Result<()> {
    anyhow::ensure!(
        run.elements_per_iteration == expected,
        "benchmark {bench}/{group} processes {} tokens per iteration, its shape in bench_shapes says {expected}: the benchmark must build its model and batch from bench_shapes",
        run.elements_per_iteration
    );
    Ok(())
}

/// `jianghu-clean` then `jianghu-tokenize --level word` into a fresh artifact root, measured
/// under `wrapper`: the two processes' measurements, and the tokens and vocabulary made.
fn rust_preprocess(
    wrapper: &Wrapper,
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
    let (cleaned, _) = measure(wrapper, &clean)?;
    let mut tokenize = Command::new(&stages["jianghu-tokenize"]);
    tokenize
        .arg("--input")
        .arg(root.path())
        .args(["--level", "word"]);
    let (tokenized, _) = measure(wrapper, &tokenize)?;
    let stage = "tokenize";
    let id = artifact::latest_id(root.path(), stage)?
        .context("jianghu-tokenize left no `latest` artifact")?;
    let metrics = Manifest::read(&root.path().join(stage).join(id))?.metrics;
    let tokens = ["train", "valid", "test"]
        .iter()
        .map(|s| metrics["tokens"][s].as_u64().unwrap_or(0))
        .sum();
    let vocab = metrics["vocab_size"].as_u64().unwrap_or(0);
    Ok(([cleaned, tokenized], tokens, vocab))
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
