//! The part of `inspect` made for each stage: what a user wants to see of that kind of artifact.
//! Views are built as JSON (so `--json` carries them) and printed from it. They read the files
//! each stage documents (`report.json`, `vocab.json`, `stats.json`, the token streams,
//! `metrics.jsonl`, `config.json`, `samples.jsonl`) and the manifests' metrics with the stage
//! crates' own types and readers, so a format has one reader and a renamed field is an error
//! here, not a figure that silently goes missing.

mod generate;
mod train;

use anyhow::{Context, Result};
use artifact::Artifact;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Paragraphs or tokens shown in a sample.
const SAMPLE_ITEMS: usize = 3;
const SAMPLE_CHARS: usize = 60;
const TOP_TOKENS: usize = 20;

/// The stage's view of `artifact`, or `null` for a stage this version does not know.
pub(crate) fn for_stage(artifact: &Artifact) -> Result<Value> {
    match artifact.manifest().stage.as_str() {
        clean::STAGE => clean(artifact),
        tokenize::STAGE => tokenize(artifact),
        ::train::STAGE => train::view(artifact),
        ::generate::STAGE => generate::view(artifact),
        _ => Ok(Value::Null),
    }
}

/// One line of the figures that matter most for a stage, from its manifest metrics; metrics
/// that do not read as the stage's summary say so in place of the figures.
pub(crate) fn key_figures(stage: &str, metrics: &Value) -> String {
    match figures(stage, metrics) {
        Ok(figures) => figures
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("(metrics unreadable: {e:#})"),
    }
}

/// The manifest metrics of a `stage` artifact as the stage's summary type.
pub(crate) fn summary<T: DeserializeOwned>(stage: &str, metrics: &Value) -> Result<T> {
    serde_json::from_value(metrics.clone())
        .with_context(|| format!("the metrics are not a {stage} summary"))
}

/// The key figures of a stage, named as in its summary (dotted into nested figures).
fn figures(stage: &str, metrics: &Value) -> Result<Vec<(&'static str, String)>> {
    let f = |v: f64| format!("{v:.4}");
    Ok(match stage {
        clean::STAGE => {
            let m: clean::CleanSummary = summary(stage, metrics)?;
            vec![
                ("files", m.files.to_string()),
                ("chars_out", m.chars_out.to_string()),
                ("paragraphs", m.paragraphs.to_string()),
                ("undecodable_bytes", m.undecodable_bytes.to_string()),
            ]
        }
        tokenize::STAGE => {
            let m: tokenize::TokenizeSummary = summary(stage, metrics)?;
            vec![
                ("vocab_size", m.vocab_size.to_string()),
                ("unk_rate", f(m.unk_rate)),
            ]
        }
        ::train::STAGE => {
            let m: ::train::TrainSummary = summary(stage, metrics)?;
            vec![
                ("valid.bits_per_char", f(m.valid.bits_per_char)),
                ("test.bits_per_char", f(m.test.bits_per_char)),
                (
                    "baseline.valid.bits_per_char",
                    f(m.baseline.valid.bits_per_char),
                ),
                (
                    "baseline.mixture.valid.bits_per_char",
                    f(m.baseline.mixture.valid.bits_per_char),
                ),
                ("steps", m.steps.to_string()),
                ("train_tokens_per_s", f(m.train_tokens_per_s)),
            ]
        }
        ::generate::STAGE => {
            let m: ::generate::GenerateSummary = summary(stage, metrics)?;
            let mut figures = vec![
                ("samples", m.samples.to_string()),
                ("distinct_2", f(m.distinct_2)),
                ("copy_rate", f(m.copy_rate)),
            ];
            // Absent by design when the samples came from the LSTM alone.
            if let Some(lambda) = m.mixture_lambda {
                figures.push(("mixture_lambda", f(lambda)));
            }
            // Present when the run wrote forms or its corpus has titles.
            let checked: usize = m.forms.iter().map(|x| x.samples).sum();
            if checked > 0 {
                let conforming: usize = m.forms.iter().map(|x| x.conforming).sum();
                figures.push(("format_conformance", f(conforming as f64 / checked as f64)));
                let positions: usize = m.forms.iter().map(|x| x.rhyme_positions).sum();
                let rhyming: usize = m.forms.iter().map(|x| x.rhyming).sum();
                if positions > 0 {
                    figures.push(("rhyme_conformance", f(rhyming as f64 / positions as f64)));
                }
            }
            figures
        }
        _ => Vec::new(),
    })
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(SAMPLE_CHARS).collect();
    if text.chars().count() > SAMPLE_CHARS {
        out.push('…');
    }
    out
}

