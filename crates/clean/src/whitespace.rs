//! Whitespace normalisation of one line: U+3000, NBSP, tabs and other spaces collapse into one
//! ASCII space that survives only between two non-CJK characters (so Latin words stay apart and
//! Chinese text runs together); zero-width characters, soft hyphens and control characters go.

/// Characters that separate words (and collapse into at most one ASCII space).
fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{0B}' | '\u{0C}' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Characters removed without leaving a separator.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    ) || (c.is_control() && !is_space(c))
}

/// Characters of CJK scripts and full-width forms: no space is kept next to them.
pub fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{1100}'..='\u{11FF}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7AF}'
            | '\u{E000}'..='\u{F8FF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE10}'..='\u{FE1F}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
            | '\u{20000}'..='\u{3FFFD}'
    )
}

/// Normalises one line (which contains no line breaks) as described in the module doc.
pub fn normalise_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut pending_space = false;
    for c in line.chars() {
        if is_space(c) {
            pending_space = true;
            continue;
        }
        if is_invisible(c) {
            continue;
        }
        if pending_space {
            pending_space = false;
            if out.chars().next_back().is_some_and(|prev| !is_cjk(prev)) && !is_cjk(c) {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalise_line;

    #[test]
    fn check_cases() {
        let cases = [
            ("\u{3000}\u{3000}他说道：「好。」\t", "他说道：「好。」"),
            ("中 文\u{A0}字\u{200B}符", "中文字符"),
            ("  Veni,  vidi,\tvici  ", "Veni, vidi, vici"),
            ("金庸 Jin Yong 著", "金庸Jin Yong著"),
            ("a\u{1A}b\u{AD}c", "abc"),
            ("\u{3000}\u{3000}", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(normalise_line(input), expected, "input {input:?}");
        }
    }
}
