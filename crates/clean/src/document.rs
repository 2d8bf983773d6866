//! Cleaning one document: decode, split into lines, normalise whitespace, apply the rules, and
//! keep one paragraph per non-empty line. Works in memory so other stages can clean arbitrary
//! text with an artifact's own rules. Every rule's removals are counted twice: as removals (lines
//! dropped, spans or runs of marks removed) and as characters.

use crate::adverts::{Removed, remove_adverts};
use crate::config::Lacunae;
use crate::credits::remove_credits;
use crate::decode::{NotText, decode};
use crate::headings::{Line, is_heading, is_toc_marker, toc_lines};
use crate::line_kinds::{
    has_lacuna, is_banner, is_garbage_line, is_mail_header, lacuna_context, remove_lacuna_marks,
    remove_mis_decoded_runs,
};
use crate::rules::{Rules, names};
use crate::whitespace::normalise_line;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Examples kept per rule and document.
pub const MAX_EXAMPLES: usize = 3;
/// Longest example kept, in characters (longer ones are cut and end with `…`).
const MAX_EXAMPLE_CHARS: usize = 80;

/// What one rule removed from one document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRemovals {
    /// Lines dropped or spans removed (for `lacunae`: paragraphs dropped plus runs of marks
    /// removed).
    pub count: u64,
    /// Characters removed. Reports written before this field existed read as 0.
    #[serde(default)]
    pub chars: u64,
    /// Up to [`MAX_EXAMPLES`] removed texts, in document order (for a removed lacuna mark, the
    /// text around it).
    pub examples: Vec<String>,
}

/// Clean text: paragraphs and what was removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanedText {
    /// One entry per paragraph; none is empty or contains a line break.
    pub paragraphs: Vec<String>,
    /// Removals of the rules that removed something, by rule name.
    pub removals: BTreeMap<String, RuleRemovals>,
    /// Characters of the input text.
    pub chars_in: u64,
    /// Characters of the paragraphs (line breaks not counted).
    pub chars_out: u64,
    /// Characters changed by the script conversion (`--convert`).
    pub converted_chars: u64,
}

impl CleanedText {
    /// The paragraphs as stored in `docs/`: each followed by `\n`.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.paragraphs.iter().map(|p| p.len() + 1).sum());
        for p in &self.paragraphs {
            out.push_str(p);
            out.push('\n');
        }
        out
    }
}

/// A cleaned file: how it was decoded, and its clean text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanedDocument {
    /// See [`Decoded::encoding`](crate::Decoded::encoding).
    pub encoding: String,
    /// Lines per encoding (see [`Decoded::line_encodings`](crate::Decoded::line_encodings)).
    pub line_encodings: BTreeMap<String, u64>,
    pub bytes_in: u64,
    pub undecodable_bytes: u64,
    /// Stray control characters removed while decoding.
    pub control_chars: u64,
    /// What a person should check, each naming its line(s).
    pub warnings: Vec<String>,
    pub cleaned: CleanedText,
}

/// Decodes `bytes` (see [`decode`]) and cleans the text; binary input and text that decodes to
/// mostly undecodable bytes are refused.
pub fn clean_document(bytes: &[u8], rules: &Rules) -> Result<CleanedDocument, NotText> {
    let decoded = decode(bytes)?;
    Ok(CleanedDocument {
        cleaned: clean_text(&decoded.text, rules),
        encoding: decoded.encoding,
        line_encodings: decoded.line_encodings,
        bytes_in: bytes.len() as u64,
        undecodable_bytes: decoded.undecodable_bytes,
        control_chars: decoded.control_chars,
        warnings: decoded.warnings,
    })
}

/// Cleans already decoded text with `rules`.
pub fn clean_text(text: &str, rules: &Rules) -> CleanedText {
    let mut tally = Tally::default();
    let s = &rules.switches;
    let want_headings = s.drop_chapter_headings || s.drop_tables_of_contents;
    let mut lines: Vec<Line> = Vec::new();
    for raw in text.split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        let heading = want_headings && is_heading(raw);
        if let Some(text) = clean_line(raw, rules, &mut tally) {
            let toc_marker = s.drop_tables_of_contents && is_toc_marker(&text);
            lines.push(Line {
                text,
                heading,
                toc_marker,
            });
        }
    }
    let toc = if s.drop_tables_of_contents {
        toc_lines(&lines)
    } else {
        vec![false; lines.len()]
    };
    let mut paragraphs = Vec::with_capacity(lines.len());
    for (line, in_toc) in lines.into_iter().zip(toc) {
        if in_toc {
            tally.drop_line(names::TABLES_OF_CONTENTS, &line.text);
        } else if s.drop_chapter_headings && line.heading {
            tally.drop_line(names::CHAPTER_HEADINGS, &line.text);
        } else {
            paragraphs.push(line.text);
        }
    }
    CleanedText {
        chars_in: text.chars().count() as u64,
        chars_out: paragraphs.iter().map(|p| p.chars().count() as u64).sum(),
        paragraphs,
        removals: tally.removals,
        converted_chars: tally.converted_chars,
    }
}

