//! The rule set one cleaning pass applies: the built-in switches plus user rules (`name = regex`
//! lines from a rules file). Built from a [`CleanConfig`] for a run, or from a finished clean
//! artifact so that other stages clean text exactly as the corpus was cleaned.

use crate::config::{CleanConfig, CleanParams, Lacunae, RuleSwitches};
use crate::convert::{Conversion, Converter};
use crate::error::CleanError;
use regex::Regex;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Names of the built-in rules, as they appear in reports and metrics.
pub mod names {
    pub const SITE_ADVERTS: &str = "site_adverts";
    pub const GLUED_CREDITS: &str = "glued_credits";
    pub const MAIL_HEADERS: &str = "mail_headers";
    pub const BANNERS: &str = "banners";
    pub const GARBAGE_LINES: &str = "garbage_lines";
    pub const LACUNAE: &str = "lacunae";
    pub const CHAPTER_HEADINGS: &str = "chapter_headings";
    pub const TABLES_OF_CONTENTS: &str = "tables_of_contents";
    /// How to turn the built-in rule `name` off: the flag of `jianghu-clean` and the line of a
    /// corpus's `pipeline.toml` (under `[clean]`).
    pub fn turn_off(name: &str) -> Option<(&'static str, &'static str)> {
        Some(match name {
            SITE_ADVERTS => ("--site-adverts=false", "site_adverts = false"),
            GLUED_CREDITS => ("--glued-credits=false", "glued_credits = false"),
            MAIL_HEADERS => ("--mail-headers=false", "mail_headers = false"),
            BANNERS => ("--banners=false", "banners = false"),
            GARBAGE_LINES => ("--garbage-lines=false", "garbage_lines = false"),
            LACUNAE => ("--lacunae=keep", "lacunae = \"keep\""),
            CHAPTER_HEADINGS => (
                "--drop-chapter-headings=false",
                "drop_chapter_headings = false",
            ),
            TABLES_OF_CONTENTS => (
                "--drop-tables-of-contents=false",
                "drop_tables_of_contents = false",
            ),
            _ => return None,
        })
    }

    /// Every built-in name; user rules may not reuse them.
    pub const ALL: [&str; 8] = [
        SITE_ADVERTS,
        GLUED_CREDITS,
        MAIL_HEADERS,
        BANNERS,
        GARBAGE_LINES,
        LACUNAE,
        CHAPTER_HEADINGS,
        TABLES_OF_CONTENTS,
    ];
}

/// The file name of the copied user rules inside a clean artifact.
pub const RULES_FILE: &str = "rules.txt";

/// One user rule: every match of `regex` is removed from a line.
#[derive(Debug, Clone)]
pub struct UserRule {
    pub name: String,
    pub regex: Regex,
}

/// The user rules file as read: its text (copied into the artifact) and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesText {
    pub text: String,
    pub sha256: String,
}

/// Everything a cleaning pass needs to know.
#[derive(Debug, Clone)]
pub struct Rules {
    pub switches: RuleSwitches,
    pub user: Vec<UserRule>,
    /// The user rules file the `user` rules came from, if any.
    pub user_text: Option<RulesText>,
    /// The script conversion applied before the rules, if any.
    pub converter: Option<Converter>,
}

impl Rules {
    /// Built-in rules only.
    pub fn builtin(switches: RuleSwitches) -> Self {
        Self {
            switches,
            user: Vec::new(),
            user_text: None,
            converter: None,
        }
    }

    /// These rules with `conversion` applied before them.
    pub fn with_conversion(mut self, conversion: Conversion) -> Result<Self, CleanError> {
        self.converter = Converter::load(conversion)?;
        Ok(self)
    }

    /// Reads and checks the rules file named in `config`, if any.
    pub fn from_config(config: &CleanConfig) -> Result<Self, CleanError> {
        let mut rules = Self::builtin(config.switches.clone()).with_conversion(config.convert)?;
        if let Some(path) = &config.rules {
            let bytes = std::fs::read(path).map_err(|source| CleanError::Read {
                path: path.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                CleanError::InvalidRule {
                    path: path.clone(),
                    line: 1 + valid.iter().filter(|&&b| b == b'\n').count(),
                    message: "the rules file must be UTF-8; re-save it as UTF-8".into(),
                }
            })?;
            rules.user = parse_user_rules(&text, path)?;
            rules.user_text = Some(RulesText {
                sha256: sha256_hex(text.as_bytes()),
                text,
            });
        }
        Ok(rules)
    }

