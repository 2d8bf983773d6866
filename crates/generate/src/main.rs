//! `jianghu-generate`: continue a prompt or invent names with a trained model, write a generate
//! artifact and print the samples and their quality figures; or score a text (`--score`), or
//! continue prompts typed at the terminal (`--interactive`). Flags that would do nothing in the
//! chosen task are refused (see [`generate::config::Task`]), and so are the protocol flags of
//! every stage ([`artifact::ProtocolArgs`]: `--force`, `--result-file`) with `--score` and
//! `--interactive`, which write no artifact.

use anyhow::Context;
use clap::Parser;
use generate::GenerateConfig;
use generate::config::Task;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Generate text (or names) from a trained jianghu model.
#[derive(Parser, Debug)]
#[command(name = "jianghu-generate", version)]
struct Args {
    /// A train artifact directory, or an artifact root `artifacts/<corpus>` (its latest train
    /// artifact is used).
    #[arg(long, value_name = "PATH")]
    model: PathBuf,

    /// Artifact root the generate artifact goes under (default: the artifact root of the model).
    /// Not with --score or --interactive, which write no artifact.
    #[arg(long = "output", value_name = "ROOT")]
    output_root: Option<PathBuf>,

    /// Score a text file (or the .txt files of a folder) instead of generating: clean it with
    /// the model's own clean rules, tokenize it, and print tokens, characters, mean NLL,
    /// perplexity, bits per character and the `<unk>` rate. Writes no artifact. Only --model,
    /// --json and --device apply: the generation flags are refused.
    #[arg(long, value_name = "FILE", conflicts_with = "interactive")]
    score: Option<PathBuf>,

    /// With --score: print the report as JSON (refused without --score).
    #[arg(long)]
    json: bool,

    /// Read prompts from standard input, one per line, and print continuations until end of
    /// input (a line that is not UTF-8 is read as GB18030, or with its bad bytes replaced, and
    /// a warning names it). Writes no artifact; --prompt, --novel and --unique do not apply.
    #[arg(long)]
    interactive: bool,

    #[command(flatten)]
    protocol: artifact::ProtocolArgs,

    #[command(flatten)]
    config: GenerateConfig,
}

fn main() -> std::process::ExitCode {
    artifact::exit_code(run())
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    artifact::exit_on_interrupt("generate").context("cannot install the Ctrl-C handler")?;
    let task = Task::from_flags(
        args.score.is_some(),
        args.interactive,
        args.json,
        args.output_root.is_some(),
    )?;
    args.config.validate_for(task)?;
    if task != Task::Generate {
        anyhow::ensure!(
            args.protocol == artifact::ProtocolArgs::default(),
            "--force and --result-file concern the artifact of a generation run; --score and --interactive write none: leave them out"
        );
        let device = generate::parse_device(&args.config.device)?;
        let trained = generate::load_trained(&args.model, device)
            .with_context(|| format!("loading {}", args.model.display()))?;
        if let Some(path) = &args.score {
            let r = generate::score_path(&trained, path, args.config.no_mixture)
                .with_context(|| format!("scoring {}", path.display()))?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} file(s), {} paragraphs, {} tokens, {} characters\nmean nll {:.4} nats/token  perplexity {:.2}  bits/char {:.4}  <unk> rate {:.4}",
                    r.files.len(),
                    r.paragraphs,
                    r.tokens,
                    r.chars,
                    r.mean_nll,
                    r.perplexity,
                    r.bits_per_char,
                    r.unk_rate
                );
                if let Some(lambda) = r.mixture_lambda {
                    println!(
                        "scored by the mixture {lambda:.2} × LSTM + {:.2} × n-gram (--no-mixture: the LSTM alone)",
                        1.0 - lambda
                    );
                }
            }
            return Ok(());
        }
        let stdin = std::io::stdin();
        generate::interactive(&trained, &args.config, stdin.lock(), std::io::stdout())?;
        return Ok(());
    }
    // On a terminal the first sample appears token by token (text mode only: the stage does not
    // stream names); the others follow when done.
    let stream = std::io::stdout().is_terminal();
    let mut streamed = false;
    // With --form, the stage sends each sample's priming (its title) as its first text.
    let mut on_text = |i: usize, text: &str| {
        if stream && i == 0 {
            if !streamed {
                print!("{}", args.config.prompt);
                streamed = true;
            }
            print!("{text}");
            let _ = std::io::stdout().flush();
        }
    };
    let outcome = generate::run_streaming(
        &args.model,
        args.output_root.as_deref(),
        &args.config,
        args.protocol.existing(),
        &mut on_text,
    )
    .with_context(|| format!("generating from {}", args.model.display()))?;
    if streamed {
        println!("\n");
    }
    let s = &outcome.summary;
    let names = s.mode == generate::Mode::Names;
    for sample in outcome.samples.iter().skip(usize::from(streamed)) {
        println!("{}", sample.text.trim_end_matches('\n'));
        if !names {
            println!();
        }
    }
    eprintln!(
        "{} {}: {} samples ({} generated, {} tokens)",
        if outcome.skipped {
            "unchanged"
        } else {
            "wrote"
        },
        outcome.artifact.dir().display(),
        s.samples,
        s.generated,
        s.tokens
    );
    eprintln!(
        "distinct-1 {:.3}  distinct-2 {:.3}  repeated 4-grams {:.3}  copy rate {:.3}  mean nll {:.3}",
        s.distinct_1, s.distinct_2, s.repeated_4gram_rate, s.copy_rate, s.mean_nll
    );
    if let Some(lambda) = s.mixture_lambda {
        eprintln!(
            "drawn from the mixture {lambda:.2} × LSTM + {:.2} × n-gram, which train found better on valid (--no-mixture: the LSTM alone)",
            1.0 - lambda
        );
    }
    for f in &s.forms {
        eprintln!("{}", generate::form::check::describe(f));
    }
    if names {
        eprintln!(
            "names: {} kept of {} requested; dropped {} empty, {} in the training data, {} duplicates{}",
            s.samples,
            s.requested,
            s.dropped_empty,
            s.dropped_known,
            s.dropped_duplicate,
            if s.cap_reached {
                " (stopped at the cap of generated names)"
            } else {
                ""
            }
        );
    }
    args.protocol.report(&outcome.artifact, outcome.skipped)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    fn parse(args: &[&str]) -> super::Args {
        super::Args::try_parse_from(
            ["jianghu-generate", "--model", "m"]
                .iter()
                .chain(args)
                .copied(),
        )
        .unwrap()
    }

    #[test]
    fn flags_are_consistent_and_negative_numbers_parse() {
        super::Args::command().debug_assert();
        let args = parse(&["--temperature", "-1", "--top-p", "-0.5"]);
        assert_eq!(
            (args.config.temperature, args.config.top_p),
            (-1.0, Some(-0.5))
        );
        assert!(
            super::Args::try_parse_from([
                "jianghu-generate",
                "--model",
                "m",
                "--score",
                "a.txt",
                "--interactive"
            ])
            .is_err()
        );
    }
}
