//! The four stages end to end through `cargo xtask pipeline`, on a tiny generated corpus:
//! artifacts exist and verify, a second run skips every stage, a changed generate parameter
//! reruns only generate, `inspect --json` reports the lineage, `report` writes the page,
//! training draws its progress bar on a terminal while its log gets plain lines,
//! `generate --interactive` answers on the terminal, a killed stage leaves nothing that a later
//! run accepts as complete, and the next run continues training from the checkpoint.
//!
//! It needs the stage binaries, so it is ignored by a plain `cargo test`: `cargo xtask test`
//! builds them and runs it with `JIANGHU_BIN_DIR` pointing at them.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PIPELINE_TOML: &str = r#"
[tokenize]
level = "char"
[train]
preset = "cpu"
embed_dim = 16
hidden_size = 32
num_layers = 1
batch_size = 4
seq_len = 8
max_steps = 12
eval_every = 6
[generate]
num_samples = 2
max_tokens = 12
"#;

/// A learnable little corpus: 300 lines cycling through a few phrases.
fn write_corpus(dir: &Path) {
    let phrases = [
        "明月几时有",
        "把酒问青天",
        "不知天上宫阙",
        "今夕是何年",
        "我欲乘风归去",
    ];
    let text: String = (0..300)
        .map(|i| {
            format!(
                "{}，{}。\n",
                phrases[i % phrases.len()],
                phrases[(i * 3 + 1) % phrases.len()]
            )
        })
        .collect();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ci.txt"), text).unwrap();
    std::fs::write(dir.join("pipeline.toml"), PIPELINE_TOML).unwrap();
}

struct Fixture {
    _tmp: tempfile::TempDir,
    corpus: PathBuf,
    artifacts: PathBuf,
    bin_dir: String,
}

impl Fixture {
    fn new() -> Fixture {
        let bin_dir = std::env::var("JIANGHU_BIN_DIR").expect(
            "JIANGHU_BIN_DIR names the stage binaries; run this through `cargo xtask test`",
        );
        let tmp = tempfile::tempdir().unwrap();
        let corpus = tmp.path().join("tiny");
        write_corpus(&corpus);
        Fixture {
            artifacts: tmp.path().join("artifacts"),
            corpus,
            bin_dir,
            _tmp: tmp,
        }
    }

    fn xtask(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.args(args)
            .arg("--artifacts")
            .arg(&self.artifacts)
            .env("JIANGHU_BIN_DIR", &self.bin_dir);
        cmd
    }

