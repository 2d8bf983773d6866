//! Fixtures shared by the train tests: tiny tokenize artifacts made by the real tokenize stage
//! from clean artifacts of `clean::fixture`, and tiny model configs.

#![allow(dead_code)] // each test file uses a different subset

use artifact::fixture::torch_lock;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::MutexGuard;
use tempfile::TempDir;
use tokenize::Split;
use train::{Preset, StepAction, TrainConfig};

/// A char-level tokenize artifact split `split` of a clean artifact with one document of
/// `paragraphs`, made by `tokenize::run`.
pub fn tokenize_artifact_split(root: &Path, paragraphs: &[String], split: Split) -> PathBuf {
    let text: String = paragraphs.iter().map(|p| format!("{p}\n")).collect();
    let clean = clean::fixture::clean_artifact(root, &[("a.txt", &text)]).unwrap();
    let outcome = tokenize::fixture::char_artifact(root, &clean, split).unwrap();
    outcome.artifact.dir().to_path_buf()
}

/// [`tokenize_artifact_split`] 60/20/20.
pub fn tokenize_artifact(root: &Path, paragraphs: &[String]) -> PathBuf {
    let split = Split {
        train: 60,
        valid: 20,
        test: 20,
    };
    tokenize_artifact_split(root, paragraphs, split)
}

/// [`tokenize_artifact`] of 40 lines of [`periodic_corpus`], the input most tests train on.
pub fn periodic_input(root: &Path) -> PathBuf {
    tokenize_artifact(root, &periodic_corpus(40))
}

/// What most tests begin with: libtorch's generator locked for the test (hold the guard), a
/// temporary artifact root, and [`periodic_input`] in it.
pub fn locked_periodic_input() -> (MutexGuard<'static, ()>, TempDir, PathBuf) {
    let lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let input = periodic_input(tmp.path());
    (lock, tmp, input)
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
