//! `cargo xtask bench --quality`: named training configurations side by side on one corpus,
//! one after the other on the same machine in one run, each for the same wall-clock budget;
//! writes docs/QUALITY.md with valid and test bits per character, throughput, epochs seen, the
//! n-gram baseline and the mixture of every run, and the last preview sample of each.
//!
//! The runs go through the release `jianghu-train` binary on the corpus's latest tokenize
//! artifact (made first with `cargo xtask pipeline --to tokenize`), each into an artifact root
//! of its own under `target/bench-quality/`, removed beforehand so that nothing is skipped.

use super::machine::{MachineInfo, load_average};
use crate::pipeline::stage::{Stage, stage_binaries};
use crate::{describe, project_root, run_command, target_dir};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A configuration compared: a name and the train flags that make it.
struct Configuration {
    name: &'static str,
    what: &'static str,
    flags: &'static [&'static str],
}

/// The cpu preset's values before the budget-aware recipe, given in full so that the first row
/// stays that recipe whatever the preset becomes.
const BEFORE: &[&str] = &[
    "--preset",
    "cpu",
    "--schedule",
    "plateau",
    "--epochs",
    "5",
    "--embed-dim",
    "128",
    "--hidden-size",
    "256",
    "--num-layers",
    "2",
    "--div-value",
    "4",
    "--dropout",
    "0.1",
    "--batch-size",
    "64",
    "--seq-len",
    "35",
    "--lr",
    "0.004",
    "--eval-every",
    "125",
];

/// What is compared. The first is the cpu preset as the pipeline ran it before the
/// budget-aware recipe (constant rate halved on a plateau, 5 epochs at most, so that a fast
/// machine stopped before its budget); every other row is compared with it. Each names its
/// schedule, so the table does not depend on what `--schedule auto` picks. docs/RECIPE.md
/// tells how the preset was searched.
const CONFIGURATIONS: &[Configuration] = &[
    Configuration {
        name: "before: plateau, 5 epochs",
        what: "constant learning rate, halved after a validation without improvement; at most 5 epochs",
        flags: BEFORE,
    },
    Configuration {
        name: "the cpu preset",
        what: "what `cargo xtask pipeline` trains: warm-up over 2% of the budget, then cosine decay to zero when it runs out",
        flags: &["--preset", "cpu", "--schedule", "cosine"],
    },
    Configuration {
        name: "the cpu preset before the second search",
        what: "the same schedule with the preset's earlier values: the rare characters projected to 64 and 16 dimensions, batch 32 × 35 (docs/RECIPE.md)",
        flags: &[
            "--preset",
            "cpu",
            "--schedule",
            "cosine",
            "--div-value",
            "4",
            "--batch-size",
            "32",
            "--seq-len",
            "35",
        ],
    },
];

/// One finished run.
struct Outcome {
    configuration: &'static Configuration,
    metrics: Value,
    sample: String,
    wall_s: f64,
}

/// Runs every configuration for `budget` (a duration such as `8m`) on `corpus` and writes
/// docs/QUALITY.md.
pub(crate) fn run(corpus: &str, budget: &str) -> Result<()> {
    let xtask = std::env::current_exe().context("cannot find the xtask binary")?;
    run_command(Command::new(&xtask).args(["pipeline", "--corpus", corpus, "--to", "tokenize"]))?;
    let bin_dir = stage_binaries(&[Stage::Train])?;
    let input = project_root().join("artifacts").join(corpus);
    let machine = MachineInfo::read();
    let load_before = load_average();
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut outcomes = Vec::new();
    for configuration in CONFIGURATIONS {
        let root = target_dir()
            .join("bench-quality")
            .join(slug(configuration.name));
        if root.exists() {
            std::fs::remove_dir_all(&root)
                .with_context(|| format!("cannot remove {}", root.display()))?;
        }
        let mut train = Command::new(bin_dir.join(Stage::Train.binary()));
        train
            .args(["--input".as_ref(), input.as_os_str()])
            .args(["--output".as_ref(), root.as_os_str()])
            .args(["--time-budget", budget, "--device", "cpu"])
            .args(configuration.flags);
        eprintln!(
            "bench --quality: {}\n$ {}",
            configuration.name,
            describe(&train)
        );
        let clock = std::time::Instant::now();
        run_command(&mut train)?;
        outcomes.push(read_outcome(
            configuration,
            &root,
            clock.elapsed().as_secs_f64(),
        )?);
    }
    let load_after = load_average();
    let doc = render(&DocInputs {
        corpus,
        budget,
        started: &started,
        machine: &machine,
        load: [load_before, load_after],
        outcomes: &outcomes,
    });
    let path = project_root().join("docs").join("QUALITY.md");
    super::write_atomically(&path, &doc)?;
    println!("{doc}");
    println!("wrote {}", path.display());
    Ok(())
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The metrics and the last preview sample of the one train artifact under `root`.
fn read_outcome(
    configuration: &'static Configuration,
    root: &Path,
    wall_s: f64,
) -> Result<Outcome> {
    let id = artifact::latest_id(root, Stage::Train.name())?
        .with_context(|| format!("no train artifact under {}", root.display()))?;
    let dir: PathBuf = root.join(Stage::Train.name()).join(id);
    let artifact = artifact::Artifact::open_any(&dir)?;
    let metrics = artifact.manifest().metrics.clone();
    if metrics["baseline"].is_null() {
        bail!("{} has no baseline figures", dir.display());
    }
    let records = std::fs::read_to_string(artifact.path("metrics.jsonl"))?;
    let sample = records
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|r| r["sample"].as_str().map(str::to_owned))
        .next_back()
        .unwrap_or_default();
    Ok(Outcome {
        configuration,
        metrics,
        sample,
        wall_s,
    })
}

