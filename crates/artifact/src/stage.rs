//! Running a stage against the contract: compute the id, skip when the artifact is complete,
//! otherwise write into a hidden staging directory that becomes the artifact only on commit.

use crate::atomic::write_atomic;
use crate::canonical::canonical_json;
use crate::hash::{hex, sha256_file};
use crate::manifest::{InputRef, MANIFEST_FILE, MANIFEST_SCHEMA, Manifest, OutputEntry, Producer};
use crate::store::{Artifact, LATEST_FILE};
use crate::{ArtifactError, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Prefix of staging directories; they sit next to the artifacts of their stage.
const STAGING_PREFIX: &str = ".staging-";

/// What [`begin`] does with a complete artifact that already has the stage's id. The stage
/// binaries take it from `--force` (see [`crate::ProtocolArgs`]); it is an argument rather than
/// something the library looks up, so a library caller always says which it wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Existing {
    /// Use it (once it verifies): the stage has nothing to do.
    #[default]
    Reuse,
    /// Make it again. The old artifact stays readable until the new one is committed over it.
    Replace,
}

/// Everything that determines a stage's output, and so its id.
#[derive(Debug, Clone)]
pub struct StageSpec {
    pub stage: String,
    pub format_version: u32,
    /// Fully resolved parameters (defaults filled in), as they go into the manifest.
    pub params: Value,
    /// Upstream artifacts or input data sets, in a fixed order.
    pub inputs: Vec<InputRef>,
}

impl StageSpec {
    /// The content-addressed id: the first 16 hex digits of the SHA-256 of the canonical JSON of
    /// `{stage, format_version, params, inputs: [upstream ids]}`. Paths and times do not count.
    pub fn id(&self) -> String {
        let ids: Vec<&str> = self.inputs.iter().map(|i| i.id.as_str()).collect();
        let key = json!({
            "stage": self.stage,
            "format_version": self.format_version,
            "params": self.params,
            "inputs": ids,
        });
        let digest = Sha256::digest(canonical_json(&key).as_bytes());
        hex(&digest)[..16].to_owned()
    }
}

/// What [`begin`] found.
#[derive(Debug)]
pub enum Begin {
    /// A complete artifact with this id exists: the stage has nothing to do.
    Complete(Artifact),
    /// Nothing complete exists: write outputs into the staging directory, then commit.
    Staging(Staging),
}

/// Starts a stage under `root` (`artifacts/<corpus>`). Returns the complete artifact when one
/// with the same id exists and verifies (and marks it `latest`), otherwise a fresh staging
/// directory. An artifact of the same id that fails verification (a damaged manifest, a changed
/// or missing output) is made again, with a warning on stderr: rerunning a stage is always the
/// way out of a damaged artifact. Leftovers of interrupted runs are removed first. With
/// [`Existing::Replace`] a complete artifact is made again all the same.
pub fn begin(
    root: &Path,
    spec: StageSpec,
    producer: Producer,
    existing: Existing,
) -> Result<Begin> {
    let final_dir = root.join(&spec.stage).join(spec.id());
    if existing == Existing::Reuse && final_dir.join(MANIFEST_FILE).is_file() {
        let found = Artifact::open(&final_dir, &spec.stage, spec.format_version)
            .and_then(|artifact| artifact.verify().map(|()| artifact));
        match found {
            Ok(artifact) => {
                set_latest(&root.join(&spec.stage), artifact.id())?;
                return Ok(Begin::Complete(artifact));
            }
            Err(e) => eprintln!(
                "{}: the existing artifact does not verify, making it again: {e}",
                spec.stage
            ),
        }
    }
    rebuild(root, spec, producer).map(Begin::Staging)
}

/// Starts a stage even when a complete artifact with its id exists: that one stays in place
/// until the new one is committed over it.
fn rebuild(root: &Path, spec: StageSpec, producer: Producer) -> Result<Staging> {
    let id = spec.id();
    let stage_dir = root.join(&spec.stage);
    let final_dir = stage_dir.join(&id);
    std::fs::create_dir_all(&stage_dir).map_err(|e| ArtifactError::io(&stage_dir, e))?;
    if final_dir.exists() && !final_dir.join(MANIFEST_FILE).is_file() {
        // A directory without a manifest is never read; it can only be debris.
        remove_dir(&final_dir)?;
    }
    sweep_stale_staging(&stage_dir)?;
    let dir = stage_dir.join(format!("{STAGING_PREFIX}{id}-{}", std::process::id()));
    if dir.exists() {
        remove_dir(&dir)?;
    }
    std::fs::create_dir(&dir).map_err(|e| ArtifactError::io(&dir, e))?;
    crate::interrupt::register(&dir);
    Ok(Staging {
        root: root.to_path_buf(),
        spec,
        id,
        producer,
        dir,
        final_dir,
        started: Instant::now(),
        committed: false,
    })
}

