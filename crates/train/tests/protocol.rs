//! The process protocol of `jianghu-train`: the result file says whether the run made its
//! artifact or found it complete, `--force` makes it again, and `--log-file` keeps the lines
//! of a run in a file, the error that ends a failed run included.

mod common;

use artifact::Outcome;
use artifact::fixture::torch_lock;
use common::{periodic_input, train_command, train_entries};

#[test]
fn the_result_file_says_ran_or_skipped_and_force_makes_the_artifact_again() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let input = periodic_input(tmp.path());
    let root = tmp.path().join("out");
    let result = tmp.path().join("train.result.json");
    let run = |extra: &[&str]| {
        let mut train = train_command(&input, &root, &["--max-steps", "4", "--eval-every", "2"]);
        artifact::fixture::stage_result(train.args(extra), &result)
    };
    let first = run(&[]);
    assert_eq!(
        (first.stage.as_str(), first.outcome),
        ("train", Outcome::Ran)
    );
    assert_eq!(
        artifact::latest_id(&root, "train").unwrap().as_deref(),
        Some(first.id.as_str())
    );
    let manifest = root.join("train").join(&first.id).join("manifest.json");
    let written = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(run(&[]).outcome, Outcome::Skipped);
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), written);
    let forced = run(&["--force"]);
    assert_eq!((forced.id, forced.outcome), (first.id, Outcome::Ran));
    // Made again: a new manifest (its elapsed time differs) over the same id.
    assert_ne!(std::fs::read_to_string(&manifest).unwrap(), written);
}

#[test]
fn the_log_file_gets_the_error_that_ends_a_run_and_a_bad_one_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let input = {
        let _lock = torch_lock();
        periodic_input(tmp.path())
    };
    let root = tmp.path().join("out");
    let log = tmp.path().join("train.log");
    std::fs::write(&log, "$ jianghu-train\n").unwrap();
    let out = train_command(&input, &root, &["--clip", "inf"])
        .arg("--log-file")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let logged = std::fs::read_to_string(&log).unwrap();
    let error = logged.lines().nth(1).unwrap_or_default();
    assert!(
        error.starts_with("error: ") && error.contains("--clip"),
        "{logged}"
    );
    assert!(stderr.contains(error), "{stderr}");

    let missing = tmp.path().join("no-such-folder").join("train.log");
    let out = train_command(&input, &root, &[])
        .arg("--log-file")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--log-file") && stderr.contains("no-such-folder"),
        "{stderr}"
    );
    assert_eq!(train_entries(&root), Vec::<String>::new());
}
