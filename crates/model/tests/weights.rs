//! Loading weights that are damaged, or that belong to another model: two different errors.

use model::{LstmLm, ModelConfig, OutputKind};
use std::path::{Path, PathBuf};
use tch::{Device, nn};

fn config() -> ModelConfig {
    ModelConfig::new(11, 4, 6, 2)
}

/// Saves a fresh model of `config` to `dir/name`.
fn saved(dir: &Path, name: &str, config: &ModelConfig) -> PathBuf {
    let vs = nn::VarStore::new(Device::Cpu);
    let _model = LstmLm::new(&vs.root(), config).unwrap();
    let path = dir.join(name);
    model::save(&vs, &path).unwrap();
    path
}

fn load_error(path: &Path, config: &ModelConfig) -> String {
    match model::load(path, config, Device::Cpu) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

fn assert_damaged(err: &str, path: &Path) {
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("damaged or truncated"), "{err}");
    assert!(err.contains("rerun the train stage"), "{err}");
    assert!(!err.contains("does not match"), "{err}");
    assert!(!err.contains("SafeTensorError"), "{err}");
}

#[test]
fn a_truncated_or_garbage_file_is_called_damaged_not_mismatched() {
    let dir = tempfile::tempdir().unwrap();
    let good = saved(dir.path(), "good.safetensors", &config());
    let bytes = std::fs::read(&good).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    // Cut in the tensor data, in the header, in the header length; garbage; empty.
    for (name, content) in [
        ("data.safetensors", bytes[..bytes.len() - 100].to_vec()),
        ("header.safetensors", bytes[..8 + header / 2].to_vec()),
        ("length.safetensors", bytes[..5].to_vec()),
        (
            "garbage.safetensors",
            "这不是权重文件，只是文字。".repeat(20).into_bytes(),
        ),
        ("empty.safetensors", vec![]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = load_error(&path, &config());
        assert_damaged(&err, &path);
    }
    let err = load_error(&dir.path().join("data.safetensors"), &config());
    assert!(err.contains("tensor data"), "{err}");
    // A missing file is an I/O error, not a damaged one.
    let missing = dir.path().join("missing.safetensors");
    let err = load_error(&missing, &config());
    assert!(err.contains("missing.safetensors"), "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn a_well_formed_file_of_another_model_names_the_tensor_and_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path(), "h6.safetensors", &config());
    // Another hidden size: same names, other shapes.
    let err = load_error(&path, &ModelConfig::new(11, 4, 7, 2));
    assert!(err.contains("h6.safetensors"), "{err}");
    assert!(err.contains("does not match the model config"), "{err}");
    // The first differing tensor in name order: 4 gates × hidden size.
    assert!(err.contains("tensor `lstm.bias_hh_l0`"), "{err}");
    assert!(err.contains("[24]") && err.contains("[28]"), "{err}");
    assert!(!err.contains("damaged"), "{err}");

    // A tied model reads the untied model's file: `output.weight` is extra, and it must not be
    // silently ignored.
    let tied = ModelConfig {
        tie_weights: true,
        ..ModelConfig::new(11, 6, 6, 2)
    };
    let untied = saved(
        dir.path(),
        "untied.safetensors",
        &ModelConfig::new(11, 6, 6, 2),
    );
    let err = load_error(&untied, &tied);
    assert!(err.contains("does not match the model config"), "{err}");
    assert!(err.contains("`output.weight`"), "{err}");

    // The other way round: the untied model misses `output.weight`.
    let tied_file = saved(dir.path(), "tied.safetensors", &tied);
    let err = load_error(&tied_file, &ModelConfig::new(11, 6, 6, 2));
    assert!(
        err.contains("`output.weight`") && err.contains("missing"),
        "{err}"
    );

    // Adaptive against full: names differ.
    let adaptive = ModelConfig {
        output: OutputKind::Adaptive {
            cutoffs: vec![3, 7],
            div_value: 2.0,
        },
        ..config()
    };
    let err = load_error(&path, &adaptive);
    assert!(err.contains("does not match the model config"), "{err}");
    assert!(err.contains("output."), "{err}");
}

#[test]
fn a_matching_file_loads_into_an_existing_var_store() {
    let dir = tempfile::tempdir().unwrap();
    tch::manual_seed(1);
    let path = saved(dir.path(), "m.safetensors", &config());
    let mut vs = nn::VarStore::new(Device::Cpu);
    let _model = LstmLm::new(&vs.root(), &config()).unwrap();
    model::load_into(&mut vs, &path).unwrap();
    let (other, _) = model::load(&path, &config(), Device::Cpu).unwrap();
    let (a, b) = (vs.variables(), other.variables());
    for (name, t) in &a {
        assert_eq!(t, &b[name], "{name}");
        assert!(t.requires_grad(), "{name} stays trainable");
    }
}
