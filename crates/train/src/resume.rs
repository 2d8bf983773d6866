//! The resume directory of a run in progress, `<root>/train/.resume-<id>/`: one process at a
//! time owns it, and it is replaced atomically so that a kill at any moment leaves either the
//! previous complete checkpoint or the new one.
//!
//! Ownership is an exclusive lock on `.resume-<id>.lock` (the OS drops it when the process
//! dies, so a killed run never blocks the next one); a second process training the same id
//! is refused. A checkpoint is written into `.resume-<id>.tmp/`, with `state.bin` last and
//! every file synced, then swapped in by two renames (`.resume-<id>` → `.resume-<id>.old`,
//! `.tmp` → `.resume-<id>`). A kill between the renames leaves no `.resume-<id>`; the next
//! owner puts the newest complete copy back before anything reads it. [`checkpoint::read`]
//! rejects a directory without `state.bin`, so a half-written `.tmp` is never resumed from.

use crate::adam::Adam;
use crate::checkpoint::{self, STATE_FILE, TrainState};
use crate::error::TrainError;
use model::LstmState;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use tch::nn;

/// Where the checkpoint of a run of artifact `id` lives under `root`.
pub fn resume_dir(root: &Path, id: &str) -> PathBuf {
    root.join(crate::STAGE)
        .join(format!("{}{id}", checkpoint::RESUME_PREFIX))
}

/// `dir` with `suffix` appended to its name (`.resume-<id>.tmp`).
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    dir.with_file_name(name)
}

/// The lock file of the resume directory `dir`.
pub fn lock_path(dir: &Path) -> PathBuf {
    sibling(dir, ".lock")
}

/// The resume directory of one artifact id, owned by this process until dropped.
#[derive(Debug)]
pub struct ResumeSlot {
    dir: PathBuf,
    lock: File,
}

impl ResumeSlot {
    /// Takes ownership of `<root>/train/.resume-<id>`; fails with [`TrainError::Busy`] when
    /// another process holds it. Repairs what a kill during a checkpoint swap left.
    pub fn acquire(root: &Path, id: &str) -> Result<ResumeSlot, TrainError> {
        let dir = resume_dir(root, id);
        let parent = dir.parent().expect("the resume directory has a parent");
        std::fs::create_dir_all(parent).map_err(|e| TrainError::io(parent, e))?;
        let path = lock_path(&dir);
        let lock = loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| TrainError::io(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let owner = std::fs::read_to_string(&path).unwrap_or_default();
                    return Err(TrainError::Busy {
                        dir,
                        owner: owner.trim().to_owned(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(TrainError::io(&path, e)),
            }
            // The previous owner removes the file when it finishes: a lock taken on a file
            // that is no longer at `path` guards nothing, so open the new one.
            if !same_file(&file, &path) {
                continue;
            }
            let pid = format!("pid {}\n", std::process::id());
            file.set_len(0)
                .and_then(|()| file.write_all(pid.as_bytes()))
                .map_err(|e| TrainError::io(&path, e))?;
            break file;
        };
        let slot = ResumeSlot { dir, lock };
        slot.recover()?;
        Ok(slot)
    }

    /// The resume directory (it may not exist yet).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn tmp(&self) -> PathBuf {
        sibling(&self.dir, ".tmp")
    }

    fn old(&self) -> PathBuf {
        sibling(&self.dir, ".old")
    }

    /// After a kill between the two renames of [`ResumeSlot::save`] there is no resume
    /// directory: restore the new copy when it is complete, else the previous one. Then
    /// remove the leftovers.
    fn recover(&self) -> Result<(), TrainError> {
        let (tmp, old) = (self.tmp(), self.old());
        if !self.dir.exists() {
            for candidate in [&tmp, &old] {
                if candidate.join(STATE_FILE).is_file() {
                    std::fs::rename(candidate, &self.dir)
                        .map_err(|e| TrainError::io(&self.dir, e))?;
                    break;
                }
            }
        }
        for leftover in [tmp, old] {
            remove_dir_if_exists(&leftover)?;
        }
        Ok(())
    }

    /// Replaces the checkpoint with the current state: written and synced into a temporary
    /// directory, then renamed into place. `best` is the best-weights file to include.
    pub fn save(
        &self,
        vs: &nn::VarStore,
        adam: &Adam,
        hidden: &LstmState,
        state: &TrainState,
        best: &Path,
    ) -> Result<(), TrainError> {
        let (tmp, old) = (self.tmp(), self.old());
        remove_dir_if_exists(&tmp)?;
        checkpoint::write(&tmp, vs, adam, hidden, state, Some(best))?;
        sync_tree(&tmp)?;
        if self.dir.exists() {
            remove_dir_if_exists(&old)?;
            std::fs::rename(&self.dir, &old).map_err(|e| TrainError::io(&old, e))?;
        }
        std::fs::rename(&tmp, &self.dir).map_err(|e| TrainError::io(&self.dir, e))?;
        let parent = self
            .dir
            .parent()
            .expect("the resume directory has a parent");
        sync_dir(parent)?;
        remove_dir_if_exists(&old)
    }

    /// Deletes the checkpoint: the run it belongs to is committed.
    pub fn remove(&self) -> Result<(), TrainError> {
        remove_dir_if_exists(&self.dir)
    }
}

/// Removes the checkpoint `dir` that a committed run under `root` continued from (`--resume`
/// with a changed stopping rule or learning rate, so under another id): it has served its
/// purpose and would otherwise be left behind for good. Only a `.resume-<id>` directory of this
/// root's train stage that no running process owns is removed; returns whether it was.
pub fn retire(root: &Path, dir: &Path) -> Result<bool, TrainError> {
    let Some(id) = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(checkpoint::RESUME_PREFIX))
    else {
        return Ok(false);
    };
    let ours = resume_dir(root, id);
    let same = match (std::fs::canonicalize(dir), std::fs::canonicalize(&ours)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        return Ok(false);
    }
    match ResumeSlot::acquire(root, id) {
        Ok(slot) => slot.remove().map(|()| true),
        Err(TrainError::Busy { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

impl Drop for ResumeSlot {
    /// Removes the lock file while still holding the lock; a process that opened it in the
    /// meantime notices that its file is gone and opens a new one (see `acquire`).
    fn drop(&mut self) {
        let _ = std::fs::remove_file(lock_path(&self.dir));
        let _ = self.lock.unlock();
    }
}

/// True when `file` is the file at `path` (not one that was removed from there).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere an open file cannot be removed, so it is still the one at `path`.
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

fn remove_dir_if_exists(dir: &Path) -> Result<(), TrainError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(TrainError::io(dir, e)),
        _ => Ok(()),
    }
}

/// Flushes every file of `dir` and the directory itself to disk, so that a power loss after
/// the rename cannot leave a checkpoint whose names exist but whose contents do not.
fn sync_tree(dir: &Path) -> Result<(), TrainError> {
    let entries = std::fs::read_dir(dir).map_err(|e| TrainError::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| TrainError::io(dir, e))?.path();
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| TrainError::io(&path, e))?;
    }
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), TrainError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| TrainError::io(dir, e))
}

