//! Progress output: an indicatif bar on a terminal, plain periodic lines otherwise; both with
//! how far the run is (the fraction of [`crate::schedule::run_fraction`]: steps or time budget,
//! whichever ends first, so a run that the time budget ends fills the bar too), the time spent
//! and an estimate of the time left that counts the time budget. With a [`LogFile`]
//! (`--log-file`) the plain lines also go there, whatever stderr shows: under the bar, the log
//! gets the periodic lines the bar stands for.

use crate::log::LogFile;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How progress is shown on stderr.
#[derive(Debug)]
enum View {
    Bar(ProgressBar),
    /// The plain periodic lines.
    Lines,
    Quiet,
}

/// How often a plain progress line is written.
const LINE_EVERY: Duration = Duration::from_secs(10);

/// Resolution of the bar: tenths of a percent of the run.
const BAR_LENGTH: u64 = 1000;

/// Progress of one training run (or of its continuation after a resume).
#[derive(Debug)]
pub struct Progress {
    view: View,
    log: Option<LogFile>,
    /// At most one plain progress line per `line_every`; `last_line` is when the last one was due.
    line_every: Duration,
    last_line: Instant,
    started: Instant,
    /// The step the run (re)started at.
    start_step: u64,
    /// What was left of the time budget when it (re)started, seconds.
    budget_left_s: Option<f64>,
}

impl Progress {
    /// A bar when stderr is a terminal, lines otherwise; nothing when `quiet` (the log then
    /// gets only warnings, as stderr does). `done` steps are behind already (a resumed run,
    /// `done_fraction` of it), and `budget_left_s` of the time budget is left.
    pub fn new(
        quiet: bool,
        log: Option<LogFile>,
        done: u64,
        done_fraction: f64,
        budget_left_s: Option<f64>,
    ) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        Progress::with_view(terminal, quiet, log, done, done_fraction, budget_left_s)
    }

    /// [`Progress::new`] with the terminal question answered by the caller.
    fn with_view(
        terminal: bool,
        quiet: bool,
        log: Option<LogFile>,
        done: u64,
        done_fraction: f64,
        budget_left_s: Option<f64>,
    ) -> Progress {
        let view = if quiet {
            View::Quiet
        } else if terminal {
            let bar = ProgressBar::new(BAR_LENGTH);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {percent:>3}%  {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_position(bar_position(done_fraction));
            View::Bar(bar)
        } else {
            View::Lines
        };
        Progress {
            view,
            log,
            line_every: LINE_EVERY,
            last_line: Instant::now(),
            started: Instant::now(),
            start_step: done,
            budget_left_s,
        }
    }

    /// Reports the state after a step: `step` of at most `total`, `fraction` of the run done.
    pub fn step(
        &mut self,
        step: u64,
        total: u64,
        fraction: f64,
        epoch: u32,
        loss: f64,
        tokens_per_s: f64,
    ) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = remaining_s(
            step.saturating_sub(self.start_step),
            total.saturating_sub(step),
            elapsed,
            self.budget_left_s,
        )
        .map_or_else(|| "?".to_owned(), clock);
        let msg = format!(
            "step {step}  epoch {epoch}  loss {loss:.3}  {tokens_per_s:.0} tok/s  ETA {eta}"
        );
        let line_due = self.last_line.elapsed() >= self.line_every;
        if line_due {
            self.last_line = Instant::now();
        }
        let line = line_due.then(|| {
            format!(
                "{:>3.0}%  {msg}  elapsed {}",
                100.0 * fraction,
                clock(elapsed)
            )
        });
        match &self.view {
            View::Bar(bar) => {
                bar.set_position(bar_position(fraction));
                bar.set_message(msg);
            }
            View::Lines => {
                if let Some(line) = &line {
                    eprintln!("{line}");
                }
            }
            View::Quiet => return,
        }
        if let Some(line) = &line {
            self.log_line(line);
        }
    }

    /// A line that stays (validation results, stop reasons).
    pub fn println(&self, line: &str) {
        match &self.view {
            View::Bar(bar) => bar.println(line),
            View::Lines => eprintln!("{line}"),
            View::Quiet => return,
        }
        self.log_line(line);
    }

    /// A warning: shown in every view, `--quiet` included (it is not progress).
    pub fn warn(&self, line: &str) {
        match &self.view {
            View::Bar(bar) => bar.println(line),
            View::Lines | View::Quiet => eprintln!("{line}"),
        }
        self.log_line(line);
    }

    fn log_line(&self, line: &str) {
        if let Some(log) = &self.log {
            log.line(line);
        }
    }

    pub fn finish(&self) {
        if let View::Bar(bar) = &self.view {
            bar.finish_and_clear();
        }
    }
}