    fn pipeline(&self, extra: &[&str]) -> Output {
        let mut args = vec!["pipeline", "--corpus", self.corpus.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = self.xtask(&args).output().unwrap();
        assert!(
            out.status.success(),
            "pipeline failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn inspect_json(&self, target: &str) -> Value {
        let out = self.xtask(&["inspect", target, "--json"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Runs `command` with its stderr on a pseudo-terminal (stdout piped away); returns what the
/// terminal showed and how the command ended.
fn on_terminal(mut command: Command) -> (String, std::process::ExitStatus) {
    use std::io::Read;
    let size = nix::pty::Winsize {
        ws_row: 24,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let terminal = nix::pty::openpty(Some(&size), None).unwrap();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::from(terminal.slave))
        .spawn()
        .unwrap();
    // Our copy of the terminal's slave end goes with the command, so that reading the master
    // ends when the child's copies close.
    drop(command);
    let mut master = std::fs::File::from(terminal.master);
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        // Linux ends a pseudo-terminal's output with EIO once no slave is open.
        let _ = master.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    (reader.join().unwrap(), status)
}

/// The names in `dir`, sorted.
fn entries_of(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `(stage, artifact id, ran)` from the summary table at the end of a run.
fn summary(out: &Output) -> Vec<(String, String, bool)> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .skip_while(|line| !line.starts_with("stage "))
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            match cols.as_slice() {
                [stage, id, ran, ..]
                    if ["clean", "tokenize", "train", "generate"].contains(stage)
                        && (*ran == "ran" || *ran == "skipped") =>
                {
                    Some((stage.to_string(), id.to_string(), *ran == "ran"))
                }
                _ => None,
            }
        })
        .collect()
}

fn ran(rows: &[(String, String, bool)]) -> Vec<&str> {
    rows.iter().filter(|r| r.2).map(|r| r.0.as_str()).collect()
}

#[test]
#[ignore = "needs the stage binaries: run through `cargo xtask test`"]
fn four_stages_skip_rerun_lineage_and_a_killed_stage() {
    let fx = Fixture::new();

    let first = summary(&fx.pipeline(&[]));
    assert_eq!(ran(&first), ["clean", "tokenize", "train", "generate"]);
    let verify = fx.xtask(&["inspect", "tiny", "--verify"]).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // Lineage: each artifact names the one before it as its input.
    let listing = fx.inspect_json("tiny");
    let entries = listing["artifacts"]
        .as_array()
        .expect("a listing has artifacts");
    let id_of = |stage: &str| first.iter().find(|r| r.0 == stage).unwrap().1.clone();
    for (stage, upstream) in [
        ("tokenize", "clean"),
        ("train", "tokenize"),
        ("generate", "train"),
    ] {
        let entry = entries
            .iter()
            .find(|e| e["stage"] == stage && e["id"] == id_of(stage).as_str())
            .unwrap_or_else(|| panic!("no {stage} entry in {listing}"));
        assert_eq!(entry["inputs"][0]["stage"], upstream, "{entry}");
        assert_eq!(
            entry["inputs"][0]["id"],
            id_of(upstream).as_str(),
            "{entry}"
        );
        assert_eq!(entry["latest"], true);
    }

    // The report page carries the lineage, the loss curve and every sample.
    let report = fx.xtask(&["report", "tiny"]).output().unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let html = std::fs::read_to_string(fx.artifacts.join("tiny/report.html")).unwrap();
    for (stage, id, _) in &first {
        assert!(
            html.contains(&format!("<b>{stage}</b> <code>{id}</code>")),
            "{stage} {id} missing"
        );
    }
    assert!(html.contains("<svg"), "the loss curve is not inlined");
    let samples = fx.inspect_json("tiny/generate/latest");
    for sample in samples["view"]["samples"].as_array().unwrap() {
        let text = sample["text"].as_str().unwrap().trim_end();
        // The page escapes markup such as `<unk>`.
        let text = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let text = text.replace('\n', "<br>");
        assert!(
            html.contains(&text),
            "sample {text:?} missing from the report"
        );
    }

    let second = fx.pipeline(&[]);
    assert_eq!(ran(&summary(&second)), Vec::<&str>::new());
    assert_eq!(
        summary(&second).iter().map(|r| &r.1).collect::<Vec<_>>(),
        first.iter().map(|r| &r.1).collect::<Vec<_>>()
    );

    let third = summary(&fx.pipeline(&["--set", "generate.num_samples=3"]));
    assert_eq!(ran(&third), ["generate"]);
    let samples = fx.inspect_json("tiny/generate/latest");
    assert_eq!(samples["view"]["samples"].as_array().unwrap().len(), 3);

    // On a terminal, training draws its progress bar there as when run alone, and its log
    // still gets the plain lines (it used to show plain lines: its stderr went through a pipe).
    let (shown, status) = on_terminal(fx.xtask(&[
        "pipeline",
        "--corpus",
        fx.corpus.to_str().unwrap(),
        "--from",
        "train",
        "--to",
        "train",
        "--force",
        "train",
    ]));
    assert!(status.success(), "{shown}");
    let bar_drawn = shown
        .split(['\r', '\n'])
        .any(|line| line.contains("] ") && line.contains("%  step "));
    assert!(bar_drawn, "no progress bar on the terminal: {shown:?}");
    let log = std::fs::read_to_string(fx.artifacts.join("tiny/logs/train.log")).unwrap();
    assert!(log.contains("\nvalid  step 6 "), "{log}");
    assert!(log.contains("train: wrote "), "stdout is kept too: {log}");
    assert!(
        !log.contains('\r') && !log.contains('\u{1b}'),
        "the bar was logged: {log:?}"
    );

    // `cargo xtask generate --interactive` talks to the terminal: a prompt, a continuation per
    // line of input, and no new artifact.
    let generated = entries_of(&fx.artifacts.join("tiny/generate"));
    let mut child = fx
        .xtask(&[
            "generate",
            "--corpus",
            fx.corpus.to_str().unwrap(),
            "--interactive",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all("明月\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("> 明月"), "{stdout:?}");
    // A prompt per line and one at the end of input, then nothing (no summary of a stage run).
    assert_eq!(stdout.matches("> ").count(), 2, "{stdout:?}");
    assert!(stdout.ends_with("> \n"), "{stdout:?}");
    assert_eq!(entries_of(&fx.artifacts.join("tiny/generate")), generated);

    // Kill the train stage outright once it has a checkpoint: its staging directory names its
    // pid, and `.resume-<id>/state.bin` is the checkpoint.
    let corpus = fx.corpus.to_str().unwrap();
    let slow = [
        "pipeline",
        "--corpus",
        corpus,
        "--set",
        "train.max_steps=1000000",
        "--set",
        "train.time_budget=15s",
    ];
    let mut child = fx
        .xtask(&slow)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let train_dir = fx.artifacts.join("tiny/train");
    let started = Instant::now();
    let hidden_entry = |prefix: &str| {
        std::fs::read_dir(&train_dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|name| name.starts_with(prefix) && !name[1..].contains('.'))
    };
    let pid = loop {
        let checkpoint = hidden_entry(".resume-")
            .is_some_and(|name| train_dir.join(name).join("state.bin").is_file());
        if let (true, Some(staging)) = (checkpoint, hidden_entry(".staging-")) {
            break staging.rsplit('-').next().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "train never wrote a checkpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the orchestrator must report the killed stage"
    );
    let trains: Vec<Value> = fx.inspect_json("tiny/train")["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["complete"] == true)
        .cloned()
        .collect();
    assert_eq!(
        trains.len(),
        1,
        "only the first run's train artifact is complete: {trains:?}"
    );
    assert_eq!(trains[0]["id"], id_of("train").as_str());
    assert_eq!(trains[0]["latest"], true);

    // The same command again continues training from the checkpoint (nothing of the killed run
    // counts as done), finishes, and generates from the new model.
    let out = fx.xtask(&slow).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("continuing the interrupted run from its checkpoint"),
        "{stderr}"
    );
    let rerun = summary(&out);
    assert_eq!(ran(&rerun), ["train", "generate"]);
    assert_ne!(rerun[2].1, id_of("train"));
    let hidden: Vec<String> = std::fs::read_dir(&train_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".staging-"))
        .collect();
    assert_eq!(
        hidden,
        Vec::<String>::new(),
        "the killed run's staging directory was not swept"
    );
}
