//! The `site_adverts` rule: a sentence (text between `。！？；…` marks, or the whole line) that
//! carries a URL or domain together with advert words (免费, 下载, 电子书, txt, 小说, 关注…), or
//! nothing but the URL, is removed. Each domain in a removed sentence counts as one advert, so
//! `本书来自www.a.com免费txt小说下载站更多更新免费电子书请关注www.a.com` counts two.

use regex::Regex;
use std::sync::LazyLock;

/// Longest sentence (in characters) that is still taken for an advert; a long paragraph that
/// merely mentions a web site is content.
const MAX_ADVERT_CHARS: usize = 200;

static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://)?(?:[a-z0-9-]+\.)+([a-z]{2,6})(?:[/?#][!-~]*)?")
        .expect("valid domain regex")
});

static ADVERT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)免费|下载|电子书|txt|小说|关注|更新|来自|访问|网址|收藏|首发|阅读|书城|书库|文学|论坛|书友|最新|章节|全集|全本|推荐",
    )
    .expect("valid advert word regex")
});

/// Top-level domains that mark a web site (kept short: `e.g` or `a.txt` are not sites).
const TLDS: &[&str] = &[
    "com", "net", "org", "cn", "cc", "tw", "hk", "info", "biz", "me", "tv", "la", "us", "co", "io",
    "xyz", "top", "vip", "in", "to", "ws", "name", "mobi", "so", "edu", "gov", "uk", "de", "jp",
];

fn is_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…')
}

/// What a span rule removed from a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The line without the removed spans.
    pub line: String,
    pub count: u64,
    /// The removed spans, in order.
    pub spans: Vec<String>,
}

/// A sentence around one or more domains: byte range and the domains' byte ranges.
type Sentence = (usize, usize, Vec<(usize, usize)>);

/// Removes advert sentences from `line`; `None` when there is none.
pub fn remove_adverts(line: &str) -> Option<Removed> {
    let domains: Vec<(usize, usize)> = DOMAIN
        .captures_iter(line)
        .filter(|caps| TLDS.contains(&caps[1].to_ascii_lowercase().as_str()))
        .map(|caps| {
            let m = caps.get(0).expect("group 0 always exists");
            (m.start(), m.end())
        })
        .collect();
    if domains.is_empty() {
        return None;
    }
    // Sentences around the domains, merged when they overlap.
    let mut sentences: Vec<Sentence> = Vec::new();
    for &(start, end) in &domains {
        let s = line[..start]
            .char_indices()
            .rev()
            .find(|&(_, c)| is_terminator(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let e = line[end..]
            .char_indices()
            .find(|&(_, c)| is_terminator(c))
            .map_or(line.len(), |(i, _)| end + i);
        // Take the terminators (and closing quotes) that end the sentence with it.
        let e = e + line[e..]
            .chars()
            .take_while(|&c| is_terminator(c) || matches!(c, '」' | '”' | '』' | '"'))
            .map(char::len_utf8)
            .sum::<usize>();
        match sentences.last_mut() {
            Some(last) if last.1 > s => {
                last.1 = last.1.max(e);
                last.2.push((start, end));
            }
            _ => sentences.push((s, e, vec![(start, end)])),
        }
    }
    let mut out = String::new();
    let mut spans = Vec::new();
    let mut count = 0;
    let mut cursor = 0;
    for (s, e, inside) in sentences {
        let sentence = &line[s..e];
        // The sentence's own words, without the domains (a domain may contain `txt`).
        let mut words = String::new();
        let mut at = s;
        for &(ds, de) in &inside {
            words.push_str(&line[at..ds]);
            at = de;
        }
        words.push_str(&line[at..e]);
        let is_advert = sentence.chars().count() <= MAX_ADVERT_CHARS
            && (ADVERT_WORD.is_match(&words) || !words.chars().any(char::is_alphanumeric));
        if is_advert {
            out.push_str(&line[cursor..s]);
            cursor = e;
            count += inside.len() as u64;
            spans.push(sentence.to_owned());
        }
    }
    if count == 0 {
        return None;
    }
    out.push_str(&line[cursor..]);
    Some(Removed {
        line: out,
        count,
        spans,
    })
}

#[cfg(test)]
mod tests {
    use super::remove_adverts;

    #[test]
    fn check_cases() {
        let cases: [(&str, Option<(&str, u64)>); 6] = [
            (
                "本书来自www.example.com免费txt小说下载站更多更新免费电子书请关注www.example.com",
                Some(("", 2)),
            ),
            (
                "他走了。本书来自www.abc.net免费txt小说下载站",
                Some(("他走了。", 1)),
            ),
            ("http://www.abc.cn/", Some(("", 1))),
            ("他在a.txt里写了字。", None),
            ("他访问了网站。", None),
            ("Visit example.org today", None),
        ];
        for (line, expected) in cases {
            let got = remove_adverts(line);
            assert_eq!(
                got.as_ref().map(|r| (r.line.as_str(), r.count)),
                expected,
                "line {line:?}"
            );
        }
    }
}
