//! `report.json` (what happened to every file) and the summary that is also the manifest's
//! `metrics`. Fields added after the first version read as empty or zero from older reports.

use crate::corpus::SkippedFile;
use crate::document::RuleRemovals;
use crate::error::CleanError;
use artifact::Artifact;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file name of the report inside a clean artifact.
pub const REPORT_FILE: &str = "report.json";

/// What cleaning did to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    /// Source path relative to the input directory.
    pub path: String,
    /// Clean text inside the artifact (`docs/…`).
    pub output: String,
    /// See [`Decoded::encoding`](crate::Decoded::encoding): one name, or several joined by
    /// ` + ` for a file decoded line by line.
    pub encoding: String,
    /// Lines per encoding (more than one entry: the file mixes encodings).
    #[serde(default)]
    pub line_encodings: BTreeMap<String, u64>,
    pub bytes_in: u64,
    pub chars_in: u64,
    pub chars_out: u64,
    pub paragraphs: u64,
    pub undecodable_bytes: u64,
    /// Stray control characters (NUL, SUB…) removed.
    #[serde(default)]
    pub control_chars: u64,
    /// What a person should check, each naming its line(s): mixed encodings, undecodable bytes.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Rules that removed something, with counts, characters and up to three examples.
    pub removals: BTreeMap<String, RuleRemovals>,
    /// Characters changed by the script conversion (`--convert`); 0 without one.
    #[serde(default)]
    pub converted_chars: u64,
}

/// Totals over the corpus; stored as the manifest's `metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanSummary {
    /// Files cleaned.
    pub files: u64,
    /// Files listed as skipped (not `.txt`, not a regular file, binary, or implausible text).
    pub skipped_files: u64,
    pub bytes_in: u64,
    pub chars_in: u64,
    pub chars_out: u64,
    pub paragraphs: u64,
    pub undecodable_bytes: u64,
    /// Stray control characters removed.
    #[serde(default)]
    pub control_chars: u64,
    /// Files decoded with more than one encoding (line by line).
    #[serde(default)]
    pub mixed_encoding_files: u64,
    /// Warnings over all files (see [`FileReport::warnings`]).
    #[serde(default)]
    pub warnings: u64,
    /// Removal counts of every rule that ran (zero included).
    pub removals: BTreeMap<String, u64>,
    /// Characters removed by every rule that ran (zero included).
    #[serde(default)]
    pub removed_chars: BTreeMap<String, u64>,
    /// Characters changed by the script conversion (`--convert`); 0 without one.
    #[serde(default)]
    pub converted_chars: u64,
}

/// The whole of `report.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub skipped: Vec<SkippedFile>,
    pub totals: CleanSummary,
}

impl Report {
    /// Builds the report and its totals; `rules` are the names of the rules that ran.
    pub fn new(files: Vec<FileReport>, skipped: Vec<SkippedFile>, rules: &[String]) -> Self {
        let mut totals = CleanSummary {
            files: files.len() as u64,
            skipped_files: skipped.len() as u64,
            removals: rules.iter().map(|r| (r.clone(), 0)).collect(),
            removed_chars: rules.iter().map(|r| (r.clone(), 0)).collect(),
            ..CleanSummary::default()
        };
        for f in &files {
            totals.bytes_in += f.bytes_in;
            totals.chars_in += f.chars_in;
            totals.chars_out += f.chars_out;
            totals.paragraphs += f.paragraphs;
            totals.undecodable_bytes += f.undecodable_bytes;
            totals.control_chars += f.control_chars;
            totals.mixed_encoding_files += u64::from(f.line_encodings.len() > 1);
            totals.warnings += f.warnings.len() as u64;
            totals.converted_chars += f.converted_chars;
            for (rule, removals) in &f.removals {
                *totals.removals.entry(rule.clone()).or_default() += removals.count;
                *totals.removed_chars.entry(rule.clone()).or_default() += removals.chars;
            }
        }
        Self {
            files,
            skipped,
            totals,
        }
    }
}

/// Reads the report of a complete artifact.
pub fn read_report(artifact: &Artifact) -> Result<Report, CleanError> {
    let path = artifact.path(REPORT_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| CleanError::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| CleanError::BadArtifact {
        dir: artifact.dir().to_path_buf(),
        message: format!(
            "{REPORT_FILE} is not a clean report: {e}; delete this directory and rerun"
        ),
    })
}
