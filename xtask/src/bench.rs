//! `cargo xtask bench`: the criterion benchmarks of the workspace, and with `--compare` the
//! side-by-side comparison with the Python system jianghu replaces, which prints a table and
//! writes docs/PERFORMANCE.md.
//!
//! How the comparison measures: the Rust stages run as release processes and the training and
//! generation figures come from the workspace's own criterion benchmarks (their executables
//! run one benchmark at a time in criterion's quick mode; see `criterion`), so that the
//! figures in the doc are those anyone gets from `cargo bench`, not from a second harness. The
//! Python reference (`xtask/reference/seed.py`) times the same work at the same shape in the
//! same way: untimed warm-up, then per-iteration times. Every process runs under a small
//! wrapper that records its wall time, CPU time and peak RSS (`measure`). Sides alternate
//! which goes first in each repetition; medians of all samples make the table (`report`), and
//! `doc` explains each figure against the bound measured on the machine in the same run.

mod build;
mod compare;
mod cost;
mod criterion;
mod doc;
mod machine;
mod measure;
mod python;
mod quality;
mod report;

use crate::{project_root, run_command, setup};
use anyhow::{Context, Result};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Time each Rust stage against the Python seed (xtask/reference/seed.py) on the same
    /// input and shape, print the table and write docs/PERFORMANCE.md (20 to 30 minutes on 2
    /// cores, builds excluded; `--quick` for a short run)
    #[arg(long)]
    compare: bool,
    /// Train named configurations side by side on the same corpus for the same wall-clock
    /// budget each (the cpu preset as it was, and the budget-aware schedules), and write
    /// docs/QUALITY.md with their bits per character, throughput, n-gram baselines and samples
    /// (about 4 × the budget, plus the release build)
    #[arg(long, conflicts_with = "compare")]
    quality: bool,
    /// With --quality: the training budget of each configuration
    #[arg(long, default_value = "8m", requires = "quality")]
    budget: String,
    /// With --compare or --quality: the corpus, a folder name under data/ (or, with
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
    #[arg(long = "package", short = 'p', conflicts_with_all = ["compare", "quality"])]
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
        return measure::run_wrapper(&args.rest, into);
    }
    setup::run()?;
    if args.quality {
        return quality::run(&args.corpus, &args.budget);
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
    let config = compare::CompareConfig {
        corpus: args.corpus.clone(),
        reps: args.reps.unwrap_or(if args.quick { 1 } else { 3 }) as usize,
        quick: args.quick,
    };
    let results = compare::run(&config)?;
    let rows: Vec<report::Row> = results.rows().into_iter().cloned().collect();
    println!("{}", report::table(&rows));
    let path = project_root().join("docs").join("PERFORMANCE.md");
    write_atomically(&path, &doc::render(&results))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Writes `text` to `path` through a temporary file in the same folder, so that an interrupted
/// run never leaves half a document.
fn write_atomically(path: &std::path::Path, text: &str) -> Result<()> {
    let dir = path.parent().expect("the doc has a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = path.with_extension(format!("md.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
