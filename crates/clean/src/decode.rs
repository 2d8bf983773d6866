//! Turning a file's bytes into text.
//!
//! 1. A byte order mark decides (UTF-8, UTF-16LE, UTF-16BE).
//! 2. A file with NUL bytes may be UTF-16 without a BOM: accepted when one byte order decodes
//!    without errors to plausible text (mostly CJK, ASCII and punctuation).
//! 3. Binary files are refused: a known signature (PNG, JPEG, GIF, PDF, ZIP, gzip, …), or
//!    control bytes making up half of the file or more than 1/16 of it (16 at least). A text
//!    file with a few stray control bytes (NUL, SUB…) is decoded, and those characters are
//!    removed and counted.
//! 4. Strict UTF-8 for the whole file.
//! 5. Otherwise line by line, so that a file mixing encodings (a UTF-8 file with one GBK line, or
//!    the reverse) is not read as mojibake: a line that is valid UTF-8 and reads as text is UTF-8;
//!    any other line uses the file's legacy encoding: GB18030, unless `chardetng` recognises Big5
//!    (whose bytes GB18030 also accepts) or another CJK encoding that decodes with fewer errors.
//!    A single-byte encoding such as windows-1252 is taken only for text that decodes to mostly
//!    ASCII letters (a European language), never for Chinese. Where a line is invalid in both,
//!    the decoding with fewer errors and fewer implausible characters wins.
//!
//! Undecodable bytes become U+FFFD and are counted. The result says how many lines used which
//! encoding and warns, naming lines, about files that mix encodings or have undecodable bytes;
//! a file whose non-ASCII bytes are more than 1/8 undecodable (4 bytes at least) is refused as
//! implausible text.

use chardetng::{Iso2022JpDetection, Utf8Detection};
use encoding_rs::{
    BIG5, DecoderResult, EUC_JP, EUC_KR, Encoding, GB18030, GBK, SHIFT_JIS, UTF_8, UTF_16BE,
    UTF_16LE,
};
use std::collections::BTreeMap;

/// How much of a file the encoding detector reads.
const DETECTOR_SAMPLE_BYTES: usize = 64 * 1024;
/// Line numbers listed in one warning before "and N more".
const MAX_LISTED_LINES: usize = 5;

/// A decoded text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without stray control characters.
    pub text: String,
    /// The encoding name, as `encoding_rs` spells it (`UTF-8`, `UTF-16LE`, `gb18030`, `Big5`…),
    /// with ` (BOM)` appended when a byte order mark decided it; for a file decoded line by line
    /// with more than one encoding, the names joined by ` + `, most lines first, followed by
    /// ` (line by line)`.
    pub encoding: String,
    /// Lines per encoding name. Lines of ASCII only, which read the same in every encoding, count
    /// under the file's main encoding.
    pub line_encodings: BTreeMap<String, u64>,
    /// Bytes that were malformed in that encoding (each malformed sequence became one U+FFFD).
    pub undecodable_bytes: u64,
    /// Control characters removed from the text: C0 controls other than tab, line feed,
    /// vertical tab, form feed and carriage return; DEL; C1 controls other than NEL.
    pub control_chars: u64,
    /// What a person should check, each naming its line(s): lines in a minority encoding, lines
    /// with undecodable bytes.
    pub warnings: Vec<String>,
}

/// Why bytes were not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotText {
    pub reason: String,
}

/// Decodes `bytes` following the order in the module documentation.
pub fn decode(bytes: &[u8]) -> Result<Decoded, NotText> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if encoding == UTF_8 {
            let mut decoded = decode_text(body)?;
            if decoded.line_encodings.len() == 1 && decoded.encoding == UTF_8.name() {
                decoded.encoding = format!("{} (BOM)", UTF_8.name());
            }
            return Ok(decoded);
        }
        let (text, undecodable_bytes) = decode_counting(encoding, body);
        return Ok(whole(
            text,
            format!("{} (BOM)", encoding.name()),
            undecodable_bytes,
        ));
    }
    if bytes.contains(&0)
        && let Some(decoded) = decode_utf16_without_bom(bytes)
    {
        return Ok(decoded);
    }
    if let Some(reason) = binary_reason(bytes) {
        return Err(NotText { reason });
    }
    decode_text(bytes)
}

