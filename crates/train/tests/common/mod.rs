//! Fixtures shared by the train tests: tiny tokenize artifacts made by the real tokenize stage
//! from generated clean artifacts, and tiny model configs.

#![allow(dead_code)] // each test file uses a different subset

use artifact::StageSpec;
use artifact::fixture::commit_files;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

/// libtorch's random generator is global to the process: tests that train hold this lock so
/// that seeded runs are not disturbed by another test drawing numbers in parallel.
pub fn torch_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
use tokenize::{Level, Split, TokenizeConfig};
use train::{Preset, StepAction, TrainConfig};

/// Commits a clean artifact under `root` with one document of `paragraphs`.
pub fn clean_artifact(root: &Path, paragraphs: &[String]) -> PathBuf {
    let text: String = paragraphs.iter().map(|p| format!("{p}\n")).collect();
    let spec = StageSpec {
        stage: "clean".into(),
        format_version: 1,
        params: json!({"fixture": text}),
        inputs: vec![],
    };
    commit_files(root, spec, &[("docs/a.txt", text.as_bytes())]).unwrap()
}

/// A char-level tokenize artifact (60/20/20) of `paragraphs`, made by `tokenize::run`.
pub fn tokenize_artifact(root: &Path, paragraphs: &[String]) -> PathBuf {
    let clean = clean_artifact(root, paragraphs);
    let config = TokenizeConfig {
        level: Level::Char,
        split: Split {
            train: 60,
            valid: 20,
            test: 20,
        },
        ..TokenizeConfig::default()
    };
    let outcome = tokenize::run(&clean, Some(root), &config, artifact::Existing::Reuse).unwrap();
    outcome.artifact.dir().to_path_buf()
}

/// [`tokenize_artifact`] of 40 lines of [`periodic_corpus`], the input most tests train on.
pub fn periodic_input(root: &Path) -> PathBuf {
    tokenize_artifact(root, &periodic_corpus(40))
}

/// `n` copies of a short poem line: the next character is always predictable.
pub fn periodic_corpus(n: usize) -> Vec<String> {
    (0..n).map(|_| "春花秋月何时了".to_owned()).collect()
}

/// [`tiny_config`] validating, and so checkpointing, every 4 steps.
pub fn checkpointing_config() -> TrainConfig {
    TrainConfig {
        eval_every: Some(4),
        ..tiny_config()
    }
}

/// A model of a few hundred parameters, quick settings, no progress output.
pub fn tiny_config() -> TrainConfig {
    TrainConfig {
        embed_dim: Some(4),
        hidden_size: Some(8),
        num_layers: Some(1),
        dropout: Some(0.1),
        output_layer: Some(train::OutputArg::Full),
        batch_size: Some(2),
        seq_len: Some(8),
        epochs: Some(3),
        lr: Some(0.02),
        threads: Some(1),
        device: "cpu".into(),
        quiet: true,
        ..TrainConfig::preset(Preset::Cpu)
    }
}

/// Entries of `<root>/train/` (empty when it does not exist).
pub fn train_entries(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(root.join("train")) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    };
    names.sort();
    names
}

/// A hook that answers `action` at step `target` and continues otherwise.
pub fn at_step(target: u64, action: StepAction) -> impl Fn(u64) -> StepAction {
    move |step| {
        if step == target {
            action
        } else {
            StepAction::Continue
        }
    }
}

/// `jianghu-train` with the flags of [`tiny_config`] and `extra`.
pub fn train_command(input: &Path, root: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jianghu-train"));
    command
        .args(["--input".as_ref(), input.as_os_str()])
        .args(["--output".as_ref(), root.as_os_str()])
        .args([
            "--embed-dim",
            "4",
            "--hidden-size",
            "8",
            "--num-layers",
            "1",
            "--dropout",
            "0.1",
            "--output-layer",
            "full",
            "--batch-size",
            "2",
            "--seq-len",
            "8",
            "--lr",
            "0.02",
            "--threads",
            "1",
            "--device",
            "cpu",
            "--quiet",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}
