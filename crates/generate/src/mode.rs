//! Text or names mode. `--names` and `--no-names` decide it; without either, a char-level model
//! whose training text is a name list (short lines: at most [`NAME_LIST_MAX_MEAN_CHARS`]
//! characters per line on average, read from the tokenize artifact's `stats.json`) generates
//! names, and the run says so on stderr.

use crate::config::GenerateConfig;
use crate::error::GenerateError;
use artifact::Artifact;
use serde::{Deserialize, Serialize};
use tokenize::{Level, SplitStats, Tokenizer};

/// The longest mean line (in characters, the newline excluded) of a training text that counts
/// as a name list. Chinese names are 2–4 characters and transliterated foreign ones rarely
/// exceed 6, while one line of the shortest verse (a five-character line and its comma) already
/// has 6 and prose paragraphs have dozens: the mean of a real name list stays well below this.
pub const NAME_LIST_MAX_MEAN_CHARS: f64 = 6.0;

/// The error of `--novel`/`--unique` together with `--no-names`.
pub const NOVEL_WITH_NO_NAMES: &str =
    "--novel and --unique filter names: they do not go with --no-names";

/// What every sample is.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A continuation of the prompt, up to the length limits.
    Text,
    /// One name, ending at its first `<eos>`.
    Names,
}

/// The figures of the training split that the automatic choice looks at.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TrainingShape {
    /// The tokenizer cuts characters (not jieba words).
    pub char_level: bool,
    /// Lines (paragraphs) of the training split.
    pub lines: usize,
    /// Characters per line, the newline excluded.
    pub mean_chars_per_line: f64,
}

impl TrainingShape {
    /// The shape of a training split from its stats (whose `characters` count one newline per
    /// paragraph).
    pub fn from_stats(level: Level, train: &SplitStats) -> Self {
        let lines = train.paragraphs;
        let chars = train.characters.saturating_sub(lines as u64);
        TrainingShape {
            char_level: level == Level::Char,
            lines,
            mean_chars_per_line: if lines == 0 {
                0.0
            } else {
                chars as f64 / lines as f64
            },
        }
    }

    /// Reads the shape of the train split from a tokenize artifact.
    pub fn read(tokenize: &Artifact, tokenizer: &Tokenizer) -> Result<Self, GenerateError> {
        let stats = tokenize::read_stats(tokenize)?;
        Ok(Self::from_stats(tokenizer.level(), &stats.splits.train))
    }

    /// A char-level model trained on short lines: its natural output is one name per sample.
    pub fn is_name_list(&self) -> bool {
        self.char_level && self.lines > 0 && self.mean_chars_per_line <= NAME_LIST_MAX_MEAN_CHARS
    }
}

/// The mode of a run and how it was chosen; recorded in `metrics.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ModeChoice {
    pub mode: Mode,
    /// Chosen from the training text (neither `--names` nor `--no-names` was given).
    pub automatic: bool,
    pub training: TrainingShape,
}

impl ModeChoice {
    /// Applies `--names`/`--no-names`, or else the shape of the training text; rejects
    /// `--novel`/`--unique` in text mode.
    pub fn choose(config: &GenerateConfig, training: TrainingShape) -> Result<Self, GenerateError> {
        let (mode, automatic) = if config.names {
            (Mode::Names, false)
        } else if config.no_names {
            (Mode::Text, false)
        } else if training.is_name_list() {
            (Mode::Names, true)
        } else {
            (Mode::Text, true)
        };
        if mode == Mode::Text && (config.novel || config.unique) {
            if !automatic {
                return Err(GenerateError::Param(NOVEL_WITH_NO_NAMES.into()));
            }
            return Err(GenerateError::Param(format!(
                "--novel and --unique filter names, and the training text is not a name list ({}); add --names to generate names anyway",
                describe(&training)
            )));
        }
        Ok(ModeChoice {
            mode,
            automatic,
            training,
        })
    }

    /// The stderr line of an automatic names mode (`None` otherwise).
    pub fn announcement(&self) -> Option<String> {
        (self.automatic && self.mode == Mode::Names).then(|| {
            format!(
                "names mode: the training text is a name list (mean {:.1} characters per line); pass --no-names to turn it off",
                self.training.mean_chars_per_line
            )
        })
    }
}

fn describe(training: &TrainingShape) -> String {
    let level = if training.char_level {
        "char level"
    } else {
        "word level"
    };
    format!(
        "{level}, mean {:.1} characters per line; a name list is char level with at most {NAME_LIST_MAX_MEAN_CHARS}",
        training.mean_chars_per_line
    )
}
