//! The artifact contract that every jianghu stage writes and reads.
//!
//! An artifact is a directory `artifacts/<corpus>/<stage>/<id>/` holding the stage's outputs and a
//! `manifest.json` that is written last. The id is content-addressed ([`StageSpec::id`]), so the
//! same inputs and parameters always name the same directory and a finished stage can be skipped.
//!
//! A stage calls [`begin`]: it either finds the complete artifact ([`Begin::Complete`]) or gets a
//! [`Staging`] directory to write into; [`Staging::commit`] hashes the outputs, writes the manifest
//! and renames the directory into place in one step. Anything interrupted before that leaves only a
//! hidden staging directory, which no reader accepts and the next [`begin`] sweeps away.
//! Readers use [`Artifact::open`] (or [`Artifact::latest`], or [`Artifact::resolve`] for a stage's
//! `--input`, which names an artifact or an artifact root), which checks the stage name and the
//! format version; [`Artifact::verify`] re-hashes every output, and a stage checks the upstream
//! files it reads with [`Artifact::verify_files`] before using them. [`begin`] makes an artifact
//! that fails verification anew, so rerunning its stage is always the way out, and makes any
//! artifact anew when asked to ([`Existing::Replace`], a stage binary's `--force`). A stage records
//! what it read with [`Artifact::input_ref`] (a path relative to the artifact root), and a
//! reader follows that lineage back with [`Artifact::open_input`], which checks that the input
//! found is the one recorded.
//!
//! The process side of the contract is here too: the flags every stage binary takes from the
//! orchestrator ([`ProtocolArgs`]), the result file that tells it what the run did
//! ([`StageResult`]), the Ctrl-C handler ([`exit_on_interrupt`]) and the exit status
//! ([`exit_code`]).
//!
//! The `fixtures` feature (for other crates' tests; enable it from dev-dependencies only) adds
//! `fixture`: artifacts committed from files in memory, stopping a stage with SIGTERM, and the
//! lock on libtorch's global random generator that the tests of `model`, `train` and
//! `generate` hold.

mod atomic;
mod canonical;
mod cli;
mod error;
#[cfg(feature = "fixtures")]
pub mod fixture;
mod hash;
mod interrupt;
mod manifest;
mod outcome;
mod stage;
mod store;

pub use atomic::write_atomic;
pub use canonical::canonical_json;
pub use cli::{ProtocolArgs, error_line, exit_code, flag_defaults};
pub use error::ArtifactError;
pub use hash::sha256_file;
pub use interrupt::{INTERRUPTED_EXIT_CODE, exit_on_interrupt};
pub use manifest::{InputRef, MANIFEST_FILE, MANIFEST_SCHEMA, Manifest, OutputEntry, Producer};
pub use outcome::{Outcome, StageResult};
pub use stage::{Begin, Existing, StageSpec, Staging, begin};
pub use store::{Artifact, LATEST_FILE, is_artifact_id, latest_id};

/// `Result` with this crate's error.
pub type Result<T, E = ArtifactError> = std::result::Result<T, E>;
