//! Tokenize artifacts for the tests of the stages downstream (the `fixtures` feature, enabled
//! from their dev-dependencies only): the real stage at character level, the split chosen by
//! the test.

use crate::{Level, Split, TokenizeConfig, TokenizeError, TokenizeOutcome, run};
use std::path::Path;

/// Tokenizes the clean artifact `clean` into `root` at character level with `split` (train,
/// valid and test percentages) and the other parameters at their defaults.
pub fn char_artifact(
    root: &Path,
    clean: &Path,
    split: Split,
) -> Result<TokenizeOutcome, TokenizeError> {
    let config = TokenizeConfig {
        level: Level::Char,
        split,
        ..TokenizeConfig::default()
    };
    run(clean, Some(root), &config, artifact::Existing::Reuse)
}

/// [`char_artifact`] of a titled corpus (`--titles`): the artifact carries `forms.json`.
pub fn titled_char_artifact(
    root: &Path,
    clean: &Path,
    split: Split,
) -> Result<TokenizeOutcome, TokenizeError> {
    let config = TokenizeConfig {
        level: Level::Char,
        split,
        titles: true,
        ..TokenizeConfig::default()
    };
    run(clean, Some(root), &config, artifact::Existing::Reuse)
}
