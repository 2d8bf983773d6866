//! The Python side: finding a Python with torch 2.11, installing jieba into it on demand, and
//! running `xtask/reference/seed.py`, whose subcommands print one JSON object each (parsed
//! here into the records below).

use super::measure::{Measured, measure};
use crate::setup::TORCH_VERSION;
use crate::{cache_dir, project_root};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The jieba release the reference uses (the one the seed used).
const JIEBA: &str = "jieba==0.42.1";

/// `seed.py preprocess`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Preprocessed {
    pub chars: u64,
    pub tokens: u64,
    pub vocab: u64,
    /// Time inside Python, without interpreter start and imports.
    pub seconds: f64,
}

/// `seed.py train`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Trained {
    pub tokens_per_step: u64,
    pub step_seconds: Vec<f64>,
}

/// `seed.py generate`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Generated {
    pub tokens_per_iteration: u64,
    pub iteration_seconds: Vec<f64>,
}

/// `seed.py machine`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Machine {
    pub matmul_size: u64,
    pub matmul_gflops: f64,
    pub copy_gb_per_s: f64,
    pub read_gb_per_s: f64,
    pub stream_mib: u64,
    pub torch: String,
}

/// A Python interpreter that has torch `TORCH_VERSION` and jieba.
#[derive(Debug)]
pub(crate) struct Python {
    interpreter: PathBuf,
    threads: usize,
}

impl Python {
    /// The private environment `cargo xtask setup` makes (`$JIANGHU_CACHE_DIR` or
    /// `~/.cache/jianghu`, then `torch-venv`), else the machine's `python3`, whichever has
    /// torch `TORCH_VERSION` (setup uses the latter when it has it); installs jieba on demand.
    pub(crate) fn find(threads: usize) -> Result<Python> {
        let venv = cache_dir()?.join("torch-venv").join("bin").join("python");
        let mut found = Vec::new();
        for candidate in [venv.clone(), PathBuf::from("python3")] {
            match torch_version(&candidate) {
                Some(v) if v.split('+').next() == Some(TORCH_VERSION) => {
                    ensure_jieba(&candidate)?;
                    return Ok(Python {
                        interpreter: candidate,
                        threads,
                    });
                }
                Some(v) => found.push(format!("{} has torch {v}", candidate.display())),
                None => found.push(format!("{} has no torch", candidate.display())),
            }
        }
        bail!(
            "no Python with torch {TORCH_VERSION} for the reference ({}): run `cargo xtask setup` without LIBTORCH set (it creates {} when python3 lacks torch {TORCH_VERSION}), or `pip install torch=={TORCH_VERSION}` for python3",
            found.join("; "),
            venv.display()
        )
    }

    /// Runs `seed.py ARGS` under the measuring wrapper and parses its JSON.
    pub(crate) fn run<T: DeserializeOwned>(&self, args: &[String]) -> Result<(Measured, T)> {
        let script = project_root()
            .join("xtask")
            .join("reference")
            .join("seed.py");
        let mut cmd = Command::new(&self.interpreter);
        cmd.arg(&script)
            .arg("--threads")
            .arg(self.threads.to_string())
            .args(args);
        let (measured, stdout) = measure(&cmd)?;
        let parsed = parse_json_line(&stdout)
            .with_context(|| format!("seed.py {}: unexpected output", args.join(" ")))?;
        Ok((measured, parsed))
    }
}

/// The last line of `stdout` that holds a JSON object, parsed.
pub(crate) fn parse_json_line<T: DeserializeOwned>(stdout: &str) -> Result<T> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .with_context(|| format!("no JSON object in {stdout:?}"))?;
    serde_json::from_str(line).with_context(|| format!("cannot parse {line:?}"))
}

/// torch's version as pip recorded it, without importing torch; `None` when there is none or
/// the interpreter does not run.
fn torch_version(python: &Path) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('torch'))",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !version.is_empty()).then_some(version)
}

fn ensure_jieba(python: &Path) -> Result<()> {
    let has = Command::new(python)
        .args(["-c", "import jieba"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has {
        return Ok(());
    }
    eprintln!("bench: installing {JIEBA} for {}", python.display());
    let status = Command::new(python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", JIEBA])
        // Our stdout carries the table; pip's progress belongs with the other messages.
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    anyhow::ensure!(
        status.success(),
        "`{} -m pip install {JIEBA}` failed ({status}): the reference needs jieba; install it into that Python yourself (PyPI must be reachable)",
        python.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_last_json_line_after_other_output() {
        let out =
            "loading…\n{\"tokens_per_step\": 1500, \"step_seconds\": [1.5, 2.0], \"threads\": 2}\n";
        let t: Trained = parse_json_line(out).unwrap();
        assert_eq!(t.tokens_per_step, 1500);
        assert_eq!(t.step_seconds, vec![1.5, 2.0]);
    }

    #[test]
    fn names_what_is_missing_or_malformed() {
        let err = parse_json_line::<Trained>("Traceback …\n").unwrap_err();
        assert!(format!("{err:#}").contains("no JSON object"), "{err:#}");
        let err = parse_json_line::<Trained>("{\"tokens_per_step\": 3}\n").unwrap_err();
        assert!(format!("{err:#}").contains("step_seconds"), "{err:#}");
    }
}
