//! Tokenize artifacts and a titled corpus for the tests of this stage and the stages downstream
//! (the `fixtures` feature, enabled from dev-dependencies only): the real stage at character
//! level, the split chosen by the test.

use crate::{Level, Split, TokenizeConfig, TokenizeError, TokenizeOutcome, run};
use std::path::Path;

/// Tokenizes the clean artifact `clean` into `root` at character level with `split` (train,
/// valid and test percentages) and the other parameters at their defaults.
pub fn char_artifact(
    root: &Path,
    clean: &Path,
    split: Split,
) -> Result<TokenizeOutcome, TokenizeError> {
    let config = TokenizeConfig {
        level: Level::Char,
        split,
        ..TokenizeConfig::default()
    };
    run(clean, Some(root), &config, artifact::Existing::Reuse)
}

/// A titled corpus tokenized at `level` with `--titles`: the artifact carries `forms.json`.
pub fn titled_artifact(
    root: &Path,
    clean: &Path,
    split: Split,
    level: Level,
) -> Result<TokenizeOutcome, TokenizeError> {
    let config = TokenizeConfig {
        level,
        split,
        titles: true,
        ..TokenizeConfig::default()
    };
    run(clean, Some(root), &config, artifact::Existing::Reuse)
}

/// Line ends that never share a rhyme class at the offsets the corpus pairs them.
const FREE_ENDS: [char; 8] = ['月', '竹', '水', '里', '雪', '路', '夜', '客'];
/// Ends of one rhyme class (江阳).
const JIANG_YANG: [char; 6] = ['香', '霜', '光', '长', '方', '乡'];
/// Ends of one rhyme class (由求).
const YOU_QIU: [char; 5] = ['秋', '楼', '舟', '头', '流'];
const FILL: [char; 9] = ['天', '地', '山', '云', '风', '花', '雨', '春', '江'];

/// A titled corpus (`TITLE：BODY` a line) of two tunes whose forms are known: 12 ci of 春江调,
/// `5，5。5，5。` with lines 2 and 4 rhyming in [`JIANG_YANG`], then 8 of 秋月调, `4，4。6。` with
/// all three lines rhyming in [`YOU_QIU`].
pub fn two_tune_corpus() -> String {
    let mut text = String::new();
    for i in 0..12 {
        text += &format!(
            "春江调：{}，{}。{}，{}。\n",
            corpus_line(5, FREE_ENDS[i % 8], i),
            corpus_line(5, JIANG_YANG[i % 6], i + 1),
            corpus_line(5, FREE_ENDS[(i + 3) % 8], i + 2),
            corpus_line(5, JIANG_YANG[(i + 2) % 6], i + 3),
        );
    }
    for i in 0..8 {
        text += &format!(
            "秋月调：{}，{}。{}。\n",
            corpus_line(4, YOU_QIU[i % 5], i),
            corpus_line(4, YOU_QIU[(i + 1) % 5], i + 1),
            corpus_line(6, YOU_QIU[(i + 2) % 5], i + 2),
        );
    }
    text
}

/// `len` characters of filler ending in `end`; `salt` varies the filler from line to line.
fn corpus_line(len: usize, end: char, salt: usize) -> String {
    let mut s: String = (0..len - 1)
        .map(|k| FILL[(k + salt) % FILL.len()])
        .collect();
    s.push(end);
    s
}
