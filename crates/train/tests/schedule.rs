//! The budget-aware learning-rate schedule through the stage: cosine by itself when a run has
//! a step or time budget, down to almost nothing at the last step, exact across a resume, and
//! clear errors for settings that cannot work.

mod common;

use artifact::fixture::torch_lock;
use common::{at_step, checkpointing_config, locked_periodic_input, periodic_input, tiny_config};
use std::path::Path;
use train::metrics::{Record, from_jsonl};
use train::schedule::{LrSchedule, WARMUP_START};
use train::{ScheduleArg, StepAction, StopReason, TrainConfig, TrainError, run, run_with_hook};

fn records(dir: &Path) -> Vec<Record> {
    from_jsonl(&std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap()).unwrap()
}

/// (split, step, loss, lr) of every record: the throughput is wall-clock.
fn losses(dir: &Path) -> Vec<(String, u64, f64, f64)> {
    records(dir)
        .into_iter()
        .map(|r| (r.split, r.step, r.loss, r.lr))
        .collect()
}

/// 40 steps with a step budget: validation (and so a checkpoint) every 4.
fn budgeted() -> TrainConfig {
    TrainConfig {
        max_steps: Some(40),
        epochs: Some(100),
        patience: Some(100),
        ..checkpointing_config()
    }
}

#[test]
fn a_step_budget_gets_a_cosine_schedule_that_ends_near_zero() {
    let (_lock, tmp, input) = locked_periodic_input();
    let config = TrainConfig {
        warmup: Some(0.1),
        ..budgeted()
    };
    let outcome = run(&input, tmp.path(), &config, train::RunOptions::default()).unwrap();
    assert_eq!(outcome.summary.stop_reason, StopReason::MaxSteps);
    let params = train::read_params(&outcome.artifact).unwrap();
    assert_eq!(params.schedule, LrSchedule::Cosine { warmup: 0.1 });
    let lr = params.lr;
    let at = |step: u64| {
        records(outcome.artifact.dir())
            .into_iter()
            .find(|r| r.split == "valid" && r.step == step)
            .map(|r| r.lr)
            .unwrap()
    };
    // the rate of the last step taken before each validation: step s ran at fraction (s-1)/40
    let expected = |s: u64| {
        LrSchedule::Cosine { warmup: 0.1 }
            .lr_at(lr, (s - 1) as f64 / 40.0)
            .unwrap()
    };
    for step in [4, 8, 20, 40] {
        assert!((at(step) - expected(step)).abs() < 1e-12, "step {step}");
    }
    assert!(
        at(4) < lr && at(4) > WARMUP_START * lr,
        "warming up: {}",
        at(4)
    );
    assert!(at(8) > at(20) && at(20) > at(40));
    assert!(at(40) < lr / 100.0, "the last step runs at {}", at(40));
}

#[test]
fn a_resumed_cosine_run_equals_an_uninterrupted_one() {
    let (_lock, tmp, input) = locked_periodic_input();
    let whole = run(
        &input,
        &tmp.path().join("whole"),
        &budgeted(),
        train::RunOptions::default(),
    )
    .unwrap();
    let root = tmp.path().join("parts");
    let err = run_with_hook(
        &input,
        &root,
        &budgeted(),
        train::RunOptions::default(),
        &at_step(13, StepAction::Stop),
    )
    .unwrap_err();
    assert!(
        matches!(err, TrainError::Interrupted { step: 13, .. }),
        "{err}"
    );
    let resumed = run(&input, &root, &budgeted(), train::RunOptions::default()).unwrap();
    assert_eq!(resumed.artifact.id(), whole.artifact.id());
    assert_eq!(losses(resumed.artifact.dir()), losses(whole.artifact.dir()));
}

#[test]
fn schedule_settings_that_cannot_work_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = {
        let _lock = torch_lock();
        periodic_input(tmp.path())
    };
    let check = |config: TrainConfig, needles: &[&str]| {
        let err = run(&input, tmp.path(), &config, train::RunOptions::default())
            .unwrap_err()
            .to_string();
        for n in needles {
            assert!(err.contains(n), "`{err}` lacks `{n}`");
        }
        assert!(common::train_entries(tmp.path()).is_empty(), "{err}");
    };
    // a warm-up that leaves the decay no room
    check(
        TrainConfig {
            warmup: Some(0.8),
            ..budgeted()
        },
        &["--warmup 0.8", "[0, 0.5]"],
    );
    // each schedule's own flag with the other schedule
    check(
        TrainConfig {
            lr_decay: Some(0.5),
            ..budgeted()
        },
        &["--lr-decay", "cosine", "--schedule plateau"],
    );
    check(
        TrainConfig {
            warmup: Some(0.1),
            ..tiny_config()
        },
        &["--warmup", "plateau", "--schedule cosine"],
    );
    // resuming a cosine run as a plateau run names the differing field
    let err = {
        let _lock = torch_lock();
        run_with_hook(
            &input,
            tmp.path(),
            &budgeted(),
            train::RunOptions::default(),
            &at_step(5, StepAction::Stop),
        )
        .unwrap_err()
    };
    let TrainError::Interrupted { dir, .. } = err else {
        panic!("{err}")
    };
    let plateau = TrainConfig {
        schedule: ScheduleArg::Plateau,
        resume: Some(dir),
        ..budgeted()
    };
    let err = run(&input, tmp.path(), &plateau, train::RunOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("schedule"), "{err}");
}
