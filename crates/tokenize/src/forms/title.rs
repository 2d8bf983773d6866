//! The titled layout: a corpus made with `--titles` holds one poem per paragraph, written
//! `TITLE：BODY`. Titles never hold the full-width colon, so the first one on the line ends the
//! title; a body may hold more.
//!
//! chinese-poetry names some ci by tune and subtitle, `十二时・忆少年`: the tune, which fixes
//! the form, is the part before the middle dot `・` (U+30FB; also `·` U+00B7), so such ci count
//! towards the form of 十二时.

/// Ends the title of a titled paragraph (U+FF1A FULLWIDTH COLON).
pub const TITLE_SEPARATOR: char = '：';

/// Separators of a tune from its subtitle in chinese-poetry's tune names.
const SUBTITLE_SEPARATORS: [char; 2] = ['・', '·'];

/// The title and body of a titled paragraph; `None` when it has no separator or the title is
/// empty.
pub fn split_title(paragraph: &str) -> Option<(&str, &str)> {
    let (title, body) = paragraph.split_once(TITLE_SEPARATOR)?;
    let title = title.trim();
    (!title.is_empty()).then_some((title, body))
}

/// The tune a title names: the part before its subtitle separator, trimmed.
pub fn tune_of(title: &str) -> &str {
    title
        .split(SUBTITLE_SEPARATORS)
        .next()
        .unwrap_or(title)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_colon_ends_the_title_and_the_tune_drops_the_subtitle() {
        assert_eq!(
            split_title("浣溪沙：一曲。问：何？"),
            Some(("浣溪沙", "一曲。问：何？"))
        );
        assert_eq!(split_title("：无题。"), None);
        assert_eq!(split_title("无题。"), None);
        assert_eq!(tune_of("十二时・忆少年"), "十二时");
        assert_eq!(tune_of("浣溪沙"), "浣溪沙");
    }
}
