//! Whether a run will end in sensible time. A run without a time budget is estimated from its
//! first steps; when it would take more than [`LONG_RUN_S`], the user hears it then, with the
//! estimate and what to change, instead of finding a 31-hour ETA on a progress line (the seed
//! preset on a 2-core CPU).

use crate::config::{Preset, TrainParams};

/// The estimate is made once this many steps are taken …
pub const ESTIMATE_AFTER_STEPS: u64 = 10;
/// … and this many seconds have passed in this process (so that start-up costs fade).
pub const ESTIMATE_AFTER_S: f64 = 15.0;
/// Runs projected to take longer than this without a time budget get a warning.
pub const LONG_RUN_S: f64 = 3600.0;

/// The warning for a run that took `seconds` for `steps` steps in this process and has
/// `steps_left` to go, or `None` when it has a time budget or ends within [`LONG_RUN_S`].
pub fn long_run_warning(
    params: &TrainParams,
    on_gpu: bool,
    steps: u64,
    seconds: f64,
    steps_left: u64,
) -> Option<String> {
    if params.time_budget_s.is_some() || steps == 0 {
        return None;
    }
    let per_step = seconds / steps as f64;
    let projected = per_step * steps_left as f64;
    if projected < LONG_RUN_S {
        return None;
    }
    let advice = if params.preset == Preset::Seed && !on_gpu {
        "the seed preset is sized for a GPU: on a CPU use --preset cpu, or give --time-budget (e.g. 1h) to end in time with the learning rate annealed"
    } else {
        "give --time-budget (e.g. 1h) to end in time with the learning rate annealed, or train fewer --epochs"
    };
    Some(format!(
        "train: warning: at {per_step:.2} s per step, the {steps_left} steps left take about {} on the {}; {advice}",
        hours_minutes(projected),
        if on_gpu { "GPU" } else { "CPU" }
    ))
}

/// `31h 12m`, `45m`.
fn hours_minutes(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round() as u64;
    match minutes / 60 {
        0 => format!("{minutes}m"),
        h => format!("{h}h {:02}m", minutes % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainConfig;

    fn params(preset: Preset, budget: Option<f64>) -> TrainParams {
        TrainConfig {
            time_budget: budget,
            ..TrainConfig::preset(preset)
        }
        .resolve(1000)
        .unwrap()
    }

    #[test]
    fn a_long_run_without_a_budget_is_announced_with_what_to_change() {
        // the seed preset on 2 CPU cores: about 4.6 s per step, 24,000 steps to go
        let seed = params(Preset::Seed, None);
        let warning = long_run_warning(&seed, false, 10, 46.0, 24_000).unwrap();
        assert!(warning.contains("about 30h 40m on the CPU"), "{warning}");
        assert!(warning.contains("--preset cpu"), "{warning}");
        let on_gpu = long_run_warning(&seed, true, 10, 46.0, 24_000).unwrap();
        assert!(
            on_gpu.contains("GPU") && !on_gpu.contains("--preset cpu"),
            "{on_gpu}"
        );
        // a budget bounds the run; a short run is fine
        assert_eq!(
            long_run_warning(&params(Preset::Seed, Some(3600.0)), false, 10, 46.0, 24_000),
            None
        );
        assert_eq!(
            long_run_warning(&params(Preset::Cpu, None), false, 10, 1.0, 3_000),
            None
        );
        assert_eq!(hours_minutes(45.0 * 60.0), "45m");
    }
}