/// A file decoded as a whole in one encoding.
fn whole(text: String, encoding: String, undecodable_bytes: u64) -> Decoded {
    let (text, control_chars) = strip_controls(text);
    let mut warnings = Vec::new();
    if undecodable_bytes > 0 {
        let lines: Vec<u64> = line_ranges(text.as_bytes())
            .enumerate()
            .filter(|(_, (s, e))| text[*s..*e].contains('\u{FFFD}'))
            .map(|(i, _)| i as u64 + 1)
            .collect();
        warnings.push(format!(
            "{} {} {undecodable_bytes} undecodable {} in {encoding} (shown as U+FFFD)",
            list_lines(&lines),
            has(&lines),
            plural(undecodable_bytes, "byte", "bytes"),
        ));
    }
    let name = encoding.trim_end_matches(" (BOM)").to_owned();
    Decoded {
        line_encodings: BTreeMap::from([(name, line_ranges(text.as_bytes()).count() as u64)]),
        text,
        encoding,
        undecodable_bytes,
        control_chars,
        warnings,
    }
}

/// Steps 4 and 5 of the module documentation, for bytes that are neither UTF-16 nor binary.
fn decode_text(bytes: &[u8]) -> Result<Decoded, NotText> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(whole(text.to_owned(), UTF_8.name().into(), 0));
    }
    let mut pass = Pass::run(bytes, GB18030);
    if pass.legacy_lines > 0 {
        let sample = &pass.legacy_sample;
        let mut detector = chardetng::EncodingDetector::new(Iso2022JpDetection::Deny);
        detector.feed(sample, true);
        let guess = detector.guess(None, Utf8Detection::Deny);
        if pass.legacy_bad == 0 {
            // Every Big5 double byte is also a valid GBK one, so Big5 text "decodes" as GB18030
            // mojibake without a single error: let the detector's character statistics decide.
            if guess == BIG5 {
                let big5 = Pass::run(bytes, BIG5);
                if big5.legacy_bad == 0 {
                    pass = big5;
                }
            }
        } else if guess == GB18030 || guess == GBK {
            // GBK decodes exactly like GB18030; keep the pass already made.
        } else if [BIG5, SHIFT_JIS, EUC_JP, EUC_KR].contains(&guess) {
            let other = Pass::run(bytes, guess);
            if other.bad() <= pass.bad() {
                pass = other;
            }
        } else if mostly_ascii_letters(&guess.decode_without_bom_handling(sample).0) {
            // A single-byte encoding (windows-1252…) only for European text, which decodes to
            // mostly ASCII letters; GBK bytes in windows-1252 are all accented letters.
            pass = Pass::run(bytes, guess);
        }
    }
    pass.finish(bytes)
}

/// One line-by-line decoding of a file with a given legacy encoding.
struct Pass {
    legacy: &'static Encoding,
    text: String,
    /// Per line: the encoding used (`None` for ASCII only) and its undecodable bytes.
    lines: Vec<(Option<&'static Encoding>, u64)>,
    /// Lines whose decodings were equally good: where UTF-8's was put in `text`, its length,
    /// and the legacy decoding, used instead when the legacy encoding is the file's main one.
    ties: Vec<Tie>,
    utf8_lines: u64,
    legacy_lines: u64,
    utf8_bad: u64,
    legacy_bad: u64,
    /// The first [`DETECTOR_SAMPLE_BYTES`] (or so) of the lines not taken for UTF-8.
    legacy_sample: Vec<u8>,
}

struct Tie {
    line: usize,
    at: usize,
    utf8_len: usize,
    legacy: String,
    utf8_bad: u64,
    legacy_bad: u64,
}

impl Pass {
    fn run(bytes: &[u8], legacy: &'static Encoding) -> Self {
        let mut pass = Pass {
            legacy,
            text: String::with_capacity(bytes.len() + bytes.len() / 2),
            lines: Vec::new(),
            ties: Vec::new(),
            utf8_lines: 0,
            legacy_lines: 0,
            utf8_bad: 0,
            legacy_bad: 0,
            legacy_sample: Vec::new(),
        };
        for (start, end) in line_ranges(bytes) {
            pass.line(&bytes[start..end]);
        }
        pass
    }

