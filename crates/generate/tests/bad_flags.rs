//! Flags that are out of range or would do nothing, and inputs that are not what they should
//! be: a clear error naming the flag (or a warning, for a bad line of interactive input), and
//! no artifact left behind. Some run the binary, where only it shows the problem.

mod common;

use common::{Fixture, fixture};
use generate::{GenerateConfig, continue_prompt, interactive, mode_choice, run, score_path};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn cpu(config: GenerateConfig) -> GenerateConfig {
    GenerateConfig {
        device: "cpu".into(),
        ..config
    }
}

/// Short text-mode runs.
fn text() -> GenerateConfig {
    cpu(GenerateConfig {
        max_tokens: 3,
        num_samples: 2,
        no_names: true,
        ..Default::default()
    })
}

fn generate_entries(f: &Fixture) -> Vec<String> {
    match std::fs::read_dir(f.root.join("generate")) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}

/// Runs the stage with `config`, expecting an error holding every part of `expected` and no
/// artifact.
fn refused(f: &Fixture, config: &GenerateConfig, expected: &[&str]) {
    let err = match run(&f.train_dir, None, config, artifact::Existing::Reuse) {
        Ok(out) => panic!("{config:?} wrote {}", out.artifact.dir().display()),
        Err(e) => e.to_string(),
    };
    for part in expected {
        assert!(err.contains(part), "`{err}` lacks `{part}`");
    }
    assert_eq!(generate_entries(f), Vec::<String>::new(), "{err}");
}

/// The flags as the binary parses them.
#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    config: GenerateConfig,
}

fn parse(args: &[&str]) -> GenerateConfig {
    use clap::Parser;
    match Flags::try_parse_from(std::iter::once("generate").chain(args.iter().copied())) {
        Ok(flags) => flags.config,
        Err(e) => panic!("{args:?}: {e}"),
    }
}

fn validate_error(config: &GenerateConfig, expected: &[&str]) {
    let err = match config.validate() {
        Ok(()) => panic!("{config:?} validated"),
        Err(e) => e.to_string(),
    };
    for part in expected {
        assert!(err.contains(part), "`{err}` lacks `{part}`");
    }
}

