//! The `clean` stage of jianghu: turns a folder of real-world Chinese `.txt` files (GB18030,
//! Big5, UTF-16, UTF-8, files mixing UTF-8 and GB18030 lines, CRLF, full-width indentation, site
//! adverts, typist credits, mail headers, banners, mis-decoded runs, stray control bytes, lacunae
//! marked `□`) into a clean artifact: `docs/<path>.txt` with one UTF-8 paragraph per line, and
//! `report.json` saying per file how it was decoded (lines per encoding, undecodable bytes,
//! control characters removed, warnings naming lines) and what each rule removed (count,
//! characters, examples), and which files were skipped and why.
//!
//! Decoding ([`decode()`]) takes one encoding for the whole file when one fits and goes line by
//! line when it does not; windows-1252 and other single-byte encodings are taken only for text
//! that reads as a European language. Binary files (known signatures, or mostly control bytes)
//! and text whose non-ASCII bytes are mostly undecodable are skipped; so is everything that is
//! not a regular file (FIFOs, sockets, devices, also behind symbolic links), which is never
//! opened.
//!
//! The `lacunae` rule ([`Lacunae`]) by default removes the `□` marks and keeps the text; a poetry
//! corpus can ask for `drop-paragraph`, which drops paragraphs of at most
//! [`DEFAULT_LACUNA_DROP_MAX_CHARS`] characters (a poem with a lost character) and only removes
//! the marks from longer ones.
//!
//! `--convert t2s` ([`Conversion`]) turns traditional characters into simplified ones before the
//! rules run (chinese-poetry keeps its Tang and Song shi in traditional characters); the report
//! counts the characters it changed.
//!
//! [`run`] is the stage; [`clean_document`] / [`clean_text`] clean one text in memory with a
//! [`Rules`] set, which [`Rules::from_artifact`] rebuilds from a clean artifact so other stages
//! clean text exactly as the corpus was cleaned.

mod adverts;
mod config;
mod convert;
mod corpus;
mod credits;
mod decode;
mod document;
mod error;
#[cfg(feature = "fixtures")]
pub mod fixture;
mod headings;
mod line_kinds;
mod report;
mod rules;
mod stage;
mod whitespace;

pub use config::{CleanConfig, CleanParams, DEFAULT_LACUNA_DROP_MAX_CHARS, Lacunae, RuleSwitches};
pub use convert::{Conversion, Converter};
pub use corpus::SkippedFile;
pub use decode::{Decoded, NotText, decode};
pub use document::{
    CleanedDocument, CleanedText, MAX_EXAMPLES, RuleRemovals, clean_document, clean_text,
};
pub use error::CleanError;
pub use report::{CleanSummary, FileReport, REPORT_FILE, Report, read_report};
pub use rules::{RULES_FILE, Rules, RulesText, UserRule, names, parse_user_rules};
pub use stage::{CleanOutcome, DATA_INPUT_STAGE, run};

/// The stage name, as used in artifact paths and manifests.
pub const STAGE: &str = "clean";
/// Version of the clean artifact's on-disk format.
pub const FORMAT_VERSION: u32 = 1;
/// The directory inside a clean artifact that holds the clean documents.
pub const DOCS_DIR: &str = "docs";

/// Opens a clean artifact, checking its stage and format version.
pub fn open(dir: &std::path::Path) -> Result<artifact::Artifact, CleanError> {
    Ok(artifact::Artifact::open(dir, STAGE, FORMAT_VERSION)?)
}
