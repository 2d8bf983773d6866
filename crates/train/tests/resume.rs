//! The resume checkpoint of a run in progress: written at every validation, left behind by a
//! diverged or killed run and resumable from there to the same result as an uninterrupted
//! run, removed after a clean finish, and owned by one process at a time.

mod common;

use artifact::fixture::torch_lock;
use common::{
    at_step, checkpointing_config, locked_periodic_input, periodic_input, tiny_config,
    train_command, train_entries,
};
use std::path::Path;
use std::time::{Duration, Instant};
use train::metrics::from_jsonl;
use train::{StepAction, TrainConfig, TrainError, run, run_with_hook};

/// The records of an artifact without the wall-clock throughput.
fn losses(dir: &Path) -> Vec<(String, u64, u64, f64, f64)> {
    from_jsonl(&std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap())
        .unwrap()
        .into_iter()
        .map(|r| (r.split, r.step, r.tokens_seen, r.loss, r.lr))
        .collect()
}

fn same_weights(a: &artifact::Artifact, b: &artifact::Artifact) {
    for file in ["model.safetensors", "last.safetensors", "optim.safetensors"] {
        let read = |x: &artifact::Artifact| std::fs::read(x.path(file)).unwrap();
        assert!(read(a) == read(b), "{file} differs");
    }
}

#[test]
fn a_diverged_run_leaves_its_last_checkpoint_which_resumes_exactly() {
    let (_lock, tmp, input) = locked_periodic_input();
    let config = checkpointing_config();
    let whole = run(
        &input,
        &tmp.path().join("whole"),
        &config,
        train::RunOptions::default(),
    )
    .unwrap();
    let id = whole.artifact.id();

    // Validation and checkpoint at step 8, then the weights turn to NaN: step 9 diverges.
    let root = tmp.path().join("parts");
    let poison = at_step(8, StepAction::PoisonWeights);
    let err = run_with_hook(
        &input,
        &root,
        &config,
        train::RunOptions::default(),
        &poison,
    )
    .unwrap_err();
    let message = err.to_string();
    let TrainError::NonFinite {
        step,
        checkpoint: Some((dir, checkpoint_step)),
        ..
    } = &err
    else {
        panic!("{message}")
    };
    assert_eq!((*step, *checkpoint_step), (9, 8), "{message}");
    assert_eq!(dir, &root.join("train").join(format!(".resume-{id}")));
    assert!(
        message.contains("NaN at step 9")
            && message.contains(&format!("--resume {}", dir.display()))
            && message.contains("--lr 0.01"),
        "{message}"
    );
    // No artifact, no lock: only the checkpoint.
    assert_eq!(train_entries(&root), [format!(".resume-{id}")]);

    let resumed = TrainConfig {
        resume: Some(dir.clone()),
        ..config.clone()
    };
    let outcome = run(&input, &root, &resumed, train::RunOptions::default()).unwrap();
    assert_eq!(outcome.artifact.id(), id);
    assert_eq!(losses(outcome.artifact.dir()), losses(whole.artifact.dir()));
    same_weights(&outcome.artifact, &whole.artifact);
    // A clean finish removes the checkpoint.
    assert_eq!(train_entries(&root), [id.to_owned(), "latest".to_owned()]);
}

#[test]
fn a_lower_learning_rate_may_continue_a_checkpoint() {
    let (_lock, tmp, input) = locked_periodic_input();
    let config = TrainConfig {
        lr_decay: Some(0.5),
        ..checkpointing_config()
    };
    let root = tmp.path();
    let err = run_with_hook(
        &input,
        root,
        &config,
        train::RunOptions::default(),
        &at_step(8, StepAction::Stop),
    )
    .unwrap_err();
    let TrainError::Interrupted { dir, .. } = err else {
        panic!("{err}")
    };
    let lr_at_stop = train::checkpoint::read(&dir).unwrap().state.lr;
    let lower = TrainConfig {
        lr: Some(0.005),
        resume: Some(dir.clone()),
        ..config
    };
    let outcome = run(&input, root, &lower, train::RunOptions::default()).unwrap();
    let records = losses(outcome.artifact.dir());
    let after: Vec<f64> = records.iter().filter(|r| r.1 > 8).map(|r| r.4).collect();
    // The learning rate is scaled by 0.005 / 0.02, decays so far included.
    assert!((after[0] - lr_at_stop / 4.0).abs() < 1e-15, "{records:?}");
    // The checkpoint of the old id has served its purpose once the new artifact is committed:
    // nothing is left behind but the artifact and `latest`.
    assert!(!dir.exists(), "{} is left behind", dir.display());
    assert_eq!(
        train_entries(root),
        [outcome.artifact.id().to_owned(), "latest".to_owned()]
    );
}

