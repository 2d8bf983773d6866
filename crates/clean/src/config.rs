//! The stage's configuration: one switch per built-in rule and an optional user rules file.
//! Every on/off switch takes `--switch`, `--switch=true` or `--switch=false`, which is how the
//! pipeline passes booleans from `pipeline.toml`; the `lacunae` rule takes a mode
//! ([`Lacunae`]: `remove-mark`, `drop-paragraph[:N]` or `keep`). Its resolved form (switches
//! plus the rules file's SHA-256) is the manifest's `params`. [`CleanConfig`]'s serialised form
//! is the `[clean]` table of a corpus's `pipeline.toml`, one key per flag.

use crate::convert::Conversion;
use clap::ArgAction;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;

/// The longest paragraph, in characters, that `--lacunae=drop-paragraph` drops; a longer one
/// only loses its marks. Every Song ci fits (the longest ci with a `□` in chinese-poetry has 299
/// characters, the longest of all 597); a novel's paragraphs often do not.
pub const DEFAULT_LACUNA_DROP_MAX_CHARS: u32 = 500;

/// What the `lacunae` rule does with `□` (U+25A1 WHITE SQUARE), which editions of old texts
/// (chinese-poetry among them) put for a lost character. Written as on the command line:
/// `remove-mark`, `drop-paragraph`, `drop-paragraph:N` or `keep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lacunae {
    /// Remove every `□` and keep the rest of the paragraph (the default: right for any
    /// corpus, and a paragraph of a novel keeps its thousands of characters).
    #[default]
    RemoveMark,
    /// Drop a paragraph that has a `□` when it has at most `max_chars` characters (a poem with
    /// a lost character); remove only the marks from longer paragraphs.
    DropParagraph { max_chars: NonZeroU32 },
    /// Leave `□` in the text.
    Keep,
}

impl Lacunae {
    /// `drop-paragraph` with the documented maximum.
    pub const fn drop_paragraph() -> Self {
        Self::DropParagraph {
            max_chars: NonZeroU32::new(DEFAULT_LACUNA_DROP_MAX_CHARS).expect("nonzero default"),
        }
    }

    /// The setting of an artifact made before the rule existed: nothing was done.
    fn absent() -> Self {
        Self::Keep
    }
}

const LACUNAE_MODES: &str =
    "remove-mark (the default), drop-paragraph, drop-paragraph:N (N >= 1 characters) or keep";

impl FromStr for Lacunae {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "remove-mark" => Ok(Self::RemoveMark),
            "drop-paragraph" => Ok(Self::drop_paragraph()),
            // What `--lacunae=false` meant before the rule had modes.
            "keep" | "false" => Ok(Self::Keep),
            "true" => Err(format!(
                "the lacunae rule takes a mode now: {LACUNAE_MODES}; `drop-paragraph` is what `true` did for poems"
            )),
            _ => match s.strip_prefix("drop-paragraph:") {
                Some(n) => n
                    .parse::<NonZeroU32>()
                    .map(|max_chars| Self::DropParagraph { max_chars })
                    .map_err(|_| {
                        format!(
                            "`{n}` is not a paragraph length: write drop-paragraph:N with N a whole number of characters >= 1 (modes: {LACUNAE_MODES})"
                        )
                    }),
                None => Err(format!("unknown lacunae mode `{s}`: use {LACUNAE_MODES}")),
            },
        }
    }
}

impl fmt::Display for Lacunae {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RemoveMark => f.write_str("remove-mark"),
            Self::DropParagraph { max_chars } => write!(f, "drop-paragraph:{max_chars}"),
            Self::Keep => f.write_str("keep"),
        }
    }
}

