//! `cargo xtask bench`: the criterion benchmarks of the workspace; with `--compare` the
//! side-by-side comparison with the Python system jianghu replaces, which prints a table and
//! writes docs/PERFORMANCE.md; with `--quality` training configurations side by side
//! (`quality`, docs/QUALITY.md); with `--pretrained` the Song ci fine-tuned from a model of the
//! shi against training from scratch (`pretrained`, docs/PRETRAINING.md); with `--serve` a load
//! test of the server (`serve`).
//!
//! The comparison is its own crate, `tools/bench-compare` (which see for how it measures): this
//! module makes libtorch and the corpus available, hands the harness the workspace, the corpus
//! folder, the Python interpreters to try and how to start the measuring wrapper, and writes the
//! document. The wrapper is this binary again: `cargo xtask bench --measure-into FILE --
//! COMMAND…` (hidden from `--help`) runs `bench_compare::measure::run_wrapper`.

mod pretrained;
mod quality;
mod serve;

use crate::{cache_dir, fetch_data, project_root, run_command, setup};
use anyhow::{Context, Result, bail};
use bench_compare::measure::{Wrapper, run_wrapper};
use bench_compare::{CompareConfig, machine};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Time each Rust stage against the Python seed (tools/bench-compare/reference/seed.py) on
    /// the same input and shape, print the table and write docs/PERFORMANCE.md (20 to 30
    /// minutes on 2 cores, builds excluded; `--quick` for a short run)
    #[arg(long)]
    compare: bool,
    /// Train named configurations side by side on the same corpus for the same wall-clock
    /// budget each (the cpu preset as it was, and the budget-aware schedules), and write
    /// docs/QUALITY.md with their bits per character, throughput, n-gram baselines and samples
    /// (about 4 × the budget, plus the release build)
    #[arg(long, conflicts_with = "compare")]
    quality: bool,
    /// Load-test `jianghu-serve`: N concurrent streaming clients on loopback for a bounded
    /// time against the latest model of --corpus, for each N of --clients; prints requests/s,
    /// tokens/s, p50/p99 latency to the first token and per request, and the tokens/s ratio of
    /// the largest N to the smallest (needs a trained model: `cargo xtask pipeline --preset
    /// quick` makes one in about a minute)
    #[arg(long, conflicts_with_all = ["compare", "quality"])]
    serve: bool,
    /// With --serve: the client counts
    #[arg(long, value_delimiter = ',', default_value = "1,8,32", requires = "serve", value_parser = clap::value_parser!(u32).range(1..))]
    clients: Vec<u32>,
    /// With --serve: how long the clients of each count send requests
    #[arg(long, default_value = "20s", requires = "serve", value_parser = humantime::parse_duration)]
    duration: std::time::Duration,
    /// With --serve: tokens each request generates
    #[arg(long, default_value_t = 64, requires = "serve", value_parser = clap::value_parser!(u32).range(1..))]
    tokens: u32,
    /// Train a model of the Tang and Song shi, then the Song ci and a 2,000-ci corpus each from
    /// scratch and fine-tuned from it, for the same budget each, and write docs/PRETRAINING.md
    /// (about the pretraining budget + 4 × the budget, plus the release build)
    #[arg(long, conflicts_with_all = ["compare", "quality", "serve"])]
    pretrained: bool,
    /// With --quality: the training budget of each configuration; with --pretrained: of each
    /// run on the ci
    #[arg(long, default_value = "8m")]
    budget: String,
    /// With --pretrained: the training budget of the shi model
    #[arg(long, default_value = "8m", requires = "pretrained")]
    pretrain_budget: String,
    /// With --compare, --quality or --serve: the corpus, a folder name under data/ (or, with
    /// --compare, a path to a folder of .txt files)
    #[arg(long, default_value = "songci")]
    corpus: String,
    /// With --compare: repetitions of every comparison [default: 3, 1 with --quick]
    #[arg(long, requires = "compare", value_parser = clap::value_parser!(u32).range(1..))]
    reps: Option<u32>,
    /// With --compare: one repetition with fewer Python iterations (under 10 minutes)
    #[arg(long, requires = "compare")]
    quick: bool,
    /// Without --compare: run only these packages' benchmarks (default: every package's)
    #[arg(long = "package", short = 'p', conflicts_with_all = ["compare", "quality", "pretrained", "serve"])]
    packages: Vec<String>,
    /// Internal: run the command after `--` and write its wall time, CPU time and peak RSS
    /// as JSON to FILE
    #[arg(long, hide = true, value_name = "FILE")]
    measure_into: Option<PathBuf>,
    /// Without --compare: arguments for criterion, e.g. a benchmark filter
    #[arg(last = true)]
    rest: Vec<OsString>,
}

pub(crate) fn run(args: &BenchArgs) -> Result<()> {
    if let Some(into) = &args.measure_into {
        return run_wrapper(&args.rest, into);
    }
    setup::run()?;
    if args.serve {
        return serve::run(&serve::ServeBench {
            corpus: args.corpus.clone(),
            clients: args.clients.iter().map(|&n| n as usize).collect(),
            duration: args.duration,
            tokens: args.tokens as usize,
        });
    }
    if args.quality {
        return quality::run(&args.corpus, &args.budget);
    }
    if args.pretrained {
        return pretrained::run(&args.budget, &args.pretrain_budget);
    }
    if !args.compare {
        let mut cmd = Command::new("cargo");
        cmd.args(["bench", "--benches"]);
        if args.packages.is_empty() {
            cmd.arg("--workspace");
        }
        for package in &args.packages {
            cmd.args(["--package", package]);
        }
        return run_command(cmd.arg("--").args(&args.rest));
    }
    let config = CompareConfig {
        workspace: project_root(),
        corpus: resolve_corpus(&args.corpus)?,
        reps: args.reps.unwrap_or(if args.quick { 1 } else { 3 }) as usize,
        quick: args.quick,
        // The private environment `setup` makes first, then the machine's python3 (which setup
        // uses instead when it has the right torch).
        pythons: vec![
            cache_dir()?.join("torch-venv").join("bin").join("python"),
            PathBuf::from("python3"),
        ],
        torch_version: setup::TORCH_VERSION.to_owned(),
        wrapper: Wrapper {
            program: std::env::current_exe().context("cannot tell where xtask runs from")?,
            args: ["bench", "--measure-into"].map(OsString::from).into(),
        },
    };
    let results = bench_compare::run(&config)?;
    println!("{}", results.table());
    let path = project_root().join("docs").join("PERFORMANCE.md");
    write_atomically(&path, &bench_compare::render(&results))?;
    println!("wrote {}", path.display());
    Ok(())
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

/// Writes `text` to `path` through a temporary file in the same folder, so that an interrupted
/// run never leaves half a document.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().expect("the doc has a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = path.with_extension(format!("md.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// A load average (1 / 5 / 15 min) as the benchmark documents print it.
fn format_load(load: Option<[f64; 3]>) -> String {
    load.map_or("unknown".into(), |[a, b, c]| {
        format!("{a:.2} / {b:.2} / {c:.2}")
    })
}
