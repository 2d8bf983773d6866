//! `cargo xtask bench --pretrained`: what pretraining on the Tang and Song shi buys the Song ci.
//! One run on one machine: a shi model is trained for the pretraining budget, then each target
//! corpus (the Song ci, and their first 2,000 ci as a small corpus) is trained twice for the same
//! budget, from scratch and fine-tuned from the shi model (`--init-from`, at its default half
//! rate); docs/PRETRAINING.md gets valid and test bits per character, throughput and epochs of
//! every run, the vocabulary carried over and the cost of pretraining.
//!
//! Everything goes through the release `jianghu-train` binary on tokenize artifacts made with
//! `cargo xtask pipeline --to tokenize` (the small corpus under `target/bench-pretrained/`,
//! with the Song ci's `pipeline.toml`); each training run gets an artifact root of its own under
//! `target/bench-pretrained/runs/`, removed beforehand so that nothing is skipped.

use super::machine::{MachineInfo, load_average};
use crate::pipeline::stage::{Stage, stage_binaries};
use crate::{describe, project_root, run_command, target_dir};
use anyhow::{Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Ci in the small corpus.
const SMALL_CI: usize = 2_000;

/// One training run and what it made.
struct Run {
    corpus: String,
    start: &'static str,
    metrics: Value,
    wall_s: f64,
}

/// Runs the comparison with `budget` per fine-tuning run and `pretrain_budget` for the shi
/// model, and writes docs/PRETRAINING.md.
pub(crate) fn run(budget: &str, pretrain_budget: &str) -> Result<()> {
    let xtask = std::env::current_exe().context("cannot find the xtask binary")?;
    let bench = target_dir().join("bench-pretrained");
    let artifacts = project_root().join("artifacts");
    for corpus in ["shi", "songci"] {
        run_command(
            Command::new(&xtask).args(["pipeline", "--corpus", corpus, "--to", "tokenize"]),
        )?;
    }
    let small = write_small_corpus(&bench.join("data").join(format!("songci-{SMALL_CI}")))?;
    let small_artifacts = bench.join("artifacts");
    run_command(
        Command::new(&xtask)
            .args(["pipeline", "--to", "tokenize", "--corpus"])
            .arg(&small)
            .arg("--artifacts")
            .arg(&small_artifacts),
    )?;
    let bin_dir = stage_binaries(&[Stage::Train])?;
    let machine = MachineInfo::read();
    let load_before = load_average();
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let train =
        |input: &Path, name: &str, budget: &str, extra: &[&str]| -> Result<(PathBuf, f64)> {
            let root = bench.join("runs").join(name);
            if root.exists() {
                std::fs::remove_dir_all(&root)
                    .with_context(|| format!("cannot remove {}", root.display()))?;
            }
            let mut command = Command::new(bin_dir.join(Stage::Train.binary()));
            command
                .args(["--input".as_ref(), input.as_os_str()])
                .args(["--output".as_ref(), root.as_os_str()])
                .args([
                    "--preset",
                    "cpu",
                    "--time-budget",
                    budget,
                    "--device",
                    "cpu",
                ])
                .args(extra);
            eprintln!("bench --pretrained: {name}\n$ {}", describe(&command));
            let clock = std::time::Instant::now();
            run_command(&mut command)?;
            let id = artifact::latest_id(&root, Stage::Train.name())?
                .with_context(|| format!("no train artifact under {}", root.display()))?;
            Ok((
                root.join(Stage::Train.name()).join(id),
                clock.elapsed().as_secs_f64(),
            ))
        };
    let (shi_model, pretrain_s) = train(&artifacts.join("shi"), "shi", pretrain_budget, &[])?;
    let shi_model_text = shi_model.to_string_lossy().into_owned();
    let mut runs = Vec::new();
    let targets = [
        ("songci".to_owned(), artifacts.join("songci")),
        (
            format!("songci-{SMALL_CI}"),
            small_artifacts.join(format!("songci-{SMALL_CI}")),
        ),
    ];
    for (corpus, input) in &targets {
        for (start, extra) in [
            ("from scratch", vec![]),
            (
                "fine-tuned from shi",
                vec!["--init-from", shi_model_text.as_str()],
            ),
        ] {
            let name = format!(
                "{corpus}-{}",
                if extra.is_empty() {
                    "scratch"
                } else {
                    "fine-tuned"
                }
            );
            let (dir, wall_s) = train(input, &name, budget, &extra)?;
            runs.push(Run {
                corpus: corpus.clone(),
                start,
                metrics: artifact::Artifact::open_any(&dir)?
                    .manifest()
                    .metrics
                    .clone(),
                wall_s,
            });
        }
    }
    let shi = artifact::Artifact::open_any(&shi_model)?
        .manifest()
        .metrics
        .clone();
    let doc = render(&Doc {
        budget,
        pretrain_budget,
        started: &started,
        machine: &machine,
        load: [load_before, load_average()],
        shi: &shi,
        pretrain_s,
        runs: &runs,
    });
    let path = project_root().join("docs").join("PRETRAINING.md");
    super::write_atomically(&path, &doc)?;
    println!("{doc}");
    println!("wrote {}", path.display());
    Ok(())
}

/// Writes the first [`SMALL_CI`] ci of `data/songci` (in file order) and the Song ci's
/// `pipeline.toml` into `dir`; returns `dir`.
fn write_small_corpus(dir: &Path) -> Result<PathBuf> {
    let songci = project_root().join("data").join("songci");
    let mut lines = Vec::new();
    for n in 1.. {
        let path = songci.join(format!("songci-{n}.txt"));
        if !path.is_file() || lines.len() >= SMALL_CI {
            break;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        lines.extend(text.lines().map(str::to_owned));
    }
    lines.truncate(SMALL_CI);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("ci.txt"), lines.join("\n") + "\n")?;
    std::fs::copy(songci.join("pipeline.toml"), dir.join("pipeline.toml"))?;
    Ok(dir.to_path_buf())
}

struct Doc<'a> {
    budget: &'a str,
    pretrain_budget: &'a str,
    started: &'a str,
    machine: &'a MachineInfo,
    load: [Option<[f64; 3]>; 2],
    shi: &'a Value,
    pretrain_s: f64,
    runs: &'a [Run],
}

