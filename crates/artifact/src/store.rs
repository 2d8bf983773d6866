//! Reading complete artifacts: open with stage and version checks, find the latest, follow the
//! lineage to an input, verify hashes.

use crate::hash::sha256_file;
use crate::manifest::{InputRef, MANIFEST_FILE, Manifest};
use crate::stage::list_files;
use crate::{ArtifactError, Result};
use std::path::{Path, PathBuf};

/// Name of the file in `<root>/<stage>/` that holds the id of the newest complete artifact.
pub const LATEST_FILE: &str = "latest";

/// A complete artifact: a directory with a valid manifest.
#[derive(Debug, Clone)]
pub struct Artifact {
    dir: PathBuf,
    manifest: Manifest,
}

impl Artifact {
    /// Opens the artifact at `dir`, checking that it is a complete `stage` artifact of
    /// `format_version`. Fails on a missing manifest, another stage or another version.
    pub fn open(dir: &Path, stage: &str, format_version: u32) -> Result<Self> {
        let artifact = Self::open_any(dir)?;
        let found = &artifact.manifest;
        if found.stage != stage {
            return Err(ArtifactError::WrongStage {
                dir: dir.to_path_buf(),
                found: found.stage.clone(),
                expected: stage.to_owned(),
            });
        }
        if found.format_version != format_version {
            return Err(ArtifactError::FormatVersion {
                dir: dir.to_path_buf(),
                stage: stage.to_owned(),
                found: found.format_version,
                expected: format_version,
            });
        }
        Ok(artifact)
    }

