//! `report.json` (what happened to every file) and the summary that is also the manifest's
//! `metrics`.

use crate::corpus::SkippedFile;
use crate::document::RuleRemovals;
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
    pub encoding: String,
    pub bytes_in: u64,
    pub chars_in: u64,
    pub chars_out: u64,
    pub paragraphs: u64,
    pub undecodable_bytes: u64,
    /// Rules that removed something, with counts and up to three examples.
    pub removals: BTreeMap<String, RuleRemovals>,
}

/// Totals over the corpus; stored as the manifest's `metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanSummary {
    /// Files cleaned.
    pub files: u64,
    /// Files listed as skipped (not `.txt`, or binary).
    pub skipped_files: u64,
    pub bytes_in: u64,
    pub chars_in: u64,
    pub chars_out: u64,
    pub paragraphs: u64,
    pub undecodable_bytes: u64,
    /// Removal counts of every rule that ran (zero included).
    pub removals: BTreeMap<String, u64>,
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
            ..CleanSummary::default()
        };
        for f in &files {
            totals.bytes_in += f.bytes_in;
            totals.chars_in += f.chars_in;
            totals.chars_out += f.chars_out;
            totals.paragraphs += f.paragraphs;
            totals.undecodable_bytes += f.undecodable_bytes;
            for (rule, removals) in &f.removals {
                *totals.removals.entry(rule.clone()).or_default() += removals.count;
            }
        }
        Self {
            files,
            skipped,
            totals,
        }
    }
}
