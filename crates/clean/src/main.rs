//! `jianghu-clean`: cleans a corpus directory into a clean artifact and prints a summary.

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;

/// Decode a folder of Chinese .txt files (GB18030, UTF-16, UTF-8…), strip site adverts, credits,
/// headers, banners, garbage and paragraphs with lacunae (□), normalise whitespace, and write one
/// paragraph per line into a versioned clean artifact. Punctuation is always kept.
#[derive(Parser, Debug)]
#[command(name = "jianghu-clean", version)]
struct Cli {
    /// Corpus directory, read recursively: .txt files are cleaned, other files are listed in the
    /// report as skipped
    #[arg(long, value_name = "DIR")]
    input: PathBuf,
    /// Artifact root (`artifacts/<corpus>`); the artifact goes to `<ROOT>/clean/<id>/`
    #[arg(long, value_name = "ARTIFACT_ROOT")]
    output: PathBuf,
    #[command(flatten)]
    config: clean::CleanConfig,
}

fn main() -> std::process::ExitCode {
    artifact::exit_code(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    let outcome = clean::run(&cli.input, &cli.output, &cli.config).with_context(|| {
        format!(
            "cleaning {} into {}",
            cli.input.display(),
            cli.output.display()
        )
    })?;
    let s = &outcome.summary;
    println!(
        "clean {}: {}",
        outcome.artifact.id(),
        if outcome.skipped {
            "skipped (already complete)"
        } else {
            "written"
        }
    );
    println!(
        "  files: {} cleaned, {} skipped (see report.json)",
        s.files, s.skipped_files
    );
    println!(
        "  bytes in: {}, chars in: {}, chars out: {}, paragraphs: {}, undecodable bytes: {}",
        s.bytes_in, s.chars_in, s.chars_out, s.paragraphs, s.undecodable_bytes
    );
    println!("  removals per rule:");
    for (rule, count) in &s.removals {
        println!("    {rule}: {count}");
    }
    println!("  time: {:.2} s", started.elapsed().as_secs_f64());
    println!("  artifact: {}", outcome.artifact.dir().display());
    Ok(())
}
