//! `jianghu-clean`: cleans a corpus directory into a clean artifact and prints a summary: every
//! skipped file with its reason, files that mix encodings with their line counts, removals per
//! rule with the characters they took, and warnings (on stderr) naming file and line. It takes
//! the protocol flags of every stage ([`artifact::ProtocolArgs`]: `--force`, `--result-file`).

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;

/// Decode a folder of Chinese .txt files (GB18030, Big5, UTF-16, UTF-8, and files that mix UTF-8
/// and GB18030 lines), strip site adverts, credits, headers, banners, garbage, stray control
/// characters and lacuna marks (□), normalise whitespace, and write one paragraph per line into a
/// versioned clean artifact. Punctuation is always kept. Only regular files are read: FIFOs,
/// sockets, devices (also behind symbolic links) and binary files are skipped and named.
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
    protocol: artifact::ProtocolArgs,
    #[command(flatten)]
    config: clean::CleanConfig,
}

fn main() -> std::process::ExitCode {
    artifact::exit_code(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    artifact::exit_on_interrupt("clean").context("cannot install the Ctrl-C handler")?;
    let started = Instant::now();
    let outcome = clean::run(
        &cli.input,
        &cli.output,
        &cli.config,
        cli.protocol.existing(),
    )
    .with_context(|| {
        format!(
            "cleaning {} into {}",
            cli.input.display(),
            cli.output.display()
        )
    })?;
    let s = &outcome.summary;
    let report = &outcome.report;
    println!(
        "clean {}: {}",
        outcome.artifact.id(),
        if outcome.skipped {
            "skipped (already complete)"
        } else {
            "written"
        }
    );
    println!("  files: {} cleaned, {} skipped", s.files, s.skipped_files);
    for skipped in &report.skipped {
        println!("    skipped {}: {}", skipped.path, skipped.reason);
    }
    let mut encodings: Vec<(&str, usize)> = Vec::new();
    for f in &report.files {
        match encodings.iter_mut().find(|(e, _)| *e == f.encoding) {
            Some((_, n)) => *n += 1,
            None => encodings.push((&f.encoding, 1)),
        }
    }
    encodings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let encodings: Vec<String> = encodings
        .iter()
        .map(|(e, n)| format!("{e} {n} {}", if *n == 1 { "file" } else { "files" }))
        .collect();
    println!("  encodings: {}", encodings.join(", "));
    let mixed: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.line_encodings.len() > 1)
        .collect();
    if !mixed.is_empty() {
        println!("  files that mix encodings (decoded line by line):");
        for f in mixed {
            let mut counts: Vec<_> = f.line_encodings.iter().collect();
            counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let counts: Vec<String> = counts
                .iter()
                .map(|(name, n)| format!("{name} {n} {}", if **n == 1 { "line" } else { "lines" }))
                .collect();
            println!("    {}: {}", f.path, counts.join(", "));
        }
    }
    println!(
        "  bytes in: {}, chars in: {}, chars out: {}, paragraphs: {}, undecodable bytes: {}, control characters removed: {}",
        s.bytes_in, s.chars_in, s.chars_out, s.paragraphs, s.undecodable_bytes, s.control_chars
    );
    if !cli.config.convert.is_none() {
        println!(
            "  converted ({}): {} characters changed",
            cli.config.convert, s.converted_chars
        );
    }
    println!("  removals per rule:");
    for (rule, count) in &s.removals {
        let chars = s.removed_chars.get(rule).copied().unwrap_or(0);
        println!("    {rule}: {count} ({chars} chars)");
    }
    println!("  time: {:.2} s", started.elapsed().as_secs_f64());
    println!("  artifact: {}", outcome.artifact.dir().display());
    for f in &report.files {
        for warning in &f.warnings {
            eprintln!("warning: {}: {warning}", f.path);
        }
    }
    cli.protocol.report(&outcome.artifact, outcome.skipped)?;
    Ok(())
}
