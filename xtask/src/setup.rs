//! `cargo xtask setup`: make libtorch 2.11.0 (the version tch 0.24 binds) available to the build.
//!
//! Resolution order: a `LIBTORCH` that the user exported; else a Python `torch` 2.11.x already on
//! the machine; else a private virtual environment in the cache directory into which PyPI's
//! `torch==2.11.0` is installed (the wheel carries a complete libtorch, CPU and CUDA). The result
//! is the link `<workspace>/.libtorch`, which `.cargo/config.toml` exports as `LIBTORCH`, so plain
//! `cargo build`/`cargo test` work afterwards; the stage crates' build script embeds the library
//! directory as an rpath, so binaries run without `LD_LIBRARY_PATH`.

pub(crate) mod browser;

use crate::{cache_dir, project_root};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The libtorch version that tch 0.24 is built against.
pub(crate) const TORCH_VERSION: &str = "2.11.0";
/// Name of the link in the workspace root that `.cargo/config.toml` points `LIBTORCH` at.
const LINK_NAME: &str = ".libtorch";

/// Resolves libtorch, installing it if needed, and returns its directory (holding lib/, include/).
pub(crate) fn run() -> Result<PathBuf> {
    let link = project_root().join(LINK_NAME);
    if let Some(user) = std::env::var_os("LIBTORCH").map(PathBuf::from) {
        // Cargo's [env] sets LIBTORCH to the link itself when the user did not set it.
        if user != link {
            check_libtorch(&user).with_context(|| {
                format!("LIBTORCH={} is not usable: unset it to let setup install libtorch {TORCH_VERSION}, or point it at libtorch {TORCH_VERSION}", user.display())
            })?;
            eprintln!("setup: using LIBTORCH={} (set by you)", user.display());
            return Ok(user);
        }
    }
    if check_libtorch(&link).is_ok() {
        let target = std::fs::canonicalize(&link).unwrap_or(link);
        eprintln!(
            "setup: libtorch {TORCH_VERSION} ready at {}",
            target.display()
        );
        return Ok(target);
    }
    let torch_dir = match system_torch() {
        Some(dir) => {
            eprintln!("setup: using the PyTorch installed at {}", dir.display());
            dir
        }
        None => private_torch()?,
    };
    point_link(&link, &torch_dir)?;
    eprintln!(
        "setup: libtorch {TORCH_VERSION} ready at {} (linked from {})",
        torch_dir.display(),
        link.display()
    );
    Ok(torch_dir)
}

/// Checks that `dir` holds libtorch `TORCH_VERSION`: a shared library and a matching version file
/// (`build-version` in a libtorch zip, `version.py` in a Python torch package).
fn check_libtorch(dir: &Path) -> Result<()> {
    let lib = dir.join("lib").join("libtorch_cpu.so");
    anyhow::ensure!(lib.is_file(), "{} does not exist", lib.display());
    let version = torch_version(dir)?;
    anyhow::ensure!(
        version.split('+').next() == Some(TORCH_VERSION),
        "{} holds libtorch {version}, jianghu needs {TORCH_VERSION} (the version tch 0.24 binds)",
        dir.display()
    );
    Ok(())
}

fn torch_version(dir: &Path) -> Result<String> {
    let build_version = dir.join("build-version");
    if let Ok(text) = std::fs::read_to_string(&build_version) {
        return Ok(text.trim().to_owned());
    }
    let version_py = dir.join("version.py");
    let text = std::fs::read_to_string(&version_py).with_context(|| {
        format!(
            "cannot tell the libtorch version in {}: neither build-version nor version.py",
            dir.display()
        )
    })?;
    text.lines()
        .find_map(|l| l.strip_prefix("__version__"))
        .and_then(|rest| rest.split(['\'', '"']).nth(1))
        .map(str::to_owned)
        .with_context(|| format!("{}: no __version__ line", version_py.display()))
}

/// A `torch` package of the right version importable by the machine's `python3`, if any.
fn system_torch() -> Option<PathBuf> {
    let dir = torch_package_dir(Path::new("python3")).ok()??;
    match check_libtorch(&dir) {
        Ok(()) => Some(dir),
        Err(e) => {
            eprintln!("setup: not using the machine's PyTorch: {e:#}");
            None
        }
    }
}

