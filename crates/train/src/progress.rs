//! Progress output: an indicatif bar on a terminal, plain periodic lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Debug)]
pub enum Progress {
    Bar(ProgressBar),
    /// One line on stderr at most every `every`.
    Lines {
        every: Duration,
        last: Instant,
    },
    Quiet,
}

impl Progress {
    /// A bar when stderr is a terminal, lines otherwise; nothing when `quiet`.
    pub fn new(quiet: bool, total_steps: u64, done: u64) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_steps);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} steps  {msg}  ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_position(done);
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                every: Duration::from_secs(10),
                last: Instant::now(),
            }
        }
    }

    /// Reports the state after a step.
    pub fn step(&mut self, step: u64, total: u64, epoch: u32, loss: f64, tokens_per_s: f64) {
        let msg = format!("epoch {epoch}  loss {loss:.3}  {tokens_per_s:.0} tok/s");
        match self {
            Progress::Bar(bar) => {
                bar.set_position(step);
                bar.set_message(msg);
            }
            Progress::Lines { every, last } => {
                if last.elapsed() >= *every {
                    *last = Instant::now();
                    eprintln!("step {step}/{total}  {msg}");
                }
            }
            Progress::Quiet => {}
        }
    }

    /// A line that stays (validation results, stop reasons).
    pub fn println(&self, line: &str) {
        match self {
            Progress::Bar(bar) => bar.println(line),
            Progress::Lines { .. } => eprintln!("{line}"),
            Progress::Quiet => {}
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