    /// Opens a complete artifact of any stage and version (for inspection).
    pub fn open_any(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(ArtifactError::io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such artifact directory"),
            ));
        }
        let manifest = Manifest::read(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// Opens the artifact named by `<root>/<stage>/latest`.
    pub fn latest(root: &Path, stage: &str, format_version: u32) -> Result<Self> {
        let id = latest_id(root, stage)?.ok_or_else(|| ArtifactError::NoLatest {
            root: root.to_path_buf(),
            stage: stage.to_owned(),
        })?;
        Self::open(&root.join(stage).join(id), stage, format_version)
    }

    /// Opens the `stage` artifact that `path` names, as a stage's `--input` takes it: an
    /// artifact directory, or an artifact root (`artifacts/<corpus>`) whose `<stage>/latest` is
    /// used. A directory with a manifest is always taken as the artifact itself.
    pub fn resolve(path: &Path, stage: &str, format_version: u32) -> Result<Self> {
        if !path.join(MANIFEST_FILE).is_file() && path.join(stage).is_dir() {
            Self::latest(path, stage, format_version)
        } else {
            Self::open(path, stage, format_version)
        }
    }

    /// The artifact root this artifact lies in (`<root>/<stage>/<id>`).
    pub fn root(&self) -> PathBuf {
        self.dir
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The input record naming this artifact, for the manifest of an artifact made from it
    /// under `root`: its path relative to `root` (`/`-separated) when it lies beneath it, else
    /// as it is, so that an artifact root can be moved whole.
    pub fn input_ref(&self, root: &Path) -> InputRef {
        let path = match self.dir.strip_prefix(root) {
            Ok(rel) => rel
                .iter()
                .map(|p| p.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => self.dir.display().to_string(),
        };
        InputRef {
            stage: self.manifest.stage.clone(),
            id: self.id().to_owned(),
            path,
        }
    }

    /// Opens the `stage` input this artifact was made from, as its manifest records it: the
    /// recorded path (relative to this artifact's root, or absolute), else `<root>/<stage>/<id>`
    /// in this artifact's root; checks its stage and `format_version`, and that its id is the
    /// recorded one, so that a lineage never leads to an artifact made anew since.
    pub fn open_input(&self, stage: &str, format_version: u32) -> Result<Artifact> {
        self.follow_input(stage, |dir| Self::open(dir, stage, format_version))
    }

    /// [`Artifact::open_input`] for an input of any format version (for inspection).
    pub fn open_input_any(&self, stage: &str) -> Result<Artifact> {
        self.follow_input(stage, Self::open_any)
    }

    fn follow_input(
        &self,
        stage: &str,
        open: impl Fn(&Path) -> Result<Artifact>,
    ) -> Result<Artifact> {
        let input = self.input(stage)?;
        let root = self.root();
        let named = Path::new(&input.path);
        let recorded = if named.is_absolute() {
            named.to_path_buf()
        } else {
            root.join(named)
        };
        let candidates = [recorded, root.join(stage).join(&input.id)];
        let Some(dir) = candidates.iter().find(|d| d.join(MANIFEST_FILE).is_file()) else {
            return Err(ArtifactError::InputMissing {
                dir: self.dir.clone(),
                input: stage.to_owned(),
                id: input.id.clone(),
                path: candidates[0].clone(),
            });
        };
        let artifact = open(dir)?;
        if artifact.id() != input.id {
            return Err(ArtifactError::InputId {
                dir: self.dir.clone(),
                stage: self.manifest.stage.clone(),
                input_dir: dir.clone(),
                found: artifact.id().to_owned(),
            });
        }
        Ok(artifact)
    }

    /// The manifest's record of its `stage` input.
    fn input(&self, stage: &str) -> Result<&InputRef> {
        self.manifest
            .inputs
            .iter()
            .find(|i| i.stage == stage)
            .ok_or_else(|| ArtifactError::NoInput {
                dir: self.dir.clone(),
                stage: self.manifest.stage.clone(),
                input: stage.to_owned(),
            })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The path of output `rel` (a `/`-separated path as listed in the manifest).
    pub fn path(&self, rel: &str) -> PathBuf {
        Manifest::output_path(&self.dir, rel)
    }

    /// Re-hashes every output and fails, naming the file, on a changed, missing or unlisted file.
    pub fn verify(&self) -> Result<()> {
        self.verify_files(self.manifest.outputs.iter().map(|o| o.path.as_str()))?;
        for rel in list_files(&self.dir)? {
            if rel != MANIFEST_FILE && !self.manifest.outputs.iter().any(|o| o.path == rel) {
                return Err(self.tampered(&rel, "is not listed in the manifest".into()));
            }
        }
        Ok(())
    }

    /// Checks the size and SHA-256 of the outputs `files` (paths as listed in the manifest)
    /// against the manifest: what a stage calls on the upstream files it is about to read, so
    /// that a changed, truncated or missing file is an error naming it rather than a silently
    /// different result under the same lineage.
    pub fn verify_files<'a>(&self, files: impl IntoIterator<Item = &'a str>) -> Result<()> {
        for file in files {
            let Some(entry) = self.manifest.outputs.iter().find(|o| o.path == file) else {
                return Err(self.tampered(file, "is not listed in the manifest".into()));
            };
            let path = self.path(&entry.path);
            if !path.is_file() {
                return Err(self.tampered(file, "is missing".into()));
            }
            let (sha256, bytes) = sha256_file(&path)?;
            if bytes != entry.bytes {
                return Err(self.tampered(
                    file,
                    format!("has {bytes} bytes, the manifest says {}", entry.bytes),
                ));
            }
            if sha256 != entry.sha256 {
                return Err(self.tampered(
                    file,
                    format!("has SHA-256 {sha256}, the manifest says {}", entry.sha256),
                ));
            }
        }
        Ok(())
    }

    fn tampered(&self, file: &str, problem: String) -> ArtifactError {
        ArtifactError::Tampered {
            dir: self.dir.clone(),
            stage: self.manifest.stage.clone(),
            file: file.to_owned(),
            problem,
        }
    }
}

/// Whether `id` has the form of an artifact id: 16 lower-case hex digits.
pub fn is_artifact_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The id recorded in `<root>/<stage>/latest`, if any. Anything but an artifact id there (a
/// path such as `../..` would lead out of the artifact root) is an error naming the file.
pub fn latest_id(root: &Path, stage: &str) -> Result<Option<String>> {
    let path = root.join(stage).join(LATEST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ArtifactError::io(path, e)),
    };
    let id = text.trim();
    if id.is_empty() {
        return Ok(None);
    }
    if !is_artifact_id(id) {
        return Err(ArtifactError::BadLatest {
            path,
            found: id.chars().take(80).collect(),
            stage: stage.to_owned(),
        });
    }
    Ok(Some(id.to_owned()))
}
