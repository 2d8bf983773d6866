//! The generate stage: load a train artifact (and its tokenizer through the lineage), decode
//! `--num-samples` continuations of the prompt in one batch (or beam search), compute the
//! quality metrics and write the generate artifact.

use crate::config::{GenerateConfig, parse_device};
use crate::continuation::continuations;
use crate::error::GenerateError;
use crate::generate::Generated;
use crate::metrics::{WindowIndex, distinct_n, repeated_ngram_rate};
use crate::names::{filter_names, name_of, training_names};
use crate::prompt::encode_prompt;
use crate::source::{MODEL_FILE, artifact_root, open_parts, training_text};
use crate::{FORMAT_VERSION, METRICS_FILE, SAMPLES_FILE, SAMPLES_JSONL_FILE, STAGE};
use artifact::{Artifact, Begin, InputRef, Producer, StageSpec};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The run's figures: the manifest's `metrics` and `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateSummary {
    /// Samples written (after name filtering).
    pub samples: usize,
    /// Samples generated (before name filtering).
    pub generated: usize,
    /// Generated tokens over all samples.
    pub tokens: usize,
    pub distinct_1: f64,
    pub distinct_2: f64,
    pub repeated_4gram_rate: f64,
    /// Fraction of generated 8-character windows found verbatim in the training text.
    pub copy_rate: f64,
    /// Mean negative log-likelihood per generated token under the model (nats).
    pub mean_nll: f64,
    pub dropped_empty: usize,
    pub dropped_known: usize,
    pub dropped_duplicate: usize,
    /// Prompt words outside the vocabulary.
    pub prompt_unknown_words: Vec<String>,
}

/// One line of `samples.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub index: usize,
    pub seed: u64,
    pub prompt: String,
    /// The prompt followed by the generated text (in names mode: the name).
    pub text: String,
    /// The generated ids (the prompt excluded).
    pub tokens: Vec<u32>,
    pub token_count: usize,
    pub mean_log_prob: f64,
    pub params: GenerateConfig,
}

/// What [`run`] produced.
#[derive(Debug, Clone)]
pub struct GenerateOutcome {
    pub artifact: Artifact,
    /// The artifact was complete already; nothing was generated.
    pub skipped: bool,
    pub summary: GenerateSummary,
    pub samples: Vec<SampleRecord>,
}

