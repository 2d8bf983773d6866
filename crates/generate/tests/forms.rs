//! `--form`, `--acrostic` and `--rhyme` on a tiny untrained model of a titled corpus: the
//! template holds exactly (line lengths, marks, line count) for several seeds, with top-k,
//! top-p and beam search, and at word level, where tokens of several characters must fit what
//! is left of a line; acrostics begin their lines; rhymes rhyme; bad input is refused with no
//! artifact left.

mod common;

use common::{Fit, Fixture, fitted_fixture, titled_fixture};
use generate::{GenerateConfig, run};
use std::path::Path;
use tokenize::Level;
use tokenize::fixture::two_tune_corpus;
use tokenize::forms::{Pattern, RhymeClass, split_title};

/// A random (untrained) model over [`two_tune_corpus`], tokenized with or without `--titles`.
fn titled_model(titles: bool) -> Fixture {
    let corpus = two_tune_corpus();
    if titles {
        titled_fixture(&corpus, 3, Level::Char)
    } else {
        fitted_fixture(&corpus, 3, 16, Fit::Random)
    }
}

fn config(forms: &[&str]) -> GenerateConfig {
    GenerateConfig {
        form: forms.iter().map(|s| s.to_string()).collect(),
        num_samples: 6,
        temperature: 1.0,
        max_tokens: 80,
        no_mixture: true,
        device: "cpu".into(),
        ..GenerateConfig::default()
    }
}

fn body(text: &str) -> &str {
    let text = text.trim_end_matches('\n');
    split_title(text).map_or(text, |(_, b)| b)
}

/// The pattern of a tune of [`two_tune_corpus`].
fn pattern_of(tune: &str) -> &'static str {
    if tune == "春江调" {
        "5，5。5，5。"
    } else {
        "4，4。6。"
    }
}

/// Asserts that the line ends of each rhyme group of a sample of [`two_tune_corpus`]'s tunes
/// share a class.
fn assert_rhymes(text: &str) {
    let ends: Vec<Option<RhymeClass>> = Pattern::line_ends(body(text))
        .into_iter()
        .map(RhymeClass::of)
        .collect();
    let groups: &[usize] = if text.starts_with("春江调") {
        &[1, 3]
    } else {
        &[0, 1, 2]
    };
    let first = ends[groups[0]];
    assert!(first.is_some(), "{text}");
    assert!(groups.iter().all(|&g| ends[g] == first), "{text}");
}

fn generate_dirs(root: &Path) -> usize {
    std::fs::read_dir(root.join("generate")).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.file_type().unwrap().is_dir())
            .count()
    })
}

#[test]
fn the_template_holds_for_seeds_top_k_top_p_and_beam() {
    let m = titled_model(true);
    let decodings = [
        config(&["春江调", "秋月调"]),
        GenerateConfig {
            seed: 9,
            top_p: Some(0.5),
            ..config(&["春江调", "秋月调"])
        },
        GenerateConfig {
            seed: 11,
            top_k: Some(3),
            repetition_penalty: 1.3,
            ..config(&["秋月调", "春江调"])
        },
        GenerateConfig {
            beam: Some(4),
            temperature: GenerateConfig::default().temperature,
            num_samples: 4,
            ..config(&["春江调", "秋月调"])
        },
    ];
    for decoding in decodings {
        let out = run(&m.train_dir, None, &decoding, artifact::Existing::Reuse).unwrap();
        assert_eq!(out.samples.len(), decoding.num_samples);
        let half = decoding.num_samples / 2;
        for (i, s) in out.samples.iter().enumerate() {
            let tune = &decoding.form[usize::from(i >= half)];
            assert!(s.text.starts_with(&format!("{tune}：")), "{}", s.text);
            let pattern = Pattern::of(body(&s.text)).map(|p| p.to_string());
            assert_eq!(
                pattern.as_deref(),
                Some(pattern_of(tune)),
                "{decoding:?}: {}",
                s.text
            );
            assert_eq!(
                s.tokens.last(),
                Some(&tokenize::EOS_ID),
                "ends after the template"
            );
        }
        assert_eq!(out.summary.forms.len(), 2);
        for f in &out.summary.forms {
            assert!(f.constrained);
            assert_eq!(f.format_conformance, 1.0, "{f:?}");
            assert!(
                f.constraint_cost.unwrap() > 0.0,
                "an untrained model pays for the mask"
            );
        }
    }
}

#[test]
fn an_acrostic_begins_the_lines_and_a_built_in_form_gets_a_title() {
    let m = titled_model(true);
    let out = run(
        &m.train_dir,
        None,
        &GenerateConfig {
            acrostic: Some("春江花".into()),
            ..config(&["五言绝句"])
        },
        artifact::Existing::Reuse,
    )
    .unwrap();
    for s in &out.samples {
        let (title, body) = split_title(s.text.trim_end()).expect("a title of its own");
        assert!(!title.is_empty() && title.chars().count() <= generate::form::MAX_TITLE_CHARS);
        assert_eq!(Pattern::of(body).unwrap().to_string(), "5，5。5，5。");
        let starts: Vec<char> = body
            .split(['，', '。'])
            .filter_map(|l| l.chars().next())
            .collect();
        assert_eq!(&starts[..3], &['春', '江', '花'], "{}", s.text);
    }
    assert_eq!(out.summary.forms[0].acrostic_conformance, Some(1.0));
}