    fn bad(&self) -> u64 {
        self.utf8_bad + self.legacy_bad
    }

    fn line(&mut self, line: &[u8]) {
        if line.is_ascii() {
            self.text
                .push_str(std::str::from_utf8(line).expect("ASCII is UTF-8"));
            self.lines.push((None, 0));
            return;
        }
        let utf8 = std::str::from_utf8(line).ok();
        if let Some(text) = utf8
            && reads_as_utf8(text)
        {
            self.text.push_str(text);
            self.use_utf8(0);
            return;
        }
        if self.legacy_sample.len() < DETECTOR_SAMPLE_BYTES {
            self.legacy_sample.extend_from_slice(line);
        }
        let (legacy, legacy_bad) = decode_counting(self.legacy, line);
        if legacy_bad == 0 && utf8.is_none() {
            self.text.push_str(&legacy);
            self.use_legacy(0);
            return;
        }
        // Both decodings are possible: the one with fewer errors and implausible characters.
        let at = self.text.len();
        let legacy_cost = legacy_bad + implausible_chars(&legacy);
        let utf8 = match utf8 {
            Some(text) => Some((text.to_owned(), 0)),
            None => utf8_lossy_counting(line, legacy_cost),
        };
        let Some((utf8_text, utf8_bad)) = utf8 else {
            // UTF-8 has more errors than the legacy decoding has errors and oddities.
            self.text.push_str(&legacy);
            self.use_legacy(legacy_bad);
            return;
        };
        let utf8_cost = utf8_bad + implausible_chars(&utf8_text);
        if utf8_cost < legacy_cost {
            self.text.push_str(&utf8_text);
            self.use_utf8(utf8_bad);
        } else if legacy_cost < utf8_cost {
            self.text.push_str(&legacy);
            self.use_legacy(legacy_bad);
        } else {
            self.ties.push(Tie {
                line: self.lines.len(),
                at,
                utf8_len: utf8_text.len(),
                legacy,
                utf8_bad,
                legacy_bad,
            });
            self.text.push_str(&utf8_text);
            self.lines.push((Some(UTF_8), utf8_bad));
        }
    }

    fn use_utf8(&mut self, bad: u64) {
        self.lines.push((Some(UTF_8), bad));
        self.utf8_lines += 1;
        self.utf8_bad += bad;
    }

    fn use_legacy(&mut self, bad: u64) {
        self.lines.push((Some(self.legacy), bad));
        self.legacy_lines += 1;
        self.legacy_bad += bad;
    }

