//! `cargo xtask clean|tokenize|train|generate [OPTIONS] [STAGE FLAGS]`: one stage on its own,
//! against the latest upstream artifact of a corpus, e.g.
//! `cargo xtask generate --prompt 令狐冲 --top-p 0.9` or `cargo xtask train --set hidden_size=512`.
//!
//! The stage's table in the corpus's `pipeline.toml` applies, then `--set KEY=VALUE`, then the
//! stage flags given here, which win over both. Options of our own are read here; everything
//! else is passed to the stage binary untouched (so its `--help` is the reference).
//! `generate --interactive` and `generate --score` make no artifact: they run on our terminal
//! without a log or a summary.

use super::corpus::Corpus;
use super::init_from::InitSource;
use super::params::{Device, Override, PipelineFile};
use super::print_summary;
use super::stage::{Stage, let_stages_handle_ctrl_c, run_stage, stage_binaries};
use crate::setup;
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

/// The raw arguments after `cargo xtask <stage>`; parsed here because most belong to the stage.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(crate) struct StageCommandArgs {
    #[arg(num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<String>,
}

/// What the orchestrator takes out of the arguments for itself.
#[derive(Debug, Default, PartialEq)]
struct OwnOptions {
    corpus: Option<String>,
    artifacts: Option<PathBuf>,
    overrides: Vec<String>,
    force: bool,
    help: bool,
    /// The rest, for the stage binary.
    stage_flags: Vec<String>,
}

const USAGE: &str = "\
Options of the orchestrator (every other flag goes to the stage binary, listed below):
      --corpus NAME|PATH   corpus whose pipeline.toml and artifacts to use [default: songci]
      --set KEY=VALUE      override one parameter of this stage's pipeline.toml table
      --force              make the artifact again even if one with these parameters exists
      --artifacts DIR      artifacts root [default: artifacts/ in the workspace]";

pub(crate) fn run(stage: Stage, args: &StageCommandArgs) -> Result<()> {
    let own = split_own_options(&args.args)?;
    if own.help {
        println!(
            "cargo xtask {}: run the {} stage alone.\n\n{USAGE}\n",
            stage.name(),
            stage.name()
        );
    } else {
        setup::run()?;
    }
    let bin_dir = stage_binaries(&[stage])?;
    let binary = bin_dir.join(stage.binary());
    if own.help {
        let status = std::process::Command::new(&binary)
            .arg("--help")
            .status()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        std::process::exit(status.code().unwrap_or(1));
    }
    let corpus = Corpus::resolve(
        own.corpus.as_deref().unwrap_or("songci"),
        own.artifacts.as_deref(),
    )?;
    let overrides = own
        .overrides
        .iter()
        .map(|o| Override::parse(o, Some(stage)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(other) = overrides.iter().find(|o| o.stage != stage) {
        bail!(
            "`--set {}.{}` sets another stage; `cargo xtask {}` runs only {}",
            other.stage.name(),
            other.key,
            stage.name(),
            stage.name()
        );
    }
    let mut params =
        PipelineFile::load(&corpus.data_dir)?.resolve(Device::detect(), None, &overrides)?;
    if stage == Stage::Train
        && let Some(value) = params.train.init_from.clone()
    {
        // A corpus name means its latest train artifact (the pipeline makes it first).
        let path = match InitSource::of(&value)? {
            InitSource::Artifact(path) => path,
            InitSource::Corpus(name) => Corpus::resolve(&name, own.artifacts.as_deref())?.root,
        };
        params.set_init_from(path)?;
    }
    let given = flag_names(&own.stage_flags);
    let mut stage_args: Vec<OsString> = Vec::new();
    if !given
        .iter()
        .any(|f| ["input", "model", "output"].contains(&f.as_str()))
    {
        stage_args.extend(stage.io_args(&corpus));
    }
    stage_args.extend(
        params
            .flags(stage)
            .into_iter()
            .filter(|f| {
                let key = flag_name(f);
                let unused = stage == Stage::Generate && unused_in_mode(&given, &key);
                !given.contains(&key) && !unused
            })
            .map(Into::into),
    );
    stage_args.extend(own.stage_flags.iter().map(Into::into));
    let_stages_handle_ctrl_c();
    if stage == Stage::Generate && (given.contains("interactive") || given.contains("score")) {
        // These modes write no artifact and talk to the terminal (a `> ` prompt has no line end
        // for the log copier to wait for): the binary gets our terminal as it is.
        let status = std::process::Command::new(&binary)
            .args(&stage_args)
            .current_dir(crate::project_root())
            .status()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        std::process::exit(status.code().unwrap_or(1));
    }
    let row = run_stage(&bin_dir, &corpus, stage, &stage_args, own.force)?;
    print_summary(&corpus, &[row]);
    Ok(())
}

/// Whether `key` of the corpus's `[generate]` table does nothing in the mode the flags given by
/// hand choose (the binary refuses such flags, so they are left out): `--score` uses none but
/// the device, `--interactive` reads its prompts from the terminal and keeps no names list,
/// `--beam` does not sample; a `--prompt`, `--stop` or `--names` by hand asks for free text or
/// names, so the table's `form` (with its `acrostic` and `rhyme`) is left out, as it is with
/// `--interactive`.
fn unused_in_mode(given: &BTreeSet<String>, key: &str) -> bool {
    if given.contains("score") {
        return key != "device";
    }
    const FORM_KEYS: [&str; 3] = ["form", "acrostic", "rhyme"];
    let free = ["prompt", "stop", "names"]
        .iter()
        .any(|f| given.contains(*f));
    if (free || given.contains("interactive")) && FORM_KEYS.contains(&key) {
        return true;
    }
    let unused: &[&str] = if given.contains("interactive") {
        &["prompt", "novel", "unique"]
    } else if given.contains("beam") {
        &["temperature", "top_k", "top_p", "seed", "stop"]
    } else {
        &[]
    };
    unused.contains(&key)
}

fn split_own_options(args: &[String]) -> Result<OwnOptions> {
    let mut own = OwnOptions::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |flag: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .with_context(|| format!("{flag} needs a value"))
        };
        match name {
            "--corpus" => own.corpus = Some(value("--corpus")?),
            "--artifacts" => own.artifacts = Some(value("--artifacts")?.into()),
            "--set" => own.overrides.push(value("--set")?),
            "--force" => own.force = true,
            "--help" | "-h" => own.help = true,
            _ => own.stage_flags.push(arg.clone()),
        }
    }
    Ok(own)
}

