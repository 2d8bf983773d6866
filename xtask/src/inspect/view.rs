//! The part of `inspect` made for each stage: what a user wants to see of that kind of artifact.
//! Views are built as JSON (so `--json` carries them) and printed from it. They read the files
//! each stage documents (`report.json`, `vocab.json`, `stats.json`, the token streams,
//! `metrics.jsonl`, `samples.jsonl`) as plain JSON and bytes, so xtask needs none of the stage
//! crates.

mod generate;
mod train;

use anyhow::{Context, Result};
use artifact::Artifact;
use serde_json::{Value, json};

/// Paragraphs or tokens shown in a sample.
const SAMPLE_ITEMS: usize = 3;
const SAMPLE_CHARS: usize = 60;
const TOP_TOKENS: usize = 20;

/// The stage's view of `artifact`, or `null` for a stage this version does not know.
pub(crate) fn for_stage(artifact: &Artifact) -> Result<Value> {
    match artifact.manifest().stage.as_str() {
        "clean" => clean(artifact),
        "tokenize" => tokenize(artifact),
        "train" => train::view(artifact),
        "generate" => generate::view(artifact),
        _ => Ok(Value::Null),
    }
}

/// One line of the figures that matter most for a stage, from its manifest metrics (keys may
/// be dotted paths into nested objects).
pub(crate) fn key_figures(stage: &str, metrics: &Value) -> String {
    let keys: &[&str] = match stage {
        "clean" => &["files", "chars_out", "paragraphs", "undecodable_bytes"],
        "tokenize" => &["vocab_size", "unk_rate"],
        "train" => &[
            "valid.bits_per_char",
            "test.bits_per_char",
            "baseline.valid.bits_per_char",
            "baseline.mixture.valid.bits_per_char",
            "steps",
            "train_tokens_per_s",
        ],
        "generate" => &["samples", "distinct_2", "copy_rate", "mixture_lambda"],
        _ => &[],
    };
    keys.iter()
        .filter_map(|k| {
            let value = k.split('.').try_fold(metrics, |v, part| v.get(part))?;
            Some(format!("{k}={}", short(value)))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn short(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if v.is_f64() => format!("{f:.4}"),
        _ => v.to_string(),
    }
}

fn read_json(artifact: &Artifact, rel: &str) -> Result<Value> {
    let path = artifact.path(rel);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// A JSON-lines file of the artifact, one value per non-empty line.
fn read_jsonl(artifact: &Artifact, rel: &str) -> Result<Vec<Value>> {
    let path = artifact.path(rel);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} has a line that is not JSON", path.display()))
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(SAMPLE_CHARS).collect();
    if text.chars().count() > SAMPLE_CHARS {
        out.push('…');
    }
    out
}

fn clean(artifact: &Artifact) -> Result<Value> {
    let report = read_json(artifact, "report.json")?;
    let files = report["files"].as_array().cloned().unwrap_or_default();
    let mut removals = serde_json::Map::new();
    for file in &files {
        for (rule, r) in file["removals"].as_object().into_iter().flatten() {
            let entry = removals
                .entry(rule.clone())
                .or_insert_with(|| json!({"count": 0, "chars": 0, "example": r["examples"][0]}));
            entry["count"] =
                json!(entry["count"].as_u64().unwrap_or(0) + r["count"].as_u64().unwrap_or(0));
            // Reports written before characters were counted have no `chars`.
            entry["chars"] =
                json!(entry["chars"].as_u64().unwrap_or(0) + r["chars"].as_u64().unwrap_or(0));
        }
    }
    let sample = match files.first().and_then(|f| f["output"].as_str()) {
        Some(doc) => std::fs::read_to_string(artifact.path(doc))?
            .lines()
            .take(SAMPLE_ITEMS)
            .map(clip)
            .collect(),
        None => Vec::new(),
    };
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "path": f["path"], "encoding": f["encoding"], "chars_in": f["chars_in"],
                "chars_out": f["chars_out"], "paragraphs": f["paragraphs"],
                "undecodable_bytes": f["undecodable_bytes"],
                "line_encodings": f["line_encodings"], "control_chars": f["control_chars"],
                "warnings": f["warnings"],
            })
        })
        .collect();
    Ok(
        json!({"files": files, "skipped": report["skipped"], "removals": removals, "sample": sample}),
    )
}

