//! Turning a file's bytes into text: BOM, then strict UTF-8, then GB18030 (unless `chardetng`
//! recognises Big5, whose bytes GB18030 also accepts), then a `chardetng` guess. Undecodable bytes become U+FFFD and are counted; files with NUL bytes that are not
//! UTF-16 are binary and are not decoded at all.

use chardetng::{Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

/// How much of a file the encoding detector reads.
const DETECTOR_SAMPLE_BYTES: usize = 64 * 1024;

/// A decoded text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding name, as `encoding_rs` spells it (`UTF-8`, `UTF-16LE`, `gb18030`, `Big5`…),
    /// with ` (BOM)` appended when a byte order mark decided it.
    pub encoding: String,
    /// Bytes that were malformed in that encoding (each malformed sequence became one U+FFFD).
    pub undecodable_bytes: u64,
}

/// Why bytes were not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotText {
    pub reason: String,
}

/// Decodes `bytes` following the order above.
pub fn decode(bytes: &[u8]) -> Result<Decoded, NotText> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, undecodable_bytes) = decode_counting(encoding, &bytes[bom_len..]);
        return Ok(Decoded {
            text,
            encoding: format!("{} (BOM)", encoding.name()),
            undecodable_bytes,
        });
    }
    if bytes.contains(&0) {
        return decode_utf16_without_bom(bytes).ok_or_else(|| NotText {
            reason: "binary: contains NUL bytes and is not UTF-16".into(),
        });
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: text.to_owned(),
            encoding: UTF_8.name().into(),
            undecodable_bytes: 0,
        });
    }
    let (text, bad) = decode_counting(GB18030, bytes);
    // A prefix is plenty for the detector's statistics and keeps it off the hot path.
    let sample = &bytes[..bytes.len().min(DETECTOR_SAMPLE_BYTES)];
    let mut detector = chardetng::EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(sample, sample.len() == bytes.len());
    let guess = detector.guess(None, Utf8Detection::Deny);
    if bad == 0 {
        // Every Big5 double byte is also a valid GBK one, so Big5 text "decodes" as GB18030
        // mojibake without a single error: let the detector's character statistics decide.
        if guess == encoding_rs::BIG5 {
            let (big5_text, big5_bad) = decode_counting(guess, bytes);
            if big5_bad == 0 {
                return Ok(Decoded {
                    text: big5_text,
                    encoding: guess.name().into(),
                    undecodable_bytes: 0,
                });
            }
        }
        return Ok(Decoded {
            text,
            encoding: GB18030.name().into(),
            undecodable_bytes: 0,
        });
    }
    if guess == GB18030 || guess == encoding_rs::GBK {
        // GBK decodes exactly like GB18030; keep the attempt already made.
        return Ok(Decoded {
            text,
            encoding: GB18030.name().into(),
            undecodable_bytes: bad,
        });
    }
    let (text, undecodable_bytes) = decode_counting(guess, bytes);
    Ok(Decoded {
        text,
        encoding: guess.name().into(),
        undecodable_bytes,
    })
}

/// UTF-16 without a BOM: accepted only when one byte order decodes without errors to text with
/// no NUL or other control characters besides tab, line feed, carriage return and form feed.
fn decode_utf16_without_bom(bytes: &[u8]) -> Option<Decoded> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    [UTF_16LE, UTF_16BE].into_iter().find_map(|encoding| {
        let (text, bad) = decode_counting(encoding, bytes);
        let plain = text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'));
        (bad == 0 && plain).then(|| Decoded {
            text,
            encoding: encoding.name().into(),
            undecodable_bytes: 0,
        })
    })
}

/// Decodes without BOM sniffing, replacing each malformed sequence by U+FFFD and counting its
/// bytes.
fn decode_counting(encoding: &'static Encoding, bytes: &[u8]) -> (String, u64) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3)
        + 16;
    let mut text = String::with_capacity(capacity);
    let mut bad = 0u64;
    let mut src = bytes;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(src, &mut text, true);
        src = &src[read..];
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::Malformed(len, _) => {
                bad += u64::from(len);
                text.push('\u{FFFD}');
            }
            DecoderResult::OutputFull => {
                let more = decoder
                    .max_utf8_buffer_length_without_replacement(src.len())
                    .unwrap_or(src.len() * 3)
                    + 16;
                text.reserve(more);
            }
        }
    }
    (text, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bytes_are_counted_not_dropped() {
        let (text, bad) = decode_counting(UTF_8, b"a\xffb\xfe");
        assert_eq!(text, "a\u{FFFD}b\u{FFFD}");
        assert_eq!(bad, 2);
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
}
