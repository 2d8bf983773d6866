//! Bad input and parameters: a clear message naming the problem, and no artifact left behind.

mod common;

use artifact::fixture::torch_lock;
use artifact::{Begin, Producer, StageSpec};
use common::{locked_periodic_input, periodic_input, tiny_config, train_entries};
use serde_json::json;
use std::path::{Path, PathBuf};
use train::{TrainConfig, run};

fn check(root: &Path, input: &Path, config: &TrainConfig, expected: &[&str]) {
    let err = run(input, root, config, train::RunOptions::default())
        .unwrap_err()
        .to_string();
    for part in expected {
        assert!(err.contains(part), "`{err}` lacks `{part}`");
    }
    let left: Vec<String> = train_entries(root)
        .into_iter()
        .filter(|e| !e.starts_with(".resume-"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "{err}");
}

/// A tokenize artifact of `version` holding the files of `source` with `train.u32` replaced.
fn forged_tokenize(root: &Path, source: &Path, version: u32, train: &[u32]) -> PathBuf {
    let spec = StageSpec {
        stage: "tokenize".into(),
        format_version: version,
        params: json!({"forged": train}),
        inputs: vec![],
    };
    let producer = Producer {
        crate_name: "tokenize".into(),
        version: "0.0.0".into(),
        git_rev: None,
    };
    let Begin::Staging(staging) =
        artifact::begin(root, spec, producer, artifact::Existing::Reuse).unwrap()
    else {
        panic!("fresh root")
    };
    for file in ["vocab.json", "valid.u32", "test.u32", "stats.json"] {
        std::fs::copy(source.join(file), staging.dir().join(file)).unwrap();
    }
    tokenize::write_u32_stream(&staging.dir().join("train.u32"), train).unwrap();
    staging.commit(json!({})).unwrap().dir().to_path_buf()
}

#[test]
fn bad_inputs_and_parameters_leave_no_artifact() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let input = periodic_input(root);
    let config = tiny_config();

    check(
        root,
        &root.join("nowhere"),
        &config,
        &["nowhere", "does not exist"],
    );

    let other = tmp.path().join("other");
    let mut ids: Vec<u32> = (0..200).map(|i| 2 + i % 7).collect();
    let v2 = forged_tokenize(&other, &input, 2, &ids);
    check(
        root,
        &v2,
        &config,
        &["format version 2", "reads version 1", "rerun `tokenize`"],
    );

    ids[150] = 9;
    let bad_ids = forged_tokenize(&tmp.path().join("ids"), &input, 1, &ids);
    check(
        root,
        &bad_ids,
        &config,
        &[
            "train.u32",
            "token id 9 at position 150",
            "vocabulary size 9",
        ],
    );

    let big = TrainConfig {
        batch_size: Some(50),
        seq_len: Some(30),
        ..tiny_config()
    };
    check(
        root,
        &input,
        &big,
        &["train.u32", "needs at least 1501", "--batch-size"],
    );

    let zero = TrainConfig {
        hidden_size: Some(0),
        ..tiny_config()
    };
    check(root, &input, &zero, &["hidden size 0", "--hidden-size"]);

    let bad_lr = TrainConfig {
        lr: Some(-1.0),
        ..tiny_config()
    };
    check(root, &input, &bad_lr, &["--lr -1"]);

    if !tch::Cuda::is_available() {
        let cuda = TrainConfig {
            device: "cuda".into(),
            ..tiny_config()
        };
        check(
            root,
            &input,
            &cuda,
            &["--device cuda", "CUDA is not available"],
        );
    }
    let device = TrainConfig {
        device: "gpu".into(),
        ..tiny_config()
    };
    check(
        root,
        &input,
        &device,
        &["--device gpu", "auto, cpu, cuda or cuda:N"],
    );

    let resume = TrainConfig {
        resume: Some(tmp.path().join("ids")),
        ..tiny_config()
    };
    check(root, &input, &resume, &["last.safetensors is missing"]);
}

