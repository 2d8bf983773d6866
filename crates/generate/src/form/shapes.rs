//! What each vocabulary token can be in a poem, computed once per run: text of some characters
//! (with its first character and the rhyme class of its last), one line-closing mark, `<eos>`,
//! or something a form never writes (`<unk>`, mixed text and marks, quotes, spaces).

use tokenize::forms::{RhymeClass, is_punctuation};
use tokenize::{EOS_ID, UNK_ID, Vocab};

/// The role a token can play in a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Letters or ideographs only: `len` characters of a line.
    Text {
        len: usize,
        first: char,
        rhyme: Option<RhymeClass>,
    },
    /// Exactly one of the marks that close a line (the title's `：` among them).
    Mark(char),
    /// The end of the poem.
    Eos,
    /// Never written inside a form.
    Other,
}

/// The [`Shape`] of every token of a vocabulary.
#[derive(Debug, Clone)]
pub struct TokenShapes {
    shapes: Vec<Shape>,
    /// Some one-character text token exists: any remainder of a line can be filled, so word-level
    /// tokens shorter than the rest of a line never lead into a dead end.
    has_single: bool,
}

impl TokenShapes {
    pub fn new(vocab: &Vocab) -> Self {
        let shapes: Vec<Shape> = (0..vocab.len() as u32)
            .map(|id| match id {
                EOS_ID => Shape::Eos,
                UNK_ID => Shape::Other,
                _ => shape_of(vocab.token(id)),
            })
            .collect();
        let has_single = shapes
            .iter()
            .any(|s| matches!(s, Shape::Text { len: 1, .. }));
        TokenShapes { shapes, has_single }
    }

    pub fn get(&self, id: u32) -> Shape {
        self.shapes[id as usize]
    }

    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    pub fn has_single(&self) -> bool {
        self.has_single
    }

    /// Whether some text token begins with `c` (an acrostic character can be written).
    pub fn starts_with(&self, c: char) -> bool {
        self.shapes
            .iter()
            .any(|s| matches!(s, Shape::Text { first, .. } if *first == c))
    }

    /// The id of the token that is exactly `mark`.
    pub fn mark_id(&self, mark: char) -> Option<u32> {
        self.shapes
            .iter()
            .position(|s| *s == Shape::Mark(mark))
            .map(|i| i as u32)
    }
}

fn shape_of(token: &str) -> Shape {
    let mut chars = token.chars();
    let Some(first) = chars.next() else {
        return Shape::Other;
    };
    if chars.as_str().is_empty() && is_punctuation(first) {
        return Shape::Mark(first);
    }
    if !token.chars().all(char::is_alphanumeric) {
        return Shape::Other;
    }
    let last = token.chars().next_back().expect("a first character");
    Shape::Text {
        len: token.chars().count(),
        first,
        rhyme: RhymeClass::of(last),
    }
}