fn clean(artifact: &Artifact) -> Result<Value> {
    let report = clean::read_report(artifact)?;
    let mut removals = serde_json::Map::new();
    for file in &report.files {
        for (rule, r) in &file.removals {
            let entry = removals
                .entry(rule.clone())
                .or_insert_with(|| json!({"count": 0, "chars": 0, "example": r.examples.first()}));
            entry["count"] = json!(entry["count"].as_u64().unwrap_or(0) + r.count);
            entry["chars"] = json!(entry["chars"].as_u64().unwrap_or(0) + r.chars);
        }
    }
    let sample = match report.files.first() {
        Some(file) => std::fs::read_to_string(artifact.path(&file.output))?
            .lines()
            .take(SAMPLE_ITEMS)
            .map(clip)
            .collect(),
        None => Vec::new(),
    };
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path, "encoding": f.encoding, "chars_in": f.chars_in,
                "chars_out": f.chars_out, "paragraphs": f.paragraphs,
                "undecodable_bytes": f.undecodable_bytes,
                "line_encodings": f.line_encodings, "control_chars": f.control_chars,
                "warnings": f.warnings, "converted_chars": f.converted_chars,
            })
        })
        .collect();
    Ok(json!({
        "files": files, "skipped": report.skipped, "removals": removals, "sample": sample,
        "converted_chars": report.totals.converted_chars,
    }))
}

