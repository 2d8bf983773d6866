//! The `glued_credits` rule: a typist or e-library credit in brackets at the end of a paragraph,
//! optionally after a run of dashes, such as `----〖新语丝电子文库(www.xys.org)〗` or
//! `【本书由某某扫描校对】`. The bracket must name a library, a scan/typing job or a web site,
//! so ordinary bracketed remarks at paragraph ends stay.

use crate::adverts::Removed;
use regex::Regex;
use std::sync::LazyLock;

static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:[-－—–─=~～_*]{2,})? ?(?:〖[^〖〗]{1,100}〗|【[^【】]{1,100}】|\[[^\[\]]{1,100}\]|［[^［］]{1,100}］|\([^()]{1,100}\)|（[^（）]{1,100}）|《[^《》]{1,100}》)$",
    )
    .expect("valid credit regex")
});

static CREDIT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)电子文库|电子书|文库|书库|书屋|扫描|校对|录入|打字|OCR|排版|制作|整理|www\.|https?:|\.com|\.net|\.org|\.cn|txt",
    )
    .expect("valid credit word regex")
});

/// Removes credits glued to the end of `line` (repeatedly, for stacked credits).
pub fn remove_credits(line: &str) -> Option<Removed> {
    let mut rest = line;
    let mut spans = Vec::new();
    while let Some(m) = CREDIT.find(rest) {
        if !CREDIT_WORD.is_match(m.as_str()) {
            break;
        }
        spans.insert(0, m.as_str().to_owned());
        rest = rest[..m.start()].trim_end_matches(' ');
    }
    (!spans.is_empty()).then(|| Removed {
        line: rest.to_owned(),
        count: spans.len() as u64,
        spans,
    })
}

#[cfg(test)]
mod tests {
    use super::remove_credits;

    #[test]
    fn check_cases() {
        let cases = [
            (
                "他笑了。----〖新语丝电子文库(www.xys.org)〗",
                Some("他笑了。"),
            ),
            ("【本书由某某扫描校对】", Some("")),
            ("他道：「走吧（笑）", None),
            ("见《射雕英雄传》", None),
        ];
        for (line, expected) in cases {
            assert_eq!(
                remove_credits(line).as_ref().map(|r| r.line.as_str()),
                expected,
                "line {line:?}"
            );
        }
    }
}