    /// Settles ties in favour of the file's main encoding, counts lines per encoding, writes the
    /// warnings, and refuses a file whose non-ASCII bytes are mostly undecodable.
    fn finish(mut self, bytes: &[u8]) -> Result<Decoded, NotText> {
        let main = if self.legacy_lines > self.utf8_lines {
            self.legacy
        } else {
            UTF_8
        };
        let ties = std::mem::take(&mut self.ties);
        for tie in &ties {
            if main == UTF_8 {
                self.utf8_lines += 1;
                self.utf8_bad += tie.utf8_bad;
            } else {
                self.lines[tie.line] = (Some(self.legacy), tie.legacy_bad);
                self.legacy_lines += 1;
                self.legacy_bad += tie.legacy_bad;
            }
        }
        if main != UTF_8 && !ties.is_empty() {
            let mut text = String::with_capacity(self.text.len());
            let mut cursor = 0;
            for tie in &ties {
                text.push_str(&self.text[cursor..tie.at]);
                text.push_str(&tie.legacy);
                cursor = tie.at + tie.utf8_len;
            }
            text.push_str(&self.text[cursor..]);
            self.text = text;
        }

        let mut line_encodings: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_encoding: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
        let mut bad_lines = Vec::new();
        for (i, &(encoding, bad)) in self.lines.iter().enumerate() {
            let encoding = encoding.unwrap_or(main);
            *line_encodings
                .entry(encoding.name().to_owned())
                .or_default() += 1;
            if encoding != main {
                by_encoding
                    .entry(encoding.name())
                    .or_default()
                    .push(i as u64 + 1);
            }
            if bad > 0 {
                bad_lines.push(i as u64 + 1);
            }
        }
        let undecodable_bytes = self.bad();
        let mut used: Vec<(&String, &u64)> = line_encodings.iter().collect();
        used.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let names: Vec<&str> = used.iter().map(|(name, _)| name.as_str()).collect();
        let non_ascii = || bytes.iter().filter(|b| !b.is_ascii()).count() as u64;
        if undecodable_bytes >= 4
            && let non_ascii = non_ascii()
            && undecodable_bytes * 8 > non_ascii
        {
            return Err(NotText {
                reason: format!(
                    "implausible text: {undecodable_bytes} of its {non_ascii} non-ASCII bytes are undecodable as {} (first on line {}); re-save it as UTF-8",
                    if names.contains(&UTF_8.name()) {
                        names.join(" or ")
                    } else {
                        format!("UTF-8 or {}", names.join(" or "))
                    },
                    bad_lines.first().copied().unwrap_or(1),
                ),
            });
        }
        let mut warnings = Vec::new();
        let main_lines = line_encodings.get(main.name()).copied().unwrap_or(0);
        for (name, lines) in &by_encoding {
            warnings.push(format!(
                "{} decoded as {name}, the other {main_lines} {} as {}: the file mixes encodings; if {} wrong, re-save the file in one encoding",
                list_lines(lines),
                plural(main_lines, "line", "lines"),
                main.name(),
                if lines.len() == 1 { "it reads" } else { "they read" },
            ));
        }
        if undecodable_bytes > 0 {
            warnings.push(format!(
                "{} {} {undecodable_bytes} undecodable {} (shown as U+FFFD; decoded as {})",
                list_lines(&bad_lines),
                has(&bad_lines),
                plural(undecodable_bytes, "byte", "bytes"),
                names.join(" + "),
            ));
        }
        let encoding = if names.len() == 1 {
            names[0].to_owned()
        } else {
            format!("{} (line by line)", names.join(" + "))
        };
        let (text, control_chars) = strip_controls(self.text);
        Ok(Decoded {
            text,
            encoding,
            line_encodings,
            undecodable_bytes,
            control_chars,
            warnings,
        })
    }
}

/// `line 3`, or `lines 3, 5, 8, 13, 21 and 4 more`.
fn list_lines(lines: &[u64]) -> String {
    if let [one] = lines {
        return format!("line {one}");
    }
    let shown: Vec<String> = lines
        .iter()
        .take(MAX_LISTED_LINES)
        .map(u64::to_string)
        .collect();
    match lines.len().saturating_sub(MAX_LISTED_LINES) {
        0 => format!("lines {}", shown.join(", ")),
        more => format!("lines {} and {more} more", shown.join(", ")),
    }
}

/// `has` for one line, `have` for more.
fn has(lines: &[u64]) -> &'static str {
    if lines.len() == 1 { "has" } else { "have" }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Byte ranges of the lines of `bytes`, each with its line break (`\n`, `\r\n` or a lone `\r`).
/// In every ASCII-compatible encoding jianghu reads, these bytes stand only for themselves.
fn line_ranges(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let rest = &bytes[start..];
        let end = match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => start + i + 2,
            Some(i) => start + i + 1,
            None => bytes.len(),
        };
        let range = (start, end);
        start = end;
        Some(range)
    })
}

/// UTF-8 that settles a line by itself: a character beyond U+07FF (a three-byte sequence, where
/// CJK lives), which GBK or Big5 bytes almost never form. A short GBK line can be valid UTF-8
/// by chance, but only with two-byte sequences (`一` is `һ`, `么` is `ô`): such a line goes to
/// the decoding with fewer implausible characters, or to the file's main encoding.
fn reads_as_utf8(text: &str) -> bool {
    text.chars().any(|c| c > '\u{7FF}' && is_common(c))
}

