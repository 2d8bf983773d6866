//! The four stages as the orchestrator sees them: their binaries, the flags that connect them to
//! a corpus, and running one as a child process under the process protocol: its output also
//! goes to a log file (train's stderr stays on the terminal when there is one, for its progress
//! bar, and the stage logs its plain lines itself), it says what it did in a result file
//! ([`artifact::StageResult`]), and a stage stopped by Ctrl-C or SIGTERM is reported as
//! [`Interrupted`].

use super::corpus::Corpus;
use crate::inspect::view;
use crate::{project_root, run_command, target_dir};
use anyhow::{Context, Result, bail};
use artifact::{Manifest, Outcome, StageResult};
use nix::sys::signal::Signal;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// A run stopped by Ctrl-C: a stage stopped by it (it exits with 130 after saving what it can,
/// or dies of the signal when it came before the stage's handler was in place), or a Ctrl-C
/// that came between two stages. The orchestrator exits with 130 too.
#[derive(Debug)]
pub(crate) struct Interrupted {
    pub(crate) stage: Stage,
    /// Whether `stage` had not started yet (the Ctrl-C came after the stage before it ended).
    pub(crate) before_start: bool,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.stage.name();
        if self.before_start {
            return write!(
                f,
                "interrupted before stage `{name}` started; the stages before it are kept (run the same command again to go on)"
            );
        }
        write!(
            f,
            "stage `{name}` was interrupted; nothing unfinished was kept as an artifact (run the same command again to go on{})",
            if self.stage == Stage::Train {
                ": training resumes from its checkpoint"
            } else {
                ""
            }
        )
    }
}

impl std::error::Error for Interrupted {}

/// Whether a stage process ended because it was told to stop: the exit status 130 that every
/// stage's handler gives for Ctrl-C, SIGTERM and SIGHUP, or death by one of those signals.
fn stopped_by_signal(status: ExitStatus) -> bool {
    status.code() == Some(artifact::INTERRUPTED_EXIT_CODE)
        || status.signal().is_some_and(|number| {
            [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP]
                .iter()
                .any(|stop| *stop as i32 == number)
        })
}

/// What one stage run left: the artifact now `latest`, and whether it was made or reused.
#[derive(Debug)]
pub(crate) struct StageRun {
    pub(crate) stage: Stage,
    pub(crate) id: String,
    pub(crate) outcome: Outcome,
    pub(crate) seconds: f64,
    pub(crate) figures: String,
}

/// Runs `stage`'s binary with `args`, its output shown and kept in `<root>/logs/<stage>.log`;
/// what it did is read from the result file it writes (`logs/<stage>.result.json`). `force`
/// makes it rebuild its artifact even when a complete one has the same id.
pub(crate) fn run_stage(
    bin_dir: &Path,
    corpus: &Corpus,
    stage: Stage,
    args: &[OsString],
    force: bool,
) -> Result<StageRun> {
    let logs = corpus.root.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let log_path = logs.join(format!("{}.log", stage.name()));
    let result_path = logs.join(format!("{}.result.json", stage.name()));
    // A result left by an earlier run must not be taken for this one's.
    match std::fs::remove_file(&result_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot remove {}", result_path.display()));
        }
        _ => {}
    }
    let mut command = Command::new(bin_dir.join(stage.binary()));
    command
        .args(args)
        .arg("--result-file")
        .arg(&result_path)
        .current_dir(project_root());
    if force {
        command.arg("--force");
    }
    let started = Instant::now();
    let status = run_logged(&mut command, &log_path, StderrRoute::for_stage(stage))?;
    let seconds = started.elapsed().as_secs_f64();
    if stopped_by_signal(status) {
        return Err(Interrupted {
            stage,
            before_start: false,
        }
        .into());
    }
    if !status.success() {
        bail!(
            "stage `{}` failed ({status}); its output is above and in {}",
            stage.name(),
            log_path.display()
        );
    }
    let result = StageResult::read(&result_path)
        .with_context(|| format!("stage `{}` finished without its result", stage.name()))?;
    if result.stage != stage.name() {
        bail!(
            "{} names stage `{}`, but `{}` was run: {} is not the {} stage binary; build the stages again",
            result_path.display(),
            result.stage,
            stage.name(),
            bin_dir.join(stage.binary()).display(),
            stage.name()
        );
    }
    let manifest = Manifest::read(&corpus.root.join(stage.name()).join(&result.id))?;
    Ok(StageRun {
        stage,
        figures: view::key_figures(stage.name(), &manifest.metrics),
        id: result.id,
        outcome: result.outcome,
        seconds,
    })
}