fn render(d: &Doc) -> String {
    let bpc = |v: &Value| v["bits_per_char"].as_f64().unwrap_or(f64::NAN);
    let mut out = format!(
        "# Pretraining: fine-tuning the Song ci from a model of the Tang and Song shi\n\n\
         Generated by `cargo xtask bench --pretrained` on {} ({} of pretraining, {} per \
         fine-tuning run, one run after the other on the same machine). Every figure below comes \
         from that run: do not edit this file, rerun the command.\n\n\
         - Machine: {}, {} logical CPUs, {:.0} GiB, GPU: {}.\n\
         - Load average (1 / 5 / 15 min) at the start {}, at the end {}.\n\
         - All runs use the cpu preset; a fine-tune starts from the shi model's weights \
         (`--init-from`, its default learning rate: half the preset's) and a run from scratch \
         from random ones, both for the same budget on the same tokenize artifact.\n\
         - `cargo xtask pipeline --preset pretrained` does the same for the Song ci with the \
         budgets of `data/shi/pipeline.toml` and `data/songci/pipeline.toml`.\n\n\
         **Pretraining** on the shi: {:.1} minutes, {} tokens seen ({} epochs completed), valid \
         {:.3} bits per character on the shi.\n\n",
        d.started,
        d.pretrain_budget,
        d.budget,
        d.machine.cpu_model,
        d.machine.logical_cpus,
        d.machine.memory_gib,
        d.machine.gpu,
        super::format_load(d.load[0]),
        super::format_load(d.load[1]),
        d.pretrain_s / 60.0,
        d.shi["tokens_seen"],
        d.shi["epochs_completed"],
        bpc(&d.shi["valid"]),
    );
    out.push_str(
        "| corpus | start | valid bpc | vs from scratch | test bpc | tokens/s | epochs | steps | vocabulary kept / added / dropped |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for run in d.runs {
        let m = &run.metrics;
        let scratch = d
            .runs
            .iter()
            .find(|r| r.corpus == run.corpus && r.metrics["init"].is_null())
            .map_or(f64::NAN, |r| bpc(&r.metrics["valid"]));
        let init = &m["init"];
        let vocab = if init.is_null() {
            "—".to_owned()
        } else {
            format!("{} / {} / {}", init["kept"], init["added"], init["dropped"])
        };
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:+.3} | {:.3} | {:.0} | {} | {} | {} |\n",
            run.corpus,
            run.start,
            bpc(&m["valid"]),
            bpc(&m["valid"]) - scratch,
            bpc(&m["test"]),
            m["train_tokens_per_s"].as_f64().unwrap_or(f64::NAN),
            m["epochs_completed"],
            m["steps"],
            vocab,
        ));
    }
    out.push_str(&format!(
        "\nThe {SMALL_CI}-ci corpus is the first {SMALL_CI} ci of `data/songci` with its \
         `pipeline.toml`. Wall time of each run with its final evaluations: {}.\n",
        d.runs
            .iter()
            .map(|r| format!("{} {}: {:.1} min", r.corpus, r.start, r.wall_s / 60.0))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    out
}
