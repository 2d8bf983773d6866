//! The Rust side of training and generation: the workspace's criterion benchmarks
//! (`crates/train/benches/train_step.rs`, `crates/generate/benches/decode.rs`), run one
//! benchmark at a time, straight from their executables (so that the measured process is the
//! benchmark itself, not cargo) with a private `CRITERION_HOME`, in criterion's normal or
//! quick mode.
//!
//! Criterion leaves, per benchmark, `new/sample.json` (iteration counts and total nanoseconds
//! of each sample) and `new/benchmark.json` (with the declared throughput); the seconds per
//! iteration of each sample, and the elements one iteration processes, are read from there.
//! Normal mode takes 10 samples (the benchmark's sample size) over its measurement time; quick
//! mode times 1, then 2, 4, … iterations until two successive samples agree within 5 % or 5 s
//! have passed, so a seed-shape step (seconds long) costs one or two timed steps, not ten. On
//! a contended machine the few quick samples are noisy: quick mode is for steps so long that
//! normal mode would not fit the run's time.

use crate::measure::{Measured, Wrapper, measure};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// One run of one benchmark.
#[derive(Debug, Clone)]
pub(crate) struct BenchRun {
    pub measured: Measured,
    /// Seconds per iteration, one figure per criterion sample.
    pub iteration_seconds: Vec<f64>,
    /// Elements (tokens) one iteration processes, as the benchmark declares.
    pub elements_per_iteration: u64,
}

/// Runs benchmark `group/function` of `executable` in `workspace` with `env` set, measured
/// under `wrapper`, in criterion's quick mode when `quick`.
pub(crate) fn run(
    (workspace, wrapper): (&Path, &Wrapper),
    executable: &Path,
    (group, function): (&str, &str),
    env: &[(&str, String)],
    quick: bool,
) -> Result<BenchRun> {
    let home = tempfile::tempdir().context("cannot create a temporary directory")?;
    let id = format!("{group}/{function}");
    let mut cmd = Command::new(executable);
    cmd.args(["--bench", "--noplot", "--exact", &id]);
    if quick {
        cmd.arg("--quick");
    }
    cmd.env("CRITERION_HOME", home.path())
        .current_dir(workspace);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let (measured, _report) = measure(wrapper, &cmd)?;
    let dir = home.path().join(group).join(function).join("new");
    let (iteration_seconds, elements_per_iteration) = read_results(&dir)
        .with_context(|| format!("benchmark `{id}` of {}", executable.display()))?;
    Ok(BenchRun {
        measured,
        iteration_seconds,
        elements_per_iteration,
    })
}

/// Seconds per iteration of each sample (`sample.json`) and the elements per iteration
/// (`benchmark.json`) of one criterion benchmark directory.
pub(crate) fn read_results(dir: &Path) -> Result<(Vec<f64>, u64)> {
    #[derive(Deserialize)]
    struct Sample {
        iters: Vec<f64>,
        times: Vec<f64>,
    }
    #[derive(Deserialize)]
    struct Benchmark {
        throughput: Option<HashMap<String, u64>>,
    }
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (did the filter select no benchmark?)",
                path.display()
            )
        })
    };
    let sample: Sample = serde_json::from_str(&read("sample.json")?)
        .with_context(|| format!("{}: not criterion's sample format", dir.display()))?;
    let benchmark: Benchmark = serde_json::from_str(&read("benchmark.json")?)
        .with_context(|| format!("{}: not criterion's benchmark format", dir.display()))?;
    if sample.iters.len() != sample.times.len() || sample.iters.is_empty() {
        bail!(
            "{}/sample.json: {} iteration counts for {} times",
            dir.display(),
            sample.iters.len(),
            sample.times.len()
        );
    }
    let mut seconds: Vec<f64> = sample
        .iters
        .iter()
        .zip(&sample.times)
        .map(|(iters, nanos)| nanos / iters / 1e9)
        .collect();
    // When one quick-mode iteration outlasts the measurement time, criterion stores that one
    // measurement twice (the second a float step larger, to keep its density estimate finite):
    // count it once.
    seconds.dedup_by(|next, first| (*next - *first).abs() <= first.abs() * 1e-12);
    let elements = benchmark
        .throughput
        .and_then(|t| t.get("Elements").copied())
        .with_context(|| {
            format!(
                "{}/benchmark.json declares no element throughput (the benchmark must call `throughput(Throughput::Elements(tokens))`)",
                dir.display()
            )
        })?;
    Ok((seconds, elements))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, sample: &str, benchmark: &str) {
        std::fs::write(dir.join("sample.json"), sample).unwrap();
        std::fs::write(dir.join("benchmark.json"), benchmark).unwrap();
    }

    #[test]
    fn reads_seconds_per_iteration_and_elements() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            r#"{"sampling_mode":"Linear","iters":[1.0,2.0],"times":[2.0e9,3.0e9]}"#,
            r#"{"group_id":"g","function_id":"full","throughput":{"Elements":1500}}"#,
        );
        let (seconds, elements) = read_results(dir.path()).unwrap();
        assert_eq!(seconds, vec![2.0, 1.5]);
        assert_eq!(elements, 1500);
    }

    #[test]
    fn a_single_long_quick_measurement_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let t = 28.9e9f64;
        write(
            dir.path(),
            &format!(
                r#"{{"sampling_mode":"Flat","iters":[1.0,1.0],"times":[{t:?},{:?}]}}"#,
                t.next_up()
            ),
            r#"{"throughput":{"Elements":1500}}"#,
        );
        let (seconds, _) = read_results(dir.path()).unwrap();
        assert_eq!(seconds, vec![28.9]);
    }

    /// The error `read_results` gives for a benchmark directory holding these two files.
    fn error_for(sample: &str, benchmark: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), sample, benchmark);
        format!("{:#}", read_results(dir.path()).unwrap_err())
    }

    #[test]
    fn rejects_a_benchmark_without_element_throughput_or_with_ragged_samples() {
        let bytes = r#"{"throughput":{"Bytes":17000000}}"#;
        let err = error_for(r#"{"iters":[1.0],"times":[1.0e9]}"#, bytes);
        assert!(err.contains("element throughput"), "{err}");
        let ragged = r#"{"iters":[1.0,2.0],"times":[1.0e9]}"#;
        let err = error_for(ragged, r#"{"throughput":{"Elements":1}}"#);
        assert!(err.contains("2 iteration counts for 1 times"), "{err}");
    }
}
