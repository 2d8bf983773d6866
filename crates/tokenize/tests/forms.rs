//! `--titles`: forms mined through the stage from a generated corpus of two tunes with known
//! patterns and rhymes; untitled corpora unchanged.

mod common;

use common::clean_artifact;
use tokenize::fixture::two_tune_corpus;
use tokenize::forms::FormSource;
use tokenize::{FORMS_FILE, Level, Split, TokenizeConfig, read_forms, run};

/// [`two_tune_corpus`] with more: 2 ci of 春江调 in another shape, a subtitle on each 秋月调
/// (`秋月调・其3：…`), and an untitled line.
fn corpus() -> String {
    let mut text = String::new();
    let mut qiu_yue = 0;
    for line in two_tune_corpus().lines() {
        match line.strip_prefix("秋月调：") {
            Some(body) => {
                text += &format!("秋月调・其{qiu_yue}：{body}\n");
                qiu_yue += 1;
            }
            None => text += &format!("{line}\n"),
        }
    }
    text += "春江调：天地，山云。\n春江调：天地山云风花，雨春。\n";
    text += "一行没有题目的文字。\n";
    text
}

/// A mined form as (tune, pattern, poems following it, poems of the tune, rhyme groups).
type MinedShape<'a> = (&'a str, String, usize, usize, Vec<Vec<usize>>);

fn config(titles: bool) -> TokenizeConfig {
    TokenizeConfig {
        level: Level::Char,
        split: Split {
            train: 80,
            valid: 10,
            test: 10,
        },
        titles,
        ..TokenizeConfig::default()
    }
}

#[test]
fn two_tunes_give_their_patterns_counts_and_rhymes() {
    let root = tempfile::tempdir().unwrap();
    let text = corpus();
    let clean = clean_artifact(root.path(), &[("ci.txt", &text)]);
    let out = run(&clean, None, &config(true), artifact::Existing::Reuse).unwrap();
    let forms = read_forms(&out.artifact)
        .unwrap()
        .expect("forms.json with --titles");
    assert_eq!(forms.titled_poems, 22);
    assert_eq!(forms.untitled_paragraphs, 1);
    assert_eq!(forms.tunes, 2, "the subtitle is not part of the tune");
    let shape: Vec<MinedShape> = forms
        .forms
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.pattern.to_string(),
                f.poems,
                f.poems_of_tune,
                f.rhyme_groups.clone(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            ("春江调", "5，5。5，5。".into(), 12, 14, vec![vec![1, 3]]),
            ("秋月调", "4，4。6。".into(), 8, 8, vec![vec![0, 1, 2]]),
        ]
    );
    assert!(forms.forms.iter().all(|f| f.source == FormSource::Mined));
    // 五言绝句 has 春江调's pattern: its 12 poems count for the built-in form too
    let jueju = forms.builtin.iter().find(|f| f.name == "五言绝句").unwrap();
    assert_eq!(jueju.poems, 12);
    // the text itself is tokenized as it is: the title's characters and ： are tokens
    assert!(out.tokenizer().unwrap().vocab().id("：").is_some());
}

#[test]
fn untitled_corpora_keep_their_params_and_get_no_forms() {
    let root = tempfile::tempdir().unwrap();
    let clean = clean_artifact(root.path(), &[("a.txt", "春花秋月\n夏雨冬雪\n")]);
    let config = TokenizeConfig {
        split: Split {
            train: 100,
            valid: 0,
            test: 0,
        },
        ..config(false)
    };
    let out = run(&clean, None, &config, artifact::Existing::Reuse).unwrap();
    assert!(read_forms(&out.artifact).unwrap().is_none());
    assert!(!out.artifact.path(FORMS_FILE).exists());
    let params = &out.artifact.manifest().params;
    assert!(params.get("titles").is_none(), "{params}");

    let err = run(
        &clean,
        None,
        &TokenizeConfig {
            titles: true,
            ..config
        },
        artifact::Existing::Reuse,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("--titles: no paragraph") && err.contains("drop --titles"),
        "{err}"
    );
    let tokenize_dirs = std::fs::read_dir(root.path().join("tokenize"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().unwrap().is_dir())
        .count();
    assert_eq!(tokenize_dirs, 1, "the refused run left no artifact");
}
