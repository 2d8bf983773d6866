//! [`GenerateConfig`]: the flags of the generate stage; its serialised form is the artifact's
//! `params` and the `[generate]` table of a corpus's `pipeline.toml`.
//!
//! The checks come in steps, each as soon as what it needs is known, and all before anything is
//! written:
//! - [`GenerateConfig::validate`] (also the orchestrator's check before any stage runs; the
//!   device's syntax only, libtorch says whether it exists when the stage runs): values and
//!   their ranges (negative and non-finite numbers included, up to [`MAX_BEAM`]), and flags that do nothing with the others (sampling flags
//!   and `--stop` with `--beam`; `--top-k`, `--top-p` and `--seed` with greedy decoding;
//!   `--paragraphs` with `--names`);
//! - [`GenerateConfig::validate_for`]: flags that do nothing in the [`Task`] (every generation
//!   flag with `--score`; `--prompt`, `--novel` and `--unique` with `--interactive`);
//! - [`GenerateConfig::check_model`], once the model config is read: `--beam` against the
//!   vocabulary;
//! - [`GenerateConfig::check_mode`], once the mode is chosen: `--paragraphs` in an automatic
//!   names mode.

use crate::error::GenerateError;
use crate::mode::{Mode, ModeChoice, NOVEL_WITH_NO_NAMES};
use crate::sampler::SamplingParams;
use serde::{Deserialize, Serialize};

/// The widest beam `--beam` accepts. Beam search keeps, sorts and copies `N × vocabulary`
/// candidates a step: far beyond the few dozen hypotheses where its results stop changing it only
/// costs time and memory (`--beam 100000` ran for minutes and took gigabytes).
pub const MAX_BEAM: usize = 256;

/// What a run does with the flags; it decides which of them apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Generate samples into an artifact ([`crate::run`]).
    Generate,
    /// Continue prompts read from standard input ([`crate::interactive::interactive`]); no
    /// artifact.
    Interactive,
    /// Score a text (`--score`, [`crate::score_path`]): nothing is generated, no artifact.
    Score,
}

impl Task {
    /// The task that the binary's `--score`, `--interactive`, `--json` and `--output` ask for,
    /// refusing the combinations where one of them would do nothing: `--json` formats the
    /// `--score` report only, and `--output` names where the generate artifact goes, which
    /// `--score` and `--interactive` do not write.
    pub fn from_flags(
        score: bool,
        interactive: bool,
        json: bool,
        output: bool,
    ) -> Result<Task, GenerateError> {
        let bad = |m: &str| Err(GenerateError::Param(m.into()));
        let task = match (score, interactive) {
            (true, true) => {
                return bad("--score and --interactive are two different tasks: give one of them");
            }
            (true, false) => Task::Score,
            (false, true) => Task::Interactive,
            (false, false) => Task::Generate,
        };
        if json && task != Task::Score {
            return bad(
                "--json prints the --score report as JSON and does nothing without --score: drop it, or add --score FILE",
            );
        }
        if output && task != Task::Generate {
            return bad(match task {
                Task::Score => {
                    "--output names the root of the generate artifact, and --score writes none: drop --output"
                }
                _ => {
                    "--output names the root of the generate artifact, and --interactive writes none: drop --output"
                }
            });
        }
        Ok(task)
    }
}

/// When a sample ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Generated tokens at most (the prompt does not count).
    pub max_tokens: usize,
    /// Stop after this many `<eos>` tokens.
    pub paragraphs: Option<usize>,
    /// Stop once the generated text contains this string (kept in the output).
    pub stop: Option<String>,
}

