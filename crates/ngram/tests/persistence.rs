//! Saving and loading: an exact round trip, and a clear error naming the file for anything
//! that is not a whole model file of this version.

mod common;

use common::paragraph_stream;
use ngram::{FORMAT_VERSION, NgramError, NgramModel};
use std::path::Path;

fn model() -> NgramModel {
    NgramModel::fit(&paragraph_stream(20_000, 50, 21), 50, 5).unwrap()
}

fn assert_bad_file(path: &Path, what: &str) -> String {
    let err = NgramModel::load(path).unwrap_err();
    assert!(matches!(err, NgramError::BadFile { .. }), "{what}: {err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "{what}: the message does not name the file: {message}"
    );
    message
}

#[test]
fn save_then_load_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ngram.bin");
    let model = model();
    model.save(&path).unwrap();
    let loaded = NgramModel::load(&path).unwrap();
    assert_eq!(loaded, model);
    let valid = paragraph_stream(3_000, 50, 22);
    let a = model.token_log_probs(&valid);
    let b = loaded.token_log_probs(&valid);
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_eq!(
        loaded.distribution(&valid[..9]),
        model.distribution(&valid[..9])
    );
    // Saving again writes the same bytes.
    let again = dir.path().join("again.bin");
    loaded.save(&again).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn a_truncated_file_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ngram.bin");
    model().save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for keep in [0, 5, 12, 13, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..keep]).unwrap();
        assert_bad_file(&path, &format!("{keep} of {} bytes", bytes.len()));
    }
}

#[test]
fn trailing_bytes_and_a_foreign_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ngram.bin");
    model().save(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(0);
    std::fs::write(&path, &bytes).unwrap();
    assert!(assert_bad_file(&path, "trailing byte").contains("after the end"));
    std::fs::write(&path, b"{\"not\": \"a model\"}").unwrap();
    assert!(assert_bad_file(&path, "JSON").contains("not an n-gram model file"));
}

#[test]
fn another_format_version_is_refused_naming_the_file_and_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ngram.bin");
    model().save(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let err = NgramModel::load(&path).unwrap_err();
    assert!(
        matches!(err, NgramError::Version { found, expected, .. }
            if found == FORMAT_VERSION + 1 && expected == FORMAT_VERSION),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_damaged_model_is_refused_rather_than_queried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ngram.bin");
    let model = NgramModel::fit(&paragraph_stream(300, 20, 23), 20, 3).unwrap();
    model.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Flip bytes after the header, one at a time (the first 64, then every fifth): every
    // result either loads as a consistent model (which queries cannot make panic) or is
    // refused naming the file.
    let mut refused = 0;
    for at in (12..76.min(bytes.len())).chain((76..bytes.len()).step_by(5)) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5A;
        std::fs::write(&path, &damaged).unwrap();
        match NgramModel::load(&path) {
            Ok(loaded) => {
                let sum: f64 = loaded.distribution(&[2, 3]).iter().sum();
                assert!((sum - 1.0).abs() < 1e-9, "byte {at}: sums to {sum}");
            }
            Err(err) => {
                assert!(
                    err.to_string().contains(&path.display().to_string()),
                    "{err}"
                );
                refused += 1;
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.bin");
    let err = NgramModel::load(&path).unwrap_err();
    assert!(matches!(err, NgramError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("absent.bin"), "{err}");
}
