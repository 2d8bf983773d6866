//! Cleaning one document: decode, split into lines, normalise whitespace, apply the rules, and
//! keep one paragraph per non-empty line. Works in memory so other stages can clean arbitrary
//! text with an artifact's own rules.

use crate::adverts::{Removed, remove_adverts};
use crate::credits::remove_credits;
use crate::decode::{NotText, decode};
use crate::headings::{Line, is_heading, is_toc_marker, toc_lines};
use crate::line_kinds::{
    has_lacuna, is_banner, is_garbage_line, is_mail_header, remove_mis_decoded_runs,
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
    pub count: u64,
    /// Up to [`MAX_EXAMPLES`] removed texts, in document order.
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
    pub encoding: String,
    pub bytes_in: u64,
    pub undecodable_bytes: u64,
    pub cleaned: CleanedText,
}

/// Decodes `bytes` (see [`decode`]) and cleans the text; binary input is refused.
pub fn clean_document(bytes: &[u8], rules: &Rules) -> Result<CleanedDocument, NotText> {
    let decoded = decode(bytes)?;
    Ok(CleanedDocument {
        encoding: decoded.encoding,
        bytes_in: bytes.len() as u64,
        undecodable_bytes: decoded.undecodable_bytes,
        cleaned: clean_text(&decoded.text, rules),
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
            tally.add(names::TABLES_OF_CONTENTS, 1, [line.text.as_str()]);
        } else if s.drop_chapter_headings && line.heading {
            tally.add(names::CHAPTER_HEADINGS, 1, [line.text.as_str()]);
        } else {
            paragraphs.push(line.text);
        }
    }
    CleanedText {
        chars_in: text.chars().count() as u64,
        chars_out: paragraphs.iter().map(|p| p.chars().count() as u64).sum(),
        paragraphs,
        removals: tally.0,
    }
}

/// Cleans one raw line; `None` when nothing of it is kept.
fn clean_line(raw: &str, rules: &Rules, tally: &mut Tally) -> Option<String> {
    let s = &rules.switches;
    let mut line = normalise_line(raw);
    if line.is_empty() {
        return None;
    }
    if s.mail_headers && is_mail_header(&line) {
        tally.add(names::MAIL_HEADERS, 1, [line.as_str()]);
        return None;
    }
    if s.banners && is_banner(&line) {
        tally.add(names::BANNERS, 1, [line.as_str()]);
        return None;
    }
    if s.garbage_lines && is_garbage_line(&line) {
        tally.add(names::GARBAGE_LINES, 1, [line.as_str()]);
        return None;
    }
    if s.lacunae && has_lacuna(&line) {
        tally.add(names::LACUNAE, 1, [line.as_str()]);
        return None;
    }
    let mut touched = false;
    let mut apply = |name: &str, removed: Option<Removed>, line: &mut String| {
        if let Some(removed) = removed {
            tally.add(
                name,
                removed.count,
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

/// Removals per rule while a document is cleaned.
#[derive(Default)]
struct Tally(BTreeMap<String, RuleRemovals>);

impl Tally {
    fn add<'a>(&mut self, rule: &str, count: u64, examples: impl IntoIterator<Item = &'a str>) {
        let entry = self.0.entry(rule.to_owned()).or_default();
        entry.count += count;
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
