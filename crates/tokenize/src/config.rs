//! The stage's configuration: command-line flags, their validation, and the resolved form that
//! becomes the manifest's `params` and the `tokenizer` section of `vocab.json`.

use crate::error::TokenizeError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// How text is cut into tokens.
#[derive(clap::ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Words: jieba-rs with its default dictionary and HMM for unknown words (like Python
    /// `jieba.lcut`).
    #[default]
    Word,
    /// Characters: one token per Unicode scalar value.
    Char,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Word => "word",
            Level::Char => "char",
        })
    }
}

/// Percentages of each document's paragraphs that go to train, valid and test (in that order,
/// as contiguous blocks). Integers that sum to 100; train must be positive.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub train: u32,
    pub valid: u32,
    pub test: u32,
}

impl Default for Split {
    fn default() -> Self {
        Split {
            train: 90,
            valid: 5,
            test: 5,
        }
    }
}

impl Split {
    /// Checks that the percentages sum to 100 and that train gets a share.
    pub fn validate(&self) -> Result<(), TokenizeError> {
        let sum = self.train + self.valid + self.test;
        if sum != 100 {
            return Err(TokenizeError::Split(format!(
                "--split {self}: the three percentages sum to {sum}, they must sum to 100 (e.g. --split 90/5/5)"
            )));
        }
        if self.train == 0 {
            return Err(TokenizeError::Split(format!(
                "--split {self}: the train share is 0, give train a positive percentage"
            )));
        }
        Ok(())
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.train, self.valid, self.test)
    }
}

impl FromStr for Split {
    type Err = TokenizeError;

    /// Parses `90/5/5` (also `90,5,5` or `90 5 5`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s
            .split(|c: char| c == '/' || c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        let bad = || {
            TokenizeError::Split(format!(
                "--split `{s}`: expected three whole percentages train/valid/test such as 90/5/5"
            ))
        };
        let [train, valid, test] = parts.as_slice() else {
            return Err(bad());
        };
        let parse = |p: &str| p.parse::<u32>().map_err(|_| bad());
        let split = Split {
            train: parse(train)?,
            valid: parse(valid)?,
            test: parse(test)?,
        };
        split.validate()?;
        Ok(split)
    }
}

fn parse_split(s: &str) -> Result<Split, String> {
    s.parse().map_err(|e: TokenizeError| e.to_string())
}

/// `--split` in `pipeline.toml` as on the command line (`split = "90/5/5"`); the manifest keeps
/// [`Split`]'s own form.
mod split_text {
    use super::Split;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(split: &Split, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(split)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Split, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Flags of the `tokenize` stage. The resolved form ([`TokenizerParams`]) is the artifact's
/// `params`; the serialised form of the flags is a `[tokenize]` table of `pipeline.toml`.
#[derive(clap::Args, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TokenizeConfig {
    /// Token level: `word` (jieba-rs words, HMM on, the same cut as Python `jieba.lcut`) or
    /// `char` (one token per character, for names and poetry).
    #[arg(long, value_enum, default_value_t = Level::Word)]
    pub level: Level,

    /// User dictionary in jieba's format, one `word [freq] [tag]` per line (e.g. `令狐冲 nr`),
    /// so that names stay whole at word level. Without a frequency jieba's suggested one is
    /// used (as Python does); give a high one (e.g. `令狐冲 1000000 nr`) where a longer
    /// dictionary word would swallow the name (jieba's dictionary has `令狐冲笑`). The file is
    /// copied into the artifact and its SHA-256 is part of the artifact id.
    #[arg(long, value_name = "FILE")]
    pub user_dict: Option<PathBuf>,

    /// Tokens seen fewer times than this in the train split become `<unk>` (at least 1).
    #[arg(long, default_value_t = 1)]
    pub min_freq: u64,

    /// Largest vocabulary size, counting the two specials `<unk>` and `<eos>`; the rarest
    /// tokens beyond it become `<unk>`. No limit when absent.
    #[arg(long, value_name = "N")]
    pub max_vocab: Option<usize>,

    /// Train/valid/test percentages of each document's paragraphs, as contiguous blocks in
    /// that order (must sum to 100).
    #[arg(long, default_value = "90/5/5", value_parser = parse_split)]
    #[serde(with = "split_text")]
    pub split: Split,

    /// The corpus is titled: one poem per paragraph, written `TITLE：BODY` (the first full-width
    /// colon ends the title). The text is tokenized as it is, so the model learns which body
    /// goes with which title; the forms mined from the titles (per tune its dominant pattern of
    /// line lengths and punctuation, and the line ends that rhyme) are written to `forms.json`
    /// for `generate --form`. A paragraph without a title is tokenized but not mined.
    #[arg(long)]
    #[serde(default)]
    pub titles: bool,
}

impl Default for TokenizeConfig {
    /// The flags as the binary has them when none is given (the defaults of the attributes above).
    fn default() -> Self {
        artifact::flag_defaults()
    }
}

impl TokenizeConfig {
    /// Checks every parameter that does not need the file system.
    pub fn validate(&self) -> Result<(), TokenizeError> {
        if self.min_freq == 0 {
            return Err(TokenizeError::Param(
                "--min-freq 0: the minimum frequency must be at least 1 (1 keeps every token)"
                    .into(),
            ));
        }
        if let Some(max) = self.max_vocab
            && max < 3
        {
            return Err(TokenizeError::Param(format!(
                "--max-vocab {max}: the vocabulary needs room for <unk>, <eos> and at least one token; use 3 or more"
            )));
        }
        self.split.validate()
    }
}

/// Name of the segmenter recorded in the params, so that a segmenter upgrade changes the id.
pub const SEGMENTER: &str = "jieba-rs 0.11, default dictionary, HMM on";

/// The user dictionary as recorded in params and `vocab.json`: its file name inside the
/// artifact and its SHA-256 (the source path is deliberately left out, so the same dictionary
/// read from another place gives the same artifact id).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct UserDictRef {
    pub file: String,
    pub sha256: String,
}

/// The complete, resolved tokenizer configuration: the artifact's `params` and the `tokenizer`
/// section of `vocab.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct TokenizerParams {
    pub level: Level,
    /// Present at word level only.
    pub segmenter: Option<String>,
    pub user_dict: Option<UserDictRef>,
    pub min_freq: u64,
    pub max_vocab: Option<usize>,
    pub split: Split,
    /// Where the vocabulary counts come from (always `train`).
    pub vocab_counts_from: String,
    /// `--titles`: the artifact has `forms.json`. Left out when false, so that the params (and
    /// the ids) of untitled corpora are those of the builds before it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub titles: bool,
}