fn bar_position(fraction: f64) -> u64 {
    (fraction.clamp(0.0, 1.0) * BAR_LENGTH as f64).round() as u64
}

/// Seconds left: `steps_left` at the pace of the `steps_done` in `elapsed_s` so far, or what is
/// left of the time budget if that ends sooner. `None` before the first step.
fn remaining_s(
    steps_done: u64,
    steps_left: u64,
    elapsed_s: f64,
    budget_left_s: Option<f64>,
) -> Option<f64> {
    if steps_done == 0 {
        return None;
    }
    let by_steps = steps_left as f64 * elapsed_s / steps_done as f64;
    Some(match budget_left_s {
        Some(budget) => by_steps.min((budget - elapsed_s).max(0.0)),
        None => by_steps,
    })
}

/// `m:ss`, or `h:mm:ss` from an hour.
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::{Progress, View, bar_position, clock, remaining_s};
    use crate::log::LogFile;
    use std::time::Duration;

    /// A progress on a terminal (or not, or quiet) that logs to `train.log` in `dir` and is due
    /// a plain line at every step.
    fn logged(dir: &std::path::Path, terminal: bool, quiet: bool) -> Progress {
        let log = LogFile::append(&dir.join("train.log")).unwrap();
        let mut progress = Progress::with_view(terminal, quiet, Some(log), 0, 0.0, Some(480.0));
        progress.line_every = Duration::ZERO;
        progress
    }

    #[test]
    fn under_the_bar_the_log_gets_the_plain_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut progress = logged(dir.path(), true, false);
        assert!(matches!(progress.view, View::Bar(_)));
        progress.step(10, 100, 0.1, 0, 5.25, 1234.0);
        progress.println("valid loss 5.0");
        progress.warn("warning: slow");
        progress.finish();
        let log = std::fs::read_to_string(dir.path().join("train.log")).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 3, "{log}");
        assert!(
            lines[0].starts_with(" 10%  step 10  epoch 0  loss 5.250  1234 tok/s  ETA "),
            "{log}"
        );
        assert_eq!(&lines[1..], ["valid loss 5.0", "warning: slow"]);
        // No bar drawing in the file: it is for reading.
        assert!(!log.contains('\r') && !log.contains('\u{1b}'), "{log:?}");
    }

    #[test]
    fn off_a_terminal_the_log_gets_the_lines_stderr_gets_and_quiet_only_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let mut lines = logged(dir.path(), false, false);
        assert!(matches!(lines.view, View::Lines));
        lines.step(5, 10, 0.5, 1, 3.0, 10.0);
        let log = std::fs::read_to_string(dir.path().join("train.log")).unwrap();
        assert!(
            log.starts_with(" 50%  step 5  epoch 1  loss 3.000"),
            "{log}"
        );

        let quiet_dir = tempfile::tempdir().unwrap();
        let mut quiet = logged(quiet_dir.path(), true, true);
        quiet.step(5, 10, 0.5, 1, 3.0, 10.0);
        quiet.println("valid loss 5.0");
        quiet.warn("warning: slow");
        let log = std::fs::read_to_string(quiet_dir.path().join("train.log")).unwrap();
        assert_eq!(log, "warning: slow\n");
    }

    #[test]
    fn time_left_counts_the_budget() {
        // 100 steps in 50 s, 300 to go: 150 s at that pace.
        assert_eq!(remaining_s(100, 300, 50.0, None), Some(150.0));
        // A budget with 60 s left ends first.
        assert_eq!(remaining_s(100, 300, 50.0, Some(110.0)), Some(60.0));
        // A budget past its end leaves nothing.
        assert_eq!(remaining_s(100, 300, 50.0, Some(40.0)), Some(0.0));
        assert_eq!(remaining_s(0, 300, 0.0, Some(480.0)), None);
        assert_eq!(clock(65.4), "1:05");
        assert_eq!(clock(3725.0), "1:02:05");
        // the bar shows the run's fraction, whatever the number of steps
        assert_eq!(bar_position(0.4567), 457);
        assert_eq!((bar_position(-0.1), bar_position(1.2)), (0, 1000));
    }
}