/// Stored in the manifest's params as its command-line spelling, so `drop-paragraph` records
/// the maximum it ran with.
impl Serialize for Lacunae {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Also reads the params of artifacts made when the rule was a boolean: `true` dropped every
/// paragraph with a `□`, whatever its length; `false` kept them.
impl<'de> Deserialize<'de> for Lacunae {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Boolean(bool),
            Mode(String),
        }
        match Stored::deserialize(deserializer)? {
            Stored::Boolean(true) => Ok(Self::DropParagraph {
                max_chars: NonZeroU32::MAX,
            }),
            Stored::Boolean(false) => Ok(Self::Keep),
            Stored::Mode(mode) => mode.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Which built-in rules run. Whitespace normalisation and decoding always run.
#[derive(clap::Args, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RuleSwitches {
    /// Remove site adverts: sentences that carry a URL or domain together with words such as
    /// 免费/下载/电子书/txt/小说/关注 (two adverts on one line count twice)
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub site_adverts: bool,
    /// Remove typist and e-library credits glued to paragraph ends, such as
    /// `----〖新语丝电子文库(www.xys.org)〗`
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub glued_credits: bool,
    /// Drop e-mail, Usenet and BBS header lines (`From: … Date: …`, `发信人: …`)
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub mail_headers: bool,
    /// Drop banner lines made only of repeated `=`, `-`, `*` (and their full-width forms)
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub banners: bool,
    /// Drop lines that are mostly U+FFFD, private-use characters, `□`, `?` or `牋`, and remove
    /// runs of two or more `牋` (mis-decoded indentation) inside lines
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub garbage_lines: bool,
    /// What to do with lacuna marks: `□`, which editions of old texts (chinese-poetry among
    /// them) put for a lost character; a model trained on them learns to write `□`.
    /// `remove-mark` (the default) removes the marks and keeps the text. `drop-paragraph[:N]`
    /// drops a paragraph with a mark when it has at most N characters (default 500: a poem,
    /// such as a Song ci with a lost character) and only removes the marks from longer ones (a
    /// novel's paragraph runs to thousands of characters). `keep` leaves them (`false` means
    /// the same). The report counts the marks (or paragraphs) and the characters removed
    #[arg(long, value_name = "MODE", default_value_t = Lacunae::RemoveMark)]
    // Artifacts made before this rule existed did not apply it.
    #[serde(default = "Lacunae::absent")]
    pub lacunae: Lacunae,
    /// Drop chapter headings (`第一回　…`, `第一章　…`, `一　　…`, 楔子, 后记); kept by default
    #[arg(long, default_value_t = false, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub drop_chapter_headings: bool,
    /// Drop tables of contents (a `目录` line followed by headings, or three or more headings in
    /// a row); kept by default
    #[arg(long, default_value_t = false, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub drop_tables_of_contents: bool,
}

impl Default for RuleSwitches {
    /// Every rule as the binary has it when no flag is given (the defaults of the attributes
    /// above).
    fn default() -> Self {
        artifact::flag_defaults()
    }
}

/// Everything the clean stage is told besides its input and output.
#[derive(clap::Args, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct CleanConfig {
    #[command(flatten)]
    #[serde(flatten)]
    pub switches: RuleSwitches,
    /// User rules file: one named regex per line, `name = regex`; every match is removed and a
    /// line left empty is dropped. `#` starts a comment line; blank lines are ignored
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Script conversion applied to every line before the rules: `none` (the default) or
    /// `t2s`, traditional characters to simplified (OpenCC's dictionaries), for a corpus kept
    /// in traditional characters whose model should share a vocabulary with simplified text.
    /// The report counts the characters changed
    #[arg(long, value_enum, value_name = "CONVERSION", default_value_t = Conversion::None)]
    #[serde(default)]
    pub convert: Conversion,
}

/// The resolved parameters stored in the manifest: the switches and the SHA-256 of the rules
/// file (its path does not count, so moving the file keeps the id).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CleanParams {
    #[serde(flatten)]
    pub switches: RuleSwitches,
    /// SHA-256 of the user rules file (copied into the artifact as `rules.txt`), if any.
    pub rules_sha256: Option<String>,
    /// Left out when `none`, so the ids of artifacts made before the option stay as they were.
    #[serde(default, skip_serializing_if = "Conversion::is_none")]
    pub convert: Conversion,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_of_an_artifact_older_than_the_lacunae_rule_leave_it_off() {
        let mut params = serde_json::to_value(RuleSwitches::default()).unwrap();
        params.as_object_mut().unwrap().remove("lacunae");
        let switches: RuleSwitches = serde_json::from_value(params).unwrap();
        assert_eq!(switches.lacunae, Lacunae::Keep);
        assert_eq!(RuleSwitches::default().lacunae, Lacunae::RemoveMark);
    }

    #[test]
    fn lacunae_settings_read_back_including_the_old_booleans() {
        let read = |v: serde_json::Value| serde_json::from_value::<Lacunae>(v).unwrap();
        assert_eq!(
            read(serde_json::json!(true)),
            Lacunae::DropParagraph {
                max_chars: NonZeroU32::MAX
            }
        );
        assert_eq!(read(serde_json::json!(false)), Lacunae::Keep);
        for mode in [
            Lacunae::RemoveMark,
            Lacunae::Keep,
            Lacunae::drop_paragraph(),
            Lacunae::DropParagraph {
                max_chars: NonZeroU32::new(7).unwrap(),
            },
        ] {
            let stored = serde_json::to_value(mode).unwrap();
            assert_eq!(read(stored.clone()), mode, "{stored}");
            assert_eq!(stored.as_str().unwrap().parse::<Lacunae>(), Ok(mode));
        }
        assert_eq!(
            serde_json::to_value(Lacunae::drop_paragraph()).unwrap(),
            "drop-paragraph:500"
        );
        for bad in ["", "drop", "drop-paragraph:", "drop-paragraph:0", "true"] {
            assert!(bad.parse::<Lacunae>().is_err(), "{bad:?}");
        }
    }
}
