//! `cargo xtask pipeline`: clean → tokenize → train → generate on a corpus, each stage as its own
//! process (the stage binaries, built in release mode), so that a crash in one stage leaves the
//! artifacts of the others intact.
//! It ends with the generate stage's samples on stdout and a summary table.

use crate::inspect::view;
use crate::{fetch_data, project_root, run_command, setup};
use anyhow::{Context, Result, bail};
use artifact::{LATEST_FILE, Manifest};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The corpora that `cargo xtask fetch-data` writes.
const DEFAULT_CORPORA: [&str; 2] = ["songci", "poet-names"];

/// Options of `cargo xtask pipeline`.
#[derive(Debug, clap::Args)]
pub(crate) struct PipelineArgs {
    /// The corpus: a folder name under data/ (default corpora: songci, poet-names) or a path to
    /// a folder of .txt files
    #[arg(long, default_value = "songci")]
    corpus: String,
    /// Wall time the train stage may spend (the CPU preset stops cleanly and keeps its best
    /// weights when it is spent), e.g. `10m`, `1h 30m`
    #[arg(long, default_value = "10m")]
    train_budget: String,
}

pub(crate) fn run(args: &PipelineArgs) -> Result<()> {
    setup::run()?;
    let (name, data_dir) = resolve_corpus(&args.corpus)?;
    let root = project_root().join("artifacts").join(&name);

    run_command(Command::new("cargo").args([
        "build",
        "--release",
        "--package",
        "clean",
        "--package",
        "tokenize",
        "--package",
        "train",
        "--package",
        "generate",
    ]))?;
    let mut clean = Command::new(binary("jianghu-clean"));
    clean
        .arg("--input")
        .arg(&data_dir)
        .arg("--output")
        .arg(&root);
    let mut tokenize = Command::new(binary("jianghu-tokenize"));
    tokenize.arg("--input").arg(&root);
    if DEFAULT_CORPORA.contains(&name.as_str()) {
        // Classical ci and names are made of characters: most of their words are one character
        // long, and jieba's modern-Chinese dictionary segments them poorly.
        tokenize.args(["--level", "char"]);
    }
    let mut train = Command::new(binary("jianghu-train"));
    train
        .arg("--input")
        .arg(&root)
        .args(["--preset", "cpu", "--time-budget", &args.train_budget]);
    let mut generate = Command::new(binary("jianghu-generate"));
    generate.arg("--model").arg(&root);
    if name == "poet-names" {
        // New names, one per sample, none copied from the training list.
        generate.args(["--names", "--novel", "--unique", "--num-samples", "30"]);
    }
    let stages = [
        ("clean", clean),
        ("tokenize", tokenize),
        ("train", train),
        ("generate", generate),
    ];
    let mut rows = Vec::new();
    for (stage, mut command) in stages {
        rows.push(run_stage(&root, stage, &mut command)?);
    }
    print_summary(&root, &rows);
    Ok(())
}

/// One line of the summary table.
struct StageRow {
    stage: &'static str,
    id: String,
    ran: bool,
    seconds: f64,
    figures: String,
}

/// Runs one stage binary and reads back the artifact it left as `latest`.
fn run_stage(root: &Path, stage: &'static str, command: &mut Command) -> Result<StageRow> {
    let started = SystemTime::now();
    run_command(command)
        .with_context(|| format!("stage `{stage}` failed (its output is above)"))?;
    let seconds = started.elapsed().unwrap_or_default().as_secs_f64();
    let latest = std::fs::read_to_string(root.join(stage).join(LATEST_FILE))
        .with_context(|| format!("stage `{stage}` finished but left no `latest` artifact"))?;
    let dir = root.join(stage).join(latest.trim());
    let manifest = Manifest::read(&dir)?;
    // A skipped stage reuses an artifact made before this run started.
    let made = humantime::parse_rfc3339(&manifest.created_at).unwrap_or(UNIX_EPOCH);
    let started_s = started
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Ok(StageRow {
        stage,
        ran: made
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            >= started_s,
        figures: view::key_figures(stage, &manifest.metrics),
        id: manifest.id,
        seconds,
    })
}

fn print_summary(root: &Path, rows: &[StageRow]) {
    println!();
    println!(
        "{:<9} {:<16} {:<8} {:>8}  key figures",
        "stage", "artifact", "", "time"
    );
    for r in rows {
        let ran = if r.ran { "ran" } else { "skipped" };
        println!(
            "{:<9} {:<16} {:<8} {:>7.1}s  {}",
            r.stage, r.id, ran, r.seconds, r.figures
        );
    }
    println!("artifacts: {}", root.display());
}

/// Finds the corpus folder (fetching the default corpora when they are asked for) and the name
/// its artifacts go under.
fn resolve_corpus(corpus: &str) -> Result<(String, PathBuf)> {
    let data = project_root().join("data");
    if DEFAULT_CORPORA.contains(&corpus) {
        fetch_data::run(&fetch_data::FetchArgs { force: false })?;
    }
    let dir = if Path::new(corpus).is_dir() {
        PathBuf::from(corpus)
    } else {
        data.join(corpus)
    };
    if !dir.is_dir() {
        bail!(
            "no corpus `{corpus}`: neither a folder nor data/{corpus}/ exists; available corpora: {}; to add one, put .txt files in data/<name>/ and pass --corpus <name>",
            available_corpora(&data).join(", ")
        );
    }
    let name = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("the corpus folder has no name")?;
    Ok((name, dir))
}

/// The default corpora plus every folder under data/.
fn available_corpora(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = DEFAULT_CORPORA.iter().map(|s| s.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir(data) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// A release binary of the workspace.
fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"));
    target.join("release").join(name)
}
