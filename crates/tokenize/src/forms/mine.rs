//! Mining templates from a titled corpus. Per tune (see [`crate::forms::title`]):
//! - **the dominant pattern**: the most frequent [`Pattern`] among the tune's poems (ties go to
//!   the pattern that sorts first as text, so the result does not depend on corpus order), kept
//!   as a form when at least [`MIN_FORM_POEMS`] poems follow it;
//! - **the rhyme groups**: over the poems that follow it, for every pair of line ends the share
//!   of poems whose two final characters fall in one [`RhymeClass`]; pairs at or above
//!   [`RHYME_AGREEMENT`] are linked, and the linked sets of two or more line ends are the
//!   groups. Chance agreement of two characters is about a tenth, so the threshold keeps only
//!   pairs that rhyme by rule; tunes that change rhyme (菩萨蛮's four couplets) get one group per
//!   rhyme, and line ends that never rhyme (the commas inside a couplet) get none.

use crate::forms::builtin::builtin_forms;
use crate::forms::file::{FORMS_FORMAT_VERSION, Form, FormSource, FormsFile};
use crate::forms::pattern::Pattern;
use crate::forms::rhyme::RhymeClass;
use crate::forms::title::{split_title, tune_of};
use std::collections::HashMap;

/// Poems that must follow a tune's dominant pattern for it to become a form: fewer say little
/// about the tune, and too little about its rhymes.
pub const MIN_FORM_POEMS: usize = 5;

/// The share of a tune's poems in which two line ends must rhyme to count as a rhyme pair.
pub const RHYME_AGREEMENT: f64 = 0.5;

/// What mining keeps of one poem.
struct Poem {
    pattern: Pattern,
    ends: Vec<Option<RhymeClass>>,
}

/// Mines the forms of the titled `paragraphs` (see the module doc) and counts how many poems of
/// the corpus follow each built-in form.
pub fn mine_forms<'a>(paragraphs: impl IntoIterator<Item = &'a str>) -> FormsFile {
    let mut by_tune: HashMap<&str, Vec<Poem>> = HashMap::new();
    let mut all_patterns: HashMap<Pattern, usize> = HashMap::new();
    let (mut titled, mut untitled, mut irregular) = (0, 0, 0);
    for paragraph in paragraphs {
        let Some((title, body)) = split_title(paragraph) else {
            untitled += 1;
            continue;
        };
        titled += 1;
        let Some(pattern) = Pattern::of(body) else {
            irregular += 1;
            continue;
        };
        *all_patterns.entry(pattern.clone()).or_default() += 1;
        let ends = Pattern::line_ends(body)
            .into_iter()
            .map(RhymeClass::of)
            .collect();
        by_tune
            .entry(tune_of(title))
            .or_default()
            .push(Poem { pattern, ends });
    }
    let tunes = by_tune.len();
    let mut forms: Vec<Form> = by_tune
        .into_iter()
        .filter_map(|(tune, poems)| mine_tune(tune, &poems))
        .collect();
    forms.sort_by(|a, b| b.poems.cmp(&a.poems).then_with(|| a.name.cmp(&b.name)));
    let builtin = builtin_forms()
        .into_iter()
        .map(|mut form| {
            form.poems = all_patterns.get(&form.pattern).copied().unwrap_or(0);
            form
        })
        .collect();
    FormsFile {
        format_version: FORMS_FORMAT_VERSION,
        titled_poems: titled,
        untitled_paragraphs: untitled,
        irregular_poems: irregular,
        tunes,
        min_poems: MIN_FORM_POEMS,
        forms,
        builtin,
    }
}

/// The form of one tune, if enough of its poems share a pattern.
fn mine_tune(tune: &str, poems: &[Poem]) -> Option<Form> {
    let mut counts: HashMap<&Pattern, usize> = HashMap::new();
    for p in poems {
        *counts.entry(&p.pattern).or_default() += 1;
    }
    let (pattern, count) = counts.into_iter().max_by(|a, b| {
        a.1.cmp(&b.1)
            .then_with(|| b.0.to_string().cmp(&a.0.to_string()))
    })?;
    if count < MIN_FORM_POEMS {
        return None;
    }
    let following: Vec<&Poem> = poems.iter().filter(|p| &p.pattern == pattern).collect();
    Some(Form {
        name: tune.to_owned(),
        source: FormSource::Mined,
        rhyme_groups: rhyme_groups(pattern.lines.len(), &following),
        pattern: pattern.clone(),
        poems: count,
        poems_of_tune: poems.len(),
    })
}

/// The rhyme groups of line ends `0..lines` over `poems` (see the module doc), each sorted,
/// ordered by their first line.
fn rhyme_groups(lines: usize, poems: &[&Poem]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..lines).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..lines {
        for j in i + 1..lines {
            let (mut same, mut known) = (0usize, 0usize);
            for p in poems {
                if let (Some(a), Some(b)) = (p.ends[i], p.ends[j]) {
                    known += 1;
                    same += usize::from(a == b);
                }
            }
            if known > 0 && same as f64 >= RHYME_AGREEMENT * known as f64 {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = vec![vec![]; lines];
    for i in 0..lines {
        let r = root(&mut parent, i);
        groups[r].push(i);
    }
    groups.retain(|g| g.len() >= 2);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tune_needs_enough_poems_and_keeps_its_dominant_pattern() {
        let mut lines = vec!["甲调：天地人和春，山水风花家。"; 6];
        lines.extend(["甲调：天地人，山水风。"; 2]);
        lines.extend(["乙调：天地人，山水风。"; 4]);
        lines.push("无题的一行");
        let file = mine_forms(lines);
        assert_eq!(file.titled_poems, 12);
        assert_eq!(file.untitled_paragraphs, 1);
        assert_eq!(file.tunes, 2);
        assert_eq!(file.forms.len(), 1, "乙调 has 4 poems, under the minimum");
        let form = &file.forms[0];
        assert_eq!(form.name, "甲调");
        assert_eq!(form.pattern.to_string(), "5，5。");
        assert_eq!((form.poems, form.poems_of_tune), (6, 8));
        // 春 chun and 家 jia never rhyme
        assert!(form.rhyme_groups.is_empty());
    }
}
