//! Reading the upstream clean artifact: which artifact the input names, and its documents.

use crate::error::TokenizeError;
use artifact::Artifact;
use std::path::Path;

/// Stage and format version of the clean artifacts this build reads.
pub const CLEAN_STAGE: &str = "clean";
pub const CLEAN_FORMAT_VERSION: u32 = 1;

/// One cleaned document: its path inside the clean artifact and its text (one paragraph per
/// line).
#[derive(Debug, Clone)]
pub struct Document {
    pub path: String,
    pub text: String,
}

impl Document {
    /// The non-empty lines of the document, in order.
    pub fn paragraphs(&self) -> impl Iterator<Item = &str> {
        self.text.split('\n').filter(|p| !p.is_empty())
    }
}

/// Opens the clean artifact that `input` names: a clean artifact directory, or an artifact root
/// `artifacts/<corpus>` whose `clean/latest` is used.
pub fn open_clean(input: &Path) -> Result<Artifact, TokenizeError> {
    if !input.exists() {
        return Err(TokenizeError::MissingInput(input.to_path_buf()));
    }
    Ok(Artifact::resolve(input, CLEAN_STAGE, CLEAN_FORMAT_VERSION)?)
}

/// The `docs/*.txt` outputs of a clean artifact, in the manifest's (sorted) order, as paths
/// inside the artifact. Documents are read one at a time ([`read_document`]) so that memory is
/// bounded by the largest document, not the corpus.
pub fn document_paths(clean: &Artifact) -> Vec<String> {
    clean
        .manifest()
        .outputs
        .iter()
        .filter(|o| o.path.starts_with("docs/") && o.path.ends_with(".txt"))
        .map(|o| o.path.clone())
        .collect()
}

/// Reads one document (`rel` as listed by [`document_paths`]) of a clean artifact.
pub fn read_document(clean: &Artifact, rel: &str) -> Result<Document, TokenizeError> {
    let path = clean.path(rel);
    let bytes = std::fs::read(&path).map_err(|e| TokenizeError::io(&path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| TokenizeError::NotUtf8 {
        path: path.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(Document {
        path: rel.to_owned(),
        text,
    })
}
