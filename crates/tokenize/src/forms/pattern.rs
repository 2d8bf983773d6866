//! A body's shape: the lines that its punctuation closes, each as its length in characters and
//! the mark that closes it. `7，7。` is a line of seven characters closed by a comma, then one
//! closed by a full stop. A body whose last characters are not closed by a mark has no pattern
//! (it is a fragment, or not verse).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The marks that close a line: the full-width punctuation of the corpus (the enumeration
/// comma `、` included, since ci use it as a pause inside a line's rhythm).
pub const PUNCTUATION: [char; 7] = ['，', '。', '、', '；', '：', '？', '！'];

/// Whether `c` closes a line.
pub fn is_punctuation(c: char) -> bool {
    PUNCTUATION.contains(&c)
}

/// One line of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Line {
    /// Characters before the mark (at least 1).
    pub len: usize,
    /// The mark that closes it, one of [`PUNCTUATION`].
    pub punct: char,
}

/// The lines of a body, in order. Written as text (`7，7。`) in `forms.json`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Pattern {
    pub lines: Vec<Line>,
}

impl Pattern {
    /// The pattern of `body`; `None` when it is empty, has a mark with no characters before it
    /// or ends in characters that no mark closes.
    pub fn of(body: &str) -> Option<Pattern> {
        let mut lines = Vec::new();
        let mut len = 0;
        for c in body.chars() {
            if is_punctuation(c) {
                if len == 0 {
                    return None;
                }
                lines.push(Line { len, punct: c });
                len = 0;
            } else if !c.is_whitespace() {
                len += 1;
            }
        }
        (len == 0 && !lines.is_empty()).then_some(Pattern { lines })
    }

    /// Characters of all lines, marks excluded.
    pub fn characters(&self) -> usize {
        self.lines.iter().map(|l| l.len).sum()
    }

    /// The line ends (last characters) of `body`, which must follow this pattern.
    pub fn line_ends(body: &str) -> Vec<char> {
        let mut ends = Vec::new();
        let mut last = None;
        for c in body.chars() {
            if is_punctuation(c) {
                ends.extend(last.take());
            } else if !c.is_whitespace() {
                last = Some(c);
            }
        }
        ends
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            write!(f, "{}{}", line.len, line.punct)?;
        }
        Ok(())
    }
}

impl FromStr for Pattern {
    type Err = String;

    /// Reads `7，7。7。` (lengths each followed by a mark of [`PUNCTUATION`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut lines = Vec::new();
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if is_punctuation(c) {
                let len: usize =
                    digits.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        format!("pattern `{s}`: `{c}` follows no positive length")
                    })?;
                lines.push(Line { len, punct: c });
                digits.clear();
            } else {
                return Err(format!(
                    "pattern `{s}`: `{c}` is neither a digit nor one of {}",
                    PUNCTUATION.iter().collect::<String>()
                ));
            }
        }
        if !digits.is_empty() || lines.is_empty() {
            return Err(format!(
                "pattern `{s}`: expected lengths each closed by a mark, such as 7，7。"
            ));
        }
        Ok(Pattern { lines })
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_reads_as_lines_and_back() {
        let body = "一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回。";
        let p = Pattern::of(body).unwrap();
        assert_eq!(p.to_string(), "7，7。7。");
        assert_eq!(p.characters(), 21);
        assert_eq!("7，7。7。".parse::<Pattern>().unwrap(), p);
        assert_eq!(Pattern::line_ends(body), vec!['杯', '台', '回']);
        assert_eq!(Pattern::of("一曲新词酒一杯，去年"), None);
        assert_eq!(Pattern::of("。一曲。"), None);
        assert!("7，x。".parse::<Pattern>().is_err());
        assert!("7，7".parse::<Pattern>().is_err());
    }
}
