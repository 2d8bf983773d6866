//! `cargo xtask test`: what CI runs. Installs libtorch when missing, then formatting, clippy with
//! warnings denied, and every test of the workspace.

use crate::{run_command, setup};
use anyhow::Result;
use std::process::Command;

pub(crate) fn run() -> Result<()> {
    setup::run()?;
    run_command(Command::new("cargo").args(["fmt", "--all", "--", "--check"]))?;
    run_command(Command::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run_command(Command::new("cargo").args(["test", "--workspace"]))?;
    Ok(())
}