fn tokenize(artifact: &Artifact) -> Result<Value> {
    let (vocab, tokenizer) = tokenize::read_vocab_json(&artifact.path(tokenize::VOCAB_FILE))?;
    let stats = tokenize::read_stats(artifact)?;
    let top: Vec<Value> = (0..vocab.len() as u32)
        .filter(|&id| id != tokenize::UNK_ID && id != tokenize::EOS_ID)
        .take(TOP_TOKENS)
        .map(|id| json!([vocab.token(id), vocab.count(id)]))
        .collect();
    // The first paragraph of the validation split, as the tokenizer cut it.
    let valid = tokenize::split::SplitName::Valid.file_name();
    let stream = tokenize::read_u32_stream(&artifact.path(&valid))?;
    let segmented: Vec<&str> = stream
        .iter()
        .take_while(|&&id| id != tokenize::EOS_ID)
        .take(SAMPLE_CHARS)
        .map(|&id| {
            // A damaged stream is for `--verify` to report; the view shows where it is.
            if (id as usize) < vocab.len() {
                vocab.token(id)
            } else {
                "<bad id>"
            }
        })
        .collect();
    let splits = &stats.splits;
    let forms = tokenize::read_forms(artifact)?;
    Ok(json!({
        "forms": forms,
        "level": tokenizer.level,
        "vocab_size": vocab.len(),
        "top_tokens": top,
        "unk_rate": {
            "train": splits.train.unk_rate,
            "valid": splits.valid.unk_rate,
            "test": splits.test.unk_rate,
        },
        "tokens": {
            "train": splits.train.tokens,
            "valid": splits.valid.tokens,
            "test": splits.test.tokens,
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
            print_forms(&view["forms"]);
        }
        "train" => train::print(view),
        "generate" => generate::print(view),
        _ => {}
    }
}

/// The forms of a titled corpus (`forms.json`): every mined form with its counts, then the
/// built-in ones.
fn print_forms(forms: &Value) {
    let Ok(file) = serde_json::from_value::<tokenize::FormsFile>(forms.clone()) else {
        println!("  forms: none (tokenized without --titles; the built-in 绝句/律诗 forms apply)");
        return;
    };
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!(
        "  forms: {} mined from {} titled poems of {} tunes (a tune needs {} poems of one pattern); their tunes hold {:.1}% of the poems, {:.1}% follow their tune's pattern",
        file.forms.len(),
        file.titled_poems,
        file.tunes,
        file.min_poems,
        pct(file.poems_of_mined_tunes(), file.titled_poems),
        pct(file.poems_following_mined(), file.titled_poems),
    );
    let mut by_tune: Vec<usize> = file.forms.iter().map(|f| f.poems_of_tune).collect();
    by_tune.sort_unstable_by(|a, b| b.cmp(a));
    let top: usize = by_tune.iter().take(100).sum();
    println!(
        "  the {} most frequent of those tunes hold {:.1}% of the titled poems",
        file.forms.len().min(100),
        pct(top, file.titled_poems)
    );
    for f in file.forms.iter().chain(&file.builtin) {
        let groups: Vec<String> = f
            .rhyme_groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|i| (i + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        let counts = match f.source {
            tokenize::forms::FormSource::Mined => format!(
                "{} of {} poems ({:.0}%)",
                f.poems,
                f.poems_of_tune,
                100.0 * f.share()
            ),
            tokenize::forms::FormSource::Builtin => format!("built-in, {} poems", f.poems),
        };
        println!(
            "    {}  {}  {counts}  rhymes at lines {}",
            f.name,
            f.pattern,
            if groups.is_empty() {
                "-".to_owned()
            } else {
                groups.join(" | ")
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{figures, for_stage, key_figures};
    use serde_json::{Value, json};

    /// The manifest metrics of one run of each stage, as the stages write them.
    fn metrics() -> Vec<(&'static str, Value)> {
        let evaluation = ::train::Evaluation::of_loss(4.0, 100, 150);
        let train = ::train::TrainSummary {
            parameters: 1000,
            steps: 50,
            epochs_completed: 1,
            tokens_seen: 5000,
            stop_reason: ::train::StopReason::MaxSteps,
            valid: evaluation,
            test: evaluation,
            baseline: ::train::summary::BaselineSummary {
                order: 5,
                valid: evaluation,
                test: evaluation,
                mixture: ::train::summary::MixtureSummary {
                    lambda: 0.8,
                    valid: evaluation,
                    test: evaluation,
                },
            },
            train_tokens_per_s: 2e4,
            device: "cpu".into(),
            init: None,
        };
        let generate = ::generate::GenerateSummary {
            mode: ::generate::Mode::Text,
            mode_automatic: true,
            training_shape: ::generate::TrainingShape {
                char_level: true,
                lines: 10,
                mean_chars_per_line: 40.0,
            },
            requested: 5,
            samples: 5,
            generated: 5,
            tokens: 500,
            distinct_1: 0.5,
            distinct_2: 0.9,
            repeated_4gram_rate: 0.0,
            copy_rate: 0.1,
            mean_nll: 3.0,
            dropped_empty: 0,
            dropped_known: 0,
            dropped_duplicate: 0,
            cap_reached: false,
            prompt_unknown_words: Vec::new(),
            mixture_lambda: Some(0.8),
            forms: Vec::new(),
        };
        let split = |n| ::tokenize::PerSplit {
            train: n,
            valid: n,
            test: n,
        };
        let tokenize = ::tokenize::TokenizeSummary {
            vocab_size: 7,
            tokens: split(10),
            chars: split(12),
            unk_rate: 0.01,
            unk_rate_per_split: ::tokenize::PerSplit {
                train: 0.01,
                valid: 0.02,
                test: 0.03,
            },
        };
        vec![
            ("clean", to_value(::clean::CleanSummary::default())),
            ("tokenize", to_value(tokenize)),
            ("train", to_value(train)),
            ("generate", to_value(generate)),
        ]
    }

    fn to_value(summary: impl serde::Serialize) -> Value {
        serde_json::to_value(summary).unwrap()
    }

    #[test]
    fn every_stage_has_its_key_figures() {
        let expected: [(&str, usize); 4] =
            [("clean", 4), ("tokenize", 2), ("train", 6), ("generate", 4)];
        for ((stage, metrics), (_, count)) in metrics().into_iter().zip(expected) {
            let shown = figures(stage, &metrics).unwrap();
            assert_eq!(shown.len(), count, "{stage}: {shown:?}");
        }
        let train = &metrics()[2].1;
        assert!(
            key_figures("train", train).starts_with("valid.bits_per_char=3.8472 "),
            "{}",
            key_figures("train", train)
        );
    }

    /// A renamed metric used to drop out of the summary table without a word.
    #[test]
    fn a_metric_missing_from_a_manifest_is_an_error() {
        for (stage, metrics) in metrics() {
            let Value::Object(fields) = metrics else {
                panic!("{stage}: not an object")
            };
            for key in fields.keys() {
                let mut renamed = fields.clone();
                let value = renamed.remove(key).unwrap();
                renamed.insert(format!("{key}_renamed"), value);
                let renamed = Value::Object(renamed);
                // Fields that older artifacts lack read as their default; the others must be there.
                if let Err(e) = figures(stage, &renamed) {
                    let e = format!("{e:#}");
                    assert!(
                        e.contains(&format!("not a {stage} summary")) && e.contains(key.as_str()),
                        "{stage}.{key}: {e}"
                    );
                    assert!(key_figures(stage, &renamed).starts_with("(metrics unreadable"));
                }
            }
            let mut without = fields.clone();
            let figure = match stage {
                "clean" => "chars_out",
                "tokenize" => "unk_rate",
                "train" => "valid",
                _ => "copy_rate",
            };
            without.remove(figure);
            assert!(figures(stage, &Value::Object(without)).is_err(), "{stage}");
        }
    }

    /// The clean and tokenize views on artifacts the stages made: the segmented sample ends at
    /// the vocabulary's `<eos>` and the top tokens leave out the specials.
    #[test]
    fn clean_and_tokenize_views_read_what_the_stages_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let corpus = tmp.path().join("corpus");
        std::fs::create_dir(&corpus).unwrap();
        let paragraphs: Vec<String> = (0..40).map(|i| format!("明月几时有{i}\n")).collect();
        std::fs::write(corpus.join("ci.txt"), paragraphs.concat()).unwrap();
        let root = tmp.path().join("artifacts");
        let cleaned = ::clean::run(
            &corpus,
            &root,
            &::clean::CleanConfig::default(),
            artifact::Existing::Reuse,
        )
        .unwrap();
        let view = for_stage(&cleaned.artifact).unwrap();
        assert_eq!(view["files"][0]["paragraphs"], json!(40));
        assert_eq!(view["sample"][0], json!("明月几时有0"));
        let config = ::tokenize::TokenizeConfig {
            level: ::tokenize::Level::Char,
            ..Default::default()
        };
        let tokenized = ::tokenize::run(
            cleaned.artifact.dir(),
            Some(&root),
            &config,
            artifact::Existing::Reuse,
        )
        .unwrap();
        let view = for_stage(&tokenized.artifact).unwrap();
        // Paragraphs 36 and 37 are the valid split (90/5/5 of 40).
        assert_eq!(view["sample"], json!("明 / 月 / 几 / 时 / 有 / 3 / 6"));
        let top = view["top_tokens"].as_array().unwrap();
        assert_eq!(top[0], json!(["几", 36]), "ties go by the token");
        assert!(top.iter().all(|t| t[0] != "<unk>" && t[0] != "<eos>"));
        let metrics = &tokenized.artifact.manifest().metrics;
        assert_eq!(
            figures("tokenize", metrics).unwrap()[0].1,
            view["vocab_size"].to_string()
        );
    }
}
