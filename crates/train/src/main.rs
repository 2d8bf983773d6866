//! `jianghu-train`: trains the LSTM language model on a tokenize artifact. Besides the stage's
//! flags it takes the protocol flags of every stage ([`artifact::ProtocolArgs`]) and
//! `--log-file`, which keeps the plain lines in a file while the terminal shows the progress bar.

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use train::{LogFile, RunOptions, TrainConfig};

/// Train an LSTM language model on a tokenize artifact and write a train artifact.
#[derive(Parser, Debug)]
#[command(name = "jianghu-train", version)]
struct Args {
    /// The tokenize artifact: its directory, or an artifact root `artifacts/<corpus>` whose
    /// `tokenize/latest` is used.
    #[arg(long)]
    input: PathBuf,
    /// Artifact root to write `train/<id>/` under (default: the root the input lies in).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also append the plain lines to this file (progress every 10 s, validations, warnings,
    /// the error that ends a failed run), whether stderr shows the progress bar or lines
    #[arg(long, value_name = "PATH")]
    log_file: Option<PathBuf>,
    #[command(flatten)]
    protocol: artifact::ProtocolArgs,
    #[command(flatten)]
    config: TrainConfig,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let log = match args.log_file.as_deref().map(LogFile::append).transpose() {
        Ok(log) => log,
        Err(e) => return artifact::exit_code(Err(anyhow::Error::from(e))),
    };
    let result = run(args, log.clone());
    if let (Err(e), Some(log)) = (&result, &log) {
        log.line(&artifact::error_line(e.as_ref()));
    }
    artifact::exit_code(result)
}

fn run(args: Args, log: Option<LogFile>) -> anyhow::Result<()> {
    train::install_ctrlc_handler().context("cannot install the Ctrl-C handler")?;
    let root = match &args.output {
        Some(root) => root.clone(),
        None if args.input.join("tokenize").is_dir() => args.input.clone(),
        None => args
            .input
            .parent()
            .and_then(|p| p.parent())
            .map(PathBuf::from)
            .unwrap_or_default(),
    };
    let options = RunOptions {
        existing: args.protocol.existing(),
        log: log.clone(),
    };
    let outcome = match train::run(&args.input, &root, &args.config, options) {
        Err(e @ train::TrainError::Interrupted { .. }) => {
            // Ctrl-C: the checkpoint is written; exit like an interrupted shell command.
            let line = format!("train: {e}");
            eprintln!("{line}");
            if let Some(log) = &log {
                log.line(&line);
            }
            std::process::exit(artifact::INTERRUPTED_EXIT_CODE);
        }
        other => other.with_context(|| format!("training on {}", args.input.display()))?,
    };
    let s = &outcome.summary;
    if outcome.skipped {
        println!("train: up to date, {}", outcome.artifact.dir().display());
    } else {
        println!("train: wrote {}", outcome.artifact.dir().display());
    }
    println!(
        "  {} parameters, {} steps, {} epochs, {} tokens, stopped: {:?}, {:.0} tokens/s on {}",
        s.parameters,
        s.steps,
        s.epochs_completed,
        s.tokens_seen,
        s.stop_reason,
        s.train_tokens_per_s,
        s.device
    );
    println!(
        "  valid: loss {:.4}  ppl {:.2}  bpc {:.4}",
        s.valid.loss, s.valid.perplexity, s.valid.bits_per_char
    );
    println!(
        "  test:  loss {:.4}  ppl {:.2}  bpc {:.4}",
        s.test.loss, s.test.perplexity, s.test.bits_per_char
    );
    let b = &s.baseline;
    println!(
        "  {}-gram baseline: valid bpc {:.4} ({:+.3} for the LSTM), test bpc {:.4} ({:+.3})",
        b.order,
        b.valid.bits_per_char,
        s.valid.bits_per_char - b.valid.bits_per_char,
        b.test.bits_per_char,
        s.test.bits_per_char - b.test.bits_per_char
    );
    println!(
        "  mixture {:.2} × LSTM + {:.2} × {}-gram: valid bpc {:.4}, test bpc {:.4}",
        b.mixture.lambda,
        1.0 - b.mixture.lambda,
        b.order,
        b.mixture.valid.bits_per_char,
        b.mixture.test.bits_per_char
    );
    args.protocol.report(&outcome.artifact, outcome.skipped)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent_and_parse() {
        super::Args::command().debug_assert();
        let args = <super::Args as clap::Parser>::try_parse_from([
            "jianghu-train",
            "--input",
            "a",
            "--preset",
            "seed",
            "--time-budget",
            "1h 30m",
            "--output-layer",
            "adaptive",
            "--cutoffs",
            "100,500",
        ])
        .unwrap();
        assert_eq!(args.config.time_budget, Some(5400.0));
        assert_eq!(args.config.cutoffs, Some(vec![100, 500]));
        // A negative rate parses, for the validation to say why it is wrong.
        let args = <super::Args as clap::Parser>::try_parse_from([
            "jianghu-train",
            "--input",
            "a",
            "--lr",
            "-1",
            "--threads",
            "0",
        ])
        .unwrap();
        let err = args.config.resolve(100).unwrap_err().to_string();
        assert!(err.contains("--threads 0"), "{err}");
    }
}