fn tokenize(artifact: &Artifact) -> Result<Value> {
    let vocab = read_json(artifact, "vocab.json")?;
    let stats = read_json(artifact, "stats.json")?;
    let tokens: Vec<&str> = vocab["tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["token"].as_str().unwrap_or(""))
        .collect();
    let top: Vec<Value> = vocab["tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .skip(2) // <unk>, <eos>
        .take(TOP_TOKENS)
        .map(|t| json!([t["token"], t["count"]]))
        .collect();
    // The first paragraph of the validation split, as the tokenizer cut it.
    let stream = std::fs::read(artifact.path("valid.u32"))?;
    let segmented: Vec<&str> = stream
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .take_while(|&id| id != 1)
        .take(SAMPLE_CHARS)
        .map(|id| tokens.get(id).copied().unwrap_or("<bad id>"))
        .collect();
    let splits = &stats["splits"];
    Ok(json!({
        "level": vocab["tokenizer"]["level"],
        "vocab_size": vocab["size"],
        "top_tokens": top,
        "unk_rate": {
            "train": splits["train"]["unk_rate"],
            "valid": splits["valid"]["unk_rate"],
            "test": splits["test"]["unk_rate"],
        },
        "tokens": {
            "train": splits["train"]["tokens"],
            "valid": splits["valid"]["tokens"],
            "test": splits["test"]["tokens"],
        },
        "sample": segmented.join(" / "),
    }))
}

/// Prints a view built by [`for_stage`].
pub(crate) fn print(stage: &str, view: &Value) {
    match stage {
        "clean" => {
            println!("  files:");
            for f in view["files"].as_array().into_iter().flatten() {
                println!(
                    "    {}  {}  {} → {} chars, {} paragraphs, {} undecodable bytes, {} control chars",
                    f["path"].as_str().unwrap_or(""),
                    f["encoding"].as_str().unwrap_or(""),
                    f["chars_in"],
                    f["chars_out"],
                    f["paragraphs"],
                    f["undecodable_bytes"],
                    f["control_chars"].as_u64().unwrap_or(0)
                );
                // More than one encoding: the file was decoded line by line.
                if let Some(lines) = f["line_encodings"].as_object().filter(|m| m.len() > 1) {
                    let counts: Vec<String> = lines
                        .iter()
                        .map(|(name, n)| format!("{name} {n}"))
                        .collect();
                    println!("      lines per encoding: {}", counts.join(", "));
                }
                for w in f["warnings"].as_array().into_iter().flatten() {
                    println!("      warning: {}", w.as_str().unwrap_or(""));
                }
            }
            for s in view["skipped"].as_array().into_iter().flatten() {
                println!(
                    "    {}  skipped: {}",
                    s["path"].as_str().unwrap_or(""),
                    s["reason"].as_str().unwrap_or("")
                );
            }
            println!("  removals:");
            for (rule, r) in view["removals"].as_object().into_iter().flatten() {
                println!(
                    "    {rule}: {} ({} chars)  e.g. {}",
                    r["count"],
                    r["chars"],
                    clip(r["example"].as_str().unwrap_or(""))
                );
            }
            println!("  first paragraphs:");
            for p in view["sample"].as_array().into_iter().flatten() {
                println!("    {}", p.as_str().unwrap_or(""));
            }
        }
        "tokenize" => {
            println!(
                "  level {}, vocabulary {}",
                view["level"].as_str().unwrap_or("?"),
                view["vocab_size"]
            );
            for split in ["train", "valid", "test"] {
                let rate = view["unk_rate"][split].as_f64().unwrap_or(0.0);
                println!(
                    "    {split:<5} {:>10} tokens  <unk> {:.2}%",
                    view["tokens"][split],
                    100.0 * rate
                );
            }
            let top: Vec<String> = view["top_tokens"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| format!("{} {}", t[0].as_str().unwrap_or(""), t[1]))
                .collect();
            println!("  top tokens: {}", top.join(", "));
            println!(
                "  a validation paragraph as segmented: {}",
                view["sample"].as_str().unwrap_or("")
            );
        }
        "train" => train::print(view),
        "generate" => generate::print(view),
        _ => {}
    }
}
