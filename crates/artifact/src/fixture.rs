//! For the stage crates' tests (the `fixtures` feature, enabled from dev-dependencies only):
//! small artifacts written from files in memory (`clean::fixture` builds its clean artifacts
//! on it), running a stage binary for its result file, stopping a stage process as a service
//! manager does, and the lock that serialises libtorch's global random generator between tests.

use crate::{ArtifactError, Begin, Existing, Producer, Result, StageSpec, begin};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::{Mutex, MutexGuard};

/// Commits the artifact of `spec` under `root` holding `files` (paths inside the artifact,
/// parent folders made as needed) and empty metrics; returns its directory. An artifact that
/// is already complete is returned as it is.
pub fn commit_files(root: &Path, spec: StageSpec, files: &[(&str, &[u8])]) -> Result<PathBuf> {
    let producer = Producer {
        crate_name: spec.stage.clone(),
        version: "0.0.0".into(),
        git_rev: None,
    };
    let staging = match begin(root, spec, producer, Existing::Reuse)? {
        Begin::Staging(staging) => staging,
        Begin::Complete(artifact) => return Ok(artifact.dir().to_path_buf()),
    };
    for (name, bytes) in files {
        let path = staging.dir().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ArtifactError::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| ArtifactError::io(&path, e))?;
    }
    Ok(staging.commit(json!({}))?.dir().to_path_buf())
}

/// Sends SIGTERM to `child` (`kill -TERM`, what a service manager or `timeout` sends) and waits
/// Runs `command` (a stage binary with its flags) with `--result-file result`, panics with its
/// stderr unless it succeeds, and returns the result it wrote.
pub fn stage_result(command: &mut Command, result: &Path) -> crate::StageResult {
    let out = command
        .arg("--result-file")
        .arg(result)
        .output()
        .expect("the stage binary starts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crate::StageResult::read(result).expect("the stage wrote its result")
}

/// for it to end; returns its exit status and what it wrote to piped stdout and stderr.
pub fn terminate(child: Child) -> std::io::Result<Output> {
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "`kill -TERM {pid}` failed ({status})"
        )));
    }
    child.wait_with_output()
}

/// libtorch's random generator is global to the process and tests run on parallel threads:
/// a test of `model`, `train` or `generate` that seeds and draws from it holds this lock, so
/// that a seeded model or run depends on its seed alone and not on what another test drew in
/// between. A test that panicked while holding it does not poison it for the others. (It lives
/// here, not in `model`, because this crate's fixtures are compiled for those tests anyway: a
/// feature of its own on `model` would build `model` twice in `cargo xtask test`.)
pub fn torch_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
