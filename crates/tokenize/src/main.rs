//! `jianghu-tokenize`: the thin command-line shell of the tokenize stage, with the protocol
//! flags of every stage ([`artifact::ProtocolArgs`]: `--force`, `--result-file`).

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;
use tokenize::{SplitStats, TokenizeConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Cut a clean corpus into words (jieba) or characters, build the vocabulary and write
/// train/valid/test id streams as a tokenize artifact.
#[derive(Parser, Debug)]
#[command(name = "jianghu-tokenize", version)]
struct Cli {
    /// A clean artifact directory (`artifacts/<corpus>/clean/<id>`), or an artifact root
    /// (`artifacts/<corpus>`) whose latest clean artifact is used.
    #[arg(long, value_name = "PATH")]
    input: PathBuf,

    /// Artifact root to write into (`artifacts/<corpus>`); defaults to the root the clean
    /// artifact lies in.
    #[arg(long, value_name = "ROOT")]
    output: Option<PathBuf>,

    #[command(flatten)]
    protocol: artifact::ProtocolArgs,

    #[command(flatten)]
    config: TokenizeConfig,
}

fn line(name: &str, s: &SplitStats) -> String {
    format!(
        "  {name:<6} {:>7} paragraphs {:>11} chars {:>11} tokens   <unk> {:.3}%",
        s.paragraphs,
        s.characters,
        s.tokens,
        100.0 * s.unk_rate
    )
}

fn main() -> std::process::ExitCode {
    artifact::exit_code(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    artifact::exit_on_interrupt("tokenize").context("cannot install the Ctrl-C handler")?;
    let started = Instant::now();
    let outcome = tokenize::run(
        &cli.input,
        cli.output.as_deref(),
        &cli.config,
        cli.protocol.existing(),
    )
    .with_context(|| format!("tokenizing {}", cli.input.display()))?;
    let stats = &outcome.stats;
    let s = &stats.splits;
    if outcome.skipped {
        println!("tokenize: already complete, skipped");
    }
    println!(
        "tokenize: {} documents, {} characters, level {}",
        stats.documents, stats.overall.characters, cli.config.level
    );
    println!("{}", line("train", &s.train));
    println!("{}", line("valid", &s.valid));
    println!("{}", line("test", &s.test));
    println!(
        "  vocabulary {} (of {} distinct train tokens), <unk> rate {:.3}%",
        stats.vocab_size,
        stats.types_in_train,
        100.0 * stats.overall.unk_rate
    );
    println!(
        "  time {:.2} s, artifact {}",
        started.elapsed().as_secs_f64(),
        outcome.artifact.dir().display()
    );
    cli.protocol.report(&outcome.artifact, outcome.skipped)?;
    Ok(())
}
