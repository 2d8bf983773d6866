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
        let err = match run(&f.train_dir, None, &cpu(), artifact::Existing::Reuse) {
            Ok(_) => panic!("{file}: generated from a damaged artifact"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(file) && err.contains("SHA-256"), "{err}");
        assert!(err.contains(&format!("cargo xtask {stage}")), "{err}");
        assert!(!f.root.join("generate").exists(), "{file}");
    }
}

/// SIGTERM (as Ctrl-C) in the middle of a long run: exit 130 and no staging directory left.
#[test]
fn sigterm_leaves_no_staging_directory() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let f = fixture();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jianghu-generate"))
        .args(["--model".as_ref(), f.train_dir.as_os_str()])
        .args([
            "--device",
            "cpu",
            "--no-names",
            "--num-samples",
            "100000",
            "--max-tokens",
            "200",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let generate_dir = f.root.join("generate");
    let staging = || {
        std::fs::read_dir(&generate_dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(".staging-"))
                    .count()
            })
            .unwrap_or(0)
    };
    let started = Instant::now();
    while staging() == 0 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        assert!(started.elapsed() < Duration::from_secs(60), "no staging");
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = artifact::fixture::terminate(child).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(staging(), 0, "a staging directory is left behind");
}