#[test]
fn rhyme_positions_rhyme_under_the_mask() {
    let m = titled_model(true);
    let out = run(
        &m.train_dir,
        None,
        &GenerateConfig {
            rhyme: true,
            num_samples: 8,
            ..config(&["春江调", "秋月调"])
        },
        artifact::Existing::Reuse,
    )
    .unwrap();
    for s in &out.samples {
        assert_rhymes(&s.text);
    }
    for f in &out.summary.forms {
        assert_eq!((f.rhyme_conformance, f.rhyme_fallbacks), (1.0, 0), "{f:?}");
        assert_eq!(f.rhyme_positions, if f.form == "春江调" { 8 } else { 12 });
    }
    // without --rhyme an untrained model rhymes by chance only
    let free = run(
        &m.train_dir,
        None,
        &config(&["秋月调"]),
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert!(
        free.summary.forms[0].rhyme_conformance < 1.0,
        "{:?}",
        free.summary.forms
    );
}

#[test]
fn word_tokens_fill_the_lines_exactly_and_end_them_in_rhyme() {
    let m = titled_fixture(&two_tune_corpus(), 3, Level::Word);
    let vocab = m.tokenizer.vocab();
    let is_word = |id: &u32| {
        let token = vocab.token(*id);
        token.chars().count() > 1 && token.chars().all(char::is_alphanumeric)
    };
    let words = (0..vocab.len() as u32).filter(is_word).count();
    assert!(words > 5, "jieba joins the filler into words: {words}");
    let mut body_words = 0;
    for seed in [1, 2, 3] {
        let decoding = GenerateConfig {
            seed,
            rhyme: true,
            num_samples: 8,
            ..config(&["春江调", "秋月调"])
        };
        let out = run(&m.train_dir, None, &decoding, artifact::Existing::Reuse).unwrap();
        for s in &out.samples {
            let (tune, text) = split_title(s.text.trim_end()).expect("primed with its tune");
            assert_eq!(
                Pattern::of(text).unwrap().to_string(),
                pattern_of(tune),
                "{}",
                s.text
            );
            assert_rhymes(&s.text);
            // the tokens are the ones drawn: the primed title is not among them
            body_words += s.tokens.iter().filter(|t| is_word(t)).count();
        }
        for f in &out.summary.forms {
            assert_eq!(f.format_conformance, 1.0, "{f:?}");
            assert_eq!((f.rhyme_conformance, f.rhyme_fallbacks), (1.0, 0), "{f:?}");
        }
    }
    assert!(
        body_words > 0,
        "the lines were written in words, not only characters"
    );
}

#[test]
fn an_unconstrained_run_is_checked_against_its_primed_tune() {
    let m = titled_model(true);
    let out = run(
        &m.train_dir,
        None,
        &GenerateConfig {
            prompt: "春江调：".into(),
            paragraphs: Some(1),
            ..config(&[])
        },
        artifact::Existing::Reuse,
    )
    .unwrap();
    let f = &out.summary.forms[0];
    assert_eq!(
        (f.form.as_str(), f.constrained, f.samples),
        ("primed", false, 6)
    );
    let conforming = out
        .samples
        .iter()
        .filter(|s| Pattern::of(body(&s.text)).is_some_and(|p| p.to_string() == "5，5。5，5。"))
        .count();
    assert_eq!(f.conforming, conforming);
}

#[test]
fn bad_forms_are_refused_with_no_artifact() {
    let m = titled_model(true);
    let err = |c: GenerateConfig, root: &Path, train: &Path| {
        let e = run(train, None, &c, artifact::Existing::Reuse)
            .unwrap_err()
            .to_string();
        assert_eq!(generate_dirs(root), 0, "{e}");
        e
    };
    let e = err(config(&["春江"]), &m.root, &m.train_dir);
    assert!(
        e.contains("--form 春江: no form named `春江`; the closest known: 春江调")
            && e.contains("cargo xtask inspect"),
        "{e}"
    );
    let e = err(
        GenerateConfig {
            acrostic: Some("春江花月".into()),
            ..config(&["秋月调"])
        },
        &m.root,
        &m.train_dir,
    );
    assert!(e.contains("4 characters") && e.contains("3 lines"), "{e}");
    let e = err(
        GenerateConfig {
            acrostic: Some("春龙".into()),
            ..config(&["秋月调"])
        },
        &m.root,
        &m.train_dir,
    );
    assert!(e.contains("`龙` is outside the model's vocabulary"), "{e}");
    let e = err(
        GenerateConfig {
            max_tokens: 20,
            ..config(&["春江调"])
        },
        &m.root,
        &m.train_dir,
    );
    assert!(
        e.contains("--max-tokens 20") && e.contains("needs up to 25 tokens"),
        "{e}"
    );

    let untitled = titled_model(false);
    let e = err(
        GenerateConfig {
            rhyme: true,
            ..config(&["五言绝句"])
        },
        &untitled.root,
        &untitled.train_dir,
    );
    assert!(
        e.contains("--rhyme") && e.contains("without --titles"),
        "{e}"
    );
    let e = err(config(&["春江调"]), &untitled.root, &untitled.train_dir);
    assert!(e.contains("only the built-in forms"), "{e}");
    // the built-in forms work on an untitled corpus, with no title
    let out = run(
        &untitled.train_dir,
        None,
        &config(&["五言绝句"]),
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert!(out.samples.iter().all(|s| {
        Pattern::of(s.text.trim_end()).is_some_and(|p| p.to_string() == "5，5。5，5。")
    }));
}
