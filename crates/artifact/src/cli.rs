//! What every stage binary shares at its very end: how a failure is shown.

use std::fmt::Display;
use std::process::ExitCode;

/// Turns a stage binary's result into its exit status, printing a failure as one `error: …`
/// line with its whole cause chain (`{:#}`). Returning the error from `main` instead would print
/// a backtrace whenever `RUST_BACKTRACE` is set, burying the line that says what to fix.
pub fn exit_code<E: Display>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