/// Flags of the `generate` stage.
#[derive(clap::Args, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// Text to continue. Empty: start a new paragraph (from `<eos>`). The output begins with
    /// the prompt; words outside the vocabulary are split into characters or become `<unk>`.
    #[arg(long, default_value = "")]
    pub prompt: String,

    /// Sampling temperature: 0 is greedy decoding (always the most likely token), otherwise a
    /// finite positive number. Not with --beam.
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    pub temperature: f64,

    /// Sample only from the K most likely tokens (at least 1; all when absent). Not with
    /// --beam or --temperature 0.
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub top_k: Option<usize>,

    /// Nucleus sampling: sample from the smallest set of tokens whose probability reaches P,
    /// in (0, 1] (all when absent). Not with --beam or --temperature 0.
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub top_p: Option<f64>,

    /// Multiply the log-probability of tokens already in the text by this: a finite number of
    /// at least 1 (1 = off).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub repetition_penalty: f64,

    /// Never repeat an n-gram of this many tokens within a sample (at least 1).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub no_repeat_ngram: Option<usize>,

    /// Let the model write `<unk>` (the token for everything outside the vocabulary). By default
    /// it is never drawn, since it would appear in the text as the literal `<unk>`.
    #[arg(long)]
    #[serde(default)]
    pub allow_unk: bool,

    /// Beam search with N hypotheses (length-normalised) instead of sampling, 1 to 256 and at
    /// most the vocabulary size; returns the best --num-samples hypotheses (at most N).
    /// Deterministic: --temperature, --top-k, --top-p, --seed and --stop do not apply.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub beam: Option<usize>,

    /// Generated tokens per sample at most (the prompt does not count; at least 1).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    pub max_tokens: usize,

    /// Stop a sample after N paragraphs (N `<eos>` tokens; at least 1). Not in names mode,
    /// where every sample is one name.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub paragraphs: Option<usize>,

    /// Stop a sample once its generated text contains STRING (kept in the output). Not with
    /// --beam.
    #[arg(long, value_name = "STRING")]
    pub stop: Option<String>,

    /// Samples to generate, as one batch on the device (at least 1).
    #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
    pub num_samples: usize,

    /// Random seed; sample i uses a seed derived from this and i, so every sample is
    /// reproducible on its own. Not with --beam or --temperature 0, which draw nothing.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Names mode: every sample is one name, ending at the first `<eos>`. On without this flag
    /// when the model is char-level and its training text is a name list (at most 6 characters
    /// per line on average).
    #[arg(long, conflicts_with = "no_names")]
    pub names: bool,

    /// Text mode even when the training text is a name list.
    #[arg(long)]
    #[serde(default)]
    pub no_names: bool,

    /// In names mode: drop names that occur in the training data, and generate more until
    /// --num-samples names are kept (at most 10 times as many are generated). Not with
    /// --interactive.
    #[arg(long)]
    pub novel: bool,

    /// In names mode: drop duplicate names, and generate more until --num-samples names are
    /// kept (at most 10 times as many are generated). Not with --interactive.
    #[arg(long)]
    pub unique: bool,

    /// Sample (or with --score, score) with the LSTM alone. By default, when train found the
    /// mixture of the LSTM with its n-gram baseline better on the valid split (the λ it fitted
    /// is in the train artifact), samples are drawn from that mixture and texts scored by it.
    #[arg(long)]
    #[serde(default)]
    pub no_mixture: bool,

    /// Device: `auto` (CUDA when available), `cpu`, `cuda` or `cuda:N`.
    #[arg(long, default_value = "auto")]
    pub device: String,

    /// Write poems in these forms (comma-separated or repeated; the samples are shared out
    /// among them in turn-sized blocks): a tune mined by `tokenize --titles` (`浣溪沙`; a
    /// subtitle after `・` is ignored; the model is primed with `TUNE：`) or a built-in form
    /// (`五言绝句`, `七言绝句`, `五言律诗`, `七言律诗`). Decoding keeps the template exactly: no
    /// mark before a line has its length, the template's mark at its end, its number of lines,
    /// then the end of the sample. `cargo xtask inspect CORPUS/tokenize` lists the forms. Not
    /// with --prompt, --stop or names mode.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    #[serde(default)]
    pub form: Vec<String>,

    /// With --form: an acrostic (藏头), each of its characters beginning a line, one per line
    /// from the first (at most the form's number of lines).
    #[arg(long, value_name = "CHARS")]
    #[serde(default)]
    pub acrostic: Option<String>,

    /// With --form, on a model of a titled corpus: the line ends of each of the form's rhyme
    /// groups share a rhyme class (a hard mask; where no token can keep the rhyme it is let go,
    /// and metrics.json counts it as a fallback).
    #[arg(long)]
    #[serde(default)]
    pub rhyme: bool,
}

impl Default for GenerateConfig {
    /// The flags as the binary has them when none is given (the defaults of the attributes above).
    fn default() -> Self {
        artifact::flag_defaults()
    }
}

