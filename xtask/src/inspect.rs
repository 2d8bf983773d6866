//! `cargo xtask inspect [PATH | CORPUS[/STAGE[/ID]]]`: what is in `artifacts/`, and what one
//! artifact holds.
//!
//! A listing shows every artifact with its lineage (the upstream ids it was made from), whether
//! it is the stage's `latest`, and a few key figures. One artifact shows its manifest summary and
//! a view made for its stage (see `inspect/view.rs`). `--verify` re-hashes outputs; `--json`
//! prints the same information for scripts.

pub(crate) mod view;

use crate::pipeline::stage::Stage;
use crate::project_root;
use anyhow::{Context, Result, bail};
use artifact::{Artifact, Manifest};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Options of `cargo xtask inspect`.
#[derive(Debug, clap::Args)]
pub(crate) struct InspectArgs {
    /// What to inspect: an artifact directory, or CORPUS, CORPUS/STAGE or CORPUS/STAGE/ID under
    /// artifacts/ (ID may be `latest`); everything when omitted
    target: Option<String>,
    /// Re-hash every output and compare with the manifest
    #[arg(long)]
    verify: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    /// The artifacts root (default: artifacts/ in the workspace)
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
}

/// One row of a listing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub corpus: String,
    pub stage: String,
    pub id: String,
    pub latest: bool,
    /// `None` for a directory without a valid manifest (an interrupted or damaged run).
    pub manifest: Option<Manifest>,
    /// Set by `--verify`: `Ok` or the mismatch.
    pub verified: Option<Result<(), String>>,
}

pub(crate) fn run(args: &InspectArgs) -> Result<()> {
    let artifacts = args
        .artifacts
        .clone()
        .unwrap_or_else(|| project_root().join("artifacts"));
    let one = args
        .target
        .as_deref()
        .map(|t| resolve_one(&artifacts, t))
        .transpose()?
        .flatten();
    if let Some(dir) = one {
        let artifact = Artifact::open_any(&dir)?;
        let verified = args
            .verify
            .then(|| artifact.verify().map_err(|e| e.to_string()));
        let view = view::for_stage(&artifact)?;
        if args.json {
            let out = json!({"manifest": artifact.manifest(), "verified": verified_json(&verified), "view": view});
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            print_artifact(&artifact, &verified, &view);
        }
        return verdict(verified.iter());
    }
    let (corpus, stage) = match args.target.as_deref() {
        None => (None, None),
        Some(t) => {
            let mut parts = t.splitn(2, '/');
            (parts.next(), parts.next())
        }
    };
    let mut entries = list(&artifacts, corpus, stage)?;
    if args.verify {
        for e in &mut entries {
            if e.manifest.is_some() {
                let dir = artifacts.join(&e.corpus).join(&e.stage).join(&e.id);
                e.verified = Some(
                    Artifact::open_any(&dir)
                        .and_then(|a| a.verify())
                        .map_err(|e| e.to_string()),
                );
            }
        }
    }
    if args.json {
        let rows: Vec<Value> = entries.iter().map(entry_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "artifacts": rows }))?
        );
    } else {
        print_listing(&artifacts, &entries);
    }
    verdict(entries.iter().filter_map(|e| e.verified.as_ref()))
}

/// `Some(dir)` when `target` names one artifact; `None` when it names a corpus or a stage.
fn resolve_one(artifacts: &Path, target: &str) -> Result<Option<PathBuf>> {
    let path = Path::new(target);
    if path.join(artifact::MANIFEST_FILE).is_file() || (path.is_dir() && path.is_absolute()) {
        return Ok(Some(path.to_path_buf()));
    }
    let parts: Vec<&str> = target.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        [corpus, stage, id] => {
            let stage_dir = artifacts.join(corpus).join(stage);
            let id = if *id == "latest" {
                artifact::latest_id(&artifacts.join(corpus), stage)?.with_context(|| {
                    format!("no complete `{stage}` artifact for corpus `{corpus}`")
                })?
            } else {
                (*id).to_owned()
            };
            Ok(Some(stage_dir.join(id)))
        }
        [corpus, ..] if !artifacts.join(corpus).is_dir() => bail!(
            "no artifacts for `{corpus}` under {}: run `cargo xtask pipeline --corpus {corpus}` first",
            artifacts.display()
        ),
        _ => Ok(None),
    }
}

