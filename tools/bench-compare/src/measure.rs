//! Wall time, CPU time and peak resident memory of a child process, the same way for the Rust
//! and the Python side.
//!
//! Peak RSS comes from `getrusage(RUSAGE_CHILDREN)`, which Linux keeps as the largest `maxrss`
//! of every descendant a process has waited for. In the comparing process that figure would mix
//! all the runs so far, so each measured command runs under a fresh process, the [`Wrapper`]
//! (for xtask, a copy of itself: `cargo xtask bench --measure-into FILE -- COMMAND…`, hidden
//! from `--help`), that starts the command, waits, and writes this module's [`Measured`] record
//! as JSON to FILE ([`run_wrapper`]). The command's standard output and error pass straight
//! through. (`wait4`, which returns the rusage of one
//! child, would avoid the extra process, but std does not expose it and the workspace denies
//! `unsafe`; `nix` provides a safe `getrusage`.)

use anyhow::{Context, Result, bail};
use nix::sys::resource::{UsageWho, getrusage};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// How to start the measuring wrapper: `PROGRAM ARGS… FILE -- COMMAND…` must run COMMAND and
/// write its [`Measured`] to FILE, as [`run_wrapper`] does.
#[derive(Debug, Clone)]
pub struct Wrapper {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// What one run of a command cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Wall time from spawn to exit, seconds.
    pub wall_s: f64,
    /// User plus system CPU time of the command and its descendants, seconds.
    pub cpu_s: f64,
    /// Peak resident set size of the largest process in the command's tree, KiB.
    pub peak_rss_kib: u64,
}

/// The wrapper side: runs `command`, waits for it and writes its [`Measured`] to `into`; fails
/// when the command fails.
pub fn run_wrapper(command: &[OsString], into: &Path) -> Result<()> {
    let (program, args) = command
        .split_first()
        .context("the measuring wrapper needs a command after `--`")?;
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("cannot start {}", program.to_string_lossy()))?;
    let wall_s = started.elapsed().as_secs_f64();
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage failed")?;
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 * 1e-6;
    let measured = Measured {
        wall_s,
        cpu_s: seconds(usage.user_time()) + seconds(usage.system_time()),
        // Linux reports ru_maxrss in KiB.
        peak_rss_kib: u64::try_from(usage.max_rss()).unwrap_or(0),
    };
    std::fs::write(into, serde_json::to_vec(&measured)?)
        .with_context(|| format!("cannot write {}", into.display()))?;
    anyhow::ensure!(
        status.success(),
        "`{}` failed ({status})",
        program.to_string_lossy()
    );
    Ok(())
}

/// Runs `cmd` under `wrapper`; returns its measurement and its standard output (standard error
/// goes to ours). Fails naming the command when it fails.
pub(crate) fn measure(wrapper: &Wrapper, cmd: &Command) -> Result<(Measured, String)> {
    let record = tempfile::NamedTempFile::new().context("cannot create a temporary file")?;
    let mut wrapped = Command::new(&wrapper.program);
    wrapped
        .args(&wrapper.args)
        .arg(record.path())
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    let output = wrapped
        .output()
        .with_context(|| format!("cannot start {cmd:?} under {wrapped:?}"))?;
    if !output.status.success() {
        bail!("{cmd:?} failed ({}); its messages are above", output.status);
    }
    let text = std::fs::read_to_string(record.path())
        .with_context(|| format!("{cmd:?} left no measurement"))?;
    let measured = serde_json::from_str(&text)
        .with_context(|| format!("bad measurement of {cmd:?}: {text}"))?;
    Ok((
        measured,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(script: &str) -> Vec<OsString> {
        ["sh", "-c", script]
            .into_iter()
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn the_wrapper_records_wall_time_and_memory_of_its_child() {
        let dir = tempfile::tempdir().unwrap();
        let into = dir.path().join("m.json");
        run_wrapper(&command("sleep 0.2"), &into).unwrap();
        let m: Measured = serde_json::from_str(&std::fs::read_to_string(&into).unwrap()).unwrap();
        assert!(m.wall_s >= 0.2 && m.wall_s < 5.0, "{m:?}");
        assert!(m.peak_rss_kib > 0, "{m:?}");
        assert!(m.cpu_s < m.wall_s, "sleeping costs little CPU: {m:?}");
    }

    #[test]
    fn the_wrapper_fails_with_its_child_and_without_a_command() {
        let dir = tempfile::tempdir().unwrap();
        let into = dir.path().join("m.json");
        let err = run_wrapper(&command("exit 3"), &into).unwrap_err();
        assert!(format!("{err:#}").contains("exit status: 3"), "{err:#}");
        let err = run_wrapper(&[], &into).unwrap_err();
        assert!(format!("{err:#}").contains("needs a command"), "{err:#}");
    }
}
