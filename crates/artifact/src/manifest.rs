//! `manifest.json`: what an artifact is, what produced it from what, and the hash of every output.

use crate::{ArtifactError, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The file name of the manifest inside an artifact directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Version of the manifest layout itself (not of any stage's outputs).
pub const MANIFEST_SCHEMA: u32 = 1;

/// The manifest of one artifact, exactly as stored in `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: u32,
    pub stage: String,
    pub id: String,
    pub format_version: u32,
    pub producer: Producer,
    /// The stage's fully resolved parameters.
    pub params: Value,
    pub inputs: Vec<InputRef>,
    /// Every file of the artifact except the manifest, sorted by path.
    pub outputs: Vec<OutputEntry>,
    pub metrics: Value,
    /// RFC 3339, UTC. Informational only: never part of the id.
    pub created_at: String,
    pub elapsed_s: f64,
}

/// The program that wrote an artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Producer {
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub version: String,
    /// `git describe` of the checkout the binary was run from, when there is one.
    pub git_rev: Option<String>,
}

impl Producer {
    /// Describes the calling crate; use as `Producer::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))`.
    pub fn new(crate_name: &str, version: &str) -> Self {
        Self {
            crate_name: crate_name.to_owned(),
            version: version.to_owned(),
            git_rev: git_rev(),
        }
    }
}

/// The checkout that the running binary was built in (binaries live under `<repo>/target/`).
fn git_rev() -> Option<String> {
    let exe_dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(exe_dir)
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let rev = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !rev.is_empty()).then_some(rev)
}

/// An upstream artifact (or input data set) that an artifact was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRef {
    pub stage: String,
    pub id: String,
    /// Where it was read from: relative to the artifact root when it lies beneath it.
    pub path: String,
}

/// One output file: path relative to the artifact directory (`/`-separated), size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    /// Reads `<dir>/manifest.json`; a directory without one is incomplete.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ArtifactError::Incomplete {
                    dir: dir.to_path_buf(),
                });
            }
            Err(e) => return Err(ArtifactError::io(path, e)),
        };
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|source| ArtifactError::BadManifest { path, source })?;
        if manifest.schema != MANIFEST_SCHEMA {
            return Err(ArtifactError::Schema {
                dir: dir.to_path_buf(),
                found: manifest.schema,
                expected: MANIFEST_SCHEMA,
            });
        }
        Ok(manifest)
    }

    /// The manifest as pretty JSON with a trailing newline, as stored on disk.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a manifest always serialises");
        text.push('\n');
        text
    }

    /// The path of an output inside the artifact directory `dir`.
    pub fn output_path(dir: &Path, rel: &str) -> PathBuf {
        rel.split('/')
            .fold(dir.to_path_buf(), |p, part| p.join(part))
    }
}