#[test]
fn a_killed_process_is_continued_from_its_last_checkpoint_by_the_same_command() {
    let (_lock, tmp, input) = locked_periodic_input();
    let long = [
        "--epochs",
        "1000",
        "--max-steps",
        "1500",
        "--eval-every",
        "25",
    ];
    let long_config = TrainConfig {
        epochs: Some(1000),
        max_steps: Some(1500),
        eval_every: Some(25),
        patience: Some(1000),
        ..tiny_config()
    };
    let root = tmp.path().join("killed");
    let mut child = train_command(&input, &root, &long)
        .args(["--patience", "1000"])
        .spawn()
        .unwrap();
    // Kill -9 as soon as there is a checkpoint: no handler runs.
    let dir = wait_for_checkpoint(&mut child, &root);
    child.kill().unwrap();
    child.wait().unwrap();

    // The same command again continues from the checkpoint by itself (no --resume).
    let checkpoint_step = train::checkpoint::read(&dir).unwrap().state.step;
    assert!(checkpoint_step > 0);
    let outcome = run(&input, &root, &long_config, train::RunOptions::default()).unwrap();
    let whole = run(
        &input,
        &tmp.path().join("whole"),
        &long_config,
        train::RunOptions::default(),
    )
    .unwrap();
    assert_eq!(outcome.artifact.id(), whole.artifact.id());
    assert_eq!(losses(outcome.artifact.dir()), losses(whole.artifact.dir()));
    same_weights(&outcome.artifact, &whole.artifact);
    // The killed process' staging directory, lock and checkpoint are all gone.
    let id = whole.artifact.id().to_owned();
    assert_eq!(train_entries(&root), [id, "latest".to_owned()]);
}

/// Waits until the training process `child` writing under `root` has a complete resume
/// checkpoint, and returns its directory.
fn wait_for_checkpoint(child: &mut std::process::Child, root: &Path) -> std::path::PathBuf {
    let train_dir = root.join("train");
    let started = Instant::now();
    loop {
        let found = std::fs::read_dir(&train_dir).ok().and_then(|entries| {
            entries.flatten().map(|e| e.path()).find(|p| {
                // `.resume-<id>`, not its `.tmp`, `.old` or `.lock`.
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with(".resume-")
                    && !name[1..].contains('.')
                    && p.join("state.bin").is_file()
            })
        });
        if let Some(dir) = found {
            return dir;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no checkpoint"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn sigterm_stops_training_like_ctrl_c() {
    let tmp = tempfile::tempdir().unwrap();
    let input = {
        let _lock = torch_lock();
        periodic_input(tmp.path())
    };
    let root = tmp.path().join("terminated");
    let mut child = train_command(
        &input,
        &root,
        &[
            "--epochs",
            "1000",
            "--eval-every",
            "25",
            "--patience",
            "1000",
        ],
    )
    .spawn()
    .unwrap();
    let dir = wait_for_checkpoint(&mut child, &root);
    let out = artifact::fixture::terminate(child).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted at step"), "{stderr}");
    // the checkpoint is there to continue from, the lock is released, nothing half-written
    assert!(train::checkpoint::read(&dir).is_ok());
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(train_entries(&root), [name]);
}

#[test]
fn a_second_process_training_the_same_artifact_is_refused() {
    let (_lock, tmp, input) = locked_periodic_input();
    let root = tmp.path();
    let config = checkpointing_config();
    let (paused_tx, paused_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            // Holds still after the checkpoint of step 4 until the second process is done.
            let hook = move |step| {
                if step == 5 {
                    paused_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                }
                StepAction::Continue
            };
            run_with_hook(&input, root, &config, train::RunOptions::default(), &hook)
        });
        paused_rx.recv().unwrap();
        let second = train_command(&input, root, &["--epochs", "3", "--eval-every", "4"])
            .output()
            .unwrap();
        let resume_dir = std::fs::read_dir(root.join("train"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.file_name().unwrap().to_string_lossy().ends_with(".lock"))
            .map(|p| p.with_extension(""));
        let step = resume_dir.and_then(|d| train::checkpoint::read(&d).ok().map(|c| c.state.step));
        // Let the first run go on before asserting: a failed assertion must not leave it
        // waiting forever.
        go_tx.send(()).unwrap();
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert_eq!(second.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("is in use by another process training the same artifact")
                && stderr.contains(&format!("pid {}", std::process::id())),
            "{stderr}"
        );
        assert_eq!(step, Some(4), "the first run's checkpoint is intact");
        let outcome = first.join().unwrap().unwrap();
        let id = outcome.artifact.id().to_owned();
        assert_eq!(train_entries(root), [id, "latest".to_owned()]);
    });
}
