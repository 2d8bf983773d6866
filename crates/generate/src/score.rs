//! Scoring text under a model: the text goes through the artifact's own clean rules and
//! tokenizer, then the model's negative log-likelihood gives perplexity and bits per character,
//! comparable across models with different tokenizations. The text is a regular file or a
//! folder of `.txt` files; anything else (`/dev/null`, a pipe) is refused.

use crate::error::GenerateError;
use crate::mixture::Predictor;
use crate::source::TrainedModel;
use model::LstmLm;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tch::Tensor;
use tokenize::{EOS_ID, UNK_ID};

/// Tokens evaluated per forward pass (the state carries over between chunks).
pub const SCORE_CHUNK: usize = 256;

/// What [`score_path`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    pub files: Vec<PathBuf>,
    pub paragraphs: usize,
    /// Tokens scored, each paragraph's `<eos>` included.
    pub tokens: usize,
    /// Characters of the clean paragraphs (line breaks not counted).
    pub chars: usize,
    /// Mean negative log-likelihood per token, in nats.
    pub mean_nll: f64,
    pub perplexity: f64,
    /// Total negative log-likelihood in bits over the characters.
    pub bits_per_char: f64,
    /// Fraction of tokens that are `<unk>`.
    pub unk_rate: f64,
    /// The LSTM's weight λ when the text was scored under its mixture with the n-gram model;
    /// absent for the LSTM alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture_lambda: Option<f64>,
}

/// Total negative log-likelihood (nats) of `ids` after `<eos>` under the LSTM, or under the
/// mixture when the predictor has one.
pub fn total_nll(predictor: Predictor, ids: &[u32]) -> f64 {
    let lstm = lstm_log_probs(predictor.lm, ids);
    match predictor.mixture {
        Some(mixture) => -mixture.mixed_log_probs(ids, &lstm).iter().sum::<f64>(),
        None => -lstm.iter().sum::<f64>(),
    }
}

/// The LSTM's log-probability of each of `ids` after `<eos>` and the ids before it, in
/// chunks of [`SCORE_CHUNK`] (the state carries over).
pub fn lstm_log_probs(model: &LstmLm, ids: &[u32]) -> Vec<f64> {
    let _guard = tch::no_grad_guard();
    let device = crate::generate::model_device(model);
    let mut state = model.zero_state(1);
    let mut previous = EOS_ID;
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(SCORE_CHUNK) {
        let mut inputs = vec![previous as i64];
        inputs.extend(chunk[..chunk.len() - 1].iter().map(|&t| t as i64));
        let targets: Vec<i64> = chunk.iter().map(|&t| t as i64).collect();
        let inputs = Tensor::from_slice(&inputs).view([1, -1]).to_device(device);
        let targets = Tensor::from_slice(&targets).view([1, -1]).to_device(device);
        let (hidden, next) = model.hidden(&inputs, &state, false);
        let flat = hidden.reshape([-1, model.config().hidden_size]);
        let lps = model
            .output_layer()
            .target_log_probs(&flat, &targets.reshape([-1]))
            .to_kind(tch::Kind::Double)
            .to_device(tch::Device::Cpu);
        out.extend(Vec::<f64>::try_from(&lps).expect("a CPU double tensor converts"));
        state = next;
        previous = *chunk.last().expect("chunks are not empty");
    }
    out
}

/// The files `path` names: the file itself, or the `.txt` files of a folder (sorted).
/// Anything else (a device such as `/dev/null`, a FIFO, a socket) is refused: it is neither
/// a text file nor a folder of them.
fn score_files(path: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    let meta = std::fs::metadata(path).map_err(|e| GenerateError::io(path, e))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !meta.is_dir() {
        return Err(GenerateError::Param(format!(
            "--score {}: neither a regular file nor a folder ({}); --score takes a .txt file or a folder of .txt files",
            path.display(),
            file_kind(&meta)
        )));
    }
    let entries = std::fs::read_dir(path).map_err(|e| GenerateError::io(path, e))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(GenerateError::Param(format!(
            "--score {}: the folder holds no .txt files",
            path.display()
        )));
    }
    Ok(files)
}

/// What a path that is neither a file nor a folder is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "a special file"
}

/// Cleans (with the clean artifact's rules), tokenizes and scores the file or folder `path`,
/// under the mixture with the n-gram model when the train artifact has a better one, unless
/// `no_mixture`.
pub fn score_path(
    trained: &TrainedModel,
    path: &Path,
    no_mixture: bool,
) -> Result<ScoreReport, GenerateError> {
    let rules = clean_rules(trained)?;
    let files = score_files(path)?;
    let mut text = String::new();
    let (mut paragraphs, mut chars) = (0, 0);
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| GenerateError::io(file, e))?;
        let doc = clean::clean_document(&bytes, &rules).map_err(|_| {
            GenerateError::Param(format!("--score {}: not a text file", file.display()))
        })?;
        paragraphs += doc.cleaned.paragraphs.len();
        chars += doc.cleaned.chars_out as usize;
        text.push_str(&doc.cleaned.to_text());
    }
    let cleaned = Cleaned {
        text,
        paragraphs,
        chars,
    };
    score_cleaned(trained, cleaned, no_mixture, files).map_err(|e| match e {
        GenerateError::Param(m) => GenerateError::Param(format!("--score {}: {m}", path.display())),
        e => e,
    })
}

/// Cleans and scores `text` as [`score_path`] scores a file (the report names no files): the
/// server's `POST /v1/score`.
pub fn score_text(
    trained: &TrainedModel,
    text: &str,
    no_mixture: bool,
) -> Result<ScoreReport, GenerateError> {
    let rules = clean_rules(trained)?;
    let doc = clean::clean_text(text, &rules);
    let cleaned = Cleaned {
        paragraphs: doc.paragraphs.len(),
        chars: doc.chars_out as usize,
        text: doc.to_text(),
    };
    score_cleaned(trained, cleaned, no_mixture, vec![])
}

/// The clean rules of the model's own clean artifact.
fn clean_rules(trained: &TrainedModel) -> Result<clean::Rules, GenerateError> {
    let clean = trained
        .tokenize
        .open_input(clean::STAGE, clean::FORMAT_VERSION)?;
    clean::Rules::from_artifact(&clean).map_err(|e| GenerateError::BadModel {
        dir: clean.dir().to_path_buf(),
        message: e.to_string(),
    })
}

/// Cleaned text with its counts.
struct Cleaned {
    text: String,
    paragraphs: usize,
    chars: usize,
}

/// Tokenizes and scores cleaned text.
fn score_cleaned(
    trained: &TrainedModel,
    cleaned: Cleaned,
    no_mixture: bool,
    files: Vec<PathBuf>,
) -> Result<ScoreReport, GenerateError> {
    let ids = trained.tokenizer.encode(&cleaned.text);
    if ids.is_empty() {
        return Err(GenerateError::Param(
            "no text is left after cleaning".into(),
        ));
    }
    let predictor = trained.predictor(no_mixture);
    let nll = total_nll(predictor, &ids);
    let tokens = ids.len();
    let mean_nll = nll / tokens as f64;
    Ok(ScoreReport {
        files,
        paragraphs: cleaned.paragraphs,
        tokens,
        chars: cleaned.chars,
        mean_nll,
        perplexity: mean_nll.exp(),
        bits_per_char: nll / std::f64::consts::LN_2 / cleaned.chars.max(1) as f64,
        unk_rate: ids.iter().filter(|&&t| t == UNK_ID).count() as f64 / tokens as f64,
        mixture_lambda: predictor.mixture.map(|m| m.lambda()),
    })
}
