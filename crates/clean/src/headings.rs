//! Chapter headings (`第一回　…`, `第一章　…`, `一　　…`, 楔子, 后记) and tables of contents (a
//! `目录` line followed by headings, or three or more headings in a row). Headings are recognised
//! on the raw line, before whitespace normalisation joins `一　　灭门` into `一灭门`.

use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:第[0-9０-９〇零一二三四五六七八九十百千两]{1,7}[回章节卷部集篇折幕](?:[^。]{0,40})|[〇零一二三四五六七八九十百]{1,4}[　 、．.\t][^。]{0,30}|(?:楔子|序章|序言|引子|尾声|后记)(?:[　 :：][^。]{0,20})?)$",
    )
    .expect("valid heading regex")
});

/// Whether the raw (not yet normalised) line is a chapter heading.
pub fn is_heading(raw: &str) -> bool {
    let line = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    line.chars().count() <= 48 && HEADING.is_match(line)
}

/// Whether the normalised line announces a table of contents.
pub fn is_toc_marker(line: &str) -> bool {
    matches!(line, "目录" | "目錄" | "目次" | "总目录" | "總目錄")
}

/// A kept line as the table-of-contents pass sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub heading: bool,
    pub toc_marker: bool,
}

/// Marks the lines that belong to tables of contents: maximal runs of headings and `目录` lines
/// with a marker and a heading, or with three headings. A run stops before a heading it has
/// already listed (the body starts there); when content follows a run directly, the run's last
/// heading is the body's first and is not part of the table.
pub fn toc_lines(lines: &[Line]) -> Vec<bool> {
    let mut toc = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if !(lines[i].heading || lines[i].toc_marker) {
            i += 1;
            continue;
        }
        let mut seen = HashSet::new();
        let (mut j, mut headings, mut marker, mut repeated) = (i, 0, false, false);
        while j < lines.len() && (lines[j].heading || lines[j].toc_marker) {
            if lines[j].heading {
                if !seen.insert(lines[j].text.as_str()) {
                    repeated = true;
                    break;
                }
                headings += 1;
            }
            marker |= lines[j].toc_marker;
            j += 1;
        }
        let mut end = j;
        if !repeated && j < lines.len() && lines[j - 1].heading {
            end -= 1;
            headings -= 1;
        }
        if (marker && headings >= 1) || headings >= 3 {
            toc[i..end].iter_mut().for_each(|t| *t = true);
        }
        i = j.max(i + 1);
    }
    toc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings() {
        for line in [
            "第一回　风雪惊变",
            "　　第十二章 亢龙有悔",
            "一　　灭门",
            "楔子",
            "第3回",
        ] {
            assert!(is_heading(line), "{line}");
        }
        for line in [
            "第一回合他就败了，众人大惊。",
            "一个人走了过来",
            "楔子很好用",
        ] {
            assert!(!is_heading(line), "{line}");
        }
    }

    #[test]
    fn tables_of_contents() {
        let line = |text: &str| Line {
            text: text.into(),
            heading: is_heading(text),
            toc_marker: is_toc_marker(text),
        };
        let lines: Vec<Line> = [
            "目录",
            "第一回　甲",
            "第二回　乙",
            "第一回　甲",
            "正文。",
            "第二回　乙",
            "正文。",
        ]
        .into_iter()
        .map(line)
        .collect();
        assert_eq!(
            toc_lines(&lines),
            [true, true, true, false, false, false, false]
        );
    }
}