#[test]
fn presets_resolve_to_the_documented_values() {
    use train::Preset;
    let seed = TrainConfig::preset(Preset::Seed).resolve(46_000).unwrap();
    let m = &seed.model;
    assert_eq!(
        (m.vocab_size, m.embed_dim, m.hidden_size, m.num_layers),
        (46_000, 256, 1024, 3)
    );
    assert_eq!(
        (
            seed.batch_size,
            seed.seq_len,
            seed.epochs,
            seed.lr,
            seed.clip
        ),
        (50, 30, 10, 1e-3, 0.5)
    );
    let cpu = TrainConfig {
        hidden_size: Some(64),
        ..TrainConfig::preset(Preset::Cpu)
    }
    .resolve(5896)
    .unwrap();
    assert_eq!((cpu.model.embed_dim, cpu.model.hidden_size), (128, 64));
    assert_eq!(
        (
            cpu.batch_size,
            cpu.seq_len,
            cpu.lr,
            cpu.clip,
            cpu.eval_every
        ),
        (16, 70, 4e-3, 1.0, 250)
    );
    assert_eq!(cpu.model.dropout, 0.1);
    assert_eq!(
        cpu.model.output,
        model::OutputKind::Adaptive {
            cutoffs: vec![500, 2000],
            div_value: 2.0
        }
    );
    // A budget, of time or of steps, decides the epochs unless --epochs is given.
    for budgeted in [
        TrainConfig {
            time_budget: Some(60.0),
            ..TrainConfig::preset(Preset::Cpu)
        },
        TrainConfig {
            max_steps: Some(6000),
            ..TrainConfig::preset(Preset::Cpu)
        },
    ] {
        assert_eq!(
            budgeted.resolve(5896).unwrap().epochs,
            train::config::BUDGET_EPOCHS
        );
        let capped = TrainConfig {
            epochs: Some(2),
            ..budgeted
        };
        assert_eq!(capped.resolve(5896).unwrap().epochs, 2);
    }
    assert_eq!(cpu.epochs, 5);
    // Cutoffs beyond a small vocabulary are dropped; --output-layer full overrides the preset.
    let small = TrainConfig::preset(Preset::Cpu).resolve(1000).unwrap();
    assert_eq!(
        small.model.output,
        model::OutputKind::Adaptive {
            cutoffs: vec![500],
            div_value: 2.0
        }
    );
    let full = TrainConfig {
        output_layer: Some(train::OutputArg::Full),
        ..TrainConfig::preset(Preset::Cpu)
    }
    .resolve(5896)
    .unwrap();
    assert_eq!(full.model.output, model::OutputKind::Full);
    // The params (the artifact id) leave out threads, device, resume, checkpoint_every and quiet.
    let json = serde_json::to_value(&cpu).unwrap();
    for key in ["threads", "device", "resume", "checkpoint_every", "quiet"] {
        assert!(json.get(key).is_none(), "{key}");
    }
}

#[test]
fn bits_per_character_arithmetic() {
    // 3 bits per token (3 ln 2 nats), 4 tokens, 6 characters: 12 bits / 6 = 2.
    let check = |nats: f64, tokens: u64, chars: u64, expected: f64| {
        let bpc = train::bits_per_char(nats, tokens, chars);
        assert!((bpc - expected).abs() < 1e-12, "{bpc} vs {expected}");
    };
    check(3.0 * std::f64::consts::LN_2, 4, 6, 2.0);
    check(std::f64::consts::LN_2, 10, 10, 1.0);
    check(0.0, 10, 3, 0.0);
    // A uniform model over V = 256 byte-like tokens, one character each: 8 bits.
    check(256f64.ln(), 1000, 1000, 8.0);
}

/// The flags as the binary parses them.
#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    config: TrainConfig,
}

fn parse(args: &[&str]) -> Result<TrainConfig, String> {
    use clap::Parser;
    Flags::try_parse_from(std::iter::once("train").chain(args.iter().copied()))
        .map(|f| f.config)
        .map_err(|e| e.to_string())
}

/// The error of resolving `config` for a vocabulary of 100; it must contain every `expected`.
fn resolve_error(config: &TrainConfig, expected: &[&str]) {
    let err = match config.resolve(100) {
        Ok(params) => panic!("{config:?} resolved to {params:?}"),
        Err(e) => e.to_string(),
    };
    for part in expected {
        assert!(err.contains(part), "`{err}` lacks `{part}`");
    }
}