fn rel_path(dir: &Path, root: &Path) -> String {
    match dir.strip_prefix(root) {
        Ok(rel) => rel
            .iter()
            .map(|p| p.to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => dir.display().to_string(),
    }
}

fn read_samples(artifact: &Artifact) -> Result<Vec<SampleRecord>, GenerateError> {
    let path = artifact.path(SAMPLES_JSONL_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| GenerateError::io(&path, e))?;
    text.lines()
        .map(|l| {
            serde_json::from_str(l).map_err(|e| GenerateError::BadModel {
                dir: artifact.dir().to_path_buf(),
                message: format!("{SAMPLES_JSONL_FILE}: {e}"),
            })
        })
        .collect()
}

/// Generates from the train artifact `model` (a train artifact directory or an artifact root
/// `artifacts/<corpus>` whose latest train artifact is used) into a generate artifact under
/// `output_root` (default: the root the train artifact lies in). Parameters and inputs are
/// checked before anything is written; on any error no artifact is left.
pub fn run(
    model: &Path,
    output_root: Option<&Path>,
    config: &GenerateConfig,
) -> Result<GenerateOutcome, GenerateError> {
    run_streaming(model, output_root, config, &mut |_, _| {})
}

/// [`run`], calling `on_text(sample, text)` with the text of every token as it is sampled
/// (`<eos>` as a newline; not called for beam search or a skipped run).
pub fn run_streaming(
    model: &Path,
    output_root: Option<&Path>,
    config: &GenerateConfig,
    on_text: &mut dyn FnMut(usize, &str),
) -> Result<GenerateOutcome, GenerateError> {
    config.validate()?;
    let device = parse_device(&config.device)?;
    let (train, tokenize_artifact, tokenizer, model_config) = open_parts(model)?;
    let root: PathBuf = output_root
        .map(Path::to_path_buf)
        .unwrap_or_else(|| artifact_root(&train));
    let spec = StageSpec {
        stage: STAGE.to_owned(),
        format_version: FORMAT_VERSION,
        params: serde_json::to_value(config).expect("params serialise"),
        inputs: vec![InputRef {
            stage: train.manifest().stage.clone(),
            id: train.id().to_owned(),
            path: rel_path(train.dir(), &root),
        }],
    };
    let producer = Producer::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    let staging = match artifact::begin(&root, spec, producer)? {
        Begin::Complete(artifact) => {
            let summary =
                serde_json::from_value(artifact.manifest().metrics.clone()).map_err(|e| {
                    GenerateError::BadModel {
                        dir: artifact.dir().to_path_buf(),
                        message: format!("manifest metrics: {e}"),
                    }
                })?;
            let samples = read_samples(&artifact)?;
            return Ok(GenerateOutcome {
                artifact,
                skipped: true,
                summary,
                samples,
            });
        }
        Begin::Staging(staging) => staging,
    };

    let (_vs, lm) = model::load(&train.path(MODEL_FILE), &model_config, device)?;
    let prompt = encode_prompt(&tokenizer, &config.prompt);
    let vocab = tokenizer.vocab();
    let mut on_token = |i: usize, t: u32| {
        on_text(
            i,
            if t == tokenize::EOS_ID {
                "\n"
            } else {
                vocab.token(t)
            },
        )
    };
    let generated: Vec<Generated> = continuations(&lm, vocab, &prompt, config, &mut on_token)?;
    let continuations: Vec<String> = generated
        .iter()
        .map(|g| tokenizer.decode(&g.tokens))
        .collect();
    let texts: Vec<String> = continuations
        .iter()
        .map(|c| format!("{}{c}", config.prompt))
        .collect();
    let training = training_text(&tokenize_artifact, &tokenizer)?;

    let mut summary = GenerateSummary {
        samples: generated.len(),
        generated: generated.len(),
        tokens: generated.iter().map(|g| g.tokens.len()).sum(),
        distinct_1: 0.0,
        distinct_2: 0.0,
        repeated_4gram_rate: 0.0,
        copy_rate: 0.0,
        mean_nll: 0.0,
        dropped_empty: 0,
        dropped_known: 0,
        dropped_duplicate: 0,
        prompt_unknown_words: prompt.unknown.clone(),
    };
    let token_lists: Vec<Vec<u32>> = generated.iter().map(|g| g.tokens.clone()).collect();
    summary.distinct_1 = distinct_n(&token_lists, 1);
    summary.distinct_2 = distinct_n(&token_lists, 2);
    summary.repeated_4gram_rate = repeated_ngram_rate(&token_lists, 4);
    let index = WindowIndex::build(&training);
    let refs: Vec<&str> = continuations.iter().map(String::as_str).collect();
    summary.copy_rate = index.copy_rate(&refs);
    if summary.tokens > 0 {
        let total: f64 = generated
            .iter()
            .flat_map(|g| g.log_probs.iter())
            .map(|&l| -(l as f64))
            .sum();
        summary.mean_nll = total / summary.tokens as f64;
    }

    let (kept, texts): (Vec<usize>, Vec<String>) = if config.names {
        let names: Vec<&str> = texts.iter().map(|t| name_of(t)).collect();
        let known = training_names(&training);
        let filter = filter_names(&names, &known, config.novel, config.unique);
        summary.dropped_empty = filter.dropped_empty;
        summary.dropped_known = filter.dropped_known;
        summary.dropped_duplicate = filter.dropped_duplicate;
        let names = names.iter().map(|n| n.to_string()).collect();
        (filter.kept, names)
    } else {
        ((0..texts.len()).collect(), texts)
    };
    summary.samples = kept.len();
    let samples: Vec<SampleRecord> = kept
        .iter()
        .map(|&i| SampleRecord {
            index: i,
            seed: config.sample_seed(i),
            prompt: config.prompt.clone(),
            text: texts[i].clone(),
            tokens: generated[i].tokens.clone(),
            token_count: generated[i].tokens.len(),
            mean_log_prob: generated[i].mean_log_prob(),
            params: config.clone(),
        })
        .collect();

    let mut txt = String::new();
    let mut jsonl = String::new();
    for s in &samples {
        txt.push_str(s.text.trim_end_matches('\n'));
        txt.push_str(if config.names { "\n" } else { "\n\n" });
        jsonl.push_str(&serde_json::to_string(s).expect("sample serialises"));
        jsonl.push('\n');
    }
    let metrics = serde_json::to_value(&summary).expect("summary serialises");
    let mut metrics_json = serde_json::to_string_pretty(&metrics).expect("metrics serialise");
    metrics_json.push('\n');
    for (name, bytes) in [
        (SAMPLES_FILE, txt.as_bytes()),
        (SAMPLES_JSONL_FILE, jsonl.as_bytes()),
        (METRICS_FILE, metrics_json.as_bytes()),
    ] {
        let path = staging.dir().join(name);
        std::fs::write(&path, bytes).map_err(|e| GenerateError::io(&path, e))?;
    }
    let artifact = staging.commit(metrics)?;
    Ok(GenerateOutcome {
        artifact,
        skipped: false,
        summary,
        samples,
    })
}