fn binary(f: &Fixture, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jianghu-generate"))
        .arg("--model")
        .arg(&f.train_dir)
        .args(["--device", "cpu"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// Item 9: the beam width.

#[test]
fn a_beam_wider_than_the_cap_or_the_vocabulary_is_refused() {
    let f = fixture();
    let vocab = f.tokenizer.vocab().len();
    assert!(vocab < 20, "the fixture's vocabulary is tiny ({vocab})");
    // Absurdly wide: refused at validation, before anything is read.
    for beam in [257, 100_000] {
        let config = GenerateConfig {
            beam: Some(beam),
            ..text()
        };
        validate_error(&config, &[&format!("--beam {beam}"), "256"]);
    }
    refused(
        &f,
        &GenerateConfig {
            beam: Some(300),
            ..text()
        },
        &["--beam 300", "256"],
    );
    // Within the cap but wider than the vocabulary: refused once the model config is read,
    // naming both numbers.
    let wide = GenerateConfig {
        beam: Some(20),
        ..text()
    };
    refused(
        &f,
        &wide,
        &["--beam 20", &format!("vocabulary of {vocab} tokens")],
    );
    let m = f.load();
    let err = mode_choice(&m, &wide).unwrap_err().to_string();
    assert!(err.contains("--beam 20"), "{err}");
    // As wide as the vocabulary is fine.
    let full = GenerateConfig {
        beam: Some(vocab),
        num_samples: 1,
        ..text()
    };
    assert_eq!(
        run(&f.train_dir, None, &full, artifact::Existing::Reuse)
            .unwrap()
            .samples
            .len(),
        1
    );
}

// Item 12c: numbers.

#[test]
fn negative_and_non_finite_numbers_parse_and_are_refused_naming_the_range() {
    let config = parse(&["--temperature", "-1", "--top-p", "-0.5"]);
    assert_eq!((config.temperature, config.top_p), (-1.0, Some(-0.5)));
    assert_eq!(
        parse(&["--repetition-penalty", "-2"]).repetition_penalty,
        -2.0
    );
    let finite = "must be 0 (greedy) or a finite positive number";
    // (`-inf` does not look like a number to the parser; `--temperature=-inf` passes it.)
    for t in ["-1", "inf", "NaN"] {
        validate_error(
            &parse(&["--temperature", t]),
            &[
                &format!("--temperature {}", t.parse::<f64>().unwrap()),
                finite,
            ],
        );
    }
    validate_error(
        &parse(&["--temperature=-inf"]),
        &["--temperature -inf", finite],
    );
    for p in ["-0.5", "0", "1.5", "inf", "NaN"] {
        validate_error(&parse(&["--top-p", p]), &["--top-p ", "(0, 1]"]);
    }
    for r in ["-2", "0.5", "inf", "NaN"] {
        validate_error(
            &parse(&["--repetition-penalty", r]),
            &["--repetition-penalty ", "finite number of at least 1"],
        );
    }
    // Through the stage: no artifact.
    let f = fixture();
    refused(
        &f,
        &GenerateConfig {
            temperature: f64::INFINITY,
            ..text()
        },
        &["--temperature inf", "finite"],
    );
}

// Item 12d: --score on something that is neither a file nor a folder.

#[cfg(unix)]
#[test]
fn score_refuses_a_path_that_is_neither_a_file_nor_a_folder() {
    let f = fixture();
    let m = f.load();
    let err = score_path(&m, Path::new("/dev/null"), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/dev/null") && err.contains("neither a regular file nor a folder"),
        "{err}"
    );
    assert!(
        err.contains("a .txt file or a folder of .txt files"),
        "{err}"
    );
    assert!(!err.contains("Not a directory"), "{err}");
}

// Item 12e: interactive input that is not UTF-8.

/// Four lines: UTF-8, GB18030 (黄蓉, whose bytes are not Big5), bytes of no encoding, UTF-8.
fn mixed_input() -> Vec<u8> {
    let mut input = "郭\n".as_bytes().to_vec();
    input.extend([0xbb, 0xc6, 0xc8, 0xd8, b'\n']);
    input.extend([b'x', 0xff, b'\n']);
    input.extend("杨\n".as_bytes());
    input
}

fn greedy() -> GenerateConfig {
    cpu(GenerateConfig {
        temperature: 0.0,
        num_samples: 1,
        max_tokens: 5,
        ..Default::default()
    })
}

#[test]
fn interactive_goes_on_past_a_line_that_is_not_utf8() {
    let f = fixture();
    let m = f.load();
    let config = greedy();
    let mut out = Vec::new();
    interactive(&m, &config, mixed_input().as_slice(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let mode = mode_choice(&m, &config).unwrap().mode;
    let answer = |prompt: &str| {
        continue_prompt(&m, &config, mode, prompt).unwrap()[0]
            .trim_end_matches('\n')
            .to_owned()
    };
    let expected = format!(
        "> {}\n\n> {}\n\n> {}\n\n> {}\n\n> \n",
        answer("郭"),
        answer("黄蓉"),
        answer("x\u{fffd}"),
        answer("杨")
    );
    assert_eq!(out, expected);
}

#[test]
fn the_binary_warns_about_each_line_that_is_not_utf8() {
    let f = fixture();
    let out = binary(
        &f,
        &["--interactive", "--temperature", "0", "--num-samples", "1"],
        &mixed_input(),
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("line 2 of standard input") && err.contains("gb18030"),
        "{err}"
    );
    assert!(
        err.contains("line 3 of standard input") && err.contains("U+FFFD"),
        "{err}"
    );
    assert!(!err.contains("line 1 ") && !err.contains("line 4"), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.matches("> ").count(), 5, "{stdout}");
}

// Item 12a: one cause, printed once.

#[test]
fn an_io_error_prints_its_cause_once() {
    let f = fixture();
    let missing = f.dir.path().join("missing.txt");
    let out = binary(&f, &["--score", missing.to_str().unwrap()], b"");
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("missing.txt"), "{err}");
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
}

// Item 12f: flags that would do nothing.

#[test]
fn sampling_flags_with_beam_or_greedy_decoding_are_refused() {
    let f = fixture();
    refused(
        &f,
        &GenerateConfig {
            beam: Some(3),
            temperature: 1.2,
            top_k: Some(4),
            ..text()
        },
        &["--beam", "--temperature and --top-k", "do nothing"],
    );
    refused(
        &f,
        &GenerateConfig {
            beam: Some(3),
            stop: Some("。".into()),
            ..text()
        },
        &["--beam", "--stop does nothing"],
    );
    refused(
        &f,
        &GenerateConfig {
            beam: Some(3),
            seed: 7,
            ..text()
        },
        &["--beam", "--seed"],
    );
    refused(
        &f,
        &GenerateConfig {
            temperature: 0.0,
            top_p: Some(0.9),
            seed: 3,
            ..text()
        },
        &["--temperature 0", "--top-p and --seed do nothing"],
    );
    // What does apply still works.
    let beam = GenerateConfig {
        beam: Some(3),
        repetition_penalty: 1.5,
        no_repeat_ngram: Some(2),
        num_samples: 1,
        ..text()
    };
    assert!(run(&f.train_dir, None, &beam, artifact::Existing::Reuse).is_ok());
}

#[test]
fn paragraphs_in_names_mode_are_refused() {
    let f = fixture();
    // --names
    refused(
        &f,
        &cpu(GenerateConfig {
            names: true,
            paragraphs: Some(2),
            max_tokens: 3,
            ..Default::default()
        }),
        &["--paragraphs 2", "--names", "one name"],
    );
    // The automatic names mode of a name list.
    refused(
        &f,
        &cpu(GenerateConfig {
            paragraphs: Some(2),
            max_tokens: 3,
            ..Default::default()
        }),
        &["--paragraphs 2", "names mode", "name list", "--no-names"],
    );
    let m = f.load();
    let err = mode_choice(
        &m,
        &GenerateConfig {
            paragraphs: Some(2),
            ..greedy()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--paragraphs 2"), "{err}");
}

#[test]
fn interactive_refuses_a_prompt_and_name_filters() {
    let f = fixture();
    let m = f.load();
    for (config, flag) in [
        (
            GenerateConfig {
                prompt: "郭".into(),
                ..greedy()
            },
            "--prompt",
        ),
        (
            GenerateConfig {
                novel: true,
                ..greedy()
            },
            "--novel",
        ),
        (
            GenerateConfig {
                unique: true,
                ..greedy()
            },
            "--unique",
        ),
    ] {
        let mut out = Vec::new();
        let err = interactive(&m, &config, "郭\n".as_bytes(), &mut out)
            .unwrap_err()
            .to_string();
        assert!(err.contains(flag) && err.contains("--interactive"), "{err}");
        assert!(out.is_empty(), "{flag}");
    }
}

#[test]
fn the_binary_refuses_flags_that_do_nothing_in_its_task() {
    let f = fixture();
    let text_file = f.dir.path().join("a.txt");
    std::fs::write(&text_file, "郭靖\n").unwrap();
    let file = text_file.to_str().unwrap();
    let out_root = f.dir.path().join("elsewhere");
    let result_file = f.dir.path().join("generate.result.json");
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["--json", "--max-tokens", "2", "--num-samples", "1"],
            vec!["--json", "without --score"],
        ),
        (
            vec!["--score", file, "--temperature", "1.2", "--top-k", "5"],
            vec!["--score", "--temperature and --top-k do nothing"],
        ),
        (
            vec!["--score", file, "--num-samples", "3", "--names"],
            vec!["--score", "--num-samples and --names"],
        ),
        (
            vec!["--score", file, "--output", out_root.to_str().unwrap()],
            vec!["--output", "--score writes none"],
        ),
        (
            vec!["--interactive", "--output", out_root.to_str().unwrap()],
            vec!["--output", "--interactive writes none"],
        ),
        (
            vec!["--score", file, "--force"],
            vec!["--force", "--score and --interactive write none"],
        ),
        (
            vec![
                "--interactive",
                "--result-file",
                result_file.to_str().unwrap(),
            ],
            vec!["--result-file", "--score and --interactive write none"],
        ),
    ];
    for (args, expected) in cases {
        let out = binary(&f, &args, b"");
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        for part in expected {
            assert!(err.contains(part), "{args:?}: `{err}` lacks `{part}`");
        }
        assert_eq!(generate_entries(&f), Vec::<String>::new(), "{args:?}");
        assert!(!out_root.exists() && !result_file.exists(), "{args:?}");
    }
    // --score with --json and --device alone works.
    let out = binary(&f, &["--score", file, "--json"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
}