/// Where a stage's stderr goes while it runs.
enum StderrRoute {
    /// Copied line by line to ours and to the log, as its stdout always is. Off a terminal the
    /// stages write only plain lines.
    Copied,
    /// Straight to this terminal, so that a stage that draws a progress bar draws it as when run
    /// alone; the stage appends its plain lines to the log itself (`--log-file`).
    Terminal(Stdio),
}

impl StderrRoute {
    /// Train's progress bar goes to our terminal when there is one; everything else is copied.
    fn for_stage(stage: Stage) -> StderrRoute {
        if stage == Stage::Train && std::io::stderr().is_terminal() {
            StderrRoute::Terminal(Stdio::inherit())
        } else {
            StderrRoute::Copied
        }
    }
}

/// Runs `command` with its stdout copied both to ours and to `log`, and its stderr as `route`
/// says. `log` is started afresh with the command line.
fn run_logged(command: &mut Command, log: &Path, route: StderrRoute) -> Result<ExitStatus> {
    command.stdout(Stdio::piped());
    match route {
        StderrRoute::Copied => command.stderr(Stdio::piped()),
        StderrRoute::Terminal(terminal) => command.arg("--log-file").arg(log).stderr(terminal),
    };
    let line = format!("$ {}", crate::describe(command));
    eprintln!("{line}");
    std::fs::write(log, format!("{line}\n"))
        .with_context(|| format!("cannot create {}", log.display()))?;
    // Appending: with its stderr on the terminal, the stage appends to the same file.
    let file = File::options()
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let file = Arc::new(Mutex::new(file));
    let mut child = command.spawn().with_context(|| {
        format!(
            "cannot start {} (build the stage binaries: `cargo build --release`)",
            Path::new(command.get_program()).display()
        )
    })?;
    let out = child.stdout.take().expect("stdout is piped");
    let mut copies = vec![spawn_tee(out, std::io::stdout(), Arc::clone(&file))];
    if let Some(err) = child.stderr.take() {
        copies.push(spawn_tee(err, std::io::stderr(), file));
    }
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
    let _ = ctrlc::set_handler(|| STOP_REQUESTED.store(true, Ordering::SeqCst));
}

