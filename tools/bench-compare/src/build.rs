//! Building what the comparison runs (the stage binaries, the bench executables) with cargo,
//! and finding their executables in cargo's JSON messages rather than guessing paths under
//! `target/` (bench executables carry a hash in their names).

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs `cargo ARGS --message-format=json-render-diagnostics` in `workspace` and returns the
/// executables of the targets of `kind` ("bin" or "bench") it built, by target name; fails
/// unless every name in `expected` is among them.
pub(crate) fn executables(
    workspace: &Path,
    args: &[&str],
    kind: &str,
    expected: &[&str],
) -> Result<HashMap<String, PathBuf>> {
    let mut cmd = Command::new("cargo");
    cmd.args(args)
        .arg("--message-format=json-render-diagnostics");
    eprintln!("$ {cmd:?}");
    let output = cmd
        .current_dir(workspace)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{cmd:?} failed ({})",
        output.status
    );
    let found = parse(&String::from_utf8_lossy(&output.stdout), kind);
    for name in expected {
        anyhow::ensure!(
            found.contains_key(*name),
            "{cmd:?} built no {kind} executable named `{name}`"
        );
    }
    Ok(found)
}

/// Executables of targets of `kind` by target name, from cargo's JSON messages.
fn parse(cargo_json: &str, kind: &str) -> HashMap<String, PathBuf> {
    #[derive(Deserialize)]
    struct Target {
        name: String,
        kind: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Artifact {
        reason: String,
        target: Option<Target>,
        executable: Option<PathBuf>,
    }
    cargo_json
        .lines()
        .filter_map(|line| serde_json::from_str::<Artifact>(line).ok())
        .filter(|a| a.reason == "compiler-artifact")
        .filter_map(|a| {
            let target = a.target?;
            (target.kind.iter().any(|k| k == kind)).then_some((target.name, a.executable?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_executables_of_one_kind_among_cargo_messages() {
        let out = r#"{"reason":"compiler-artifact","target":{"name":"train","kind":["lib"]},"executable":null}
{"reason":"compiler-artifact","target":{"name":"train_step","kind":["bench"]},"executable":"/t/release/deps/train_step-ab12"}
{"reason":"compiler-artifact","target":{"name":"jianghu-train","kind":["bin"]},"executable":"/t/release/jianghu-train"}
not json
{"reason":"build-finished","success":true}"#;
        let benches = parse(out, "bench");
        assert_eq!(benches.len(), 1, "{benches:?}");
        assert_eq!(
            benches["train_step"],
            PathBuf::from("/t/release/deps/train_step-ab12")
        );
        let bins = parse(out, "bin");
        assert_eq!(
            bins.keys().collect::<Vec<_>>(),
            vec![&"jianghu-train".to_string()]
        );
    }
}