impl GenerateConfig {
    pub fn sampling(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repetition_penalty: self.repetition_penalty,
            no_repeat_ngram: self.no_repeat_ngram,
            allow_unk: self.allow_unk,
        }
    }

    /// The length limits in `mode`; names mode ends every sample at its first `<eos>`.
    pub fn limits(&self, mode: Mode) -> Limits {
        Limits {
            max_tokens: self.max_tokens,
            paragraphs: match mode {
                Mode::Names => Some(1),
                Mode::Text => self.paragraphs,
            },
            stop: self.stop.clone(),
        }
    }

    /// Checks every parameter that does not need the file system, and refuses flags that do
    /// nothing with the others (whether `--novel`/`--unique` apply depends on the training
    /// text: see [`crate::mode::ModeChoice::choose`]; `--beam` against the vocabulary:
    /// [`Self::check_model`]).
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: &str| Err(GenerateError::Param(m.into()));
        self.check_numbers()?;
        self.sampling().validate()?;
        if self.beam == Some(0) {
            return bad("--beam 0: the beam needs at least one hypothesis (omit it to sample)");
        }
        if let Some(beam) = self.beam
            && beam > MAX_BEAM
        {
            return Err(GenerateError::Param(format!(
                "--beam {beam}: at most {MAX_BEAM} hypotheses (a wider beam costs time and memory in proportion and finds the same text)"
            )));
        }
        if self.names && self.no_names {
            return bad("--names and --no-names contradict each other: give one of them");
        }
        self.check_idle_flags()?;
        if self.max_tokens == 0 {
            return bad("--max-tokens 0: generate at least one token");
        }
        if self.paragraphs == Some(0) {
            return bad("--paragraphs 0: stop after at least one paragraph (omit it for no limit)");
        }
        if self.stop.as_deref() == Some("") {
            return bad("--stop '': the stop string must not be empty");
        }
        if self.num_samples == 0 {
            return bad("--num-samples 0: generate at least one sample");
        }
        if (self.novel || self.unique) && self.no_names {
            return bad(NOVEL_WITH_NO_NAMES);
        }
        self.check_form_flags()?;
        // The syntax only: whether the device exists is libtorch's to say, when the stage runs.
        self.device
            .parse::<model::DeviceSpec>()
            .map_err(GenerateError::Param)?;
        Ok(())
    }

    /// [`Self::validate`], and the flags that do nothing for `task` (every generation flag with
    /// [`Task::Score`]; `--prompt`, `--novel` and `--unique` with [`Task::Interactive`]).
    pub fn validate_for(&self, task: Task) -> Result<(), GenerateError> {
        let given = self.given_flags();
        match task {
            Task::Score => {
                if !given.is_empty() {
                    let (flags, them) = subject(&given);
                    return Err(GenerateError::Param(format!(
                        "--score reads a text and generates nothing, so {flags} nothing: drop {them}"
                    )));
                }
            }
            Task::Interactive => {
                if !self.prompt.is_empty() {
                    return Err(GenerateError::Param(
                        "--prompt does nothing with --interactive, whose prompts are the lines read from standard input: drop it".into(),
                    ));
                }
                if !self.form.is_empty() {
                    return Err(GenerateError::Param(
                        "--form writes a generate artifact's poems; --interactive continues typed prompts: drop --form, --acrostic and --rhyme".into(),
                    ));
                }
                if self.novel || self.unique {
                    return Err(GenerateError::Param(
                        "--novel and --unique filter the names of a generate artifact; --interactive prints every continuation unfiltered: drop them".into(),
                    ));
                }
            }
            Task::Generate => {}
        }
        self.validate()
    }

    /// Checks `--beam` against the model's vocabulary of `vocab_size` tokens (called once the
    /// model config is read, before anything is written).
    pub fn check_model(&self, vocab_size: i64) -> Result<(), GenerateError> {
        if let Some(beam) = self.beam
            && !i64::try_from(beam).is_ok_and(|b| b <= vocab_size)
        {
            return Err(GenerateError::Param(format!(
                "--beam {beam} is wider than the model's vocabulary of {vocab_size} tokens: give at most {vocab_size}"
            )));
        }
        Ok(())
    }

    /// Refuses flags that do nothing in the chosen mode: `--paragraphs` in names mode, where
    /// every sample ends at its first `<eos>` (`--names` itself is refused earlier, by
    /// [`Self::validate`]; this catches the automatic names mode).
    pub fn check_mode(&self, choice: &ModeChoice) -> Result<(), GenerateError> {
        if choice.mode == Mode::Names && !self.form.is_empty() {
            return Err(GenerateError::Param(
                "--form writes poems, and this run is in names mode (the training text is a name list): pass --no-names, or drop --form".into(),
            ));
        }
        if choice.mode == Mode::Names
            && let Some(n) = self.paragraphs
        {
            return Err(GenerateError::Param(format!(
                "--paragraphs {n} does nothing in names mode{}, where every sample is one name ending at its first <eos>: drop it{}",
                if choice.automatic {
                    " (chosen because the training text is a name list)"
                } else {
                    ""
                },
                if choice.automatic {
                    ", or pass --no-names for text"
                } else {
                    ""
                }
            )));
        }
        Ok(())
    }

    /// `--form`, `--acrostic` and `--rhyme` among themselves and with the other flags (their
    /// checks against the model's forms and vocabulary: [`crate::form::resolve_forms`]).
    fn check_form_flags(&self) -> Result<(), GenerateError> {
        let bad = |m: &str| Err(GenerateError::Param(m.into()));
        if self.form.is_empty() {
            if self.acrostic.is_some() {
                return bad(
                    "--acrostic needs a form whose lines its characters begin: add --form (e.g. --form 七言绝句)",
                );
            }
            if self.rhyme {
                return bad(
                    "--rhyme makes the rhyme positions of a form rhyme: add --form (e.g. --form 浣溪沙)",
                );
            }
            return Ok(());
        }
        if self.form.iter().any(|f| f.trim().is_empty()) {
            return bad("--form: a form name is empty; give names such as --form 浣溪沙,菩萨蛮");
        }
        if self.acrostic.as_deref() == Some("") {
            return bad("--acrostic '': give at least one character (e.g. --acrostic 春江花月)");
        }
        if !self.prompt.is_empty() {
            return bad(
                "--prompt does nothing with --form, which primes each sample with the form's title: drop --prompt (--acrostic chooses the lines' first characters)",
            );
        }
        if self.stop.is_some() {
            return bad(
                "--stop does nothing with --form, whose samples end with their template: drop --stop",
            );
        }
        if self.names {
            return bad("--form writes poems and --names one name per sample: give one of them");
        }
        Ok(())
    }

    /// The float flags: every one finite and in its range, named with the range.
    fn check_numbers(&self) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::Param(m));
        if !(self.temperature.is_finite() && self.temperature >= 0.0) {
            return bad(format!(
                "--temperature {}: must be 0 (greedy) or a finite positive number (e.g. 0.8)",
                self.temperature
            ));
        }
        if let Some(p) = self.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return bad(format!("--top-p {p}: must be a number in (0, 1]"));
        }
        if !(self.repetition_penalty.is_finite() && self.repetition_penalty >= 1.0) {
            return bad(format!(
                "--repetition-penalty {}: must be a finite number of at least 1 (1 = off)",
                self.repetition_penalty
            ));
        }
        Ok(())
    }

    /// Flags that do nothing with the others, whatever the task.
    fn check_idle_flags(&self) -> Result<(), GenerateError> {
        let given = self.given_flags();
        let is_given = |flag: &str| given.contains(&flag);
        let idle = |flags: &[&'static str]| -> Vec<&'static str> {
            flags.iter().copied().filter(|f| is_given(f)).collect()
        };
        if self.beam.is_some() {
            let idle = idle(&["--temperature", "--top-k", "--top-p", "--seed", "--stop"]);
            if !idle.is_empty() {
                let (flags, them) = subject(&idle);
                return Err(GenerateError::Param(format!(
                    "--beam searches for the most likely continuations and draws nothing, so {flags} nothing with it (--repetition-penalty and --no-repeat-ngram do apply): drop {them}, or drop --beam to sample"
                )));
            }
        } else if self.temperature == 0.0 {
            let idle = idle(&["--top-k", "--top-p", "--seed"]);
            if !idle.is_empty() {
                let (flags, them) = subject(&idle);
                return Err(GenerateError::Param(format!(
                    "--temperature 0 is greedy decoding (always the most likely token) and draws nothing, so {flags} nothing: drop {them}, or give a temperature above 0 to sample"
                )));
            }
        }
        if self.names
            && let Some(n) = self.paragraphs
        {
            return Err(GenerateError::Param(format!(
                "--paragraphs {n} does nothing with --names, where every sample is one name ending at its first <eos>: drop it"
            )));
        }
        Ok(())
    }

    /// The generation flags whose values differ from the defaults, in the order of `--help`
    /// (`--device` is not one: every task uses it).
    fn given_flags(&self) -> Vec<&'static str> {
        let d = GenerateConfig::default();
        [
            ("--prompt", self.prompt != d.prompt),
            (
                "--temperature",
                self.temperature.to_bits() != d.temperature.to_bits(),
            ),
            ("--top-k", self.top_k.is_some()),
            ("--top-p", self.top_p.is_some()),
            (
                "--repetition-penalty",
                self.repetition_penalty.to_bits() != d.repetition_penalty.to_bits(),
            ),
            ("--no-repeat-ngram", self.no_repeat_ngram.is_some()),
            ("--allow-unk", self.allow_unk),
            ("--beam", self.beam.is_some()),
            ("--max-tokens", self.max_tokens != d.max_tokens),
            ("--paragraphs", self.paragraphs.is_some()),
            ("--stop", self.stop.is_some()),
            ("--num-samples", self.num_samples != d.num_samples),
            ("--seed", self.seed != d.seed),
            ("--names", self.names),
            ("--no-names", self.no_names),
            ("--novel", self.novel),
            ("--unique", self.unique),
            ("--form", !self.form.is_empty()),
            ("--acrostic", self.acrostic.is_some()),
            ("--rhyme", self.rhyme),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }

    /// The seed of sample `index`.
    pub fn sample_seed(&self, index: usize) -> u64 {
        self.seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index as u64)
    }
}

