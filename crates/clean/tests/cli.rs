//! The `jianghu-clean` binary as a user runs it: summary, skip on rerun, and a failure shown as
//! one `error:` line naming the problem, never a backtrace.

use std::path::Path;
use std::process::{Command, Output};

fn clean(args: &[&Path]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jianghu-clean"));
    cmd.env("RUST_BACKTRACE", "1");
    for (flag, value) in ["--input", "--output"].iter().zip(args) {
        cmd.arg(flag).arg(value);
    }
    cmd.output().unwrap()
}

#[test]
fn summary_then_skip_then_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::write(
        corpus.join("a.txt"),
        "\u{3000}\u{3000}江湖。\r\n更多更新免费电子书请关注www.example.com\r\n",
    )
    .unwrap();
    let root = dir.path().join("artifacts");

    let first = clean(&[&corpus, &root]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout.contains(": written") && stdout.contains("site_adverts: 1"),
        "{stdout}"
    );
    let id = std::fs::read_to_string(root.join("clean/latest")).unwrap();
    let doc = root.join("clean").join(id.trim()).join("docs/a.txt");
    assert_eq!(std::fs::read_to_string(doc).unwrap(), "江湖。\n");

    let second = clean(&[&corpus, &root]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("skipped (already complete)"));

    let missing = dir.path().join("no-such-corpus");
    let failed = clean(&[&missing, &root]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("no-such-corpus"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}
