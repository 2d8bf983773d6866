//! Cutting one paragraph into tokens: jieba-rs words (HMM on) or Unicode scalars.
//!
//! The tokens are slices of the input that cover it exactly, so concatenating them gives the
//! paragraph back (which is what makes `decode(encode(s)) == s` hold).

use crate::config::Level;
use crate::user_dict::UserDict;

/// A segmenter for one level, built once (loading jieba's dictionary takes a while) and shared
/// across threads (`jieba_rs::Jieba` is `Sync`).
#[derive(Debug, Clone)]
pub enum Segmenter {
    Char,
    Word(Box<jieba_rs::Jieba>),
}

impl Segmenter {
    /// Builds the segmenter for `level`; the user dictionary only matters at word level.
    pub fn new(level: Level, user_dict: Option<&UserDict>) -> Self {
        match level {
            Level::Char => Segmenter::Char,
            Level::Word => {
                let mut jieba = jieba_rs::Jieba::new();
                if let Some(dict) = user_dict {
                    dict.apply(&mut jieba);
                }
                Segmenter::Word(Box::new(jieba))
            }
        }
    }

    /// Appends the tokens of `text` to `out`, in order.
    pub fn cut_into<'a>(&self, text: &'a str, out: &mut Vec<&'a str>) {
        match self {
            Segmenter::Char => {
                out.extend(text.char_indices().map(|(i, c)| &text[i..i + c.len_utf8()]));
            }
            Segmenter::Word(jieba) => {
                out.extend(jieba.cut(text, true).into_iter().map(|t| t.word));
            }
        }
    }

    /// The tokens of `text`, in order.
    pub fn cut<'a>(&self, text: &'a str) -> Vec<&'a str> {
        let mut out = Vec::new();
        self.cut_into(text, &mut out);
        out
    }
}