/// Set by the Ctrl-C handler: the stage that is running stops itself, and no other starts.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Fails with [`Interrupted`] when Ctrl-C came since the pipeline started, before `next` starts
/// (a Ctrl-C between two stages reaches no stage).
pub(crate) fn check_not_interrupted(next: Stage) -> Result<()> {
    if STOP_REQUESTED.load(Ordering::SeqCst) {
        return Err(Interrupted {
            stage: next,
            before_start: true,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use artifact::{Existing, InputRef, Producer, StageSpec};
    use std::os::unix::fs::PermissionsExt;

    /// A stage binary for the launcher to run: a shell script named `jianghu-<stage>` in a
    /// folder of its own, standing in for the real one.
    struct FakeStage {
        dir: tempfile::TempDir,
        corpus: Corpus,
    }

    impl FakeStage {
        fn new(stage: Stage, script: &str) -> FakeStage {
            let dir = tempfile::tempdir().unwrap();
            let corpus = Corpus {
                name: "tiny".into(),
                data_dir: dir.path().join("data"),
                root: dir.path().join("artifacts").join("tiny"),
            };
            let fake = FakeStage { dir, corpus };
            fake.set_script(stage, script);
            fake
        }

        fn set_script(&self, stage: Stage, script: &str) {
            let bin = self.dir.path().join(stage.binary());
            std::fs::write(&bin, format!("#!/bin/sh\n{script}\n")).unwrap();
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        }

        fn run(&self, stage: Stage, force: bool) -> Result<StageRun> {
            run_stage(self.dir.path(), &self.corpus, stage, &[], force)
        }

        fn log(&self, stage: Stage) -> String {
            let path = self
                .corpus
                .root
                .join("logs")
                .join(format!("{}.log", stage.name()));
            std::fs::read_to_string(path).unwrap()
        }

        /// Commits an empty `clean` artifact under the corpus root; returns its id.
        fn commit_clean_artifact(&self) -> String {
            let spec = StageSpec {
                stage: "clean".into(),
                format_version: 1,
                params: serde_json::json!({}),
                inputs: vec![InputRef {
                    stage: "data".into(),
                    id: "0123456789abcdef".into(),
                    path: "data/tiny".into(),
                }],
            };
            let producer = Producer::new("clean", "0.0.0");
            match artifact::begin(&self.corpus.root, spec, producer, Existing::Reuse).unwrap() {
                artifact::Begin::Staging(staging) => staging
                    .commit(
                        serde_json::to_value(::clean::CleanSummary {
                            files: 1,
                            ..Default::default()
                        })
                        .unwrap(),
                    )
                    .unwrap()
                    .id()
                    .to_owned(),
                artifact::Begin::Complete(_) => unreachable!("the root is new"),
            }
        }
    }

    /// Shell that reads `--result-file PATH`, `--log-file PATH` and `--force` from the
    /// arguments into `$result`, `$log` and `$force`.
    const READ_FLAGS: &str = r#"force=no
while [ $# -gt 0 ]; do
  case "$1" in
    --result-file) result="$2"; shift ;;
    --log-file) log="$2"; shift ;;
    --force) force=yes ;;
  esac
  shift
done"#;

    #[test]
    fn a_stage_stopped_by_ctrl_c_or_sigterm_is_reported_as_interrupted() {
        // As the pipeline does: a process started in the background inherits SIGINT ignored,
        // and passes that on to the fake stages unless it handles the signal itself.
        let_stages_handle_ctrl_c();
        for (how, script) in [
            ("died of SIGINT", "kill -INT $$"),
            ("died of SIGTERM", "kill -TERM $$"),
            ("exited 130", "exit 130"),
        ] {
            for stage in Stage::ALL {
                let fake = FakeStage::new(stage, script);
                let err = fake.run(stage, false).unwrap_err();
                let interrupted = err.downcast_ref::<Interrupted>();
                assert!(
                    interrupted.is_some_and(|i| i.stage == stage && !i.before_start),
                    "{} {how}: {err:#}",
                    stage.name()
                );
            }
        }
        // A Ctrl-C between two stages starts no other stage.
        check_not_interrupted(Stage::Tokenize).expect("no Ctrl-C yet");
        STOP_REQUESTED.store(true, Ordering::SeqCst);
        let err = check_not_interrupted(Stage::Tokenize).unwrap_err();
        STOP_REQUESTED.store(false, Ordering::SeqCst);
        let interrupted = err.downcast_ref::<Interrupted>().expect("interrupted");
        assert!(interrupted.before_start && interrupted.stage == Stage::Tokenize);
        assert!(
            err.to_string().contains("before stage `tokenize` started"),
            "{err}"
        );
        // Any other failure stays a failure, naming the log.
        let fake = FakeStage::new(Stage::Clean, "echo 'bad flag' >&2; exit 2");
        let err = fake.run(Stage::Clean, false).unwrap_err();
        assert!(err.downcast_ref::<Interrupted>().is_none(), "{err:#}");
        assert!(err.to_string().contains("clean.log"), "{err:#}");
        assert!(fake.log(Stage::Clean).contains("bad flag"));
    }

    #[test]
    fn ran_or_skipped_is_what_the_stage_reports_and_force_is_passed_as_a_flag() {
        let fake = FakeStage::new(Stage::Clean, "exit 1");
        let id = fake.commit_clean_artifact();
        fake.set_script(
            Stage::Clean,
            &format!(
                r#"{READ_FLAGS}
if [ "$force" = yes ]; then outcome=ran; else outcome=skipped; fi
printf '{{"stage":"clean","id":"{id}","outcome":"%s"}}\n' "$outcome" > "$result""#
            ),
        );

        let reused = fake.run(Stage::Clean, false).unwrap();
        assert_eq!(
            (reused.id.as_str(), reused.outcome),
            (id.as_str(), Outcome::Skipped)
        );
        assert_eq!(
            reused.figures,
            "files=1 chars_out=0 paragraphs=0 undecodable_bytes=0"
        );
        // The artifact was not touched, but the stage says it made it again: it is believed.
        let forced = fake.run(Stage::Clean, true).unwrap();
        assert_eq!(
            (forced.id.as_str(), forced.outcome),
            (id.as_str(), Outcome::Ran)
        );
    }

    #[test]
    fn a_missing_or_foreign_result_is_an_error_not_a_guess() {
        let silent = FakeStage::new(Stage::Tokenize, "exit 0");
        let err = format!("{:#}", silent.run(Stage::Tokenize, false).unwrap_err());
        assert!(
            err.contains("finished without its result") && err.contains("tokenize.result.json"),
            "{err}"
        );
        let foreign = FakeStage::new(
            Stage::Tokenize,
            &format!(
                r#"{READ_FLAGS}
echo '{{"stage":"clean","id":"0123456789abcdef","outcome":"ran"}}' > "$result""#
            ),
        );
        let err = format!("{:#}", foreign.run(Stage::Tokenize, false).unwrap_err());
        assert!(
            err.contains("names stage `clean`, but `tokenize` was run"),
            "{err}"
        );
    }

    /// Everything written to the pseudo-terminal whose master is `master`, until its last
    /// slave is closed.
    fn read_terminal(master: std::os::fd::OwnedFd) -> String {
        let mut master = File::from(master);
        let mut bytes = Vec::new();
        // Linux ends a pseudo-terminal's output with EIO once no slave is open.
        let _ = master.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn on_a_terminal_the_stage_draws_there_and_its_plain_lines_reach_the_log() {
        let fake = FakeStage::new(
            Stage::Train,
            &format!(
                r#"{READ_FLAGS}
if [ -t 2 ]; then printf '\r[=====>    ]  50%%' >&2; else echo 'stderr is no terminal' >&2; fi
if [ -n "$log" ]; then echo ' 50%  step 5  loss 3.000' >> "$log"; fi
echo 'train: wrote the artifact'"#
            ),
        );
        let terminal = nix::pty::openpty(None, None).unwrap();
        let log = fake.dir.path().join("train.log");
        let mut command = Command::new(fake.dir.path().join(Stage::Train.binary()));
        let status = run_logged(
            &mut command,
            &log,
            StderrRoute::Terminal(Stdio::from(terminal.slave)),
        )
        .unwrap();
        drop(command);
        assert!(status.success());
        let shown = read_terminal(terminal.master);
        assert!(shown.contains("[=====>    ]  50%"), "{shown:?}");
        let logged = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<&str> = logged.lines().collect();
        assert_eq!(
            lines,
            [
                format!(
                    "$ {} --log-file {}",
                    fake.dir.path().join("jianghu-train").display(),
                    log.display()
                )
                .as_str(),
                " 50%  step 5  loss 3.000",
                "train: wrote the artifact"
            ],
            "{logged}"
        );

        // Off a terminal both streams are copied to the log, and no --log-file is passed.
        let mut command = Command::new(fake.dir.path().join(Stage::Train.binary()));
        run_logged(&mut command, &log, StderrRoute::Copied).unwrap();
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(logged.contains("stderr is no terminal"), "{logged}");
        assert!(!logged.contains("--log-file"), "{logged}");
    }
}
