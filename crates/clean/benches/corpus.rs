//! A generated novel-like GB18030 corpus for the benchmark: the Song ci text of `data/songci`
//! (or synthetic text when that folder is missing) re-encoded to GB18030, with CRLF line ends,
//! U+3000 indentation, long paragraphs made by joining lines, chapter headings, glued credits
//! and site adverts at the start and end of every file.

use std::path::Path;

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Lines of source text: the Song ci files when present, else synthetic sentences.
fn source_lines(songci: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(songci)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    files.sort();
    let lines: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|t| t.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| !l.trim().is_empty())
        .collect();
    if !lines.is_empty() {
        return lines;
    }
    let alphabet: Vec<char> = "江湖风波恶英雄出少年剑气纵横三万里一光寒照九州侠客行天下明月"
        .chars()
        .collect();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..20_000)
        .map(|_| {
            let mut line = String::new();
            for clause in 0..4 {
                for _ in 0..7 {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    line.push(alphabet[(state >> 33) as usize % alphabet.len()]);
                }
                line.push(if clause == 3 { '。' } else { '，' });
            }
            line
        })
        .collect()
}

/// Files of roughly `file_bytes` GB18030 bytes each, `total_bytes` in all: (name, bytes).
pub fn generate(songci: &Path, total_bytes: usize, file_bytes: usize) -> Vec<(String, Vec<u8>)> {
    let lines = source_lines(songci);
    let mut files = Vec::new();
    let mut total = 0;
    let mut next = 0usize;
    while total < total_bytes {
        let n = files.len();
        let mut text = format!(
            "本书来自www.example{n}.com免费txt小说下载站\r\n更多更新免费电子书请关注www.example{n}.com\r\n"
        );
        let mut paragraph = 0usize;
        while text.len() * 2 / 3 < file_bytes {
            if paragraph.is_multiple_of(40) {
                let chapter = paragraph / 40;
                text.push_str(&format!("第{}回　风雪惊变\r\n", NUMERALS[chapter % 10]));
            }
            // Mostly paragraphs of 1 to 8 lines; every 97th is a very long one (~300 lines).
            let joined = if paragraph % 97 == 96 {
                300
            } else {
                1 + paragraph % 8
            };
            text.push_str("\u{3000}\u{3000}");
            for _ in 0..joined {
                text.push_str(&lines[next % lines.len()]);
                next += 1;
            }
            if paragraph % 250 == 249 {
                text.push_str("----〖新语丝电子文库(www.xys.org)〗");
            }
            text.push_str("\r\n");
            paragraph += 1;
        }
        text.push_str(&format!(
            "本书来自www.example{n}.com免费txt小说下载站更多更新免费电子书请关注www.example{n}.com\r\n"
        ));
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        total += bytes.len();
        files.push((format!("novel-{n:02}.txt"), bytes.into_owned()));
    }
    files
}
