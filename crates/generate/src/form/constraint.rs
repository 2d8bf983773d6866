//! [`FormState`]: the state of one sample inside its template, and the mask it puts on a row of
//! log-probabilities before the sampler or the beam sees it. The rules:
//! - a line takes text tokens only while it is shorter than the template's length (at word level
//!   only tokens that fit the characters left), then exactly the template's mark;
//! - after the last line's mark only `<eos>`, and the sample is done;
//! - with an acrostic, line i's first token begins with the acrostic's i-th character;
//! - with rhymes, the token that completes a line of a rhyme group ends in the class that the
//!   group's first line end set (and that first end needs a character with a class). When no
//!   token of the row survives that (the n-gram ban, a word-level vocabulary without such a
//!   word), the rhyme of that line is dropped and counted as a fallback;
//! - for a built-in form on a titled corpus the sample writes its own title first: text of at
//!   most [`MAX_TITLE_CHARS`] characters, then `：`.
//!
//! The mask costs the sample the probability mass of what it forbids: [`FormState::cost`] sums
//! `-ln Σ p(allowed)` over the steps (`<unk>`'s own small mass, which generation bans anyway,
//! aside), the constraints' price in log-probability.

use crate::form::shapes::{Shape, TokenShapes};
use std::sync::Arc;
use tokenize::EOS_ID;
use tokenize::forms::{Line, RhymeClass, TITLE_SEPARATOR};

/// The longest title a sample writes itself (built-in forms on a titled corpus).
pub const MAX_TITLE_CHARS: usize = 12;

/// What a run asks of every sample of one form.
#[derive(Debug, Clone)]
pub struct Template {
    pub lines: Vec<Line>,
    /// The acrostic's characters, one per line from the first.
    pub acrostic: Vec<char>,
    /// The rhyme groups that `--rhyme` enforces (empty without it).
    pub rhyme_groups: Vec<Vec<usize>>,
    /// The sample writes its own title before the body.
    pub own_title: bool,
}

impl Template {
    /// Tokens a sample may need at most: every character a token, the marks, `<eos>` and a
    /// title of its own.
    pub fn max_tokens(&self) -> usize {
        let title = if self.own_title {
            MAX_TITLE_CHARS + 1
        } else {
            0
        };
        self.lines.iter().map(|l| l.len + 1).sum::<usize>() + 1 + title
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Title { filled: usize },
    Line { index: usize, filled: usize },
    Mark { index: usize },
    Eos,
    Done,
}

/// One sample's place in its template (cheap to clone: beam hypotheses carry one each).
#[derive(Debug, Clone)]
pub struct FormState {
    shapes: Arc<TokenShapes>,
    template: Arc<Template>,
    phase: Phase,
    /// The class each rhyme group's first end set.
    group_class: Vec<Option<RhymeClass>>,
    /// Lines whose rhyme was dropped because no token could satisfy it.
    pub rhyme_fallbacks: usize,
    /// Σ −ln(probability mass the mask allowed), over the masked steps (nats).
    pub cost: f64,
    pub steps: usize,
}

impl FormState {
    pub fn new(shapes: Arc<TokenShapes>, template: Arc<Template>) -> Self {
        let phase = if template.own_title {
            Phase::Title { filled: 0 }
        } else {
            Phase::Line {
                index: 0,
                filled: 0,
            }
        };
        let groups = template.rhyme_groups.len();
        FormState {
            shapes,
            template,
            phase,
            group_class: vec![None; groups],
            rhyme_fallbacks: 0,
            cost: 0.0,
            steps: 0,
        }
    }

    /// The template is complete, `<eos>` included.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The rhyme group of line `index` and the class it asks for (`None`: the first end of
    /// its group, any class will do).
    fn rhyme_of(&self, index: usize) -> Option<(usize, Option<RhymeClass>)> {
        let g = self
            .template
            .rhyme_groups
            .iter()
            .position(|g| g.contains(&index))?;
        Some((g, self.group_class[g]))
    }

    /// Whether `id` may come next; `rhyme` says whether rhymes are enforced.
    fn allows(&self, id: u32, rhyme: bool) -> bool {
        let shape = self.shapes.get(id);
        match self.phase {
            Phase::Done => false,
            Phase::Eos => id == EOS_ID,
            Phase::Mark { index } => shape == Shape::Mark(self.template.lines[index].punct),
            Phase::Title { filled } => match shape {
                Shape::Text { len, .. } => filled + len <= MAX_TITLE_CHARS,
                Shape::Mark(c) => c == TITLE_SEPARATOR && filled > 0,
                _ => false,
            },
            Phase::Line { index, filled } => {
                let Shape::Text {
                    len,
                    first,
                    rhyme: class,
                } = shape
                else {
                    return false;
                };
                let left = self.template.lines[index].len - filled;
                if len > left || (len < left && !self.shapes.has_single()) {
                    return false;
                }
                if filled == 0
                    && let Some(&c) = self.template.acrostic.get(index)
                    && first != c
                {
                    return false;
                }
                if rhyme
                    && len == left
                    && let Some((_, wanted)) = self.rhyme_of(index)
                {
                    return match wanted {
                        Some(w) => class == Some(w),
                        None => class.is_some(),
                    };
                }
                true
            }
        }
    }