/// Directories cannot be opened for syncing on every platform; the renames still order the
/// writes there.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), TrainError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake checkpoint directory: `complete` ones hold `state.bin` (written last).
    fn fake(dir: &Path, tag: &str, complete: bool) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("last.safetensors"), tag).unwrap();
        if complete {
            std::fs::write(dir.join(STATE_FILE), tag).unwrap();
        }
    }

    fn tag(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("last.safetensors")).unwrap()
    }

    #[test]
    fn a_kill_during_the_swap_leaves_the_newest_complete_checkpoint() {
        let root = tempfile::tempdir().unwrap();
        let dir = resume_dir(root.path(), "abc");
        let (tmp, old) = (sibling(&dir, ".tmp"), sibling(&dir, ".old"));
        // (resume dir, tmp, old) as a kill leaves them → the tag that survives.
        let cases = [
            // Killed while writing tmp: the current checkpoint stays.
            (Some(true), Some(false), None, Some("current")),
            // Killed between the renames: the new complete copy wins.
            (None, Some(true), Some(true), Some("tmp")),
            // … unless it is incomplete (cannot happen: renames follow the sync).
            (None, Some(false), Some(true), Some("old")),
            // Killed while removing old.
            (Some(true), None, Some(true), Some("current")),
            // Killed while writing the very first checkpoint: nothing to resume from.
            (None, Some(false), None, None),
        ];
        for (current, t, o, expected) in cases {
            for (path, state, name) in [
                (&dir, current, "current"),
                (&tmp, t, "tmp"),
                (&old, o, "old"),
            ] {
                let _ = std::fs::remove_dir_all(path);
                if let Some(complete) = state {
                    fake(path, name, complete);
                }
            }
            let slot = ResumeSlot::acquire(root.path(), "abc").unwrap();
            assert_eq!(dir.exists().then(|| tag(&dir)).as_deref(), expected);
            assert!(!tmp.exists() && !old.exists());
            drop(slot);
        }
    }

    #[test]
    fn a_second_owner_is_refused_until_the_first_lets_go() {
        let root = tempfile::tempdir().unwrap();
        let first = ResumeSlot::acquire(root.path(), "abc").unwrap();
        let lock = lock_path(first.dir());
        assert_eq!(
            std::fs::read_to_string(&lock).unwrap(),
            format!("pid {}\n", std::process::id())
        );
        let err = ResumeSlot::acquire(root.path(), "abc").unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, TrainError::Busy { .. })
                && message.contains(&format!("pid {}", std::process::id()))
                && message.contains(".resume-abc"),
            "{message}"
        );
        // Another id is another slot.
        let other = ResumeSlot::acquire(root.path(), "abd").unwrap();
        drop(first);
        assert!(!lock.exists(), "the lock file goes with its owner");
        let again = ResumeSlot::acquire(root.path(), "abc").unwrap();
        drop((again, other));
    }
}
