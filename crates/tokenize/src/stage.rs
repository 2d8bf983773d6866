//! Running the stage against the artifact contract: resolve the input, validate everything,
//! skip when the artifact exists, otherwise encode and write the outputs, then commit.

use crate::config::{Level, SEGMENTER, TokenizeConfig, TokenizerParams, UserDictRef};
use crate::corpus::{document_paths, open_clean, read_document};
use crate::encode_corpus::encode_corpus;
use crate::error::TokenizeError;
use crate::forms::{FORMS_FILE, FormsFile, mine_forms};
use crate::segment::Segmenter;
use crate::split::SplitName;
use crate::stats::{SplitStats, Splits, Stats, TokenizeSummary};
use crate::stream::write_u32_stream;
use crate::tokenizer::Tokenizer;
use crate::user_dict::UserDict;
use crate::vocab::vocab_json;
use crate::{FORMAT_VERSION, STAGE, STATS_FILE, USER_DICT_FILE, VOCAB_FILE};
use artifact::{Artifact, Begin, Existing, Producer, StageSpec};
use std::path::{Path, PathBuf};

/// What [`run`] did.
#[derive(Debug)]
pub struct TokenizeOutcome {
    /// The complete tokenize artifact.
    pub artifact: Artifact,
    /// True when an artifact with the same id already existed and nothing was done.
    pub skipped: bool,
    /// The contents of its `stats.json`.
    pub stats: Stats,
}

impl TokenizeOutcome {
    /// Loads the artifact's tokenizer (at word level this loads jieba's dictionary).
    pub fn tokenizer(&self) -> Result<Tokenizer, TokenizeError> {
        Tokenizer::load(&self.artifact)
    }
}

/// The resolved params for `config` with the user dictionary (already read) as `dict`.
pub fn resolve_params(config: &TokenizeConfig, dict: Option<&UserDict>) -> TokenizerParams {
    TokenizerParams {
        level: config.level,
        segmenter: (config.level == Level::Word).then(|| SEGMENTER.to_owned()),
        user_dict: dict.map(|d| UserDictRef {
            file: USER_DICT_FILE.to_owned(),
            sha256: d.sha256.clone(),
        }),
        min_freq: config.min_freq,
        max_vocab: config.max_vocab,
        split: config.split,
        vocab_counts_from: SplitName::Train.as_str().to_owned(),
        titles: config.titles,
    }
}

/// Tokenizes the clean artifact `input` (a clean artifact directory, or an artifact root
/// `artifacts/<corpus>` whose latest clean artifact is used) into a tokenize artifact under
/// `output_root` (default: the root the clean artifact lies in). Every parameter and the user
/// dictionary are checked before anything is written; on any error no artifact is left.
/// `existing` says whether a complete artifact of the same id is reused or made again.
pub fn run(
    input: &Path,
    output_root: Option<&Path>,
    config: &TokenizeConfig,
    existing: Existing,
) -> Result<TokenizeOutcome, TokenizeError> {
    config.validate()?;
    let clean = open_clean(input)?;
    let dict = config
        .user_dict
        .as_deref()
        .map(UserDict::read)
        .transpose()?;
    let params = resolve_params(config, dict.as_ref());
    let root: PathBuf = output_root.map_or_else(|| clean.root(), Path::to_path_buf);
    let spec = StageSpec {
        stage: STAGE.to_owned(),
        format_version: FORMAT_VERSION,
        params: serde_json::to_value(&params).expect("params serialise"),
        inputs: vec![clean.input_ref(&root)],
    };
    let producer = Producer::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    let staging = match artifact::begin(&root, spec, producer, existing)? {
        Begin::Complete(artifact) => {
            let stats = read_stats(&artifact)?;
            return Ok(TokenizeOutcome {
                artifact,
                skipped: true,
                stats,
            });
        }
        Begin::Staging(staging) => staging,
    };

    let docs = document_paths(&clean);
    clean.verify_files(docs.iter().map(String::as_str))?;
    let (segmenter, paragraphs) = rayon::join(
        || Segmenter::new(config.level, dict.as_ref()),
        || -> Result<Vec<usize>, TokenizeError> {
            docs.iter()
                .map(|rel| Ok(read_document(&clean, rel)?.paragraphs().count()))
                .collect()
        },
    );
    let paragraphs = paragraphs?;
    if paragraphs.iter().all(|&n| n == 0) {
        return Err(TokenizeError::NoText(clean.dir().to_path_buf()));
    }
    check_split_sizes(&clean, &paragraphs, config.split)?;
    let encoded = encode_corpus(
        &paragraphs,
        |i| read_document(&clean, &docs[i]),
        &segmenter,
        config.split,
        config.min_freq,
        config.max_vocab,
    )?;

    let [train, valid, test] = encoded.stats;
    let mut overall = SplitStats {
        documents: 0,
        ..SplitStats::default()
    };
    for s in [&train, &valid, &test] {
        overall.add(s);
    }
    overall.finish();
    let stats = Stats {
        format_version: FORMAT_VERSION,
        documents: clean
            .manifest()
            .outputs
            .iter()
            .filter(|o| o.path.starts_with("docs/") && o.path.ends_with(".txt"))
            .count(),
        vocab_size: encoded.vocab.len(),
        types_in_train: encoded.types_in_train,
        types_kept: encoded.vocab.len() - 2,
        splits: Splits { train, valid, test },
        overall,
    };
    let mut stats = stats;
    stats.overall.documents = stats.documents;

    let dir = staging.dir().to_path_buf();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| TokenizeError::io(&path, e))
    };
    // vocab.json (a line per token) is the slow one: written beside the streams
    let (vocab_written, streams_written) = rayon::join(
        || write(VOCAB_FILE, vocab_json(&encoded.vocab, &params).as_bytes()),
        || -> Result<(), TokenizeError> {
            for name in SplitName::ALL {
                write_u32_stream(&dir.join(name.file_name()), &encoded.streams[name.index()])?;
            }
            Ok(())
        },
    );
    vocab_written?;
    streams_written?;
    let mut stats_text = serde_json::to_string_pretty(&stats).expect("stats serialise");
    stats_text.push('\n');
    write(STATS_FILE, stats_text.as_bytes())?;
    if let Some(dict) = &dict {
        write(USER_DICT_FILE, &dict.bytes)?;
    }
    if config.titles {
        let forms = mine_corpus_forms(&clean, &docs)?;
        write(FORMS_FILE, forms.to_json().as_bytes())?;
    }
    let metrics = serde_json::to_value(TokenizeSummary::of(&stats)).expect("summary serialises");
    let artifact = staging.commit(metrics)?;
    Ok(TokenizeOutcome {
        artifact,
        skipped: false,
        stats,
    })
}