struct DocInputs<'a> {
    corpus: &'a str,
    budget: &'a str,
    started: &'a str,
    machine: &'a MachineInfo,
    load: [Option<[f64; 3]>; 2],
    outcomes: &'a [Outcome],
}

fn render(c: &DocInputs) -> String {
    let bpc = |v: &Value| v["bits_per_char"].as_f64().unwrap_or(f64::NAN);
    let mut out = format!(
        "# Quality: training configurations side by side\n\n\
         Generated by `cargo xtask bench --quality` on {} (corpus `{}`, {} of training per \
         configuration, one after the other on the same machine). Every figure below comes from \
         that run: do not edit this file, rerun the command.\n\n\
         - Machine: {}, {} logical CPUs, {:.0} GiB, GPU: {}.\n\
         - Load average (1 / 5 / 15 min) at the start {}, at the end {}.\n\
         - Bits per character on the corpus's valid and test splits; the n-gram baseline is the \
         Kneser-Ney model that every run fits on the train split, the mixture λ·LSTM + (1−λ)·n-gram \
         has λ fitted on valid (so its test figure is the honest one).\n\
         - How the cpu preset was chosen, and what else was tried: [RECIPE.md](RECIPE.md).\n\n",
        c.started,
        c.corpus,
        c.budget,
        c.machine.cpu_model,
        c.machine.logical_cpus,
        c.machine.memory_gib,
        c.machine.gpu,
        super::format_load(c.load[0]),
        super::format_load(c.load[1]),
    );
    out.push_str(
        "| configuration | valid bpc | vs first row | test bpc | tokens/s | epochs | steps | n-gram valid / test | LSTM below n-gram (valid) | mixture λ: valid / test |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let first_valid = c
        .outcomes
        .first()
        .map_or(f64::NAN, |o| bpc(&o.metrics["valid"]));
    for o in c.outcomes {
        let m = &o.metrics;
        let b = &m["baseline"];
        out.push_str(&format!(
            "| {} | {:.3} | {:+.3} | {:.3} | {:.0} | {} | {} | {}-gram: {:.3} / {:.3} | {:.3} | {:.2}: {:.3} / {:.3} |\n",
            o.configuration.name,
            bpc(&m["valid"]),
            bpc(&m["valid"]) - first_valid,
            bpc(&m["test"]),
            m["train_tokens_per_s"].as_f64().unwrap_or(f64::NAN),
            m["epochs_completed"],
            m["steps"],
            b["order"],
            bpc(&b["valid"]),
            bpc(&b["test"]),
            bpc(&b["valid"]) - bpc(&m["valid"]),
            b["mixture"]["lambda"].as_f64().unwrap_or(f64::NAN),
            bpc(&b["mixture"]["valid"]),
            bpc(&b["mixture"]["test"]),
        ));
    }
    out.push_str("\n## The configurations\n\n");
    for o in c.outcomes {
        out.push_str(&format!(
            "- **{}**: {}. Flags: `{}`; the run took {:.1} minutes with the final evaluations.\n",
            o.configuration.name,
            o.configuration.what,
            o.configuration.flags.join(" "),
            o.wall_s / 60.0
        ));
    }
    out.push_str("\n## Samples\n\nThe preview sample of each run's last validation (40 tokens at most from the start of a paragraph, temperature 0.8, the run's fixed seed):\n\n");
    for o in c.outcomes {
        out.push_str(&format!("- {}: {}\n", o.configuration.name, o.sample));
    }
    out
}
