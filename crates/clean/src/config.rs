//! The stage's configuration: one switch per built-in rule and an optional user rules file.
//! Every switch takes `--switch`, `--switch=true` or `--switch=false`, which is how the pipeline
//! passes booleans from `pipeline.toml`. Its resolved form (switches plus the rules file's SHA-256) is the manifest's `params`.

use clap::ArgAction;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
    /// Drop paragraphs with lacunae: `□`, which editions of old texts (chinese-poetry among them)
    /// put for a lost character. A model trained on them learns to write runs of `□`
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    // Artifacts made before this rule existed did not apply it.
    #[serde(default)]
    pub lacunae: bool,
    /// Drop chapter headings (`第一回　…`, `第一章　…`, `一　　…`, 楔子, 后记); kept by default
    #[arg(long, default_value_t = false, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub drop_chapter_headings: bool,
    /// Drop tables of contents (a `目录` line followed by headings, or three or more headings in
    /// a row); kept by default
    #[arg(long, default_value_t = false, action = ArgAction::Set, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub drop_tables_of_contents: bool,
}

impl Default for RuleSwitches {
    fn default() -> Self {
        Self {
            site_adverts: true,
            glued_credits: true,
            mail_headers: true,
            banners: true,
            garbage_lines: true,
            lacunae: true,
            drop_chapter_headings: false,
            drop_tables_of_contents: false,
        }
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
}

/// The resolved parameters stored in the manifest: the switches and the SHA-256 of the rules
/// file (its path does not count, so moving the file keeps the id).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CleanParams {
    #[serde(flatten)]
    pub switches: RuleSwitches,
    /// SHA-256 of the user rules file (copied into the artifact as `rules.txt`), if any.
    pub rules_sha256: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_of_an_artifact_older_than_the_lacunae_rule_leave_it_off() {
        let mut params = serde_json::to_value(RuleSwitches::default()).unwrap();
        params.as_object_mut().unwrap().remove("lacunae");
        let switches: RuleSwitches = serde_json::from_value(params).unwrap();
        assert!(!switches.lacunae);
        assert!(RuleSwitches::default().lacunae);
    }
}
