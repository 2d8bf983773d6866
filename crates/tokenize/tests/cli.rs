//! The `jianghu-tokenize` binary as a user runs it: summary, skip on rerun, and bad flags shown
//! as one `error:` line naming the flag, never a backtrace.

mod common;

use std::process::{Command, Output};

fn tokenize(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jianghu-tokenize"))
        .env("RUST_BACKTRACE", "1")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn summary_then_skip_then_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("artifacts");
    let lines: String = (0..20).map(|i| format!("第{i}句。\n")).collect();
    common::clean_artifact(&root, &[("a.txt", &lines)]);
    let root_arg = root.to_str().unwrap();

    let first = tokenize(&["--input", root_arg, "--level", "char"]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout.contains("level char") && stdout.contains("train"),
        "{stdout}"
    );
    assert!(!stdout.contains("skipped"), "{stdout}");
    assert!(root.join("tokenize/latest").is_file());

    let second = tokenize(&["--input", root_arg, "--level", "char"]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("already complete, skipped"));

    let failed = tokenize(&["--input", root_arg, "--min-freq", "0"]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr.starts_with("error: ") && stderr.contains("--min-freq"),
        "{stderr}"
    );
    assert!(!stderr.contains("backtrace"), "{stderr}");
}