/// 4 × the machine's logical cores: the most `--threads` accepted.
fn max_threads() -> i32 {
    4 * std::thread::available_parallelism().unwrap().get() as i32
}

#[test]
fn threads_are_checked_against_the_machine() {
    let max = max_threads();
    let range = format!("1 to {max}");
    for threads in [0, -1, max + 1, 100_000] {
        let config = TrainConfig {
            threads: Some(threads),
            ..tiny_config()
        };
        resolve_error(&config, &[&format!("--threads {threads}"), &range]);
    }
    for threads in [1, max] {
        let config = TrainConfig {
            threads: Some(threads),
            ..tiny_config()
        };
        assert!(config.resolve(100).is_ok(), "{threads}");
    }
    // Through the flags, and through the stage: refused before anything is written (libtorch
    // would panic on 0).
    let parsed = parse(&["--threads", "-2"]).unwrap();
    assert_eq!(parsed.threads, Some(-2));
    let (_lock, tmp, input) = locked_periodic_input();
    let zero = TrainConfig {
        threads: Some(0),
        ..tiny_config()
    };
    check(tmp.path(), &input, &zero, &["--threads 0", &range]);
}

#[test]
fn threads_help_says_the_range() {
    use clap::CommandFactory;
    let help = Flags::command().render_help().to_string();
    let line = format!("1 to {} here", max_threads());
    assert!(help.contains(&line), "{help}");
}

#[test]
fn float_flags_refuse_negative_and_non_finite_values_naming_the_range() {
    // Negative numbers parse, so that validation can say what is wrong with them.
    let config = parse(&["--lr", "-1", "--dropout", "-0.5", "--clip", "-2"]).unwrap();
    assert_eq!(
        (config.lr, config.dropout, config.clip),
        (Some(-1.0), Some(-0.5), Some(-2.0))
    );
    assert_eq!(parse(&["--lr-decay", "-0.5"]).unwrap().lr_decay, Some(-0.5));
    assert_eq!(
        parse(&["--hidden-size", "-3"]).unwrap().hidden_size,
        Some(-3)
    );
    assert!(parse(&["--lr", "inf"]).unwrap().lr.unwrap().is_infinite());

    let with = |f: &dyn Fn(&mut TrainConfig)| {
        let mut config = tiny_config();
        f(&mut config);
        config
    };
    let finite_positive = "must be a finite positive number";
    for lr in [-1.0, 0.0, f64::INFINITY, f64::NAN] {
        resolve_error(&with(&|c| c.lr = Some(lr)), &["--lr ", finite_positive]);
    }
    for clip in [-1.0, 0.0, f64::INFINITY, f64::NAN] {
        resolve_error(
            &with(&|c| c.clip = Some(clip)),
            &["--clip ", finite_positive],
        );
    }
    for dropout in [-0.5, 1.0, f64::INFINITY, f64::NAN] {
        resolve_error(
            &with(&|c| c.dropout = Some(dropout)),
            &["--dropout ", "[0, 1)"],
        );
    }
    for decay in [-0.5, 0.0, 1.5, f64::INFINITY, f64::NAN] {
        resolve_error(
            &with(&|c| c.lr_decay = Some(decay)),
            &["--lr-decay ", "(0, 1]"],
        );
    }
    for budget in [0.0, -1.0, f64::INFINITY, f64::NAN] {
        resolve_error(
            &with(&|c| c.time_budget = Some(budget)),
            &["--time-budget ", "more than zero"],
        );
    }
    for every in [-1.0, f64::NAN] {
        resolve_error(
            &with(&|c| c.checkpoint_every = every),
            &["--checkpoint-every", "0s or more"],
        );
    }
    resolve_error(&with(&|c| c.hidden_size = Some(-3)), &["--hidden-size"]);
    for p in [-0.1, 1.0, f64::NAN] {
        resolve_error(
            &with(&|c| c.embed_dropout = Some(p)),
            &["--embed-dropout ", "[0, 1)"],
        );
        resolve_error(
            &with(&|c| c.weight_drop = Some(p)),
            &["--weight-drop ", "[0, 1)"],
        );
    }
}

