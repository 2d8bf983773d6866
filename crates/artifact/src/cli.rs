//! What every stage binary shares on its command line: the flags of the process protocol
//! ([`ProtocolArgs`]: `--force`, `--result-file`), and at its very end how a failure is shown
//! (one line, each cause once); and [`flag_defaults`], which makes a stage's flags type's
//! `Default` from its clap attributes, so that each default is written once.

use crate::outcome::{Outcome, StageResult};
use crate::stage::Existing;
use crate::{Artifact, Result};
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

/// The flags by which a stage binary is run by the orchestrator (`cargo xtask`), the same in
/// every stage; flattened into each binary's arguments.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtocolArgs {
    /// Make the artifact again even when a complete one with the same parameters and inputs
    /// exists (the old one stays readable until the new one replaces it)
    #[arg(long)]
    pub force: bool,
    /// When the run has succeeded, write `{"stage", "id", "outcome": "ran"|"skipped"}` to this
    /// file (one line of JSON): the artifact now `latest` and whether this run made it
    #[arg(long, value_name = "PATH")]
    pub result_file: Option<PathBuf>,
}

impl ProtocolArgs {
    /// What the stage does with a complete artifact of its id.
    pub fn existing(&self) -> Existing {
        if self.force {
            Existing::Replace
        } else {
            Existing::Reuse
        }
    }

    /// Writes the result file, if one was asked for: `artifact` is what the run left, `skipped`
    /// whether it was found complete. Call it last, once everything else succeeded.
    pub fn report(&self, artifact: &Artifact, skipped: bool) -> Result<()> {
        let Some(path) = &self.result_file else {
            return Ok(());
        };
        StageResult {
            stage: artifact.manifest().stage.clone(),
            id: artifact.id().to_owned(),
            outcome: if skipped {
                Outcome::Skipped
            } else {
                Outcome::Ran
            },
        }
        .write(path)
    }
}

/// Turns a stage binary's result into its exit status, printing a failure as one `error: …`
/// line with its cause chain, each cause once: a cause whose text the message already shows
/// (as in `#[error("{path}: {source}")]`) is not repeated, which `{:#}` would do. Returning the
/// error from `main` instead would print a backtrace whenever `RUST_BACKTRACE` is set, burying
/// the line that says what to fix.
///
/// Takes any error that lends itself as a `dyn Error` (an `anyhow::Error`, a `Box<dyn Error>`),
/// so that this crate needs no error-handling dependency of its own.
pub fn exit_code<E: AsRef<dyn Error + 'static>>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", error_line(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// The line [`exit_code`] prints for a failure, `error: ` and the cause chain; for a stage that
/// also keeps a log of its own (train's `--log-file`).
pub fn error_line(error: &(dyn Error + 'static)) -> String {
    format!("error: {}", chain(error))
}

/// `error` followed by each of its causes (`: `-separated), leaving out a cause whose text is
/// already part of what is written: error types commonly show their source in their own message
/// (`#[error("{path}: {source}")]`) and also return it from `source()`, and printing the chain
/// blindly (`{:#}`) would show that cause twice.
fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let line = c.to_string();
        if !line.is_empty() && !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = c.source();
    }
    text
}

/// The value clap gives the flags `A` when the command line names none of them: what a stage's
/// flags type returns as its `Default`, so that each default is written once, in the flag's
/// attribute (`default_value_t = 0.8`), and the orchestrator's typed values and the binary
/// cannot disagree about it.
pub fn flag_defaults<A: clap::Args>() -> A {
    let command = A::augment_args(clap::Command::new("defaults"));
    let matches = command
        .try_get_matches_from(["defaults"])
        .expect("every flag of a stage has a default or is optional");
    A::from_arg_matches(&matches).expect("the defaults are values of their flags")
}

#[cfg(test)]
mod tests {
    use super::chain;
    use std::error::Error;
    use std::fmt;

    /// An I/O error wrapped the way the stage error enums do it: the message shows the source,
    /// and `source()` returns it as well.
    #[derive(Debug)]
    struct Io {
        path: &'static str,
        source: std::io::Error,
    }

    impl fmt::Display for Io {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}: {}", self.path, self.source)
        }
    }

    impl Error for Io {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.source)
        }
    }

    /// A context message that does not show its source (like `anyhow::Context`).
    #[derive(Debug)]
    struct Context {
        message: &'static str,
        source: Box<dyn Error + 'static>,
    }

    impl fmt::Display for Context {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.message)
        }
    }

    impl Error for Context {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(self.source.as_ref())
        }
    }

    fn not_found() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such file (os error 2)")
    }

    #[test]
    fn a_cause_shown_in_the_message_is_printed_once() {
        let io = Io {
            path: "a/vocab.json",
            source: not_found(),
        };
        assert_eq!(chain(&io), "a/vocab.json: no such file (os error 2)");
        let context = Context {
            message: "scoring my.txt",
            source: Box::new(io),
        };
        let text = chain(&context);
        assert_eq!(
            text,
            "scoring my.txt: a/vocab.json: no such file (os error 2)"
        );
        assert_eq!(text.matches("os error 2").count(), 1, "{text}");
    }

    #[test]
    fn causes_not_in_the_message_are_all_printed() {
        let context = Context {
            message: "training on a",
            source: Box::new(Context {
                message: "reading b",
                source: Box::new(not_found()),
            }),
        };
        assert_eq!(
            chain(&context),
            "training on a: reading b: no such file (os error 2)"
        );
    }
}