/// Characters Chinese text (with some Latin) is made of: ASCII, Latin letters, general
/// punctuation and symbols, CJK punctuation, kana, ideographs, full-width forms.
fn is_common(c: char) -> bool {
    matches!(
        c,
        '\0'..='\u{7F}'
            | '\u{A0}'..='\u{24F}'
            | '\u{2000}'..='\u{27BF}'
            | '\u{3000}'..='\u{30FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FFEF}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// Characters outside [`is_common`] (U+FFFD not counted: it is an error, counted as such).
fn implausible_chars(text: &str) -> u64 {
    text.chars()
        .filter(|&c| c != '\u{FFFD}' && !is_common(c))
        .count() as u64
}

/// At least two thirds of the letters are ASCII: a European language, not GBK read as
/// windows-1252 (`ÖÐÎÄ`).
fn mostly_ascii_letters(text: &str) -> bool {
    let (mut letters, mut ascii) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        ascii += usize::from(c.is_ascii());
    }
    letters > 0 && ascii * 3 >= letters * 2
}

/// UTF-16 without a BOM: accepted only when one byte order decodes without errors to text with
/// no NUL or other control characters besides tab, line feed, carriage return and form feed, of
/// which at least 90% are [common](is_common) characters (UTF-8 or GBK bytes read as UTF-16 are
/// private-use, Hangul and Yi syllables in good part).
fn decode_utf16_without_bom(bytes: &[u8]) -> Option<Decoded> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    [UTF_16LE, UTF_16BE].into_iter().find_map(|encoding| {
        let (text, bad) = decode_counting(encoding, bytes);
        let plain = text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'));
        let total = text.chars().count() as u64;
        let plausible = implausible_chars(&text) * 10 <= total;
        (bad == 0 && plain && plausible).then(|| whole(text, encoding.name().into(), 0))
    })
}

/// File signatures of binary formats a corpus folder may hold, with names for the report.
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xFF\xD8\xFF", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or EPUB, DOCX)"),
    (b"\x1F\x8B", "a gzip archive"),
    (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    (b"Rar!\x1A\x07", "a RAR archive"),
    (b"\xFD7zXZ\x00", "an xz archive"),
    (
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "an old Office document",
    ),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7FELF", "an executable"),
];

/// A control byte: C0 other than tab, line feed, vertical tab, form feed and carriage return;
/// or DEL. None of them is part of a multi-byte character in the encodings read here.
fn is_control_byte(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r')) || b == 0x7F
}

/// Why `bytes` are binary, or `None` for text (possibly with a few stray control bytes).
fn binary_reason(bytes: &[u8]) -> Option<String> {
    if let Some((_, what)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return Some(format!("binary: {what}"));
    }
    let controls = bytes.iter().filter(|&&b| is_control_byte(b)).count();
    let len = bytes.len();
    (controls * 2 > len || (controls >= 16 && controls * 16 > len)).then(|| {
        format!("binary: {controls} of its {len} bytes are control bytes (text has none or a few)")
    })
}

/// A character [`strip_controls`] removes.
fn is_stray_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{85}')
}

/// Removes stray control characters; returns the text and how many were removed.
fn strip_controls(text: String) -> (String, u64) {
    // A quick look at the bytes first: C0 controls and DEL are single bytes, C1 controls are
    // C2 80..9F; most files have none.
    let bytes = text.as_bytes();
    // A branch-free pass (vectorised), then a search for the C1 lead byte (memchr).
    let c0 = bytes.iter().fold(false, |any, &b| any | is_control_byte(b));
    let c1 = || bytes.contains(&0xC2) && bytes.windows(2).any(|w| w[0] == 0xC2 && w[1] <= 0x9F);
    if !c0 && !c1() {
        return (text, 0);
    }
    let count = text.chars().filter(|&c| is_stray_control(c)).count() as u64;
    if count == 0 {
        return (text, 0);
    }
    (
        text.chars().filter(|&c| !is_stray_control(c)).collect(),
        count,
    )
}