/// Every artifact directory under `artifacts/`, optionally of one corpus and one stage, in
/// corpus order, then pipeline stage order, then creation time.
pub(crate) fn list(
    artifacts: &Path,
    corpus: Option<&str>,
    stage: Option<&str>,
) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for corpus_name in subdirs(artifacts)? {
        if corpus.is_some_and(|c| c != corpus_name) {
            continue;
        }
        let root = artifacts.join(&corpus_name);
        // Stage folders in pipeline order (`logs/` and anything else are not artifacts).
        let mut stages: Vec<(Stage, String)> = subdirs(&root)?
            .into_iter()
            .filter_map(|name| Some((Stage::from_name(&name)?, name)))
            .collect();
        stages.sort();
        for (_, stage_name) in stages {
            if stage.is_some_and(|s| s != stage_name) {
                continue;
            }
            let stage_dir = root.join(&stage_name);
            let latest = artifact::latest_id(&root, &stage_name)?.unwrap_or_default();
            let mut rows: Vec<Entry> = subdirs(&stage_dir)?
                .into_iter()
                .map(|id| Entry {
                    corpus: corpus_name.clone(),
                    stage: stage_name.clone(),
                    latest: latest == id,
                    manifest: Manifest::read(&stage_dir.join(&id)).ok(),
                    id,
                    verified: None,
                })
                .collect();
            rows.sort_by(|a, b| created(a).cmp(created(b)).then(a.id.cmp(&b.id)));
            entries.extend(rows);
        }
    }
    Ok(entries)
}

fn created(e: &Entry) -> &str {
    e.manifest.as_ref().map_or("", |m| m.created_at.as_str())
}

/// Sorted names of the visible subdirectories (staging directories start with a dot).
fn subdirs(dir: &Path) -> Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

fn entry_json(e: &Entry) -> Value {
    let m = e.manifest.as_ref();
    json!({
        "corpus": e.corpus,
        "stage": e.stage,
        "id": e.id,
        "latest": e.latest,
        "complete": m.is_some(),
        "inputs": m.map(|m| m.inputs.iter().map(|i| json!({"stage": i.stage, "id": i.id})).collect::<Vec<_>>()),
        "created_at": m.map(|m| &m.created_at),
        "metrics": m.map(|m| &m.metrics),
        "verified": verified_json(&e.verified),
    })
}

fn verified_json(verified: &Option<Result<(), String>>) -> Value {
    match verified {
        None => Value::Null,
        Some(Ok(())) => json!(true),
        Some(Err(e)) => json!({ "error": e }),
    }
}

fn print_listing(artifacts: &Path, entries: &[Entry]) {
    if entries.is_empty() {
        println!(
            "no artifacts under {}: run `cargo xtask pipeline`",
            artifacts.display()
        );
        return;
    }
    let mut corpus = "";
    for e in entries {
        if e.corpus != corpus {
            corpus = &e.corpus;
            println!("{corpus}  ({})", artifacts.join(corpus).display());
        }
        let Some(m) = &e.manifest else {
            println!(
                "  {:<9} {}  incomplete (no manifest): an interrupted run, never read",
                e.stage, e.id
            );
            continue;
        };
        let from: Vec<String> = m
            .inputs
            .iter()
            .map(|i| format!("{}/{}", i.stage, i.id))
            .collect();
        println!(
            "  {:<9} {}{}  from {}  {}  {}",
            e.stage,
            e.id,
            if e.latest { " (latest)" } else { "" },
            from.join(", "),
            m.created_at,
            view::key_figures(&e.stage, &m.metrics)
        );
        match &e.verified {
            Some(Ok(())) => println!("            verified: {} outputs match", m.outputs.len()),
            Some(Err(err)) => println!("            VERIFY FAILED: {err}"),
            None => {}
        }
    }
}

