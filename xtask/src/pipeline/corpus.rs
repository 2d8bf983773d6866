//! Which corpus a command works on: its data folder, its name and its artifacts root.

use crate::{fetch_data, project_root};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The corpora that `cargo xtask fetch-data` writes.
pub(crate) const DEFAULT_CORPORA: [&str; 3] = ["songci", "shi", "poet-names"];

/// A corpus and where its artifacts go.
#[derive(Debug, Clone)]
pub(crate) struct Corpus {
    /// The folder name, which is also the folder under the artifacts root.
    pub(crate) name: String,
    /// The folder of text files.
    pub(crate) data_dir: PathBuf,
    /// `<artifacts>/<name>`: the root under which each stage keeps its artifacts.
    pub(crate) root: PathBuf,
}

impl Corpus {
    /// Finds the corpus `spec` (a folder under data/ or a path), fetching the default corpora
    /// when one of them is asked for and missing. `artifacts` defaults to `<workspace>/artifacts`.
    pub(crate) fn resolve(spec: &str, artifacts: Option<&Path>) -> Result<Corpus> {
        let data = project_root().join("data");
        if DEFAULT_CORPORA.contains(&spec) {
            fetch_data::run(&fetch_data::FetchArgs { force: false })?;
        }
        let data_dir = if Path::new(spec).is_dir() {
            PathBuf::from(spec)
        } else {
            data.join(spec)
        };
        let how_to_add = || {
            format!(
                "available corpora: {}; to add one, put .txt files in data/<name>/ (any layout; UTF-8, UTF-16 or GB18030) and pass --corpus <name>; see data/README.md",
                available(&data).join(", ")
            )
        };
        if !data_dir.is_dir() {
            let looked = if spec.contains('/') {
                format!("no folder {spec} exists")
            } else {
                format!("neither a folder {spec}/ nor data/{spec}/ exists")
            };
            bail!("no corpus `{spec}`: {looked}; {}", how_to_add());
        }
        if !has_text_files(&data_dir) {
            bail!(
                "corpus folder {} holds no .txt files; {}",
                data_dir.display(),
                how_to_add()
            );
        }
        let name = data_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", data_dir.display()))?
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("the corpus folder has no name")?;
        let artifacts =
            artifacts.map_or_else(|| project_root().join("artifacts"), Path::to_path_buf);
        Ok(Corpus {
            root: artifacts.join(&name),
            name,
            data_dir,
        })
    }
}

/// Whether `dir` or a folder below it holds a `.txt` file.
fn has_text_files(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            has_text_files(&path)
        } else {
            path.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("txt"))
        }
    })
}

/// The default corpora plus every folder under data/.
pub(crate) fn available(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = DEFAULT_CORPORA.iter().map(|s| s.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir(data) {
        let mut found: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !names.contains(n))
            .collect();
        found.sort();
        names.extend(found);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_corpora_say_how_to_add_one() {
        let err = Corpus::resolve("no-such-corpus-here", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no corpus `no-such-corpus-here`"), "{err}");
        assert!(
            err.contains("available corpora: songci, shi, poet-names"),
            "{err}"
        );
        assert!(err.contains("put .txt files in data/<name>/"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        std::fs::write(empty.path().join("notes.md"), "not a corpus").unwrap();
        let err = Corpus::resolve(empty.path().to_str().unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds no .txt files"), "{err}");
    }

    #[test]
    fn a_path_corpus_is_named_after_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let corpus_dir = dir.path().join("wuxia");
        std::fs::create_dir_all(corpus_dir.join("book1")).unwrap();
        std::fs::write(corpus_dir.join("book1/ch1.TXT"), "江湖").unwrap();
        let artifacts = dir.path().join("out");
        let corpus = Corpus::resolve(corpus_dir.to_str().unwrap(), Some(&artifacts)).unwrap();
        assert_eq!(corpus.name, "wuxia");
        assert_eq!(corpus.root, artifacts.join("wuxia"));
    }
}
