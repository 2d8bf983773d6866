//! The learning-rate schedule: how the rate moves during a run.
//!
//! A run with a budget (`--time-budget`, `--max-steps`) should end with the rate near zero
//! exactly when the budget runs out: the last minutes then refine what was learned instead of
//! being cut off at full rate. [`LrSchedule::Cosine`] does that: a linear warm-up over the
//! first `warmup` fraction of the run, then half a cosine down to zero at its end. How far the
//! run is ([`run_fraction`]) is the larger of the steps taken over the steps allowed (the
//! epochs or `--max-steps`, whichever is fewer) and the training time spent over
//! `--time-budget`; the time includes validation and counts across resumes, so a resumed run
//! continues the schedule where it stopped. [`LrSchedule::Plateau`] is the rate of runs without
//! a budget: constant, times a decay after every validation that does not improve.

use serde::{Deserialize, Serialize};

/// The schedule, as resolved into the params.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// Constant rate, multiplied by `decay` (in (0, 1]) after each validation without
    /// improvement.
    Plateau { decay: f64 },
    /// Linear warm-up from [`WARMUP_START`] × the rate over the first `warmup` fraction of the
    /// run (in [0, [`MAX_WARMUP`]]), then cosine decay to zero at the end of the run.
    Cosine { warmup: f64 },
}

/// The warm-up starts at this fraction of the rate (not at zero: the first step would be lost).
pub const WARMUP_START: f64 = 0.1;
/// The longest warm-up, as a fraction of the run: the decay needs the rest.
pub const MAX_WARMUP: f64 = 0.5;
/// The default warm-up fraction of [`LrSchedule::Cosine`]: 2% (10 s of an 8-minute run).
pub const DEFAULT_WARMUP: f64 = 0.02;

impl LrSchedule {
    /// The rate at `fraction` (in [0, 1]) of the run for the base rate `lr`; `None` for
    /// [`LrSchedule::Plateau`], whose rate depends on the validations instead.
    pub fn lr_at(self, lr: f64, fraction: f64) -> Option<f64> {
        let LrSchedule::Cosine { warmup } = self else {
            return None;
        };
        let f = fraction.clamp(0.0, 1.0);
        Some(if f < warmup {
            lr * (WARMUP_START + (1.0 - WARMUP_START) * f / warmup)
        } else {
            let decay = (f - warmup) / (1.0 - warmup);
            lr * 0.5 * (1.0 + (std::f64::consts::PI * decay).cos())
        })
    }

    /// Checks the values, naming the flags.
    pub fn validate(self) -> Result<(), String> {
        match self {
            LrSchedule::Plateau { decay } if !(decay > 0.0 && decay <= 1.0) => Err(format!(
                "--lr-decay {decay}: must be a number in (0, 1] (1: never decay)"
            )),
            LrSchedule::Cosine { warmup } if !(0.0..=MAX_WARMUP).contains(&warmup) => Err(format!(
                "--warmup {warmup}: must be a fraction of the run in [0, {MAX_WARMUP}] (e.g. 0.02: the first 2%), so that the decay has the rest"
            )),
            _ => Ok(()),
        }
    }
}

/// How far a run is, in [0, 1]: the larger of `step / total_steps` and `elapsed_s / budget_s`.
pub fn run_fraction(step: u64, total_steps: u64, elapsed_s: f64, budget_s: Option<f64>) -> f64 {
    let by_steps = step as f64 / total_steps.max(1) as f64;
    let by_time = budget_s.map_or(0.0, |b| elapsed_s / b);
    by_steps.max(by_time).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_warms_up_then_reaches_zero_at_the_end_of_the_run() {
        let s = LrSchedule::Cosine { warmup: 0.1 };
        let lr = |f| s.lr_at(4e-3, f).unwrap();
        assert!((lr(0.0) - 4e-4).abs() < 1e-15, "start: {}", lr(0.0));
        assert!((lr(0.05) - 4e-3 * 0.55).abs() < 1e-15);
        assert!((lr(0.1) - 4e-3).abs() < 1e-15, "warm-up end: {}", lr(0.1));
        assert!(
            (lr(0.55) - 2e-3).abs() < 1e-15,
            "half-way down: {}",
            lr(0.55)
        );
        assert_eq!(lr(1.0), 0.0);
        assert_eq!(lr(1.5), 0.0, "past the budget");
        let down: Vec<f64> = (10..=100).map(|i| lr(f64::from(i) / 100.0)).collect();
        assert!(down.windows(2).all(|w| w[1] < w[0]), "{down:?}");
        let none = LrSchedule::Cosine { warmup: 0.0 };
        assert_eq!(none.lr_at(1.0, 0.0), Some(1.0));
        assert_eq!(LrSchedule::Plateau { decay: 0.5 }.lr_at(1.0, 0.5), None);
    }

    #[test]
    fn the_run_fraction_is_whichever_budget_runs_out_first() {
        assert_eq!(run_fraction(0, 100, 0.0, None), 0.0);
        assert_eq!(run_fraction(25, 100, 10.0, None), 0.25);
        assert_eq!(run_fraction(25, 100, 240.0, Some(480.0)), 0.5);
        assert_eq!(run_fraction(75, 100, 240.0, Some(480.0)), 0.75);
        assert_eq!(run_fraction(75, 100, 600.0, Some(480.0)), 1.0);
        assert_eq!(run_fraction(3, 0, 0.0, None), 1.0);
    }

    #[test]
    fn bad_settings_name_the_flag() {
        let err = LrSchedule::Cosine { warmup: 0.6 }.validate().unwrap_err();
        assert!(err.contains("--warmup 0.6"), "{err}");
        let err = LrSchedule::Cosine { warmup: -0.1 }.validate().unwrap_err();
        assert!(err.contains("--warmup -0.1"), "{err}");
        let err = LrSchedule::Plateau { decay: 0.0 }.validate().unwrap_err();
        assert!(err.contains("--lr-decay 0"), "{err}");
        LrSchedule::Cosine { warmup: 0.5 }.validate().unwrap();
        LrSchedule::Plateau { decay: 1.0 }.validate().unwrap();
    }
}