fn print_artifact(artifact: &Artifact, verified: &Option<Result<(), String>>, view: &Value) {
    let m = artifact.manifest();
    let bytes: u64 = m.outputs.iter().map(|o| o.bytes).sum();
    println!("{} {}  ({})", m.stage, m.id, artifact.dir().display());
    println!(
        "  format version {}, made by {} {} ({}) at {} in {:.1} s",
        m.format_version,
        m.producer.crate_name,
        m.producer.version,
        m.producer.git_rev.as_deref().unwrap_or("no git revision"),
        m.created_at,
        m.elapsed_s
    );
    for input in &m.inputs {
        println!("  from {} {} ({})", input.stage, input.id, input.path);
    }
    println!("  params: {}", m.params);
    println!("  outputs: {} files, {} bytes", m.outputs.len(), bytes);
    println!("  {}", view::key_figures(&m.stage, &m.metrics));
    match verified {
        Some(Ok(())) => println!(
            "  verified: {} outputs match their SHA-256",
            m.outputs.len()
        ),
        Some(Err(err)) => println!("  VERIFY FAILED: {err}"),
        None => {}
    }
    view::print(&m.stage, view);
}

/// Fails when any verification failed, so scripts can rely on the exit status.
fn verdict<'a>(mut results: impl Iterator<Item = &'a Result<(), String>>) -> Result<()> {
    match results.find(|r| r.is_err()) {
        Some(Err(e)) => bail!("verification failed: {e}"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{entry_json, list};
    use artifact::{Begin, InputRef, Producer, StageSpec, begin};
    use serde_json::json;
    use std::path::Path;

    fn commit(
        root: &Path,
        stage: &str,
        params: serde_json::Value,
        inputs: Vec<InputRef>,
    ) -> String {
        let spec = StageSpec {
            stage: stage.into(),
            format_version: 1,
            params,
            inputs,
        };
        let producer = Producer::new("test", "0");
        let Begin::Staging(staging) =
            begin(root, spec, producer, artifact::Existing::Reuse).unwrap()
        else {
            panic!("fresh root")
        };
        std::fs::write(staging.dir().join("out.txt"), stage).unwrap();
        staging
            .commit(json!({"vocab_size": 7}))
            .unwrap()
            .id()
            .to_owned()
    }

    fn input(stage: &str, id: &str) -> Vec<InputRef> {
        vec![InputRef {
            stage: stage.into(),
            id: id.into(),
            path: format!("{stage}/{id}"),
        }]
    }

    #[test]
    fn listing_shows_lineage_latest_and_incomplete_runs_in_pipeline_order() {
        let artifacts = tempfile::tempdir().unwrap();
        let root = artifacts.path().join("songci");
        let tok_a = commit(
            &root,
            "tokenize",
            json!({"level": "word"}),
            input("clean", "c1"),
        );
        let clean = commit(&root, "clean", json!({}), input("data", "d1"));
        let tok_b = commit(
            &root,
            "tokenize",
            json!({"level": "char"}),
            input("clean", &clean),
        );
        std::fs::create_dir_all(root.join("tokenize/0000000000000000")).unwrap();
        std::fs::create_dir_all(root.join("tokenize/.staging-abc-1")).unwrap();

        let entries = list(artifacts.path(), None, None).unwrap();
        let rows: Vec<(&str, &str, bool, bool)> = entries
            .iter()
            .map(|e| {
                (
                    e.stage.as_str(),
                    e.id.as_str(),
                    e.latest,
                    e.manifest.is_some(),
                )
            })
            .collect();
        assert_eq!(rows[0], ("clean", clean.as_str(), true, true));
        assert_eq!(rows.len(), 4, "{rows:?}");
        // Incomplete directories sort first (no creation time); staging directories are hidden.
        assert_eq!(rows[1], ("tokenize", "0000000000000000", false, false));
        let tokenize_ids: Vec<&str> = rows[2..].iter().map(|r| r.1).collect();
        assert!(tokenize_ids.contains(&tok_a.as_str()) && tokenize_ids.contains(&tok_b.as_str()));
        let latest = entries
            .iter()
            .find(|e| e.latest && e.stage == "tokenize")
            .unwrap();
        assert_eq!(latest.id, tok_b);

        let row = entry_json(latest);
        assert_eq!(row["inputs"], json!([{"stage": "clean", "id": clean}]));
        assert_eq!(row["complete"], json!(true));
        assert_eq!(row["metrics"]["vocab_size"], json!(7));

        let only_clean = list(artifacts.path(), Some("songci"), Some("clean")).unwrap();
        assert_eq!(only_clean.len(), 1);
        assert!(
            list(artifacts.path(), Some("other"), None)
                .unwrap()
                .is_empty()
        );
    }
}