/// An artifact being written. Dropping it without [`Staging::commit`] deletes the directory;
/// a process killed outright leaves a hidden `.staging-*` directory that nothing reads.
#[derive(Debug)]
pub struct Staging {
    root: PathBuf,
    spec: StageSpec,
    id: String,
    producer: Producer,
    dir: PathBuf,
    final_dir: PathBuf,
    started: Instant,
    committed: bool,
}

impl Staging {
    /// Where the stage writes its outputs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The id the artifact will have.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The directory the artifact will occupy once committed.
    pub fn final_dir(&self) -> &Path {
        &self.final_dir
    }

    /// Hashes every output, writes the manifest last, moves the directory into place and points
    /// `latest` at it.
    pub fn commit(mut self, metrics: Value) -> Result<Artifact> {
        let mut outputs = Vec::new();
        for rel in list_files(&self.dir)? {
            if rel == MANIFEST_FILE {
                return Err(ArtifactError::Invalid {
                    dir: self.dir.clone(),
                    message: "a stage must not write manifest.json itself".into(),
                });
            }
            let (sha256, bytes) = sha256_file(&Manifest::output_path(&self.dir, &rel))?;
            outputs.push(OutputEntry {
                path: rel,
                bytes,
                sha256,
            });
        }
        let manifest = Manifest {
            schema: MANIFEST_SCHEMA,
            stage: self.spec.stage.clone(),
            id: self.id.clone(),
            format_version: self.spec.format_version,
            producer: self.producer.clone(),
            params: self.spec.params.clone(),
            inputs: self.spec.inputs.clone(),
            outputs,
            metrics,
            created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            elapsed_s: self.started.elapsed().as_secs_f64(),
        };
        write_atomic(&self.dir.join(MANIFEST_FILE), manifest.to_json().as_bytes())?;
        if self.final_dir.exists() {
            // Another run of the same id finished first; its artifact is identical by contract.
            remove_dir(&self.final_dir)?;
        }
        std::fs::rename(&self.dir, &self.final_dir)
            .map_err(|e| ArtifactError::io(&self.final_dir, e))?;
        self.committed = true;
        crate::interrupt::unregister(&self.dir);
        set_latest(&self.root.join(&self.spec.stage), &self.id)?;
        Artifact::open(&self.final_dir, &self.spec.stage, self.spec.format_version)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
            crate::interrupt::unregister(&self.dir);
        }
    }
}

fn set_latest(stage_dir: &Path, id: &str) -> Result<()> {
    write_atomic(&stage_dir.join(LATEST_FILE), format!("{id}\n").as_bytes())
}

fn remove_dir(dir: &Path) -> Result<()> {
    std::fs::remove_dir_all(dir).map_err(|e| ArtifactError::io(dir, e))
}

/// Removes the staging directories (of any id) left by processes that no longer run: a stage
/// killed outright cannot remove its own.
fn sweep_stale_staging(stage_dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(stage_dir).map_err(|e| ArtifactError::io(stage_dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(STAGING_PREFIX) else {
            continue;
        };
        // `.staging-<id>-<pid>`
        let pid = rest.rsplit_once('-').map(|(_, pid)| pid).unwrap_or("");
        let alive = pid.parse::<u32>().is_ok_and(|pid| {
            pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
        });
        if !alive {
            remove_dir(&entry.path())?;
        }
    }
    Ok(())
}

/// Every regular file under `dir`, as `/`-separated relative paths, sorted.
pub(crate) fn list_files(dir: &Path) -> Result<Vec<String>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| ArtifactError::io(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| ArtifactError::io(dir, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| ArtifactError::io(&path, e))?;
            if kind.is_dir() {
                walk(base, &path, out)?;
            } else {
                let rel = path
                    .strip_prefix(base)
                    .expect("walked paths lie under the base");
                let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
                out.push(parts.join("/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}
