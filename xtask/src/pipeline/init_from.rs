//! `init_from` in a corpus's `[train]` table: the model a fine-tune starts from, given as a
//! train artifact (a path, passed on as it is) or as another corpus under `data/`. A corpus is
//! resolved to its train artifact: the pipeline first runs that corpus's own pipeline up to
//! train (with its own `pipeline.toml`; skipped stage by stage when its artifacts are complete),
//! a one-stage `cargo xtask train` takes its latest train artifact.

use crate::project_root;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// What `init_from` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InitSource {
    /// A path that exists: the train stage resolves and checks it.
    Artifact(PathBuf),
    /// A corpus folder under `data/`.
    Corpus(String),
}

impl InitSource {
    /// Reads the value of `init_from`, checking that it names something, before any stage runs.
    pub(crate) fn of(value: &Path) -> Result<InitSource> {
        if value.exists() {
            // The stages run in the workspace root, wherever this command was started.
            let absolute = value.canonicalize()?;
            return Ok(InitSource::Artifact(absolute));
        }
        let data = project_root().join("data");
        let text = value.to_string_lossy();
        if value.components().count() == 1 && data.join(value).is_dir() {
            return Ok(InitSource::Corpus(text.into_owned()));
        }
        bail!(
            "[train] init_from = {text:?} is neither a train artifact (no such path) nor a corpus folder under data/ ({}); give a corpus name such as \"shi\" or a path such as \"artifacts/shi/train/<id>\"",
            super::corpus::available(&data).join(", ")
        )
    }
}

/// The init chain so far, so that corpora that fine-tune from each other are refused.
#[derive(Debug, Default, Clone)]
pub(crate) struct InitChain(Vec<String>);

impl InitChain {
    /// The chain with `corpus` added; fails when it is there already.
    pub(crate) fn then(&self, corpus: &str) -> Result<InitChain> {
        if self.0.iter().any(|c| c == corpus) {
            let mut path = self.0.clone();
            path.push(corpus.to_owned());
            bail!(
                "init_from goes round in a circle ({}): one of these corpora must train from scratch",
                path.join(" → ")
            );
        }
        let mut next = self.0.clone();
        next.push(corpus.to_owned());
        Ok(InitChain(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_a_path_a_corpus_or_an_error_naming_the_corpora() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            InitSource::of(dir.path()).unwrap(),
            InitSource::Artifact(dir.path().canonicalize().unwrap())
        );
        // The default corpora's folders hold their pipeline.toml in the repository.
        assert_eq!(
            InitSource::of(Path::new("shi")).unwrap(),
            InitSource::Corpus("shi".into())
        );
        let err = InitSource::of(Path::new("no-such-corpus"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("init_from = \"no-such-corpus\""), "{err}");
        assert!(err.contains("songci"), "{err}");
    }

    #[test]
    fn a_circle_of_corpora_is_refused() {
        let chain = InitChain::default().then("songci").unwrap();
        let chain = chain.then("shi").unwrap();
        let err = chain.then("songci").unwrap_err().to_string();
        assert!(err.contains("songci → shi → songci"), "{err}");
    }
}
