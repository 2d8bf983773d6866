//! `cargo xtask pipeline`: clean → tokenize → train → generate on a corpus, each stage as its own
//! process (the stage binaries, built in release mode), so that a crash in one stage leaves the
//! artifacts of the others intact. Parameters come from the corpus's `pipeline.toml`, a preset
//! in it and `--set` overrides (see `pipeline/params.rs`), read into each stage's typed flags
//! and checked before any stage runs (`pipeline/contract.rs`). A stage whose id matches a
//! complete artifact is skipped by the stage itself, which says whether it ran in its result file
//! (the process protocol is in `pipeline/stage.rs`); the run ends with the generated samples on
//! stdout and a summary table.

pub(crate) mod contract;
pub(crate) mod corpus;
pub(crate) mod init_from;
pub(crate) mod params;
pub(crate) mod single;
pub(crate) mod stage;

use crate::setup;
use anyhow::{Result, bail};
use corpus::Corpus;
use init_from::{InitChain, InitSource};
use params::{Device, Override, PIPELINE_FILE, PipelineFile};
use stage::{
    Stage, StageRun, check_not_interrupted, let_stages_handle_ctrl_c, run_stage, stage_binaries,
};
use std::path::PathBuf;

/// Options of `cargo xtask pipeline`.
#[derive(Debug, clap::Args)]
pub(crate) struct PipelineArgs {
    /// The corpus: a folder name under data/ (default corpora: songci, poet-names) or a path to
    /// a folder of .txt files. Its pipeline.toml, if any, gives the stages' parameters
    #[arg(long, default_value = "songci")]
    corpus: String,
    /// Apply [presets.NAME] from the corpus's pipeline.toml (e.g. `seed` for the seed model on
    /// a GPU)
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// Override one parameter, e.g. `--set train.lr=0.003 --set generate.unique=false`; KEY is
    /// the stage binary's flag with `_` for `-` (`cargo xtask train --help` lists them). Every
    /// stage's parameters are checked before the first stage runs
    #[arg(long = "set", value_name = "STAGE.KEY=VALUE")]
    overrides: Vec<String>,
    /// Make these stages again even when an artifact with the same parameters exists (their
    /// downstream stages are made again too); `all` for every stage
    #[arg(long, value_name = "STAGE", value_delimiter = ',', value_parser = parse_stage_or_all)]
    force: Vec<Vec<Stage>>,
    /// Start at this stage, using the latest artifacts of the stages before it
    #[arg(long, value_name = "STAGE")]
    from: Option<Stage>,
    /// Stop after this stage
    #[arg(long, value_name = "STAGE")]
    to: Option<Stage>,
    /// Where artifacts go: `<DIR>/<corpus>/<stage>/<id>` (default: artifacts/ in the workspace)
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
}

fn parse_stage_or_all(text: &str) -> Result<Vec<Stage>, String> {
    if text == "all" {
        return Ok(Stage::ALL.to_vec());
    }
    Stage::from_name(text)
        .map(|s| vec![s])
        .ok_or_else(|| format!("expected one of: {}, all", Stage::names()))
}

pub(crate) fn run(args: &PipelineArgs) -> Result<()> {
    run_corpus(args, &InitChain::default()).map(drop)
}

/// Runs the pipeline of `args.corpus` (and first, when its `init_from` names another corpus,
/// that corpus's up to train); returns the corpus and its rows.
fn run_corpus(args: &PipelineArgs, chain: &InitChain) -> Result<(Corpus, Vec<StageRun>)> {
    let from = args.from.unwrap_or(Stage::Clean);
    let to = args.to.unwrap_or(Stage::Generate);
    if from > to {
        bail!(
            "--from {} comes after --to {}: the order is {}",
            from.name(),
            to.name(),
            Stage::names()
        );
    }
    let corpus = Corpus::resolve(&args.corpus, args.artifacts.as_deref())?;
    let file = PipelineFile::load(&corpus.data_dir)?;
    if file.built_in {
        eprintln!(
            "note: {} has no {PIPELINE_FILE}: using the built-in parameters (word-level tokens, the cpu preset, a 10-minute training budget); see data/README.md to set your own",
            corpus.data_dir.display()
        );
    }
    let overrides = args
        .overrides
        .iter()
        .map(|o| Override::parse(o, None))
        .collect::<Result<Vec<_>>>()?;
    let device = Device::detect();
    if file.has_device_table(device) {
        eprintln!(
            "note: {} applies its [on.{}] tables on this machine",
            file.source,
            device.name()
        );
    }
    // Every stage's parameters are read and checked before anything is installed or run.
    let mut params = file.resolve(device, args.preset.as_deref(), &overrides)?;
    let stages: Vec<Stage> = Stage::ALL
        .into_iter()
        .filter(|s| (from..=to).contains(s))
        .collect();
    let chain = chain.then(&corpus.name)?;
    let init = match &params.train.init_from {
        Some(value) if stages.contains(&Stage::Train) => Some(InitSource::of(value)?),
        _ => None,
    };
    setup::run()?;
    match init {
        Some(InitSource::Corpus(name)) => {
            eprintln!(
                "pipeline: {} fine-tunes a model of {name}: running {name}'s pipeline up to train first",
                corpus.name
            );
            let upstream = PipelineArgs {
                corpus: name,
                preset: None,
                overrides: Vec::new(),
                force: Vec::new(),
                from: None,
                to: Some(Stage::Train),
                artifacts: args.artifacts.clone(),
            };
            let (init_corpus, rows) = run_corpus(&upstream, &chain)?;
            let train = rows
                .iter()
                .find(|r| r.stage == Stage::Train)
                .expect("a pipeline up to train runs train");
            params.set_init_from(init_corpus.root.join("train").join(&train.id))?;
        }
        Some(InitSource::Artifact(path)) => params.set_init_from(path)?,
        None => {}
    }
    let bin_dir = stage_binaries(&stages)?;
    let_stages_handle_ctrl_c();
    let forced: Vec<Stage> = args.force.iter().flatten().copied().collect();
    let mut forcing = false;
    let mut rows = Vec::new();
    for stage in stages {
        // A stage made again invalidates what its downstream stages made from it.
        check_not_interrupted(stage)?;
        forcing |= forced.contains(&stage);
        let mut stage_args = stage.io_args(&corpus);
        stage_args.extend(params.flags(stage).into_iter().map(Into::into));
        rows.push(run_stage(&bin_dir, &corpus, stage, &stage_args, forcing)?);
    }
    print_summary(&corpus, &rows);
    Ok((corpus, rows))
}

/// The table that ends a run: what ran, what was reused, how long it took, what came out.
pub(crate) fn print_summary(corpus: &Corpus, rows: &[StageRun]) {
    println!();
    println!(
        "{:<9} {:<16} {:<8} {:>8}  key figures",
        "stage", "artifact", "", "time"
    );
    for r in rows {
        println!(
            "{:<9} {:<16} {:<8} {:>7.1}s  {}",
            r.stage.name(),
            r.id,
            r.outcome.name(),
            r.seconds,
            r.figures
        );
    }
    println!(
        "artifacts: {}  (inspect: cargo xtask inspect {}; logs: {})",
        corpus.root.display(),
        corpus.name,
        corpus.root.join("logs").display()
    );
}
