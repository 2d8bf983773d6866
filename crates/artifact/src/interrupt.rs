//! Ctrl-C and SIGTERM for the stages that have nothing to save: the staging directories this
//! process is writing are removed and the process exits with 130, as an interrupted shell
//! command does. Nothing half-written is left, and the next run starts clean. (Train installs a
//! handler of its own instead: it writes a resume checkpoint first.)

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The staging directories this process has open (see [`crate::Staging`]).
static OPEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Exit status of a process stopped by Ctrl-C or SIGTERM.
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

/// Installs the handler for SIGINT, SIGTERM and SIGHUP: it removes the open staging directories,
/// prints `<stage>: interrupted, nothing was written` and exits with 130. Call it once, first
/// thing in a stage binary's `main`.
pub fn exit_on_interrupt(stage: &'static str) -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(move || {
        let open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        for dir in open.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
        eprintln!("{stage}: interrupted, nothing was written");
        exit_now(INTERRUPTED_EXIT_CODE);
    })
}

/// Ends the process at once, without the `atexit` handlers and static destructors that
/// `std::process::exit` runs: this runs on the handler's thread while the main thread may be
/// inside libtorch, and destroying libtorch's globals under it crashed the process (SIGSEGV
/// instead of exit status 130, in about half the runs of `generate`).
#[allow(unsafe_code)] // reason: `_exit` has no safe wrapper in std; it only ends the process
fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` takes a plain status and never returns; nothing is left to clean up
    // (the staging directories are removed and stderr is unbuffered).
    unsafe { libc::_exit(code) }
}

pub(crate) fn register(dir: &Path) {
    OPEN.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.to_path_buf());
}

pub(crate) fn unregister(dir: &Path) {
    OPEN.lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|d| d != dir);
}
