//! Bad input and parameters: a clear message naming the problem, and no artifact left behind.

mod common;

use artifact::{Begin, Producer, StageSpec};
use common::{periodic_input, tiny_config, torch_lock, train_entries};
use serde_json::json;
use std::path::{Path, PathBuf};
use train::{TrainConfig, run};

fn check(root: &Path, input: &Path, config: &TrainConfig, expected: &[&str]) {
    let err = run(input, root, config).unwrap_err().to_string();
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
    let Begin::Staging(staging) = artifact::begin(root, spec, producer).unwrap() else {
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
        (64, 35, 4e-3, 1.0, 125)
    );
    assert_eq!(
        cpu.model.output,
        model::OutputKind::Adaptive {
            cutoffs: vec![500, 2000],
            div_value: 4.0
        }
    );
    // Cutoffs beyond a small vocabulary are dropped; --output-layer full overrides the preset.
    let small = TrainConfig::preset(Preset::Cpu).resolve(1000).unwrap();
    assert_eq!(
        small.model.output,
        model::OutputKind::Adaptive {
            cutoffs: vec![500],
            div_value: 4.0
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