#[test]
fn regularisation_flags_reach_the_model_and_locked_dropout_needs_dropout() {
    let config = parse(&[
        "--locked-dropout",
        "--dropout",
        "0.3",
        "--embed-dropout",
        "0.1",
        "--weight-drop",
        "0.25",
    ])
    .unwrap();
    let params = config.resolve(100).unwrap();
    let r = params.model.regularisation;
    assert!(r.locked);
    assert_eq!((r.embed_dropout, r.weight_drop), (0.1, 0.25));
    // Without the flags: none, as before they existed.
    assert!(
        tiny_config()
            .resolve(100)
            .unwrap()
            .model
            .regularisation
            .is_none()
    );
    let no_dropout = parse(&["--locked-dropout", "--dropout", "0"]).unwrap();
    resolve_error(&no_dropout, &["--locked-dropout", "--dropout is 0"]);
}

#[test]
fn output_layer_flags_that_would_do_nothing_are_refused() {
    use train::{OutputArg, Preset};
    // --cutoffs with the full softmax: explicit, the seed preset's default, or tied.
    let full = TrainConfig {
        cutoffs: Some(vec![10, 50]),
        output_layer: Some(OutputArg::Full),
        ..tiny_config()
    };
    resolve_error(
        &full,
        &["--cutoffs", "full softmax", "--output-layer adaptive"],
    );
    let seed = TrainConfig {
        cutoffs: Some(vec![10, 50]),
        ..TrainConfig::preset(Preset::Seed)
    };
    resolve_error(
        &seed,
        &["--cutoffs", "preset seed", "--output-layer adaptive"],
    );
    let tied = TrainConfig {
        tie_weights: true,
        ..full.clone()
    };
    resolve_error(&tied, &["--cutoffs", "--tie-weights"]);
    // --tie-weights with the adaptive softmax (preset cpu's default).
    let tie_cpu = TrainConfig {
        tie_weights: true,
        ..TrainConfig::preset(Preset::Cpu)
    };
    resolve_error(
        &tie_cpu,
        &["--tie-weights", "preset cpu", "--output-layer full"],
    );
    // What they are for still works.
    let adaptive = TrainConfig {
        cutoffs: Some(vec![10, 50]),
        output_layer: Some(OutputArg::Adaptive),
        ..tiny_config()
    };
    assert!(adaptive.resolve(100).is_ok());
    let tie_full = TrainConfig {
        tie_weights: true,
        output_layer: Some(OutputArg::Full),
        ..TrainConfig::preset(Preset::Cpu)
    };
    assert!(tie_full.resolve(100).is_ok());
}

#[test]
fn div_values_below_one_or_with_the_full_softmax_are_refused() {
    use model::OutputKind;
    use train::{OutputArg, Preset};
    for bad in [0.5, 0.0, -2.0, f64::INFINITY, f64::NAN] {
        let config = TrainConfig {
            div_value: Some(bad),
            ..TrainConfig::preset(Preset::Cpu)
        };
        resolve_error(&config, &["--div-value", "at least 1"]);
    }
    let full = TrainConfig {
        div_value: Some(2.0),
        output_layer: Some(OutputArg::Full),
        ..tiny_config()
    };
    resolve_error(
        &full,
        &["--div-value", "full softmax", "--output-layer adaptive"],
    );
    let two = TrainConfig {
        div_value: Some(2.0),
        ..TrainConfig::preset(Preset::Cpu)
    };
    let resolved = two.resolve(6000).unwrap().model.output;
    assert!(
        matches!(resolved, OutputKind::Adaptive { div_value, .. } if div_value == 2.0),
        "{resolved:?}"
    );
}

#[test]
fn ngram_orders_outside_one_to_ten_are_refused() {
    for order in [0, 11] {
        resolve_error(
            &TrainConfig {
                ngram_order: order,
                ..tiny_config()
            },
            &["--ngram-order", &format!("{order}"), "1..=10"],
        );
    }
    assert_eq!(parse(&["--ngram-order", "3"]).unwrap().ngram_order, 3);
}
