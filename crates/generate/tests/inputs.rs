//! Generate checks every file it reads against its artifact's manifest: a damaged model or
//! vocabulary is an error naming the file and the way out, never text from the wrong weights.

mod common;

use common::fixture;
use generate::{GenerateConfig, run};

fn cpu() -> GenerateConfig {
    GenerateConfig {
        device: "cpu".into(),
        max_tokens: 5,
        num_samples: 2,
        no_names: true,
        ..Default::default()
    }
}

/// Swaps two bytes of `path`: same size, other content.
fn damage(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let (a, b) = (bytes.len() / 2, bytes.len() - 2);
    bytes.swap(a, b);
    assert_ne!(bytes, std::fs::read(path).unwrap(), "{}", path.display());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn damaged_weights_or_vocabulary_are_refused_naming_the_file() {
    for (stage, file) in [("train", "model.safetensors"), ("tokenize", "vocab.json")] {
        let f = fixture();
        let dir = match stage {
            "train" => f.train_dir.clone(),
            _ => generate::load_trained(&f.train_dir, tch::Device::Cpu)
                .unwrap()
                .tokenize
                .dir()
                .to_path_buf(),
        };
        damage(&dir.join(file));
        let err = match run(&f.train_dir, None, &cpu()) {
            Ok(_) => panic!("{file}: generated from a damaged artifact"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(file) && err.contains("SHA-256"), "{err}");
        assert!(err.contains(&format!("cargo xtask {stage}")), "{err}");
        assert!(!f.root.join("generate").exists(), "{file}");
    }
}
