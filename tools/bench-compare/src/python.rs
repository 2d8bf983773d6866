//! The Python side: finding a Python with the torch release the stages link, installing jieba
//! into it on demand, and running `reference/seed.py` (in this crate), whose subcommands print
//! one JSON object each (parsed here into the records below).

use crate::measure::{Measured, Wrapper, measure};
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

/// A Python interpreter that has the wanted torch release and jieba, and the wrapper its runs
/// are measured under.
#[derive(Debug)]
pub(crate) struct Python {
    interpreter: PathBuf,
    threads: usize,
    wrapper: Wrapper,
}

impl Python {
    /// The first of `candidates` that has torch `torch_version` (a local build suffix such as
    /// `+cpu` aside); installs jieba into it on demand.
    pub(crate) fn find(
        candidates: &[PathBuf],
        torch_version: &str,
        threads: usize,
        wrapper: &Wrapper,
    ) -> Result<Python> {
        let mut found = Vec::new();
        for candidate in candidates {
            match installed_torch(candidate) {
                Some(v) if v.split('+').next() == Some(torch_version) => {
                    ensure_jieba(candidate)?;
                    return Ok(Python {
                        interpreter: candidate.clone(),
                        threads,
                        wrapper: wrapper.clone(),
                    });
                }
                Some(v) => found.push(format!("{} has torch {v}", candidate.display())),
                None => found.push(format!("{} has no torch", candidate.display())),
            }
        }
        bail!(
            "no Python with torch {torch_version} for the reference ({}): run `cargo xtask setup` without LIBTORCH set (it makes a private environment with torch {torch_version} when python3 lacks it), or `pip install torch=={torch_version}` for python3",
            found.join("; "),
        )
    }

    /// Runs `seed.py ARGS` under the measuring wrapper and parses its JSON.
    pub(crate) fn run<T: DeserializeOwned>(&self, args: &[String]) -> Result<(Measured, T)> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("reference")
            .join("seed.py");
        let mut cmd = Command::new(&self.interpreter);
        cmd.arg(&script)
            .arg("--threads")
            .arg(self.threads.to_string())
            .args(args);
        let (measured, stdout) = measure(&self.wrapper, &cmd)?;
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
fn installed_torch(python: &Path) -> Option<String> {
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
