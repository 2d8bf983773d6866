//! `cargo xtask`: sets up libtorch, fetches the default corpora, runs the pipeline or one stage,
//! inspects artifacts, writes reports, serves the models over HTTP, benchmarks, and runs the
//! tests.
//!
//! A plain binary with one module per subcommand (rust-analyzer's xtask convention). It never
//! depends on `tch`: it must build before libtorch exists, because installing libtorch is its job.

mod bench;
mod fetch_data;
mod inspect;
mod pipeline;
mod report;
mod serve;
mod setup;
mod test;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pipeline::stage::Stage;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Tasks for jianghu: Chinese text in, an LSTM language model and new text in its style out.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Make libtorch 2.11.0 available to the build (installs PyTorch from PyPI into a private
    /// environment in the cache directory when needed; a second run does nothing).
    Setup,
    /// Download the default corpora (npm package chinese-poetry@2.0.1) into data/songci and
    /// data/poet-names.
    FetchData(fetch_data::FetchArgs),
    /// Run the whole pipeline on a corpus: clean → tokenize → train → generate.
    Pipeline(pipeline::PipelineArgs),
    /// Run the clean stage alone (`cargo xtask clean --help` lists its flags).
    Clean(pipeline::single::StageCommandArgs),
    /// Run the tokenize stage alone on the latest clean artifact of a corpus.
    Tokenize(pipeline::single::StageCommandArgs),
    /// Run the train stage alone on the latest tokenize artifact of a corpus.
    Train(pipeline::single::StageCommandArgs),
    /// Generate text with the latest train artifact of a corpus, e.g.
    /// `cargo xtask generate --prompt 令狐冲 --top-p 0.9`.
    Generate(pipeline::single::StageCommandArgs),
    /// List artifacts with their lineage, or show one artifact (`--verify` re-hashes outputs).
    Inspect(inspect::InspectArgs),
    /// Write `artifacts/<corpus>/report.html`: lineage, stage figures, loss curve and samples of
    /// the latest run, in one self-contained page.
    Report(report::ReportArgs),
    /// Serve the latest trained models over HTTP with a page at `/` (`jianghu-serve`, built
    /// first), e.g. `cargo xtask serve songci --port 8080`; `cargo xtask serve --help` lists
    /// the server's flags.
    Serve(serve::ServeArgs),
    /// Check formatting, run clippy with warnings denied, and run the whole test suite.
    Test,
    /// Run the criterion benchmarks, or with `--compare` time every stage against the Python
    /// seed and write docs/PERFORMANCE.md.
    Bench(bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let result = run(Cli::parse());
    if let Err(e) = &result
        && e.downcast_ref::<pipeline::stage::Interrupted>().is_some()
    {
        eprintln!("error: {e:#}");
        return std::process::ExitCode::from(130);
    }
    artifact::exit_code(result)
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Task::Setup => setup::run().map(drop),
        Task::FetchData(args) => fetch_data::run(&args),
        Task::Pipeline(args) => pipeline::run(&args),
        Task::Clean(args) => pipeline::single::run(Stage::Clean, &args),
        Task::Tokenize(args) => pipeline::single::run(Stage::Tokenize, &args),
        Task::Train(args) => pipeline::single::run(Stage::Train, &args),
        Task::Generate(args) => pipeline::single::run(Stage::Generate, &args),
        Task::Inspect(args) => inspect::run(&args),
        Task::Report(args) => report::run(&args),
        Task::Serve(args) => serve::run(&args),
        Task::Test => test::run(),
        Task::Bench(args) => bench::run(&args),
    }
}

/// The workspace root (the directory holding the top-level Cargo.toml).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR`, else `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

/// `$JIANGHU_CACHE_DIR`, else the user's cache directory (XDG) joined with `jianghu`.
fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("JIANGHU_CACHE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let base = dirs::cache_dir()
        .context("cannot tell the cache directory: set JIANGHU_CACHE_DIR or HOME")?;
    Ok(base.join("jianghu"))
}

/// Runs a command in the workspace root, echoing it first; fails naming the command.
fn run_command(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .current_dir(project_root())
        .status()
        .with_context(|| format!("cannot start `{}`", describe(cmd)))?;
    anyhow::ensure!(status.success(), "`{}` failed ({status})", describe(cmd));
    Ok(())
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
