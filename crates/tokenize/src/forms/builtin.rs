//! The built-in shi forms, which no title names (a shi's title is its own): quatrains (绝句)
//! and regulated verse (律诗) of five- and seven-character lines. Their rhymes are the rule
//! of regulated verse: the even lines rhyme, and in the seven-character forms the first line
//! too (its usual case; the five-character forms usually leave it out).

use crate::forms::file::{Form, FormSource};
use crate::forms::pattern::{Line, Pattern};

/// 五言绝句, 七言绝句, 五言律诗, 七言律诗, with no poem counts.
pub fn builtin_forms() -> Vec<Form> {
    let form = |name: &str, len: usize, couplets: usize| {
        let mut lines = Vec::new();
        for _ in 0..couplets {
            lines.push(Line { len, punct: '，' });
            lines.push(Line { len, punct: '。' });
        }
        let mut rhymes: Vec<usize> = (1..2 * couplets).step_by(2).collect();
        if len == 7 {
            rhymes.insert(0, 0);
        }
        Form {
            name: name.to_owned(),
            source: FormSource::Builtin,
            pattern: Pattern { lines },
            poems: 0,
            poems_of_tune: 0,
            rhyme_groups: vec![rhymes],
        }
    };
    vec![
        form("五言绝句", 5, 2),
        form("七言绝句", 7, 2),
        form("五言律诗", 5, 4),
        form("七言律诗", 7, 4),
    ]
}

#[cfg(test)]
mod tests {
    use super::builtin_forms;

    #[test]
    fn the_built_in_forms_have_their_shapes_and_rhymes() {
        let forms = builtin_forms();
        let shape: Vec<(String, String, Vec<Vec<usize>>)> = forms
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.pattern.to_string(),
                    f.rhyme_groups.clone(),
                )
            })
            .collect();
        assert_eq!(shape[0].1, "5，5。5，5。");
        assert_eq!(shape[0].2, vec![vec![1, 3]]);
        assert_eq!(shape[1].2, vec![vec![0, 1, 3]]);
        assert_eq!(shape[3].1, "7，7。7，7。7，7。7，7。");
        assert_eq!(shape[3].2, vec![vec![0, 1, 3, 5, 7]]);
    }
}
