//! The four stages as the orchestrator sees them: their binaries, the flags that connect them to
//! a corpus, and running one as a child process whose output also goes to a log file.

use super::corpus::Corpus;
use crate::inspect::view;
use crate::{project_root, run_command, target_dir};
use anyhow::{Context, Result, bail};
use artifact::{FORCE_ENV, MANIFEST_FILE, Manifest};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A pipeline stage, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub(crate) enum Stage {
    Clean,
    Tokenize,
    Train,
    Generate,
}

impl Stage {
    pub(crate) const ALL: [Stage; 4] =
        [Stage::Clean, Stage::Tokenize, Stage::Train, Stage::Generate];

    /// The stage's name: its artifact folder, its crate and the suffix of its binary.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Clean => "clean",
            Stage::Tokenize => "tokenize",
            Stage::Train => "train",
            Stage::Generate => "generate",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name)
    }

    /// "clean, tokenize, train, generate", for messages.
    pub(crate) fn names() -> String {
        Stage::ALL.map(Stage::name).join(", ")
    }

    pub(crate) fn binary(self) -> String {
        format!("jianghu-{}", self.name())
    }

    /// The flags that tell the binary where it reads and writes; each binary finds the latest
    /// upstream artifact under the corpus's artifacts root by itself.
    pub(crate) fn io_args(self, corpus: &Corpus) -> Vec<OsString> {
        let root = corpus.root.clone().into_os_string();
        match self {
            Stage::Clean => vec![
                "--input".into(),
                corpus.data_dir.clone().into_os_string(),
                "--output".into(),
                root,
            ],
            Stage::Tokenize | Stage::Train => vec!["--input".into(), root],
            Stage::Generate => vec!["--model".into(), root],
        }
    }
}

/// Environment variable naming a folder that already holds the stage binaries; the
/// orchestrator then skips its release build (the end-to-end test uses debug binaries).
pub(crate) const BIN_DIR_ENV: &str = "JIANGHU_BIN_DIR";

/// The folder of the stage binaries: `$JIANGHU_BIN_DIR`, or the release build of `stages`,
/// built now (cargo makes this a no-op when nothing changed).
pub(crate) fn stage_binaries(stages: &[Stage]) -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV) {
        return Ok(PathBuf::from(dir));
    }
    let mut build = Command::new("cargo");
    build.args(["build", "--release"]);
    for stage in stages {
        build.args(["--package", stage.name()]);
    }
    run_command(&mut build)?;
    Ok(target_dir().join("release"))
}

/// A stage stopped by Ctrl-C (it exits with 130 after saving what it can); the orchestrator
/// exits with 130 too.
#[derive(Debug)]
pub(crate) struct Interrupted(pub(crate) Stage);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stage `{}` was interrupted; nothing unfinished was kept as an artifact (run the same command again to go on{})",
            self.0.name(),
            if self.0 == Stage::Train {
                ": training resumes from its checkpoint"
            } else {
                ""
            }
        )
    }
}

impl std::error::Error for Interrupted {}

/// What one stage run left: the artifact now `latest`, and whether it was made or reused.
#[derive(Debug)]
pub(crate) struct StageRun {
    pub(crate) stage: Stage,
    pub(crate) id: String,
    pub(crate) ran: bool,
    pub(crate) seconds: f64,
    pub(crate) figures: String,
}

/// Runs `stage`'s binary with `args`, its output shown and kept in `<root>/logs/<stage>.log`.
/// `force` makes it rebuild its artifact even when a complete one has the same id.
pub(crate) fn run_stage(
    bin_dir: &Path,
    corpus: &Corpus,
    stage: Stage,
    args: &[OsString],
    force: bool,
) -> Result<StageRun> {
    let stage_dir = corpus.root.join(stage.name());
    let before = complete_artifacts(&stage_dir);
    let log_path = corpus
        .root
        .join("logs")
        .join(format!("{}.log", stage.name()));
    std::fs::create_dir_all(log_path.parent().expect("a log has a folder"))
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut command = Command::new(bin_dir.join(stage.binary()));
    command.args(args).current_dir(project_root());
    if force {
        command.env(FORCE_ENV, stage.name());
    }
    eprintln!("$ {}", crate::describe(&command));
    let started = Instant::now();
    let status = run_logged(&mut command, &log_path).with_context(|| {
        format!(
            "cannot start {} (build it with `cargo build --release -p {}`)",
            bin_dir.join(stage.binary()).display(),
            stage.name()
        )
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if status.code() == Some(130) {
        return Err(Interrupted(stage).into());
    }
    if !status.success() {
        bail!(
            "stage `{}` failed ({status}); its output is above and in {}",
            stage.name(),
            log_path.display()
        );
    }
    let id = artifact::latest_id(&corpus.root, stage.name())?.with_context(|| {
        format!(
            "stage `{}` finished but left no `latest` artifact",
            stage.name()
        )
    })?;
    let manifest = Manifest::read(&stage_dir.join(&id))?;
    let ran = before.get(&id) != manifest_inode(&stage_dir.join(&id)).as_ref();
    Ok(StageRun {
        stage,
        figures: view::key_figures(stage.name(), &manifest.metrics),
        id,
        ran,
        seconds,
    })
}

/// Complete artifacts of a stage by id, with the inode of their manifest: an artifact made
/// again under the same id (`--force`) is a new directory with a new manifest.
fn complete_artifacts(stage_dir: &Path) -> BTreeMap<String, u64> {
    let Ok(entries) = std::fs::read_dir(stage_dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let inode = manifest_inode(&e.path())?;
            Some((e.file_name().to_string_lossy().into_owned(), inode))
        })
        .collect()
}

fn manifest_inode(dir: &Path) -> Option<u64> {
    std::fs::metadata(dir.join(MANIFEST_FILE))
        .ok()
        .map(|m| m.ino())
}

/// Runs `command` with its stdout and stderr copied both to ours and to `log`.
fn run_logged(command: &mut Command, log: &Path) -> Result<std::process::ExitStatus> {
    let file = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let file = Arc::new(Mutex::new(file));
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().expect("stdout is piped");
    let err = child.stderr.take().expect("stderr is piped");
    let copies = [
        spawn_tee(out, std::io::stdout(), Arc::clone(&file)),
        spawn_tee(err, std::io::stderr(), file),
    ];
    let status = child.wait()?;
    for copy in copies {
        copy.join().expect("a log copier does not panic")?;
    }
    Ok(status)
}

fn spawn_tee(
    from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    log: Arc<Mutex<File>>,
) -> std::thread::JoinHandle<std::io::Result<()>> {
    std::thread::spawn(move || {
        // Whole lines: a stage's unbuffered stderr arrives in pieces (`eprintln!` writes each
        // part of its format separately), which copied as they come would land inside the
        // other stream's lines.
        let mut from = BufReader::new(from);
        let mut line = Vec::new();
        loop {
            line.clear();
            if from.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            // Our own terminal going away must not stop the copy to the log (or the child).
            let _ = to.write_all(&line).and_then(|()| to.flush());
            log.lock().expect("no copier panics").write_all(&line)?;
        }
    })
}

/// Keeps the orchestrator alive on Ctrl-C: the terminal sends SIGINT to the stage too, which
/// saves its work and exits with 130; the orchestrator then reports it.
pub(crate) fn let_stages_handle_ctrl_c() {
    // An error here means a handler is already set, which is what we want anyway.
    let _ = ctrlc::set_handler(|| {});
}
