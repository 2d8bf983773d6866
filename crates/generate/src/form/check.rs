//! Form metrics of finished samples, constrained or not: whether a sample's body follows its
//! form's pattern (format conformance), whether the line ends of each rhyme group rhyme (a line
//! end rhymes when another end of its group has its [`RhymeClass`]), and whether an acrostic's
//! characters begin the lines. Built without libtorch: the stage and the orchestrator both use
//! [`FormMetrics`].

use serde::{Deserialize, Serialize};
use tokenize::forms::{Form, Pattern, RhymeClass, split_title, tune_of};

/// The form figures of one set of samples (`metrics.json`'s `forms`, one per form asked for;
/// for a run without `--form` on a titled corpus, one for the forms the samples were primed
/// with or gave themselves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormMetrics {
    /// The form (`--form`), or `primed` for an unconstrained run checked against each sample's
    /// own tune.
    pub form: String,
    /// The template when one form was checked (absent for `primed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Constrained decoding (`--form`) or free generation checked afterwards.
    pub constrained: bool,
    /// Samples checked (unconstrained: those whose tune has a mined form).
    pub samples: usize,
    /// Samples whose line lengths and punctuation are exactly the template's.
    pub conforming: usize,
    /// `conforming / samples` (0 when none was checked).
    pub format_conformance: f64,
    /// Line ends in rhyme groups, over the conforming samples.
    pub rhyme_positions: usize,
    /// Of those, the ends that share their class with another end of their group.
    pub rhyming: usize,
    /// `rhyming / rhyme_positions` (0 when there are none).
    pub rhyme_conformance: f64,
    /// `--rhyme`: line ends where no token could keep the rhyme and the mask let it go.
    #[serde(default)]
    pub rhyme_fallbacks: usize,
    /// `--acrostic`: the share of its characters that begin their lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acrostic_conformance: Option<f64>,
    /// Constrained decoding: the mean per generated token of −ln(the probability mass the mask
    /// allowed), in nats; what the constraints cost in log-probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_cost: Option<f64>,
}

/// One line about `m` for the terminal and the pipeline's log.
pub fn describe(m: &FormMetrics) -> String {
    let mut line = format!(
        "form {}{}: {}/{} samples follow it ({:.1}%), rhyme positions rhyming {}/{} ({:.1}%)",
        m.form,
        m.pattern
            .as_deref()
            .map_or_else(String::new, |p| format!(" {p}")),
        m.conforming,
        m.samples,
        100.0 * m.format_conformance,
        m.rhyming,
        m.rhyme_positions,
        100.0 * m.rhyme_conformance
    );
    if let Some(a) = m.acrostic_conformance {
        line.push_str(&format!(", acrostic {:.1}%", 100.0 * a));
    }
    if let Some(c) = m.constraint_cost {
        line.push_str(&format!(", constraint cost {c:.3} nats/token"));
    }
    if m.rhyme_fallbacks > 0 {
        line.push_str(&format!(", {} rhyme fallbacks", m.rhyme_fallbacks));
    }
    if !m.constrained {
        line.push_str(" (unconstrained, checked against each sample's tune)");
    }
    line
}

/// The body of a sample's text: after its title when it has one.
pub fn body_of(text: &str) -> &str {
    let text = text.trim_end_matches('\n');
    split_title(text).map_or(text, |(_, body)| body)
}

/// (rhyming ends, ends in rhyme groups) of a body that follows `form`'s pattern.
pub fn rhymes(form: &Form, body: &str) -> (usize, usize) {
    let classes: Vec<Option<RhymeClass>> = Pattern::line_ends(body)
        .into_iter()
        .map(RhymeClass::of)
        .collect();
    let (mut rhyming, mut positions) = (0, 0);
    for group in &form.rhyme_groups {
        for &i in group {
            positions += 1;
            let class = classes.get(i).copied().flatten();
            let shared = class.is_some()
                && group
                    .iter()
                    .any(|&j| j != i && classes.get(j).copied().flatten() == class);
            rhyming += usize::from(shared);
        }
    }
    (rhyming, positions)
}

/// Accumulates [`FormMetrics`].
#[derive(Debug, Clone)]
pub struct FormTally {
    metrics: FormMetrics,
    acrostic: (usize, usize),
    cost: (f64, usize),
}

impl FormTally {
    pub fn new(form: &str, pattern: Option<&Pattern>, constrained: bool) -> Self {
        FormTally {
            metrics: FormMetrics {
                form: form.to_owned(),
                pattern: pattern.map(ToString::to_string),
                constrained,
                samples: 0,
                conforming: 0,
                format_conformance: 0.0,
                rhyme_positions: 0,
                rhyming: 0,
                rhyme_conformance: 0.0,
                rhyme_fallbacks: 0,
                acrostic_conformance: None,
                constraint_cost: None,
            },
            acrostic: (0, 0),
            cost: (0.0, 0),
        }
    }