    /// Sets every token of `row` (log-probabilities of the next token) that the template
    /// forbids to -inf, and adds the mass it forbade to [`Self::cost`]. Returns whether a
    /// rhyme had to be dropped for this step.
    pub fn mask(&mut self, row: &mut [f32]) -> bool {
        let enforce_rhyme = !self.template.rhyme_groups.is_empty();
        let fell_back = enforce_rhyme && !self.any_allowed(row, true);
        let rhyme = enforce_rhyme && !fell_back;
        if fell_back {
            self.rhyme_fallbacks += 1;
        }
        // The row holds log-probabilities: the mass the mask keeps is summed over whichever
        // side is smaller, so that a step inside a line (almost every token allowed) takes a
        // handful of exponentials instead of one per token; this kept masked decoding within
        // 1.5 times the time per token of free decoding (benches/form_decode.rs).
        let narrow = self.is_narrow(rhyme);
        let (mut kept, mut dropped) = (0.0f64, 0.0f64);
        for (id, value) in row.iter_mut().enumerate() {
            if self.allows(id as u32, rhyme) {
                if narrow {
                    kept += (*value as f64).exp();
                }
            } else {
                if !narrow {
                    dropped += (*value as f64).exp();
                }
                *value = f32::NEG_INFINITY;
            }
        }
        let kept = if narrow { kept } else { 1.0 - dropped };
        if kept > 0.0 {
            self.cost += -kept.min(1.0).ln();
        }
        self.steps += 1;
        fell_back
    }

    /// Whether few tokens are allowed now: a mark, `<eos>`, an acrostic's character, or (with
    /// rhymes) the last character of a rhyming line.
    fn is_narrow(&self, rhyme: bool) -> bool {
        match self.phase {
            Phase::Mark { .. } | Phase::Eos | Phase::Done => true,
            Phase::Title { .. } => false,
            Phase::Line { index, filled } => {
                (filled == 0 && self.template.acrostic.get(index).is_some())
                    || (rhyme
                        && filled + 1 == self.template.lines[index].len
                        && self.rhyme_of(index).is_some())
            }
        }
    }

    fn any_allowed(&self, row: &[f32], rhyme: bool) -> bool {
        row.iter()
            .enumerate()
            .any(|(id, v)| v.is_finite() && self.allows(id as u32, rhyme))
    }

    /// Whether the template allows `id` now, rhymes aside (the mask enforced them).
    pub fn permits(&self, id: u32) -> bool {
        self.allows(id, false)
    }

    /// The best token the template allows in `row` (already masked): what a sample takes when
    /// its sampler returned a forbidden one (every allowed token banned by the n-gram ban).
    pub fn best_allowed(&self, row: &[f32]) -> u32 {
        let mut best = None;
        for (id, &v) in row.iter().enumerate() {
            if self.allows(id as u32, false) && best.is_none_or(|(_, b)| v > b) {
                best = Some((id as u32, v));
            }
        }
        best.map_or(EOS_ID, |(id, _)| id)
    }

    /// Moves past `id`, which [`Self::permits`] allowed.
    pub fn advance(&mut self, id: u32) {
        let shape = self.shapes.get(id);
        self.phase = match (self.phase, shape) {
            (Phase::Title { filled }, Shape::Text { len, .. }) => Phase::Title {
                filled: filled + len,
            },
            (Phase::Title { .. }, _) => Phase::Line {
                index: 0,
                filled: 0,
            },
            (Phase::Line { index, filled }, Shape::Text { len, rhyme, .. }) => {
                let filled = filled + len;
                if filled < self.template.lines[index].len {
                    Phase::Line { index, filled }
                } else {
                    if let Some((g, None)) = self.rhyme_of(index) {
                        self.group_class[g] = rhyme;
                    }
                    Phase::Mark { index }
                }
            }
            (Phase::Mark { index }, _) if index + 1 < self.template.lines.len() => Phase::Line {
                index: index + 1,
                filled: 0,
            },
            (Phase::Mark { .. }, _) => Phase::Eos,
            (Phase::Eos, _) | (Phase::Done, _) => Phase::Done,
            (phase, _) => phase,
        };
    }
}