/// `--a does` or `--a and --b do`, and `it` or `them`: the words of a message about flags that
/// do nothing.
fn subject(flags: &[&str]) -> (String, &'static str) {
    let (verb, pronoun) = if flags.len() == 1 {
        ("does", "it")
    } else {
        ("do", "them")
    };
    (format!("{} {verb}", join(flags)), pronoun)
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Parses `--device` (see [`model::parse_device`]).
#[cfg(feature = "torch")]
pub fn parse_device(spec: &str) -> Result<tch::Device, GenerateError> {
    model::parse_device(spec).map_err(GenerateError::Param)
}

#[cfg(test)]
mod tests {
    use super::{GenerateConfig, MAX_BEAM, Task};

    #[test]
    fn the_task_refuses_flags_it_does_not_use() {
        assert_eq!(
            Task::from_flags(false, false, false, true).unwrap(),
            Task::Generate
        );
        assert_eq!(
            Task::from_flags(true, false, true, false).unwrap(),
            Task::Score
        );
        assert_eq!(
            Task::from_flags(false, true, false, false).unwrap(),
            Task::Interactive
        );
        let err = |flags: (bool, bool, bool, bool)| {
            Task::from_flags(flags.0, flags.1, flags.2, flags.3)
                .unwrap_err()
                .to_string()
        };
        assert!(err((false, false, true, false)).contains("--json"));
        assert!(err((false, true, true, false)).contains("--json"));
        assert!(err((true, true, false, false)).contains("--score and --interactive"));
        assert!(err((true, false, false, true)).contains("--output"));
        assert!(err((false, true, false, true)).contains("--output"));
    }

    #[test]
    fn score_accepts_the_defaults_and_the_device_only() {
        let plain = GenerateConfig {
            device: "cpu".into(),
            ..Default::default()
        };
        plain.validate_for(Task::Score).unwrap();
        let err = GenerateConfig {
            prompt: "郭".into(),
            top_p: Some(0.9),
            allow_unk: true,
            ..plain.clone()
        }
        .validate_for(Task::Score)
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("--prompt, --top-p and --allow-unk do nothing"),
            "{err}"
        );
        let err = GenerateConfig {
            max_tokens: 10,
            ..plain
        }
        .validate_for(Task::Score)
        .unwrap_err()
        .to_string();
        assert!(err.contains("--max-tokens does nothing"), "{err}");
    }

    #[test]
    fn the_beam_is_capped() {
        let beam = |n| GenerateConfig {
            beam: Some(n),
            ..Default::default()
        };
        beam(MAX_BEAM).validate().unwrap();
        let err = beam(MAX_BEAM + 1).validate().unwrap_err().to_string();
        assert!(err.contains("--beam 257") && err.contains("256"), "{err}");
        beam(9).check_model(9).unwrap();
        let err = beam(10).check_model(9).unwrap_err().to_string();
        assert!(
            err.contains("--beam 10") && err.contains("vocabulary of 9"),
            "{err}"
        );
    }
}