    /// Checks one sample's text against `form` (and `acrostic`'s characters, when given).
    pub fn add(&mut self, form: &Form, text: &str, acrostic: &[char]) {
        let body = body_of(text);
        self.metrics.samples += 1;
        if Pattern::of(body).as_ref() == Some(&form.pattern) {
            self.metrics.conforming += 1;
            let (rhyming, positions) = rhymes(form, body);
            self.metrics.rhyming += rhyming;
            self.metrics.rhyme_positions += positions;
        }
        if !acrostic.is_empty() {
            let starts = line_starts(body);
            for (i, &c) in acrostic.iter().enumerate() {
                self.acrostic.1 += 1;
                self.acrostic.0 += usize::from(starts.get(i) == Some(&c));
            }
        }
    }

    /// Adds a constrained sample's cost (nats over `tokens` tokens) and rhyme fallbacks.
    pub fn add_cost(&mut self, cost: f64, tokens: usize, fallbacks: usize) {
        self.cost.0 += cost;
        self.cost.1 += tokens;
        self.metrics.rhyme_fallbacks += fallbacks;
    }

    pub fn finish(mut self) -> FormMetrics {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let m = &mut self.metrics;
        m.format_conformance = ratio(m.conforming, m.samples);
        m.rhyme_conformance = ratio(m.rhyming, m.rhyme_positions);
        if self.acrostic.1 > 0 {
            m.acrostic_conformance = Some(ratio(self.acrostic.0, self.acrostic.1));
        }
        if m.constrained {
            m.constraint_cost = Some(if self.cost.1 == 0 {
                0.0
            } else {
                self.cost.0 / self.cost.1 as f64
            });
        }
        self.metrics
    }
}

/// The first character of each line of a body.
fn line_starts(body: &str) -> Vec<char> {
    let mut starts = Vec::new();
    let mut at_start = true;
    for c in body.chars() {
        if tokenize::forms::is_punctuation(c) {
            at_start = true;
        } else if at_start && !c.is_whitespace() {
            starts.push(c);
            at_start = false;
        }
    }
    starts
}

/// The form metrics of an unconstrained run on a titled corpus: each sample checked against
/// the mined form of the tune it was primed with or wrote itself; samples whose tune has no
/// mined form are not counted.
pub fn unconstrained_metrics<'a>(
    mined: &'a [Form],
    texts: impl IntoIterator<Item = &'a str>,
) -> FormMetrics {
    let mut tally = FormTally::new("primed", None, false);
    for text in texts {
        let Some((title, _)) = split_title(text.trim_end_matches('\n')) else {
            continue;
        };
        let tune = tune_of(title);
        if let Some(form) = mined.iter().find(|f| f.name == tune) {
            tally.add(form, text, &[]);
        }
    }
    tally.finish()
}

/// The form metrics of a constrained run: per form of `requests` that got samples, its samples'
/// texts (`(form index, text with its priming, final form state)`) checked against it, with
/// the mask's cost; `acrostic` is the run's `--acrostic`.
pub fn constrained_metrics<'a>(
    requests: &[crate::form::FormRequest],
    samples: &[(usize, &'a str, &'a crate::form::FormState)],
    acrostic: &str,
) -> Vec<FormMetrics> {
    let acrostic: Vec<char> = acrostic.chars().collect();
    requests
        .iter()
        .enumerate()
        .filter(|(k, _)| samples.iter().any(|(of, _, _)| of == k))
        .map(|(k, request)| {
            let form = &request.form;
            let mut tally = FormTally::new(&form.name, Some(&form.pattern), true);
            for (_, text, state) in samples.iter().filter(|(of, _, _)| *of == k) {
                tally.add(form, text, &acrostic);
                tally.add_cost(state.cost, state.steps, state.rhyme_fallbacks);
            }
            tally.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenize::forms::FormSource;

    fn form(pattern: &str, groups: Vec<Vec<usize>>) -> Form {
        Form {
            name: "调".into(),
            source: FormSource::Mined,
            pattern: pattern.parse().unwrap(),
            poems: 5,
            poems_of_tune: 5,
            rhyme_groups: groups,
        }
    }

    #[test]
    fn conformance_and_rhymes_are_counted_per_sample_and_line_end() {
        let f = form("3，3。3。", vec![vec![1, 2]]);
        let mut tally = FormTally::new("调", Some(&f.pattern), false);
        tally.add(&f, "调：春风起，夜来香。月如霜。\n", &[]); // 香 霜: 江阳 twice
        tally.add(&f, "调：春风起，夜来香。月如钩。", &[]); // 钩: 由求
        tally.add(&f, "调：春风，夜来香。月如霜。", &[]); // 2 characters: not the pattern
        let m = tally.finish();
        assert_eq!((m.samples, m.conforming), (3, 2));
        assert_eq!((m.rhyming, m.rhyme_positions), (2, 4));
        assert!((m.format_conformance - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.constraint_cost, None);
    }

    #[test]
    fn acrostics_are_checked_line_by_line() {
        let f = form("3，3。", vec![]);
        let mut tally = FormTally::new("调", Some(&f.pattern), true);
        tally.add(&f, "春风起，江来香。", &['春', '江']);
        tally.add(&f, "春风起，夜来香。", &['春', '江']);
        tally.add_cost(1.5, 3, 0);
        let m = tally.finish();
        assert_eq!(m.acrostic_conformance, Some(0.75));
        assert_eq!(m.constraint_cost, Some(0.5));
    }
}