/// Refuses a split that the text cannot fill: a share asked for (valid or test above 0%) that
/// gets no paragraph, because training needs a valid split and evaluation a test split. A share
/// of 0% is the user's choice (e.g. a corpus only to be scored or sampled): a warning says what
/// that artifact cannot be used for.
fn check_split_sizes(
    clean: &Artifact,
    paragraphs: &[usize],
    split: crate::config::Split,
) -> Result<(), TokenizeError> {
    let total: usize = paragraphs.iter().sum();
    let counts = crate::split::split_counts(paragraphs, split);
    for (name, pct) in [
        (SplitName::Valid, split.valid),
        (SplitName::Test, split.test),
    ] {
        let given: usize = counts.iter().map(|c| c[name.index()]).sum();
        if given > 0 {
            continue;
        }
        if pct == 0 {
            eprintln!(
                "tokenize: warning: --split {split} leaves the {} split empty; `train` needs valid and test text, so this artifact can only be scored or sampled from",
                name.as_str()
            );
            continue;
        }
        // round(N × pct / 100) ≥ 1 from N = ⌈50 / pct⌉ paragraphs on
        let needed = 50u32.div_ceil(pct);
        let fix = if total >= 3 {
            let share = 50u32.div_ceil(total as u32);
            format!(
                "add text to the corpus, or give valid and test larger shares (e.g. --split {}/{share}/{share})",
                100 - 2 * share
            )
        } else {
            "add text to the corpus: train, valid and test need at least 3 paragraphs in all"
                .to_owned()
        };
        return Err(TokenizeError::Split(format!(
            "clean artifact {} holds {total} paragraph(s): with --split {split} the {} split gets none ({pct}% of {total} paragraphs rounds to 0; {needed} or more paragraphs would give it one); {fix}",
            clean.dir().display(),
            name.as_str(),
        )));
    }
    Ok(())
}

/// Mines the forms of the clean documents `docs` (see [`crate::forms::mine`]); refuses a corpus
/// in which no paragraph has a title, since `--titles` then declares a layout the text lacks.
fn mine_corpus_forms(clean: &Artifact, docs: &[String]) -> Result<FormsFile, TokenizeError> {
    let texts = docs
        .iter()
        .map(|rel| read_document(clean, rel))
        .collect::<Result<Vec<_>, _>>()?;
    let forms = mine_forms(texts.iter().flat_map(|d| d.paragraphs()));
    if forms.titled_poems == 0 {
        return Err(TokenizeError::Param(format!(
            "--titles: no paragraph of clean artifact {} has a title (a line `TITLE：BODY`, the title ended by a full-width colon ：); drop --titles for an untitled corpus",
            clean.dir().display()
        )));
    }
    if forms.untitled_paragraphs > 0 {
        eprintln!(
            "tokenize: warning: --titles: {} of {} paragraphs have no title (`TITLE：BODY`); they are tokenized but not mined for forms",
            forms.untitled_paragraphs,
            forms.untitled_paragraphs + forms.titled_poems
        );
    }
    Ok(forms)
}

/// Reads `stats.json` of a complete tokenize artifact.
pub fn read_stats(artifact: &Artifact) -> Result<Stats, TokenizeError> {
    let path = artifact.path(STATS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| TokenizeError::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| TokenizeError::BadVocab {
        path,
        message: format!("malformed stats: {e}"),
    })
}
