//! The clean stage against the artifact contract: validate everything, compute the id from the
//! resolved params and the corpus content, skip when complete, otherwise clean every file in
//! parallel (each read, cleaned, written and dropped) and commit.

use crate::config::{CleanConfig, Lacunae};
use crate::corpus::{self, SkippedFile, SourceFile};
use crate::document::clean_document;
use crate::error::CleanError;
use crate::report::{CleanSummary, FileReport, REPORT_FILE, Report, read_report};
use crate::rules::{RULES_FILE, Rules, names};
use crate::{FORMAT_VERSION, STAGE};
use artifact::{Artifact, Begin, Existing, InputRef, Producer, StageSpec};
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
    /// The artifact's `report.json`: every file, the skipped ones with their reasons, warnings.
    pub report: Report,
}

/// Cleans the corpus directory `input` into a clean artifact under `output_root`
/// (`artifacts/<corpus>`); `existing` says whether a complete artifact of the same id is reused
/// or made again.
pub fn run(
    input: &Path,
    output_root: &Path,
    config: &CleanConfig,
    existing: Existing,
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
    let staging = match artifact::begin(output_root, spec, producer, existing)? {
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
            let report = read_report(&artifact)?;
            return Ok(CleanOutcome {
                artifact,
                skipped: true,
                summary,
                report,
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
            details: no_usable_text(&report, config),
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
        summary: report.totals.clone(),
        report,
    })
}

/// Files listed by name in the "no usable text" error before "and N more".
const MAX_LISTED_FILES: usize = 5;

/// What became of every `.txt` file when none has a paragraph left, and how to keep the text.
fn no_usable_text(report: &Report, config: &CleanConfig) -> String {
    let mut parts = Vec::new();
    let skipped_txt: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| s.path.to_ascii_lowercase().ends_with(".txt"))
        .collect();
    for s in &skipped_txt {
        parts.push(format!("{} was skipped ({})", s.path, s.reason));
    }
    let mut rules: Vec<&str> = Vec::new();
    for f in &report.files {
        let mut by_rule: Vec<(&str, u64)> = f
            .removals
            .iter()
            .map(|(rule, r)| (rule.as_str(), r.chars))
            .collect();
        by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        if by_rule.is_empty() {
            parts.push(format!("{} holds only whitespace", f.path));
            continue;
        }
        let listed: Vec<String> = by_rule.iter().map(|(r, c)| format!("{r} {c}")).collect();
        parts.push(format!(
            "{}: nothing is left of its {} characters (characters removed per rule: {})",
            f.path,
            f.chars_in,
            listed.join(", ")
        ));
        for (rule, _) in by_rule {
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
    }
    let more = parts.len().saturating_sub(MAX_LISTED_FILES);
    parts.truncate(MAX_LISTED_FILES);
    let mut details = parts.join("; ");
    if more > 0 {
        details.push_str(&format!("; and {more} more files"));
    }
    let (mut flags, mut lines, mut user) = (Vec::new(), Vec::new(), Vec::new());
    let dropping = matches!(config.switches.lacunae, Lacunae::DropParagraph { .. });
    for rule in rules {
        let off = if rule == names::LACUNAE && dropping {
            // Keeps the text without the marks.
            Some(("--lacunae=remove-mark", "lacunae = \"remove-mark\""))
        } else {
            names::turn_off(rule)
        };
        match off {
            Some((flag, line)) => {
                flags.push(flag);
                lines.push(line);
            }
            None => user.push(format!("`{rule}`")),
        }
    }
    let mut fixes = Vec::new();
    if !flags.is_empty() {
        fixes.push(format!(
            "if that text is wanted, rerun with {} (in the corpus's pipeline.toml, under [clean]: {})",
            flags.join(" "),
            lines.join(", ")
        ));
    }
    if !user.is_empty() {
        let file = config
            .rules
            .as_ref()
            .map_or("the rules file".to_owned(), |p| p.display().to_string());
        fixes.push(format!("remove rule {} from {file}", user.join(", ")));
    }
    if !skipped_txt.is_empty() {
        fixes.push("re-save a skipped file as UTF-8 text, or add text files".to_owned());
    }
    if fixes.is_empty() {
        fixes.push("add text files".to_owned());
    }
    format!("{details}. To fix: {}", fixes.join("; "))
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
        line_encodings: document.line_encodings,
        bytes_in: document.bytes_in,
        chars_in: cleaned.chars_in,
        chars_out: cleaned.chars_out,
        paragraphs: cleaned.paragraphs.len() as u64,
        undecodable_bytes: document.undecodable_bytes,
        control_chars: document.control_chars,
        warnings: document.warnings,
        removals: cleaned.removals,
        converted_chars: cleaned.converted_chars,
    }))
}

fn write(path: &Path, text: &str) -> Result<(), CleanError> {
    std::fs::write(path, text).map_err(|source| CleanError::Write {
        path: path.to_path_buf(),
        source,
    })
}