/// Input bytes decoded per call of the decoder by [`decode_counting`].
const DECODE_CHUNK_BYTES: usize = 64 * 1024;

/// Decodes without BOM sniffing, replacing each malformed sequence by U+FFFD and counting its
/// bytes. The input goes to the decoder in chunks, each into a buffer of its own size:
/// `encoding_rs` touches every page of the output buffer's spare capacity on each call (one call
/// per malformed sequence), which over one buffer for a whole file would cost time in proportion
/// to errors × file size.
fn decode_counting(encoding: &'static Encoding, bytes: &[u8]) -> (String, u64) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::new();
    let mut bad = 0u64;
    let chunks = bytes.len().div_ceil(DECODE_CHUNK_BYTES);
    for (i, chunk) in bytes.chunks(DECODE_CHUNK_BYTES).enumerate() {
        let last = i + 1 == chunks;
        let room = |decoder: &encoding_rs::Decoder, len: usize| {
            decoder
                .max_utf8_buffer_length_without_replacement(len)
                .unwrap_or(len * 3)
                + 16
        };
        let mut piece = String::with_capacity(room(&decoder, chunk.len()));
        let mut src = chunk;
        loop {
            let (result, read) =
                decoder.decode_to_string_without_replacement(src, &mut piece, last);
            src = &src[read..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::Malformed(len, _) => {
                    bad += u64::from(len);
                    piece.push('\u{FFFD}');
                }
                DecoderResult::OutputFull => {
                    let more = room(&decoder, src.len());
                    piece.reserve(more);
                }
            }
        }
        if text.is_empty() {
            text = piece;
        } else {
            text.push_str(&piece);
        }
    }
    (text, bad)
}

