//! The clean stage against the artifact contract: validate everything, compute the id from the
//! resolved params and the corpus content, skip when complete, otherwise clean every file in
//! parallel (each read, cleaned, written and dropped) and commit.

use crate::config::CleanConfig;
use crate::corpus::{self, SkippedFile, SourceFile};
use crate::document::clean_document;
use crate::error::CleanError;
use crate::report::{CleanSummary, FileReport, REPORT_FILE, Report};
use crate::rules::{RULES_FILE, Rules};
use crate::{FORMAT_VERSION, STAGE};
use artifact::{Artifact, Begin, InputRef, Producer, StageSpec};
use rayon::prelude::*;
use std::path::Path;

/// The stage name of the pseudo input that stands for the corpus directory.
pub const DATA_INPUT_STAGE: &str = "data";

/// What [`run`] did.
#[derive(Debug, Clone)]
pub struct CleanOutcome {
    pub artifact: Artifact,
    /// True when a complete artifact with the same id already existed and nothing was done.
    pub skipped: bool,
    pub summary: CleanSummary,
}

/// Cleans the corpus directory `input` into a clean artifact under `output_root`
/// (`artifacts/<corpus>`).
pub fn run(
    input: &Path,
    output_root: &Path,
    config: &CleanConfig,
) -> Result<CleanOutcome, CleanError> {
    let rules = Rules::from_config(config)?;
    let corpus = corpus::scan(input)?;
    let data_id = corpus::content_id(&corpus)?;
    let spec = StageSpec {
        stage: STAGE.into(),
        format_version: FORMAT_VERSION,
        params: serde_json::to_value(rules.params()).expect("params always serialise"),
        inputs: vec![InputRef {
            stage: DATA_INPUT_STAGE.into(),
            id: data_id,
            path: input.display().to_string(),
        }],
    };
    let producer = Producer::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    let staging = match artifact::begin(output_root, spec, producer)? {
        Begin::Complete(artifact) => {
            let summary =
                serde_json::from_value(artifact.manifest().metrics.clone()).map_err(|e| {
                    CleanError::BadArtifact {
                        dir: artifact.dir().to_path_buf(),
                        message: format!(
                            "metrics are not a clean summary: {e}; delete it and rerun"
                        ),
                    }
                })?;
            return Ok(CleanOutcome {
                artifact,
                skipped: true,
                summary,
            });
        }
        Begin::Staging(staging) => staging,
    };
    let dir = staging.dir();
    let results: Vec<Result<FileResult, CleanError>> = corpus
        .sources
        .par_iter()
        .map(|source| clean_file(source, &rules, dir))
        .collect();
    let mut files = Vec::new();
    let mut skipped = corpus.others.clone();
    for result in results {
        match result? {
            FileResult::Cleaned(report) => files.push(report),
            FileResult::Skipped(s) => skipped.push(s),
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let report = Report::new(files, skipped, &rules.enabled_names());
    if report.totals.paragraphs == 0 {
        return Err(CleanError::NoUsableText {
            path: input.to_path_buf(),
        });
    }
    write(
        &dir.join(REPORT_FILE),
        &serde_json::to_string_pretty(&report).expect("report serialises"),
    )?;
    if let Some(text) = &rules.user_text {
        write(&dir.join(RULES_FILE), &text.text)?;
    }
    let metrics = serde_json::to_value(&report.totals).expect("summary serialises");
    let artifact = staging.commit(metrics)?;
    Ok(CleanOutcome {
        artifact,
        skipped: false,
        summary: report.totals,
    })
}

enum FileResult {
    Cleaned(FileReport),
    Skipped(SkippedFile),
}

/// Reads, cleans and writes one file; only its report stays in memory.
fn clean_file(source: &SourceFile, rules: &Rules, dir: &Path) -> Result<FileResult, CleanError> {
    let bytes = std::fs::read(&source.path).map_err(|e| CleanError::Read {
        path: source.path.clone(),
        source: e,
    })?;
    let document = match clean_document(&bytes, rules) {
        Ok(document) => document,
        Err(not_text) => {
            return Ok(FileResult::Skipped(SkippedFile {
                path: source.rel.clone(),
                reason: not_text.reason,
            }));
        }
    };
    drop(bytes);
    let out = artifact::Manifest::output_path(dir, &source.output);
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| CleanError::Write {
            path: parent.to_path_buf(),
            source: e,
        })?;
    }
    write(&out, &document.cleaned.to_text())?;
    let cleaned = document.cleaned;
    Ok(FileResult::Cleaned(FileReport {
        path: source.rel.clone(),
        output: source.output.clone(),
        encoding: document.encoding,
        bytes_in: document.bytes_in,
        chars_in: cleaned.chars_in,
        chars_out: cleaned.chars_out,
        paragraphs: cleaned.paragraphs.len() as u64,
        undecodable_bytes: document.undecodable_bytes,
        removals: cleaned.removals,
    }))
}

fn write(path: &Path, text: &str) -> Result<(), CleanError> {
    std::fs::write(path, text).map_err(|source| CleanError::Write {
        path: path.to_path_buf(),
        source,
    })
}
