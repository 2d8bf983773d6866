//! The browser of the server's page test: Debian's `chromium` and `chromium-driver`, with
//! `fonts-noto-cjk` for the Chinese text, installed with apt-get when missing (as root, or
//! through `sudo -n`), the way setup installs libtorch. A machine where they cannot be
//! installed gets a clear message, and the test then skips itself saying why.

use std::path::Path;
use std::process::Command;

/// The Debian packages the browser test needs.
const PACKAGES: [&str; 3] = ["chromium", "chromium-driver", "fonts-noto-cjk"];

/// The programs the test looks for on PATH.
const PROGRAMS: [&str; 2] = ["chromium", "chromedriver"];

/// Makes chromium and chromedriver available; `false` (having said why) when they are not
/// and cannot be installed here.
pub(crate) fn ensure() -> bool {
    if PROGRAMS.iter().all(|p| on_path(p)) && fonts_installed() {
        eprintln!("setup: chromium and chromedriver ready");
        return true;
    }
    let root = nix_is_root();
    let sudo = !root && on_path("sudo");
    if !root && !sudo {
        eprintln!(
            "setup: chromium and chromedriver are missing and cannot be installed (not root, no sudo): install {} to run the browser test",
            PACKAGES.join(" ")
        );
        return false;
    }
    eprintln!(
        "setup: installing {} with apt-get for the browser test",
        PACKAGES.join(" ")
    );
    let apt = |args: &[&str]| {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        };
        command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed = apt(&["update"])
        && apt(&["install", "-y", "--no-install-recommends"]
            .into_iter()
            .chain(PACKAGES)
            .collect::<Vec<_>>());
    if !installed || !PROGRAMS.iter().all(|p| on_path(p)) {
        eprintln!(
            "setup: could not install {} with apt-get (not Debian, or no package mirror): the browser test will be skipped",
            PACKAGES.join(" ")
        );
        return false;
    }
    true
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether a Noto CJK font is installed (Debian's fonts-noto-cjk).
fn fonts_installed() -> bool {
    Path::new("/usr/share/fonts/opentype/noto").is_dir()
        && std::fs::read_dir("/usr/share/fonts/opentype/noto").is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().contains("CJK"))
        })
}

fn nix_is_root() -> bool {
    nix::unistd::geteuid().is_root()
}