/// Where `python` would import `torch` from, without importing it (that would load CUDA).
fn torch_package_dir(python: &Path) -> Result<Option<PathBuf>> {
    let out = Command::new(python)
        .args([
            "-c",
            "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')",
        ])
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "{} failed: {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok((!dir.is_empty()).then(|| PathBuf::from(dir)))
}

/// Installs `torch==TORCH_VERSION` into `<cache>/torch-venv` (resuming an interrupted install).
fn private_torch() -> Result<PathBuf> {
    let venv = cache_dir()?.join("torch-venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        eprintln!(
            "setup: creating a private Python environment in {}",
            venv.display()
        );
        std::fs::create_dir_all(venv.parent().expect("the venv has a parent"))
            .with_context(|| format!("cannot create {}", venv.display()))?;
        let status = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status();
        match status {
            Err(e) => bail!(
                "cannot run python3 ({e}): install Python 3 with pip and venv (Debian: `apt-get install python3 python3-venv python3-pip`), or set LIBTORCH to an unpacked libtorch {TORCH_VERSION}"
            ),
            Ok(s) if !s.success() => bail!(
                "`python3 -m venv {}` failed ({s}): install the venv module (Debian: `apt-get install python3-venv`), or set LIBTORCH to an unpacked libtorch {TORCH_VERSION}",
                venv.display()
            ),
            Ok(_) => {}
        }
    }
    if let Some(dir) = torch_package_dir(&python)?.filter(|d| check_libtorch(d).is_ok()) {
        return Ok(dir);
    }
    eprintln!(
        "setup: installing torch=={TORCH_VERSION} from PyPI into {} (a few GB, several minutes; it carries libtorch)",
        venv.display()
    );
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--disable-pip-version-check"])
        .arg(format!("torch=={TORCH_VERSION}"))
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !status.success() {
        bail!(
            "`pip install torch=={TORCH_VERSION}` failed ({status}): check that PyPI is reachable and the disk has ~5 GB free; rerun `cargo xtask setup` to resume"
        );
    }
    let dir = torch_package_dir(&python)?
        .context("pip reported success but torch is not importable from the private environment")?;
    check_libtorch(&dir)?;
    Ok(dir)
}

/// Replaces the link atomically so that a concurrent build never sees it missing.
fn point_link(link: &Path, target: &Path) -> Result<()> {
    let tmp = link.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .with_context(|| format!("cannot create the link {}", tmp.display()))?;
    std::fs::rename(&tmp, link).with_context(|| format!("cannot create {}", link.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{TORCH_VERSION, check_libtorch};
    use std::path::Path;

    /// A fake libtorch directory: the shared library's name and a version file.
    fn libtorch(dir: &Path, version_file: &str, text: &str) {
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("lib/libtorch_cpu.so"), "").unwrap();
        std::fs::write(dir.join(version_file), text).unwrap();
    }

    #[test]
    fn accepts_the_pinned_version_from_either_version_file() {
        let dir = tempfile::tempdir().unwrap();
        let pip = dir.path().join("pip");
        libtorch(
            &pip,
            "version.py",
            "__version__ = '2.11.0+cu130'\ngit_version = 'abc'\n",
        );
        check_libtorch(&pip).unwrap();
        let zip = dir.path().join("zip");
        libtorch(&zip, "build-version", &format!("{TORCH_VERSION}+cpu\n"));
        check_libtorch(&zip).unwrap();
    }

    #[test]
    fn rejects_another_version_or_a_missing_library_naming_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        libtorch(dir.path(), "version.py", "__version__ = \"2.10.1\"\n");
        let err = format!("{:#}", check_libtorch(dir.path()).unwrap_err());
        assert!(
            err.contains("2.10.1") && err.contains(TORCH_VERSION),
            "{err}"
        );
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        std::fs::remove_file(dir.path().join("lib/libtorch_cpu.so")).unwrap();
        let err = format!("{:#}", check_libtorch(dir.path()).unwrap_err());
        assert!(err.contains("libtorch_cpu.so"), "{err}");
    }
}