/// Lossy UTF-8 (each maximal invalid sequence becomes one U+FFFD) and its undecodable bytes, or
/// `None` as soon as those are more than `give_up_above`.
fn utf8_lossy_counting(bytes: &[u8], give_up_above: u64) -> Option<(String, u64)> {
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut bad = 0u64;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            bad += chunk.invalid().len() as u64;
            if bad > give_up_above {
                return None;
            }
            text.push('\u{FFFD}');
        }
    }
    Some((text, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bytes_are_counted_not_dropped() {
        let (text, bad) = decode_counting(UTF_8, b"a\xffb\xfe");
        assert_eq!(text, "a\u{FFFD}b\u{FFFD}");
        assert_eq!(bad, 2);
        assert_eq!(
            utf8_lossy_counting(b"a\xffb\xfe", 2),
            Some(("a\u{FFFD}b\u{FFFD}".to_owned(), 2))
        );
        assert_eq!(utf8_lossy_counting(b"a\xffb\xfe", 1), None);
    }

    #[test]
    fn chunked_decoding_keeps_characters_across_chunk_ends() {
        // Two-byte GB18030 characters after one ASCII byte: every chunk end splits one.
        let text = format!("a{}", "江湖".repeat(DECODE_CHUNK_BYTES));
        let (bytes, _, _) = GB18030.encode(&text);
        let mut bytes = bytes.into_owned();
        bytes.push(0xFF);
        let (decoded, bad) = decode_counting(GB18030, &bytes);
        assert_eq!(decoded, format!("{text}\u{FFFD}"));
        assert_eq!(bad, 1);
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let bytes: Vec<u8> = "ab中文".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let decoded = decode(&bytes).unwrap();
        assert_eq!(
            (decoded.text.as_str(), decoded.encoding.as_str()),
            ("ab中文", "UTF-16LE")
        );
    }

    #[test]
    fn lines_end_at_lf_crlf_or_a_lone_cr() {
        let ranges: Vec<_> = line_ranges(b"a\nb\r\nc\rd").collect();
        assert_eq!(ranges, [(0, 2), (2, 5), (5, 7), (7, 8)]);
        assert_eq!(line_ranges(b"").count(), 0);
    }

    #[test]
    fn a_short_gbk_line_that_is_valid_utf8_stays_gbk() {
        // `一` in GBK is D2 BB, which is also UTF-8 for `һ` (Cyrillic).
        let (gbk, _, _) = GB18030.encode("第一回\n一\n风雪惊变。\n");
        let decoded = decode(&gbk).unwrap();
        assert_eq!(decoded.text, "第一回\n一\n风雪惊变。\n");
        assert_eq!(decoded.encoding, "gb18030");
        assert!(decoded.warnings.is_empty(), "{:?}", decoded.warnings);
    }

    #[test]
    fn a_gbk_line_that_is_latin_utf8_by_chance_follows_the_file() {
        // `么` in GBK is C3 B4, which is also UTF-8 for `ô`.
        let (gbk, _, _) = GB18030.encode("他说什么\n么\n好。\n");
        let decoded = decode(&gbk).unwrap();
        assert_eq!(decoded.text, "他说什么\n么\n好。\n");
        assert_eq!(decoded.encoding, "gb18030");
    }

    #[test]
    fn a_stray_byte_in_utf8_text_stays_utf8_and_is_named() {
        let mut bytes = "第一行。\n第二行。\n".as_bytes().to_vec();
        bytes.extend(b"\xff\xfe");
        bytes.extend("中文\n".as_bytes());
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.text, "第一行。\n第二行。\n\u{FFFD}\u{FFFD}中文\n");
        assert_eq!(decoded.encoding, "UTF-8");
        assert_eq!(decoded.undecodable_bytes, 2);
        assert_eq!(
            decoded.warnings,
            ["line 3 has 2 undecodable bytes (shown as U+FFFD; decoded as UTF-8)"]
        );
    }

    #[test]
    fn many_odd_lines_are_listed_briefly() {
        let mut bytes = Vec::new();
        for i in 0..20 {
            let line = format!("第{i}行：江湖风波恶，英雄出少年。\n");
            if i % 3 == 0 {
                bytes.extend(line.as_bytes());
            } else {
                bytes.extend(GB18030.encode(&line).0.iter());
            }
        }
        let decoded = decode(&bytes).unwrap();
        assert_eq!(
            decoded.line_encodings,
            BTreeMap::from([("UTF-8".to_owned(), 7), ("gb18030".to_owned(), 13)])
        );
        assert_eq!(decoded.encoding, "gb18030 + UTF-8 (line by line)");
        assert_eq!(
            decoded.warnings,
            [
                "lines 1, 4, 7, 10, 13 and 2 more decoded as UTF-8, the other 13 lines as gb18030: the file mixes encodings; if they read wrong, re-save the file in one encoding"
            ]
        );
    }

    #[test]
    fn binary_or_text_with_stray_controls() {
        assert_eq!(
            binary_reason(b"%PDF-1.4\n"),
            Some("binary: a PDF document".into())
        );
        let noise: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        assert!(binary_reason(&noise).unwrap().contains("control bytes"));
        let mut text = "江湖风波恶。".repeat(20).into_bytes();
        text.extend([0, 1, 0x1A]);
        assert_eq!(binary_reason(&text), None);
        let decoded = decode(&text).unwrap();
        assert_eq!(decoded.control_chars, 3);
        assert_eq!(decoded.text, "江湖风波恶。".repeat(20));
    }

    #[test]
    fn utf8_with_a_nul_is_not_taken_for_utf16() {
        let mut text = "郭靖道：「好。」\n黄蓉\0笑道：「走吧。」\n".to_owned();
        if !text.len().is_multiple_of(2) {
            // An even length, where UTF-16 is tried.
            text.push('!');
        }
        let decoded = decode(text.as_bytes()).unwrap();
        assert_eq!(decoded.encoding, "UTF-8");
        assert_eq!(decoded.control_chars, 1);
    }

    #[test]
    fn line_lists_are_short() {
        assert_eq!(list_lines(&[3]), "line 3");
        assert_eq!(list_lines(&[3, 9]), "lines 3, 9");
        assert_eq!(
            list_lines(&[1, 2, 3, 4, 5, 6, 7]),
            "lines 1, 2, 3, 4, 5 and 2 more"
        );
    }
}
