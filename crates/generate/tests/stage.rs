//! The generate stage end to end on a tiny random model: artifact files, names mode, bad input.

mod common;

use common::{NAMES, fixture};
use generate::metrics::{WindowIndex, distinct_n, repeated_ngram_rate};
use generate::names::filter_names;
use generate::{GenerateConfig, SampleRecord, run};
use std::collections::HashSet;

fn cpu(config: GenerateConfig) -> GenerateConfig {
    GenerateConfig {
        device: "cpu".into(),
        ..config
    }
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(e) => e
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}

#[test]
fn writes_the_artifact_and_skips_a_rerun() {
    let f = fixture();
    let config = cpu(GenerateConfig {
        prompt: "郭靖".into(),
        max_tokens: 12,
        num_samples: 4,
        ..Default::default()
    });
    let out = run(&f.train_dir, None, &config).unwrap();
    assert!(!out.skipped);
    assert_eq!(
        out.artifact.dir().parent().unwrap(),
        f.root.join("generate")
    );
    assert_eq!(out.samples.len(), 4);
    let v = f.tokenizer.vocab();
    for s in &out.samples {
        assert_eq!(s.token_count, 12);
        let expected: String = s
            .tokens
            .iter()
            .map(|&t| {
                if t == 1 {
                    "\n".to_string()
                } else {
                    v.token(t).to_string()
                }
            })
            .collect();
        assert_eq!(s.text, format!("郭靖{expected}"));
        assert!(!s.text.contains(' '));
        assert!(s.mean_log_prob < 0.0);
        assert_eq!(s.params, config);
    }
    let jsonl = std::fs::read_to_string(out.artifact.path("samples.jsonl")).unwrap();
    let records: Vec<SampleRecord> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records, out.samples);
    let txt = std::fs::read_to_string(out.artifact.path("samples.txt")).unwrap();
    assert!(txt.starts_with("郭靖"));
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.artifact.path("metrics.json")).unwrap())
            .unwrap();
    assert_eq!(metrics, out.artifact.manifest().metrics);
    for key in [
        "distinct_1",
        "distinct_2",
        "repeated_4gram_rate",
        "copy_rate",
        "mean_nll",
    ] {
        assert!(metrics[key].is_number(), "{key}");
    }
    assert_eq!(metrics["tokens"], 48);
    let nll = out.summary.mean_nll;
    let from_samples = -out.samples.iter().map(|s| s.mean_log_prob).sum::<f64>() / 4.0;
    assert!((nll - from_samples).abs() < 1e-6);

    let again = run(&f.root, None, &config).unwrap();
    assert!(
        again.skipped,
        "the artifact root names the latest train artifact"
    );
    assert_eq!(again.artifact.id(), out.artifact.id());
    assert_eq!(again.samples, out.samples);

    let other = run(
        &f.train_dir,
        None,
        &GenerateConfig {
            seed: 43,
            ..config.clone()
        },
    )
    .unwrap();
    assert_ne!(other.artifact.id(), out.artifact.id());
    assert_ne!(other.samples, out.samples);
}

#[test]
fn novel_names_are_never_training_names() {
    let f = fixture();
    let config = cpu(GenerateConfig {
        prompt: "郭".into(),
        temperature: 1.0,
        max_tokens: 1,
        num_samples: 300,
        names: true,
        novel: true,
        ..Default::default()
    });
    let out = run(&f.train_dir, None, &config).unwrap();
    let training: HashSet<&str> = NAMES.lines().collect();
    let s = &out.summary;
    assert!(
        s.dropped_known > 0,
        "{s:?}: 郭 + one random character hits 郭靖 or 郭蓉"
    );
    assert_eq!(
        s.samples + s.dropped_known + s.dropped_empty + s.dropped_duplicate,
        300
    );
    assert_eq!(out.samples.len(), s.samples);
    for sample in &out.samples {
        assert!(!training.contains(sample.text.as_str()), "{}", sample.text);
        assert!(!sample.text.contains('\n') && !sample.text.is_empty());
    }
    let txt = std::fs::read_to_string(out.artifact.path("samples.txt")).unwrap();
    assert_eq!(txt.lines().count(), s.samples);

    let unique = run(
        &f.train_dir,
        None,
        &GenerateConfig {
            unique: true,
            ..config
        },
    )
    .unwrap();
    let names: Vec<&str> = unique.samples.iter().map(|s| s.text.as_str()).collect();
    let set: HashSet<&&str> = names.iter().collect();
    assert_eq!(set.len(), names.len());
    assert!(unique.summary.dropped_duplicate > 0);
}

#[test]
fn beam_through_the_stage() {
    let f = fixture();
    let config = cpu(GenerateConfig {
        beam: Some(4),
        num_samples: 2,
        max_tokens: 5,
        ..Default::default()
    });
    let out = run(&f.train_dir, None, &config).unwrap();
    assert_eq!(out.samples.len(), 2);
    assert!(out.samples[0].mean_log_prob >= out.samples[1].mean_log_prob);
}