    /// Rebuilds the rules a clean artifact was made with, from its params and `rules.txt`.
    pub fn from_artifact(artifact: &artifact::Artifact) -> Result<Self, CleanError> {
        let dir = artifact.dir();
        let bad = |message: String| CleanError::BadArtifact {
            dir: dir.to_path_buf(),
            message,
        };
        let params: CleanParams = serde_json::from_value(artifact.manifest().params.clone())
            .map_err(|e| bad(format!("params are not clean-stage params: {e}")))?;
        let mut rules = Self::builtin(params.switches).with_conversion(params.convert)?;
        if let Some(expected) = params.rules_sha256 {
            let path = artifact.path(RULES_FILE);
            let text = std::fs::read_to_string(&path).map_err(|source| CleanError::Read {
                path: path.clone(),
                source,
            })?;
            let found = sha256_hex(text.as_bytes());
            if found != expected {
                return Err(bad(format!(
                    "{RULES_FILE} has SHA-256 {found}, the params say {expected}; rerun clean"
                )));
            }
            rules.user = parse_user_rules(&text, &path)?;
            rules.user_text = Some(RulesText {
                text,
                sha256: found,
            });
        }
        Ok(rules)
    }

    /// The resolved parameters that go into the manifest.
    pub fn params(&self) -> CleanParams {
        CleanParams {
            switches: self.switches.clone(),
            rules_sha256: self.user_text.as_ref().map(|t| t.sha256.clone()),
            convert: self
                .converter
                .as_ref()
                .map_or(Conversion::None, Converter::conversion),
        }
    }

    /// Names of the rules that run, built-in first, in a fixed order.
    pub fn enabled_names(&self) -> Vec<String> {
        let s = &self.switches;
        let builtin = [
            s.site_adverts,
            s.glued_credits,
            s.mail_headers,
            s.banners,
            s.garbage_lines,
            s.lacunae != Lacunae::Keep,
            s.drop_chapter_headings,
            s.drop_tables_of_contents,
        ];
        names::ALL
            .iter()
            .zip(builtin)
            .filter(|(_, on)| *on)
            .map(|(name, _)| (*name).to_owned())
            .chain(self.user.iter().map(|r| r.name.clone()))
            .collect()
    }
}

/// Parses a user rules file: `name = regex` per line, `#` comment lines and blank lines ignored.
/// Names are letters, digits, `_` and `-`, unique and not those of built-in rules; a regex may
/// not match the empty string. `path` only names the file in errors.
pub fn parse_user_rules(text: &str, path: &Path) -> Result<Vec<UserRule>, CleanError> {
    let mut rules: Vec<UserRule> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let invalid = |message: String| CleanError::InvalidRule {
            path: path.to_path_buf(),
            line: index + 1,
            message,
        };
        let line = raw.trim_start_matches('\u{FEFF}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, pattern)) = line.split_once('=') else {
            return Err(invalid(format!("expected `name = regex`, found {line:?}")));
        };
        let (name, pattern) = (name.trim(), pattern.trim());
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid(format!(
                "rule name {name:?} must be letters, digits, `_` or `-`"
            )));
        }
        if names::ALL.contains(&name) {
            return Err(invalid(format!(
                "rule name `{name}` is a built-in rule; choose another name"
            )));
        }
        if rules.iter().any(|r| r.name == name) {
            return Err(invalid(format!(
                "rule name `{name}` is used twice; names must be unique"
            )));
        }
        if pattern.is_empty() {
            return Err(invalid(format!("rule `{name}` has an empty regex")));
        }
        let regex = Regex::new(pattern).map_err(|e| {
            let detail = e.to_string().replace('\n', " ");
            invalid(format!("rule `{name}` has an invalid regex: {detail}"))
        })?;
        if regex.is_match("") {
            return Err(invalid(format!(
                "rule `{name}` matches the empty string; it must match at least one character"
            )));
        }
        rules.push(UserRule {
            name: name.to_owned(),
            regex,
        });
    }
    Ok(rules)
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