/// Cleans one raw line; `None` when nothing of it is kept.
fn clean_line(raw: &str, rules: &Rules, tally: &mut Tally) -> Option<String> {
    let s = &rules.switches;
    let mut line = normalise_line(raw);
    if line.is_empty() {
        return None;
    }
    if let Some(converted) = rules.converter.as_ref().and_then(|c| c.convert(&line)) {
        tally.converted_chars += converted.changed_chars;
        line = converted.line;
    }
    if s.mail_headers && is_mail_header(&line) {
        tally.drop_line(names::MAIL_HEADERS, &line);
        return None;
    }
    if s.banners && is_banner(&line) {
        tally.drop_line(names::BANNERS, &line);
        return None;
    }
    if s.garbage_lines && is_garbage_line(&line) {
        tally.drop_line(names::GARBAGE_LINES, &line);
        return None;
    }
    let mut touched = false;
    match s.lacunae {
        Lacunae::DropParagraph { max_chars }
            if has_lacuna(&line) && line.chars().count() <= max_chars.get() as usize =>
        {
            tally.drop_line(names::LACUNAE, &line);
            return None;
        }
        Lacunae::RemoveMark | Lacunae::DropParagraph { .. } => {
            if let Some(removed) = remove_lacuna_marks(&line) {
                let chars = removed.spans.iter().map(|r| r.chars().count() as u64).sum();
                tally.add(
                    names::LACUNAE,
                    removed.count,
                    chars,
                    [lacuna_context(&line).as_str()],
                );
                line = removed.line;
                touched = true;
            }
        }
        Lacunae::Keep => {}
    }
    let mut apply = |name: &str, removed: Option<Removed>, line: &mut String| {
        if let Some(removed) = removed {
            tally.add(
                name,
                removed.count,
                removed.spans.iter().map(|s| s.chars().count() as u64).sum(),
                removed.spans.iter().map(String::as_str),
            );
            *line = removed.line;
            touched = true;
        }
    };
    if s.garbage_lines {
        apply(
            names::GARBAGE_LINES,
            remove_mis_decoded_runs(&line),
            &mut line,
        );
    }
    if s.glued_credits {
        apply(names::GLUED_CREDITS, remove_credits(&line), &mut line);
    }
    if s.site_adverts {
        apply(names::SITE_ADVERTS, remove_adverts(&line), &mut line);
    }
    for rule in &rules.user {
        let spans: Vec<&str> = rule.regex.find_iter(&line).map(|m| m.as_str()).collect();
        if !spans.is_empty() {
            let removed = Removed {
                line: rule.regex.replace_all(&line, "").into_owned(),
                count: spans.len() as u64,
                spans: spans.into_iter().map(str::to_owned).collect(),
            };
            apply(&rule.name, Some(removed), &mut line);
        }
    }
    if touched {
        // Removal may leave stray spaces at the ends or only punctuation around an advert.
        line = line.trim_matches(' ').to_owned();
        if !line.chars().any(char::is_alphanumeric) {
            return None;
        }
    }
    (!line.is_empty()).then_some(line)
}

/// Removals per rule, and conversions, while a document is cleaned.
#[derive(Default)]
struct Tally {
    removals: BTreeMap<String, RuleRemovals>,
    converted_chars: u64,
}

impl Tally {
    /// `rule` dropped the whole `line`.
    fn drop_line(&mut self, rule: &str, line: &str) {
        self.add(rule, 1, line.chars().count() as u64, [line]);
    }

    fn add<'a>(
        &mut self,
        rule: &str,
        count: u64,
        chars: u64,
        examples: impl IntoIterator<Item = &'a str>,
    ) {
        let entry = self.removals.entry(rule.to_owned()).or_default();
        entry.count += count;
        entry.chars += chars;
        for example in examples {
            if entry.examples.len() >= MAX_EXAMPLES {
                break;
            }
            entry.examples.push(shorten(example));
        }
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_EXAMPLE_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX_EXAMPLE_CHARS - 1).collect();
    out.push('…');
    out
}
