//! Whole-line rules that recognise a kind of line from its (normalised) text: e-mail, Usenet and
//! BBS headers (`mail_headers`), banners of repeated `=`/`-`/`*` (`banners`), lines that are
//! mostly replacement, private-use or placeholder characters (`garbage_lines`, which also removes
//! runs of `牋`, the mis-decoded form of non-breaking-space indentation), and the lacuna mark
//! `□` (`lacunae`: found, removed, or shown in context).

use crate::adverts::Removed;
use regex::Regex;
use std::sync::LazyLock;

static MAIL_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?i:from|date|subject|newsgroups|message-id|path|organi[sz]ation|reply-to|sender|lines|nntp-posting-host|nntp-posting-date|to|cc|xref|references|content-type|content-transfer-encoding|mime-version|approved|followup-to|received|return-path|x-[a-z0-9-]+) ?:|(?:发信人|发信站|信区|标题|转信站|寄信人|发件人|收件人) ?[:：])",
    )
    .expect("valid mail header regex")
});

/// `From: … Date: …`, `Subject: …`, `发信人: …` and the like.
pub fn is_mail_header(line: &str) -> bool {
    MAIL_HEADER.is_match(line)
}

fn is_banner_char(c: char) -> bool {
    matches!(
        c,
        '=' | '-'
            | '*'
            | '~'
            | '_'
            | '#'
            | '+'
            | '＝'
            | '－'
            | '＊'
            | '～'
            | '＿'
            | '＃'
            | '─'
            | '━'
            | '═'
            | '☆'
            | '★'
    )
}

/// A line made only of at least three banner characters (spaces between them allowed).
pub fn is_banner(line: &str) -> bool {
    let mut marks = 0;
    for c in line.chars() {
        if is_banner_char(c) {
            marks += 1;
        } else if c != ' ' {
            return false;
        }
    }
    marks >= 3
}

fn is_garbage_char(c: char) -> bool {
    matches!(
        c,
        '\u{FFFD}' | '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFD}' | '□' | '?' | '牋'
    )
}

/// More than half of the line's non-space characters are garbage characters.
pub fn is_garbage_line(line: &str) -> bool {
    let (mut garbage, mut total) = (0usize, 0usize);
    for c in line.chars().filter(|&c| c != ' ') {
        total += 1;
        garbage += usize::from(is_garbage_char(c));
    }
    garbage * 2 > total
}

/// The lacuna mark, `□` (U+25A1 WHITE SQUARE), standing for a lost character.
pub const LACUNA: char = '□';

/// The line has a lacuna mark.
pub fn has_lacuna(line: &str) -> bool {
    line.contains(LACUNA)
}

static LACUNA_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("□+").expect("valid lacuna regex"));

/// Removes every run of lacuna marks from `line` (each run is one span).
pub fn remove_lacuna_marks(line: &str) -> Option<Removed> {
    let spans: Vec<String> = LACUNA_RUN
        .find_iter(line)
        .map(|m| m.as_str().to_owned())
        .collect();
    (!spans.is_empty()).then(|| Removed {
        line: LACUNA_RUN.replace_all(line, "").into_owned(),
        count: spans.len() as u64,
        spans,
    })
}

/// Characters shown on each side of the first mark by [`lacuna_context`].
const CONTEXT_CHARS: usize = 12;

/// The stretch of `line` around its first lacuna mark, with `…` where it was cut: what a report
/// shows for a removed mark (the mark alone would say nothing).
pub fn lacuna_context(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let first = chars.iter().position(|&c| c == LACUNA).unwrap_or(0);
    let start = first.saturating_sub(CONTEXT_CHARS);
    let end = (first + 1 + CONTEXT_CHARS).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

static MIS_DECODED_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("牋{2,}").expect("valid run regex"));

/// Removes runs of two or more `牋` inside a line.
pub fn remove_mis_decoded_runs(line: &str) -> Option<Removed> {
    let spans: Vec<String> = MIS_DECODED_RUN
        .find_iter(line)
        .map(|m| m.as_str().to_owned())
        .collect();
    (!spans.is_empty()).then(|| Removed {
        line: MIS_DECODED_RUN.replace_all(line, "").into_owned(),
        count: spans.len() as u64,
        spans,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_kinds() {
        assert!(is_mail_header(
            "From: jin@example.com (Jin) Date: Mon, 1 Jan 1996"
        ));
        assert!(is_mail_header("发信人: abc (def), 信区: Wuxia"));
        assert!(!is_mail_header("他从来没有说过Date:"));
        assert!(is_banner("= = = = ="));
        assert!(is_banner("*****"));
        assert!(!is_banner("——"));
        assert!(!is_banner("=="));
        assert!(is_garbage_line("\u{FFFD}\u{FFFD}a"));
        assert!(is_garbage_line("??? ?"));
        assert!(!is_garbage_line("他写下\u{E000}字"));
        assert!(!is_garbage_line("□□大侠"));
        let removed = remove_lacuna_marks("□□大侠□来了").unwrap();
        assert_eq!((removed.line.as_str(), removed.count), ("大侠来了", 2));
        assert_eq!(removed.spans, ["□□", "□"]);
        assert_eq!(
            lacuna_context(&format!("{}□{}", "甲".repeat(20), "乙".repeat(20))),
            format!("…{}□{}…", "甲".repeat(12), "乙".repeat(12))
        );
        assert_eq!(lacuna_context("他□了。"), "他□了。");
        assert_eq!(
            remove_mis_decoded_runs("牋牋他来了牋").map(|r| r.line),
            Some("他来了牋".to_owned())
        );
    }
}