#[test]
fn bad_input_leaves_no_artifact() {
    let f = fixture();
    let check = |config: GenerateConfig, needle: &str| {
        let err = run(&f.train_dir, None, &cpu(config))
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "`{err}` should mention {needle}");
        assert!(entries(&f.root.join("generate")).is_empty(), "{needle}");
    };
    let d = GenerateConfig::default;
    check(
        GenerateConfig {
            top_p: Some(1.5),
            ..d()
        },
        "--top-p",
    );
    check(
        GenerateConfig {
            top_p: Some(0.0),
            ..d()
        },
        "--top-p",
    );
    check(
        GenerateConfig {
            top_k: Some(0),
            ..d()
        },
        "--top-k",
    );
    check(
        GenerateConfig {
            temperature: -1.0,
            ..d()
        },
        "--temperature",
    );
    check(
        GenerateConfig {
            beam: Some(0),
            ..d()
        },
        "--beam",
    );
    check(
        GenerateConfig {
            num_samples: 0,
            ..d()
        },
        "--num-samples",
    );
    check(GenerateConfig { novel: true, ..d() }, "--names");
    let err = run(
        &f.train_dir,
        None,
        &GenerateConfig {
            device: "tpu".into(),
            ..d()
        },
    );
    assert!(err.unwrap_err().to_string().contains("--device"));

    let missing = f.dir.path().join("nowhere");
    let err = run(&missing, None, &cpu(d())).unwrap_err().to_string();
    assert!(err.contains("nowhere"), "{err}");

    // a config whose vocabulary size does not match the tokenizer
    let tokenize_dir = f.root.join("tokenize");
    let id = entries(&tokenize_dir)
        .into_iter()
        .find(|e| e != "latest" && !e.starts_with('.'))
        .unwrap();
    let bad = model::ModelConfig::new(99, 8, 16, 1);
    let train = common::train_artifact(&f.root, &tokenize_dir.join(id), &bad, 1);
    let err = run(&train, None, &cpu(d())).unwrap_err().to_string();
    assert!(err.contains("vocab size 99"), "{err}");
    assert!(entries(&f.root.join("generate")).is_empty());
}

#[test]
fn metrics_on_known_inputs() {
    assert_eq!(distinct_n(&[vec![1, 1, 2]], 1), 2.0 / 3.0);
    assert_eq!(distinct_n(&[vec![1, 1, 2], vec![1, 1]], 2), 2.0 / 3.0);
    assert_eq!(
        repeated_ngram_rate(&[vec![1, 2, 3, 4, 1, 2, 3, 4]], 4),
        1.0 / 5.0
    );
    assert_eq!(
        repeated_ngram_rate(&[vec![1, 2, 3, 4], vec![1, 2, 3, 4]], 4),
        0.0
    );
    let index = WindowIndex::build("一二三四五六七八九\n甲乙");
    assert_eq!(
        index.copied(&["一二三四五六七八", "甲乙丙丁戊己庚辛"]),
        (1, 2)
    );
    assert_eq!(index.copy_rate(&["二三四五六七八九十"]), 0.5);
    // windows do not cross paragraph ends
    assert_eq!(index.copied(&["八九\n甲乙"]), (0, 0));
    assert_eq!(
        WindowIndex::build("九\n甲乙丙丁戊己庚").copy_rate(&["九甲乙丙丁戊己庚"]),
        0.0
    );

    let known: HashSet<&str> = ["郭靖"].into();
    let f = filter_names(&["郭靖", "", "黄蓉", "黄蓉", "杨"], &known, true, true);
    assert_eq!(f.kept, vec![2, 4]);
    assert_eq!(
        (f.dropped_known, f.dropped_empty, f.dropped_duplicate),
        (1, 1, 1)
    );
}

#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    config: GenerateConfig,
}

#[test]
fn flag_defaults_match_the_default_config() {
    use clap::Parser;
    assert_eq!(
        Flags::parse_from(["generate"]).config,
        GenerateConfig::default()
    );
    let parsed = Flags::parse_from([
        "generate",
        "--prompt",
        "郭靖",
        "--temperature",
        "0",
        "--top-k",
        "5",
        "--top-p",
        "0.9",
        "--beam",
        "3",
        "--names",
        "--novel",
        "--num-samples",
        "7",
    ])
    .config;
    let expected = GenerateConfig {
        prompt: "郭靖".into(),
        temperature: 0.0,
        top_k: Some(5),
        top_p: Some(0.9),
        beam: Some(3),
        names: true,
        novel: true,
        num_samples: 7,
        ..Default::default()
    };
    assert_eq!(parsed, expected);
}

#[test]
fn streaming_reports_every_token_in_order() {
    let f = fixture();
    let config = cpu(GenerateConfig {
        prompt: "黄".into(),
        max_tokens: 9,
        num_samples: 3,
        seed: 5,
        ..Default::default()
    });
    let mut streamed = vec![String::new(); 3];
    let out = generate::run_streaming(&f.train_dir, None, &config, &mut |i, t| {
        streamed[i].push_str(t)
    })
    .unwrap();
    for (s, text) in out.samples.iter().zip(&streamed) {
        assert_eq!(s.text, format!("黄{text}"));
    }
}