/// `--top-p=0.9` → `top_p`: the key a flag sets, as written in pipeline.toml.
fn flag_name(flag: &str) -> String {
    let name = flag.trim_start_matches('-');
    name.split('=').next().unwrap_or(name).replace('-', "_")
}

fn flag_names(flags: &[String]) -> BTreeSet<String> {
    flags
        .iter()
        .filter(|f| f.starts_with("--"))
        .map(|f| flag_name(f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn own_options_are_taken_and_the_rest_goes_to_the_stage() {
        let own = split_own_options(&strings(&[
            "--prompt",
            "令狐冲",
            "--corpus=jinyong",
            "--top-p",
            "0.9",
            "--set",
            "top_k=40",
            "--force",
        ]))
        .unwrap();
        assert_eq!(own.corpus.as_deref(), Some("jinyong"));
        assert_eq!(own.overrides, ["top_k=40"]);
        assert!(own.force && !own.help);
        assert_eq!(own.stage_flags, ["--prompt", "令狐冲", "--top-p", "0.9"]);
        let err = split_own_options(&strings(&["--set"]))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "--set needs a value");
    }

    #[test]
    fn table_keys_that_do_nothing_in_the_chosen_mode_are_left_out() {
        let given = |flags: &[&str]| flag_names(&strings(flags));
        let score = given(&["--score", "my.txt"]);
        assert!(unused_in_mode(&score, "paragraphs") && unused_in_mode(&score, "max_tokens"));
        assert!(!unused_in_mode(&score, "device"));
        let interactive = given(&["--interactive"]);
        assert!(unused_in_mode(&interactive, "novel") && unused_in_mode(&interactive, "prompt"));
        assert!(!unused_in_mode(&interactive, "top_p"));
        let beam = given(&["--beam=4"]);
        assert!(unused_in_mode(&beam, "top_p") && !unused_in_mode(&beam, "max_tokens"));
        assert!(
            !unused_in_mode(&beam, "form"),
            "forms are beam-searched too"
        );
        assert!(unused_in_mode(&interactive, "form") && unused_in_mode(&interactive, "rhyme"));
        let prompt = given(&["--prompt", "明月"]);
        assert!(unused_in_mode(&prompt, "form") && unused_in_mode(&prompt, "acrostic"));
        assert!(!unused_in_mode(&prompt, "top_p"));
        assert!(!unused_in_mode(&given(&["--top-p", "0.9"]), "temperature"));
    }

    #[test]
    fn flags_given_by_hand_are_recognised_by_their_key() {
        let names = flag_names(&strings(&[
            "--top-p",
            "0.9",
            "--num-samples=3",
            "-x",
            "令狐冲",
        ]));
        assert_eq!(
            names,
            BTreeSet::from(["top_p".to_string(), "num_samples".to_string()])
        );
        assert_eq!(flag_name("--time-budget=8m"), "time_budget");
    }
}
